"""Command-line input of the subcommands: one parser class, typed converters, output paths.

Every subcommand (``strikesim compare``, ``sensitivity``, ...) keeps the promise of the main
command: bad input gets one line on stderr naming the option, the value and what is allowed, exit
code 2, and nothing written. argparse alone prints a multi-line usage and checks only the type, so
``--jobs 0`` or ``--fps 1e-300`` would pass and fail later — after folders were created or hours
of runs. Hence :class:`CommandParser` (argparse errors as one line, with a hint to ``--help``) and
converters that check the range while parsing, before any work starts.

Spec files are the studies' to read (:mod:`strikesim.studies.spec_files`); an option that
overrides a spec key takes its type from that key's bounds (:func:`spec_option`), so the option and
the key accept exactly the same values.
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import re
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from strikesim.cli.messages import bad_input
from strikesim.config import ConfigError
from strikesim.studies.spec_files import Bounds

MAX_WORKERS = 1024  # more parallel processes than this is a typo, not a machine
# argparse's own errors read "argument NAME: MESSAGE"; ours already start with "NAME=VALUE"
_ARGUMENT = re.compile(r"argument (?P<name>[^:]+): (?P<message>.*)", re.DOTALL)


class ParserExit(SystemExit):
    """argparse's exit (after ``--help`` or a refusal); :func:`entry_point` returns its code."""


def entry_point(main: Callable[[list[str]], int]) -> Callable[[list[str]], int]:
    """A subcommand's ``main(argv) -> exit code`` that returns, rather than raises, argparse's exit.

    ``strikesim COMMAND`` dispatches to ``main(argv)`` and expects an exit code back, as for any
    other bad input; argparse would raise SystemExit from inside ``main`` instead.
    """

    @functools.wraps(main)
    def run(argv: list[str]) -> int:
        try:
            return main(argv)
        except ParserExit as exc:
            return int(exc.code or 0)

    return run


class CommandParser(argparse.ArgumentParser):
    """argparse for ``strikesim COMMAND``: any error is one line and exit code 2.

    ``--help`` is argparse's as usual; only errors change. A ``type`` given to
    :meth:`add_argument` is wrapped so that its refusal names the option and the value.
    """

    def __init__(self, command: str, **kwargs: Any) -> None:
        super().__init__(prog=f"strikesim {command}", **kwargs)
        self.command = command

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        """argparse's, with ``type`` wrapped so that its refusal names the option and the value."""
        action = super().add_argument(*args, **kwargs)
        if action.type is not None:
            action.type = _naming(action.type, _display_name(action))
        return action

    def error(self, message: str) -> NoReturn:
        """One line ("config error: COMMAND: ...; see '... --help'") instead of usage + message."""
        line = " ".join(_plain(message).split())
        self.exit(bad_input(f"{self.command}: {line}; see '{self.prog} --help'"))

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        """argparse's exit, as :class:`ParserExit`: :func:`entry_point` returns ``status``."""
        if message:
            print(message, file=sys.stderr, end="")
        raise ParserExit(status)


def _display_name(action: argparse.Action) -> str:
    """The name argparse uses for ``action`` in its messages (options joined by '/')."""
    if action.option_strings:
        return "/".join(action.option_strings)
    return str(action.metavar or action.dest)


def _plain(message: str) -> str:
    """``argument --x: --x=3; allowed ...`` -> ``--x=3; allowed ...``; else ``--x: ...``."""
    match = _ARGUMENT.fullmatch(message)
    if not match:
        return message
    name, rest = match["name"], match["message"]
    return rest if rest.startswith(f"{name}=") else f"{name}: {rest}"


def _naming(convert: Callable[[str], Any], name: str) -> Callable[[str], Any]:
    """``convert`` whose refusal reads ``NAME=VALUE; allowed: ...`` (argparse names no value)."""

    def converted(text: str) -> Any:
        try:
            return convert(text)
        except argparse.ArgumentTypeError as exc:
            reason = str(exc)
        except (TypeError, ValueError):
            reason = f"allowed: a value of type {getattr(convert, '__name__', convert)}"
        raise argparse.ArgumentTypeError(f"{name}={shlex.quote(text)}; {reason}")

    converted.__name__ = getattr(convert, "__name__", "value")
    return converted


# --- typed converters with ranges ----------------------------------------------------------------
@dataclass(frozen=True)
class Integer:
    """An integer in ``[low, high]`` (either end open when None), or the special value ``also``.

    Called with a string it is an argparse ``type``.
    """

    low: int | None = None
    high: int | None = None
    also: int | None = None

    @property
    def allowed(self) -> str:
        """The range in words (``an integer >= 1``), for the ``allowed: ...`` of a refusal."""
        low, high = _count(self.low), _count(self.high)
        if self.low is not None and self.high is not None:
            text = f"an integer from {low} to {high}"
        elif self.low is not None:
            text = f"an integer >= {low}"
        elif self.high is not None:
            text = f"an integer <= {high}"
        else:
            text = "an integer"
        return text if self.also is None else f"{text}, or {self.also}"

    def fits(self, value: int) -> bool:
        """Inside the range (ends included), or the special value ``also``."""
        inside = (self.low is None or value >= self.low) and (
            self.high is None or value <= self.high
        )
        return inside or value == self.also

    def __call__(self, text: str) -> int:
        """``text`` as an int, or ArgumentTypeError saying what is allowed."""
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"allowed: {self.allowed}") from None
        if not self.fits(value):
            raise argparse.ArgumentTypeError(f"allowed: {self.allowed}")
        return value


