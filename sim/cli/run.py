"""``strikesim [overrides]``: one run, composed, simulated in memory, then published.

The run folder (``hydra.run.dir``) is written through a fresh staging folder
(:func:`strikesim.results.publish_folder`): bad input gets one line and exit code 2 before
anything is written, and a failed or stopped run leaves nothing behind and removes nothing it did
not create.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from strikesim import results
from strikesim.cli.messages import guarded
from strikesim.compose import compose_run


def overrides_of(args: Sequence[str]) -> list[str]:
    """The overrides among Hydra's printing options (``--cfg job``, ``-p PACKAGE`` take a value)."""
    takes_value = {"--cfg", "-c", "-p", "--package"}
    return [
        a
        for i, a in enumerate(args)
        if not a.startswith("-") and not (i and args[i - 1] in takes_value)
    ]


def run_once(args: Sequence[str]) -> int:
    """``strikesim [overrides]``: compose, simulate in memory, then publish the run folder."""
    from strikesim.run import publish_run, report, simulate
    from strikesim.viz.turnout import save_turnout_plot

    folder: list[Path] = []  # the run's folder, once composed

    def work() -> int:
        config, run_folder = compose_run(args)
        folder.append(run_folder)
        results.refuse_existing(run_folder, "hydra.run.dir")
        result = simulate(config)
        publish_run(result, run_folder, figures=[save_turnout_plot])
        print(report(result.summary, run_folder), flush=True)
        return 0

    return guarded(work, lambda: folder[0] if folder else None)
