"""The ``strikesim`` command: subcommands by first word, otherwise one run or a Hydra sweep.

``strikesim [overrides]`` composes the config with Hydra's compose API, validates it, runs the
simulation in memory and only then publishes the run folder (``hydra.run.dir``) through a fresh
staging folder (:func:`strikesim.results.publish_folder`): bad input gets one clear line on stderr
and exit code 2 before anything is written, and a failed or interrupted run leaves nothing behind
and removes nothing it did not create. ``strikesim -m [sweep overrides]`` goes to
:mod:`strikesim.cli.sweep`: every job is checked, then Hydra runs the sweep with strikesim's
sweeper (:mod:`strikesim.studies.sweeper`), which hands unfinished jobs to Hydra's launcher.

Importing this module imports nothing but the standard library: Hydra, the config schema and the
simulation are imported by the path that needs them. The default run's interval worker
(:func:`strikesim.run.simulate_with_interval`, a ``spawn`` process) re-imports the ``strikesim``
script, hence this module, before its own work: what is imported here, it pays again.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from omegaconf import DictConfig

# Hydra's own options that only print (no job runs, no folder is made); any other option is refused
HYDRA_INFO_FLAGS = ("--cfg", "-c", "--info", "-i", "--hydra-help", "--resolve", "-p", "--package")
SWEEP_FLAGS = ("-m", "--multirun")
# strikesim's own sweep options: resume a sweep although the code changed since it started;
# draw each job's turnout.png (a sweep's figures come from `strikesim compare` / `report`)
ALLOW_CODE_CHANGE = "--allow-code-change"
PLOTS = "--plots"
SWEEP_OPTIONS = (ALLOW_CODE_CHANGE, PLOTS)

# name -> (module, function); the function takes the remaining argv and returns an exit code
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "compare": ("strikesim.cli.compare", "main"),
    "sensitivity": ("strikesim.cli.sensitivity", "main"),
    "demo": ("strikesim.cli.demo", "main"),
    "animate": ("strikesim.cli.animate", "main"),
    "calibrate": ("strikesim.cli.calibrate", "main"),
    "attribute": ("strikesim.cli.attribute", "main"),
    "rerun": ("strikesim.cli.rerun", "main"),
    "report": ("strikesim.cli.report", "main"),
}


def hydra_task(cfg: DictConfig) -> list[float | None]:
    """A sweep's task, as Hydra's launcher calls it (single runs do not go through Hydra's app)."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from strikesim.cli.messages import bad_input
    from strikesim.studies.sweep import run_job

    if HydraConfig.get().mode != RunMode.MULTIRUN:  # only Hydra's printing options get here
        raise SystemExit(bad_input("a single run goes through 'strikesim KEY=VALUE ...'"))
    return run_job(cfg)


def hydra_app() -> Any:
    """Hydra's app around :func:`hydra_task`, run on ``sys.argv`` (``@hydra.main``, made on call:
    importing Hydra's app machinery costs ~0.2 s that a single run does not need)."""
    import hydra

    app = hydra.main(config_path="pkg://strikesim.conf", config_name="config", version_base="1.3")
    return app(hydra_task)()


def usage() -> str:
    """``strikesim --help``: commands, examples, config groups and every key with its default."""
    from strikesim.compose import compose_config, config_groups
    from strikesim.config import schema_help

    groups = "\n".join(f"  {g}: {', '.join(opts)}" for g, opts in config_groups().items())
    subs = "\n".join(f"  strikesim {name} --help" for name in SUBCOMMANDS) or "  (none yet)"
    return f"""usage: strikesim [KEY=VALUE ...]            run one scenario (Hydra overrides)
       strikesim -m [KEY=V1,V2 ...]          sweep (Hydra multirun; resumes; --allow-code-change;
                                             --plots: each job's turnout.png too)
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
    from strikesim.cli.messages import bad_input, sigterm_as_interrupt
    from strikesim.cli.run import overrides_of, run_once

    flags = [a for a in args if a.startswith("-")]
    known = (*SWEEP_FLAGS, *SWEEP_OPTIONS, *HYDRA_INFO_FLAGS)
    unknown = [f for f in flags if f.split("=", 1)[0] not in known]
    if unknown:
        return bad_input(
            f"option {unknown[0]!r} is not supported; allowed: KEY=VALUE overrides, "
            f"{', '.join(SWEEP_FLAGS)} [{'] ['.join(SWEEP_OPTIONS)}], "
            f"{', '.join(HYDRA_INFO_FLAGS)}, --help (the config is strikesim's own: to rerun a "
            "run, 'strikesim rerun DIR')"
        )
    for option in set(flags) & set(SWEEP_OPTIONS):
        if not set(flags) & set(SWEEP_FLAGS):
            return bad_input(f"{option} is an option of a sweep; allowed: with -m")
    with sigterm_as_interrupt():
        sweep_flags = {*SWEEP_FLAGS, *SWEEP_OPTIONS}
        if any(f in SWEEP_FLAGS for f in flags) and not set(flags) - sweep_flags:
            from strikesim.cli.sweep import run_sweep

            return run_sweep(args, hydra_app)
        if flags:  # Hydra's printing options (--cfg job, --info): Hydra answers, runs nothing
            from strikesim.compose import compose_run
            from strikesim.config import ConfigError

            try:
                compose_run(overrides_of(args))
            except ConfigError as exc:
                return bad_input(exc)
            sys.argv = ["strikesim", *args]
            hydra_app()
            return 0
        return run_once(args)
