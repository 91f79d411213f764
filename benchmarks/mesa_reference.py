"""The peer: strikesim's commitment rule written the idiomatic Mesa way.

As in Mesa's ``virus_on_network`` example, every person is a ``FixedAgent`` in a cell of
``mesa.discrete_space.Network`` and reads its neighbours' state in Python each step. It copies
a :class:`~strikesim.engine.model.StrikeModel`'s thresholds, initial state, distances and
timeline, and asks the model's call schedule for each person's pull
(:meth:`~strikesim.engine.calls.CallSchedule.person_pull`), so the two must produce identical
trajectories; the benchmark times both. The rule (:mod:`strikesim.engine.rule`)::

    need = threshold - pull - lift,   lift = momentum + outrage x proximity

with momentum from yesterday's committed share and outrage from the timeline's shocks
(:func:`strikesim.engine.timeline.outrage`), computed here by the model, not copied from the
kernel. Only commitment is compared: what committed people do on an action day is not a step
of the cascade.
"""

from __future__ import annotations

import inspect

import mesa
import numpy as np
from mesa.discrete_space import FixedAgent, Network

from strikesim.engine import rule, timeline
from strikesim.engine.model import StrikeModel


class ReferencePerson(FixedAgent):
    """One person: commits when committed neighbours' tie weight reaches the need (``>=``)."""

    def __init__(self, model: ReferenceModel, cell, source: StrikeModel, i: int) -> None:
        super().__init__(model)
        self.cell = cell
        self.node = i
        self.threshold = float(source.threshold[i])
        self.proximity = float(model.proximity[i])
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
        pull = model.calls.person_pull(self.node, model.day)
        lift = rule.lift(model.momentum, model.outrage, self.proximity)
        need = rule.need(self.threshold, pull, lift)
        self.next_committed = bool(rule.commits(exposure, float(rule.need_weight(need, degree))))

    def advance(self) -> None:
        self.committed = self.next_committed


class ReferenceModel(mesa.Model):
    """Synchronous update: every agent decides from yesterday's state, then all advance."""

    def __init__(self, source: StrikeModel) -> None:
        super().__init__(rng=source.config.seed)
        behavior = source.config.behavior
        self.graph = source.network.to_networkx()
        kwargs = {"layout": None} if "layout" in inspect.signature(Network).parameters else {}
        self.grid = Network(self.graph, capacity=1, random=self.random, **kwargs)
        self.momentum_weight = behavior.momentum_weight
        self.shock, self.memory_days = behavior.outrage_shock, behavior.outrage_memory_days
        self.timeline = source.timeline
        self.calls = source.calls
        self.proximity = timeline.proximity(
            np.asarray(source.population.distance_km), behavior.outrage_reach_km
        )
        self.size = source.population.size
        self.day = 0
        self.momentum = 0.0
        self.outrage = 0.0
        for cell in self.grid.all_cells:
            ReferencePerson(self, cell, source, cell.coordinate)

    def step(self) -> None:
        committed = sum(1 for a in self.agents if a.committed)
        self.momentum = self.momentum_weight * (committed / self.size)
        self.day += 1
        self.outrage = timeline.outrage(self.timeline, self.day, self.shock, self.memory_days)
        self.agents.do("decide")
        self.agents.do("advance")

    def committed_nodes(self) -> list[bool]:
        state = [False] * self.size
        for agent in self.agents:
            state[agent.node] = agent.committed
        return state
