"""Comparison scenarios: each is documented, the counterfactuals move turnout the right way."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from strikesim.compose import compose_config, config_groups
from strikesim.engine import outputs
from strikesim.run import simulate

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", config_groups()["scenario"])
def test_every_scenario_has_a_description_and_is_in_the_table(name: str) -> None:
    config = compose_config([f"scenario={name}"])
    assert config.scenario.name == name
    assert config.scenario.description
    assert f"`{name}`" in (ROOT / "docs" / "scenarios.md").read_text()


def marchers(make_config, scenario: str) -> int:
    return simulate(make_config(f"scenario={scenario}", "seed=0")).summary["marchers"]


def test_counterfactuals_of_13_feb_move_turnout_the_expected_way(make_config) -> None:
    base = marchers(make_config, "ice_out_2026")
    assert base > 0
    assert marchers(make_config, "ice_out_2026_warm") > base  # same commitments, milder day
    assert marchers(make_config, "ice_out_2026_no_schools") < base
    assert marchers(make_config, "ice_out_2026_narrow") < base


def events(make_config, scenario: str):
    return simulate(make_config(f"scenario={scenario}", "seed=0")).events.set_index("event")


@pytest.mark.parametrize(
    ("preset", "later"),
    [("march_2026_01_10", "day_of_truth_2026_01_23"), ("day_of_truth_2026_01_23", "ice_out_2026")],
)
def test_a_documented_day_preset_is_that_day_in_a_later_runs_history(
    make_config, preset: str, later: str
) -> None:
    """The preset of a documented day (its weather, coalition and call lead) is the record of
    scenarios/data/events.csv: run alone, its day gives exactly the numbers the same day gives
    as history inside a later run (same seed, so the same city and the same draws), and so
    does every documented day before it."""
    alone, history = events(make_config, preset), events(make_config, later)
    assert alone.index[-1] == preset and history.index[-1] == later
    earlier = history.loc[:preset]  # the later run's days up to the preset's
    assert list(earlier.index) == list(alone.index)
    assert not alone.loc[preset, "documented"] and earlier["documented"].all()
    # the model's numbers; the published figures beside them come from the record, not the run
    columns = ["date", "day", "kind", *outputs.TOTALS]
    pd.testing.assert_frame_equal(alone[columns], earlier[columns])
    assert alone.loc[preset, "marchers"] > 0


def test_a_march_day_has_marchers_and_no_strike(make_config) -> None:
    """``scenario.kind=march``: committed people march; nobody strikes, walks out or boycotts."""
    summary = simulate(make_config("scenario=march_2026_01_10", "seed=0")).summary
    assert summary["marchers"] > 0 and summary["committed"] > summary["marchers"]
    for key in ("striking_workers", "k12_walkouts", "university_walkouts", "boycotting"):
        assert summary[key] == 0, key
    as_strike = simulate(
        make_config("scenario=march_2026_01_10", "scenario.kind=strike", "seed=0")
    ).summary
    assert as_strike["committed"] == summary["committed"]  # the call's kind moves no commitment
    assert as_strike["marchers"] == summary["marchers"]
    assert as_strike["boycotting"] == as_strike["committed"] > 0
