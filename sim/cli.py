"""The ``strikesim`` command: subcommands by first word, otherwise a Hydra run or sweep.

``strikesim [overrides]`` and ``strikesim -m [sweep overrides]`` go to Hydra. Before Hydra starts,
the overrides are composed and validated here ("preflight"), so that bad input gets one clear line
on stderr and exit code 2 — and Hydra never creates a run folder for a run that cannot start.
"""

from __future__ import annotations

import importlib
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import get_type_hints

import hydra
from hydra import compose, initialize_config_module
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException, MissingConfigException
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException

from strikesim import results
from strikesim.config import ConfigError, StrikeConfig, register_schema, schema_help, validate

CONFIG_MODULE = "strikesim.conf"
EXIT_BAD_INPUT = 2
MAX_CHECKED_VALUES = 50

# name -> (module, function); the function takes the remaining argv and returns an exit code
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "compare": ("strikesim.compare", "main"),
    "sensitivity": ("strikesim.sensitivity", "main"),
    "demo": ("strikesim.demo.server", "main"),
    "animate": ("strikesim.animate", "main"),
    "calibrate": ("strikesim.calibrate", "main"),
    "attribute": ("strikesim.attribute", "main"),
}

register_schema()


def bad_input(error: object) -> int:
    """Report bad input the one way every command does: one line on stderr; the exit code."""
    print(f"strikesim: config error: {error}", file=sys.stderr)
    return EXIT_BAD_INPUT


def to_config(cfg: DictConfig) -> StrikeConfig:
    """Typed, validated config from Hydra's composed DictConfig (without its ``hydra`` node)."""
    node = OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"]) if "hydra" in cfg else cfg
    _reject_unknown_keys(node, StrikeConfig(), "")
    return validate(OmegaConf.to_object(node))


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


def compose_configs(override_lists: Sequence[Sequence[str]]) -> list[StrikeConfig]:
    """Compose many configs under one Hydra initialization (it costs more than a compose)."""
    configs = []
    with initialize_config_module(CONFIG_MODULE, version_base="1.3"):
        for overrides in override_lists:
            try:
                configs.append(to_config(compose("config", overrides=list(overrides))))
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
        siblings = _schema_fields(key)
        name = key.rpartition(".")[2]
        if isinstance(cause, ConfigAttributeError | ConfigKeyError) or name not in siblings:
            return f"unknown config key {key!r}; allowed: {', '.join(siblings)}"
        wanted = getattr(siblings[name], "__name__", str(siblings[name]))
        return f"{key}={cause.value!r} has the wrong type; allowed: a value of type {wanted}"
    return str(exc).strip().splitlines()[0]


def _schema_fields(key: str) -> dict[str, object]:
    """Name -> type of the schema fields beside ``key`` (``weather.x`` -> WeatherConfig's)."""
    node: object = StrikeConfig()
    for part in key.split(".")[:-1]:
        child = getattr(node, part, None)
        if not is_dataclass(child):
            break
        node = child
    hints = get_type_hints(type(node))
    return {f.name: hints[f.name] for f in fields(node)}  # type: ignore[arg-type]


def preflight(argv: Sequence[str]) -> None:
    """Validate every job a command line would run, before Hydra creates any folder.

    A sweep is checked value by value (each swept key at each of its values, the others at their
    first), so a bad value anywhere in the sweep is caught before the first job starts. Long
    sweeps (``seed=range(0,1000)``) are checked at their first and last values only.
    """
    args = [a for a in argv if not a.startswith("-")]
    try:
        parsed = OverridesParser.create().parse_overrides(args)
    except HydraException as exc:
        raise ConfigError(str(exc).strip().splitlines()[0]) from None
    base, sweeps = [], []
    for override in parsed:
        if override.is_sweep_override():
            values = list(override.sweep_string_iterator())
            sweeps.append((override.get_key_element(), values))
            base.append(f"{override.get_key_element()}={values[0]}")
        else:
            base.append(override.input_line)
    jobs = [base]
    for key, values in sweeps:
        others = [b for b in base if not b.startswith(f"{key}=")]
        checked = values if len(values) <= MAX_CHECKED_VALUES else [values[0], values[-1]]
        jobs += [[*others, f"{key}={value}"] for value in checked[1:]]
    compose_configs(jobs)


@hydra.main(config_path="pkg://strikesim.conf", config_name="config", version_base="1.3")
def hydra_app(cfg: DictConfig) -> float | None:
    """One Hydra job: simulate, write the run folder, print the report (a sweep's job: sweep.py)."""
    from strikesim.run import report, save_run, simulate

    if HydraConfig.get().mode == RunMode.MULTIRUN:
        from strikesim.sweep import run_job

        return run_job(cfg)
    folder = Path(HydraConfig.get().runtime.output_dir)
    try:
        result = simulate(to_config(cfg))
        save_run(result, folder)
    except BaseException as exc:  # bad input, a bug or Ctrl-C: leave no half-written folder
        if not results.is_finished(folder):
            shutil.rmtree(folder, ignore_errors=True)
        if not isinstance(exc, ConfigError):
            raise
        raise SystemExit(bad_input(exc)) from None
    print(report(result.summary, folder), flush=True)
    return float(result.summary["marchers"])


def usage() -> str:
    groups = "\n".join(f"  {g}: {', '.join(opts)}" for g, opts in config_groups().items())
    subs = "\n".join(f"  strikesim {name} --help" for name in SUBCOMMANDS) or "  (none yet)"
    return f"""usage: strikesim [KEY=VALUE ...]            run one scenario (Hydra overrides)
       strikesim -m [KEY=V1,V2 ...]          sweep (Hydra multirun)
       strikesim SUBCOMMAND [ARGS ...]

examples:
  strikesim                                        the Ice Out strike of 13 Feb 2026
  strikesim scenario=day_of_truth_2026_01_23 seed=7 weather.temperature_f=35
  strikesim coalition=narrow population=small
  strikesim -m weather.temperature_f=-20,0,10,30 seed=0,1,2

subcommands:
{subs}

config groups (choose with GROUP=NAME):
{groups}

config keys (override with KEY=VALUE; values of the default run shown):
{schema_help(compose_config([]))}

Hydra's own options: strikesim --hydra-help"""


def _load(name: str) -> Callable[[list[str]], int]:
    module, func = SUBCOMMANDS[name]
    return getattr(importlib.import_module(module), func)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``strikesim`` console script and ``python -m strikesim``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in SUBCOMMANDS:
        return _load(args[0])(args[1:])
    if args and args[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    from strikesim import sweep

    if sweep.is_multirun(args):  # our runner: resumable folder, failures reported as they happen
        return sweep.run_sweep(args, hydra_app)
    if not any(a.startswith("--") for a in args):  # --cfg, --info etc. are Hydra's own business
        try:
            preflight(args)
        except ConfigError as exc:
            return bad_input(exc)
    sys.argv = ["strikesim", *args]
    hydra_app()
    return 0
