"""The decision rule, in one place: who commits to the campaign, and what each committed person
does on an action day.

Commitment (each day of the campaign, synchronously, from yesterday's state)
    Person i commits — and stays committed — when the weighted share of committed contacts
    reaches what i still needs after organizational pull, visible momentum and outrage:

        need_i(t) = threshold_i - pull_i(t) - lift_i(t)
        lift_i(t) = momentum(t) + outrage(t) * proximity_i
        commit    ⇔  exposure_i >= need_i * degree_i      (isolated: need_i <= 0)

    ``exposure_i`` is the summed tie weight to committed contacts, ``degree_i`` the summed tie
    weight to all contacts. The comparison is ``>=`` (Watts 2002's convention: a node with
    threshold 1/k activates with one active neighbour of k) and is made on ``exposure`` — an exact
    sum with integer weights (:meth:`strikesim.engine.network.Network.exposure`) — against
    ``need * degree``, never on a quotient. See :func:`commits` for how rounding is handled.
    ``threshold``: Granovetter (1978), fractional as in Watts (2002); weighted ties ("friends count
    double", Granovetter). ``pull``: bloc recruitment by organizations the person belongs to
    (Oberschall 1973; McAdam 1986; being asked: Schussman & Soule 2005), summed over the calls
    that have reached them and capped (``max_pull``). ``momentum``: the citywide committed share,
    which news makes visible. ``outrage``: moral shocks (Jasper & Poulsen 1995) — the killings of
    7 and 24 Jan 2026 — felt more strongly near where they happened
    (:mod:`strikesim.engine.timeline`).

Acting (each action day; separate decisions with separate costs)
    Commitment is support for the campaign; what a committed person does on the day depends on
    what each form of action costs them. Each is one uniform draw per person and day, shared
    across scenarios (common random numbers), compared with a chance:

    - **march**: ``march_base * weather_factor * exp(-distance_km / travel_decay_km)
      * (1 - immigrant_march_risk if foreign-born) * (1 - fatigue) ** marches_before``
      (:func:`march_chance`) — the weather, the trip downtown, the risk of being seen, and
      tiredness from earlier marches;
    - **strike** (workers, on a strike day): ``exp(-job_risk_weight * precarity
      * (1 - union_protection if in a union calling that day))`` (:func:`strike_chance`);
    - **walk out** (students, on a strike day): ``exp(-student_cost)``;
    - **boycott** (on a strike day): every committed person — not shopping for a day costs
      almost nothing.

    So a person may boycott without marching, or march without striking.

The weather factor falls exponentially with wind chill below a comfort temperature, with heat
above it, and with precipitation (Zhang 2016; Madestam et al. 2013; Gomez et al. 2007).

The same functions serve the vectorized kernel (arrays) and the per-agent method (scalars).
What the rule reads is built beside it, by pure functions with their equations and sources:
thresholds, organizers and whom each call reaches when, in
:mod:`strikesim.engine.heterogeneity` and :mod:`strikesim.engine.calls`.
"""

from __future__ import annotations

import numpy as np

from strikesim.config import BehaviorConfig, WeatherConfig

# every function of the rule works on one person (floats) and on everyone at once (arrays)
Value = float | np.ndarray


def need(threshold: Value, pull: Value, lift: Value) -> Value:
    """Share of weighted contacts that must be committed before this person commits."""
    return threshold - pull - lift


def lift(momentum: Value, outrage: Value, proximity: Value) -> Value:
    """What the news does for everyone: momentum, plus outrage as felt at this distance."""
    return momentum + outrage * proximity


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
    """Chance that a committed person downtown, never at a march before and not at risk of being
    seen, marches on the day: ``march_base * weather_factor``."""
    factor = weather_factor(weather, behavior)
    return _same_shape(np.multiply(behavior.march_base, factor), factor, behavior.march_base)


def march_chance(
    probability: float,
    distance_km: Value,
    immigrant: Value,
    marches_before: Value,
    behavior: BehaviorConfig,
) -> Value:
    """A committed person's chance to march: the day's :func:`march_probability`, times the trip
    (``exp(-distance / travel_decay_km)``), the risk of being seen for foreign-born residents,
    and fatigue per earlier march joined."""
    b = behavior
    trip = np.exp(-np.asarray(distance_km, dtype=np.float64) / b.travel_decay_km)
    seen = np.where(immigrant, 1.0 - b.immigrant_march_risk, 1.0)
    tired = (1.0 - b.fatigue) ** np.asarray(marches_before, dtype=np.float64)
    return probability * trip * seen * tired


def strike_chance(precarity: Value, protected: Value, behavior: BehaviorConfig) -> Value:
    """A committed worker's chance to strike: ``exp(-job_risk_weight * precarity * (1 -
    union_protection if protected))`` — protected: a member of a union calling that day."""
    b = behavior
    shield = np.where(protected, 1.0 - b.union_protection, 1.0)
    return np.exp(-b.job_risk_weight * np.asarray(precarity, dtype=np.float64) * shield)


def walkout_chance(behavior: BehaviorConfig) -> float:
    """A committed student's chance to walk out of school: ``exp(-student_cost)``."""
    return float(np.exp(-behavior.student_cost))


def _fields(section: object) -> list[object]:
    return [getattr(section, name) for name in vars(section)]


def _same_shape(result: np.ndarray, *inputs: object) -> Value:
    """A Python float when every input was a scalar (one run's weather), else the array."""
    if all(np.ndim(x) == 0 for x in inputs if not isinstance(x, str)):
        return float(result)
    return result
