"""Every function of the decision rule gives the same answer for one person and for everyone.

Why: :mod:`strikesim.engine.rule` promises that its functions work on floats (one person: the
per-agent method, :meth:`StrikeModel.step_per_agent`) and on numpy arrays (everyone at once: the
vectorized kernel, :meth:`StrikeModel.step`), and the model's claim that the two paths agree rests
on that. Hypothesis draws values across each argument's meaningful range — the schema's bounds,
with the boundaries that matter forced in: isolated people (degree 0), a need of exactly 0,
never-joiners (threshold ``inf``), exposures exactly at the needed weight, ``k`` of ``n``
contacts at threshold ``k/n``, the 50 °F and 3 mph edges of the wind-chill formula and the
comfort temperature — and checks that the array result is, element by element, the scalar result.

The decision (``lift``, ``need``, ``need_weight``, ``commits``) uses only +, -, * and comparisons,
which IEEE 754 rounds identically on scalars and arrays, so its answers must be *bit-identical*:
that is what lets the kernel and the per-agent path commit exactly the same people.

The acting chances (``march_chance``, ``strike_chance``) use ``exp`` and ``**`` like the weather
and run only in the kernel, on arrays; they are held to :data:`WEATHER_TOL` against scalars, to
being probabilities, and to their directions (fatigue tires, union protection helps).

The weather functions use ``**`` and ``exp``. On a Python float or a numpy scalar these call the C
library; on a numpy array (0-d included) numpy's own vectorized loops, which differ from it in the
last bit (on this machine ``31.875 ** 0.16`` differs from ``np.array(31.875) ** 0.16`` by one ulp,
in ~6% of draws). The weather is computed once per run, so a run never mixes the two; the checks
here hold the weather functions to :data:`WEATHER_TOL` for arrays (many weathers at once, as an
ensemble of runs needs) and to bit-identity across Python floats and numpy scalars.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from strikesim.config import BehaviorConfig, WeatherConfig, schema_keys
from strikesim.engine import rule

BOUNDS = {
    k.key: (float(k.meta["low"]), float(k.meta["high"]))
    for k in schema_keys()
    if k.kind == "float" and k.key.startswith(("weather.", "behavior."))
}

# Bounded, derandomized and without a database: the same cases every run, < 15 s for the file.
PROPERTY = settings(max_examples=200, deadline=None, derandomize=True, database=None)
SIZE = 12  # elements per drawn array

INF = math.inf


def schema_floats(key: str, *edges: float) -> st.SearchStrategy[float]:
    """Any value the schema allows for ``key``, its bounds and ``edges`` drawn often."""
    low, high = BOUNDS[key]
    fixed = sorted({low, high, *(e for e in edges if low <= e <= high)})
    return st.one_of(st.sampled_from(fixed), st.floats(low, high, allow_nan=False))


def ranged(low: float, high: float, *edges: float) -> st.SearchStrategy[float]:
    return st.one_of(st.sampled_from([low, high, *edges]), st.floats(low, high, allow_nan=False))


# A threshold is a Beta draw in [0, 1] (with the shifts, its mean stays in [0.01, 0.99]), or inf
# for a never-joiner; values beyond [0, 1] are drawn too: the rule must not care.
THRESHOLD = st.one_of(ranged(-2.0, 3.0, 0.0, 1.0), st.just(INF))
PULL = ranged(0.0, 1.0, 0.3)  # capped at behavior.max_pull (<= 1)
MOMENTUM = ranged(0.0, 10.0)  # momentum_weight (<= 10) times the committed share
OUTRAGE = ranged(0.0, 3.0)  # outrage_shock (<= 1) per shock, fading; two shocks
PROXIMITY = ranged(0.0, 1.0)  # exp(-distance / outrage_reach_km)
LIFT = ranged(0.0, 13.0)  # momentum + outrage * proximity
NEED = st.one_of(ranged(-17.0, 4.0, 0.0, -0.0, 1e-300, -1e-300), st.just(INF))
DEGREE = st.one_of(
    st.just(0.0),  # an isolated person
    st.integers(1, 2000).map(float),  # integer tie weights: exact sums
    ranged(0.0, 2000.0, 5e-324),  # float weights from a supplied graph
)


def tie(pair: tuple[int, int]) -> tuple[float, float]:
    """``k`` of ``n`` contacts committed, needed weight ``(k/n) * n``: an exact tie."""
    k, n = pair
    return float(k), (k / n) * n


EXPOSURE_AND_NEEDED = st.one_of(
    st.tuples(ranged(0.0, 2000.0), st.one_of(ranged(0.0, 2000.0), st.just(INF))),
    ranged(0.0, 2000.0).map(lambda w: (w, w)),  # exposure exactly the needed weight
    ranged(0.0, 2000.0).map(lambda w: (w * (1.0 - rule.RELATIVE_TOLERANCE), w)),  # at tolerance
    st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))).map(tie),
)


# Arrays against scalars for the weather functions: a few ulps of terms of size ~100 (°F).
WEATHER_TOL = 1e-12


def same(a: float, b: float, tol: float) -> bool:
    return a == b if tol == 0 else math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def assert_elementwise(
    fn: Callable[..., object], args: Sequence[Sequence[float]], tol: float = 0.0
) -> list:
    """``fn`` on arrays equals ``fn`` on each element's scalars (exactly unless ``tol``);
    returns the scalar results."""
    arrays = [np.array(a, dtype=float) for a in args]
    together = np.asarray(fn(*arrays))
    assert together.shape == arrays[0].shape
    singles = []
    for i in range(len(arrays[0])):
        one = fn(*(float(a[i]) for a in args))
        assert np.ndim(one) == 0, f"{fn.__name__} gave a non-scalar for scalars: {one!r}"
        one = np.asarray(one).item()
        assert not (isinstance(one, float) and math.isnan(one)), (fn.__name__, i)
        assert same(one, together[i].item(), tol), (fn.__name__, [a[i] for a in args], one)
        singles.append(one)
    return singles


# --- need, need_weight, commits: the daily decision ---------------------------------------------
@PROPERTY
@given(st.lists(st.tuples(THRESHOLD, PULL, LIFT), min_size=1, max_size=SIZE))
def test_need_is_elementwise(rows: list[tuple[float, float, float]]) -> None:
    columns = list(zip(*rows, strict=True))
    needs = assert_elementwise(rule.need, columns)
    # the kernel keeps threshold - pull per person and subtracts today's lift from it: the same
    # operations in the same order, so the same bits as one person's need
    threshold, pull, lift = (np.array(c) for c in columns)
    assert ((threshold - pull) - lift).tolist() == needs


@PROPERTY
@given(MOMENTUM, OUTRAGE, st.lists(PROXIMITY, min_size=1, max_size=SIZE))
def test_lift_is_elementwise(momentum: float, outrage: float, proximity: list[float]) -> None:
    """Momentum and outrage are one float each per day; proximity is per person."""
    together = rule.lift(momentum, outrage, np.array(proximity))
    alone = [rule.lift(momentum, outrage, p) for p in proximity]
    assert together.tolist() == alone
    assert all(value >= momentum for value in alone)  # outrage only ever lowers the need


@PROPERTY
@given(st.lists(st.tuples(NEED, DEGREE), min_size=1, max_size=SIZE))
def test_need_weight_is_elementwise_and_isolates_need_nothing_or_never(
    rows: list[tuple[float, float]],
) -> None:
    columns = list(zip(*rows, strict=True))
    weights = assert_elementwise(rule.need_weight, columns)
    for (need_share, degree), weight in zip(rows, weights, strict=True):
        if degree == 0:
            assert weight == (0.0 if need_share <= 0 else INF), (need_share, weight)
        elif need_share == INF:
            assert weight == INF  # a never-joiner stays out however many contacts commit
        else:
            assert weight == need_share * degree


@PROPERTY
@given(st.lists(EXPOSURE_AND_NEEDED, min_size=1, max_size=SIZE))
def test_commits_is_elementwise_and_ties_commit(rows: list[tuple[float, float]]) -> None:
    columns = list(zip(*rows, strict=True))
    decisions = assert_elementwise(rule.commits, columns)
    for (exposure, needed), decided in zip(rows, decisions, strict=True):
        if needed == INF:
            assert decided is False
        elif exposure >= needed * (1.0 - rule.RELATIVE_TOLERANCE):
            assert decided is True, (exposure, needed)  # ">=": a tie commits
        else:
            assert decided is False, (exposure, needed)


@PROPERTY
@given(st.integers(1, 1000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_k_of_n_contacts_meet_threshold_k_over_n_and_k_minus_1_do_not(
    pair: tuple[int, int],
) -> None:
    k, n = pair
    needed = rule.need_weight(rule.need(k / n, 0.0, 0.0), float(n))
    assert rule.commits(float(k), needed)
    assert np.all(rule.commits(np.array([float(k)]), np.array([needed])))
    if k > 0:
        assert not rule.commits(float(k - 1), needed)


@PROPERTY
@given(
    st.lists(
        st.tuples(THRESHOLD, PULL, PROXIMITY, DEGREE, st.floats(0.0, 1.0)),
        min_size=1,
        max_size=SIZE,
    ),
    MOMENTUM,
    OUTRAGE,
)
def test_the_whole_decision_is_elementwise(
    rows: list[tuple[float, float, float, float, float]], momentum: float, outrage: float
) -> None:
    """lift -> need -> need_weight -> commits, as the kernel chains them (threshold - pull kept
    per person, today's lift subtracted), against one person at a time as the agents do."""
    threshold, pull, proximity, degree, committed_share = (
        np.array(c) for c in zip(*rows, strict=True)
    )
    exposure = committed_share * degree
    lift = rule.lift(momentum, outrage, proximity)
    kernel = rule.commits(exposure, rule.need_weight((threshold - pull) - lift, degree))
    for i in range(len(rows)):
        need = rule.need(float(threshold[i]), float(pull[i]), float(lift[i]))
        alone = rule.commits(float(exposure[i]), rule.need_weight(need, float(degree[i])))
        assert bool(alone) == bool(kernel[i]), rows[i]


# --- acting: march, strike and walk-out chances ---------------------------------------------------
DISTANCE = ranged(0.0, 120.0, 25.0)  # km from downtown: the seven-county metro


@st.composite
def acting_behaviors(draw: st.DrawFn) -> BehaviorConfig:
    """The acting parameters, anywhere in the schema's ranges."""
    keys = (
        "travel_decay_km",
        "immigrant_march_risk",
        "fatigue",
        "job_risk_weight",
        "union_protection",
        "student_cost",
    )
    return replace(BehaviorConfig(), **{k: draw(schema_floats(f"behavior.{k}")) for k in keys})


@PROPERTY
@given(
    ranged(0.0, 1.0),
    st.lists(st.tuples(DISTANCE, st.booleans(), st.integers(0, 5)), min_size=1, max_size=SIZE),
    acting_behaviors(),
)
def test_march_chance_is_elementwise_and_a_probability(
    probability: float, rows: list[tuple[float, bool, int]], behavior: BehaviorConfig
) -> None:
    distance, immigrant, before = (np.array(c) for c in zip(*rows, strict=True))
    together = rule.march_chance(probability, distance, immigrant, before, behavior)
    for i, (d, foreign, n) in enumerate(rows):
        one = float(rule.march_chance(probability, d, foreign, n, behavior))
        assert 0.0 <= one <= probability
        assert same(one, float(together[i]), WEATHER_TOL), rows[i]
        if n < 5:  # each earlier march can only tire
            assert rule.march_chance(probability, d, foreign, n + 1, behavior) <= one


@PROPERTY
@given(
    st.lists(st.tuples(ranged(0.0, 1.0), st.booleans()), min_size=1, max_size=SIZE),
    acting_behaviors(),
)
def test_strike_chance_is_elementwise_and_protection_only_helps(
    rows: list[tuple[float, bool]], behavior: BehaviorConfig
) -> None:
    precarity, protected = (np.array(c) for c in zip(*rows, strict=True))
    together = rule.strike_chance(precarity, protected, behavior)
    for i, (p, shielded) in enumerate(rows):
        one = float(rule.strike_chance(p, shielded, behavior))
        assert 0.0 <= one <= 1.0
        assert same(one, float(together[i]), WEATHER_TOL), rows[i]
        assert float(rule.strike_chance(p, True, behavior)) >= float(
            rule.strike_chance(p, False, behavior)
        )
    assert 0.0 < rule.walkout_chance(behavior) <= 1.0


# --- the weather: wind chill, weather factor, march probability ----------------------------------
TEMPERATURE = schema_floats("weather.temperature_f", 50.0, np.nextafter(50.0, 51.0), 68.0, 0.0)
WIND = schema_floats("weather.wind_mph", 3.0, np.nextafter(3.0, 0.0), 5.0)
PRECIPITATION = schema_floats("weather.precipitation_in", 0.1)


@st.composite
def behaviors(draw: st.DrawFn) -> BehaviorConfig:
    """The weather submodel's behaviour parameters, anywhere in the schema's ranges."""
    return replace(
        BehaviorConfig(),
        march_base=draw(schema_floats("behavior.march_base")),
        comfort_temperature_f=draw(schema_floats("behavior.comfort_temperature_f", 68.0, 50.0)),
        cold_sensitivity=draw(schema_floats("behavior.cold_sensitivity", 0.01)),
        heat_sensitivity=draw(schema_floats("behavior.heat_sensitivity", 0.02)),
        precip_sensitivity=draw(schema_floats("behavior.precip_sensitivity", 0.5)),
        indoor_refuge_relief=draw(schema_floats("behavior.indoor_refuge_relief", 0.3)),
    )


WEATHER = st.tuples(TEMPERATURE, WIND, PRECIPITATION, st.booleans())
SCALAR_KINDS = (float, np.float64)  # config values may arrive as either: bit-identical


def weather_of(t: float, v: float, p: float, refuge: bool, kind=float) -> WeatherConfig:
    return WeatherConfig(
        temperature_f=kind(t), wind_mph=kind(v), precipitation_in=kind(p), indoor_refuge=refuge
    )


@PROPERTY
@given(TEMPERATURE, WIND)
def test_wind_chill_agrees_across_scalar_types_and_follows_the_nws_domain(
    t: float, v: float
) -> None:
    chill = rule.wind_chill_f(t, v)
    for kind in SCALAR_KINDS:
        assert float(rule.wind_chill_f(kind(t), kind(v))) == chill
    zero_d = float(rule.wind_chill_f(np.array(t), np.array(v)))  # numpy's loops, not libm
    assert same(zero_d, chill, WEATHER_TOL)
    if t > 50 or v < 3:
        assert chill == t  # outside the formula's domain the air temperature is what one feels
    else:
        assert chill <= t  # wind never warms
        assert rule.wind_chill_f(t, v + 1.0) <= chill  # more wind, colder


@PROPERTY
@given(WEATHER, behaviors())
def test_weather_factor_and_march_probability_agree_across_scalar_types(
    weather: tuple[float, float, float, bool], behavior: BehaviorConfig
) -> None:
    factor = rule.weather_factor(weather_of(*weather), behavior)
    assert 0.0 <= factor <= 1.0  # in (0, 1] mathematically; exp() may underflow to 0
    probability = rule.march_probability(weather_of(*weather), behavior)
    assert probability == behavior.march_base * factor
    for kind in SCALAR_KINDS:
        assert float(rule.weather_factor(weather_of(*weather, kind=kind), behavior)) == factor
        assert float(rule.march_probability(weather_of(*weather, kind=kind), behavior)) == (
            probability
        )
    zero_d = rule.weather_factor(weather_of(*weather, kind=np.array), behavior)
    assert same(float(zero_d), factor, WEATHER_TOL)


@PROPERTY
@given(WEATHER, TEMPERATURE, PRECIPITATION, behaviors())
def test_weather_factor_rises_towards_comfort_and_falls_with_rain(
    weather: tuple[float, float, float, bool],
    other_t: float,
    more_rain: float,
    behavior: BehaviorConfig,
) -> None:
    """The monotonicity the common-random-numbers tests rely on, at the level of the rule."""
    t, v, p, refuge = weather
    comfort = behavior.comfort_temperature_f
    factor = rule.weather_factor(weather_of(t, v, p, refuge), behavior)
    if max(t, other_t) <= comfort and other_t > t:
        assert rule.weather_factor(weather_of(other_t, v, p, refuge), behavior) >= factor
    if more_rain > p:
        assert rule.weather_factor(weather_of(t, v, more_rain, refuge), behavior) <= factor
    assert rule.weather_factor(weather_of(t, v, p, True), behavior) >= rule.weather_factor(
        weather_of(t, v, p, False), behavior
    )


# Every combination of the edges, as one array per weather variable.
EDGE_WEATHERS = list(
    itertools.product(
        [-80.0, -20.0, 0.0, 50.0, float(np.nextafter(50.0, 51.0)), 68.0, 130.0],
        [0.0, float(np.nextafter(3.0, 0.0)), 3.0, 31.875, 100.0],
        [0.0, 0.1, 10.0],
        [False, True],
    )
)


def test_wind_chill_is_elementwise() -> None:
    t, v, _, _ = zip(*EDGE_WEATHERS, strict=True)
    assert_elementwise(rule.wind_chill_f, [t, v], WEATHER_TOL)


def test_weather_factor_and_march_probability_are_elementwise() -> None:
    t, v, p, refuge = (np.array(c) for c in zip(*EDGE_WEATHERS, strict=True))
    weather = WeatherConfig(temperature_f=t, wind_mph=v, precipitation_in=p, indoor_refuge=refuge)
    behavior = BehaviorConfig()
    for fn in (rule.weather_factor, rule.march_probability):
        together = np.asarray(fn(weather, behavior))
        assert together.shape == t.shape
        for row, value in zip(EDGE_WEATHERS, together.tolist(), strict=True):
            assert same(value, fn(weather_of(*row), behavior), WEATHER_TOL), row
