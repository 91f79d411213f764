"""The pure pieces around the model: initial-state functions, named random streams, outputs.

- :mod:`strikesim.engine.heterogeneity`: each function against its equation on a handful of
  people, and the model calling exactly these functions;
- :mod:`strikesim.streams`: keys by name (fixed for the original six, hashed for any other);
- :mod:`strikesim.engine.outputs`: totals, events and time series built from one declaration,
  scaled to people in one place.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np
import pytest
import scipy.special
import scipy.stats

from strikesim import scenarios, streams
from strikesim.config import BehaviorConfig
from strikesim.engine import heterogeneity as het
from strikesim.engine import outputs, rule
from strikesim.engine.kernel import federation_affiliated_share
from strikesim.engine.model import StrikeModel
from strikesim.engine.population import K12, KINDS, RESIDENT, UNIVERSITY, WORKER
from strikesim.streams import FIXED_KEYS, hashed_key, spawn_key, stream

# --- thresholds ---------------------------------------------------------------------------------


def test_thresholds_follow_the_equation_person_by_person() -> None:
    """A sympathizer uniform, then one uniform per person through its group's Beta inverse CDF."""
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
    u = rng.random(6)
    mean = 0.3 + np.array([0.0, -0.05, 0.02, -0.05 - 0.04, 0.0, 0.0])
    nu = mean * (1 - mean) / 0.2**2 - 1
    want = np.where(sympathizer, scipy.stats.beta.ppf(u, mean * nu, (1 - mean) * nu), np.inf)
    # the inverse CDF is read from a table: within one grid step of the exact quantile
    np.testing.assert_allclose(got, want, rtol=0, atol=1 / (het.QUANTILE_GRID - 1))
    assert np.array_equal(np.isinf(got), np.isinf(want))
    assert np.isinf(got).sum() == (~sympathizer).sum()


BETAS = [(0.5, 0.5), (1.83, 5.5), (40.0, 120.0), (0.3, 8.0), (8.0, 0.3), (300.0, 900.0)]
"""(alpha, beta) for the quantile table: U-shaped, the default's skew, concentrated, and tails
where the CDF rounds to 0 or 1 over many grid points."""


def _uniforms() -> np.ndarray:
    """0, values near 0, 1/2 and 1 (up to the largest double below 1), and random draws."""
    edges = [0.0, 2.0**-53, 1e-12, 1e-6, 0.5 - 2.0**-54, 0.5, 1 - 1e-6, 1 - 1e-12]
    edges += [1 - 2.0**-52, 1 - 2.0**-53]
    return np.concatenate([edges, np.random.default_rng(0).random(50_000)])


@pytest.mark.parametrize(("alpha", "beta"), BETAS)
def test_quantile_table_is_within_one_grid_step_of_betaincinv(alpha: float, beta: float) -> None:
    """The table's quantiles agree with the exact inverse CDF within 1/16384 everywhere,
    including u = 0 (exactly 0) and u a rounding unit below 1."""
    u = _uniforms()
    got = het.beta_quantiles(alpha, beta, u)
    want = scipy.special.betaincinv(alpha, beta, u)
    assert het.QUANTILE_GRID - 1 == 2**14
    assert np.max(np.abs(got - want)) <= 1 / 2**14
    assert got[0] == 0.0


def test_a_kept_table_gives_the_same_quantiles_as_a_new_one() -> None:
    u = np.random.default_rng(1).random(1_000)
    het._cdf_table.cache_clear()
    fresh = het.beta_quantiles(1.83, 5.5, u)
    assert het._cdf_table.cache_info().misses == 2  # the two half tables
    kept = het.beta_quantiles(1.83, 5.5, u)
    assert het._cdf_table.cache_info().hits == 2
    assert np.array_equal(fresh, kept)
    assert np.max(np.abs(fresh - scipy.special.betaincinv(1.83, 5.5, u))) <= 1 / 2**14


@pytest.mark.parametrize(("alpha", "beta"), BETAS)
def test_quantile_table_is_monotone_and_inside_the_unit_interval(alpha: float, beta: float) -> None:
    u = np.sort(np.concatenate([_uniforms(), np.linspace(0, 1, 20_001)[:-1]]))
    got = het.beta_quantiles(alpha, beta, u)
    assert np.all(np.diff(got) >= 0)
    assert np.all((got >= 0) & (got <= 1))
    assert np.all(got[u > 0] > 0)  # no atom at 0: only u = 0 maps to 0


