"""Every value the schema allows runs, or is refused by ``validate`` before any work.

The cases are generated from the schema itself (:func:`strikesim.config.schema_keys`): each key's
declared type, range and choices. A config is composed exactly as the command line composes it
(:func:`strikesim.compose.compose_config`); if that accepts it, :func:`strikesim.run.simulate` must
finish with sane counts that the command's report can print, and must not refuse it late (a
ConfigError from ``simulate`` means the validator let through a value the model cannot use).

Why a small population: the property is about the schema, not about scale; the largest population
is composed at the coarsest scale (``MAX_SCALE``) but not run — that is still a million agents —
and ``MAX_PEOPLE``'s memory at 1:1 is measured in ``strikesim.config``'s docstring, not here.
"""

from __future__ import annotations

import math
import string
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strikesim.compose import compose_config
from strikesim.config import (
    MAX_PEOPLE,
    MAX_SCALE,
    ConfigError,
    SchemaKey,
    StrikeConfig,
    schema_keys,
)
from strikesim.run import RunResult, report, simulate
from strikesim.scenarios import organization_ids

KEYS = {k.key: k for k in schema_keys()}
SMALL = (300, 2000)  # people: every case runs in a few milliseconds
COUNTS = (
    "marchers",
    "striking_workers",
    "striking_union_members",
    "k12_walkouts",
    "university_walkouts",
    "boycotting",
    "committed",
    "people",
    "agents",
)
SHARES = ("population.worker_share", "population.k12_share", "population.university_share")
THRESHOLDS = (
    "behavior.threshold_mean",
    "behavior.threshold_sd",
    "behavior.immigrant_threshold_shift",
    "behavior.university_threshold_shift",
    "behavior.k12_threshold_shift",
)
# characters for free text: safe ones, plus the ones a folder name must not hold ('/', ' ', '.')
TEXT = string.ascii_letters + string.digits + "_-./ "


def override(key: str, value: Any) -> str:
    """``key=value`` in Hydra's override grammar (strings quoted, bools lower case)."""
    if isinstance(value, bool):
        return f"{key}={str(value).lower()}"
    if isinstance(value, str):
        return f"{key}='{value}'"
    if isinstance(value, list):
        return f"{key}=[{','.join(value)}]"
    return f"{key}={value!r}"


def values_of(key: SchemaKey) -> st.SearchStrategy[Any]:
    """Any value inside the key's declared type, range and choices."""
    meta = key.meta
    if key.key == "population.size":
        return st.integers(*SMALL)
    if key.key == "population.scale":
        return st.one_of(st.integers(1, 20), st.integers(1, meta["high"]))
    if key.kind == "flag":
        return st.booleans()
    if meta.get("choices"):
        return st.sampled_from(meta["choices"])
    if key.kind == "int":
        return st.integers(int(meta["low"]), int(meta["high"]))
    if key.kind == "float":
        return st.floats(meta["low"], meta["high"], allow_nan=False, allow_infinity=False)
    if key.kind == "list":
        return st.lists(st.sampled_from(organization_ids()), max_size=6)
    if key.key in ("network.path", "network.nodes_path"):  # never an existing file by chance
        return st.one_of(st.just(""), st.text(TEXT, max_size=20).map(lambda t: f"no-dir/{t}.x"))
    if key.key in ("scenario.date", "scenario.start_date"):  # any date, or any text
        dates = st.dates(date(2025, 1, 1), date(2027, 1, 1)).map(date.isoformat)
        return st.one_of(dates, st.text(TEXT, max_size=20))
    return st.text(TEXT, max_size=70)


@st.composite
def overrides(draw: st.DrawFn) -> list[str]:
    """A small population, and a handful of keys, each at any value its declaration allows."""
    chosen = draw(st.lists(st.sampled_from(sorted(KEYS)), min_size=1, max_size=8, unique=True))
    size = draw(st.integers(*SMALL))
    return [
        f"population.size={size}",
        *(override(k, draw(values_of(KEYS[k]))) for k in chosen if k != "population.size"),
    ]


def check_result(result: RunResult) -> None:
    """Counts of people are finite, non-negative integers, and add up."""
    summary = result.summary
    for name in COUNTS:
        value = summary[name]
        assert isinstance(value, int) and not isinstance(value, bool), (name, value)
        assert value >= 0, (name, value)
    for name in ("marchers", "low", "high"):
        assert isinstance(summary["observed"][name], int) and summary["observed"][name] >= 0
    assert summary["marchers"] <= summary["committed"] <= summary["people"]
    assert summary["people"] == summary["agents"] * result.config.population.scale
    assert 0.0 <= summary["unaffiliated_marcher_share"] <= 1.0
    assert math.isfinite(summary["march_probability"])
    ratio = summary["ratio_to_observed"]
    assert ratio is None or (math.isfinite(ratio) and ratio >= 0)
    assert report(summary).count("\n") >= 5  # what the command prints after the run


