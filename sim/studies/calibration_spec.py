"""Calibration specs: the runs, the parameters to fit, the published targets, the ABC settings.

A spec (``scenarios/calibration/NAME.yaml``, or any YAML file of the same shape) is a
:class:`CalibrationSpec` loaded as an OmegaConf structured config
(:func:`~strikesim.studies.spec_files.load_structured`): unknown keys, missing keys and wrong
types are refused by the library, in one line naming the key. Each target is loaded the same way
onto :class:`Target`, so a typo inside a target is named with its index (``targets[2].evnt``).

What types cannot say is checked by :func:`validate_spec` before any work: bounds, ranges, that
every parameter pattern names schema keys that declare a prior (the priors come from the schema,
:func:`schema_priors`, never from the spec), that every run composes at both ends of every prior,
and that each target's event and observable is one the runs report (a run of the 1,000-person
town lists them: :func:`strikesim.studies.observables.observe`).

A target is the record of one event: ``(event, observable, observed, range, role)``. ``range``
is the published range ``[low, high]``; either end may be ``null`` for a one-sided figure
("10,000 or more" is ``[10000, null]``). ``role`` is ``fitted`` (in the likelihood),
``held_out`` (predicted out of sample, never fitted) or ``check`` (a published figure implied by
a fitted one, such as a lower bound below a fitted range's low end: reported, not fitted, since
fitting it would count the same people twice). An event and observable is fitted at most once;
held-out and check rows may repeat it with another range. How a range becomes a likelihood is
:class:`strikesim.studies.calibrate.RecordKernel`.
"""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass, field, replace
from enum import StrEnum
from importlib.resources import files
from pathlib import Path
from typing import Any, NamedTuple

from omegaconf import MISSING

from strikesim.compose import compose_configs
from strikesim.config import ConfigError, StrikeConfig, schema_keys, validate
from strikesim.run import simulate_many
from strikesim.studies.observables import OBSERVABLES, observe
from strikesim.studies.spec_files import (
    ALLOWED,
    BOUNDS,
    INTERNAL,
    Bounds,
    check_bounds,
    check_name,
    load_structured,
    read_mapping,
    read_spec_text,
)

SPEC_PACKAGE = "strikesim.scenarios.calibration"
Z90 = 1.6449  # a published low-high range is read as a central 90% interval [est]
PROBE = ["population=classroom"]  # the town that lists a run's events (~0.04 s a run)

POPULATION_SIZE = Bounds(10, 100_000, integer=True)  # particles per generation
MAX_GENERATIONS = Bounds(1, 1_000, integer=True)
REPLICATIONS = Bounds(1, 100, integer=True)  # seeds per particle (cities per batch)
BATCH_SIZE = Bounds(1, 4_096, integer=True)  # particles simulated together on one city
SEED = Bounds(0, 2**32 - 1, integer=True)  # numpy's global generator (pyabc's) takes 32 bits
LOG_SD = Bounds(above=0, high=10)


class Role(StrEnum):
    """Whether a target enters the likelihood (``fitted``), is predicted out of sample
    (``held_out``), or is a figure a fitted one implies, reported beside it (``check``)."""

    fitted = "fitted"
    held_out = "held_out"
    check = "check"


class Observable(StrEnum):
    """The people an event reports (:data:`strikesim.studies.observables.OBSERVABLES`)."""

    marchers = "marchers"
    striking_workers = "striking_workers"
    walkouts = "walkouts"
    boycott = "boycott"


assert tuple(Observable) == OBSERVABLES  # one list of observables, declared by observables.py


@dataclass
class Target:
    """One published figure: which event and observable, the value, its range, its role.

    ``event`` is typed Any on purpose (OmegaConf's str would turn ``7`` into ``"7"``);
    ``range`` is checked by :func:`check_open_range` (a list of two numbers or nulls).
    ``log_sd``: the figure's uncertainty on a log scale; by default the range read as a central
    90% interval (two-sided), or the spec's ``bound_log_sd`` (one-sided).
    """

    event: Any = MISSING
    observable: Observable = MISSING
    observed: float = MISSING
    range: Any = field(
        default=MISSING, metadata={ALLOWED: "[low, high]; a null end for a one-sided figure"}
    )
    role: Role = Role.fitted
    log_sd: Any = field(default=None, metadata={ALLOWED: "null or a number > 0 and <= 10"})
    source: str = ""


