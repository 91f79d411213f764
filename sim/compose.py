"""Configs from overrides: Hydra's compose API, the schema's validation, one-line errors.

This is the library's way in: ``compose_config(["population=small", "seed=3"])`` gives the
validated :class:`~strikesim.config.StrikeConfig` a command line with those overrides would run,
``compose_run`` also its folder, and ``check_jobs`` validates every job of a sweep quickly. Any
bad input raises :class:`~strikesim.config.ConfigError` whose message is one line naming the key,
the value and what is allowed — the command line prints it; a script can catch it.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Sequence
from dataclasses import dataclass, fields, is_dataclass, replace
from pathlib import Path
from typing import get_type_hints

from hydra import compose, initialize_config_module
from hydra.core.config_store import ConfigStore
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override, OverrideType
from hydra.errors import HydraException, MissingConfigException
from omegaconf import DictConfig, OmegaConf, open_dict
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException

from strikesim.config import ConfigError, StrikeConfig, register_schema, validate

CONFIG_MODULE = "strikesim.conf"
RUNS_ROOT = Path("results/runs")
# the hydra.* overrides a user may give: where results go, and which launcher runs a sweep
RUN_HYDRA_KEYS = ("hydra.run.dir",)
SWEEP_HYDRA_KEYS = ("hydra.sweep.dir", "hydra/launcher", "hydra.launcher.")


@dataclass
class SweeperConfig:
    """``hydra/sweeper: strikesim`` (:mod:`strikesim.studies.sweeper`), the default sweeper.

    ``params``: an experiment preset's swept overrides; ``batch_size``: tasks per launch.
    """

    _target_: str = "hydra_plugins.strikesim_sweeper.StrikeSweeper"
    params: dict[str, str] | None = None
    batch_size: int = 1000


register_schema()
ConfigStore.instance().store(
    group="hydra/sweeper", name="strikesim", node=SweeperConfig, provider="strikesim"
)


def check_hydra_overrides(args: Sequence[str], allowed: Sequence[str], mode: str) -> None:
    """Refuse ``hydra.*`` overrides other than ``allowed`` (prefixes): strikesim owns the rest.

    Hydra's folder keys decide where files are written and removed; a sweep's job subfolders,
    output subfolders and working directory are strikesim's to choose, so that it can prove
    which folders it made.
    """
    for arg in args:
        key = arg.lstrip("+~").split("=", 1)[0]
        if key.startswith(("hydra.", "hydra/")) and not key.startswith(tuple(allowed)):
            keys = ", ".join(a.rstrip(".") for a in allowed)
            raise ConfigError(f"{key} cannot be set for {mode}; allowed: {keys}")


def to_config(cfg: DictConfig, overrides: Sequence[str] = ()) -> StrikeConfig:
    """Typed, validated config from Hydra's composed DictConfig (without its ``hydra`` node),
    with the posterior keys that ``overrides`` set pinned (:func:`pin_overrides`)."""
    node = cfg
    if "hydra" in cfg:  # composed with return_hydra_config: drop it, keep the schema's type
        node = copy.deepcopy(cfg)
        with open_dict(node):
            del node["hydra"]
    _reject_unknown_keys(node, StrikeConfig(), "")
    config = pin_overrides(validate(OmegaConf.to_object(node)), overrides)
    check_draw(config)
    return config


def check_draw(config: StrikeConfig) -> None:
    """Refuse, before any work, a config whose own posterior draw is invalid.

    Each key is valid alone, and each posterior row is, but a pinned key meets the draw's other
    keys only at run time: ``behavior.threshold_mean=0.15`` with a draw's two negative threshold
    shifts gives a group a mean below 0. Checked here for the seed's draw, so the command refuses
    at once, with the error line of the combination and the draw named.
    """
    from strikesim.draws import resolve

    if not config.behavior.posterior:
        return
    try:
        resolve(config)
    except ConfigError as exc:
        raise ConfigError(
            f"{exc} (with the keys of posterior {config.behavior.posterior!r} drawn for seed "
            f"{config.seed}; behavior=default runs the values as given)"
        ) from None


def pin_overrides(config: StrikeConfig, overrides: Sequence[str]) -> StrikeConfig:
    """``config`` with every posterior key that ``overrides`` set added to ``behavior.pinned``.

    Why: with ``behavior.posterior`` on (the shipped behaviour) every run draws the calibrated
    keys from the posterior, which would silently replace a value the user typed. A key the user
    sets is what they want to hold fixed — "union_call 0.3, everything else as uncertain as the
    record leaves it" — so it is pinned, and the run's ``config.yaml`` records that it was.
    """
    from strikesim.scenarios.posteriors import posterior_keys

    name = config.behavior.posterior
    if not name:  # nothing is drawn, nothing to pin: a preset's pins mean nothing here
        pinned = []
    else:
        drawn = set(posterior_keys(name))
        typed = [o.lstrip("+").split("=", 1)[0] for o in overrides]
        pinned = list(dict.fromkeys([*config.behavior.pinned, *(k for k in typed if k in drawn)]))
    if pinned == config.behavior.pinned:
        return config
    # no validation again: ``config`` was valid, and every added key is one of the posterior's
    return replace(config, behavior=replace(config.behavior, pinned=pinned))


def _reject_unknown_keys(node: DictConfig, schema: object, prefix: str) -> None:
    """Keys forced in with Hydra's ``+key=value`` bypass the schema; refuse them by name."""
    allowed = {f.name: getattr(schema, f.name) for f in fields(schema)}  # type: ignore[arg-type]
    for key in node:
        if key not in allowed:
            raise ConfigError(
                f"unknown config key {prefix + str(key)!r}; allowed: {', '.join(allowed)}"
            )
        if is_dataclass(allowed[key]) and isinstance(node[key], DictConfig):
            _reject_unknown_keys(node[key], allowed[key], f"{prefix}{key}.")


