"""A plain threshold cascade on any NetworkX graph: the engine without the strike around it.

This is the model of Granovetter (1978) and Watts (2002) that strikesim's decision rule extends
(:mod:`strikesim.rule`), exposed so users can check the engine against the classics::

    result = threshold_cascade(nx.complete_graph(100), thresholds=range(100), kind="count")
    result.final_count  # 100: Granovetter's crowd riots

Convention: a node activates when the summed weight of its active in-neighbours is ``>=`` its
need — ``threshold * weighted degree`` for ``kind="fraction"``, ``threshold`` itself for
``kind="count"``. Updates are synchronous; active nodes stay active.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import networkx as nx
import numpy as np

from strikesim import rule
from strikesim.graph_input import from_networkx


@dataclass
class CascadeResult:
    nodes: list[Hashable]
    active: np.ndarray  # bool per node, in ``nodes`` order
    history: list[int] = field(default_factory=list)  # active count after each step (0: seeds)

    @property
    def final_count(self) -> int:
        return int(self.active.sum())

    @property
    def steps(self) -> int:
        """Steps until nothing changed (excluding the step that confirmed it)."""
        return len(self.history) - 1

    def active_nodes(self) -> set[Hashable]:
        return {n for n, a in zip(self.nodes, self.active.tolist(), strict=True) if a}


def threshold_cascade(
    graph: nx.Graph,
    thresholds: float | Iterable[float] | Mapping[Hashable, float],
    seeds: Iterable[Hashable] = (),
    *,
    kind: Literal["fraction", "count"] = "fraction",
    max_steps: int | None = None,
) -> CascadeResult:
    """Run a synchronous threshold cascade to its end (or ``max_steps``).

    ``thresholds``: one number for all, a sequence in ``graph.nodes`` order, or a node -> value
    mapping. Edge ``weight`` attributes are used when present (default 1). Directed graphs pass
    influence along edge direction.
    """
    nodes = list(graph.nodes)
    network, _ = from_networkx(graph, source="threshold_cascade graph")
    if isinstance(thresholds, Mapping):
        theta = np.array([thresholds[v] for v in nodes], dtype=np.float64)
    elif np.isscalar(thresholds):
        theta = np.full(len(nodes), float(thresholds))  # type: ignore[arg-type]
    else:
        theta = np.asarray(list(thresholds), dtype=np.float64)  # type: ignore[arg-type]
    if theta.shape != (len(nodes),):
        raise ValueError(f"thresholds: expected {len(nodes)} values, got {theta.shape}")
    if kind not in ("fraction", "count"):
        raise ValueError(f"kind={kind!r}; allowed: fraction, count")
    need_weight = theta * network.weighted_degree if kind == "fraction" else theta
    index = {v: i for i, v in enumerate(nodes)}
    active = np.zeros(len(nodes), dtype=bool)
    active[[index[s] for s in seeds]] = True
    history = [int(active.sum())]
    limit = max_steps if max_steps is not None else len(nodes) + 1
    for _ in range(limit):
        exposure = network.adjacency @ active.astype(np.float32)
        new = active | rule.commits(exposure.astype(np.float64), need_weight)
        if np.array_equal(new, active):
            break
        active = new
        history.append(int(active.sum()))
    return CascadeResult(nodes=nodes, active=active, history=history)