class Bound(NamedTuple):
    """A published range; ``None`` for an open end."""

    low: float | None
    high: float | None


@dataclass
class CalibrationSpec:
    """A calibration study: what to run, which parameters, which targets, the ABC-SMC settings.

    ``name`` is typed Any on purpose: OmegaConf's str would turn ``7`` into ``"7"``; it names the
    study and its folder, so :func:`~strikesim.studies.spec_files.check_name` takes only text.
    ``runs``: each a list of overrides after ``base``; a particle is simulated once per run and
    replication, and the events of all runs together are what targets can name.
    ``parameters``: schema keys or patterns (``behavior.*``) of keys that declare a prior.
    ``targets`` holds :class:`Target` after loading (typed Any for OmegaConf, loaded one by one).
    ``source`` is where the spec came from; a file may not set it.
    """

    name: Any = MISSING
    description: str = MISSING
    base: list[str] = field(
        default=MISSING, metadata={ALLOWED: "a list of strings, e.g. [population=small]"}
    )
    runs: list[list[str]] = field(
        default_factory=lambda: [[]],
        metadata={ALLOWED: "a list of override lists, e.g. [[scenario=ice_out_2026]]"},
    )
    parameters: list[str] = field(
        default=MISSING, metadata={ALLOWED: "a list of schema keys or patterns, e.g. [behavior.*]"}
    )
    targets: list[Any] = field(
        default=MISSING, metadata={ALLOWED: "a list of mappings with event, observable, ..."}
    )
    bound_log_sd: float = field(default=0.2, metadata={BOUNDS: LOG_SD})
    replications: int = field(default=1, metadata={BOUNDS: REPLICATIONS})
    population_size: int = field(default=200, metadata={BOUNDS: POPULATION_SIZE})
    max_generations: int = field(default=20, metadata={BOUNDS: MAX_GENERATIONS})
    batch_size: int = field(default=64, metadata={BOUNDS: BATCH_SIZE})
    seed: int = field(default=0, metadata={BOUNDS: SEED})
    source: str = field(default="", metadata={INTERNAL: True})  # the file it came from


@dataclass(frozen=True)
class Prior:
    """A parameter's prior from the schema: uniform on ``[low, high]``; ``integer`` keys are
    drawn on ``[low - 0.5, high + 0.5]`` and rounded, so each integer is equally likely."""

    key: str
    low: float
    high: float
    integer: bool

    @property
    def support(self) -> tuple[float, float]:
        """Where the continuous draw lives (what pyabc samples and perturbs)."""
        pad = 0.5 if self.integer else 0.0
        return self.low - pad, self.high + pad

    def value(self, draw: float) -> float | int:
        """The config value of a continuous draw (rounded to the nearest integer for ints)."""
        if self.integer:
            return int(min(max(round(draw), self.low), self.high))
        return float(draw)


def spec_names() -> list[str]:
    """The specs shipped in ``scenarios/calibration/``."""
    return sorted(
        p.name.removesuffix(".yaml")
        for p in files(SPEC_PACKAGE).iterdir()
        if p.name.endswith(".yaml")
    )


def schema_priors(patterns: list[str], where: str = "parameters") -> dict[str, Prior]:
    """The priors of the schema keys ``patterns`` name, in schema order.

    Why from the schema: ``param(..., prior=(low, high))`` in :mod:`strikesim.config` is where a
    value is declared uncertain, with its range; a hand-copied list would drift from it. A pattern
    that matches no key with a prior is refused, naming the keys that have one.
    """
    with_prior = [k for k in schema_keys() if k.meta.get("prior") is not None]
    chosen: dict[str, Prior] = {}
    for n, pattern in enumerate(patterns):
        matched = [k for k in with_prior if fnmatch.fnmatchcase(k.key, pattern)]
        if not matched:
            raise ConfigError(
                f"{where}[{n}]={pattern!r} names no schema key with a prior; allowed: "
                + ", ".join(k.key for k in with_prior)
            )
        for k in matched:
            low, high = k.meta["prior"]
            chosen[k.key] = Prior(k.key, float(low), float(high), k.kind == "int")
    order = [k.key for k in with_prior]
    return dict(sorted(chosen.items(), key=lambda item: order.index(item[0])))


