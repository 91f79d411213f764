"""Common random numbers: runs that differ only in the weather differ only in who marches.

Why: the weather enters the model in one place, the chance ``p_march`` that a committed person
marches on an action day (:func:`strikesim.engine.rule.march_probability`, times the person's
trip, risk and fatigue: :func:`~strikesim.engine.rule.march_chance`). Commitment never depends on
it, and each person's march draw ``u_i`` comes from its own named stream (``stream(seed, "march
<date>")``), drawn for everyone whatever the weather. The ``weather`` section is the day at
``scenario.date``'s (the documented days before it keep their recorded weather), so two runs with
the same seed and different weather must have identical commitment trajectories — every day,
every agent type — identical earlier action days, and nested marchers on the last day (``u_i <
c * p`` for a smaller ``p`` implies it for a larger one, the person's own factor ``c`` being the
same). That is what makes a paired weather comparison noise-free (``strikesim compare`` and the
counterfactual scenarios rely on it). A change that lets the weather touch commitment, draws the
march coin only for some people, or draws it from a stream shared with another purpose breaks
these tests.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from strikesim.compose import compose_config
from strikesim.config import BehaviorConfig
from strikesim.engine.model import StrikeModel

COMFORT_F = BehaviorConfig().comfort_temperature_f  # marchers rise with temperature up to here

# Weathers of the default scenario (ice_out_2026: 8 °F, wind 8 mph, dry); each changes only the
# weather: temperature, wind, precipitation, and all of them at once.
WEATHERS = {
    "as_recorded": [],
    "deep_cold": ["weather.temperature_f=-35"],
    "warm_calm": ["weather.temperature_f=60", "weather.wind_mph=0"],
    "hot": ["weather.temperature_f=95"],
    "gale": ["weather.wind_mph=45"],
    "downpour": ["weather.precipitation_in=1.5"],
    "everything": [
        "weather.temperature_f=-10",
        "weather.wind_mph=25",
        "weather.precipitation_in=0.4",
        "weather.indoor_refuge=true",
    ],
}


def run(*overrides: str) -> StrikeModel:
    """A finished (and released) 6,000-person model: its arrays and records stay readable."""
    model = StrikeModel(compose_config(["population=small", "population.size=6000", *overrides]))
    model.run()
    model.release()
    return model


def commitment_trajectory(model: StrikeModel) -> pd.DataFrame:
    """People committed per day and agent type."""
    ts = model.timeseries()
    rows = ts[ts["form"] == "committed"][["day", "phase", "agent_type", "people"]]
    return rows.sort_values(["day", "agent_type"]).reset_index(drop=True)


@pytest.mark.parametrize("seed", [0, 1])
def test_changing_only_the_weather_leaves_every_commitment_unchanged(seed: int) -> None:
    runs = {name: run(f"seed={seed}", *ov) for name, ov in WEATHERS.items()}
    reference = runs["as_recorded"]
    expected = commitment_trajectory(reference)
    assert sorted(expected["day"].unique()) == list(range(reference.strike_day + 1))
    assert expected.groupby("day").size().eq(4).all()  # every agent type on every day
    assert expected["people"].iloc[-4:].sum() > expected["people"].iloc[:4].sum()  # it spread
    earlier = reference.events().iloc[:-1]
    assert earlier["event"].tolist() == ["march_2026_01_10", "day_of_truth_2026_01_23"]
    probabilities = set()
    for name, model in runs.items():
        pd.testing.assert_frame_equal(commitment_trajectory(model), expected, obj=name)
        assert np.array_equal(model.committed, reference.committed), name  # the same people
        # the documented days keep their own weather: who marched then is unchanged
        pd.testing.assert_frame_equal(model.events().iloc[:-1], earlier, obj=name)
        probabilities.add(model.march_probability)
    assert len(probabilities) == len(WEATHERS)  # each weather did change the march chance


@pytest.mark.parametrize("seed", [0, 3])
def test_marchers_are_nested_and_monotone_in_temperature_below_comfort(seed: int) -> None:
    temperatures = [-40, -20, 0, 15, 32, 45, 50, 51, COMFORT_F]  # 50|51: wind chill ends
    runs = [run(f"seed={seed}", f"weather.temperature_f={t}") for t in temperatures]
    marchers = [int(m.marching.sum()) for m in runs]
    assert marchers == sorted(marchers), dict(zip(temperatures, marchers, strict=True))
    assert marchers[0] < marchers[-1]
    for colder, warmer, t in zip(runs, runs[1:], temperatures[1:], strict=False):
        # the very people who marched in the cold march on the warmer day (same u_i, larger p)
        assert np.all(warmer.marching[colder.marching]), f"a marcher stayed home at {t} °F"


@pytest.mark.parametrize(
    ("key", "values"),
    [("weather.wind_mph", [0, 3, 10, 25, 60]), ("weather.precipitation_in", [0, 0.2, 1, 5])],
)
def test_marchers_fall_with_wind_and_rain_for_a_fixed_seed(key: str, values: list[float]) -> None:
    runs = [run("seed=2", "weather.temperature_f=20", f"{key}={v}") for v in values]
    marchers = [int(m.marching.sum()) for m in runs]
    assert marchers == sorted(marchers, reverse=True) and marchers[0] > marchers[-1], marchers
    for calmer, rougher in itertools.pairwise(runs):
        assert np.all(calmer.marching[rougher.marching])


@pytest.mark.slow
def test_whole_city_weather_changes_only_who_marches() -> None:
    """The same for the whole city at 1:1 (429,954 people), where a shortcut for big arrays
    would show."""
    models = []
    for t in (-20, 8, 40):
        model = StrikeModel(compose_config(["population=city", f"weather.temperature_f={t}"]))
        model.run()
        model.release()
        models.append(model)
    first = commitment_trajectory(models[0])
    for colder, warmer in itertools.pairwise(models):
        pd.testing.assert_frame_equal(commitment_trajectory(warmer), first)
        assert np.all(warmer.marching[colder.marching])
        assert warmer.marching.sum() > colder.marching.sum()
