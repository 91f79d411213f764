"""Network layers: lattice structure, symmetric integer weights, NetworkX round trip."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from strikesim.engine.graph_input import from_networkx
from strikesim.engine.network import build_network, rewire, ring_lattice_pairs
from strikesim.engine.population import build_population
from strikesim.streams import stream


def pairs_as_set(src, dst) -> set[frozenset[int]]:
    return {frozenset(p) for p in zip(src.tolist(), dst.tolist(), strict=True)}


@pytest.mark.parametrize(
    ("size", "half", "expected_degree"), [(10, 2, 4), (3, 2, 2), (4, 2, 3), (5, 2, 4), (1, 3, 0)]
)
def test_ring_lattice_degree_and_no_duplicates(size: int, half: int, expected_degree: int) -> None:
    src, dst = ring_lattice_pairs(np.zeros(size, np.int32), half)
    pairs = pairs_as_set(src, dst)
    assert len(pairs) == len(src)  # each pair once
    assert all(len(p) == 2 for p in pairs)  # no self-ties
    degree = np.bincount(np.concatenate([src, dst]), minlength=size)
    assert np.all(degree == expected_degree)


def test_ring_lattice_stays_inside_groups_and_skips_ungrouped() -> None:
    group = np.array([0, 1, 0, -1, 1, 0, 1, -1])
    src, dst = ring_lattice_pairs(group, 3)
    assert np.all(group[src] == group[dst])
    assert -1 not in set(group[src].tolist())
    assert pairs_as_set(src, dst) == {
        frozenset(p) for p in [(0, 2), (0, 5), (2, 5), (1, 4), (1, 6), (4, 6)]
    }


def test_rewire_probability_bounds() -> None:
    rng = np.random.default_rng(1)
    src, dst = ring_lattice_pairs(np.zeros(1000, np.int32), 3)
    assert np.array_equal(rewire(rng, src, dst, 0.0, 1000), dst)
    moved = rewire(rng, src, dst, 1.0, 1000)
    assert np.mean(moved != dst) > 0.95 and np.all(moved != src)


@pytest.fixture(scope="module")
def city_network():
    from strikesim.compose import compose_config

    cfg = compose_config(["population=small"])
    pop = build_population(cfg.population, cfg.network, stream(0, "population"))
    return cfg, pop, build_network(pop, cfg.network, stream(0, "network"))


def test_adjacency_is_symmetric_integer_weighted_without_self_ties(city_network) -> None:
    _, pop, net = city_network
    a = net.adjacency
    assert a.shape == (pop.size, pop.size) and a.dtype == np.float32 and a.indices.dtype == np.int32
    assert (a != a.T).nnz == 0
    assert np.all(a.diagonal() == 0)
    assert np.all(a.data == np.round(a.data)) and a.data.min() >= 1
    mean_contacts = a.nnz / pop.size
    assert 12 < mean_contacts < 17  # about 14 contacts each (conf/network/multiplex.yaml)


def test_layers_tie_the_right_people(city_network) -> None:
    _, pop, net = city_network
    for layer, group in [
        ("household", pop.household),
        ("workplace", pop.workplace),
        ("school", pop.school_class),
        ("congregation", pop.congregation),
    ]:
        src, dst = net.layers[layer]
        assert len(src) > 0
        assert np.all(group[src] == group[dst]) and np.all(group[src] >= 0), layer
    # a household of h people is complete: h(h-1)/2 pairs
    sizes = np.bincount(pop.household)
    assert len(net.layers["household"][0]) == int((sizes * (sizes - 1) // 2).sum())


def test_multiplex_weights_add_up(city_network) -> None:
    cfg, _, net = city_network
    expected = sum(
        2 * len(src) * getattr(cfg.network, f"{name}_weight")
        for name, (src, _) in net.layers.items()
    )
    assert net.adjacency.sum() == pytest.approx(expected)


def test_to_networkx_round_trip(city_network) -> None:
    _, pop, net = city_network
    graph = net.to_networkx(pop)
    assert graph.number_of_nodes() == pop.size and not graph.is_directed()
    back, attrs = from_networkx(graph)
    assert (back.adjacency != net.adjacency).nnz == 0
    assert np.array_equal(attrs.kind, pop.kind)
    assert np.array_equal(attrs.union, pop.union) and np.array_equal(attrs.immigrant, pop.immigrant)
    u, v = net.layers["household"][0][0], net.layers["household"][1][0]
    assert "household" in graph.edges[int(u), int(v)]["layers"]


def test_directed_graph_influence_follows_edges() -> None:
    g = nx.DiGraph([(0, 1)])  # 0 influences 1
    net, _ = from_networkx(g)
    assert net.adjacency[1, 0] == 1 and net.adjacency[0, 1] == 0
