"""Organizations' calls: whom each reaches, from which day, with what pull.

A call is one organization of the roster, on one channel (:data:`~strikesim.engine.heterogeneity.
CHANNELS`), reaching one person: a *contribution*. It starts pulling on the day the organization
calls (:meth:`strikesim.engine.timeline.Timeline.call_days`) plus the person's outreach delay on
that channel (:func:`~strikesim.engine.heterogeneity.outreach_days`), and pulls
``behavior.<channel>_call`` from then on. A person's pull on a day is the sum of their
contributions that have started, capped at ``behavior.max_pull``::

    pull_i(t) = min(max_pull, sum over contributions c of i with start_c <= t of strength_c)

summed from 0.0 in a fixed order (by channel, then roster order), so it has the same bits whoever
computes it, for one person or for many.

Why contributions and not one pull array per channel: organizations call on different days (the
23 Jan callers a week before 23 Jan, the 13 Feb callers a week before 13 Feb) and a pull changes
only on the days a contribution starts. :class:`Contributions` holds what runs on one city share
(who each organization reaches, and through which channel); :class:`CallSchedule` adds one run's
call days and strengths, and lists, for each day, the people whose pull changes — the kernel
recomputes only theirs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from strikesim.config import BehaviorConfig
from strikesim.engine.heterogeneity import CHANNELS, NEVER

__all__ = ["CallSchedule", "Contributions", "RosterOrganization"]


@dataclass(frozen=True)
class RosterOrganization:
    """A roster organization as the calls need it: id and members per channel."""

    org_id: str
    members: dict[str, np.ndarray]  # channel -> person indices, in CHANNELS order


@dataclass
class Contributions:
    """Who each organization reaches through which channel, for the people who can commit.

    Sorted by person, then channel (CHANNELS order), then roster order: the order a pull is
    summed in. ``start``/``stop`` delimit each person's contributions (rows of ``people``).
    """

    people: np.ndarray  # int64 person indices that have any contribution, ascending
    person: np.ndarray  # int64 per contribution
    org: np.ndarray  # int32 roster index per contribution
    channel: np.ndarray  # int8 index into CHANNELS per contribution
    start: np.ndarray  # int64 per person of `people`: first contribution
    stop: np.ndarray  # int64 per person of `people`: one past the last
    orgs: list[RosterOrganization]

    @classmethod
    def build(cls, orgs: list[RosterOrganization], can_commit: np.ndarray) -> Contributions:
        """Every (organization, channel, person) for the people ``can_commit`` selects."""
        person, org, channel = [], [], []
        for c, name in enumerate(CHANNELS):
            for o, organization in enumerate(orgs):
                members = organization.members.get(name)
                if members is None:
                    continue
                members = members[can_commit[members]]
                person.append(members.astype(np.int64))
                org.append(np.full(len(members), o, dtype=np.int32))
                channel.append(np.full(len(members), c, dtype=np.int8))
        p = np.concatenate(person) if person else np.zeros(0, np.int64)
        o_ = np.concatenate(org) if org else np.zeros(0, np.int32)
        c_ = np.concatenate(channel) if channel else np.zeros(0, np.int8)
        order = np.argsort(p, kind="stable")  # stable: channel, then roster order, per person
        p, o_, c_ = p[order], o_[order], c_[order]
        people, start = np.unique(p, return_index=True)
        stop = np.append(start[1:], len(p))
        return cls(people, p, o_, c_, start.astype(np.int64), stop.astype(np.int64), orgs)


@dataclass
class CallSchedule:
    """One run's calls: each contribution's first day and strength, and the pull they give."""

    contributions: Contributions
    first_day: np.ndarray  # int64 per contribution (NEVER: the organization does not call)
    strength: np.ndarray  # float64 per contribution
    max_pull: float
    changes_on: dict[int, np.ndarray]  # day -> people (indices) whose pull changes that day

    @classmethod
    def build(
        cls,
        contributions: Contributions,
        call_days: dict[str, int],
        reach_days: dict[str, np.ndarray],
        behavior: BehaviorConfig,
    ) -> CallSchedule:
        """Schedule the calls of the organizations in ``call_days`` (org id -> call day).

        ``reach_days[channel][i]`` is person i's outreach delay on that channel (>= 1, or
        :data:`NEVER`); an organization not in ``call_days`` never calls.
        """
        c = contributions
        org_day = np.array(
            [call_days.get(o.org_id, NEVER) for o in c.orgs] or [NEVER], dtype=np.int64
        )
        channel_pull = np.array([getattr(behavior, f"{ch}_call") for ch in CHANNELS])
        delay = np.zeros(len(c.person), dtype=np.int64)
        for k, name in enumerate(CHANNELS):
            on = c.channel == k
            delay[on] = reach_days[name][c.person[on]]
        first = org_day[c.org] + delay
        strength = channel_pull[c.channel]
        first[(org_day[c.org] >= NEVER) | (delay >= NEVER) | (strength == 0.0)] = NEVER
        starting = first < NEVER
        days, people = first[starting], c.person[starting]
        order = np.argsort(days, kind="stable")
        days, people = days[order], people[order]
        bounds = np.flatnonzero(np.diff(days)) + 1
        changes_on = {
            int(group_days[0]): np.unique(group_people)
            for group_days, group_people in zip(
                np.split(days, bounds), np.split(people, bounds), strict=True
            )
            if len(group_days)
        }
        return cls(c, first, strength, behavior.max_pull, changes_on)

    def pull(self, people: np.ndarray, day: int) -> np.ndarray:
        """The pull on ``day`` of ``people`` (indices that have contributions; any order)."""
        c = self.contributions
        row = np.searchsorted(c.people, people)
        start, count = c.start[row], c.stop[row] - c.start[row]
        total = np.zeros(len(people))
        last = len(self.first_day) - 1
        for j in range(int(count.max(initial=0))):
            index = np.minimum(start + j, last)
            started = (j < count) & (self.first_day[index] <= day)
            total += np.where(started, self.strength[index], 0.0)
        return np.minimum(total, self.max_pull)

    def person_pull(self, i: int, day: int) -> float:
        """One person's pull on ``day``, summed contribution by contribution in Python — the
        reference :meth:`pull` is tested against (the per-agent rule uses it)."""
        c = self.contributions
        row = int(np.searchsorted(c.people, i))
        if row >= len(c.people) or c.people[row] != i:
            return 0.0
        total = 0.0
        for index in range(int(c.start[row]), int(c.stop[row])):
            if self.first_day[index] <= day:
                total += float(self.strength[index])
        return min(total, self.max_pull)

    def reached(self, i: int, day: int) -> bool:
        """Has a call with any pull reached person ``i`` by ``day``?"""
        c = self.contributions
        row = int(np.searchsorted(c.people, i))
        if row >= len(c.people) or c.people[row] != i:
            return False
        return bool(np.any(self.first_day[c.start[row] : c.stop[row]] <= day))