def runs_or_is_refused_up_front(args: list[str]) -> StrikeConfig | None:
    """Compose; on refusal check the message is one line; otherwise simulate and check counts."""
    try:
        config = compose_config(args)
    except ConfigError as exc:
        assert str(exc) and "\n" not in str(exc), args
        return None
    check_result(simulate(config))  # a ConfigError here would be a late refusal: it fails
    return config


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,  # the same cases on every run; no example database written
    database=None,
)
@given(overrides())
def test_any_allowed_value_runs_or_is_refused_before_any_work(args: list[str]) -> None:
    runs_or_is_refused_up_front(args)


def companions(key: str, value: Any) -> dict[str, Any]:
    """Other keys a bound needs to satisfy the cross-field rules, so that the bound itself runs.

    (A share of 1 leaves no room for the other shares; a reference population of 1 no room for
    a turnout of 50,000; every group's mean threshold, shifted, must be a Beta's mean with room
    for the spread.)
    """
    if key in THRESHOLDS:
        shifts = {k: 0.0 for k in THRESHOLDS if k.endswith("_shift") and k != key}
        if key == "behavior.threshold_mean":
            return shifts | {"behavior.threshold_sd": 0.01}
        if key == "behavior.threshold_sd":
            return shifts | {"behavior.threshold_mean": 0.5}
        return shifts | {"behavior.threshold_mean": 0.35 if value > 0 else 0.6}
    if key == "behavior.posterior_draw" and value > 0:
        return {"behavior.posterior": ""}  # a row past a posterior's table runs only without
    if key in SHARES and value:
        return {k: 0.0 for k in SHARES if k != key}
    if key.startswith("scenario.observed_") or key == "scenario.reference_population":
        ref = value if key == "scenario.reference_population" else max(value, 1)
        counts = ("observed_low", "observed_marchers", "observed_high")
        return {f"scenario.{c}": min(value, ref) for c in counts} | {
            "scenario.reference_population": ref
        }
    return {}


def bounds() -> list[tuple[str, Any]]:
    """Every key at each end of its range, every choice and both flag values."""
    cases: list[tuple[str, Any]] = []
    for key in KEYS.values():
        meta = key.meta
        if key.kind == "flag":
            cases += [(key.key, True), (key.key, False)]
        elif key.kind in ("int", "float"):
            cast = int if key.kind == "int" else float
            cases += [(key.key, cast(meta["low"])), (key.key, cast(meta["high"]))]
    cases += [("network.format", "auto"), ("network.source", "generated")]
    cases += [("coalition.endorsers", []), ("coalition.endorsers", list(organization_ids()))]
    cases += [("scenario.name", "a"), ("scenario.name", "A-z_0.9" + "x" * 57)]
    return cases


@pytest.mark.parametrize(("key", "value"), bounds(), ids=lambda v: str(v)[:30])
def test_every_bound_runs(key: str, value: Any) -> None:
    """The ends of every range run (household_size=1, size=1, a reference population of 10
    billion, ...): not merely "refused cleanly" but accepted and simulated, over the whole
    documented campaign (7 Jan to 13 Feb: two earlier action days, two killings)."""
    values: dict[str, Any] = {"population.size": 500}
    if key == "population.size" and value > SMALL[1]:
        # the largest population is >= value / MAX_SCALE agents (a million): accepted at the
        # coarsest scale, not simulated here (its memory: strikesim.config's docstring)
        config = compose_config([override(key, value), f"population.scale={MAX_SCALE}"])
        assert config.population.size == value == MAX_PEOPLE
        return
    values |= companions(key, value) | {key: value}
    args = [override(k, v) for k, v in values.items()]
    config = runs_or_is_refused_up_front(args)
    assert config is not None, f"{args} was refused, but every value in its range should run"


def test_the_bounds_cover_every_numeric_key() -> None:
    numeric = {k.key for k in KEYS.values() if k.kind in ("int", "float")}
    assert {key for key, _ in bounds()} >= numeric
    assert all(
        KEYS[k].meta["low"] is not None and KEYS[k].meta["high"] is not None for k in numeric
    )
    assert KEYS["population.size"].meta["high"] == MAX_PEOPLE >= 3_690_261  # the metro preset
