"""The multiplex social network, generated straight into CSR arrays; NetworkX in and out.

Why not build it in NetworkX: a 430,000-node NetworkX graph costs ~23 s and 2 GB, while the arrays
cost well under a second (DESIGN.md). Each layer is a list of undirected pairs made by vectorized
numpy; the layers are summed, with integer tie weights, into one symmetric CSR matrix — so a
coworker who is also a friend weighs workplace + friendship. Integer weights keep the threshold
comparison exact: :meth:`Network.exposure` and :attr:`Network.weighted_degree` sum them without
rounding, which is what lets the vectorized kernel and the per-agent rule agree to the bit.

Layers (Centola & Macy 2007: complex contagions need clustered, redundant ties):
household (complete within a household), workplace, school class and congregation (clustered
ring lattices within each group), and friendship/neighbourhood (Watts-Strogatz small world over
household order: a ring lattice with a share of ties rewired at random).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import networkx as nx
import numpy as np
import scipy.sparse as sp

from strikesim.config import NetworkConfig
from strikesim.engine.population import Population

LAYERS = ("household", "workplace", "school", "congregation", "friendship")


@dataclass
class Network:
    """Weighted influence network: row i of ``adjacency`` lists whom person i listens to."""

    adjacency: sp.csr_array  # float32 weights, int32 indices
    layers: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    layer_weights: dict[str, int] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """People in the network: rows of ``adjacency``, in population order."""
        return self.adjacency.shape[0]

    @property
    def weighted_degree(self) -> np.ndarray:
        """Total tie weight of each person (float64): the denominator of the fractional rule.

        Summed in float64, not in the float32 of the weights: float32 sums of integers are exact
        only up to 2**24, float64 sums up to 2**53.
        """
        return np.asarray(self.adjacency.sum(axis=1, dtype=np.float64)).ravel()

    @cached_property
    def _exact_in_float32(self) -> bool:
        """Is a float32 product exact? Integer weights whose row sums all stay within 2**24.

        Every partial sum of non-negative integers is then an integer <= 2**24, which float32
        holds exactly; the float32 product is faster than float64 (6.6 vs 8.5 ms on the city).
        Cached: a network's adjacency is not changed after construction.
        """
        data = self.adjacency.data
        if data.dtype != np.float32 or data.min(initial=0) < 0 or np.any(data != np.round(data)):
            return False
        return bool(self.weighted_degree.max(initial=0) <= 2**24)

    def exposure(self, active: np.ndarray) -> np.ndarray:
        """Summed tie weight of each person's ``active`` contacts (float64), exact for integers.

        Why not always float32: integer weights summed in float32 lose exactness past 2**24 (a
        few dozen ties of weight 2**20), and the threshold comparison needs exact sums.
        """
        if self._exact_in_float32:
            return (self.adjacency @ active.astype(np.float32)).astype(np.float64)
        return self.adjacency @ active.astype(np.float64)

    @property
    def edge_count(self) -> int:
        """Directed (i listens to j) entries; an undirected tie counts twice."""
        return int(self.adjacency.nnz)

    def neighbours(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Indices and weights of the people i listens to, in CSR order."""
        a = self.adjacency
        lo, hi = a.indptr[i], a.indptr[i + 1]
        return a.indices[lo:hi], a.data[lo:hi]

    def to_networkx(self, population: Population | None = None) -> nx.Graph:
        """Export as a NetworkX graph (DiGraph if the adjacency is not symmetric).

        Edges carry ``weight`` and, for generated networks, ``layers`` (comma-separated names);
        nodes carry ``type``, ``sector``, ``union`` and ``immigrant`` when a population is given,
        so :func:`from_networkx` reads the export back unchanged.
        """
        a = self.adjacency
        directed = (a != a.T).nnz > 0
        graph: nx.Graph = nx.DiGraph() if directed else nx.Graph()
        graph.add_nodes_from(range(self.size))
        if population is not None:
            set_node_attributes(graph, population)
        coo = a.tocoo()
        keep = (coo.row >= coo.col) if not directed else np.ones(coo.nnz, bool)
        # row i listens to col j, i.e. influence flows j -> i
        graph.add_weighted_edges_from(
            zip(
                coo.col[keep].tolist(), coo.row[keep].tolist(), coo.data[keep].tolist(), strict=True
            )
        )
        for name, (src, dst) in self.layers.items():
            for u, v in zip(src.tolist(), dst.tolist(), strict=True):
                data = graph.edges[u, v]
                data["layers"] = f"{data['layers']},{name}" if "layers" in data else name
        return graph


