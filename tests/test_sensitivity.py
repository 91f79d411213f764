"""Sensitivity indices: known answers (Ishigami, a linear function), and the command end to end:
replications over seeds, outputs in city people, the settings saved, the figures drawn."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.container import ErrorbarContainer
from SALib.test_functions import Ishigami

from strikesim.cli.sensitivity import main
from strikesim.compose import compose_config
from strikesim.engine.outputs import BY_KEY, Scaling
from strikesim.studies.sensitivity import OUTPUTS, Output, analyze, load_spec, output_column, sample
from strikesim.viz.study_plots import morris_mu_sigma_figure, sobol_figure

CLASSROOM = 1_000  # people of population=classroom


def reference_population() -> int:
    """What counts are scaled to: the default scenario's ``reference_population``."""
    return compose_config(["population=classroom"]).scenario.reference_population


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
        "method: morris\nsamples: 2\nreplications: 2\noverrides: [population=classroom]\n"
        "parameters:\n  weather.temperature_f: [-20, 50]\n  network.friendship_degree: [2, 10]\n"
    )
    args = [str(spec), "--jobs", "1", "--resamples", "50"]
    assert main(args) == 0
    (folder,) = (tmp_path / "results" / "sensitivity").iterdir()
    assert folder.name.startswith("two-morris-")
    jobs = sorted(p for p in folder.iterdir() if p.name.isdigit())
    assert len(jobs) == 2 * (2 + 1) * 2  # trajectories * (parameters + 1) * replications
    overrides = pd.read_csv(folder / "index.csv")["overrides"]
    degrees = overrides.str.extract(r"network.friendship_degree=(\S+)")[0]
    assert degrees.str.fullmatch(r"\d+").all()  # an integer key gets integers
    # every point at the same two seeds (common random numbers), point after point
    assert list(overrides.str.extract(r"seed=(\d+)")[0].astype(int)) == [0, 1] * 6
    table = pd.read_csv(folder / "sensitivity.csv")
    assert list(table["parameter"]) == ["weather.temperature_f", "network.friendship_degree"]
    assert (table["output"] == "marchers_city_equivalent").all()
    assert (table["mu_star"] >= 0).all() and table["mu_star"].iloc[0] > 0
    for png in ("sensitivity.png", "morris_mu_star_sigma.png"):
        assert (folder / png).read_bytes()[:4] == b"\x89PNG"
    out = capsys.readouterr().out
    assert "12 runs, 0 already finished, 12 to run (6 points x 2 seeds)" in out
    city = reference_population()
    assert city > CLASSROOM
    assert f"scaled per capita to the reference population {city:,}" in out

    # each run scaled per capita to the city; each point the mean of its two seeds
    runs = pd.read_csv(folder / "runs.csv")
    assert (runs["people"] == CLASSROOM).all() and (runs["reference_population"] == city).all()
    assert runs["marchers_city_equivalent"].to_numpy() == pytest.approx(
        runs["marchers"].to_numpy() * city / CLASSROOM
    )
    points = pd.read_csv(folder / "points.csv")
    assert list(points["seeds"]) == [2] * 6
    assert points["marchers_city_equivalent"].to_numpy() == pytest.approx(
        runs.groupby("point")["marchers_city_equivalent"].mean().to_numpy()
    )

    # the resolved spec and every setting of the analysis, with the versions that ran it
    saved = yaml.safe_load((folder / "spec.yaml").read_text())
    assert saved["spec"]["parameters"] == {
        "weather.temperature_f": [-20, 50],
        "network.friendship_degree": [2, 10],
    }
    assert saved["spec"]["replications"] == saved["replications"] == 2
    assert (saved["method"], saved["samples"], saved["seeds"]) == ("morris", 2, [0, 1])
    assert saved["salib_version"] and saved["versions"]["SALib"] == saved["salib_version"]
    assert saved["analysis"]["column"] == "marchers_city_equivalent"
    assert saved["analysis"]["bootstrap_resamples"] == 50 and "git_commit" in saved

    mtimes = [(j / "summary.json").stat().st_mtime_ns for j in jobs]
    assert main(args) == 0
    assert "12 runs, 12 already finished, 0 to run" in capsys.readouterr().out
    assert [(j / "summary.json").stat().st_mtime_ns for j in jobs] == mtimes
    pd.testing.assert_frame_equal(pd.read_csv(folder / "sensitivity.csv"), table)