@pytest.mark.parametrize(("mean", "sd"), [(0.35, 0.15), (0.2, 0.05), (0.1, 0.08), (0.45, 0.25)])
def test_beta_thresholds_match_mean_and_sd_with_no_mass_at_zero(mean: float, sd: float) -> None:
    """No clipping: every threshold lies strictly inside (0, 1), none is exactly 0 (nobody
    commits unprompted), and the draws have the configured mean and sd."""
    alpha, beta = het.beta_parameters(mean, sd)
    assert alpha / (alpha + beta) == pytest.approx(mean, rel=1e-12)
    assert (alpha * beta / ((alpha + beta) ** 2 * (alpha + beta + 1))) ** 0.5 == pytest.approx(
        sd, rel=1e-12
    )
    n = 200_000
    b = replace(BehaviorConfig(), threshold_mean=mean, threshold_sd=sd)
    kind = np.full(n, WORKER, np.int8)
    got = het.draw_thresholds(np.random.default_rng(3), kind, np.zeros(n, bool), b, 1.0, True)
    assert np.all((got > 0) & (got < 1))
    assert np.count_nonzero(got == 0.0) == 0
    assert abs(got.mean() - mean) < 4 * sd / n**0.5
    assert got.std() == pytest.approx(sd, rel=0.01)
    # the old clipped normal put up to ~10% of people at exactly 0 here; the Beta (alpha > 1) has
    # no atom and a density that vanishes at 0
    assert min(alpha, beta) > 1
    assert np.count_nonzero(got < 1e-4) < n * 1e-3


def test_a_group_shift_moves_its_mean_and_shares_the_uniforms() -> None:
    """Foreign-born people's mean is threshold_mean + shift; with the shift 0 they draw exactly
    what everyone else draws from the same uniforms."""
    n = 100_000
    immigrant = np.arange(n) % 2 == 0
    kind = np.full(n, RESIDENT, np.int8)
    b = replace(BehaviorConfig(), threshold_mean=0.35, immigrant_threshold_shift=-0.1)
    got = het.draw_thresholds(np.random.default_rng(5), kind, immigrant, b, 1.0, True)
    assert abs(got[immigrant].mean() - 0.25) < 0.003
    assert abs(got[~immigrant].mean() - 0.35) < 0.003
    unshifted = het.draw_thresholds(
        np.random.default_rng(5),
        kind,
        immigrant,
        replace(b, immigrant_threshold_shift=0.0),
        1.0,
        True,
    )
    assert np.array_equal(unshifted[~immigrant], got[~immigrant])
    assert np.all(unshifted[immigrant] > got[immigrant])  # same uniform, lower mean: lower value


def test_no_school_walkouts_keeps_every_student_out() -> None:
    kind = np.array([WORKER, K12, UNIVERSITY, RESIDENT], np.int8)
    got = het.draw_thresholds(
        np.random.default_rng(1), kind, np.zeros(4, bool), BehaviorConfig(), 1.0, False
    )
    assert np.isinf(got).tolist() == [False, True, True, False]


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


def test_organizers_are_the_activist_share_of_sympathizers() -> None:
    threshold = np.where(np.arange(100_000) % 4 == 0, np.inf, 0.3)
    organizers = het.draw_organizers(np.random.default_rng(2), 0.01, threshold)
    assert abs(organizers.sum() / 75_000 - 0.01) < 0.0015


