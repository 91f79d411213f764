"""The ensemble kernel gives every member exactly what a single StrikeModel run gives.

Why bit-identical and not close: an ensemble replaces one-by-one runs in sweeps, comparisons
and calibration, whose numbers are recorded; a member that differed in the last bit from its
single run would make a recorded number depend on which configs happened to run together.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from strikesim import draws
from strikesim.compose import compose_config
from strikesim.config import ConfigError, StrikeConfig
from strikesim.engine import ensemble, heterogeneity, kernel
from strikesim.engine.ensemble import run_ensemble
from strikesim.engine.model import StrikeModel
from strikesim.engine.timeline import build_timeline

POINT = "behavior=default"  # members vary behaviour keys by hand: the fixed point set, no draws


def vary(config: StrikeConfig, **sections: dict[str, Any]) -> StrikeConfig:
    """``config`` with keys of its sections replaced: ``vary(c, behavior={"union_call": 0.3})``."""
    changes = {
        name: dataclasses.replace(getattr(config, name), **keys) for name, keys in sections.items()
    }
    return dataclasses.replace(config, **changes)


def grid(base: StrikeConfig) -> list[StrikeConfig]:
    """Members that differ in behaviour, weather, coalition and dates: what may vary."""
    return [
        base,
        vary(base, behavior={"threshold_mean": 0.25, "threshold_sd": 0.2}),
        vary(base, behavior={"union_call": 0.3, "faith_call": 0.1, "school_call": 0.0}),
        vary(base, behavior={"momentum_weight": 0.1, "outreach_rate": 0.15, "max_pull": 0.1}),
        vary(base, behavior={"activist_share": 0.02, "job_risk_weight": 0.05}),
        vary(base, behavior={"march_base": 0.9}, weather={"temperature_f": -20.0, "wind_mph": 15}),
        vary(base, weather={"temperature_f": 90.0, "precipitation_in": 0.5}),
        vary(base, coalition={"endorsers": ["seiu_26"]}),
        vary(
            base,
            coalition={"endorsers": []},
            scenario={"start_date": "2026-02-10", "history": False},  # 3 days, one call
        ),
        vary(base, coalition={"endorsers": ["education_minnesota", "minnesota_afl_cio"]}),
        vary(base, scenario={"start_date": "2026-01-14", "school_walkouts": False}),  # 30 days
        vary(
            base,
            behavior={"threshold_mean": 0.2, "momentum_weight": 0.5, "outreach_rate": 0.6},
            scenario={"start_date": "2026-01-30", "history": False, "call_lead_days": 14},
        ),
        vary(
            base,
            behavior={"outrage_shock": 0.15, "outrage_memory_days": 3.0, "fatigue": 0.5},
            scenario={"date": "2026-01-23", "kind": "march", "call_lead_days": 2},  # 16 days
        ),
        vary(base, behavior={"travel_decay_km": 5.0, "immigrant_march_risk": 0.6}),
        base,  # a repeated member
    ]


def single(config: StrikeConfig) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    model = StrikeModel(config)
    model.run()
    try:
        return model.totals(), model.timeseries(), model.events()
    finally:
        model.release()


def assert_identical(config: StrikeConfig, member: ensemble.EnsembleMember) -> None:
    """Same totals (keys, values and types), time series and events table to the bit."""
    totals, timeseries, events = single(config)
    assert member.config is config or member.config == draws.resolve(config)
    assert list(member.totals) == list(totals)
    assert {k: (type(v), v) for k, v in member.totals.items()} == {
        k: (type(v), v) for k, v in totals.items()
    }
    pd.testing.assert_frame_equal(member.timeseries, timeseries, check_exact=True)
    pd.testing.assert_frame_equal(member.events, events, check_exact=True)
    assert len(events) == len(build_timeline(config).actions)


@pytest.mark.parametrize("population", ["small", "classroom"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_members_are_bit_identical_to_single_runs(population: str, seed: int) -> None:
    configs = grid(compose_config([POINT, f"population={population}", f"seed={seed}"]))
    lengths = {build_timeline(c).days for c in configs}
    assert lengths == {3, 14, 16, 30, 37}  # members end on different days
    # seed 1: chunks of 4 (members of different lengths in different chunks); seed 2: one each
    members = run_ensemble(configs, chunk_size={0: 64, 1: 4, 2: 1}[seed])
    assert len(members) == len(configs)
    for config, member in zip(configs, members, strict=True):
        assert_identical(config, member)


def test_float_tie_weights_fall_back_to_the_models_product(tmp_path: Path) -> None:
    """Non-integer weights: no incremental sums, still the model's bits."""
    graph = nx.connected_watts_strogatz_graph(400, 8, 0.2, seed=3)
    for u, v in graph.edges:
        graph.edges[u, v]["weight"] = 0.3 + ((u * 7 + v * 3) % 11) / 7
    for v in graph.nodes:
        graph.nodes[v]["type"] = "worker" if v % 3 else "k12"
        if v % 5 == 1:
            graph.nodes[v]["union"] = "seiu_26"
            graph.nodes[v]["sector"] = "building_services"
    path = tmp_path / "town.graphml"
    nx.write_graphml(graph, path)
    base = compose_config([POINT, "network=file", f"network.path={path}", "seed=4"])
    base = vary(base, behavior={"activist_share": 0.05, "threshold_mean": 0.2})
    assert not kernel.City.build(base).exact
    configs = [base, *grid(base)[1:6]]
    for config, member in zip(configs, run_ensemble(configs), strict=True):
        assert_identical(config, member)