def _count(value: int | None) -> str:
    """100,000 reads better with separators; a port (65535) or a year would not."""
    return f"{value:,}" if value is not None and abs(value) >= 100_000 else str(value)


@dataclass(frozen=True)
class Number:
    """A finite number in ``[low, high]``, or ``> above``; nan and inf are never allowed.

    ``float()`` accepts ``nan``, ``inf`` and ``1e400`` (= inf) without complaint, and every
    comparison with nan is False — so a bare ``value > 0`` test lets nan through.
    """

    low: float | None = None
    high: float | None = None
    above: float | None = None

    @property
    def allowed(self) -> str:
        """The range in words (``a finite number > 0``), for the ``allowed: ...`` of a refusal."""
        if self.low is not None and self.high is not None:
            return f"a number from {self.low:g} to {self.high:g}"
        bounds = [f">= {self.low:g}" if self.low is not None else ""]
        bounds += [f"> {self.above:g}" if self.above is not None else ""]
        bounds += [f"<= {self.high:g}" if self.high is not None else ""]
        return " ".join(["a finite number", *filter(None, bounds)])

    def fits(self, value: float) -> bool:
        """Finite and inside the range: checked apart, as an open end lets inf and nan through."""
        return (
            math.isfinite(value)
            and (self.low is None or value >= self.low)
            and (self.high is None or value <= self.high)
            and (self.above is None or value > self.above)
        )

    def __call__(self, text: str) -> float:
        """``text`` as a float, or ArgumentTypeError saying what is allowed."""
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"allowed: {self.allowed}") from None
        if not self.fits(value):
            raise argparse.ArgumentTypeError(f"allowed: {self.allowed}")
        return value


@dataclass(frozen=True)
class Choice:
    """One of a few words; as an argparse type its refusal lists them in the usual one line."""

    values: tuple[str, ...]

    @property
    def allowed(self) -> str:
        """The words, comma-separated, for the ``allowed: ...`` of a refusal."""
        return ", ".join(self.values)

    def __call__(self, text: str) -> str:
        """``text`` itself if it is one of the words, else ArgumentTypeError listing them."""
        if text not in self.values:
            raise argparse.ArgumentTypeError(f"allowed: {self.allowed}")
        return text


positive_int = Integer(1)
non_negative_int = Integer(0)
finite_float = Number()
positive_finite_float = Number(above=0)
non_negative_finite_float = Number(low=0)
WORKERS = Integer(1, MAX_WORKERS)


def key_value(text: str) -> str:
    """``KEY=VALUE`` with a non-empty key (``--reference coalition=broad``)."""
    if not text.partition("=")[0] or "=" not in text:
        raise argparse.ArgumentTypeError("allowed: KEY=VALUE")
    return text


# --- output paths --------------------------------------------------------------------------------
def folder_problem(path: Path) -> str | None:
    """Why ``path`` cannot become a folder to write into, or None.

    Checked before any work: otherwise an unwritable ``--out`` is found only when the results are
    written, after all the runs, and ends in a traceback. No probe file is written: the check
    itself writes nothing. (Permissions do not stop root; a read-only file system does.)
    """
    try:
        if path.exists() and not path.is_dir():
            return f"{path} is a file"
        existing = path.absolute()
        while not existing.exists():
            existing = existing.parent
    except OSError as exc:
        return f"{path}: {exc.strerror or exc}"
    if not existing.is_dir():
        return f"{existing} is a file"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"{existing} is not writable"
    return None


def output_folder(text: str) -> Path:
    """An argparse type: a folder that exists and is writable, or can be created."""
    path = Path(text)
    if problem := folder_problem(path):
        raise argparse.ArgumentTypeError(f"{problem}; allowed: a folder that can be written")
    return path


def check_output_folder(path: Path, option: str = "--out") -> Path:
    """:func:`output_folder` for a default path (no argparse): ConfigError naming ``option``."""
    if problem := folder_problem(path):
        raise ConfigError(
            f"{option}={path} (the default) cannot be written: {problem}; allowed: "
            f"{option} FOLDER that can be written"
        )
    return path


def gif_file(text: str) -> Path:
    """An argparse type: a ``.gif`` path that is not a folder, in a folder that can be written."""
    path = Path(text)
    if path.suffix.lower() != ".gif":
        raise argparse.ArgumentTypeError("allowed: a .gif file")
    if path.is_dir():
        raise argparse.ArgumentTypeError("it is a folder; allowed: a .gif file")
    if problem := folder_problem(path.parent):
        raise argparse.ArgumentTypeError(f"{problem}; allowed: a .gif file in a writable folder")
    return path


# --- options that override a spec key ------------------------------------------------------------
def spec_option(bounds: Bounds) -> Callable[[str], int | float]:
    """An argparse type for an option that overrides a spec key declaring ``bounds``.

    The key's own :class:`~strikesim.studies.spec_files.Bounds` decide, so ``--samples 1`` is
    refused exactly when ``samples: 1`` in the spec file is.
    """

    def convert(text: str) -> int | float:
        try:
            value: int | float = int(text) if bounds.integer else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"allowed: {bounds.allowed}") from None
        if not bounds.fits(value):
            raise argparse.ArgumentTypeError(f"allowed: {bounds.allowed}")
        return value

    convert.__name__ = "integer" if bounds.integer else "number"
    return convert
