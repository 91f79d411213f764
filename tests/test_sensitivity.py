"""Sensitivity indices: known answers (Ishigami, a linear function), and the command end to end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from SALib.test_functions import Ishigami

from strikesim.cli.sensitivity import main
from strikesim.studies.sensitivity import analyze, sample

ISHIGAMI = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
# analytic indices of the Ishigami function with a = 7, b = 0.1 (Saltelli et al. 2008, sect. 4.6)
ISHIGAMI_S1 = [0.3139, 0.4424, 0.0]
ISHIGAMI_ST = [0.5576, 0.4424, 0.2437]


def test_sobol_indices_of_the_ishigami_function_match_the_analytic_values() -> None:
    points = sample(ISHIGAMI, "sobol", 2048, seed=1)
    table = analyze(ISHIGAMI, "sobol", points, Ishigami.evaluate(points), seed=1, resamples=200)
    assert table["S1"].to_numpy() == pytest.approx(ISHIGAMI_S1, abs=0.05)
    assert table["ST"].to_numpy() == pytest.approx(ISHIGAMI_ST, abs=0.05)
    assert (table["S1_conf"] > 0).all() and (table["S1_conf"] < 0.1).all()


def test_morris_elementary_effects_of_a_linear_function_are_its_slopes() -> None:
    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 1], [0, 2], [5, 6]]}
    points = sample(problem, "morris", 10, seed=3)
    output = 3 * points[:, 0] - 1 * points[:, 1] + 0 * points[:, 2]
    table = analyze(problem, "morris", points, output, seed=3, resamples=100)
    # an elementary effect is measured per unit of the scaled range: slope * (high - low)
    assert table["mu_star"].to_numpy() == pytest.approx([3, 2, 0], abs=1e-9)
    assert table["mu"].to_numpy() == pytest.approx([3, -2, 0], abs=1e-9)
    assert table["sigma"].to_numpy() == pytest.approx([0, 0, 0], abs=1e-9)


def test_sensitivity_command_runs_jobs_writes_indices_and_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "two.yaml"
    spec.write_text(
        "method: morris\nsamples: 2\noverrides: [population=classroom]\nparameters:\n"
        "  weather.temperature_f: [-20, 50]\n  network.friendship_degree: [2, 10]\n"
    )
    args = [str(spec), "--jobs", "1", "--resamples", "50"]
    assert main(args) == 0
    (folder,) = (tmp_path / "results" / "sensitivity").iterdir()
    assert folder.name.startswith("two-morris-")
    jobs = sorted(p for p in folder.iterdir() if p.name.isdigit())
    assert len(jobs) == 2 * (2 + 1)  # trajectories * (parameters + 1)
    overrides = pd.read_csv(folder / "index.csv")["overrides"]
    degrees = overrides.str.extract(r"network.friendship_degree=(\S+)")[0]
    assert degrees.str.fullmatch(r"\d+").all()  # an integer key gets integers
    assert overrides.str.contains("seed=0").all()  # one seed for every point
    table = pd.read_csv(folder / "sensitivity.csv")
    assert list(table["parameter"]) == ["weather.temperature_f", "network.friendship_degree"]
    assert (table["mu_star"] >= 0).all() and table["mu_star"].iloc[0] > 0
    assert (folder / "sensitivity.png").read_bytes()[:4] == b"\x89PNG"
    assert "6 runs, 0 already finished, 6 to run" in capsys.readouterr().out

    mtimes = [(j / "summary.json").stat().st_mtime_ns for j in jobs]
    assert main(args) == 0
    assert "6 runs, 6 already finished, 0 to run" in capsys.readouterr().out
    assert [(j / "summary.json").stat().st_mtime_ns for j in jobs] == mtimes
    pd.testing.assert_frame_equal(pd.read_csv(folder / "sensitivity.csv"), table)


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        (
            "  weather.tempf: [0, 1]\n  seed: [0, 9]\n",
            "'weather.tempf' is not a numeric config key",
        ),
        ("  weather.name: [0, 1]\n  seed: [0, 9]\n", "'weather.name' is not a numeric config key"),
        ("  weather.temperature_f: [50, 10]\n  seed: [0, 9]\n", "low < high"),
        ("  weather.temperature_f: [-200, 10]\n  seed: [0, 9]\n", "temperature_f=-200"),
    ],
)
def test_bad_specs_exit_2_with_one_line_and_write_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    parameters: str,
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "bad.yaml"
    spec.write_text(f"method: morris\nparameters:\n{parameters}")
    assert main([str(spec)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "results").exists()
