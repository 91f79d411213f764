"""Where a result came from: the code (commit, uncommitted changes), the libraries, the data files.

Every run's ``summary.json`` carries :func:`record`, so that a number in a paper can be traced to
the exact code and inputs that produced it, and ``strikesim rerun`` can say *why* a rerun might
differ before it runs (:func:`check_same_code`, :func:`check_same_data`). The fields:

- ``git_commit``: the checkout's commit (None outside a git checkout, e.g. an installed wheel);
- ``git_tree``: ``"dirty"`` when tracked files differ from that commit or untracked files exist,
  else ``"clean"`` (None outside a checkout). Text, not a bool, on purpose: a summary's booleans
  are outcomes (``in_observed_range``) and the pinned baselines compare every one of them;
- ``git_diff_sha256``: when dirty, sha256 of ``git diff HEAD --binary`` followed by the names and
  contents of the untracked files (a new module is not in ``git diff`` but changes the code);
- ``versions``: the installed version of python and of every library a result depends on;
- ``data_files``: sha256 of each data file the run read (the roster and sector CSVs, and the
  graph files of ``network=file``).

Why cached: sweeps run thousands of jobs per process, and provenance must stay cheap — at most
two ``git`` calls per process (status, then diff only when dirty) and one hash per data file
version (re-hashed only when its size or modification time changes).
"""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
from collections.abc import Iterable
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from importlib.resources import files
from pathlib import Path
from typing import Any

from strikesim.config import StrikeConfig

DEPENDENCIES = (
    "strikesim",
    "numpy",
    "scipy",
    "pandas",
    "pyarrow",
    "networkx",
    "mesa",
    "hydra-core",
    "omegaconf",
    "matplotlib",
    "SALib",
    "pyabc",
)
"""Distributions whose version can change a result (or how it is written), by their PyPI name."""

CODE_KEYS = ("git_commit", "git_tree", "git_diff_sha256", "versions")
"""Summary keys that identify the code: what :func:`check_same_code` compares."""

PROVENANCE_KEYS = (*CODE_KEYS, "data_files")
"""Every summary key :func:`record` writes; none of them is an outcome of the run."""

SCENARIO_DATA = "scenarios/data"
"""Label prefix of the package's data files in ``data_files`` (``scenarios/data/sectors.csv``)."""

GIT_TIMEOUT_S = 10
# untracked files larger than this enter the diff hash by name and size only: a stray data dump in
# the checkout should not make every run read gigabytes
MAX_HASHED_UNTRACKED_BYTES = 16 * 2**20


# --- code --------------------------------------------------------------------------------------
def _git_root(start: Path) -> Path | None:
    """The checkout holding ``start`` (a ``.git`` folder or file), found without running git."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def _git(root: Path, *args: str) -> bytes | None:
    """``git ARGS`` in ``root``; None when git is missing, fails or hangs."""
    try:
        out = subprocess.run(
            ["git", *args],
            cwd=root,
            capture_output=True,
            timeout=GIT_TIMEOUT_S,
            # no index.lock: parallel sweep workers (and the user's own git) must not collide
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


def _parse_status(out: bytes) -> tuple[str | None, bool, list[str]]:
    """``git status --porcelain=v2 --branch -z``: (commit, dirty, untracked paths)."""
    commit, dirty, untracked = None, False, []
    records = out.split(b"\0")
    skip_next = False
    for raw in records:
        if skip_next:  # a rename's original path, its own NUL-separated field
            skip_next = False
            continue
        line = raw.decode("utf-8", "surrogateescape")
        if line.startswith("# branch.oid "):
            oid = line.removeprefix("# branch.oid ").strip()
            commit = oid if oid != "(initial)" else None
        elif line.startswith("? "):
            dirty = True
            untracked.append(line[2:])
        elif line[:2] in ("1 ", "2 ", "u "):
            dirty = True
            skip_next = line.startswith("2 ")
    return commit, dirty, untracked


def _untracked_digest(root: Path, paths: Iterable[str], digest: Any) -> None:
    """Feed each untracked file's name, size and (if not huge) contents into ``digest``."""
    for name in sorted(paths):
        path = root / name
        try:
            size = path.stat().st_size
            content = file_sha256(path) if size <= MAX_HASHED_UNTRACKED_BYTES else "not hashed"
        except OSError:  # removed meanwhile, or unreadable: its name still counts
            size, content = -1, "unreadable"
        digest.update(
            f"\0untracked\0{name}\0{size}\0{content}\0".encode("utf-8", "surrogateescape")
        )


@cache
def _git_state() -> tuple[str | None, bool | None, str | None]:
    package = Path(__file__).resolve().parent
    root = _git_root(package)
    if root is None:
        return None, None, None
    status = _git(root, "status", "--porcelain=v2", "--branch", "-z", "--untracked-files=all")
    if status is None:
        return None, None, None
    commit, dirty, untracked = _parse_status(status)
    if not dirty:
        return commit, False, None
    diff = _git(root, "diff", "HEAD", "--binary", "--no-ext-diff", "--no-textconv", "--no-color")
    if diff is None and commit is not None:  # git diff failed though HEAD exists: say unknown
        return commit, True, None
    digest = hashlib.sha256(diff or b"")
    _untracked_digest(root, untracked, digest)
    return commit, True, digest.hexdigest()


def git_state() -> dict[str, Any]:
    """``git_commit``, ``git_tree``, ``git_diff_sha256`` of the code that runs (cached).

    All None outside a git checkout (an installed package) or without git: nothing is known, and
    that is recorded rather than guessed.
    """
    commit, dirty, diff = _git_state()
    tree = None if dirty is None else "dirty" if dirty else "clean"
    return {"git_commit": commit, "git_tree": tree, "git_diff_sha256": diff}


