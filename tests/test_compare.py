"""``strikesim compare`` on a tiny hand-made sweep (numbers checked by hand), and CRN pairing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from strikesim import results
from strikesim.cli.compare import main
from strikesim.run import simulate
from strikesim.studies import tables
from strikesim.studies.compare import (
    PREDICTIVE_KIND,
    SEEDS_KIND,
    _interval_kind,
    bootstrap_ci,
    load_jobs,
    paired_differences,
    t_ci,
    wilson_interval,
)
from tests.conftest import run_cli

Z = 1.959963984540054  # the normal quantile of a 95% interval
T2 = 4.302652729911275  # Student's t quantile (0.975) with 2 degrees of freedom

# coalition x seed -> marchers; observed (the default target) is 100 in every run
MARCHERS = {("narrow", 0): 10, ("narrow", 1): 20, ("narrow", 2): 60}
MARCHERS |= {("broad", 0): 40, ("broad", 1): 35, ("broad", 2): 100}


def make_sweep(folder: Path, marchers: dict[tuple[str, int], int], unfinished: int = 0) -> Path:
    """A sweep folder as ``strikesim -m coalition=narrow,broad seed=0,1,2`` would leave it."""
    jobs = [
        {"job": n, "overrides": [f"coalition={c}", f"seed={s}", "population=small"]}
        for n, (c, s) in enumerate(marchers)
    ]
    factors = {"coalition": ["narrow", "broad"], "seed": ["0", "1", "2"]}
    plan = {"command": "test", "factors": factors, "fixed": ["population=small"], "jobs": jobs}
    results.write_json(folder / "sweep.json", plan)
    for n, ((_coalition, seed), count) in enumerate(marchers.items()):
        if n >= len(marchers) - unfinished:
            (folder / str(n)).mkdir()  # a job folder without summary.json is not a result
            continue
        summary = {"seed": seed, "marchers": count, "observed": {"marchers": 100}}
        results.write_text(folder / str(n) / "config.yaml", "{}\n")  # a finished run has both
        results.write_json(folder / str(n) / "summary.json", summary)
        days = pd.DataFrame(
            {
                "day": [0, 1, 2],
                "phase": "campaign",
                "agent_type": "worker",
                "form": "projected_marching",
                "people": [0.0, count / 2, count],
            }
        )
        results.write_parquet(folder / str(n) / "timeseries.parquet", days)
    return folder


def test_level_table_and_paired_differences_match_a_hand_computation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sweep = make_sweep(tmp_path / "s", MARCHERS)
    assert main([str(sweep), "--by", "coalition", "--target", "35"]) == 0
    out = sweep / "comparison"
    table = pd.read_csv(out / "comparison.csv").set_index("coalition")
    narrow, broad = table.loc["narrow"], table.loc["broad"]
    assert list(table.index) == ["narrow", "broad"]  # the sweep's order, not alphabetical
    assert narrow["runs"] == 3 and narrow["mean"] == 30 and narrow["median"] == 20
    # numpy's linear quantiles of (10, 20, 60): position 0.05 * 2 = 0.1 and 0.95 * 2 = 1.9
    assert narrow["q05"] == pytest.approx(10 + 0.1 * 10) and narrow["q95"] == pytest.approx(56)
    assert narrow["p_reach_target"] == pytest.approx(1 / 3)  # only 60 >= 35
    assert broad["p_reach_target"] == 1.0  # 40, 35, 100 >= 35
    assert broad["mean"] == pytest.approx(175 / 3)
    diff = pd.read_parquet(out / "differences.parquet").iloc[0]
    # broad - narrow by seed: 40-10, 35-20, 100-60 = 30, 15, 40
    assert (diff["level"], diff["reference"], diff["pairs"]) == ("broad", "narrow", 3)
    assert diff["mean_difference"] == pytest.approx(85 / 3)
    assert 15 <= diff["ci_low"] < 85 / 3 < diff["ci_high"] <= 40
    for plot in ("distribution.png", "curves.png"):
        assert (out / plot).read_bytes()[:4] == b"\x89PNG"
    printed = capsys.readouterr().out
    assert "6 finished jobs" in printed and "+28" in printed

    # the default target is each run's observed figure (100): only broad seed 2 reaches it
    assert main([str(sweep), "--out", str(tmp_path / "o")]) == 0
    default = pd.read_csv(tmp_path / "o" / "comparison.csv").set_index("coalition")
    assert list(default["p_reach_target"]) == [0, pytest.approx(1 / 3)]


def test_unfinished_jobs_are_left_out_and_pairs_need_both_sides(tmp_path: Path) -> None:
    jobs, factors = load_jobs([make_sweep(tmp_path, MARCHERS, unfinished=1)])
    assert len(jobs) == 5 and factors == ["coalition"]
    diff = paired_differences(jobs, ["coalition"], factors, {"coalition": "narrow"}).iloc[0]
    assert diff["pairs"] == 2 and diff["mean_difference"] == pytest.approx((30 + 15) / 2)


def test_bootstrap_ci_is_seeded_and_degenerate_cases_are_explicit() -> None:
    values = np.array([30.0, 15.0, 40.0, 22.0])
    assert bootstrap_ci(values) == bootstrap_ci(values)
    assert bootstrap_ci(np.array([5.0, 5.0])) == (5.0, 5.0)
    assert all(np.isnan(bootstrap_ci(np.array([5.0]))))


def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sweep = make_sweep(tmp_path / "s", MARCHERS)
    (tmp_path / "plain").mkdir()
    cases = {
        "is not a sweep folder": [str(tmp_path / "plain")],
        "'weather.temperature_f' is not a factor": [str(sweep), "--by", "weather.temperature_f"],
        "is not a level": [str(sweep), "--reference", "coalition=wide"],
        "--outcome 'walkers' is not a numeric outcome": [str(sweep), "--outcome", "walkers"],
        "--ci: invalid choice: 'bayes'": [str(sweep), "--ci", "bayes"],
    }
    for message, args in cases.items():
        assert main(args) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, err
    assert not (sweep / "comparison").exists()
    assert list((tmp_path / "plain").iterdir()) == []


def test_common_random_numbers_make_paired_differences_less_noisy(make_config) -> None:
    """Marchers at 30 °F minus -20 °F: paired by seed vs. drawn with independent seeds.

    At a fixed point set (``behavior=default``): the claim is about simulation noise. Under the
    posterior a pair also shares its draw, but the effect itself varies between draws, which
    no pairing removes (the paired differences' 90% interval reports that spread).
    """
    seeds = range(6)
    point = ("population=classroom", "behavior=default")
    rows = [
        {
            "weather.temperature_f": t,
            "seed": s,
            "marchers": simulate(
                make_config(*point, f"weather.temperature_f={t}", f"seed={s}")
            ).summary["marchers"],
        }
        for t in (-20, 30)
        for s in [*seeds, *(s + 100 for s in seeds)]
    ]
    jobs = pd.DataFrame(rows)
    factors = ["weather.temperature_f"]
    paired = paired_differences(jobs, factors, factors, {"weather.temperature_f": -20}).iloc[0]
    warm = jobs.query("`weather.temperature_f` == 30 and seed < 100")["marchers"].to_numpy()
    cold_other_seeds = jobs.query("`weather.temperature_f` == -20 and seed >= 100")["marchers"]
    independent = warm - cold_other_seeds.to_numpy()
    assert paired["pairs"] == 12
    assert paired["mean_difference"] > 0  # warmer days draw more marchers
    assert paired["sd_difference"] ** 2 < 0.5 * independent.var(ddof=1)


def test_several_sweeps_combine_and_a_factor_fixed_in_one_takes_its_configured_value(
    tmp_path: Path,
) -> None:
    first = make_sweep(tmp_path / "a", MARCHERS)
    other = tmp_path / "b"
    jobs = [{"job": s, "overrides": [f"seed={s}"]} for s in range(3)]  # coalition left at default
    plan = {"command": "t", "factors": {"seed": ["0", "1", "2"]}, "fixed": [], "jobs": jobs}
    results.write_json(other / "sweep.json", plan)
    for s in range(3):
        summary = {"seed": s, "marchers": 50 + s, "observed": {"marchers": 100}}
        for name in ("config.yaml", "timeseries.parquet"):  # a finished run has both
            results.write_text(other / str(s) / name, "")
        results.write_json(other / str(s) / "summary.json", summary)
    combined, factors = load_jobs([first, other])
    assert factors == ["coalition"] and len(combined) == 9
    # the default scenario (ice_out_2026) calls coalition=seed: read from the composed config
    assert list(combined.query("sweep == 'b'")["coalition"]) == ["seed"] * 3
    diff = paired_differences(combined, factors, factors, {"coalition": "narrow"})
    by_level = diff.set_index("level")
    assert by_level.loc["seed", "mean_difference"] == pytest.approx((40 + 31 - 8) / 3)


# --- reviewer-grade statistics -------------------------------------------------------------------
def make_grid_sweep(
    folder: Path,
    outcomes: dict[tuple, dict[str, float]],
    factors: list[str],
    *,
    observed: tuple[int, int, int] = (100, 50, 150),
    with_table: bool = False,
) -> Path:
    """A finished sweep over ``factors`` x seed: ``outcomes[(*levels, seed)]`` is a job's summary
    numbers. ``with_table`` also writes ``results.parquet`` as a closing sweep session does."""
    levels = {
        k: list(dict.fromkeys(str(key[i]) for key in outcomes)) for i, k in enumerate(factors)
    }
    seeds = list(dict.fromkeys(str(key[-1]) for key in outcomes))
    jobs = [
        {
            "job": n,
            "overrides": [
                *(f"{k}={v}" for k, v in zip(factors, key, strict=False)),
                f"seed={key[-1]}",
            ],
        }
        for n, key in enumerate(outcomes)
    ]
    plan = {"command": "test", "factors": levels | {"seed": seeds}, "fixed": [], "jobs": jobs}
    results.write_json(folder / "sweep.json", plan)
    marchers, low, high = observed
    for n, (key, numbers) in enumerate(outcomes.items()):
        summary = {"seed": key[-1], **numbers}
        summary["observed"] = {"marchers": marchers, "low": low, "high": high}
        results.write_text(folder / str(n) / "config.yaml", "{}\n")
        days = pd.DataFrame(
            {
                "day": [0, 1, 2],
                "phase": "campaign",
                "agent_type": "worker",
                "form": "projected_marching",
                "people": [0.0, numbers["marchers"] / 2, float(numbers["marchers"])],
            }
        )
        results.write_parquet(folder / str(n) / "timeseries.parquet", days)
        results.write_json(folder / str(n) / "summary.json", summary)
    if with_table:
        index = [
            {"job": j["job"], "status": "done", "overrides": " ".join(j["overrides"])} for j in jobs
        ]
        tables.write_tables(folder, index, factors)
    return folder


def test_cell_ci_sd_and_wilson_interval_match_a_hand_computation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sweep = make_sweep(tmp_path / "s", MARCHERS)
    assert main([str(sweep), "--target", "35", "--ci", "t", "--curves", "0"]) == 0
    printed = capsys.readouterr().out
    out = sweep / "comparison"
    narrow = pd.read_parquet(out / "comparison.parquet").set_index("coalition").loc["narrow"]
    # (10, 20, 60): mean 30, sd sqrt((400 + 100 + 900) / 2), t interval mean ± t2 sd / sqrt(3)
    sd = (1400 / 2) ** 0.5
    assert narrow["sd"] == pytest.approx(sd)
    assert narrow["ci_low"] == pytest.approx(30 - T2 * sd / 3**0.5)
    assert narrow["ci_high"] == pytest.approx(30 + T2 * sd / 3**0.5)
    assert narrow["ci_method"] == "t" and narrow["outcome"] == "marchers"
    # one run of three reaches 35: Wilson's centre and half-width, by hand
    p, n = 1 / 3, 3
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z * (p * (1 - p) / n + Z**2 / (4 * n**2)) ** 0.5 / (1 + Z**2 / n)
    assert narrow["reached"] == 1
    assert narrow["p_low"] == pytest.approx(centre - half)
    assert narrow["p_high"] == pytest.approx(centre + half)
    assert narrow["q25"] == pytest.approx(15) and narrow["q75"] == pytest.approx(40)
    # the citable table is written, and is what was printed (less the list of files)
    text = (out / "comparison.txt").read_text()
    assert text.strip() in printed
    assert "Student's t" in text and "Wilson" in text and "Coalition" in text
    lines = text.splitlines()
    rule = next(n for n, line in enumerate(lines) if line and set(line) <= {"-", " "})
    header = lines[rule - 1]
    assert "marchers" not in header  # headers are words, not keys
    assert header.startswith("Coalition") and "90% interval" in header


def test_confidence_intervals_contain_the_mean_and_wilson_stays_in_zero_one() -> None:
    rng = np.random.default_rng(1)
    for n in (2, 3, 5, 20):
        values = rng.normal(1000, 300, n)
        for low, high in (t_ci(values), bootstrap_ci(values)):
            assert low <= values.mean() <= high
    assert wilson_interval(0, 5)[0] == 0 and wilson_interval(5, 5)[1] == 1
    for k in range(6):
        low, high = wilson_interval(k, 5)
        assert 0 <= low < k / 5 < high <= 1 or k in (0, 5)
        assert high - low > 0  # never a point, unlike the normal interval at 0 or n
    assert all(np.isnan(wilson_interval(0, 0)))
    assert all(np.isnan(t_ci(np.array([3.0]))))


# temperature x coalition x seed -> marchers, chosen so that the coalition's effect depends on
# the temperature (an interaction): broad - narrow is 100, 200, 300 at -20 and 0, 10, 20 at 30
GRID = {
    (-20, "narrow", 0): 1_000, (-20, "narrow", 1): 2_000, (-20, "narrow", 2): 3_000,
    (-20, "broad", 0): 1_100, (-20, "broad", 1): 2_200, (-20, "broad", 2): 3_300,
    (30, "narrow", 0): 5_000, (30, "narrow", 1): 6_000, (30, "narrow", 2): 7_000,
    (30, "broad", 0): 5_000, (30, "broad", 1): 6_010, (30, "broad", 2): 7_020,
}  # fmt: skip
GRID_FACTORS = ["weather.temperature_f", "coalition"]


def grid_outcomes(grid: dict[tuple, int] = GRID) -> dict[tuple, dict[str, float]]:
    """Summary numbers per job: marchers, and strikers as 10 x marchers + the seed."""
    return {
        key: {"marchers": m, "striking_workers": 10 * m + key[-1], "people": 1_000_000}
        for key, m in grid.items()
    }


def test_interaction_table_equals_hand_paired_differences(tmp_path: Path) -> None:
    sweep = make_grid_sweep(tmp_path / "g", grid_outcomes(), GRID_FACTORS)
    assert main([str(sweep), "--curves", "0"]) == 0
    out = sweep / "comparison"
    table = pd.read_csv(out / "interactions.csv")
    rows = table.set_index(["factor", "at"])
    cold = rows.loc[("coalition", "weather.temperature_f=-20")]
    warm = rows.loc[("coalition", "weather.temperature_f=30")]
    assert (cold["level"], cold["reference"], cold["pairs"]) == ("broad", "narrow", 3)
    assert cold["mean_difference"] == pytest.approx((100 + 200 + 300) / 3)
    assert warm["mean_difference"] == pytest.approx((0 + 10 + 20) / 3)
    assert cold["weather.temperature_f"] == -20 and pd.isna(cold["coalition"])
    assert cold["sd_difference"] == pytest.approx(100)
    for row in (cold, warm):
        assert row["ci_low"] <= row["mean_difference"] <= row["ci_high"]
    narrow = rows.loc[("weather.temperature_f", "coalition=narrow")]
    broad = rows.loc[("weather.temperature_f", "coalition=broad")]
    assert narrow["mean_difference"] == pytest.approx(4_000)
    assert broad["mean_difference"] == pytest.approx((3_900 + 3_810 + 3_720) / 3)
    # the marginal difference pools both temperatures: pairs by seed and temperature
    diff = pd.read_csv(out / "differences.csv").set_index("factor").loc["coalition"]
    assert diff["pairs"] == 6 and diff["mean_difference"] == pytest.approx(630 / 6)
    text = (out / "comparison.txt").read_text()
    assert "Temperature (°F) = -20" in text and "+200" in text
    assert "6,010" in text and "[+3,720, +3,900]" in text  # thousands separators


def test_a_sweep_of_seeds_only_gives_the_replication_spread(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    values = [12_000, 15_000, 11_000, 18_000, 14_000]
    sweep = make_grid_sweep(
        tmp_path / "r", {(s,): {"marchers": v} for s, v in enumerate(values)}, []
    )
    assert main([str(sweep)]) == 0
    printed = capsys.readouterr().out
    table = pd.read_csv(sweep / "comparison" / "comparison.csv")
    assert len(table) == 1
    row = table.iloc[0]
    assert row["runs"] == 5 and row["mean"] == pytest.approx(14_000)
    assert row["sd"] == pytest.approx(np.std(values, ddof=1))
    assert row["median"] == 14_000 and row["q25"] == 12_000 and row["q75"] == 15_000
    assert row["ci_low"] <= 14_000 <= row["ci_high"]
    assert row["reached"] == 5  # the published figure here is 100
    assert "spread of 5 replications" in printed and "14,000" in printed
    assert pd.read_csv(sweep / "comparison" / "differences.csv").empty
    assert (sweep / "comparison" / "distribution.svg").is_file()


def test_outcome_strikers_is_compared_and_an_unknown_outcome_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sweep = make_grid_sweep(tmp_path / "g", grid_outcomes(), GRID_FACTORS)
    for name in ("strikers", "striking_workers"):
        out = tmp_path / name
        assert main([str(sweep), "--outcome", name, "--out", str(out), "--curves", "0"]) == 0
        table = pd.read_csv(out / "comparison.csv")
        cell = table.query("coalition == 'narrow' and `weather.temperature_f` == -20").iloc[0]
        assert cell["mean"] == pytest.approx((10_000 + 20_001 + 30_002) / 3)
        assert cell["outcome"] == "striking_workers" and np.isnan(cell["p_reach_target"])
        assert "Strikers from work, in people" in capsys.readouterr().out
    assert main([str(sweep), "--outcome", "nosuch"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert "--outcome 'nosuch'" in err and "allowed: marchers, striking_workers, people" in err
    assert not (sweep / "comparison").exists()


def test_results_parquet_is_read_and_jobs_it_misses_come_from_their_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sweep = make_grid_sweep(tmp_path / "g", grid_outcomes(), GRID_FACTORS, with_table=True)
    table = pd.read_parquet(sweep / tables.RESULTS)
    # a column only the table has proves it is read; job 11 left "pending" as if still running
    table["committed"] = table["marchers"] * 2
    table.loc[table["job"] == 11, ["status", "committed"]] = ["pending", np.nan]
    results.write_parquet(sweep / tables.RESULTS, table)
    jobs, _ = load_jobs([sweep])
    assert len(jobs) == 12 and jobs.loc[jobs["job"] == 0, "committed"].item() == 2_000
    assert jobs.loc[jobs["job"] == 11, "marchers"].item() == 7_020  # from its summary.json
    assert set(jobs["observed_high"]) == {150}  # the published range: one summary per cell
    # job 11 has none: not an outcome of every job, refused rather than compared on 11 of 12
    assert main([str(sweep), "--outcome", "committed", "--out", str(tmp_path / "x")]) == 2
    assert "--outcome 'committed'" in capsys.readouterr().err
    table.loc[table["job"] == 11, ["status", "committed"]] = ["done", 14_040]
    results.write_parquet(sweep / tables.RESULTS, table)
    assert main([str(sweep), "--outcome", "committed", "--curves", "0"]) == 0
    cells = pd.read_csv(sweep / "comparison" / "comparison.csv")
    assert cells["mean"].iloc[0] == pytest.approx(4_000)


def with_events(grid: dict[tuple, int] = GRID) -> dict[tuple, dict[str, object]]:
    """Summary numbers per job with its action days: a 10 Jan march of a tenth of the marchers
    (plus the seed), then the day modelled (``marchers``)."""
    return {
        key: {
            "marchers": m,
            "events": [
                {"event": "march_2026_01_10", "kind": "march", "marchers": m // 10 + key[-1]},
                {"event": "ice_out_2026", "kind": "strike", "marchers": m},
            ],
        }
        for key, m in grid.items()
    }


@pytest.mark.parametrize("with_table", [False, True])
def test_each_action_day_is_an_outcome_named_by_its_event(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], with_table: bool
) -> None:
    """From the jobs' summaries or from ``results.parquet``: the same ``marchers@<event>``."""
    sweep = make_grid_sweep(tmp_path / "g", with_events(), GRID_FACTORS, with_table=with_table)
    if with_table:
        table = pd.read_parquet(sweep / tables.RESULTS)
        assert list(table["marchers@march_2026_01_10"]) == [
            m // 10 + key[-1] for key, m in GRID.items()
        ]
        assert (table["marchers@ice_out_2026"] == table["marchers"]).all()
    jobs, _ = load_jobs([sweep])
    assert list(jobs["marchers@march_2026_01_10"]) == [m // 10 + k[-1] for k, m in GRID.items()]
    out = tmp_path / "jan10"
    argv = [str(sweep), "--outcome", "marchers@march_2026_01_10", "--out", str(out)]
    assert main([*argv, "--curves", "0"]) == 0
    printed = capsys.readouterr().out
    assert "Marchers on march_2026_01_10, in people" in printed
    cells = pd.read_csv(out / "comparison.csv")
    cold = cells.query("coalition == 'narrow' and `weather.temperature_f` == -20").iloc[0]
    assert cold["mean"] == pytest.approx((100 + 201 + 302) / 3)
    assert cold["outcome"] == "marchers@march_2026_01_10"
    assert np.isnan(cold["p_reach_target"])  # no target unless given: not the 13 Feb figure
    # paired by seed, the seed's +1 cancels: broad - narrow at -20 is 10, 20, 30
    cold_effect = pd.read_csv(out / "interactions.csv").set_index(["factor", "at"])
    effect = cold_effect.loc[("coalition", "weather.temperature_f=-20")]
    assert effect["mean_difference"] == pytest.approx(20)


def test_an_action_day_only_some_jobs_have_is_refused_as_an_outcome(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcomes = with_events()
    first = next(iter(outcomes))
    outcomes[first]["events"] = outcomes[first]["events"][1:]  # a run without the 10 Jan march
    sweep = make_grid_sweep(tmp_path / "g", outcomes, GRID_FACTORS)
    assert main([str(sweep), "--outcome", "marchers@march_2026_01_10"]) == 2
    err = capsys.readouterr().err
    assert "--outcome 'marchers@march_2026_01_10' is not a numeric outcome of every job" in err
    assert "marchers@ice_out_2026" in err  # the days every job has are offered


def test_a_posterior_sweep_reports_90_percent_predictive_intervals_of_its_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A real sweep under the shipped behaviour (behavior=posterior: each seed its own draw):
    each cell's median and 90% interval are numpy's percentiles of its jobs' marchers, and so
    is the paired difference's interval; the report calls them predictive intervals."""
    args = ["-m", "population=classroom", "weather.temperature_f=-20,30", "seed=range(0,8)"]
    proc = run_cli([*args, f"hydra.sweep.dir={tmp_path / 's'}"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    sweep = tmp_path / "s"
    assert main([str(sweep), "--curves", "0"]) == 0
    printed = capsys.readouterr().out
    marchers = {}
    for job in json.loads((sweep / "sweep.json").read_text())["jobs"]:
        summary = json.loads((sweep / str(job["job"]) / "summary.json").read_text())
        assert summary["posterior"]["name"] == "campaign_2026"
        values = dict(o.split("=", 1) for o in job["overrides"])
        marchers[(values["weather.temperature_f"], summary["seed"])] = summary["marchers"]
    assert len(marchers) == 16
    table = pd.read_csv(sweep / "comparison" / "comparison.csv")
    table = table.set_index("weather.temperature_f")
    for level in (-20, 30):
        runs = np.array([marchers[(str(level), s)] for s in range(8)], float)
        cell = table.loc[level]
        assert cell["q05"] == pytest.approx(np.percentile(runs, 5))
        assert cell["median"] == pytest.approx(np.percentile(runs, 50))
        assert cell["q95"] == pytest.approx(np.percentile(runs, 95))
        assert cell["interval"] == PREDICTIVE_KIND
        shown = f"[{np.percentile(runs, 5):,.0f}, {np.percentile(runs, 95):,.0f}]"
        assert shown in printed
    effect = np.array([marchers[("30", s)] - marchers[("-20", s)] for s in range(8)], float)
    diff = pd.read_csv(sweep / "comparison" / "differences.csv").iloc[0]
    assert diff["q05"] == pytest.approx(np.percentile(effect, 5))
    assert diff["q95"] == pytest.approx(np.percentile(effect, 95))
    assert diff["mean_difference"] == pytest.approx(effect.mean())
    text = " ".join((sweep / "comparison" / "comparison.txt").read_text().split())
    assert (
        "90% interval: 5th-95th percentile of the runs, a predictive interval over posterior "
        "draws (behavior.posterior=campaign_2026" in text
    )
    assert "5th-95th percentile of the paired differences over posterior draws" in text
    assert "spread over seeds" not in text


def test_a_fixed_point_sweep_calls_its_interval_the_spread_over_seeds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Summaries without a posterior (behavior=default, or written before it was recorded):
    the same 5th-95th percentiles, named the spread over seeds, not a predictive interval."""
    values = [12_000, 15_000, 11_000, 18_000, 14_000, 30_000]
    sweep = make_grid_sweep(
        tmp_path / "r", {(s,): {"marchers": v} for s, v in enumerate(values)}, []
    )
    assert main([str(sweep), "--curves", "0"]) == 0
    printed = capsys.readouterr().out
    row = pd.read_csv(sweep / "comparison" / "comparison.csv").iloc[0]
    assert row["interval"] == SEEDS_KIND
    # numpy's linear percentiles of the sorted (11, 12, 14, 15, 18, 30) thousand: 5% at
    # position 0.25 -> 11,250; 95% at 4.75 -> 18,000 + 0.75 * 12,000 = 27,000; 25% at 1.25
    # -> 12,500; 75% at 3.75 -> 17,250
    assert row["q05"] == pytest.approx(11_250) and row["q95"] == pytest.approx(27_000)
    assert "[11,250, 27,000]" in printed and "[12,500, 17,250]" in printed  # 90% and 50%
    assert "the spread over seeds (a fixed point set" in printed
    assert "predictive interval over posterior draws" not in printed


def test_the_interval_kind_follows_the_jobs_behaviour() -> None:
    """Every job drew from a posterior: predictive; none (or summaries from before it was
    recorded, with no column): spread over seeds; some: mixed, which the report says."""
    drew = pd.DataFrame({"posterior": ["campaign_2026", "campaign_2026"]})
    point = pd.DataFrame({"posterior": ["", None]})
    assert _interval_kind(drew) == PREDICTIVE_KIND
    assert _interval_kind(point) == SEEDS_KIND
    assert _interval_kind(pd.DataFrame({"marchers": [1, 2]})) == SEEDS_KIND
    assert _interval_kind(pd.concat([drew, point])) == "mixed"