def set_node_attributes(graph: nx.Graph, population: Population) -> None:
    """Label nodes with ``type``, ``immigrant``, ``sector`` and ``union`` names, not codes.

    Names, so that an exported graph is readable in other tools and :func:`from_networkx` reads
    the attributes back whatever the roster's order.
    """
    from strikesim import scenarios
    from strikesim.engine.population import KINDS

    sectors = list(scenarios.sectors()["sector"])
    orgs = scenarios.organization_ids()
    for i in range(population.size):
        attrs = {"type": KINDS[population.kind[i]], "immigrant": bool(population.immigrant[i])}
        if population.sector[i] >= 0:
            attrs["sector"] = sectors[population.sector[i]]
        attrs["union"] = orgs[population.union[i]] if population.union[i] >= 0 else ""
        graph.nodes[i].update(attrs)


def ring_lattice_pairs(group: np.ndarray, half_degree: int) -> tuple[np.ndarray, np.ndarray]:
    """Undirected pairs of a ring lattice inside each group (``group`` < 0 means not in one).

    Members of a group are placed on a ring in index order and tied to their ``half_degree``
    nearest members on each side; a group no larger than the lattice becomes a complete graph.
    Each pair appears once.
    """
    members = np.flatnonzero(group >= 0)
    if half_degree <= 0 or len(members) < 2:
        return np.empty(0, np.int32), np.empty(0, np.int32)
    order = members[np.argsort(group[members], kind="stable")]
    g = group[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    start = np.repeat(starts, sizes)
    size = np.repeat(sizes, sizes)
    pos = np.arange(len(order)) - start
    src, dst = [], []
    for d in range(1, half_degree + 1):
        valid = (2 * d < size) | ((2 * d == size) & (pos < d))
        if not valid.any():
            break
        src.append(order[valid])
        dst.append(order[start[valid] + (pos[valid] + d) % size[valid]])
    if not src:  # every group has one member (e.g. household_size=1): no pairs at all
        return np.empty(0, np.int32), np.empty(0, np.int32)
    return np.concatenate(src).astype(np.int32), np.concatenate(dst).astype(np.int32)


def rewire(
    rng: np.random.Generator, src: np.ndarray, dst: np.ndarray, prob: float, n: int
) -> np.ndarray:
    """Watts-Strogatz rewiring: each tie's far end moves to a random person with ``prob``."""
    moved = rng.random(len(dst)) < prob
    new = dst.copy()
    new[moved] = rng.integers(0, n, size=int(moved.sum()), dtype=np.int32)
    self_loop = new == src
    new[self_loop] = dst[self_loop]  # a rewire onto oneself keeps the old tie
    return new


def build_network(pop: Population, cfg: NetworkConfig, rng: np.random.Generator) -> Network:
    """Generate the five layers over a population and sum them into one CSR matrix."""
    n = pop.size
    friends_src, friends_dst = ring_lattice_pairs(np.zeros(n, np.int32), cfg.friendship_degree // 2)
    layers = {
        # a household of h people is complete: h - 1 <= 2 * half_degree for households < 40
        "household": ring_lattice_pairs(pop.household, 20),
        "workplace": ring_lattice_pairs(pop.workplace, cfg.workplace_degree // 2),
        "school": ring_lattice_pairs(pop.school_class, cfg.school_degree // 2),
        "congregation": ring_lattice_pairs(pop.congregation, cfg.congregation_degree // 2),
        "friendship": (friends_src, rewire(rng, friends_src, friends_dst, cfg.rewire_prob, n)),
    }
    weights = {name: int(getattr(cfg, f"{name}_weight")) for name in LAYERS}
    return Network(adjacency=sum_layers(layers, weights, n), layers=layers, layer_weights=weights)


def sum_layers(
    layers: dict[str, tuple[np.ndarray, np.ndarray]], weights: dict[str, int], n: int
) -> sp.csr_array:
    """Symmetric CSR of all layers; duplicate ties add their weights; zero-weight layers drop.

    Generated layers hold no self-ties (ring offsets are < group size; rewiring skips oneself).
    """
    rows, cols, vals = [], [], []
    for name, (src, dst) in layers.items():
        w = weights[name]
        if w <= 0 or len(src) == 0:
            continue
        rows += [src, dst]
        cols += [dst, src]
        vals.append(np.full(2 * len(src), w, np.float32))
    if not rows:
        return sp.csr_array((n, n), dtype=np.float32)
    matrix = sp.csr_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n, n),
        dtype=np.float32,
    )
    matrix.sum_duplicates()
    return matrix
