"""Sweeps end to end: folders, index, resume after SIGKILL, failures reported as they happen."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
import yaml

from strikesim.cli import main
from strikesim.config import ConfigError
from strikesim.studies.sweep import open_sweep, plan_sweep
from tests.conftest import CLI_ENV, cli_command, run_cli


def sweep_folder(cwd: Path) -> Path:
    (folder,) = (cwd / "results" / "sweeps").iterdir()
    return folder


def job_folders(folder: Path) -> list[Path]:
    return sorted((p for p in folder.iterdir() if p.name.isdigit()), key=lambda p: int(p.name))


def assert_complete(job: Path, plots: bool = False) -> None:
    """A visible job folder is a whole run folder: every file, no temp file; a PNG if asked."""
    listed = set(json.loads((job / "summary.json").read_text())["files"])
    assert {p.name for p in job.iterdir()} == listed | {"summary.json", ".hydra"}, job
    assert {"config.yaml", "timeseries.parquet"} <= listed
    assert ("turnout.png" in listed) == plots
    assert {p.name for p in (job / ".hydra").iterdir()} == {"config.yaml", "overrides.yaml"}


def test_plan_expands_presets_like_hydra_and_names_the_folder_by_its_jobs() -> None:
    plan = plan_sweep(["-m", "experiment=cold_snap", "coalition=broad"])
    assert len(plan.jobs) == 2 * 2 * 6
    assert list(plan.factors) == ["weather.temperature_f", "weather.indoor_refuge", "seed"]
    assert plan.jobs[1] == [  # the preset's parameters first, then the command line, as Hydra
        "weather.temperature_f=-20",
        "weather.indoor_refuge=False",
        "seed=1",
        "experiment=cold_snap",
        "coalition=broad",
    ]
    assert plan.folder.parent == Path("results/sweeps")
    assert plan.folder.name.startswith("cold_snap-")
    again = plan_sweep(["coalition=broad", "-m", "experiment=cold_snap"])
    assert again.folder == plan.folder  # the same jobs in the same order: same folder, resumes
    # the command line replaces a preset's values; a different sweep gets a different folder
    mine = plan_sweep(["-m", "experiment=cold_snap", "seed=1,2", "weather.temperature_f=5"])
    assert [job[:3] for job in mine.jobs] == [
        ["weather.temperature_f=5", "weather.indoor_refuge=False", "seed=1"],
        ["weather.temperature_f=5", "weather.indoor_refuge=False", "seed=2"],
        ["weather.temperature_f=5", "weather.indoor_refuge=True", "seed=1"],
        ["weather.temperature_f=5", "weather.indoor_refuge=True", "seed=2"],
    ]
    assert mine.folder != plan.folder
    chosen = plan_sweep(["-m", "seed=1,2", "hydra.sweep.dir=elsewhere/x", "hydra/launcher=joblib"])
    assert chosen.folder == Path("elsewhere/x") and chosen.jobs == [["seed=1"], ["seed=2"]]


def test_a_folder_holding_another_sweep_or_other_files_is_refused(tmp_path: Path) -> None:
    first = plan_sweep(["-m", "seed=1,2", f"hydra.sweep.dir={tmp_path / 's'}"])
    open_sweep(first)
    before = (tmp_path / "s" / "sweep.json").read_text()
    other = plan_sweep(["-m", "seed=1,3", f"hydra.sweep.dir={tmp_path / 's'}"])
    with pytest.raises(ConfigError, match="holds a different sweep"):
        open_sweep(other)
    assert (tmp_path / "s" / "sweep.json").read_text() == before
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="is not a strikesim sweep"):
        open_sweep(plan_sweep(["-m", "seed=1,2", f"hydra.sweep.dir={tmp_path / 'x'}"]))
    assert [p.name for p in (tmp_path / "x").iterdir()] == ["notes.txt"]


def test_joblib_sweep_writes_complete_job_folders_and_an_index(tmp_path: Path) -> None:
    args = ["-m", "population=classroom", "weather.temperature_f=-20,30", "seed=0,1"]
    proc = run_cli([*args, "hydra/launcher=joblib", "hydra.launcher.n_jobs=2"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    folder = sweep_folder(tmp_path)
    assert folder.name.startswith("temperature_f-seed-")
    jobs = job_folders(folder)
    assert [j.name for j in jobs] == ["0", "1", "2", "3"]
    for job in jobs:
        assert_complete(job)
    index = pd.read_csv(folder / "index.csv")
    assert list(index["status"]) == ["done"] * 4
    assert list(index["weather.temperature_f"]) == [-20, -20, 30, 30]
    for row in index.itertuples():
        summary = json.loads((folder / str(row.job) / "summary.json").read_text())
        assert row.marchers == summary["marchers"] and row.seed == summary["seed"]
        hydra_overrides = yaml.safe_load((folder / str(row.job) / ".hydra/overrides.yaml").open())
        assert row.overrides.split() == hydra_overrides  # our plan is Hydra's job list
    assert "4/4 jobs (0 failed)" in proc.stdout and "jobs/s" in proc.stdout  # the progress
    assert not (folder / ".staging").exists()


def test_a_failing_job_is_reported_at_once_the_others_go_on_and_a_rerun_retries_it(
    tmp_path: Path,
) -> None:
    good, bad = tmp_path / "good.graphml", tmp_path / "bad.graphml"
    nx.write_graphml(nx.connected_watts_strogatz_graph(300, 6, 0.1, seed=1), good)
    bad.write_text("<graphml>")
    args = ["-m", "network=file", f"network.path={bad},{good}", "seed=0"]
    proc = run_cli(args, tmp_path, merge_stderr=True)
    assert proc.returncode == 1, proc.stdout
    lines = proc.stdout.splitlines()
    failed = [i for i, line in enumerate(lines) if "job 0 failed" in line]
    closing = [i for i, line in enumerate(lines) if "2/2 jobs (1 failed)" in line]
    assert failed and closing and failed[0] < closing[0]  # reported as it happened, not at the end
    assert "not a readable graphml file" in lines[failed[0]]
    assert "1 of 2 jobs failed" in proc.stdout
    folder = sweep_folder(tmp_path)
    assert [j.name for j in job_folders(folder)] == ["1"]  # no folder for the failed job
    assert not (folder / ".staging").exists()
    index = pd.read_csv(folder / "index.csv", keep_default_na=False)
    assert list(index["status"]) == ["failed", "done"]
    assert "not a readable graphml file" in index.loc[0, "error"]

    nx.write_graphml(nx.connected_watts_strogatz_graph(300, 6, 0.1, seed=2), bad)  # fix it
    retry = run_cli(args, tmp_path, merge_stderr=True)
    assert retry.returncode == 0, retry.stdout
    assert "2 jobs, 1 already finished, 1 to run" in retry.stdout
    assert list(pd.read_csv(folder / "index.csv")["status"]) == ["done", "done"]


def test_sigkill_mid_sweep_loses_nothing_finished_and_resume_completes_it(tmp_path: Path) -> None:
    args = ["-m", "population=classroom", "seed=range(0,6)"]
    proc = subprocess.Popen(
        cli_command(args),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=CLI_ENV,
        start_new_session=True,
    )
    sweeps = tmp_path / "results" / "sweeps"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if sweeps.exists() and any(sweeps.iterdir()) and job_folders(sweep_folder(tmp_path)):
            break
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    folder = sweep_folder(tmp_path)
    finished = job_folders(folder)
    assert 1 <= len(finished) < 6, "the sweep should have been killed mid-way"
    for job in finished:
        assert_complete(job)
    mtimes = {j.name: (j / "summary.json").stat().st_mtime_ns for j in finished}

    resumed = run_cli(args, tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert f"6 jobs, {len(finished)} already finished, {6 - len(finished)} to run" in (
        resumed.stdout
    )
    jobs = job_folders(folder)
    assert len(jobs) == 6
    for job in jobs:
        assert_complete(job)
    assert {n: (folder / n / "summary.json").stat().st_mtime_ns for n in mtimes} == mtimes
    assert list(pd.read_csv(folder / "index.csv")["status"]) == ["done"] * 6
    # the killed attempt's staging folder is not this attempt's to remove: kept and reported
    assert len(list((folder / ".staging").iterdir())) == 1
    assert "1 staging folder(s) of earlier, killed attempts remain" in resumed.stdout


def test_bad_sweep_input_exits_2_with_one_line_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for args in (
        ["-m", "seed=0,1", "weather.tempf=3"],  # an unknown key
        ["-m", "experiment=cold_snap", "weather.temperature_f=-20,-200"],  # out of range
    ):
        assert main(args) == 2, args
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("strikesim: config error: "), err
    assert "weather.temperature_f=-200" in err
    assert not (tmp_path / "results").exists()


LONG = ",".join(str(t) for t in [*range(-30, 0), 500, *range(0, 29)])  # one bad value mid-list


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["-m", "population.size=20000,100", "population.scale=1,500"], "population.scale=500"),
        (["-m", f"weather.temperature_f={LONG}"], "weather.temperature_f=500"),
        (["-m", "seed=range(0,0)"], "seed=range(0,0) gives no values"),
        (["-m", "seed=range(0,5,0)"], "range() arg 3 must not be zero"),
        (["-m", "seed=0,1", "hydra/launcher=joblib", "hydra.launcher.n_jobs=0"], "n_jobs=0"),
        (["-m", "seed=0,1", "network=file", "network.path=nope.graphml"], "network.path"),
        (["-m", "=5"], "'=5' has no key"),
        (["-m", "seed=0,1", "hydra.sweep.subdir=x"], "hydra.sweep.subdir cannot be set"),
    ],
)
def test_every_job_of_a_sweep_is_checked_before_anything_is_written(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    named: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("strikesim: config error: "), err
    assert named in err
    assert not list(tmp_path.iterdir())


def test_the_sweep_flag_may_follow_the_overrides(tmp_path: Path) -> None:
    proc = run_cli(["population=classroom", "-m", "seed=0,1"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert list(pd.read_csv(sweep_folder(tmp_path) / "index.csv")["status"]) == ["done"] * 2


def test_a_sweep_writes_one_tidy_table_and_one_time_series_with_its_factors(
    tmp_path: Path,
) -> None:
    args = ["-m", "population=classroom", "weather.temperature_f=-20,30", "seed=0,1"]
    assert run_cli(args, tmp_path).returncode == 0
    folder = sweep_folder(tmp_path)
    table = pd.read_parquet(folder / "results.parquet")
    assert list(table["job"]) == [0, 1, 2, 3]
    assert table["weather.temperature_f"].dtype.kind == "i" and table["seed"].dtype.kind == "i"
    index = pd.read_csv(folder / "index.csv")
    assert list(table["marchers"]) == list(index["marchers"])
    for row in table.itertuples():
        summary = json.loads((folder / str(row.job) / "summary.json").read_text())
        assert row.striking_workers == summary["striking_workers"]
    series = pd.read_parquet(folder / "timeseries.parquet")
    assert set(series["job"]) == {0, 1, 2, 3}
    one = series.query("job == 2").drop(columns=["job", "weather.temperature_f", "seed"])
    alone = pd.read_parquet(folder / "2" / "timeseries.parquet")
    pd.testing.assert_frame_equal(one.reset_index(drop=True), alone)
    assert set(series.query("job == 2")["weather.temperature_f"]) == {30}
    duckdb = pytest.importorskip("duckdb")  # the README's one line, as a researcher types it
    means = duckdb.sql(
        f"""SELECT "weather.temperature_f" AS t, avg(marchers) AS m
        FROM '{folder / "results.parquet"}' GROUP BY t ORDER BY t"""
    ).fetchall()
    assert means == [
        tuple(r)
        for r in table.groupby("weather.temperature_f")["marchers"]
        .mean()
        .reset_index()
        .itertuples(index=False)
    ]


def test_a_resume_with_other_code_is_refused_unless_allowed(tmp_path: Path) -> None:
    args = ["-m", "population=classroom", "seed=0,1"]
    assert run_cli(args, tmp_path).returncode == 0
    folder = sweep_folder(tmp_path)
    plan = json.loads((folder / "sweep.json").read_text())
    plan["code"]["versions"]["numpy"] = "0.0.1"  # as if numpy had been another version
    (folder / "sweep.json").write_text(json.dumps(plan))
    before = (folder / "index.csv").read_bytes()
    refused = run_cli(args, tmp_path)
    assert refused.returncode == 2
    assert "was started with other code" in refused.stderr and "numpy" in refused.stderr
    assert refused.stderr.count("\n") == 1 and (folder / "index.csv").read_bytes() == before
    allowed = run_cli([*args, "--allow-code-change"], tmp_path)
    assert allowed.returncode == 0, allowed.stderr
