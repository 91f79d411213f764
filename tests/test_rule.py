"""The decision rule against the classics, the weather submodel and the forms of action."""

from __future__ import annotations

from dataclasses import replace

import networkx as nx
import numpy as np
import pytest

from strikesim.config import BehaviorConfig, WeatherConfig
from strikesim.engine import rule
from strikesim.engine.cascade import threshold_cascade


def test_granovetter_crowd_of_100_all_riot() -> None:
    result = threshold_cascade(nx.complete_graph(100), thresholds=range(100), kind="count")
    assert result.final_count == 100
    assert result.history == list(range(101))  # no seeds; one more each step: r(t+1) = F(r(t))


def test_granovetter_one_changed_threshold_stops_the_riot() -> None:
    thresholds = [0, 2, *range(2, 100)]  # the threshold-1 person now has threshold 2
    result = threshold_cascade(nx.complete_graph(100), thresholds=thresholds, kind="count")
    assert result.final_count == 1


def test_fractional_rule_is_greater_or_equal() -> None:
    star = nx.star_graph(4)  # leaves have degree 1: threshold exactly 1 is met by one active hub
    assert threshold_cascade(star, 1.0, seeds=[0]).final_count == 5
    assert threshold_cascade(star, 1.0 + 1e-9, seeds=[0]).final_count == 1


def test_complex_contagion_needs_two_neighbours() -> None:
    ring = nx.watts_strogatz_graph(40, 4, 0.0, seed=1)  # clustered ring lattice, degree 4
    assert threshold_cascade(ring, 2, seeds=[0, 1], kind="count").final_count == 40
    assert threshold_cascade(ring, 2, seeds=[0], kind="count").final_count == 1


@pytest.mark.parametrize(
    ("t", "v", "expected"), [(0, 15, -19), (5, 10, -10), (-20, 5, -34), (40, 2, 40), (60, 20, 60)]
)
def test_nws_wind_chill_table(t: float, v: float, expected: float) -> None:
    assert rule.wind_chill_f(t, v) == pytest.approx(expected, abs=0.6)


def test_weather_factor_falls_with_cold_rain_and_heat() -> None:
    b = BehaviorConfig()
    factors = [
        rule.weather_factor(WeatherConfig(temperature_f=t, wind_mph=5), b)
        for t in (-40, -20, 0, 20, 40, 60)
    ]
    assert factors == sorted(factors) and factors[0] < factors[-1]
    assert (
        rule.weather_factor(WeatherConfig(temperature_f=b.comfort_temperature_f, wind_mph=0), b)
        == 1.0
    )
    dry, wet = (
        rule.weather_factor(WeatherConfig(temperature_f=50, precipitation_in=p), b) for p in (0, 1)
    )
    assert wet < dry
    assert rule.weather_factor(WeatherConfig(temperature_f=110), b) < rule.weather_factor(
        WeatherConfig(temperature_f=80), b
    )
    refuge = rule.weather_factor(WeatherConfig(temperature_f=-20, indoor_refuge=True), b)
    assert refuge > rule.weather_factor(WeatherConfig(temperature_f=-20), b)


def test_isolated_people_commit_only_when_nothing_is_needed() -> None:
    assert rule.commits(0.0, rule.need_weight(rule.need(0.3, 0.3, 0.0), 0.0))  # need 0
    assert rule.commits(0.0, rule.need_weight(rule.need(0.3, 0.1, 0.2), 0.0))  # pull + lift
    assert not rule.commits(0.0, rule.need_weight(rule.need(0.3, 0.1, 0.0), 0.0))
    assert not rule.commits(0.0, rule.need_weight(float("inf"), 0.0))  # never-joiners stay out
    weights = rule.need_weight(np.array([0.5, 0.5, -0.1, np.inf]), np.array([4.0, 0.0, 0.0, 0.0]))
    assert weights.tolist() == [2.0, np.inf, 0.0, np.inf]


# --- need and lift: no cost term --------------------------------------------------------------


def test_need_is_threshold_less_pull_less_lift() -> None:
    assert rule.need(0.4, 0.15, 0.05) == 0.4 - 0.15 - 0.05
    assert rule.lift(0.02, 0.05, 0.5) == 0.02 + 0.05 * 0.5
    proximity = np.array([1.0, 0.5, 0.0])
    assert rule.lift(0.1, 0.2, proximity).tolist() == [0.1 + 0.2, 0.1 + 0.2 * 0.5, 0.1]
    assert rule.need(np.inf, 0.3, 0.3) == np.inf  # a never-joiner is never lifted in


# --- acting on an action day: separate decisions -----------------------------------------------


def test_march_chance_falls_with_distance_risk_and_fatigue() -> None:
    b = replace(BehaviorConfig(), travel_decay_km=25.0, immigrant_march_risk=0.2, fatigue=0.25)
    assert rule.march_chance(0.6, 0.0, False, 0, b) == 0.6  # downtown, native-born, fresh
    assert rule.march_chance(0.6, 25.0, False, 0, b) == pytest.approx(0.6 / np.e, rel=1e-15)
    assert rule.march_chance(0.6, 0.0, True, 0, b) == pytest.approx(0.6 * 0.8, rel=1e-15)
    assert rule.march_chance(0.6, 0.0, False, 2, b) == pytest.approx(0.6 * 0.75**2, rel=1e-15)
    chances = rule.march_chance(
        0.5, np.array([0.0, 10.0, 40.0]), np.array([False, True, True]), np.array([0, 1, 3]), b
    )
    want = [0.5, 0.5 * np.exp(-10 / 25) * 0.8 * 0.75, 0.5 * np.exp(-40 / 25) * 0.8 * 0.75**3]
    np.testing.assert_allclose(chances, want, rtol=1e-15)
    assert np.all(np.diff(chances) < 0)


def test_strike_chance_is_lower_in_precarious_sectors_and_higher_for_called_union_members() -> None:
    b = replace(BehaviorConfig(), job_risk_weight=1.5, union_protection=0.4)
    precarity = np.array([0.0, 0.3, 0.6, 0.9])
    alone = rule.strike_chance(precarity, np.zeros(4, bool), b)
    called = rule.strike_chance(precarity, np.ones(4, bool), b)
    np.testing.assert_allclose(alone, np.exp(-1.5 * precarity), rtol=1e-15)
    np.testing.assert_allclose(called, np.exp(-1.5 * precarity * 0.6), rtol=1e-15)
    assert alone[0] == called[0] == 1.0  # no risk, nothing to protect from
    assert np.all(np.diff(alone) < 0) and np.all(np.diff(called) < 0)
    assert np.all(called[1:] > alone[1:])
    full = replace(b, union_protection=1.0)
    assert np.all(rule.strike_chance(precarity, np.ones(4, bool), full) == 1.0)


def test_walkout_chance_falls_with_student_cost() -> None:
    costs = [0.0, 0.1, 0.3, 1.0, 10.0]
    chances = [rule.walkout_chance(replace(BehaviorConfig(), student_cost=c)) for c in costs]
    assert chances[0] == 1.0 and chances == sorted(chances, reverse=True)
    assert chances[2] == pytest.approx(np.exp(-0.3), rel=1e-15)
    assert len(set(chances)) == len(chances)
