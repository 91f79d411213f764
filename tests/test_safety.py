"""strikesim never deletes, empties or overwrites what it did not create in the run at hand.

Each test plants a "victim" — a folder with a file in it — where a careless run would write or
clean up, then tries to lose it: failing runs, folder names that lead out of the results root,
Ctrl-C and SIGTERM at several moments, two sweeps at once, a full disk. The victim must survive
byte for byte, and the command must say what happened in one line.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from strikesim import results
from tests.conftest import CLI_ENV, cli_command, run_cli

PRECIOUS = b"my thesis, three years of work\n"


def plant(folder: Path) -> Path:
    """A user's folder with one file in it; returns the file."""
    folder.mkdir(parents=True, exist_ok=True)
    victim = folder / "thesis.txt"
    victim.write_bytes(PRECIOUS)
    return victim


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every path under ``folder`` with its bytes (None for folders): a snapshot to compare."""
    return {
        str(p.relative_to(folder)): None if p.is_dir() else p.read_bytes()
        for p in sorted(folder.rglob("*"))
    }


def one_error_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


@pytest.mark.parametrize(
    "args",
    [
        # the reproduction: a failing run whose folder is the user's
        [
            "population.scale=50",
            "network=file",
            "network.path=nope.graphml",
            "hydra.run.dir=victim",
        ],
        ["population=classroom", "hydra.run.dir=victim"],  # a run that would succeed
        ["population=classroom", "hydra.run.dir=."],  # the project folder itself
        ["population=classroom", "scenario.name=/../../victim"],  # a name that leads out
        ["population=classroom", "scenario.name=../../victim"],
    ],
)
def test_a_single_run_never_touches_an_existing_folder(tmp_path: Path, args: list[str]) -> None:
    victim = plant(tmp_path / "victim")
    before = tree(tmp_path)
    proc = run_cli(args, tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert one_error_line(proc.stderr).startswith("strikesim: config error: ")
    assert victim.read_bytes() == PRECIOUS
    assert tree(tmp_path) == before  # nothing added either: no results/, no staging folder


def test_an_existing_empty_folder_is_filled_and_a_new_one_made(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert run_cli(["population=classroom", "hydra.run.dir=empty"], tmp_path).returncode == 0
    assert results.is_finished(tmp_path / "empty")
    proc = run_cli(["population=classroom", "hydra.run.dir=new/deep/run"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert results.is_finished(tmp_path / "new/deep/run")
    assert not [p for p in (tmp_path / "new/deep").iterdir() if p.name.startswith(".")]


def test_a_root_folder_is_refused(tmp_path: Path) -> None:
    before = sorted(os.listdir("/etc"))
    proc = run_cli(["population=classroom", "hydra.run.dir=/etc"], tmp_path)
    assert proc.returncode == 2
    assert "hydra.run.dir='/etc' exists and is not empty" in one_error_line(proc.stderr)
    assert sorted(os.listdir("/etc")) == before


def test_a_failed_run_leaves_no_empty_results_folders(tmp_path: Path) -> None:
    bad = tmp_path / "broken.graphml"
    bad.write_text("<graphml>")
    proc = run_cli(["network=file", f"network.path={bad}"], tmp_path)
    assert proc.returncode == 2
    assert not (tmp_path / "results").exists()


def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        cli_command(args),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=CLI_ENV,
    )


@pytest.mark.parametrize("delay", [0.3, 1.2, 2.0])  # starting, simulating, writing
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_stopped_single_run_keeps_the_users_files_and_leaves_nothing_half_done(
    tmp_path: Path, delay: float, sig: signal.Signals
) -> None:
    """Stopped while starting, while simulating the city, or while writing: never a loss."""
    victim = plant(tmp_path / "victim")
    proc = _start(["population=small", "hydra.run.dir=victim/run"], tmp_path)
    time.sleep(delay)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert victim.read_bytes() == PRECIOUS
    run = tmp_path / "victim" / "run"
    left = sorted(p.name for p in (tmp_path / "victim").iterdir())
    if run.exists():  # it was published before the signal: a whole run folder, nothing else
        assert results.is_finished(run) and left == ["run", "thesis.txt"]
    else:
        assert left == ["thesis.txt"], left  # no staging folder either
    if proc.returncode and "stopped by" in err:  # our handler ran (Python's is the default)
        assert proc.returncode == 128 + sig
        said = "the run is saved in" if run.exists() else "nothing was written"
        assert said in one_error_line(err)


def _sweep_args(n: int, *extra: str) -> list[str]:
    return ["-m", "population=classroom", f"seed=range(0,{n})", *extra]


def test_a_sweep_refuses_folder_keys_that_lead_elsewhere(tmp_path: Path) -> None:
    victim = plant(tmp_path / "victim")
    before = tree(tmp_path)
    for extra in (
        "hydra.sweep.subdir=../../../victim",
        "hydra.sweep.dir=victim",  # a user's folder that is not a sweep
        "hydra.output_subdir=../victim",
        "hydra.job.chdir=true",
    ):
        proc = run_cli(_sweep_args(2, extra), tmp_path)
        assert proc.returncode == 2, (extra, proc.stdout, proc.stderr)
        assert one_error_line(proc.stderr).startswith("strikesim: config error: ")
    assert victim.read_bytes() == PRECIOUS
    assert tree(tmp_path) == before


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_stopped_sweep_writes_its_index_and_resumes(tmp_path: Path, sig: signal.Signals) -> None:
    victim = plant(tmp_path / "results" / "sweeps")  # a user's file beside the sweeps
    args = _sweep_args(10)
    proc = _start(args, tmp_path)
    sweeps = tmp_path / "results" / "sweeps"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # stop it once a job is published
        if any(p.is_dir() and (p / "1").exists() for p in sweeps.iterdir()):
            break
        time.sleep(0.05)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + sig, err
    line = one_error_line(err)
    assert "run the same command again to resume" in line and "jobs done" in line
    (folder,) = (p for p in sweeps.iterdir() if p.is_dir())
    index = pd.read_csv(folder / "index.csv")
    assert set(index["status"]) <= {"done", "interrupted", "pending"}
    assert (index["status"] != "done").any()
    statuses = [json.loads(p.read_text())["status"] for p in (folder / ".status").iterdir()]
    assert "running" not in statuses  # none left claiming to run
    assert not (folder / ".staging").exists()  # this session's staging went with it
    for row in index.query("status == 'done'").itertuples():
        assert results.is_finished(folder / str(row.job))

    resumed = run_cli(args, tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert list(pd.read_csv(folder / "index.csv")["status"]) == ["done"] * 10
    assert victim.read_bytes() == PRECIOUS


def test_two_identical_sweeps_at_once_never_publish_a_partial_job(tmp_path: Path) -> None:
    args = ["-m", "population=classroom", "weather.temperature_f=-20,10", "seed=range(0,6)"]
    first, second = _start(args, tmp_path), _start(args, tmp_path)
    outs = [p.communicate(timeout=300) for p in (first, second)]
    codes = sorted(p.returncode for p in (first, second))
    # one writes; the other is refused with one line (or, if it came after, resumes a done sweep)
    assert codes in ([0, 0], [0, 2]), outs
    refused = [err for (_, err), p in zip(outs, (first, second), strict=True) if p.returncode]
    for err in refused:
        assert "is being written by another strikesim process" in one_error_line(err)
    (folder,) = (tmp_path / "results" / "sweeps").iterdir()
    index = pd.read_csv(folder / "index.csv")
    assert list(index["status"]) == ["done"] * 12
    for n in range(12):
        assert results.is_finished(folder / str(n))
    compare = run_cli(["compare", str(folder)], tmp_path)
    assert compare.returncode == 0, compare.stderr


def test_an_incomplete_job_folder_is_redone_and_moved_aside_not_deleted(tmp_path: Path) -> None:
    args = _sweep_args(2)
    assert run_cli(args, tmp_path).returncode == 0
    (folder,) = (tmp_path / "results" / "sweeps").iterdir()
    (folder / "1" / "timeseries.parquet").unlink()  # what two unlocked writers used to leave
    kept = (folder / "1" / "config.yaml").read_bytes()
    assert not results.is_finished(folder / "1")
    proc = run_cli(args, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "2 jobs, 1 already finished, 1 to run" in proc.stdout
    assert results.is_finished(folder / "1")
    (aside,) = (folder / ".incomplete").iterdir()
    assert (aside / "config.yaml").read_bytes() == kept


def _limit_file_size(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def _run_with_small_disk(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """As if the disk filled up: files beyond 20 kB cannot be written (EFBIG, like ENOSPC)."""
    return subprocess.run(
        cli_command(args),
        cwd=cwd,
        capture_output=True,
        text=True,
        env=CLI_ENV,
        timeout=300,
        preexec_fn=lambda: _limit_file_size(20_000),
    )


def test_a_full_disk_is_one_line_publishes_nothing_and_a_sweep_resumes(tmp_path: Path) -> None:
    victim = plant(tmp_path / "victim")
    single = _run_with_small_disk(["population=classroom", "hydra.run.dir=victim/run"], tmp_path)
    assert single.returncode == 1
    assert "out of disk space" in one_error_line(single.stderr)
    assert sorted(p.name for p in victim.parent.iterdir()) == ["thesis.txt"]

    args = _sweep_args(3, "--plots")  # each job's turnout.png: the file the 20 kB limit stops
    sweep = _run_with_small_disk(args, tmp_path)
    assert sweep.returncode == 1
    assert "out of disk space" in one_error_line(sweep.stderr)
    (folder,) = (tmp_path / "results" / "sweeps").iterdir()
    assert not [p for p in folder.iterdir() if p.name.isdigit()]  # nothing half-written
    assert not (folder / ".staging").exists()
    resumed = run_cli(args, tmp_path)  # space is back
    assert resumed.returncode == 0, resumed.stderr
    assert list(pd.read_csv(folder / "index.csv")["status"]) == ["done"] * 3
    assert victim.read_bytes() == PRECIOUS