def load_spec(
    name_or_path: str,
    *,
    options: dict[str, int] | None = None,
    extra: list[str] | tuple[str, ...] = (),
) -> CalibrationSpec:
    """A shipped spec by name, or a YAML file; ConfigError with one line on bad input.

    ``options`` (command-line choices such as ``population_size``) replace the spec's keys;
    ``extra`` overrides are appended to ``base`` (they apply to every run), so the spec records
    everything the study ran with.
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
    chosen = {k: v for k, v in (options or {}).items() if v is not None}
    spec = load_structured(CalibrationSpec, [raw, chosen], source)
    spec.source = source
    spec.base = [*spec.base, *extra]
    validate_spec(spec)
    return spec


def load_targets(spec: CalibrationSpec, where: str) -> list[Target]:
    """Each target mapping as a :class:`Target`, its range checked; one line naming it if bad."""
    targets = []
    for n, raw in enumerate(spec.targets):
        key = f"{where}: targets[{n}]"
        if isinstance(raw, Target):
            target = raw
        elif isinstance(raw, dict):
            target = load_structured(Target, [raw], key)
        else:
            raise ConfigError(f"{key}={raw!r}; allowed: a mapping with event, observable, ...")
        if not isinstance(target.event, str) or not target.event:
            raise ConfigError(f"{key}.event={target.event!r}; allowed: an event name (text)")
        bound = check_open_range(target.range, f"{key}.range")
        target.range = list(bound)
        if target.log_sd is not None:
            LOG_SD.check(target.log_sd, f"{key}.log_sd")
        if not _finite_positive(target.observed):
            raise ConfigError(f"{key}.observed={target.observed!r}; allowed: a number > 0")
        inside = (bound.low is None or bound.low <= target.observed) and (
            bound.high is None or target.observed <= bound.high
        )
        if not inside:
            raise ConfigError(
                f"{key}.observed={target.observed:g} lies outside its range {list(bound)}; "
                "allowed: low <= observed <= high"
            )
        targets.append(target)
    return targets


def _finite_positive(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < math.inf


def check_open_range(value: object, key: str) -> Bound:
    """``[low, high]`` with ``null`` for an open end (not both), each end > 0, low < high."""
    ends = list(value) if isinstance(value, list | tuple) else []
    ok = (
        len(ends) == 2
        and any(e is not None for e in ends)
        and all(e is None or _finite_positive(e) for e in ends)
        and (None in ends or ends[0] < ends[1])
    )
    if not ok:
        raise ConfigError(
            f"{key}={value!r}; allowed: [low, high] of numbers > 0 with low < high, "
            "one of them null for a one-sided figure"
        )
    return Bound(*(None if e is None else float(e) for e in ends))


def target_log_sd(spec: CalibrationSpec, target: Target) -> float:
    """The target's uncertainty on a log scale (see :class:`Target`)."""
    if target.log_sd is not None:
        return float(target.log_sd)
    low, high = target.range
    if low is None or high is None:
        return spec.bound_log_sd
    return math.log(high / low) / (2 * Z90)


def target_key(target: Target) -> str:
    """The name of a target's summary statistic in pyabc's records: ``event.observable``."""
    return f"{target.event}.{target.observable}"