def test_sobol_command_writes_intervals_and_takes_replications_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "tiny.yaml"
    spec.write_text(
        "method: sobol\nsamples: 2\noverrides: [population=classroom]\nparameters:\n"
        "  weather.temperature_f: [-20, 50]\n  behavior.union_call: [0.05, 0.3]\n"
    )
    assert main([str(spec), "--replications", "2", "--jobs", "1", "--resamples", "20"]) == 0
    (folder,) = (tmp_path / "results" / "sensitivity").iterdir()
    assert len([p for p in folder.iterdir() if p.name.isdigit()]) == 2 * (2 + 2) * 2
    table = pd.read_csv(folder / "sensitivity.csv")
    assert {"S1", "S1_conf", "ST", "ST_conf"} <= set(table.columns)
    assert (folder / "sensitivity.png").read_bytes()[:4] == b"\x89PNG"
    assert yaml.safe_load((folder / "spec.yaml").read_text())["seeds"] == [0, 1]


def test_sobol_figure_draws_each_interval_as_an_error_bar() -> None:
    table = pd.DataFrame(
        {
            "parameter": ["a", "b", "c"],
            "S1": [0.5, 0.2, 0.0],
            "S1_conf": [0.1, 0.05, 0.02],
            "ST": [0.6, 0.3, 0.1],
            "ST_conf": [0.2, 0.1, 0.04],
        }
    )
    fig = sobol_figure(table, "test")
    try:
        bars = [c for c in fig.axes[0].containers if isinstance(c, ErrorbarContainer)]
        assert len(bars) == 2  # S1 and ST
        for container, index in zip(bars, ["S1", "ST"], strict=True):
            (segments,) = container.lines[2]  # the vertical bars, one per parameter
            spans = [(s[0][1], s[1][1]) for s in segments.get_segments()]
            mid, half = table[index].to_numpy(), table[f"{index}_conf"].to_numpy()
            expected = np.column_stack([mid - half, mid + half])
            assert np.array(spans) == pytest.approx(expected)
    finally:
        plt.close(fig)


def test_morris_plane_has_mu_star_on_x_sigma_on_y_and_labels_every_point() -> None:
    table = pd.DataFrame(
        {
            "parameter": ["weather.temperature_f", "behavior.union_call"],
            "mu_star": [4000.0, 9000.0],
            "mu_star_conf": [500.0, 800.0],
            "mu": [-4000.0, 9000.0],
            "sigma": [3000.0, 12000.0],
        }
    )
    fig = morris_mu_sigma_figure(table, "city people", "test")
    try:
        ax = fig.axes[0]
        assert "mu*" in ax.get_xlabel() and "sigma" in ax.get_ylabel()
        (points,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
        x, y = points.lines[0].get_data()
        assert list(x) == [4000.0, 9000.0] and list(y) == [3000.0, 12000.0]
        assert [t.get_text() for t in ax.texts] == list(table["parameter"])
    finally:
        plt.close(fig)


def test_counts_are_analysed_in_city_people_and_ratios_as_they_are() -> None:
    assert output_column(Output.marchers) == "marchers_city_equivalent"
    assert output_column(Output.k12_walkouts) == "k12_walkouts_city_equivalent"
    for ratio in (Output.march_probability, Output.unaffiliated_marcher_share):
        column = output_column(ratio)
        assert column == ratio.value and type(column) is str  # plain text: spec.yaml dumps it
    assert all(output_column(o).startswith(o) for o in OUTPUTS)
    # every output is one the model declares, and is scaled iff the model counts it in people
    assert set(OUTPUTS) <= set(BY_KEY)
    for o in OUTPUTS:
        scaled = output_column(o) != o
        assert scaled == (BY_KEY[o].scaling is Scaling.PEOPLE), o
    assert output_column(Output.marchers_city) == "marchers_city_city_equivalent"


def test_every_preset_range_contains_the_shipped_value() -> None:
    """A range that leaves out the value the other points share studies another model: the
    preset runs the fixed point set (no posterior draw per seed), whose values lie inside."""
    spec = load_spec("calls_and_cold")
    shipped = compose_config(spec.overrides)
    assert not shipped.behavior.posterior
    for key, (low, high) in spec.parameters.items():
        group, name = key.split(".")
        value = getattr(getattr(shipped, group), name)
        assert low <= value <= high, (key, value, low, high)


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