def config_groups() -> dict[str, list[str]]:
    """Each config group (folder of ``conf/``) and its preset names."""
    from importlib.resources import files

    root = files(CONFIG_MODULE)
    return {
        d.name: sorted(
            f.name.removesuffix(".yaml") for f in d.iterdir() if f.name.endswith(".yaml")
        )
        for d in sorted(root.iterdir(), key=lambda p: p.name)
        if d.is_dir() and not d.name.startswith("_")
    }


def compose_config(overrides: Sequence[str]) -> StrikeConfig:
    """Compose and validate like a run would; raise ConfigError with one line on bad input."""
    return compose_configs([overrides])[0]


def check_overrides(overrides: Sequence[str]) -> list[Override]:
    """Parse command-line overrides with Hydra's grammar; ConfigError names the bad one."""
    parser = OverridesParser.create()
    parsed = []
    for line in overrides:
        try:
            (override,) = parser.parse_overrides([line])
        except HydraException as exc:
            raise ConfigError(_parse_error(exc)) from None
        except ValueError:  # Python refuses to read integers of more than ~4,300 digits
            key = line.split("=", 1)[0]
            raise ConfigError(
                f"{key}: a number of more than {sys.get_int_max_str_digits():,} digits; "
                "allowed: see 'strikesim --help' for its range"
            ) from None
        if not override.key_or_group:
            raise ConfigError(f"{override.input_line!r} has no key; allowed: KEY=VALUE")
        if override.is_delete():
            raise ConfigError(
                f"{override.input_line!r} would remove {override.key_or_group!r} and fall back "
                "to the schema's placeholders; allowed: KEY=VALUE or GROUP=PRESET"
            )
        parsed.append(override)
    return parsed


def _parse_error(exc: BaseException) -> str:
    """Hydra's grammar error in one line, with the hint it lacks for spaces and non-ASCII."""
    text = str(exc).strip()
    first = text.splitlines()[0]
    if "Lexer" in text or "token recognition error" in text or "mismatched input" in text:
        first = (
            f"could not parse the override ({first}); allowed: KEY=VALUE, with values that hold "
            "spaces or non-ASCII characters in quotes: KEY='a value'"
        )
    return first


def compose_run(overrides: Sequence[str]) -> tuple[StrikeConfig, Path]:
    """The validated config of one run and its folder (``hydra.run.dir``), nothing written.

    The default folder is under ``results/runs/``; the scenario name in it is validated first,
    so it cannot lead out of that root. A folder the user names is theirs to choose, under the
    same rules (it must be new or empty).
    """
    check_hydra_overrides(overrides, RUN_HYDRA_KEYS, "a single run")
    check_overrides(overrides)
    with initialize_config_module(CONFIG_MODULE, version_base="1.3"):
        try:
            cfg = compose("config", overrides=list(overrides), return_hydra_config=True)
            config = to_config(cfg, overrides)
            folder = Path(str(cfg.hydra.run.dir))
        except (HydraException, OmegaConfBaseException) as exc:
            raise ConfigError(explain(exc)) from None
    named = any(o.split("=", 1)[0] == "hydra.run.dir" for o in overrides)
    if not named and (folder.parent != RUNS_ROOT or ".." in folder.name.split("_")):
        raise ConfigError(
            f"the run folder {str(folder)!r} is not a folder in {RUNS_ROOT}/; allowed: a "
            "scenario.name without '/' or '..', or an explicit hydra.run.dir"
        )
    return config, folder