def validate_spec(spec: CalibrationSpec) -> None:
    """Check what types cannot say, and that every run composes and reports every target.

    Composes each run at both ends of every prior (a bad key or a range outside the schema's is
    refused before the study starts, not in its first generation), then runs each once on the
    1,000-person town to list the events it reports.
    """
    where = spec.source or spec.name
    check_name(spec.name, f"{where}: name")
    check_bounds(spec, where)
    if not spec.runs:
        raise ConfigError(f"{where}: runs is empty; allowed: at least one list of overrides")
    if not spec.parameters:
        raise ConfigError(f"{where}: parameters is empty; allowed: at least one schema key")
    priors = schema_priors(list(spec.parameters), f"{where}: parameters")
    targets = spec.targets = load_targets(spec, where)
    if not any(t.role is Role.fitted for t in targets):
        raise ConfigError(f"{where}: targets has no fitted target; allowed: at least one")
    seen: set[tuple[str, tuple[float | None, ...]]] = set()
    fitted: set[str] = set()
    for n, t in enumerate(targets):
        key = target_key(t)
        if (key, tuple(t.range)) in seen or (t.role is Role.fitted and key in fitted):
            raise ConfigError(
                f"{where}: targets[{n}] repeats {key}; allowed: each event and observable "
                "fitted once (a held-out or check row may repeat it with another range)"
            )
        seen.add((key, tuple(t.range)))
        if t.role is Role.fitted:
            fitted.add(key)
    bases = compose_configs([[*spec.base, *run] for run in spec.runs])
    for config in bases:
        if config.behavior.posterior:
            raise ConfigError(
                f"{where}: the runs draw behaviour from the recorded posterior "
                f"behavior.posterior={config.behavior.posterior!r}; allowed: "
                "behavior.posterior='' in base (a calibration sets the behaviour itself)"
            )
        check_prior_ends(config, priors, where)
    probes = compose_configs([[*spec.base, *run, *PROBE] for run in spec.runs])
    reported: set[tuple[str, str]] = set()
    for result in simulate_many(probes):
        reported |= set(observe(result))
    events = sorted({event for event, _ in reported})
    for n, t in enumerate(targets):
        if t.event not in events:
            raise ConfigError(
                f"{where}: targets[{n}].event={t.event!r} is not an event of the runs; "
                f"allowed: {', '.join(events)}"
            )


def prior_centres(priors: dict[str, Prior]) -> dict[str, float | int]:
    """Each key's value at the middle of its prior."""
    return {k: p.value(sum(p.support) / 2) for k, p in priors.items()}


def check_prior_ends(config: StrikeConfig, priors: dict[str, Prior], where: str) -> None:
    """Refuse, in one line, a prior the model cannot run at: each key at each end of its prior,
    the others at their centres, must validate.

    Why not every key at its ends at once: the box of priors has corners the model refuses by
    design (a group's mean threshold, ``threshold_mean`` plus its shifts, below 0.01); the
    calibration's prior is the box truncated to valid draws
    (:class:`strikesim.studies.calibrate.ValidPrior`). A key whose own end fails is a
    declaration error, caught here before any work.
    """
    centres = prior_centres(priors)
    try:
        with_values(config, centres)
    except ConfigError as exc:
        raise ConfigError(f"{where}: at the prior centres: {exc}") from None
    for key, p in priors.items():
        for end in p.support:
            value = p.value(end)
            try:
                with_values(config, {**centres, key: value})
            except ConfigError as exc:
                raise ConfigError(
                    f"{where}: {key}={value!r} (an end of its prior, the others at their "
                    f"centres): {exc}"
                ) from None


def with_values(config: StrikeConfig, values: dict[str, float | int]) -> StrikeConfig:
    """``config`` with dotted keys set to values, validated; ~1,000x faster than composing.

    A calibration sets a few numbers on thousands of configs that differ in nothing else;
    Hydra's compose costs milliseconds each, a dataclass replace microseconds.
    """
    sections: dict[str, dict[str, float | int]] = {}
    top: dict[str, Any] = {}
    for key, value in values.items():
        section, _, leaf = key.partition(".")
        if leaf:
            sections.setdefault(section, {})[leaf] = value
        else:
            top[section] = value
    for section, leaves in sections.items():
        top[section] = replace(getattr(config, section), **leaves)
    return validate(replace(config, **top))
