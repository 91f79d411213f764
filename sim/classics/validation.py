"""The classic threshold-model experiments, run on strikesim's cascade engine.

Each function is one experiment of one paper, sized by its arguments: the tests run them small,
``docs/make_validation.py`` runs them larger for the figures in ``docs/validation.md``. They all go
through :class:`strikesim.engine.cascade.ThresholdModel`, i.e. the core's network and ``>=`` rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
from scipy.stats import norm

from strikesim.engine.cascade import ThresholdModel

GLOBAL_SHARE = 0.1  # a cascade reaching >= 10% of the nodes counts as global (finite-size cut)


def normal_crowd(sd: float, n: int = 100, mean: float = 25.0) -> np.ndarray:
    """Granovetter's crowd: ``n`` thresholds (in people) at the quantiles of Normal(mean, sd)."""
    return norm.ppf((np.arange(n) + 0.5) / n, loc=mean, scale=sd)


def crowd_size(thresholds: np.ndarray) -> int:
    """How many in a crowd act, everyone seeing everyone: a count-threshold cascade on K_n."""
    graph = nx.complete_graph(len(thresholds))
    return ThresholdModel(graph, thresholds, kind="count").run().final_count


def watts_cascade_frequency(
    z: float, phi: float, *, n: int, graphs: int, seeds_per_graph: int, seed: int
) -> float:
    """Share of single-seed cascades that go global on Erdős–Rényi graphs of mean degree ``z``."""
    rng = np.random.default_rng([seed, round(z * 1000), round(phi * 1000)])
    hits = 0
    for _ in range(graphs):
        graph = nx.fast_gnp_random_graph(n, z / (n - 1), seed=int(rng.integers(2**31)))
        model = ThresholdModel(graph, phi)
        for node in rng.choice(n, size=seeds_per_graph, replace=False):
            hits += model.run([int(node)]).final_share >= GLOBAL_SHARE
    return hits / (graphs * seeds_per_graph)


@dataclass
class Spread:
    """How far and how fast a contagion went, averaged over graphs."""

    reached: float  # mean final share of nodes active
    steps_to_half: float  # mean steps to reach half the nodes (nan when never)


def ring_spread(rewire: float, threshold: int, *, n: int, k: int, graphs: int, seed: int) -> Spread:
    """Centola & Macy (2007): a count-threshold contagion on a ring lattice with rewired ties.

    Seeds are ``threshold`` adjacent nodes (a seed neighbourhood, as in the paper), so the
    contagion can start on the unrewired lattice; ``rewire`` is the Watts–Strogatz probability.
    """
    rng = np.random.default_rng([seed, round(rewire * 1e6), threshold])
    reached, steps = [], []
    for _ in range(graphs):
        graph = nx.watts_strogatz_graph(n, k, rewire, seed=int(rng.integers(2**31)))
        start = int(rng.integers(n))
        result = ThresholdModel(graph, threshold, kind="count").run(
            [(start + i) % n for i in range(threshold)]
        )
        reached.append(result.final_share)
        half = result.steps_to(0.5)
        steps.append(np.nan if half is None else half)
    steps_arr = np.array(steps, dtype=float)
    mean_steps = float(np.nanmean(steps_arr)) if np.isfinite(steps_arr).any() else np.nan
    return Spread(reached=float(np.mean(reached)), steps_to_half=mean_steps)
