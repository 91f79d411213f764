"""StrikeModel: the vectorized kernel and the per-agent rule agree; determinism; monotonicity."""

from __future__ import annotations

import mesa
import networkx as nx
import numpy as np
import pytest

from strikesim.agents import FaithGroup, LaborFederation, Resident, Student, Union, Worker
from strikesim.engine.model import StrikeModel
from strikesim.engine.population import K12, UNIVERSITY, WORKER
from strikesim.run import simulate

# A cascade-friendly setting, so the comparisons are not between two empty runs.
LIVELY = ("behavior.threshold_mean=0.2", "population.size=2000")


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
    fast = trajectories(StrikeModel(cfg), per_agent=False)
    slow = trajectories(StrikeModel(cfg), per_agent=True)
    assert len(fast) == len(slow) == cfg.scenario.campaign_days + 3
    for day, (a, b) in enumerate(zip(fast, slow, strict=True)):
        assert np.array_equal(a, b), f"day {day} differs"
    assert 50 < fast[-2].sum() < 2000  # something spread, but not everyone


def test_per_agent_rule_matches_on_a_supplied_weighted_graph(make_config) -> None:
    graph = nx.watts_strogatz_graph(300, 6, 0.2, seed=3)
    rng = np.random.default_rng(3)
    for u, v in graph.edges:
        graph.edges[u, v]["weight"] = float(rng.choice([0.5, 1.25, 3.0]))
    cfg = make_config("behavior.threshold_mean=0.15", "behavior.activist_share=0.05")
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
    assert {type(o) for o in model.organizations} == {Union, LaborFederation, FaithGroup}
    model.run()
    committed_agents = model.agents_by_type[Worker].select(lambda a: a.committed)
    assert len(committed_agents) == np.count_nonzero(model.committed & (kinds == WORKER))
    assert {a.state for a in model.agents_by_type[Worker]} <= {
        "unaware",
        "sympathetic",
        "committed",
        "marching",
    }


def test_same_seed_gives_identical_outputs_and_other_seeds_differ(make_config) -> None:
    a, b = (simulate(make_config("seed=11")) for _ in range(2))
    c = simulate(make_config("seed=12"))
    assert a.timeseries.equals(b.timeseries)
    volatile = ("wall_time_s", "peak_rss_mib")
    strip = lambda s: {k: v for k, v in s.items() if k not in volatile}  # noqa: E731
    assert strip(a.summary) == strip(b.summary)
    assert not a.timeseries.equals(c.timeseries)


def test_colder_means_fewer_marchers(make_config) -> None:
    marchers = [
        simulate(make_config(f"weather.temperature_f={t}")).summary["marchers"]
        for t in (-30, -10, 10, 30, 50)
    ]
    assert marchers == sorted(marchers) and marchers[0] < marchers[-1]


def test_more_endorsers_mean_more_participation(make_config) -> None:
    nested = ["none", "narrow", "seed", "broad"]  # each coalition contains the previous one
    runs = [simulate(make_config(f"coalition={c}")).summary for c in nested]
    committed = [r["committed"] for r in runs]
    marchers = [r["marchers"] for r in runs]
    assert committed == sorted(committed) and committed[0] < committed[-1]
    assert marchers == sorted(marchers)


def test_union_endorsement_lowers_job_risk(make_config) -> None:
    with_union = StrikeModel(make_config("coalition=seed"))
    without = StrikeModel(make_config("coalition=none"))
    members = with_union.population.union >= 0
    assert np.all(with_union.cost[~members] == without.cost[~members])
    assert np.mean(with_union.cost[members]) < np.mean(without.cost[members])


def test_no_school_walkouts_keeps_students_out(make_config) -> None:
    s = simulate(make_config("scenario.school_walkouts=false")).summary
    assert s["k12_walkouts"] == s["university_walkouts"] == 0
    assert s["striking_workers"] > 0


def test_forms_of_participation_add_up(make_config) -> None:
    result = simulate(make_config())
    s, ts = result.summary, result.timeseries
    assert s["boycotting"] == s["committed"] >= s["marchers"] > 0
    assert s["committed"] == s["striking_workers"] + s["k12_walkouts"] + s[
        "university_walkouts"
    ] + int(
        ts.query("phase == 'strike_day' and agent_type == 'resident' and form == 'committed'")[
            "people"
        ].sum()
    )
    strike = ts[ts.phase == "strike_day"]
    assert strike.query("form == 'marching'")["people"].sum() == s["marchers"]
    committed_per_day = (
        ts.query("phase == 'campaign' and form == 'committed'").groupby("day")["people"].sum()
    )
    assert committed_per_day.is_monotonic_increasing
    assert set(ts.columns) == {"day", "phase", "agent_type", "form", "people"}


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
        >= model.timeseries().query("day == 0 and form == 'committed'")["people"].sum()
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
    assert per_day == sorted(per_day) and per_day[-1] > per_day[0]
    agents = collector.get_agent_vars_dataframe()
    last = agents.xs(agents.index.get_level_values(0).max(), level=0)
    assert int(last["committed"].fillna(False).sum()) == per_day[-1]
    workers = collector.get_agenttype_vars_dataframe(Worker)
    assert len(workers) == len(per_day) * len(model.agents_by_type[Worker])


def test_isolated_people_are_not_moved_by_contacts_they_do_not_have(make_config) -> None:
    graph = nx.complete_graph(60)
    graph.add_nodes_from(range(60, 200))  # 140 people with no ties at all
    cfg = make_config(
        "coalition=none", "behavior.momentum_weight=0", "behavior.activist_share=0.3", "seed=5"
    )
    model = StrikeModel(cfg, graph)
    organizers = model.committed.copy()
    model.run()
    isolated = np.arange(200) >= 60
    needs_someone = model.threshold + model.cost > 0  # a threshold <= 0 acts alone (instigators)
    unmoved = isolated & needs_someone & ~organizers
    assert unmoved.sum() > 100 and not model.committed[unmoved].any()
    assert model.committed[isolated & ~needs_someone].all()
    assert model.committed[~isolated].sum() > organizers[~isolated].sum()  # the clique cascaded


@pytest.mark.slow
def test_default_city_run_lands_in_the_published_range() -> None:
    """The shipped defaults at full scale (429,954 agents) reproduce the record's order of size."""
    from strikesim.compose import compose_config

    summary = simulate(compose_config([])).summary
    assert summary["agents"] == summary["people"] == 429_954
    assert 15_000 <= summary["marchers"] <= 50_000 and summary["in_observed_range"]
    assert summary["committed"] > summary["marchers"]  # the cold keeps committed people home