def compose_configs(override_lists: Sequence[Sequence[str]]) -> list[StrikeConfig]:
    """Compose many configs under one Hydra initialization (it costs more than a compose)."""
    configs = []
    with initialize_config_module(CONFIG_MODULE, version_base="1.3"):
        for overrides in override_lists:
            check_overrides(overrides)
            try:
                cfg = compose("config", overrides=list(overrides))
                configs.append(to_config(cfg, overrides))
            except (HydraException, OmegaConfBaseException) as exc:
                raise ConfigError(explain(exc)) from None
    return configs


def explain(exc: BaseException) -> str:
    """One line for a Hydra/OmegaConf composition error: the key, the value, what is allowed."""
    if isinstance(exc, MissingConfigException) and exc.missing_cfg_file:
        group, _, name = exc.missing_cfg_file.rpartition("/")
        allowed = config_groups().get(group) or exc.options or []
        return f"{group}={name!r} is unknown; allowed: {', '.join(allowed)}"
    cause: BaseException | None = exc
    while cause is not None and not isinstance(cause, OmegaConfBaseException):
        cause = cause.__cause__
    if isinstance(cause, OmegaConfBaseException):
        key = getattr(cause, "full_key", None) or ""
        siblings = schema_fields(key)
        name = key.rpartition(".")[2]
        if isinstance(cause, ConfigAttributeError | ConfigKeyError) or name not in siblings:
            return f"unknown config key {key!r}; allowed: {', '.join(siblings)}"
        wanted = getattr(siblings[name], "__name__", str(siblings[name]))
        return f"{key}={cause.value!r} has the wrong type; allowed: a value of type {wanted}"
    return str(exc).strip().splitlines()[0]


def schema_fields(key: str) -> dict[str, object]:
    """Name -> type of the schema fields beside ``key`` (``weather.x`` -> WeatherConfig's)."""
    node: object = StrikeConfig()
    for part in key.split(".")[:-1]:
        child = getattr(node, part, None)
        if not is_dataclass(child):
            break
        node = child
    hints = get_type_hints(type(node))
    return {f.name: hints[f.name] for f in fields(node)}  # type: ignore[arg-type]


def check_jobs(jobs: Sequence[Sequence[str]]) -> None:
    """Validate every job of a sweep, before anything is written; ConfigError on the first bad one.

    Jobs that differ only in ``seed`` are validated once (see :func:`compose_jobs`), and every
    seed on its own against the schema's range.
    """
    checked: set[tuple[str, ...]] = set()
    distinct = []
    for job in jobs:
        parsed = check_overrides(job)
        for override in parsed:
            if override.get_key_element() == "seed" and not override.is_sweep_override():
                _check_seed(override.value())
        identity = tuple(o.input_line for o in parsed if o.get_key_element() != "seed")
        if identity not in checked:
            checked.add(identity)
            distinct.append(job)
    compose_jobs(distinct)


def compose_jobs(jobs: Sequence[Sequence[str]]) -> list[StrikeConfig]:
    """Each job's validated config, fast: what ``compose_config`` gives, for many jobs.

    Composing costs ~0.1 s, so each distinct set of structural overrides (config groups, ``+``
    and ``~``) is composed once and each job's plain ``key=value`` changes are applied to a copy
    (~3 ms), the way Hydra applies them.
    """
    groups = set(config_groups())
    bases: dict[tuple[str, ...], DictConfig] = {}
    configs = []
    with initialize_config_module(CONFIG_MODULE, version_base="1.3"):
        for job in jobs:
            try:
                parsed = check_overrides(job)
                changes = [o for o in parsed if _is_value_change(o, groups)]
                structural = tuple(o.input_line for o in parsed if o not in changes)
                if structural not in bases:
                    bases[structural] = compose("config", overrides=list(structural))
                cfg = copy.deepcopy(bases[structural])
                for o in changes:
                    OmegaConf.update(cfg, o.get_key_element(), o.value(), merge=True)
                configs.append(to_config(cfg, job))
            except (HydraException, OmegaConfBaseException) as exc:
                raise ConfigError(explain(exc)) from None
    return configs


def _is_value_change(override: Override, groups: set[str]) -> bool:
    """``key=value`` on a config key (not a group choice, an addition or a deletion)."""
    key = override.get_key_element()
    return (
        override.type == OverrideType.CHANGE
        and override.package is None
        and "/" not in key
        and key not in groups
    )


def _check_seed(value: object) -> None:
    meta = next(f.metadata for f in fields(StrikeConfig) if f.name == "seed")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"seed={value!r} has the wrong type; allowed: an integer")
    if not meta["low"] <= value <= meta["high"]:
        raise ConfigError(
            f"seed={value} is out of range; allowed: {meta['low']} to {meta['high']:,}"
        )
