"""The threshold comparison is exact: the engine against a reference in integers and fractions.

The reference shares no arithmetic with the engine: thresholds are exact rationals
(:class:`fractions.Fraction` — the value the user means, 0.07 is 7/100), weights are Python
integers, and a node activates when ``active_weight * denominator >= numerator * degree``. The
engine gets ``float(threshold)``; float products that round up (``0.07 * 100`` is
7.000000000000001) must not move the ``>=`` boundary.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from fractions import Fraction
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strikesim.engine import heterogeneity, rule
from strikesim.engine.cascade import NEVER, threshold_cascade
from strikesim.engine.graph_input import from_networkx
from strikesim.engine.model import StrikeModel


def in_edges(graph: nx.Graph, v: Hashable) -> list[tuple[Hashable, Fraction]]:
    """(source, exact weight) of every tie v listens to, parallel edges apart, no self-loops."""
    if graph.is_directed():
        ties = [(u, w) for u, _, w in graph.in_edges(v, data="weight", default=1)]
    else:
        ties = [(u, w) for _, u, w in graph.edges(v, data="weight", default=1)]
    return [(u, Fraction(w)) for u, w in ties if u != v]


def tipped(active: Fraction, degree: Fraction, t: Fraction, kind: str) -> bool:
    """Watts's ``>=`` in exact arithmetic: ``active * den >= num * degree`` (count: ``* 1``)."""
    if kind == "count":
        return active * t.denominator >= t.numerator
    if degree == 0:  # no contacts: only a need <= 0 is met
        return t <= 0
    return active * t.denominator >= t.numerator * degree


def reference_steps(
    graph: nx.Graph, theta: dict[Hashable, Fraction], seeds: Iterable[Hashable], kind: str
) -> dict[Hashable, int]:
    """Synchronous cascade in exact arithmetic: the step each node activates (seeds 0)."""
    ties = {v: in_edges(graph, v) for v in graph.nodes}
    degree = {v: sum(w for _, w in ties[v]) for v in graph.nodes}
    when = dict.fromkeys(graph.nodes, NEVER) | dict.fromkeys(seeds, 0)
    step = 0
    while True:
        step += 1
        newly = [
            v
            for v in graph.nodes
            if when[v] == NEVER
            and tipped(sum(w for u, w in ties[v] if when[u] != NEVER), degree[v], theta[v], kind)
        ]
        if not newly:
            return when
        for v in newly:
            when[v] = step


def assert_engine_matches_reference(
    graph: nx.Graph, theta: dict[Hashable, Fraction], seeds: list, kind: str = "fraction"
) -> dict[Hashable, int]:
    """Node by node, the engine (given float thresholds) activates when the reference does."""
    expected = reference_steps(graph, theta, seeds, kind)
    floats = {v: float(t) for v, t in theta.items()}
    result = threshold_cascade(graph, floats, seeds, kind=kind)
    got = dict(zip(result.nodes, result.activation_step.tolist(), strict=True))
    assert got == expected
    return got


# --- the two cases from the issue ---------------------------------------------------------------
def test_star_hub_at_007_activates_with_7_of_100_leaves() -> None:
    star = nx.star_graph(100)
    assert 0.07 * 100 > 7  # the float product rounds up: a plain >= would never tip the hub
    theta = {v: Fraction(7, 100) if v == 0 else Fraction(1) for v in star}
    steps = assert_engine_matches_reference(star, theta, seeds=list(range(1, 8)))
    assert steps[0] == 1 and set(steps.values()) == {0, 1, 2}  # hub, then every leaf
    six = assert_engine_matches_reference(star, theta, seeds=list(range(1, 7)))
    assert six[0] == NEVER


def test_25_regular_cascade_at_028_takes_all_2000() -> None:
    graph = nx.random_regular_graph(25, 2000, seed=0)
    assert 0.28 * 25 > 7  # 7 of 25 neighbours meet 0.28 exactly; the float product says no
    theta = dict.fromkeys(graph.nodes, Fraction(7, 25))
    steps = assert_engine_matches_reference(graph, theta, seeds=list(range(256)))
    assert NEVER not in steps.values()  # the reference agrees: all 2000 activate