def test_directed_graph_with_heavy_ties_and_isolated_people(tmp_path: Path) -> None:
    """Integer weights up to 300 (exposure in uint16), one-way ties and people without ties
    (degree 0: the rule's other branch), in one chunk and in chunks of 3."""
    undirected = nx.connected_watts_strogatz_graph(500, 10, 0.2, seed=7)
    graph = nx.DiGraph()
    graph.add_nodes_from(range(505))  # 500..504 have no ties at all
    for u, v in undirected.edges:
        graph.add_edge(
            *((u, v) if (u + v) % 3 else (v, u)), weight=300 if u % 17 == 0 else u % 3 + 1
        )
    for v in graph.nodes:
        graph.nodes[v]["type"] = ("worker", "k12", "university", "resident")[v % 4]
    path = tmp_path / "directed.graphml"
    nx.write_graphml(graph, path)
    base = compose_config([POINT, "network=file", f"network.path={path}", "seed=6"])
    base = vary(base, behavior={"activist_share": 0.05, "threshold_mean": 0.15})
    city = kernel.City.build(base)
    assert city.exact and city.network.weighted_degree.max() > 255
    assert kernel._exposure_type(city) == np.uint16
    configs = grid(base)
    members = run_ensemble(configs)
    for config, member in zip(configs, members, strict=True):
        assert_identical(config, member)
    for one, other in zip(members, run_ensemble(configs, chunk_size=3), strict=True):
        assert one.totals == other.totals
        pd.testing.assert_frame_equal(one.timeseries, other.timeseries, check_exact=True)
        pd.testing.assert_frame_equal(one.events, other.events, check_exact=True)


def test_the_incremental_state_equals_the_state_recomputed_from_scratch() -> None:
    """After the last day, each member's exposure (added new committer by new committer, in
    uint8) is the network's full product, and its need (updated only for the people whose pull
    changed that day) is threshold - pull on that member's last day."""
    configs = grid(compose_config([POINT, "population=small", "seed=5"]))
    k = kernel.Kernel(kernel.City.build(configs[0]), configs)
    assert k.exposure.dtype == np.uint8  # the generated city's weighted degrees are < 256
    assert [m.days for m in k.members] == sorted((m.days for m in k.members), reverse=True)
    k.run()
    network, people = k.city.network, k.people
    for row, member in enumerate(k.members):
        assert k.day >= member.days
        full = network.exposure(k.committed[row])[people]
        assert np.array_equal(k.exposure[row].astype(np.float64), full), row
        schedule = k.schedules[row]
        pull = np.zeros(len(people))
        called = schedule.contributions.people
        pull[k.column[called]] = schedule.pull(called, member.days)
        assert np.array_equal(k.need_s[row], member.threshold[people] - pull), row
        assert np.array_equal(k.committed_s[row], k.committed[row, people])
        assert not k.committed[row, k.column < 0].any()  # nobody outside S ever commits
        assert k.count[row] == k.committed[row].sum()


