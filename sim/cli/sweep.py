"""``strikesim -m ...``: plan and check the sweep, then let Hydra launch its jobs.

The sweep itself — folder, lock, staging, resume, index — is :mod:`strikesim.studies.sweep`;
this is the command around it: one line and an exit code for bad input, a stop or a full disk.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from strikesim import results
from strikesim.cli.messages import bad_input, interrupted, out_of_space
from strikesim.config import ConfigError
from strikesim.studies import sweep


def run_sweep(args: Sequence[str], launch: Callable[[], Any]) -> int:
    """``strikesim -m ...``: plan, open the folder, let Hydra launch the jobs, write the index."""
    try:
        plan = sweep.plan_sweep(args)
        to_run = sweep.open_sweep(plan)
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
    session = sweep.start_session(plan, to_run)
    flags = [a for a in args if a.startswith("-")]
    words = [a for a in args if not a.startswith("-")]
    explicit = any(sweep.key_of(a) == "hydra.sweep.dir" for a in args)
    sys.argv = [  # Hydra's parser wants its flags before the overrides
        "strikesim",
        *flags,
        *words,
        *([] if explicit else [f"hydra.sweep.dir={folder}"]),
        f"hydra.sweep.subdir={sweep.STAGING}/{session}/${{hydra.job.num}}",
    ]
    try:
        launch()
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


def _finish_if_possible(folder: Path) -> None:
    """Write what can be written of the index on a full disk; resume needs only the plan."""
    try:
        sweep.close_sweep(folder)
    except OSError:
        sweep.unlock(folder)
