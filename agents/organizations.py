"""Organizations: unions, labor federations, faith groups, student associations, immigrant-rights
and community organizations, and public bodies.

An organization that endorses an action day calls its members from ``call_day`` on (a few days
before the action: :mod:`strikesim.engine.timeline`); the call lowers each reached member's
threshold by ``behavior.<channel>_call`` (bloc recruitment, Oberschall 1973; McAdam 1986),
with every call's pull together capped at ``behavior.max_pull`` (:mod:`strikesim.engine.calls`).
An endorsement is not a strike order (American Prospect, 22 Jan 2026): members still decide by
the threshold rule. Calls reach members gradually (``behavior.outreach_rate``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from strikesim.engine.model import StrikeModel


class Organization(mesa.Agent):
    """A named organization from the roster, with the members it reaches on each channel."""

    def __init__(
        self,
        model: StrikeModel,
        org_id: str,
        name: str,
        call_day: int | None,
        members: dict[str, np.ndarray],
    ) -> None:
        super().__init__(model)
        self.org_id = org_id
        self.name = name
        self.call_day = call_day  # the day its call goes out; None: it never calls in this run
        self.members = members  # channel -> indices of the people it reaches that way

    @property
    def member_count(self) -> int:
        """People (not agents) reached on any channel."""
        reached = np.unique(np.concatenate([m for m in self.members.values()] or [np.empty(0)]))
        return len(reached) * self.model.population.scale

    @property
    def endorses(self) -> bool:
        """Does it call at some point of this run's campaign?"""
        return self.call_day is not None

    def call_strengths(self) -> dict[str, float]:
        """Threshold reduction per channel for the members it reaches, if it calls."""
        if not self.endorses:
            return {}
        behavior = self.model.config.behavior
        return {channel: getattr(behavior, f"{channel}_call") for channel in self.members}


class Union(Organization):
    """A local union: calls its members (channel ``union``).

    An educators' union also reaches K-12 students (channel ``school``).
    """


class LaborFederation(Union):
    """A federation of locals: calls every union member in the city (channel ``federation``)."""


class FaithGroup(Organization):
    """A faith network: calls the members of its affiliated congregations (channel ``faith``)."""


class StudentAssociation(Organization):
    """A student association: calls university students (channel ``campus``)."""


class CommunityOrganization(Organization):
    """An immigrant-rights or community organization: calls foreign-born residents (channel
    ``community``)."""


class CivicBody(Organization):
    """A public body whose endorsement everyone hears, such as the City Council (channel
    ``civic``)."""
