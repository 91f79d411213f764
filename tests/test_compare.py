"""``strikesim compare`` on a tiny hand-made sweep (numbers checked by hand), and CRN pairing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from strikesim import results
from strikesim.cli.compare import main
from strikesim.run import simulate
from strikesim.studies.compare import bootstrap_ci, load_jobs, paired_differences

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
    }
    for message, args in cases.items():
        assert main(args) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, err
    assert not (sweep / "comparison").exists()
    assert list((tmp_path / "plain").iterdir()) == []


def test_common_random_numbers_make_paired_differences_less_noisy(make_config) -> None:
    """Marchers at 30 °F minus -20 °F: paired by seed vs. drawn with independent seeds."""
    seeds = range(6)
    rows = [
        {
            "weather.temperature_f": t,
            "seed": s,
            "marchers": simulate(
                make_config("population=classroom", f"weather.temperature_f={t}", f"seed={s}")
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
