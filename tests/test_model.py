"""StrikeModel: the vectorized kernel and the per-agent rule agree; determinism; monotonicity;
the campaign's dated mechanisms (calls, outrage) and the separate forms of action."""

from __future__ import annotations

import itertools
import math

import mesa
import networkx as nx
import numpy as np
import pandas as pd
import pytest

from strikesim import scenarios
from strikesim.agents import Resident, Student, Worker
from strikesim.engine import outputs, rule
from strikesim.engine.heterogeneity import NEVER
from strikesim.engine.model import ORGANIZATION_CLASSES, StrikeModel
from strikesim.engine.population import K12, UNIVERSITY, WORKER
from strikesim.engine.timeline import outrage, proximity
from strikesim.run import simulate
from strikesim.streams import stream

# 2,000 people at the default thresholds: commitment spreads over the whole campaign (through
# the 10 Jan march, the calls, both killings and the 23 Jan strike), so the comparisons are
# between two busy runs, not two empty or two instantly saturated ones.
LIVELY = ("population.size=2000",)
# A campaign of a few days with nothing else: no documented history, one call, one action day.
SHORT = ("scenario.history=false", "scenario.start_date=2026-02-03")  # 10 days to 13 Feb


def trajectories(model: StrikeModel, per_agent: bool) -> list[np.ndarray]:
    states = [model.committed.copy()]
    while model.running:
        model.step_per_agent() if per_agent else model.step()
        states.append(model.committed.copy())
    states.append(model.marching.copy())
    return states


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_per_agent_rule_matches_vectorized_kernel(make_config, seed: int) -> None:
    cfg = make_config(*LIVELY, f"seed={seed}")
    fast_model, slow_model = StrikeModel(cfg), StrikeModel(cfg)
    fast = trajectories(fast_model, per_agent=False)
    slow = trajectories(slow_model, per_agent=True)
    assert fast_model.strike_day == 37  # 7 Jan to 13 Feb
    assert len(fast) == len(slow) == fast_model.strike_day + 2  # days 0..T, then the marchers
    for day, (a, b) in enumerate(zip(fast, slow, strict=True)):
        assert np.array_equal(a, b), f"day {day} differs"
    new = np.diff([int(s.sum()) for s in fast[:-1]])
    assert 50 < fast[-2].sum() < 2000  # something spread, but not everyone
    assert (new[:16] > 0).sum() > 5 and (new[16:] > 0).sum() >= 3  # before and after 23 Jan
    pd.testing.assert_frame_equal(fast_model.events(), slow_model.events(), check_exact=True)
    pd.testing.assert_frame_equal(
        fast_model.timeseries(), slow_model.timeseries(), check_exact=True
    )


def test_per_agent_rule_matches_on_a_supplied_weighted_graph(make_config) -> None:
    graph = nx.watts_strogatz_graph(300, 6, 0.2, seed=3)
    rng = np.random.default_rng(3)
    for u, v in graph.edges:
        graph.edges[u, v]["weight"] = float(rng.choice([0.5, 1.25, 3.0]))
    cfg = make_config(
        "behavior=default", "behavior.threshold_mean=0.15", "behavior.activist_share=0.05"
    )
    fast = trajectories(StrikeModel(cfg, graph), per_agent=False)
    slow = trajectories(StrikeModel(cfg, graph), per_agent=True)
    assert all(np.array_equal(a, b) for a, b in zip(fast, slow, strict=True))
    assert fast[-2].sum() > fast[0].sum()


