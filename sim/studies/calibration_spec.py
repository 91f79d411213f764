"""Calibration specs: which targets, which parameters with which priors, how many candidates.

A spec (``scenarios/calibration/NAME.yaml``, or any YAML file of the same shape) is a
:class:`CalibrationSpec` loaded as an OmegaConf structured config
(:func:`~strikesim.studies.spec_files.load_structured`): unknown keys, missing keys and wrong
types are refused by the library, in one line naming the key. :func:`validate_spec` then checks
what types cannot say — bounds, ``low < high`` priors, at least one target and one parameter — and
composes every target's config at both ends of every prior, so that a bad key or a range outside
the schema's is refused before the study starts rather than in its first trial.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from importlib.resources import files
from pathlib import Path
from typing import Any

from omegaconf import MISSING

from strikesim.compose import compose_config
from strikesim.config import ConfigError, StrikeConfig
from strikesim.studies.spec_files import (
    ALLOWED,
    BOUNDS,
    INTERNAL,
    Bounds,
    check_bounds,
    check_name,
    check_range,
    load_structured,
    read_mapping,
    read_spec_text,
)

SPEC_PACKAGE = "strikesim.scenarios.calibration"
TRIALS = Bounds(
    1, 100_000, integer=True
)  # every trial is replications x targets runs: beyond, a typo
REPLICATIONS = Bounds(1, 1_000, integer=True)
SAMPLER_SEED = Bounds(0, 2**32 - 1, integer=True)  # numpy's legacy generator (TPE) takes 32 bits
TOLERANCE = Bounds(above=0)


class Sampler(StrEnum):
    """How candidates are drawn: a Sobol sequence over the priors (ABC rejection), or Optuna's
    TPE optimizer (then the accepted sets are no sample of the posterior)."""

    qmc = "qmc"
    tpe = "tpe"


@dataclass
class CalibrationSpec:
    """A calibration study: targets, prior ranges, replications, trials, sampler, tolerance.

    ``name`` is typed Any on purpose: OmegaConf's str would turn ``7`` into ``"7"``; it names the
    study and its folder, so :func:`~strikesim.studies.spec_files.check_name` takes only text.
    ``parameters`` holds :class:`~strikesim.studies.spec_files.ParameterRange` after loading
    (typed Any for OmegaConf: see :mod:`strikesim.studies.spec_files`). ``source`` is where the
    spec came from; a file may not set it.
    """

    name: Any = MISSING
    description: str = MISSING
    base: list[str] = field(
        default=MISSING, metadata={ALLOWED: "a list of strings, e.g. [population=small]"}
    )
    # label -> overrides selecting the scenario, whose scenario.observed_* are the record
    targets: dict[str, list[str]] = field(
        default=MISSING, metadata={ALLOWED: "a mapping LABEL: [scenario=NAME, ...]"}
    )
    # config key -> prior (low, high)
    parameters: dict[str, Any] = field(
        default=MISSING, metadata={ALLOWED: "a mapping KEY: [low, high]"}
    )
    replications: int = field(default=4, metadata={BOUNDS: REPLICATIONS})
    trials: int = field(default=64, metadata={BOUNDS: TRIALS})
    sampler: Sampler = Sampler.qmc
    sampler_seed: int = field(default=0, metadata={BOUNDS: SAMPLER_SEED})
    tolerance: float = field(default=1.0, metadata={BOUNDS: TOLERANCE})
    source: str = field(default="", metadata={INTERNAL: True})  # the file it came from


def spec_names() -> list[str]:
    """The specs shipped in ``scenarios/calibration/``."""
    return sorted(
        p.name.removesuffix(".yaml")
        for p in files(SPEC_PACKAGE).iterdir()
        if p.name.endswith(".yaml")
    )


def load_spec(
    name_or_path: str,
    *,
    trials: int | None = None,
    replications: int | None = None,
    extra: list[str] | tuple[str, ...] = (),
) -> CalibrationSpec:
    """A shipped spec by name, or a YAML file; ConfigError with one line on bad input.

    ``trials`` and ``replications`` (command-line choices) replace the spec's; ``extra``
    overrides apply to every target and are composed with each in :func:`validate_spec`.
    """
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise ConfigError(f"calibration spec {name_or_path!r}: no such file")
        text, source = read_spec_text(path), str(path)
    elif name_or_path in spec_names():
        text = (files(SPEC_PACKAGE) / f"{name_or_path}.yaml").read_text()
        source = f"scenarios/calibration/{name_or_path}.yaml"
    else:
        raise ConfigError(
            f"calibration spec {name_or_path!r} is unknown; allowed: {', '.join(spec_names())} "
            "or a YAML file"
        )
    raw = read_mapping(text, source)
    options = {
        k: v for k, v in {"trials": trials, "replications": replications}.items() if v is not None
    }
    spec = load_structured(CalibrationSpec, [raw, options], source)
    spec.source = source
    check_name(spec.name, f"{source}: name")
    spec.parameters = {
        key: check_range(bound, f"{source}: parameters.{key}")
        for key, bound in spec.parameters.items()
    }
    validate_spec(spec, list(extra))
    return spec


def validate_spec(spec: CalibrationSpec, extra: list[str] | None = None) -> None:
    """Check ranges and that every candidate's config composes (at both ends of every range).

    ``extra`` are the command line's overrides: they apply to every target, so they are
    composed with every target too, before the study starts.
    """
    where = spec.source or spec.name
    check_bounds(spec, where)
    if not spec.targets:
        raise ConfigError(f"{where}: targets is empty; allowed: at least one scenario")
    if not spec.parameters:
        raise ConfigError(f"{where}: parameters is empty; allowed: at least one KEY: [low, high]")
    for key, (low, high) in spec.parameters.items():
        if not low < high:
            raise ConfigError(f"{where}: parameters.{key}=[{low}, {high}]; allowed: low < high")
    for label in spec.targets:
        for end in (0, 1):
            params = {k: v[end] for k, v in spec.parameters.items()}
            sc = target_config(spec, label, params, extra or []).scenario
            if not 0 < sc.observed_low < sc.observed_high:
                raise ConfigError(
                    f"{where}: target {label} has scenario.observed_low={sc.observed_low}, "
                    f"observed_high={sc.observed_high}; allowed: 0 < low < high (the record's "
                    "range)"
                )


def target_config(
    spec: CalibrationSpec, label: str, params: dict[str, float], extra: list[str]
) -> StrikeConfig:
    """The config of one target scenario at one candidate (seed set per replication later)."""
    overrides = [*spec.base, *spec.targets[label], *extra]
    overrides += [f"{k}={v!r}" for k, v in params.items()]
    return compose_config(overrides)
