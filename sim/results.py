"""Results on disk, written so that strikesim never loses anything it did not create.

Every file is written atomically (temp file in the same folder, then rename), or into a staging
folder that is published whole by one rename (:func:`write_staged`). A run folder holds
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
    import pyarrow as pa

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


def write_staged(path: Path, data: str | bytes | pa.Buffer) -> None:
    """Write the new file ``path`` in one go, not atomically: for files in a staging folder.

    A staging folder (:func:`publish_folder`, a sweep's job folder) is published whole by one
    rename and read by nobody before, so a temp file and rename per file (five a sweep job)
    would guard nothing: a kill leaves the staging folder unpublished either way. Opened with
    ``x``, it never writes over a file (a fresh staging folder has none).
    """
    with open(path, "x" if isinstance(data, str) else "xb") as file:
        file.write(data)


def write_text(path: Path, text: str) -> None:
    """Write ``text`` atomically: a reader sees the old file or the new one, never half."""
    atomic_write(path, lambda tmp: tmp.write_text(text))


def json_text(data: dict[str, Any]) -> str:
    """``data`` as indented JSON, keys in the given order (for diffs and eyes)."""
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` atomically as :func:`json_text`."""
    write_text(path, json_text(data))


def write_parquet(path: Path, frame: pd.DataFrame) -> None:
    """Write ``frame`` atomically as Parquet, without the index (rows carry their own keys)."""
    data = parquet_bytes(frame)
    atomic_write(path, lambda tmp: tmp.write_bytes(data))


def parquet_bytes(frame: pd.DataFrame) -> pa.Buffer:
    """``frame`` as Parquet without the index: the bytes ``frame.to_parquet(index=False)`` writes.

    The same Arrow table (:func:`arrow_table`, ``frame.attrs`` as pandas stores them) written to
    memory by ``pyarrow.parquet.write_table`` with its defaults, as pandas does. Why not
    ``to_parquet``: pandas' wrapper (engine lookup, path handling) and pyarrow's writing to a
    path (a filesystem resolved per call, many small writes) cost ~1 ms of the ~2.5 ms that a
    small sweep job's two tables cost that way.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = arrow_table(frame)
    if frame.attrs:
        table = table.replace_schema_metadata(
            {**table.schema.metadata, "PANDAS_ATTRS": json.dumps(frame.attrs)}
        )
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return sink.getvalue()


_SCHEMAS: dict[tuple[Any, ...], pa.Schema] = {}  # arrow_table's schemas, by columns and dtypes
SCHEMAS_KEPT = 256


def arrow_table(frame: pd.DataFrame) -> pa.Table:
    """``pyarrow.Table.from_pandas(frame, preserve_index=False)``, schema and metadata included.

    Why not always ``from_pandas``: it infers each column's type and describes it for pandas
    (~35 us a column), 0.8 ms of the 1.3 ms that a sweep job's ``events.parquet`` (22 columns,
    3 rows) costs. When every column is named by a string and is bool, a number or text (numpy
    ``bool``, ints, floats; pandas ``str``), and ``frame.attrs`` is empty, the schema follows
    from the names and dtypes alone: it is made by ``from_pandas`` once and reused (at most
    :data:`SCHEMAS_KEPT`, all dropped when full), the columns converted as ``from_pandas``
    converts them (``from_pandas=True``: NaN is null; half the time). Other frames (``object``
    columns, whose type depends on the values; categories, dates, nullable dtypes; attrs, which
    pyarrow records) always go through ``from_pandas``.
    """
    import pandas as pd
    import pyarrow as pa

    kinds = (tuple(frame.columns), tuple(frame.dtypes))
    schema = _SCHEMAS.get(kinds)
    if schema is None or frame.attrs:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        fixed = all(isinstance(name, str) for name in frame.columns) and all(
            d.kind in "biuf" or isinstance(d, pd.StringDtype) for d in frame.dtypes
        )
        if fixed and not frame.attrs:
            if len(_SCHEMAS) >= SCHEMAS_KEPT:
                _SCHEMAS.clear()
            _SCHEMAS[kinds] = table.schema
        return table
    columns = [
        pa.array(
            column.array if isinstance(column.dtype, pd.StringDtype) else column.to_numpy(),
            type=field.type,
            from_pandas=True,
        )
        for (_, column), field in zip(frame.items(), schema, strict=True)
    ]
    return pa.Table.from_arrays(columns, schema=schema)


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