# --- random graphs, thresholds on the k / degree grid -------------------------------------------
@st.composite
def graphs_on_the_grid(draw: st.DrawFn) -> tuple[nx.Graph, dict[int, Fraction], list[int]]:
    """A small weighted graph; each node's threshold is k / its weighted degree (or k / 100)."""
    n = draw(st.integers(2, 12))
    directed = draw(st.booleans())
    graph: nx.Graph = nx.DiGraph() if directed else nx.Graph()
    graph.add_nodes_from(range(n))
    pairs = [(u, v) for u in range(n) for v in range(n) if u != v and (directed or u < v)]
    for u, v in draw(st.lists(st.sampled_from(pairs), max_size=3 * n, unique=True)):
        graph.add_edge(u, v, weight=draw(st.integers(1, 5)))
    theta = {}
    for v in graph.nodes:
        degree = sum(w for _, w in in_edges(graph, v))
        if degree and draw(st.booleans()):
            theta[v] = Fraction(draw(st.integers(0, degree + 1)), degree)
        else:
            theta[v] = Fraction(draw(st.integers(0, 100)), 100)  # decimal: 0.07, 0.28, 0.29 ...
    seeds = draw(st.lists(st.integers(0, n - 1), max_size=3, unique=True))
    return graph, theta, seeds


@settings(max_examples=300, deadline=None)
@given(graphs_on_the_grid())
def test_random_graphs_match_the_exact_reference(case) -> None:
    graph, theta, seeds = case
    assert_engine_matches_reference(graph, theta, seeds)


@pytest.mark.parametrize("denominator", [3, 7, 10, 25, 100])
def test_every_k_over_degree_boundary_is_met_by_exactly_k(denominator: int) -> None:
    """On a star, hub threshold k/d with k leaves active tips; with k - 1 it does not."""
    star = nx.star_graph(denominator)
    for k in range(1, denominator + 1):
        theta = {v: Fraction(k, denominator) if v == 0 else Fraction(2) for v in star}
        hit = assert_engine_matches_reference(star, theta, seeds=list(range(1, k + 1)))
        miss = assert_engine_matches_reference(star, theta, seeds=list(range(1, k)))
        assert hit[0] == 1 and miss[0] == NEVER, k


# --- weights whose sums float32 cannot hold -----------------------------------------------------
def heavy_star(leaves: int) -> nx.Graph:
    """A hub with ``leaves`` ties of distinct weights ~2**20: sums far beyond float32's 2**24."""
    star = nx.star_graph(leaves)
    for leaf in range(1, leaves + 1):
        star.edges[0, leaf]["weight"] = 2**20 + 2 * leaf + 1
    return star


def test_heavy_integer_weights_are_summed_exactly() -> None:
    star = heavy_star(64)
    network, _ = from_networkx(star)
    weights = [star.edges[0, leaf]["weight"] for leaf in range(1, 65)]
    assert network.weighted_degree[0] == sum(weights)  # float32 would round this sum
    active = np.zeros(65, dtype=bool)
    active[1:40] = True
    assert network.exposure(active)[0] == sum(weights[:39])
    assert int(np.float32(sum(weights[:39]))) != sum(weights[:39])  # what float32 gets wrong


@pytest.mark.parametrize("kind", ["fraction", "count"])
def test_heavy_hub_tips_at_exactly_its_need(kind: str) -> None:
    star = heavy_star(64)
    degree = sum(w for _, w in in_edges(star, 0))
    exposure = sum(star.edges[0, leaf]["weight"] for leaf in range(1, 40))
    for need, tips in [(exposure, True), (exposure + 1, False)]:
        hub = Fraction(need, degree) if kind == "fraction" else Fraction(need)
        theta = {v: hub if v == 0 else Fraction(2**40) for v in star}
        steps = assert_engine_matches_reference(star, theta, list(range(1, 40)), kind=kind)
        assert (steps[0] == 1) == tips


