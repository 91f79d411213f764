"""People. Each reads its state from the model's arrays by ``index``.

Decision rule (see :mod:`strikesim.engine.rule`): a person commits once the weighted share of
committed contacts reaches ``threshold - pull - lift`` (lift: momentum and outrage).
:meth:`Individual.decide` applies that rule to one person by walking their contacts in Python —
the textbook agent-based way, kept as the reference the vectorized kernel is tested against
(identical trajectories on small graphs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from strikesim.engine import rule
from strikesim.engine.population import KINDS

if TYPE_CHECKING:
    from strikesim.engine.model import StrikeModel


class Individual(mesa.Agent):
    """A resident of the synthetic city (one agent may stand for ``population.scale`` people)."""

    model: StrikeModel

    def __init__(self, model: StrikeModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def kind(self) -> str:
        """``worker``, ``k12``, ``university`` or ``resident``, decoded from the population row."""
        return KINDS[self.model.population.kind[self.index]]

    @property
    def committed(self) -> bool:
        """Committed to the strike (permanent once true); read live from the model's array."""
        return bool(self.model.committed[self.index])

    @property
    def marching(self) -> bool:
        """Marched on the latest action day so far (false before the first)."""
        return bool(self.model.marching[self.index])

    @property
    def threshold(self) -> float:
        """Share of committed contacts (by tie weight) needed, before pull, momentum and outrage."""
        return float(self.model.threshold[self.index])

    @property
    def state(self) -> str:
        """unaware / sympathetic / committed / marching, for display."""
        if self.marching:
            return "marching"
        if self.committed:
            return "committed"
        return "sympathetic" if self.model.heard_of_call(self.index) else "unaware"

    def exposure(self, committed: list[bool] | object) -> float:
        """Summed tie weight to committed contacts, by walking the neighbour list."""
        indices, weights = self.model.network.neighbours(self.index)
        total = 0.0
        for j, w in zip(indices.tolist(), weights.tolist(), strict=True):
            if committed[j]:
                total += w
        return total

    def decide(self, committed: list[bool] | object, day: int, lift: float) -> bool:
        """Will this person be committed after ``day``, given yesterday's ``committed`` state
        and today's ``lift`` (momentum and outrage, :func:`strikesim.engine.rule.lift`)?"""
        i = self.index
        model = self.model
        if committed[i]:
            return True
        pull = model.calls.person_pull(i, day)
        need = rule.need(float(model.threshold[i]), pull, lift)
        weight_needed = float(rule.need_weight(need, float(model.degree[i])))
        return bool(rule.commits(self.exposure(committed), weight_needed))


class Worker(Individual):
    """An employed resident: may strike from work on a strike day; the risk to the job rises
    with the sector's precarity."""

    @property
    def sector(self) -> str:
        """Name of the employer's sector: the table row that sets job risk and union rates."""
        from strikesim import scenarios

        return str(scenarios.sectors()["sector"].iloc[self.model.population.sector[self.index]])

    @property
    def union_member(self) -> bool:
        """In a union, whose call pulls and whose endorsement of a strike day lowers its risk."""
        return bool(self.model.population.union[self.index] >= 0)


class Student(Individual):
    """A K-12 or university student: may walk out of school."""

    @property
    def level(self) -> str:
        """``k12`` or ``university``: the two differ in threshold shift and in who calls them."""
        return self.kind


class Resident(Individual):
    """Anyone else (not employed, retired, young children): may boycott shopping and march."""
