"""docs/scenarios.md: what its brackets are (90% predictive intervals over posterior draws), that
its numbers are the percentiles of docs/scenarios.csv, and that the page is what
docs/make_scenarios.py renders from that CSV today."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
MIN_SEEDS = 100  # fewer, and a 5th or 95th percentile rests on four or five runs


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_scenarios", ROOT / "docs/make_scenarios.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def synthetic_runs(generator: ModuleType, posterior: str) -> pd.DataFrame:
    """Every scenario on seeds 0..19: baseline marchers 1,000 * (seed + 1), each counterfactual
    that plus a per-scenario offset, so medians, intervals and paired changes are known."""
    rows = []
    for k, name in enumerate(generator.SCENARIOS):
        for seed in range(20):
            rows.append(
                {
                    "scenario": name,
                    "seed": seed,
                    "scale": 10,
                    "posterior": posterior,
                    "draw": seed * 7 if posterior else -1,
                    "description": f"about {name}",
                    "weather": "8 °F",
                    "coalition": "seed (7)",
                    "people": 3_163_100,
                    "marchers": 1_000 * (seed + 1) + 500 * k,
                    "strikers": 2_000 * (seed + 1),
                    "published": 30_000,
                    "published_low": 15_000,
                    "published_high": 50_000,
                }
            )
    return pd.DataFrame(rows)


def test_brackets_are_numpy_percentiles_and_named_predictive_under_the_posterior(
    generator: ModuleType,
) -> None:
    runs = synthetic_runs(generator, "campaign_2026")
    page = generator.render(runs)
    marchers = 1_000 * np.arange(1, 21)
    q05, q50, q95 = np.percentile(marchers, [5, 50, 95])  # 1,950, 10,500, 19,050
    assert (q05, q50, q95) == (1_950, 10_500, 19_050)
    assert "| 10,500 (1,950 to 19,050) |" in page  # ice_out_2026's marchers
    assert "| 11,000 (2,450 to 19,550) | 21,000 (3,900 to 38,100) | 500 (500 to 500) |" in page
    flat = " ".join(page.split())
    assert "**90% predictive interval** (5th-95th percentile over draws)" in flat
    assert "each seed is a posterior predictive draw" in flat
    assert "(20 distinct rows among 20 seeds)" in flat
    # no_schools is scenario 3 (+1,500 on every seed), narrow scenario 2 (+1,000): never fewer;
    # below 5% of the baseline (1,000 * (seed + 1)) only where 1,000 < 50 * (seed + 1): 0 of 20
    assert "fewer marchers in 0% of the draws (median change +1,500)" in flat
    assert "by less than 5% of the day's marchers in 0% of the draws (median +1,000)" in flat
    assert "spread over seeds" not in flat


def test_a_fixed_point_set_is_named_the_spread_over_seeds(generator: ModuleType) -> None:
    flat = " ".join(generator.render(synthetic_runs(generator, "")).split())
    assert "fixed point set (`behavior=default`)" in flat and "5-95% spread over seeds" in flat
    assert "predictive interval" not in flat


def test_the_calibration_check_detects_a_shift_and_accepts_a_resample(
    generator: ModuleType,
) -> None:
    """The 13 Feb check against the calibration: a second sample of the same distribution is
    consistent at every quantile; the same sample doubled is not."""
    rng = np.random.default_rng(3)
    reference = pd.Series(rng.lognormal(np.log(80_000), 0.8, 300))
    runs = synthetic_runs(generator, "campaign_2026").query("scenario != @generator.BASELINE")
    base = pd.DataFrame(
        {
            "scenario": generator.BASELINE,
            "seed": range(300),
            "marchers": rng.lognormal(np.log(80_000), 0.8, 300),
        }
    )
    same = generator.calibration_comparison(pd.concat([base, runs]), reference)
    assert same.count("| yes |") == 3 and "agree within sampling noise" in same
    doubled = base.assign(marchers=2 * reference.to_numpy())
    shifted = generator.calibration_comparison(pd.concat([doubled, runs]), reference)
    assert shifted.count("| no |") == 3
    low, high = generator.quantile_difference_ci(2 * reference, reference, 0.5)
    median = float(np.median(reference))
    assert 0.7 * median < low < median < high < 1.3 * median  # the difference is one median


def test_the_page_is_rendered_from_the_csv_of_at_least_100_posterior_draws(
    generator: ModuleType,
) -> None:
    runs = pd.read_csv(ROOT / "docs/scenarios.csv")
    assert runs["seed"].nunique() >= MIN_SEEDS
    assert set(runs["posterior"]) == {"campaign_2026"}  # the shipped behaviour, not forced off
    # the scenarios of a seed share its posterior draw: the paired change is under one draw
    assert (runs.groupby("seed")["draw"].nunique() == 1).all()
    assert set(runs["scenario"]) == set(generator.SCENARIOS)
    page = (ROOT / "docs/scenarios.md").read_text(encoding="utf-8")
    expected = generator.render(runs, generator.calibration_reference())
    assert page == expected, "run: python docs/make_scenarios.py --render-only"
    base = runs.loc[runs["scenario"] == generator.BASELINE, "marchers"]
    q05, q50, q95 = np.percentile(base, [5, 50, 95])
    assert f"| {q50:,.0f} ({q05:,.0f} to {q95:,.0f}) |" in page
