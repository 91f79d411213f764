"""Simulation-based calibration: credible intervals cover a known truth at their nominal rate.

Each trial draws a truth from the prior, simulates a synthetic record from it on the 1,000-person
town (scenarios/calibration/coverage_town.yaml) with the record's own error, calibrates, and
asks where the truth falls in the posterior. The CI test runs 10 trials; the slow one 100; the
full study is recorded in docs/calibration.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom

from strikesim.studies.calibration_spec import load_spec
from strikesim.studies.coverage import LEVELS, coverage_study, summarize


def check(table: pd.DataFrame) -> None:
    """Pooled over parameters, each level's covered count lies in its binomial 99.9% band, and
    the truth's randomized rank has the mean of a uniform (within 3.3 standard errors)."""
    trials = table["trial"].nunique()
    assert (table["final_temperature"] == 1.0).all()
    for q in LEVELS:
        covered = int(table[f"covered_{round(q * 100)}"].sum())
        n = len(table)
        low, high = binom.ppf(0.0005, n, q), binom.ppf(0.9995, n, q)
        assert low <= covered <= high, (q, covered, n)
    mean, se = table["rank_pit"].mean(), np.sqrt(1 / 12 / trials)
    assert abs(mean - 0.5) <= 3.3 * se, mean
    assert len(summarize(table)) == len(LEVELS) * table["parameter"].nunique()


def test_coverage_on_the_town_ci_sized() -> None:
    table = coverage_study(load_spec("coverage_town"), range(10))
    check(table)


@pytest.mark.slow
def test_coverage_on_the_town() -> None:
    table = coverage_study(load_spec("coverage_town"), range(100))
    check(table)
    assert summarize(table)["inside_band"].all()