def test_every_person_is_a_mesa_agent_viewing_its_row(make_config) -> None:
    model = StrikeModel(make_config("population.size=3000"))
    kinds = model.population.kind
    assert len(model.agents_by_type[Worker]) == np.count_nonzero(kinds == WORKER)
    assert len(model.agents_by_type[Student]) == np.count_nonzero(
        (kinds == K12) | (kinds == UNIVERSITY)
    )
    assert (
        len(model.agents_by_type[Worker])
        + len(model.agents_by_type[Student])
        + len(model.agents_by_type[Resident])
        == 3000
    )
    roster = scenarios.organizations()
    assert [o.org_id for o in model.organizations] == roster["org_id"].tolist()
    assert [type(o) for o in model.organizations] == [
        ORGANIZATION_CLASSES[k] for k in roster["kind"]
    ]
    assert {type(o) for o in model.organizations} == set(ORGANIZATION_CLASSES.values())
    # an organization calls on its earliest endorsed action day's call day, or never
    call_days = model.timeline.call_days()
    for org in model.organizations:
        assert org.call_day == call_days.get(org.org_id)
        assert org.endorses == (org.org_id in call_days)
    assert model.organizations[roster["org_id"].tolist().index("mirac")].call_day == 0
    assert not model.organizations[roster["org_id"].tolist().index("copal")].endorses
    model.run()
    committed_agents = model.agents_by_type[Worker].select(lambda a: a.committed)
    assert len(committed_agents) == np.count_nonzero(model.committed & (kinds == WORKER))
    states = [a.state for a in model.agents_by_type[Worker]]
    assert set(states) <= {"unaware", "sympathetic", "committed", "marching"}
    assert states.count("marching") == np.count_nonzero(model.marching & (kinds == WORKER))


def test_same_seed_gives_identical_outputs_and_other_seeds_differ(make_config) -> None:
    a, b = (simulate(make_config("seed=11")) for _ in range(2))
    c = simulate(make_config("seed=12"))
    assert a.timeseries.equals(b.timeseries)
    assert a.events.equals(b.events)  # NaN where a day has no published figure: equal here
    volatile = ("wall_time_s", "peak_rss_mib", "events")
    strip = lambda s: {k: v for k, v in s.items() if k not in volatile}  # noqa: E731
    assert strip(a.summary) == strip(b.summary)
    assert pd.DataFrame(a.summary["events"]).equals(pd.DataFrame(b.summary["events"]))
    assert not a.timeseries.equals(c.timeseries)
    assert not a.events.equals(c.events)


def test_colder_means_fewer_marchers(make_config) -> None:
    marchers = [
        simulate(make_config(f"weather.temperature_f={t}")).summary["marchers"]
        for t in (-30, -10, 10, 30, 50)
    ]
    assert marchers == sorted(marchers) and marchers[0] < marchers[-1]


def test_more_endorsers_mean_more_participation(make_config) -> None:
    nested = ["none", "narrow", "seed", "broad"]  # each coalition contains the previous one
    models = []
    for c in nested:
        model = StrikeModel(make_config(f"coalition={c}"))
        model.run()
        models.append(model)
    committed = [m.totals()["committed"] for m in models]
    marchers = [m.totals()["marchers"] for m in models]
    assert committed == sorted(committed) and committed[0] < committed[-1]
    assert marchers == sorted(marchers)
    # the coalition calls for the last day only: the documented days before are untouched
    earlier = [m.events().iloc[:-1] for m in models]
    assert len(earlier[0]) == 2
    for other in earlier[1:]:
        pd.testing.assert_frame_equal(other, earlier[0], check_exact=True)


def test_a_call_reaches_nobody_before_its_call_day(make_config) -> None:
    """The coalition's calls go out call_lead_days before the last day: up to then a run with
    the broad coalition is a run with none, day by day; after, the broad one pulls harder."""
    runs = {}
    for c in ("none", "broad"):
        model = StrikeModel(make_config(f"coalition={c}", "scenario.call_lead_days=10"))
        days = [model.committed.copy()]
        while model.running:
            model.step()
            days.append(model.committed.copy())
        runs[c] = (model, days)
    (broad, broad_days), (none, none_days) = runs["broad"], runs["none"]
    call_day = broad.strike_day - 10
    assert broad.timeline.call_days()["ufcw_663"] == call_day  # in broad, in no earlier call
    for day in range(call_day + 1):  # outreach takes at least a day
        assert np.array_equal(broad_days[day], none_days[day]), day
    assert broad_days[-1].sum() > none_days[-1].sum()
    # person by person: until the call day, the broad coalition's pull is the documented one's
    people = broad.calls.contributions.people
    assert np.array_equal(people, none.calls.contributions.people)
    for day in range(call_day + 1):
        assert np.array_equal(broad.calls.pull(people, day), none.calls.pull(people, day)), day
    after = broad.calls.pull(people, broad.strike_day) - none.calls.pull(people, broad.strike_day)
    assert np.all(after >= 0) and np.count_nonzero(after) > 100
    ufcw = broad.organizations[0]
    assert ufcw.org_id == "ufcw_663" and ufcw.call_day == call_day
    own = broad.calls.contributions.org == 0
    assert np.all(broad.calls.first_day[own] > call_day)
    assert np.all(none.calls.first_day[own] == NEVER)  # never calls without the coalition
    assert np.all(broad.calls.pull(people, broad.strike_day) <= broad.config.behavior.max_pull)


