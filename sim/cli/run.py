"""``strikesim [overrides]``: one run, composed, simulated in memory, then published.

The run folder (``hydra.run.dir``) is written through a fresh staging folder
(:func:`strikesim.results.publish_folder`): bad input gets one line and exit code 2 before
anything is written, and a failed or stopped run leaves nothing behind and removes nothing it did
not create.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

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
    from strikesim.run import publish_run, report, simulate_with_interval

    folder: list[Path] = []  # the run's folder, once composed

    def work() -> int:
        config, run_folder = compose_run(args)
        folder.append(run_folder)
        results.refuse_existing(run_folder, "hydra.run.dir")
        turnout = import_meanwhile("strikesim.viz.turnout")
        result = simulate_with_interval(config)
        publish_run(result, run_folder, figures=[turnout().save_turnout_plot])
        print(report(result.summary, run_folder), flush=True)
        return 0

    return guarded(work, lambda: folder[0] if folder else None)


def import_meanwhile(name: str) -> Callable[[], ModuleType]:
    """Start importing module ``name`` in a thread; the function returned waits and gives it.

    The run's figure needs matplotlib (0.3-0.5 s to import), the simulation does not: imported
    while numpy simulates the city (releasing the GIL in its array work), it adds little to the
    command's wall time. An import that fails in the thread is done again by the caller, where
    its error is raised as usual.
    """

    def load() -> None:
        with contextlib.suppress(Exception):
            importlib.import_module(name)

    thread = threading.Thread(target=load, name=f"import {name}", daemon=True)
    thread.start()

    def wait() -> ModuleType:
        thread.join()
        return importlib.import_module(name)

    return wait
