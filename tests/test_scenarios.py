"""Comparison scenarios: each is documented, the counterfactuals move turnout the right way."""

from __future__ import annotations

from pathlib import Path

import pytest

from strikesim.compose import compose_config, config_groups
from strikesim.run import simulate

ROOT = Path(__file__).resolve().parents[1]
HISTORICAL = {"seattle_1919": 315_000, "minneapolis_1934": 464_356, "oakland_1946": 350_000}


@pytest.mark.parametrize("name", config_groups()["scenario"])
def test_every_scenario_has_a_description_and_is_in_the_table(name: str) -> None:
    config = compose_config([f"scenario={name}"])
    assert config.scenario.name == name
    assert config.scenario.description
    assert f"`{name}`" in (ROOT / "docs" / "scenarios.md").read_text()


@pytest.mark.parametrize(("name", "size"), HISTORICAL.items())
def test_historical_presets_are_illustrative_and_sized_to_their_city(name: str, size: int) -> None:
    config = compose_config([f"scenario={name}"])
    assert config.scenario.description.startswith("ILLUSTRATIVE")
    assert config.population.size == size == config.scenario.reference_population
    assert config.coalition.name == "broad"
    small = compose_config([f"scenario={name}", "population=small"])  # the command line wins
    assert small.population.size == 20_000


def marchers(make_config, scenario: str) -> int:
    return simulate(make_config(f"scenario={scenario}", "seed=0")).summary["marchers"]


def test_counterfactuals_of_13_feb_move_turnout_the_expected_way(make_config) -> None:
    base = marchers(make_config, "ice_out_2026")
    assert base > 0
    assert marchers(make_config, "ice_out_2026_warm") > base  # same commitments, milder day
    assert marchers(make_config, "ice_out_2026_no_schools") < base
    assert marchers(make_config, "ice_out_2026_narrow") < base