def test_posterior_members_run_their_draws_bit_identically() -> None:
    """Members of the shipped posterior — two rows, a pinned key — are their single runs: each
    runs its own draw's values, on the shared city."""
    base = ["population=classroom", "seed=3"]
    configs = [
        compose_config([*base, "behavior.posterior_draw=0"]),
        compose_config([*base, "behavior.posterior_draw=7"]),
        compose_config([*base, "behavior.union_call=0.3"]),  # pinned, the seed's draw
    ]
    members = run_ensemble(configs)
    for config, member in zip(configs, members, strict=True):
        assert_identical(config, member)
    assert members[0].config.behavior.threshold_mean != members[1].config.behavior.threshold_mean
    assert members[2].config.behavior.union_call == 0.3


def test_members_share_draws_their_behaviour_keys_do_not_touch(monkeypatch) -> None:
    """Thresholds are drawn once for members that differ only in keys the draw never reads."""
    calls = []
    draw = heterogeneity.draw_thresholds

    def counted(*args: Any, **kwargs: Any) -> np.ndarray:
        calls.append(1)
        return draw(*args, **kwargs)

    monkeypatch.setattr(heterogeneity, "draw_thresholds", counted)
    base = compose_config([POINT, "population=classroom"])
    configs = [vary(base, behavior={"union_call": u}) for u in (0.1, 0.2, 0.3)]
    configs.append(vary(base, behavior={"threshold_mean": 0.25}))
    members = run_ensemble(configs)
    assert len(calls) == 2
    for config, member in zip(configs, members, strict=True):
        assert_identical(config, member)


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("seed=1", "seed"),
        ("population.size=1200", "population.size"),
        ("network.friendship_degree=6", "network.friendship_degree"),
    ],
)
def test_configs_that_do_not_share_the_city_are_refused(override: str, key: str) -> None:
    base = compose_config([POINT, "population=classroom"])
    other = compose_config([POINT, "population=classroom", override])
    with pytest.raises(ConfigError) as error:
        run_ensemble([base, base, other])
    message = str(error.value)
    assert "\n" not in message
    assert f"config 2 has {key}=" in message and "allowed: configs that share seed" in message


def test_a_population_label_may_differ() -> None:
    """``population.name`` labels a preset and builds nothing: the city is the same."""
    base = compose_config([POINT, "population=classroom"])
    relabelled = vary(base, population={"name": "my_town"}, behavior={"union_call": 0.3})
    for config, member in zip([base, relabelled], run_ensemble([base, relabelled]), strict=True):
        assert_identical(config, member)


def test_no_configs_no_members() -> None:
    assert run_ensemble([]) == []


def test_simulate_many_equals_simulate_one_by_one_in_order() -> None:
    """Mixed seeds and settings: grouped by city, run together, returned in the given order."""
    from strikesim.run import simulate, simulate_many

    overrides = [
        ["population=classroom", "seed=1", "behavior.union_call=0.3"],
        ["population=classroom", "seed=0"],
        ["population=classroom", "seed=1", "weather.temperature_f=40"],
        ["population=classroom", "seed=0", "coalition=narrow"],
        ["population=small", "seed=0", "scenario.history=false", "scenario.start_date=2026-02-08"],
    ]
    configs = [compose_config(o) for o in overrides]
    together = simulate_many(configs)
    for config, result in zip(configs, together, strict=True):
        alone = simulate(config)
        apart = {"wall_time_s", "peak_rss_mib", "events"}  # events: NaN != NaN in a dict
        assert {k: v for k, v in result.summary.items() if k not in apart} == {
            k: v for k, v in alone.summary.items() if k not in apart
        }
        pd.testing.assert_frame_equal(result.timeseries, alone.timeseries)
        pd.testing.assert_frame_equal(result.events, alone.events)
        pd.testing.assert_frame_equal(
            pd.DataFrame(result.summary["events"]), pd.DataFrame(alone.summary["events"])
        )
