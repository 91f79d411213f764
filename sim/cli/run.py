"""``strikesim [overrides]``: one run, composed, simulated in memory, then published.

The run folder (``hydra.run.dir``) is written through a fresh staging folder
(:func:`strikesim.results.publish_folder`): bad input gets one line and exit code 2 before
anything is written, and a failed or stopped run leaves nothing behind and removes nothing it did
not create.
"""

from __future__ import annotations

from collections.abc import Sequence

from strikesim import results
from strikesim.cli.messages import bad_input, interrupted, out_of_space
from strikesim.compose import compose_run
from strikesim.config import ConfigError


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

    folder = None
    try:
        config, folder = compose_run(args)
        results.refuse_existing(folder, "hydra.run.dir")
        result = simulate(config)
        publish_run(result, folder, figures=[save_turnout_plot])
        print(report(result.summary, folder), flush=True)
    except ConfigError as exc:
        return bad_input(exc)
    except OSError as exc:
        if results.is_out_of_space(exc):
            return out_of_space(exc)
        raise
    except KeyboardInterrupt as exc:
        saved = folder is not None and results.is_finished(folder)
        return interrupted(exc, f"the run is saved in {folder}" if saved else "nothing was written")
    return 0
