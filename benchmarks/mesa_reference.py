"""The peer: strikesim's commitment rule written the idiomatic Mesa way.

As in Mesa's ``virus_on_network`` example, every person is a ``FixedAgent`` in a cell of
``mesa.discrete_space.Network`` and reads its neighbours' state in Python each step. It copies
a :class:`~strikesim.engine.model.StrikeModel`'s thresholds, costs, organizational calls and initial
state, so the two must produce identical trajectories; the benchmark times both.
"""

from __future__ import annotations

import inspect

import mesa
from mesa.discrete_space import FixedAgent, Network

from strikesim.engine import rule
from strikesim.engine.model import StrikeModel


class ReferencePerson(FixedAgent):
    """One person: commits when committed neighbours' tie weight reaches the need (``>=``)."""

    def __init__(self, model: ReferenceModel, cell, source: StrikeModel, i: int) -> None:
        super().__init__(model)
        self.cell = cell
        self.node = i
        self.threshold = float(source.threshold[i])
        self.cost = float(source.cost[i])
        self.calls = [(float(s[i]), int(r[i])) for s, r in source.calls.channels()]
        self.committed = bool(source.committed[i])
        self.next_committed = self.committed

    def decide(self) -> None:
        if self.committed:
            return
        model: ReferenceModel = self.model
        weights = model.graph[self.node]
        exposure = 0.0
        degree = 0.0
        for neighbour in self.cell.neighborhood.agents:
            w = weights[neighbour.node]["weight"]
            degree += w
            if neighbour.committed:
                exposure += w
        pull = 0.0
        for strength, reach_day in self.calls:
            pull += strength if reach_day <= model.day else 0.0
        need = rule.need(self.threshold, self.cost, pull, model.momentum)
        self.next_committed = bool(rule.commits(exposure, float(rule.need_weight(need, degree))))

    def advance(self) -> None:
        self.committed = self.next_committed


class ReferenceModel(mesa.Model):
    """Synchronous update: every agent decides from yesterday's state, then all advance."""

    def __init__(self, source: StrikeModel) -> None:
        super().__init__(rng=source.config.seed)
        self.graph = source.network.to_networkx()
        kwargs = {"layout": None} if "layout" in inspect.signature(Network).parameters else {}
        self.grid = Network(self.graph, capacity=1, random=self.random, **kwargs)
        self.momentum_weight = source.config.behavior.momentum_weight
        self.size = source.population.size
        self.day = 0
        self.momentum = 0.0
        for cell in self.grid.all_cells:
            ReferencePerson(self, cell, source, cell.coordinate)

    def step(self) -> None:
        committed = sum(1 for a in self.agents if a.committed)
        self.momentum = self.momentum_weight * (committed / self.size)
        self.day += 1
        self.agents.do("decide")
        self.agents.do("advance")

    def committed_nodes(self) -> list[bool]:
        state = [False] * self.size
        for agent in self.agents:
            state[agent.node] = agent.committed
        return state