def test_strike_chance_is_lower_in_precarious_sectors_and_higher_for_called_union_members(
    make_config,
) -> None:
    """Each committed worker strikes when their strike draw falls below exp(-job_risk_weight *
    precarity * (1 - union_protection if their union calls that day)), on every strike day."""
    model = StrikeModel(make_config("population.size=5000", "behavior.job_risk_weight=2.0"))
    model.run()
    pop, b = model.population, model.config.behavior
    precarity = scenarios.sectors()["precarity"].to_numpy(float)
    roster = scenarios.organizations()["org_id"].tolist()
    strike_days = [a for a in model.kernel.actions[0] if a.action.kind == "strike"]
    assert [a.action.day for a in strike_days] == [16, 37]
    for result in strike_days:
        action, state = result.action, result.state
        draw = stream(model.config.seed, f"strike {action.date.isoformat()}").random(pop.size)
        workers = np.flatnonzero(state.committed & (pop.kind == WORKER))
        calling = np.array([roster[u] in action.endorsers if u >= 0 else False for u in pop.union])
        shield = np.where(calling, 1.0 - b.union_protection, 1.0)
        chance = np.exp(-b.job_risk_weight * precarity[pop.sector] * shield)
        assert np.array_equal(state.striking[workers], draw[workers] < chance[workers])
        assert not state.striking[pop.kind != WORKER].any()
        assert not state.striking[~state.committed].any()
    # the same committed workers strike more when their union's endorsement protects them more
    runs = []
    for protection in (0.0, 1.0):
        m = StrikeModel(
            make_config(
                "population.size=5000",
                "behavior.job_risk_weight=2.0",
                f"behavior.union_protection={protection}",
            )
        )
        m.run()
        runs.append(m.kernel.actions[0][-1].state)
    exposed, shielded = runs
    assert np.array_equal(exposed.committed, shielded.committed)
    final = model.timeline.actions[-1]
    called = np.array([roster[u] in final.endorsers if u >= 0 else False for u in pop.union])
    called &= pop.kind == WORKER
    assert np.array_equal(exposed.striking[~called], shielded.striking[~called])
    assert np.all(shielded.striking[exposed.striking])
    assert shielded.striking[called].sum() > exposed.striking[called].sum()
    assert np.all(shielded.striking[called & shielded.committed])  # full protection: all strike


def test_walkouts_fall_with_student_cost(make_config) -> None:
    states = []
    for cost in (0.0, 0.3, 1.0, 3.0):
        model = StrikeModel(make_config("population.size=5000", f"behavior.student_cost={cost}"))
        model.run()
        states.append(model.kernel.actions[0][-1].state)
    kind = states[0].kind
    students = (kind == K12) | (kind == UNIVERSITY)
    assert all(np.array_equal(s.committed, states[0].committed) for s in states)
    assert np.array_equal(states[0].walkout, states[0].committed & students)  # cost 0: all
    counts = [int(s.walkout.sum()) for s in states]
    assert counts == sorted(counts, reverse=True) and counts[0] > counts[-1] > 0
    for cheaper, dearer in itertools.pairwise(states):
        assert np.all(cheaper.walkout[dearer.walkout])  # the same draw, a lower chance


def test_no_school_walkouts_keeps_students_out(make_config) -> None:
    s = simulate(make_config("scenario.school_walkouts=false")).summary
    assert s["k12_walkouts"] == s["university_walkouts"] == 0
    assert s["striking_workers"] > 0


