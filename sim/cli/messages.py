"""How the command line reports: bad input, a full disk and a stop, each in one line.

Exit codes: 2 for bad input (nothing was written), 1 for a failure (nothing unfinished was
published), 128 + the signal for Ctrl-C (130) and SIGTERM (143), as shells do.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from strikesim import results
from strikesim.config import ConfigError

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1


def bad_input(error: object) -> int:
    """Report bad input the one way every command does: one line on stderr; the exit code."""
    print(f"strikesim: config error: {error}", file=sys.stderr)
    return EXIT_BAD_INPUT


def out_of_space(error: BaseException) -> int:
    """A write failed for want of disk space: one line, nothing half-written was published."""
    where = getattr(error, "filename", None)
    print(
        f"strikesim: out of disk space{f' writing {where}' if where else ''}: nothing unfinished "
        "was published; free some space and run the same command again",
        file=sys.stderr,
    )
    return EXIT_FAILED


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every cleanup path handles both."""


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` in the main thread for the duration."""

    def raise_terminated(signum: int, frame: object) -> None:
        raise Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, raise_terminated)
    except ValueError:  # not the main thread (an embedding program): leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def interrupted(exc: KeyboardInterrupt, what: str) -> int:
    """One line for Ctrl-C or SIGTERM; the shell's exit code for the signal."""
    name = "SIGTERM" if isinstance(exc, Terminated) else "Ctrl-C"
    print(f"strikesim: stopped by {name}; {what}", file=sys.stderr)
    return 128 + (signal.SIGTERM if isinstance(exc, Terminated) else signal.SIGINT)


def guarded(
    work: Callable[[], int], saved: Callable[[], Path | None] = lambda: None, what: str = "run"
) -> int:
    """Run a command's work; its three expected endings become one line and an exit code each.

    Bad input found only while working (:class:`ConfigError`) exits 2; a full disk exits 1 with
    nothing unfinished published; Ctrl-C or SIGTERM exits 130 or 143, saying whether ``saved()``
    — the folder the work publishes, once known — holds a finished result. Anything else is a
    bug and keeps its traceback.
    """
    try:
        return work()
    except ConfigError as exc:
        return bad_input(exc)
    except OSError as exc:
        if results.is_out_of_space(exc):
            return out_of_space(exc)
        raise
    except KeyboardInterrupt as exc:
        folder = saved()
        done = folder is not None and results.is_finished(folder)
        return interrupted(
            exc, f"the {what} is saved in {folder}" if done else "nothing was written"
        )