@pytest.mark.parametrize(
    ("reaches", "channels"),
    [
        ("members", ("union",)),
        ("members+k12", ("union", "school")),
        ("k12+members", ("union", "school")),
        ("union_members", ("federation",)),
        ("congregants", ("faith",)),
        ("university", ("campus",)),
        ("immigrants", ("community",)),
        ("residents", ("civic",)),
        ("k12", ("school",)),
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
    kind = np.array([WORKER, WORKER, K12, RESIDENT, WORKER, UNIVERSITY], np.int8)
    union = np.array([3, 5, -1, -1, 3, -1], np.int16)
    faith_org = np.array([-1, 9, 9, 9, -1, -1], np.int16)
    immigrant = np.array([False, True, False, True, False, True])
    place = np.array([0, 2, 0, 1, 0, 0], np.int16)
    affiliated = np.array([True, True, False, False, False, False])  # 4's local is not
    people = (kind, union, affiliated, faith_org, immigrant, place)

    def members(reaches: str, org: int, area: tuple[int, ...] = (0, 1, 2)) -> dict[str, list[int]]:
        got = het.roster_members(reaches, area, org, *people)
        return {c: m.tolist() for c, m in got.items()}

    assert members("members+k12", 3) == {"union": [0, 4], "school": [2]}
    assert members("union_members", 7) == {"federation": [0, 1]}
    assert members("congregants", 9) == {"faith": [1, 2, 3]}
    assert members("university", 1) == {"campus": [5]}
    assert members("immigrants", 1) == {"community": [1, 3, 5]}
    assert members("residents", 1) == {"civic": [0, 1, 2, 3, 4, 5]}
    assert members("none", 3) == {}
    # an area keeps only the people who live there, on every channel
    assert members("residents", 1, (0,)) == {"civic": [0, 2, 4, 5]}  # place 0: Minneapolis
    assert members("union_members", 7, (1, 2)) == {"federation": [1]}
    assert members("members", 3, (0,)) == {"union": [0, 4]}  # a local calls all its members
    assert members("immigrants+congregants", 9, (1,)) == {"faith": [3], "community": [3]}


def test_federations_reach_their_reported_affiliates_per_resident() -> None:
    # two areas of 100 people each; 40 and 10 union members; federations report 20 and 10 per
    # 100 residents: 30 of 50 members are affiliated
    place = np.repeat([0, 1], 100).astype(np.int16)
    union = np.full(200, -1, np.int16)
    union[:40], union[100:110] = 3, 5
    share = het.affiliated_share([(0,), (1,)], [2_000, 500], union, place, [10_000, 5_000])
    assert share == pytest.approx(30 / 50)
    assert het.affiliated_share([(0,)], [9_000], union, place, [10_000]) == 1.0  # capped
    assert het.affiliated_share([(2,)], [10], union, place, [100]) == 1.0  # nobody there
    workplace = np.repeat(np.arange(50), 4).astype(np.int32)  # units of four
    got = het.draw_affiliation(np.random.default_rng(0), 0.5, union, workplace)
    assert not got[union < 0].any()
    units = got.reshape(50, 4)[union.reshape(50, 4).min(axis=1) >= 0]
    assert np.all(units.all(axis=1) | ~units.any(axis=1))  # whole units, never part of one
    no_jobs = het.draw_affiliation(np.random.default_rng(0), 0.5, union, np.full(200, -1))
    assert 10 < no_jobs.sum() < 40 and not no_jobs[union < 0].any()  # one draw per member


def test_roster_areas_name_places() -> None:
    places = scenarios.places()
    for area in scenarios.organizations()["area"]:
        assert set(scenarios.area_places(area)) <= set(range(len(places)))
    assert scenarios.area_places("metro") == tuple(range(len(places)))
    with pytest.raises(ValueError, match=r"roster area 'st_paul' is unknown; allowed: metro, "):
        scenarios.area_places("minneapolis+st_paul")


def test_federations_reach_the_union_members_of_their_own_counties() -> None:
    roster = scenarios.organizations().set_index("org_id")
    names = scenarios.places()["place_id"].tolist()

    def counties(org_id: str) -> set[str]:
        return {names[i] for i in scenarios.area_places(roster.loc[org_id, "area"])}

    minneapolis = counties("minneapolis_regional_labor_federation")
    st_paul = counties("st_paul_regional_labor_federation")
    assert minneapolis == {"minneapolis", "hennepin_rest", "anoka", "carver", "scott"}
    assert st_paul == {"ramsey", "washington", "dakota"}
    assert minneapolis | st_paul == counties("minnesota_afl_cio") == set(names)
    assert counties("minneapolis_city_council") == {"minneapolis"}


def test_outreach_days_are_geometric_per_channel() -> None:
    days = het.outreach_days(np.random.default_rng(0), 1.0, 5)
    assert list(days) == list(het.CHANNELS)
    assert all(d.dtype == np.int32 and (d == 1).all() for d in days.values())
    never = het.outreach_days(np.random.default_rng(0), 0.0, 5)
    assert all((d == het.NEVER).all() for d in never.values())
    drawn = het.outreach_days(np.random.default_rng(0), 0.3, 20_000)["union"]
    assert drawn.min() == 1 and abs(drawn.mean() - 1 / 0.3) < 0.1


def test_the_model_builds_its_state_with_exactly_these_functions(make_config) -> None:
    model = StrikeModel(make_config("seed=5", "coalition=narrow"))
    cfg = model.config  # the values run: the seed's posterior draw
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
    organizers = het.draw_organizers(
        stream(cfg.seed, "activists"), cfg.behavior.activist_share, threshold
    )
    assert np.array_equal(model.committed, organizers)
    roster = scenarios.organizations()
    share = federation_affiliated_share(pop)
    affiliated = het.draw_affiliation(
        stream(cfg.seed, "affiliation"), share, pop.union, pop.workplace
    )
    for org, (idx, row) in zip(model.organizations, roster.iterrows(), strict=True):
        want = het.roster_members(
            row["reaches"],
            scenarios.area_places(row["area"]),
            idx,
            pop.kind,
            pop.union,
            affiliated,
            pop.faith_org,
            pop.immigrant,
            pop.place,
        )
        assert org.org_id == row["org_id"] and list(org.members) == list(want)
        assert all(np.array_equal(org.members[c], want[c]) for c in want)
    # every call's first day: its organization's call day plus the person's outreach days
    days = het.outreach_days(stream(cfg.seed, "outreach"), cfg.behavior.outreach_rate, pop.size)
    calls = model.calls
    contributions = calls.contributions
    call_days = model.timeline.call_days()
    org_ids = [o.org_id for o in contributions.orgs]
    for k, channel in enumerate(het.CHANNELS):
        on = contributions.channel == k
        if not on.any():
            continue
        org_day = np.array([call_days.get(org_ids[o], het.NEVER) for o in contributions.org[on]])
        want = np.where(
            org_day < het.NEVER, org_day + days[channel][contributions.person[on]], het.NEVER
        )
        assert np.array_equal(calls.first_day[on], want), channel
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
    totals, ts, events = model.totals(), model.timeseries(), model.events()
    assert tuple(totals) == outputs.TOTALS
    assert set(ts["form"]) <= set(outputs.FORMS)
    assert set(ts["phase"]) == {outputs.CAMPAIGN, outputs.ACTION_DAY}
    action_days = sorted(ts.loc[ts["phase"] == outputs.ACTION_DAY, "day"].unique())
    assert action_days == events["day"].tolist() == [a.day for a in model.timeline.actions]
    day = ts[(ts["phase"] == outputs.ACTION_DAY) & (ts["day"] == model.strike_day)]
    by_form = day.groupby("form")["people"].sum()
    assert by_form["marching"] == totals["marchers"]
    assert by_form["boycott"] == totals["boycotting"] == totals["committed"]
    assert by_form["striking"] == totals["striking_workers"]
    assert by_form["walkout"] == totals["k12_walkouts"] + totals["university_walkouts"]
    kinds = day.groupby("form")["agent_type"].agg(set)
    assert kinds["striking"] == {"worker"} and kinds["walkout"] == {"k12", "university"}
    assert kinds["marching"] == kinds["boycott"] == set(KINDS)
    assert totals["marchers_city"] + totals["marchers_rest_of_metro"] == totals["marchers"]
    # the events table: one row per action day, the last one the totals
    last = events.iloc[-1]
    assert {k: last[k] for k in outputs.TOTALS} == totals
    for _, event in events.iterrows():
        rows = ts[(ts["phase"] == outputs.ACTION_DAY) & (ts["day"] == event["day"])]
        assert rows.loc[rows["form"] == "marching", "people"].sum() == event["marchers"]
        assert rows.loc[rows["form"] == "boycott", "people"].sum() == event["boycotting"]
    model.release()


def test_scaling_to_people_is_declared_not_hand_applied(make_config) -> None:
    """With k people per agent every count of people is k times a count of agents; shares and
    probabilities are not scaled."""
    k = 10
    model = StrikeModel(make_config(f"population.scale={k}", "seed=1"))
    model.run()
    totals = model.totals()
    for o in outputs.OUTPUTS:
        if o.scaling is outputs.Scaling.PEOPLE:
            assert totals[o.key] % k == 0, o.key
    assert totals["people"] == totals["agents"] * k
    assert 0 <= totals["unaffiliated_marcher_share"] <= 1
    final = model.timeline.actions[-1]
    assert totals["march_probability"] == rule.march_probability(
        final.weather, model.config.behavior
    )
    # every day's projection is the committed times the next action day's base chance
    campaign = model.timeseries().query("phase == 'campaign'")
    committed = campaign[campaign["form"] == "committed"]
    projected = campaign[campaign["form"] == "projected_marching"]
    assert committed["day"].tolist() == projected["day"].tolist()
    assert set(committed["people"] % k) == {0}
    chance = {
        d: rule.march_probability(
            next(a for a in model.timeline.actions if a.day >= d).weather, model.config.behavior
        )
        for d in range(model.strike_day + 1)
    }
    assert len(set(chance.values())) == len(model.timeline.actions)  # each day its own weather
    want = committed["people"].to_numpy() * committed["day"].map(chance).to_numpy()
    np.testing.assert_allclose(projected["people"].to_numpy(), want, rtol=1e-12)
    model.release()