def test_dense_heavy_random_graph_matches_the_reference() -> None:
    rng = np.random.default_rng(7)
    graph = nx.gnp_random_graph(150, 0.4, seed=7)  # ~60 ties of ~2**20: degrees ~6e7 > 2**24
    for u, v in graph.edges:
        graph.edges[u, v]["weight"] = int(rng.integers(2**20, 2**21))
    theta = {}
    for v in graph.nodes:
        degree = sum(w for _, w in in_edges(graph, v))
        theta[v] = Fraction(int(rng.integers(degree // 20, degree // 3)), degree)
    seeds = [int(s) for s in rng.choice(150, 12, replace=False)]
    steps = assert_engine_matches_reference(graph, theta, seeds)
    assert sum(s > 0 for s in steps.values()) > 0  # something beyond the seeds activated


# --- multigraphs --------------------------------------------------------------------------------
def test_doubled_karate_ties_weigh_two() -> None:
    karate = nx.karate_club_graph()
    doubled = nx.MultiGraph()
    doubled.add_nodes_from(karate.nodes)
    for u, v in karate.edges:
        doubled.add_edge(u, v)
        doubled.add_edge(u, v)
    weight_two = nx.Graph()
    weight_two.add_nodes_from(karate.nodes)
    weight_two.add_edges_from(karate.edges, weight=2)
    got, _ = from_networkx(doubled)
    want, _ = from_networkx(weight_two)
    assert (got.adjacency != want.adjacency).nnz == 0
    assert got.adjacency.max() == 2


def test_parallel_edges_add_up_and_self_loops_drop() -> None:
    graph = nx.MultiDiGraph()
    graph.add_edge("a", "b", weight=1)
    graph.add_edge("a", "b", weight=2.5)
    graph.add_edge("b", "a", weight=4)
    graph.add_edge("a", "a", weight=9)
    graph.add_edge("a", "a", weight=9)
    network, _ = from_networkx(graph)
    assert network.adjacency.toarray().tolist() == [[0.0, 4.0], [3.5, 0.0]]  # b listens to a
    for need, tips in [(Fraction(7, 2), True), (Fraction(4), False)]:
        theta = {"a": Fraction(1), "b": need}
        steps = assert_engine_matches_reference(graph, theta, ["a"], kind="count")
        assert (steps["b"] == 1) == tips


def test_graphml_with_repeated_edges_sums_them(tmp_path: Path, make_config) -> None:
    doubled = nx.MultiGraph([(0, 1), (0, 1), (1, 2)])
    path = tmp_path / "doubled.graphml"
    nx.write_graphml(doubled, path)
    model = StrikeModel(make_config("network=file", f"network.path={path}"))
    assert model.network.adjacency.toarray().tolist() == [[0, 2, 0], [2, 0, 1], [0, 1, 0]]


# --- the strike model's kernel and per-agent rule -----------------------------------------------
def test_rule_meets_float_products_that_round_up() -> None:
    for share, degree, enough in [(0.07, 100, 7), (0.28, 25, 7), (0.1, 30, 3), (1 / 3, 3, 1)]:
        needed = rule.need_weight(share, float(degree))
        assert rule.commits(float(enough), needed)
        assert not rule.commits(float(enough - 1), needed)
    needed = rule.need_weight(np.array([0.07, 0.28, np.inf]), np.array([100.0, 25.0, 4.0]))
    assert rule.commits(np.array([7.0, 7.0, 4.0]), needed).tolist() == [True, True, False]
    assert not rule.commits(1.0, rule.need_weight(1.0 + 1e-9, 1.0))  # beyond the tolerance


def test_rule_is_exact_on_every_small_ratio_and_percentage() -> None:
    """Thresholds k/d (d <= 200) and j/100 on degrees <= 400: the exact ceil meets, one less not."""
    d, k = (a.ravel() for a in np.meshgrid(np.arange(1, 201), np.arange(0, 201)))
    d, k = d[k <= d], k[k <= d]
    needed = rule.need_weight(k / d, d.astype(np.float64))
    assert rule.commits(k.astype(np.float64), needed).all()
    assert not rule.commits(k[k > 0] - 1.0, needed[k > 0]).any()
    d, j = (a.ravel() for a in np.meshgrid(np.arange(1, 401), np.arange(0, 101)))
    enough = -(-j * d // 100)  # ceil(j * d / 100) in integers
    needed = rule.need_weight(j / 100, d.astype(np.float64))
    assert rule.commits(enough.astype(np.float64), needed).all()
    assert not rule.commits(enough[enough > 0] - 1.0, needed[enough > 0]).any()


@pytest.mark.parametrize("leaves_active", [6, 7])
@pytest.mark.parametrize("per_agent", [False, True])
def test_strike_model_hub_at_007(
    make_config, monkeypatch, per_agent: bool, leaves_active: int
) -> None:
    """The kernel and the per-agent rule both tip a 0.07 hub with exactly 7 of 100 contacts.

    The thresholds and initiators are set where the model draws them (so the kernel's state is
    built from them); no call, no momentum and no outrage lower the need.
    """
    threshold = np.full(101, np.inf)
    threshold[0] = 0.07
    initiators = np.zeros(101, dtype=bool)
    initiators[1 : leaves_active + 1] = True
    monkeypatch.setattr(heterogeneity, "draw_thresholds", lambda *a, **k: threshold.copy())
    monkeypatch.setattr(heterogeneity, "draw_organizers", lambda *a, **k: initiators.copy())
    cfg = make_config(
        "coalition=none",
        "behavior.momentum_weight=0",
        "scenario.history=false",
        "scenario.start_date=2026-02-11",
    )
    model = StrikeModel(cfg, nx.star_graph(100))
    assert model.threshold.tolist() == threshold.tolist()
    assert np.array_equal(model.committed, initiators)
    assert model.calls.pull(model.calls.contributions.people, model.strike_day).sum() == 0
    assert not np.any(model.lift(1))
    model.step_per_agent() if per_agent else model.step()
    assert bool(model.committed[0]) == (leaves_active == 7)
    assert model.committed.sum() == leaves_active + (leaves_active == 7)