def test_forms_of_participation_add_up(make_config) -> None:
    model = StrikeModel(make_config())
    model.run()
    ts, events = model.timeseries(), model.events()
    assert events["kind"].tolist() == ["march", "strike", "strike"]
    assert events["documented"].tolist() == [True, True, False]
    for _, e in events.iterrows():
        assert e["marchers_city"] + e["marchers_rest_of_metro"] == e["marchers"]
        assert e["committed"] >= e["marchers"] > 0
        if e["kind"] == "strike":  # boycott = every committed person, on a strike day only
            assert e["boycotting"] == e["committed"]
        else:
            assert e["boycotting"] == e["striking_workers"] == e["k12_walkouts"] == 0
        day = ts[ts["day"] == e["day"]]
        committed = day[(day["phase"] == "campaign") & (day["form"] == "committed")]
        committed = committed.set_index("agent_type")["people"]
        action = day[day["phase"] == outputs.ACTION_DAY]
        assert committed.sum() == e["committed"]
        assert e["striking_workers"] <= committed["worker"]
        assert e["striking_union_members"] <= e["striking_workers"]
        assert e["k12_walkouts"] <= committed["k12"]
        assert e["university_walkouts"] <= committed["university"]
        assert action.query("form == 'marching'")["people"].sum() == e["marchers"]
        per_kind = action.query("form == 'marching'").set_index("agent_type")["people"]
        assert (per_kind <= committed[per_kind.index]).all()
    s = model.totals()
    assert s["boycotting"] == s["committed"] > s["striking_workers"] + s["k12_walkouts"]
    committed_per_day = (
        ts.query("phase == 'campaign' and form == 'committed'").groupby("day")["people"].sum()
    )
    assert committed_per_day.index.tolist() == list(range(model.strike_day + 1))
    assert committed_per_day.is_monotonic_increasing
    assert set(ts.columns) == {"day", "phase", "agent_type", "form", "people"}


def test_metro_marchers_split_by_where_they_live(make_config) -> None:
    """A metro catchment: marchers from the rest of the metro travel farther and march less."""
    model = StrikeModel(make_config("population.catchment=metro", "population.size=20000", *SHORT))
    model.run()
    s, state, pop = model.totals(), model.kernel.actions[0][-1].state, model.population
    assert s["marchers_city"] > 0 and s["marchers_rest_of_metro"] > 0
    assert s["marchers_city"] + s["marchers_rest_of_metro"] == s["marchers"]
    assert s["marchers_city"] == np.count_nonzero(state.marching & (pop.place == 0))
    city, rest = pop.place == 0, pop.place != 0
    rate = lambda where: state.marching[where].sum() / state.committed[where].sum()  # noqa: E731
    assert pop.distance_km[rest].min() > pop.distance_km[city].max()
    assert rate(rest) < rate(city)


def test_scale_reports_people_not_agents(make_config) -> None:
    s = simulate(make_config("population.scale=10")).summary
    assert s["agents"] == 2_000 and s["people"] == 20_000
    assert s["marchers"] % 10 == 0 and s["committed"] % 10 == 0


def test_supplied_graph_without_types_runs_as_residents(make_config) -> None:
    graph = nx.connected_watts_strogatz_graph(500, 8, 0.1, seed=2)
    model = StrikeModel(make_config("behavior.activist_share=0.05"), graph)
    model.run()
    assert len(model.agents_by_type[Resident]) == 500
    assert (
        model.committed.sum()
        > model.timeseries().query("day == 0 and form == 'committed'")["people"].sum()
    )


def test_mesa_datacollector_sees_the_array_state(make_config) -> None:
    model = StrikeModel(make_config(*LIVELY))
    collector = mesa.DataCollector(
        model_reporters={"committed": lambda m: int(m.committed.sum())},
        # organizations have no "committed": Mesa 3.5 raises on a missing attribute name
        agent_reporters={"committed": lambda a: getattr(a, "committed", None)},
        agenttype_reporters={Worker: {"threshold": "threshold"}},
    )
    while model.running:
        collector.collect(model)
        model.step()
    per_day = collector.get_model_vars_dataframe()["committed"].tolist()
    assert len(per_day) == model.strike_day
    assert per_day == sorted(per_day) and per_day[-1] > per_day[0]
    agents = collector.get_agent_vars_dataframe()
    last = agents.xs(agents.index.get_level_values(0).max(), level=0)
    assert int(last["committed"].fillna(False).sum()) == per_day[-1]
    workers = collector.get_agenttype_vars_dataframe(Worker)
    assert len(workers) == len(per_day) * len(model.agents_by_type[Worker])
    own = model.datacollector.get_model_vars_dataframe()
    assert own["day"].tolist() == list(range(model.strike_day + 1))
    committed = own[[c for c in own.columns if c.startswith("committed_")]].sum(axis=1)
    assert committed.tolist()[:-1] == per_day


