"""``strikesim rerun DIR``: a recorded run comes out bit-identical, and any difference is named."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from strikesim import results
from strikesim.cli import main
from strikesim.studies.rerun import as_written, load_run, timeseries_differences


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh small run, made as a user makes it: through the command line."""
    folder = tmp_path_factory.mktemp("recorded") / "run"
    assert main(["population=classroom", "seed=4", f"hydra.run.dir={folder}"]) == 0
    assert results.is_finished(folder)
    return folder


@pytest.fixture
def copy(recorded: Path, tmp_path: Path) -> Path:
    """A copy of the recorded run, to tamper with."""
    return Path(shutil.copytree(recorded, tmp_path / "copy"))


def edit_summary(folder: Path, **changes: object) -> None:
    summary = results.read_summary(folder)
    summary.update(changes)
    (folder / results.SUMMARY).write_text(json.dumps(summary, indent=2) + "\n")


def rerun(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["rerun", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_fresh_run_reruns_identical(recorded: Path, capsys) -> None:
    before = sorted(p.name for p in recorded.iterdir())
    code, out, err = rerun([str(recorded)], capsys)
    assert code == 0, out + err
    assert "identical" in out and "different" not in out
    assert "same code, dependency versions and data files as recorded" in out
    assert sorted(p.name for p in recorded.iterdir()) == before  # a check writes nothing


def test_a_sweep_job_folder_reruns_too(recorded: Path, tmp_path: Path, capsys) -> None:
    job = Path(shutil.copytree(recorded, tmp_path / "sweep" / "0"))
    (job / ".hydra").mkdir()
    (job / ".hydra" / "overrides.yaml").write_text("- population=classroom\n- seed=4\n")
    code, out, _ = rerun([str(job)], capsys)
    assert code == 0 and "identical" in out


def test_a_tampered_outcome_is_named(copy: Path, capsys) -> None:
    marchers = results.read_summary(copy)["marchers"]
    edit_summary(copy, marchers=marchers + 1)
    code, out, _ = rerun([str(copy)], capsys)
    assert code == 1
    assert "different: 1 difference(s)" in out
    assert f"marchers: {marchers + 1} recorded, {marchers} now" in out


def test_a_tampered_earlier_action_day_is_named_by_its_position_and_field(
    copy: Path, capsys
) -> None:
    events = results.read_summary(copy)["events"]
    assert len(events) == 3  # the default scenario: 10 Jan march, 23 Jan strike, 13 Feb
    marchers = events[0]["marchers"]
    events[0]["marchers"] = marchers + 1
    edit_summary(copy, events=events)
    code, out, _ = rerun([str(copy)], capsys)
    assert code == 1
    assert "different: 1 difference(s)" in out  # NaN (no published figure) equals NaN
    assert f"events.0.marchers: {marchers + 1} recorded, {marchers} now" in out


def test_a_changed_time_series_is_named(copy: Path) -> None:
    run = load_run(copy)
    frame = run.timeseries.to_pandas()
    assert timeseries_differences(run.timeseries, frame) == []
    frame.loc[3, "people"] += 1
    (line,) = timeseries_differences(run.timeseries, frame)
    assert line.startswith("timeseries column 'people': 1 of") and "row 3" in line
    assert timeseries_differences(as_written(frame), frame.iloc[:-1]) == [
        f"timeseries: {len(frame)} rows recorded, {len(frame) - 1} now"
    ]


def test_other_code_versions_and_data_are_reported_before_the_run(copy: Path, capsys) -> None:
    summary = results.read_summary(copy)
    edit_summary(
        copy,
        git_commit="0" * 40,
        git_tree="clean" if summary["git_tree"] == "dirty" else "dirty",
        versions={**summary["versions"], "numpy": "0.0.1"},
        data_files={**summary["data_files"], "scenarios/data/sectors.csv": "f" * 64},
    )
    code, out, _ = rerun([str(copy)], capsys)
    assert code == 0  # the outcomes are still identical: notes only
    notes = out.split("\nidentical: ")[0]  # printed before the run, hence before the verdict
    assert notes != out
    assert "code commit: 000000000000 recorded" in notes
    assert "working tree:" in notes
    assert "numpy version: 0.0.1 recorded" in notes
    assert "data file scenarios/data/sectors.csv: sha256 ffffffffffff recorded" in notes


def assert_one_line_refusal(code: int, out: str, err: str, *words: str) -> None:
    assert code == 2 and not out
    assert err.startswith("strikesim: config error: ") and err.count("\n") == 1
    assert all(w in err for w in words), err


def test_missing_unfinished_and_corrupt_folders_exit_2_with_one_line(
    copy: Path, tmp_path: Path, capsys
) -> None:
    assert_one_line_refusal(*rerun([str(tmp_path / "nope")], capsys), "no such folder")
    (tmp_path / "empty").mkdir()
    assert_one_line_refusal(*rerun([str(tmp_path / "empty")], capsys), "not a finished run")
    config = copy / results.CONFIG
    text = config.read_text()
    config.write_text(text.replace("seed: 4", "seed: x"))  # same size: still "finished"
    assert results.is_finished(copy)
    assert_one_line_refusal(*rerun([str(copy)], capsys), "config.yaml", "seed")
    config.write_text(text.replace("seed: 4", "seed: :"))  # not YAML
    assert_one_line_refusal(*rerun([str(copy)], capsys), "not a readable strikesim config")
    config.write_text(text.replace("temperature_f: 8.0", "temperature_f: 999"))  # out of range
    assert_one_line_refusal(*rerun([str(copy)], capsys), "weather.temperature_f=999")
    assert_one_line_refusal(*rerun([], capsys), "DIR")


def test_out_publishes_a_new_complete_run_folder(recorded: Path, tmp_path: Path, capsys) -> None:
    out_dir = tmp_path / "again" / "run"
    code, out, _ = rerun([str(recorded), "--out", str(out_dir)], capsys)
    assert code == 0 and "identical" in out and f"published in {out_dir}" in out
    assert results.is_finished(out_dir)
    assert {results.CONFIG, results.TIMESERIES, results.PLOT, results.SUMMARY} <= {
        p.name for p in out_dir.iterdir()
    }
    assert results.read_summary(out_dir)["marchers"] == results.read_summary(recorded)["marchers"]
    assert (out_dir / results.CONFIG).read_text() == (recorded / results.CONFIG).read_text()
    code, out, _ = rerun([str(out_dir)], capsys)  # the published rerun is a run like any other
    assert code == 0 and "identical" in out


def test_out_never_writes_over_anything_nor_into_the_record(
    recorded: Path, tmp_path: Path, capsys
) -> None:
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("keep me")
    assert_one_line_refusal(*rerun([str(recorded), "--out", str(taken)], capsys), "not empty")
    assert [p.name for p in taken.iterdir()] == ["keep.txt"]
    before = sorted(p.name for p in recorded.iterdir())
    inside = recorded / "rerun"
    assert_one_line_refusal(*rerun([str(recorded), "--out", str(inside)], capsys), "inside")
    assert sorted(p.name for p in recorded.iterdir()) == before
