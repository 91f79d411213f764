"""Results on disk, written so that strikesim never loses anything it did not create.

Every file is written atomically (temp file in the same folder, then rename). A run folder holds
``config.yaml`` (the resolved config), ``timeseries.parquet`` (one row per day, agent type and
form of participation, counts in people), ``turnout.png`` and ``summary.json``. ``summary.json``
is written last and records the size of every other file: a folder counts as finished only when
the summary parses and every file it lists is there with that size, so a reader (or a resumed
sweep) never mistakes a half-written or tampered folder for a result.

Folders follow one rule (:func:`publish_folder`): a run is written into a fresh staging folder
that this process made itself, then renamed into place. On any failure — bad input found late,
a bug, a full disk, Ctrl-C — only that staging folder and the parent folders this process created
(if still empty) are removed. A folder that existed before is never removed, emptied or written
over: an existing non-empty target is refused before any work.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from strikesim.config import ConfigError

if TYPE_CHECKING:  # pandas costs ~0.6 s to import; `strikesim --help` should not pay it
    import pandas as pd

SUMMARY = "summary.json"
TIMESERIES = "timeseries.parquet"
EVENTS = "events.parquet"
CONFIG = "config.yaml"
PLOT = "turnout.png"

_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temp path beside ``path``, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; results are ordinary files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    """Write ``text`` atomically: a reader sees the old file or the new one, never half."""
    atomic_write(path, lambda tmp: tmp.write_text(text))


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` atomically as indented JSON, keys in the given order (for diffs and eyes)."""
    write_text(path, json.dumps(data, indent=2, sort_keys=False) + "\n")


def write_parquet(path: Path, frame: pd.DataFrame) -> None:
    """Write ``frame`` atomically as Parquet, without the index (rows carry their own keys)."""
    atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))


def read_summary(folder: Path) -> dict[str, Any]:
    """A run folder's ``summary.json`` as is; :func:`is_finished` tells whether it is complete."""
    return json.loads((Path(folder) / SUMMARY).read_text())


def file_sizes(folder: Path) -> dict[str, int]:
    """``{name: size in bytes}`` of every file in a run folder but the summary that lists them."""
    return {
        p.name: p.stat().st_size
        for p in sorted(Path(folder).iterdir())
        if p.is_file() and p.name != SUMMARY
    }


def is_finished(folder: Path) -> bool:
    """A complete run folder: a summary that parses and every file it lists, at its size.

    Summaries written before sizes were recorded list none; they need config and time series.
    """
    try:
        summary = read_summary(folder)
    except (OSError, ValueError):
        return False
    if not isinstance(summary, dict):
        return False
    expected = summary.get("files") or {CONFIG: None, TIMESERIES: None}
    for name, size in expected.items():
        path = Path(folder) / name
        if not path.is_file() or (size is not None and path.stat().st_size != size):
            return False
    return True


def is_out_of_space(exc: BaseException) -> bool:
    """A write failed for want of space (disk full, quota, file-size limit)."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return True
    text = str(exc).lower()  # pyarrow and matplotlib sometimes re-raise without an errno
    return isinstance(exc, OSError) and ("no space left" in text or "file too large" in text)


def refuse_existing(folder: Path, key: str) -> None:
    """ConfigError unless ``folder`` is absent or an empty directory: never write into others'."""
    folder = Path(folder)
    if not folder.exists() and not folder.is_symlink():
        return
    if not folder.is_dir():
        raise ConfigError(
            f"{key}={str(folder)!r} exists and is not a folder; allowed: a new folder"
        )
    if any(folder.iterdir()):
        raise ConfigError(
            f"{key}={str(folder)!r} exists and is not empty; allowed: a new or empty folder "
            "(strikesim never writes into a folder that holds anything)"
        )


def make_parents(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; return the ones created here, outermost first."""
    missing = [p for p in [Path(folder), *Path(folder).parents] if not p.exists()][::-1]
    created = []
    for path in missing:
        try:
            path.mkdir()
        except FileExistsError:  # made by someone else meanwhile: not ours to remove
            continue
        created.append(path)
    return created


def remove_if_empty(created: list[Path]) -> None:
    """Undo :func:`make_parents`: remove folders this process created, innermost first, if empty."""
    for path in reversed(created):
        try:
            path.rmdir()
        except OSError:  # not empty (someone else wrote there) or already gone: leave it
            return


@contextmanager
def created_parents(folder: Path) -> Iterator[list[Path]]:
    """Create ``folder``'s missing parents; on failure remove those this process made, if empty."""
    created = make_parents(folder)
    try:
        yield created
    except BaseException:
        remove_if_empty(created)
        raise


@contextmanager
def folder_lock(lock_file: Path, in_use: Callable[[str], Exception]) -> Iterator[None]:
    """Hold ``lock_file`` exclusively while this process writes the folder it sits in.

    Why: two strikesim commands writing one sweep or calibration folder would run the same jobs
    twice, or append to one history and overwrite each other's tables. The lock is an advisory
    ``flock``, which the kernel releases when the process ends however it ends, so a killed
    command never leaves a stale lock. The file itself stays (removing it would race with the
    next holder) and holds the holder's pid: when another process holds the lock, this raises
    ``in_use(pid)`` at once (a message for the user; it does not wait). Writes only the lock
    file; its folder must exist.
    """
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
            raise
        raise in_use(holder) from None
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def publish_folder(target: Path, key: str, write: Callable[[Path], None]) -> None:
    """Write a folder by ``write(staging)`` into a fresh staging folder, then move it to ``target``.

    ``target`` must be absent or an empty folder (else ConfigError, nothing done). The staging
    folder is made here by ``mkdtemp`` beside ``target``, so removing it on failure removes only
    what this call wrote. ``summary.json`` arrives last, so the folder is never seen finished early.
    """
    target = Path(target)
    refuse_existing(target, key)
    with created_parents(target.parent):
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.staging-"))
        try:
            os.chmod(staging, 0o777 & ~_UMASK)  # mkdtemp makes 0700; results are ordinary folders
            write(staging)
            _move_into_place(staging, target, key)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)  # made by mkdtemp above: ours alone
            raise


def _move_into_place(staging: Path, target: Path, key: str) -> None:
    """Rename ``staging`` to ``target``; into an existing empty ``target`` file by file."""
    if not target.exists():
        try:
            os.rename(staging, target)
            return
        except OSError as exc:  # appeared meanwhile, not empty: refuse, keep it as it is
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
    refuse_existing(target, key)
    names = sorted(p.name for p in staging.iterdir() if p.name != SUMMARY)
    names += [SUMMARY] if (staging / SUMMARY).exists() else []
    moved: list[Path] = []
    try:
        for name in names:
            os.rename(staging / name, target / name)
            moved.append(target / name)
    except BaseException:
        for path in moved:  # files this call created and moved: take them back out
            os.rename(path, staging / path.name)
        raise
    staging.rmdir()
