"""The engine as a plain threshold model reproduces the classics and a reference loop."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from scipy.stats import norm

from strikesim.classics.theory import (
    granovetter_equilibrium,
    vulnerable_max_degree,
    watts_cascade_condition,
    watts_window,
)
from strikesim.classics.validation import (
    crowd_size,
    normal_crowd,
    ring_spread,
    watts_cascade_frequency,
)
from strikesim.engine.cascade import NEVER, ThresholdModel, threshold_cascade


# --- Granovetter 1978 ---------------------------------------------------------------------------
def test_granovetter_normal_crowd_jumps_between_sd_12_and_13() -> None:
    assert crowd_size(normal_crowd(12)) < 10
    assert crowd_size(normal_crowd(13)) == 100


def test_granovetter_mean_field_jumps_between_sd_12_and_13() -> None:
    def equilibrium(sd: float) -> float:
        return granovetter_equilibrium(lambda r: norm.cdf(r, loc=25, scale=sd), 100)

    assert equilibrium(12) < 10
    assert equilibrium(13) > 99


@pytest.mark.parametrize("sd", [5, 12, 12.5, 13, 20])
def test_engine_on_a_crowd_follows_r_next_equals_f_of_r(sd: float) -> None:
    """On K_n with count thresholds, each step is r(t+1) = #{thresholds <= r(t)}."""
    thresholds = normal_crowd(sd)
    result = ThresholdModel(nx.complete_graph(100), thresholds, kind="count").run()
    r, expected = 0, [0]
    while (nxt := int(np.sum(thresholds <= r))) != r:
        r = nxt
        expected.append(r)
    assert result.history == expected


# --- Watts 2002 ---------------------------------------------------------------------------------
def test_vulnerability_uses_greater_or_equal_in_integers() -> None:
    assert vulnerable_max_degree(0.2) == 5  # 1 >= 0.2 * 5: one active neighbour of 5 suffices
    assert vulnerable_max_degree(0.25) == 4
    assert vulnerable_max_degree(0.18) == 5
    assert vulnerable_max_degree(1 / 3) == 3


def test_watts_window_for_phi_018() -> None:
    low, high = watts_window(0.18)
    assert 1.0 < low < 1.1  # the giant component appears at z = 1
    assert 5.5 < high < 6.0
    assert watts_cascade_condition(3.0, 0.18) > 0 > watts_cascade_condition(8.0, 0.18)
    assert math.isnan(watts_window(0.3)[0])  # only degrees <= 3 are vulnerable: no window


def test_watts_cascades_only_inside_the_window() -> None:
    def freq(z: float) -> float:
        return watts_cascade_frequency(z, 0.18, n=1000, graphs=3, seeds_per_graph=20, seed=1)

    assert freq(0.5) == 0.0  # below: no giant component
    assert freq(3.0) > 0.3  # inside
    assert freq(9.0) == 0.0  # above: too few vulnerable nodes


# --- Centola & Macy 2007 ------------------------------------------------------------------------
def test_long_ties_block_complex_and_speed_simple_contagion() -> None:
    def spread(rewire: float, threshold: int):
        return ring_spread(rewire, threshold, n=400, k=4, graphs=5, seed=2)

    lattice, rewired = spread(0.0, 2), spread(0.3, 2)
    assert lattice.reached == 1.0
    assert rewired.reached < 0.1
    simple = [spread(p, 1) for p in (0.0, 0.03, 0.3)]
    assert all(s.reached == 1.0 for s in simple)
    assert simple[0].steps_to_half > simple[1].steps_to_half > simple[2].steps_to_half


# --- a second, independent implementation -------------------------------------------------------
def reference_cascade(graph: nx.Graph, theta: dict, seeds: list, kind: str) -> dict:
    """Textbook loop: each step, every inactive node sums its active in-neighbours' weights."""
    active = set(seeds)
    when = {v: 0 for v in seeds}
    step = 0
    neighbours = graph.predecessors if graph.is_directed() else graph.neighbors
    while True:
        step += 1
        newly = []
        for v in graph.nodes:
            if v in active:
                continue
            ins = [u for u in neighbours(v) if u != v]
            total = sum(graph.edges[u, v].get("weight", 1) for u in ins)
            got = sum(graph.edges[u, v].get("weight", 1) for u in ins if u in active)
            if kind == "count":
                ok = got >= theta[v]
            else:
                ok = got >= theta[v] * total if total > 0 else theta[v] <= 0
            if ok:
                newly.append(v)
        if not newly:
            return when
        for v in newly:
            active.add(v)
            when[v] = step


@pytest.mark.parametrize("directed", [False, True])
@pytest.mark.parametrize("kind", ["fraction", "count"])
@pytest.mark.parametrize("seed", range(4))
def test_agrees_with_reference_loop(seed: int, kind: str, directed: bool) -> None:
    rng = np.random.default_rng(seed)
    graph = nx.gnp_random_graph(60, 0.08, seed=seed, directed=directed)
    for u, v in graph.edges:
        graph.edges[u, v]["weight"] = int(rng.integers(1, 4))
    if kind == "fraction":
        theta = {v: float(rng.choice([0.1, 0.2, 0.25, 0.5, 1 / 3])) for v in graph.nodes}
    else:
        theta = {v: int(rng.integers(1, 5)) for v in graph.nodes}
    seeds = [int(s) for s in rng.choice(60, 3, replace=False)]
    result = threshold_cascade(graph, theta, seeds, kind=kind)
    expected = reference_cascade(graph, theta, seeds, kind)
    got = {
        v: int(s) for v, s in zip(result.nodes, result.activation_step, strict=True) if s != NEVER
    }
    assert got == expected
    assert result.final_count == len(expected)
    assert result.steps == max(expected.values())


def test_isolated_node_with_positive_fraction_never_activates() -> None:
    graph = nx.Graph([(0, 1)])
    graph.add_node(2)
    result = threshold_cascade(graph, {0: 0.5, 1: 0.5, 2: 0.5}, seeds=[0])
    assert result.active_nodes() == {0, 1}
    assert threshold_cascade(graph, 0.0).final_count == 3  # threshold 0: everyone, alone or not


def test_unknown_seed_is_named() -> None:
    with pytest.raises(ValueError, match="seeds: node 'x' is not in the graph"):
        threshold_cascade(nx.path_graph(3), 0.5, seeds=["x"])
