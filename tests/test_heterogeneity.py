"""The pure pieces around the model: initial-state functions, named random streams, outputs.

- :mod:`strikesim.engine.heterogeneity`: each function against its equation on a handful of
  people, and the model calling exactly these functions;
- :mod:`strikesim.streams`: keys by name (fixed for the original six, hashed for any other);
- :mod:`strikesim.engine.outputs`: totals and time series built from one declaration, scaled
  to people in one place.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np
import pytest

from strikesim import scenarios, streams
from strikesim.config import BehaviorConfig
from strikesim.engine import heterogeneity as het
from strikesim.engine import outputs
from strikesim.engine.model import StrikeModel
from strikesim.engine.population import K12, KINDS, RESIDENT, UNIVERSITY, WORKER
from strikesim.streams import FIXED_KEYS, hashed_key, spawn_key, stream

# --- thresholds ---------------------------------------------------------------------------------


def test_thresholds_follow_the_equation_person_by_person() -> None:
    kind = np.array([WORKER, WORKER, K12, UNIVERSITY, RESIDENT, WORKER], np.int8)
    immigrant = np.array([False, True, False, True, False, False])
    b = replace(
        BehaviorConfig(),
        threshold_mean=0.3,
        threshold_sd=0.2,
        immigrant_threshold_shift=-0.05,
        k12_threshold_shift=0.02,
        university_threshold_shift=-0.04,
    )
    got = het.draw_thresholds(np.random.default_rng(7), kind, immigrant, b, 0.7, True)
    rng = np.random.default_rng(7)  # the documented draws, in the documented order
    sympathizer = rng.random(6) < 0.7
    z = np.clip(rng.normal(0.3, 0.2, size=6), 0.0, 1.0)
    shift = np.array([0.0, -0.05, 0.02, -0.05 - 0.04, 0.0, 0.0])
    want = np.where(sympathizer, z + shift, np.inf)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-15)
    assert np.isinf(got).sum() == (~sympathizer).sum()


def test_shifts_come_after_the_clip_so_thresholds_can_fall_below_zero() -> None:
    b = replace(BehaviorConfig(), threshold_mean=0.0, threshold_sd=0.0)
    kind = np.array([WORKER, UNIVERSITY], np.int8)
    got = het.draw_thresholds(np.random.default_rng(0), kind, np.array([True, False]), b, 1.0, True)
    assert got.tolist() == [b.immigrant_threshold_shift, b.university_threshold_shift]
    assert (got < 0).all()


def test_no_school_walkouts_keeps_every_student_out() -> None:
    kind = np.array([WORKER, K12, UNIVERSITY, RESIDENT], np.int8)
    got = het.draw_thresholds(
        np.random.default_rng(1), kind, np.zeros(4, bool), BehaviorConfig(), 1.0, False
    )
    assert np.isinf(got).tolist() == [False, True, True, False]


# --- costs --------------------------------------------------------------------------------------


def test_participation_cost_follows_the_equation() -> None:
    # workers: in an endorsing union (roster 0), in a non-endorsing union (1), in none; students
    kind = np.array([WORKER, WORKER, WORKER, K12, UNIVERSITY, RESIDENT], np.int8)
    sector = np.array([0, 1, 1, -1, -1, -1])
    union = np.array([0, 1, -1, -1, -1, -1])
    endorsing = np.array([True, False])
    precarity = np.array([0.5, 0.8])
    b = replace(BehaviorConfig(), job_risk_weight=0.2, union_protection=0.25, student_cost=0.03)
    got = het.participation_cost(kind, sector, union, endorsing, precarity, b)
    want = [0.2 * 0.5 * (1 - 0.25), 0.2 * 0.8, 0.2 * 0.8, 0.03, 0.03, 0.0]
    np.testing.assert_allclose(got, want, rtol=1e-15)


# --- organizers, roster reach, outreach ---------------------------------------------------------


def test_organizers_are_never_drawn_among_those_who_cannot_join() -> None:
    threshold = np.array([0.1, np.inf, 0.5, np.inf])
    assert het.draw_organizers(np.random.default_rng(0), 1.0, threshold).tolist() == [
        True,
        False,
        True,
        False,
    ]
    assert not het.draw_organizers(np.random.default_rng(0), 0.0, threshold).any()


@pytest.mark.parametrize(
    ("reaches", "channels"),
    [
        ("members", ("union",)),
        ("members+k12", ("union", "school")),
        ("k12+members", ("union", "school")),
        ("union_members", ("federation",)),
        ("congregants", ("faith",)),
        ("none", ()),
    ],
)
def test_roster_reach_parses_into_channels(reaches: str, channels: tuple[str, ...]) -> None:
    assert het.reach_channels(reaches) == channels


def test_an_unknown_reach_token_is_refused_not_ignored() -> None:
    with pytest.raises(ValueError, match="'memebers' is unknown"):
        het.reach_channels("memebers+k12")


def test_every_roster_row_parses() -> None:
    for reaches in scenarios.organizations()["reaches"]:
        het.reach_channels(reaches)


def test_roster_members_by_channel() -> None:
    kind = np.array([WORKER, WORKER, K12, RESIDENT, WORKER], np.int8)
    union = np.array([3, 5, -1, -1, 3], np.int16)
    faith_org = np.array([-1, 9, 9, 9, -1], np.int16)
    got = het.roster_members("members+k12", 3, kind, union, faith_org)
    assert {c: m.tolist() for c, m in got.items()} == {"union": [0, 4], "school": [2]}
    assert het.roster_members("union_members", 7, kind, union, faith_org)[
        "federation"
    ].tolist() == [
        0,
        1,
        4,
    ]
    assert het.roster_members("congregants", 9, kind, union, faith_org)["faith"].tolist() == [
        1,
        2,
        3,
    ]
    assert het.roster_members("none", 3, kind, union, faith_org) == {}


def test_outreach_days_are_geometric_per_channel() -> None:
    days = het.outreach_days(np.random.default_rng(0), 1.0, 5)
    assert list(days) == list(het.CHANNELS)
    assert all(d.dtype == np.int32 and (d == 1).all() for d in days.values())
    never = het.outreach_days(np.random.default_rng(0), 0.0, 5)
    assert all((d == het.NEVER).all() for d in never.values())
    drawn = het.outreach_days(np.random.default_rng(0), 0.3, 20_000)["union"]
    assert drawn.min() == 1 and abs(drawn.mean() - 1 / 0.3) < 0.1


def test_the_model_builds_its_state_with_exactly_these_functions(make_config) -> None:
    cfg = make_config("seed=5", "coalition=narrow")
    model = StrikeModel(cfg)
    pop = model.population
    threshold = het.draw_thresholds(
        stream(cfg.seed, "thresholds"),
        pop.kind,
        pop.immigrant,
        cfg.behavior,
        cfg.population.sympathizer_share,
        cfg.scenario.school_walkouts,
    )
    assert np.array_equal(model.threshold, threshold)
    endorsing = np.array([o.endorses for o in model.organizations])
    precarity = scenarios.sectors()["precarity"].to_numpy(float)
    cost = het.participation_cost(
        pop.kind, pop.sector, pop.union, endorsing, precarity, cfg.behavior
    )
    assert np.array_equal(model.cost, cost)
    organizers = het.draw_organizers(
        stream(cfg.seed, "activists"), cfg.behavior.activist_share, threshold
    )
    assert np.array_equal(model.committed, organizers)
    days = het.outreach_days(stream(cfg.seed, "outreach"), cfg.behavior.outreach_rate, pop.size)
    assert all(np.array_equal(model.calls.reach_day[c], days[c]) for c in het.CHANNELS)
    model.release()


# --- random streams -----------------------------------------------------------------------------


def test_the_original_streams_keep_their_keys() -> None:
    """Every recorded number was drawn with these keys: positions in the old STREAMS tuple."""
    old = ("population", "network", "thresholds", "activists", "outreach", "march")
    assert dict(FIXED_KEYS) == {name: k for k, name in enumerate(old)}
    for k, name in enumerate(old):
        want = np.random.default_rng(np.random.SeedSequence(3, spawn_key=(k,))).random(4)
        assert np.array_equal(stream(3, name).random(4), want)


def test_a_new_name_is_keyed_by_a_stable_hash_and_differs_from_every_stream() -> None:
    name = "weather_noise"
    digest = hashlib.sha256(name.encode()).digest()
    assert spawn_key(name) == hashed_key(name) == int.from_bytes(digest[:8], "big")
    assert hashed_key("example") == 5825503839656004735  # the same on every machine and run
    new = stream(0, name).random(8)
    for old in FIXED_KEYS:
        assert not np.array_equal(new, stream(0, old).random(8)), old
    assert np.array_equal(new, stream(0, name).random(8))  # reproducible
    assert not np.array_equal(new, stream(1, name).random(8))  # and seeded


def test_reordering_or_extending_the_registry_changes_no_stream() -> None:
    names = [*FIXED_KEYS, "weather_noise", "pledges"]
    reordered = dict(reversed(list(FIXED_KEYS.items())))
    extended = {**reordered, "zzz_later_stream": 123_456}
    for registry in (reordered, extended):
        assert [spawn_key(n, registry) for n in names] == [spawn_key(n) for n in names]


def test_an_empty_stream_name_is_refused() -> None:
    with pytest.raises(ValueError):
        streams.stream(0, "")


# --- outputs ------------------------------------------------------------------------------------


def test_every_output_is_declared_with_label_unit_and_scaling() -> None:
    assert len({o.key for o in outputs.OUTPUTS}) == len(outputs.OUTPUTS)
    for o in outputs.OUTPUTS:
        assert o.label and o.unit and isinstance(o.scaling, outputs.Scaling), o.key
        assert (o.value is not None) == (o.scaling is outputs.Scaling.NONE), o.key
        assert (o.of is not None) == (o.scaling is outputs.Scaling.SHARE), o.key
        assert o.form is None or o.form in outputs.FORMS, o.key
    assert set(outputs.describe()[0]) >= {"key", "label", "unit"}


def test_totals_and_timeseries_come_from_the_declaration(make_config) -> None:
    model = StrikeModel(make_config("seed=2"))
    model.run()
    totals, ts = model.totals(), model.timeseries()
    assert tuple(totals) == outputs.TOTALS
    assert set(ts["form"]) <= set(outputs.FORMS)
    day = ts[ts["phase"] == outputs.STRIKE_DAY]
    by_form = day.groupby("form")["people"].sum()
    assert by_form["marching"] == totals["marchers"]
    assert by_form["boycott"] == totals["boycotting"] == totals["committed"]
    assert by_form["striking"] == totals["striking_workers"]
    assert by_form["walkout"] == totals["k12_walkouts"] + totals["university_walkouts"]
    kinds = day.groupby("form")["agent_type"].agg(set)
    assert kinds["striking"] == {"worker"} and kinds["walkout"] == {"k12", "university"}
    assert kinds["marching"] == set(KINDS)
    model.release()


def test_scaling_to_people_is_declared_not_hand_applied(make_config) -> None:
    """With k people per agent every count of people is k times a count of agents; shares and
    probabilities are not scaled."""
    k = 20
    model = StrikeModel(make_config(f"population.scale={k}", "seed=1"))
    model.run()
    totals = model.totals()
    for o in outputs.OUTPUTS:
        if o.total and o.scaling is outputs.Scaling.PEOPLE:
            assert totals[o.key] % k == 0, o.key
    assert totals["people"] == totals["agents"] * k
    assert 0 <= totals["unaffiliated_marcher_share"] <= 1
    assert totals["march_probability"] == model.march_probability
    campaign = model.timeseries().query("phase == 'campaign'")
    committed = campaign[campaign["form"] == "committed"]["people"].to_numpy()
    projected = campaign[campaign["form"] == "projected_marching"]["people"].to_numpy()
    np.testing.assert_allclose(projected, committed * model.march_probability, rtol=1e-12)
    model.release()
