"""The decision rule, in one place: who commits to the strike, and who marches on the day.

Commitment (each campaign day, synchronously, from yesterday's state)
    Person i commits — and stays committed — when the weighted share of committed contacts
    reaches what i still needs after organizational pull and visible momentum:

        need_i(t) = threshold_i + cost_i - pull_i(t) - momentum(t)
        commit    ⇔  exposure_i >= need_i * degree_i      (isolated: need_i <= 0)

    ``exposure_i`` is the summed tie weight to committed contacts, ``degree_i`` the summed tie
    weight to all contacts. The comparison is ``>=`` (Watts 2002's convention: a node with
    threshold 1/k activates with one active neighbour of k) and is made on ``exposure`` — an exact
    sum with integer weights (:meth:`strikesim.engine.network.Network.exposure`) — against
    ``need * degree``, never on a quotient. See :func:`commits` for how rounding is handled.
    ``threshold``: Granovetter (1978), fractional as in Watts (2002); weighted ties ("friends count
    double", Granovetter). ``pull``: bloc recruitment by organizations the person belongs to
    (Oberschall 1973; McAdam 1986; being asked: Schussman & Soule 2005). ``momentum``: the
    citywide committed share, which news makes visible. ``cost``: job risk for workers, lowered
    for members of an endorsing union, or the cost of a school walkout.

Marching (the strike day)
    A committed person marches when their own uniform draw ``u_i < p_march``, with
    ``p_march = march_base * weather_factor``: the weather factor falls exponentially with wind
    chill below a comfort temperature (Zhang 2016: protest peaks near 20 °C), with heat above
    it, and with precipitation (Madestam et al. 2013; Gomez et al. 2007). One draw per person,
    shared across scenarios, makes turnout monotone in the weather for a fixed seed (common
    random numbers).

The same functions serve the vectorized kernel (arrays) and the per-agent method (scalars).
What the rule reads is built beside it, by pure functions with their equations and sources:
thresholds, costs, organizers and whom each call reaches when, in
:mod:`strikesim.engine.heterogeneity`.
"""

from __future__ import annotations

import numpy as np

from strikesim.config import BehaviorConfig, WeatherConfig

# every function of the rule works on one person (floats) and on everyone at once (arrays)
Value = float | np.ndarray


def need(threshold: Value, cost: Value, pull: Value, momentum: Value) -> Value:
    """Share of weighted contacts that must be committed before this person commits."""
    return threshold + cost - pull - momentum


def need_weight(need_share: Value, degree: Value) -> Value:
    """Tie weight of committed contacts a person needs: ``need_share * degree``.

    A share of no contacts is undefined, so an isolated person needs nothing when the need is
    <= 0 and can never be moved by contacts otherwise (Watts 2002 treats isolates the same way).
    """
    with np.errstate(invalid="ignore"):  # inf * 0, computed and then discarded by the where
        return np.where(degree > 0, need_share * degree, np.where(need_share <= 0, 0.0, np.inf))


# A needed weight counts as met when the exposure falls short of it by at most this share of it.
RELATIVE_TOLERANCE = 1e-12


def commits(exposure: Value, weight_needed: Value) -> Value:
    """The threshold comparison, ``>=``: committed tie weight against the weight needed.

    Why a tolerance: ``weight_needed`` is a float product, and a product that rounds up breaks
    ``>=`` at the very boundary it defines — ``0.07 * 100`` is ``7.000000000000001``, so a hub with
    threshold 0.07 and 7 of 100 neighbours active would never activate, and ``0.28 * 25`` stops a
    cascade on a 25-regular graph. The convention: a threshold means its decimal (or rational)
    value, and the needed weight is met when ``exposure >= weight_needed * (1 - 1e-12)``.
    Rounding the threshold to a float and multiplying by an exactly summed degree errs by < 3e-16
    relative, so every exposure that meets the exact need ``threshold * degree`` commits; the
    price is that an exposure short of the exact need by less than a relative 1e-12 commits too
    (a threshold 1e-14 above 7/100 is met by 7 of 100). With integer weights, whose ``exposure``
    and ``degree`` are exact sums, this is the exact rule ``exposure >= ceil(threshold * degree)``
    for every threshold not that close above a boundary — tests/test_exact_threshold.py checks it
    against a ``Fraction`` reference; with float weights the tolerance also absorbs summation
    order. An infinite need (never commits) stays infinite.
    """
    return exposure >= weight_needed * (1.0 - RELATIVE_TOLERANCE)


def wind_chill_f(temperature_f: Value, wind_mph: Value) -> Value:
    """US National Weather Service wind chill (2001); defined for T <= 50 °F and wind >= 3 mph.

    Outside that domain the air temperature itself. Arrays give one value per weather.
    """
    t, w = np.asarray(temperature_f, dtype=float), np.asarray(wind_mph, dtype=float)
    v = w**0.16
    chill = np.where((t > 50) | (w < 3), t, 35.74 + 0.6215 * t - 35.75 * v + 0.4275 * t * v)
    return _same_shape(chill, temperature_f, wind_mph)


def weather_factor(weather: WeatherConfig, behavior: BehaviorConfig) -> Value:
    """Multiplier in (0, 1] on the chance that a committed person marches.

    Any weather or behaviour field may be an array (many weathers or behaviours at once).
    """
    feels_like = wind_chill_f(weather.temperature_f, weather.wind_mph)
    cold = np.maximum(0.0, behavior.comfort_temperature_f - feels_like) * behavior.cold_sensitivity
    cold = np.where(weather.indoor_refuge, cold * (1.0 - behavior.indoor_refuge_relief), cold)
    heat = np.maximum(0.0, np.asarray(weather.temperature_f) - behavior.comfort_temperature_f)
    heat = heat * behavior.heat_sensitivity
    wet = np.asarray(weather.precipitation_in) * behavior.precip_sensitivity
    return _same_shape(np.exp(-(cold + heat + wet)), *_fields(weather), *_fields(behavior))


def march_probability(weather: WeatherConfig, behavior: BehaviorConfig) -> Value:
    """Chance that a committed person turns out to march on the strike day."""
    factor = weather_factor(weather, behavior)
    return _same_shape(np.multiply(behavior.march_base, factor), factor, behavior.march_base)


def _fields(section: object) -> list[object]:
    return [getattr(section, name) for name in vars(section)]


def _same_shape(result: np.ndarray, *inputs: object) -> Value:
    """A Python float when every input was a scalar (one run's weather), else the array."""
    if all(np.ndim(x) == 0 for x in inputs if not isinstance(x, str)):
        return float(result)
    return result