@cache
def _versions() -> tuple[tuple[str, str | None], ...]:
    found: list[tuple[str, str | None]] = [("python", platform.python_version())]
    for name in DEPENDENCIES:
        try:
            found.append((name, version(name)))
        except PackageNotFoundError:
            found.append((name, None))
    return tuple(found)


def versions() -> dict[str, str | None]:
    """Installed versions of python and of :data:`DEPENDENCIES` (None: not installed); cached."""
    return dict(_versions())


def code_identity() -> dict[str, Any]:
    """The code that runs now, in the summary's keys (:data:`CODE_KEYS`): git state and versions.

    Also what a sweep records once in its plan, to refuse a resume with other code.
    """
    return {**git_state(), "versions": versions()}


# --- data --------------------------------------------------------------------------------------
@cache
def _sha256_of(path: Path, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(2**20):
            digest.update(chunk)
    return digest.hexdigest()


def file_sha256(path: str | Path) -> str:
    """sha256 of a file, hashed again only when its size or modification time changed."""
    resolved = Path(path).resolve()
    stat = resolved.stat()
    return _sha256_of(resolved, stat.st_size, stat.st_mtime_ns)


def scenario_data_files() -> dict[str, Path]:
    """The CSVs of ``strikesim.scenarios``' data folder (roster, sectors), by their label."""
    folder = files("strikesim.scenarios") / "data"
    return {
        f"{SCENARIO_DATA}/{entry.name}": Path(str(entry))
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".csv")
    }


def data_files(config: StrikeConfig) -> dict[str, str | None]:
    """sha256 of every data file a run of ``config`` reads; None for a file that cannot be read.

    Labels: ``scenarios/data/<name>.csv`` for the package's CSVs, ``network.path`` and
    ``network.nodes_path`` for the graph files of ``network=file`` (their paths are in the
    config itself), and ``behavior.posterior`` for the posterior table a run drew from.
    """
    paths: dict[str, Path] = dict(scenario_data_files())
    if name := config.behavior.posterior:
        table = files("strikesim.scenarios") / "calibration" / f"{name}_posterior.csv"
        paths["behavior.posterior"] = Path(str(table))
    for key in ("path", "nodes_path"):
        if value := getattr(config.network, key):
            paths[f"network.{key}"] = Path(value)
    hashes: dict[str, str | None] = {}
    for label, path in paths.items():
        try:
            hashes[label] = file_sha256(path)
        except OSError:
            hashes[label] = None
    return hashes


def record(config: StrikeConfig) -> dict[str, Any]:
    """The provenance fields of a run's summary (:data:`PROVENANCE_KEYS`)."""
    return {**code_identity(), "data_files": data_files(config)}


# --- comparing a record with now -----------------------------------------------------------------
def _short(value: Any) -> str:
    """A commit or hash in 12 characters, None as 'none'."""
    if value is None:
        return "none"
    text = str(value)
    return text[:12] if len(text) == 64 or len(text) == 40 else text


def check_same_code(recorded: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """The ways ``current`` code differs from ``recorded`` (both in :data:`CODE_KEYS`), one line
    each; empty when the same.

    Keys absent from ``recorded`` (summaries written before they were recorded) are not compared:
    nothing is known about them, and a warning for every old run would drown the real ones.
    """
    lines = []
    if "git_commit" in recorded and recorded["git_commit"] != current.get("git_commit"):
        lines.append(
            f"code commit: {_short(recorded['git_commit'])} recorded, "
            f"{_short(current.get('git_commit'))} now"
        )
    if "git_tree" in recorded:
        was, now = recorded["git_tree"], current.get("git_tree")
        was_hash, now_hash = recorded.get("git_diff_sha256"), current.get("git_diff_sha256")
        if was != now:
            lines.append(
                f"working tree: {was or 'unknown'} recorded (diff {_short(was_hash)}), "
                f"{now or 'unknown'} now (diff {_short(now_hash)})"
            )
        elif was == "dirty" and was_hash != now_hash:
            lines.append(
                f"uncommitted changes differ: diff sha256 {_short(was_hash)} recorded, "
                f"{_short(now_hash)} now"
            )
    was_versions = recorded.get("versions")
    if "versions" in recorded and not isinstance(was_versions, dict):
        lines.append(f"versions: unreadable record {was_versions!r}")
    elif isinstance(was_versions, dict):
        now_versions = current.get("versions") or {}
        for name, was in was_versions.items():
            now = now_versions.get(name)
            if was != now:
                lines.append(f"{name} version: {was or 'none'} recorded, {now or 'none'} now")
    return lines


def check_same_data(recorded: Any, current: dict[str, str | None]) -> list[str]:
    """The data files whose hash differs from ``recorded`` (a summary's ``data_files``), one line
    each. Nothing recorded (an older summary) compares nothing."""
    if recorded is None:
        return []
    if not isinstance(recorded, dict):
        return [f"data files: unreadable record {recorded!r}"]
    lines = []
    for label in dict.fromkeys([*recorded, *current]):
        was, now = recorded.get(label, _ABSENT), current.get(label, _ABSENT)
        if was != now:
            lines.append(f"data file {label}: {_hash_text(was)} recorded, {_hash_text(now)} now")
    return lines


_ABSENT = object()


def _hash_text(value: Any) -> str:
    """A data file's hash as a reader wants it: short, or why there is none."""
    if value is _ABSENT:
        return "not read"
    if value is None:
        return "unreadable"
    return f"sha256 {_short(value)}"
