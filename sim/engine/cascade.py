"""A plain threshold cascade on any NetworkX graph: the engine without the strike around it.

This is the model of Granovetter (1978) and Watts (2002) that strikesim's decision rule extends
(:mod:`strikesim.engine.rule`), exposed so users can check the engine against the classics::

    result = threshold_cascade(nx.complete_graph(100), thresholds=range(100), kind="count")
    result.final_count  # 100: Granovetter's crowd riots

Convention: a node activates when the summed weight of its active in-neighbours is ``>=`` its
need — ``threshold * weighted degree`` for ``kind="fraction"``, ``threshold`` itself for
``kind="count"``. A threshold means its decimal (or rational) value: 0.07 of 100 neighbours
needs 7, although the float product is 7.000000000000001 (:func:`strikesim.engine.rule.commits`
documents the 1e-12 relative tolerance that makes it so). Integer weights are summed exactly, and
parallel edges of a multigraph add up. Updates are synchronous; active nodes stay active. The
comparison is the core's own (:func:`strikesim.engine.rule.commits`) on the core's own CSR network
(:func:`from_networkx`), so what this module reproduces, the strike model inherits.

Many cascades on one graph (Watts's single-seed experiments): build a :class:`ThresholdModel` once
and call :meth:`ThresholdModel.run` per seed set; the graph is converted only once.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import networkx as nx
import numpy as np

from strikesim.engine import rule
from strikesim.engine.graph_input import from_networkx

NEVER = -1  # activation step of a node that never activates


@dataclass
class CascadeResult:
    """Who ended active, and how the cascade got there, with nodes back in the graph's order."""

    nodes: list[Hashable]
    active: np.ndarray  # bool per node, in ``nodes`` order
    history: list[int] = field(default_factory=list)  # active count after each step (0: seeds)
    activation_step: np.ndarray | None = None  # step each node activated (0: seed; -1: never)

    @property
    def final_count(self) -> int:
        """Nodes active at the end, seeds included."""
        return int(self.active.sum())

    @property
    def final_share(self) -> float:
        """Share of all nodes active at the end: the cascade size Watts (2002) reports."""
        return self.final_count / len(self.nodes)

    @property
    def steps(self) -> int:
        """Steps until nothing changed (excluding the step that confirmed it)."""
        return len(self.history) - 1

    def steps_to(self, share: float) -> int | None:
        """First step at which at least ``share`` of all nodes were active (None: never)."""
        need = share * len(self.nodes)
        return next((t for t, count in enumerate(self.history) if count >= need), None)

    def active_nodes(self) -> set[Hashable]:
        """The active nodes by their graph labels, for checks that name nodes, not positions."""
        return {n for n, a in zip(self.nodes, self.active.tolist(), strict=True) if a}


class ThresholdModel:
    """A graph with per-node thresholds, converted once, ready to cascade from any seeds.

    ``thresholds``: one number for all, a sequence in ``graph.nodes`` order, or a node -> value
    mapping. Edge ``weight`` attributes are used when present (default 1). Directed graphs pass
    influence along edge direction.
    """

    def __init__(
        self,
        graph: nx.Graph,
        thresholds: float | Iterable[float] | Mapping[Hashable, float],
        *,
        kind: Literal["fraction", "count"] = "fraction",
    ) -> None:
        if kind not in ("fraction", "count"):
            raise ValueError(f"kind={kind!r}; allowed: fraction, count")
        self.nodes = list(graph.nodes)
        self.network, _ = from_networkx(graph, source="threshold_cascade graph")
        n = len(self.nodes)
        if isinstance(thresholds, Mapping):
            theta = np.array([thresholds[v] for v in self.nodes], dtype=np.float64)
        elif np.isscalar(thresholds):
            theta = np.full(n, float(thresholds))  # type: ignore[arg-type]
        else:
            theta = np.asarray(list(thresholds), dtype=np.float64)  # type: ignore[arg-type]
        if theta.shape != (n,):
            raise ValueError(f"thresholds: expected {n} values, got {theta.shape}")
        if kind == "fraction":  # isolated nodes: see rule.need_weight
            self.need_weight = rule.need_weight(theta, self.network.weighted_degree)
        else:
            self.need_weight = theta
        self._index = {v: i for i, v in enumerate(self.nodes)}

    def run(self, seeds: Iterable[Hashable] = (), *, max_steps: int | None = None) -> CascadeResult:
        """Cascade synchronously from ``seeds`` until nothing changes (or ``max_steps``)."""
        n = len(self.nodes)
        active = np.zeros(n, dtype=bool)
        try:
            active[[self._index[s] for s in seeds]] = True
        except KeyError as exc:
            raise ValueError(f"seeds: node {exc.args[0]!r} is not in the graph") from None
        when = np.where(active, 0, NEVER)
        history = [int(active.sum())]
        limit = max_steps if max_steps is not None else n + 1
        for step in range(1, limit + 1):
            new = active | rule.commits(self.network.exposure(active), self.need_weight)
            if np.array_equal(new, active):
                break
            when[new & ~active] = step
            active = new
            history.append(int(active.sum()))
        return CascadeResult(nodes=self.nodes, active=active, history=history, activation_step=when)


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
    mapping; ``kind="fraction"`` (share of weighted degree, Watts 2002) or ``"count"`` (active
    neighbours' weight, Granovetter 1978). Edge ``weight`` attributes are used when present
    (default 1). A node activates when active weight ``>=`` its need.
    """
    return ThresholdModel(graph, thresholds, kind=kind).run(seeds, max_steps=max_steps)