def test_isolated_people_are_not_moved_by_contacts_they_do_not_have(make_config) -> None:
    graph = nx.complete_graph(60)
    graph.add_nodes_from(range(60, 200))  # 140 people with no ties at all
    cfg = make_config(
        "coalition=none",
        "behavior.momentum_weight=0",
        "behavior.activist_share=0.3",
        "behavior.threshold_mean=0.15",  # low enough that the clique cascades from its initiators
        "behavior.threshold_sd=0.1",
        "seed=5",
        *SHORT,  # no shocks and no documented callers: nothing lowers an isolated need
    )
    model = StrikeModel(cfg, graph)
    organizers = model.committed.copy()
    model.run()
    isolated = np.arange(200) >= 60
    assert np.all(model.threshold > 0)  # Beta thresholds: nobody acts alone
    unmoved = isolated & np.isfinite(model.threshold) & ~organizers
    assert unmoved.sum() > 20 and not model.committed[unmoved].any()
    assert model.committed[~isolated].sum() > organizers[~isolated].sum()  # the clique cascaded


def test_outrage_lowers_need_and_fades_with_memory(make_config) -> None:
    """The killings of 7 and 24 Jan (days 0 and 17) lower everyone's need by outrage_shock *
    exp(-days since / outrage_memory_days) * proximity; an isolated person joins on the day
    the lift covers their threshold less their pull, and not before."""
    graph = nx.empty_graph(400)  # nobody has contacts: only pull and lift can move anyone
    shock = ("behavior.outrage_shock=0.4", "behavior.momentum_weight=0", "coalition=none")
    fading = {}
    for memory in (3.0, 30.0):
        model = StrikeModel(
            make_config(*shock, f"behavior.outrage_memory_days={memory}", "seed=2"), graph
        )
        assert model.timeline.shock_days == (0, 17)
        reach = model.config.behavior.outrage_reach_km  # the seed's posterior draw
        near = proximity(model.population.distance_km[model.kernel.people], reach)
        lifts = [model.lift(d) for d in range(model.strike_day + 1)]
        for d in (0, 1, 16, 17, 20, 37):
            anger = 0.4 * sum(math.exp(-(d - s) / memory) for s in (0, 17) if s <= d)
            assert outrage(model.timeline, d, 0.4, memory) == pytest.approx(anger, rel=1e-15)
            np.testing.assert_allclose(lifts[d], anger * near, rtol=1e-12)
        assert np.all(lifts[16] < lifts[1]) and np.all(lifts[17] > lifts[16])  # fades, then jumps
        # the reference decision for an isolated person, day by day
        committed = model.committed.copy()
        people = model.kernel.people
        while model.running:
            model.step()
            day = model.day
            need = np.array(
                [
                    rule.need(model.threshold[i], model.calls.person_pull(int(i), day), lift)
                    for i, lift in zip(people, lifts[day], strict=True)
                ]
            )
            committed[people[need <= 0]] = True
            assert np.array_equal(model.committed, committed), day
        fading[memory] = (lifts, int(model.committed.sum()))
    (short, joined_short), (long, joined_long) = fading[3.0], fading[30.0]
    assert np.all(long[10] > short[10]) and np.all(long[0] == short[0])  # slower fading
    assert joined_long > joined_short > 0


@pytest.mark.slow
def test_the_default_run_lies_inside_the_recorded_posterior_predictive() -> None:
    """The shipped default (a posterior draw on the whole metro, one agent per person) gives
    every action day inside the central 90% of the calibration record's posterior predictive
    (simulated at 1:10 on fresh cities): the shipped run is the recorded model at 1:1."""
    from pathlib import Path

    from strikesim.compose import compose_config

    config = compose_config([])
    summary = simulate(config).summary
    assert summary["agents"] == summary["people"] == config.population.size
    assert summary["committed"] > summary["marchers"]  # the cold keeps committed people home
    assert summary["marchers_city"] + summary["marchers_rest_of_metro"] == summary["marchers"]
    assert summary["marchers_rest_of_metro"] > 0
    assert [e["day"] for e in summary["events"]] == [3, 16, 37]
    record = Path(__file__).resolve().parents[1] / "docs" / "calibration" / "campaign_2026"
    predictive = pd.read_parquet(record / "predictive.parquet")
    for event in summary["events"]:
        low, high = predictive[f"{event['event']}.marchers"].quantile([0.05, 0.95])
        assert low <= event["marchers"] <= high, (event["event"], event["marchers"], low, high)
