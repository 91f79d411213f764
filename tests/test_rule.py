"""The decision rule against the classics and the weather submodel."""

from __future__ import annotations

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
    assert rule.commits(0.0, rule.need_weight(rule.need(0.3, 0.0, 0.3, 0.0), 0.0))  # need 0
    assert not rule.commits(0.0, rule.need_weight(rule.need(0.3, 0.1, 0.0, 0.0), 0.0))
    assert not rule.commits(0.0, rule.need_weight(float("inf"), 0.0))  # never-joiners stay out
    weights = rule.need_weight(np.array([0.5, 0.5, -0.1, np.inf]), np.array([4.0, 0.0, 0.0, 0.0]))
    assert weights.tolist() == [2.0, np.inf, 0.0, np.inf]
