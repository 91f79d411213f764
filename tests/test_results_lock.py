"""The folder lock shared by sweeps and calibration studies (strikesim.results.folder_lock)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from strikesim import results
from strikesim.config import ConfigError

HOLD = """
import sys
from pathlib import Path
from strikesim import results
with results.folder_lock(Path(sys.argv[1]), RuntimeError):
    print("held", flush=True)
    sys.stdin.read()
"""


def in_use(holder: str) -> ConfigError:
    return ConfigError(f"in use by pid {holder}")


def test_a_held_lock_refuses_another_process_naming_the_holder_and_frees_when_it_ends(
    tmp_path: Path,
) -> None:
    lock = tmp_path / ".lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(lock)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        refused = pytest.raises(ConfigError, match=f"in use by pid {holder.pid}$")
        with refused, results.folder_lock(lock, in_use):
            pass
    finally:
        holder.communicate(b"")
    assert holder.returncode == 0
    assert [p.name for p in tmp_path.iterdir()] == [".lock"]  # the lock file is all it wrote
    with results.folder_lock(lock, in_use):
        assert lock.read_text() == f"{os.getpid()}\n"
    assert lock.exists()  # kept: removing it would race with the next holder


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    lock = tmp_path / ".lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(lock)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
    holder.kill()
    holder.wait()
    with results.folder_lock(lock, in_use):
        assert lock.read_text() == f"{os.getpid()}\n"
