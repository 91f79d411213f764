"""``strikesim -m ...``: plan and check the sweep, then let Hydra run it with our sweeper.

The sweep itself — folder, lock, staging, resume, index — is :mod:`strikesim.studies.sweep`,
driven inside Hydra by :mod:`strikesim.studies.sweeper`; this is the command around it: every job
checked before anything is written, and one line and an exit code for bad input, a stop or a
full disk.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hydra_plugins.strikesim_sweeper import register
from strikesim import results
from strikesim.cli.messages import Terminated, bad_input, interrupted, out_of_space
from strikesim.config import ConfigError
from strikesim.studies import sweep


def words_of(args: Sequence[str]) -> list[str]:
    """The overrides of a command line, without its flags."""
    return [a for a in args if not a.startswith("-")]


def run_sweep(args: Sequence[str], launch: Callable[[], Any]) -> int:
    """``strikesim -m ...``: plan, open the folder, let Hydra launch the jobs, write the index."""
    from strikesim.cli import ALLOW_CODE_CHANGE, PLOTS, SWEEP_OPTIONS

    allow_code_change, plots = ALLOW_CODE_CHANGE in args, PLOTS in args
    args = [a for a in args if a not in SWEEP_OPTIONS]
    try:
        plan = sweep.plan_sweep(args)
        if not allow_code_change:
            sweep.check_same_code(plan.folder)
        to_run = sweep.open_sweep(plan, plots=plots)
    except ConfigError as exc:
        return bad_input(exc)
    total, folder = len(plan.jobs), plan.folder
    print(
        f"strikesim: sweep {folder}: {total} jobs, {total - len(to_run)} already finished, "
        f"{len(to_run)} to run",
        flush=True,
    )
    sweep.report_leftovers(folder)
    if not to_run:
        return sweep.finish_sweep(folder)
    register()
    # Hydra's own parser wants its flags before the overrides; nothing else is added
    sys.argv = ["strikesim", *(a for a in args if a.startswith("-")), *words_of(args)]
    try:
        with stop_between_jobs(folder) as stopped:
            launch()
        if stopped:  # the running jobs finished; the others stay pending
            raise stopped[0]
    except SystemExit as exc:  # Hydra gave up (a worker died, a launcher error): keep the index
        sweep.finish_sweep(folder)
        return exc.code if isinstance(exc.code, int) and exc.code else sweep.EXIT_JOBS_FAILED
    except KeyboardInterrupt as exc:
        index = sweep.close_sweep(folder)
        done = int((index["status"] == "done").sum())
        return interrupted(
            exc,
            f"{done} of {len(index)} jobs done (index.csv); run the same command again to resume",
        )
    except (sweep.DiskFull, OSError) as exc:
        error = exc.args[0] if isinstance(exc, sweep.DiskFull) else exc
        if not results.is_out_of_space(error):
            raise
        _finish_if_possible(folder)
        return out_of_space(error)
    return sweep.finish_sweep(folder)


@contextmanager
def stop_between_jobs(folder: Path) -> Iterator[list[KeyboardInterrupt]]:
    """The first Ctrl-C or SIGTERM lets running jobs finish and skips the rest; a second stops now.

    A signal can land anywhere — inside Hydra composing the next job's config, say — and an
    exception raised there leaves Hydra in a state it reports as a config error. So the first
    signal only asks the jobs to stop (:func:`strikesim.studies.sweep.request_stop`); the list
    yielded receives the stop to raise once the launcher returns.
    """
    stopped: list[KeyboardInterrupt] = []

    def handle(signum: int, frame: object) -> None:
        stop = Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()
        if stopped or not sweep.request_stop(folder):
            raise stop
        stopped.append(stop)
        print("strikesim: stopping after the running jobs (again to stop at once)", flush=True)

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stopped
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _finish_if_possible(folder: Path) -> None:
    """Write what can be written of the index on a full disk; resume needs only the plan."""
    try:
        sweep.close_sweep(folder)
    except OSError:
        sweep.unlock(folder)
