"""The command line end to end, as a user runs it: folders, files, messages, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from strikesim.cli import main
from tests.conftest import run_cli


def test_small_run_writes_a_complete_results_folder(tmp_path: Path) -> None:
    proc = run_cli(["population=small", "seed=3", "weather.temperature_f=35"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    (folder,) = (tmp_path / "results" / "runs").iterdir()
    assert folder.name.endswith("_ice_out_2026")
    assert {
        "config.yaml",
        "summary.json",
        "timeseries.parquet",
        "events.parquet",
        "turnout.png",
    } <= {p.name for p in folder.iterdir()}
    assert not [
        p for p in folder.iterdir() if p.name.startswith(".") and p.is_file()
    ]  # no temp files
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["seed"] == 3 and summary["people"] == 20_000
    assert summary["versions"]["mesa"] and summary["wall_time_s"] > 0
    assert "temperature_f: 35.0" in (folder / "config.yaml").read_text()
    # the default scenario runs the documented campaign: two earlier action days, then 13 Feb
    events = pd.read_parquet(folder / "events.parquet")
    assert list(events["date"]) == ["2026-01-10", "2026-01-23", "2026-02-13"]
    assert list(events["kind"]) == ["march", "strike", "strike"]
    assert [e["marchers"] for e in summary["events"]] == list(events["marchers"])
    assert events["marchers"].iloc[-1] == summary["marchers"]
    ts = pd.read_parquet(folder / "timeseries.parquet")
    marching = ts.query("phase == 'action_day' and form == 'marching'")
    per_day = marching.groupby("day")["people"].sum()
    assert list(per_day.index) == list(events["day"])  # one action day per event, on its day
    assert list(per_day) == list(events["marchers"])
    assert f"Marchers on the day:        {summary['marchers']:>9,} people" in proc.stdout
    for e in summary["events"][:-1]:  # the earlier days, each against its published figure
        assert f"{e['date']} {e['kind']:<6} marchers {e['marchers']:>9,}" in proc.stdout
    assert f"Results: {folder.relative_to(tmp_path)}" in proc.stdout
    assert (folder / "turnout.png").read_bytes()[:4] == b"\x89PNG"


def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "results").mkdir()
    earlier = tmp_path / "results" / "earlier.txt"
    earlier.write_text("keep me")
    for args in (
        ["weather.temperature_f=-100"],
        ["scenario=atlantis"],
        ["-m", "seed=1,2", "population.size=0"],
    ):
        proc = run_cli(args, tmp_path)
        assert proc.returncode == 2, args
        assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("strikesim: config error: ")
    assert [p.name for p in (tmp_path / "results").iterdir()] == ["earlier.txt"]
    assert earlier.read_text() == "keep me"


def test_failure_inside_the_run_leaves_no_half_written_folder(tmp_path: Path) -> None:
    bad = tmp_path / "broken.graphml"
    bad.write_text("<graphml>")
    proc = run_cli(["network=file", f"network.path={bad}"], tmp_path)
    assert proc.returncode == 2 and "not a readable graphml file" in proc.stderr
    runs = tmp_path / "results" / "runs"
    assert not runs.exists() or not list(runs.iterdir())


def test_help_lists_groups_keys_and_subcommands(capsys) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "subcommands:" in out and "scenario: day_of_truth_2026_01_23, ice_out_2026" in out
    assert "weather.temperature_f" in out
