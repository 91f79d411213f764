"""The kernel: K runs of one city, stepped day by day together — one run is the case K = 1.

:class:`~strikesim.engine.model.StrikeModel` steps a kernel of one member;
:func:`~strikesim.engine.ensemble.run_ensemble` steps many members that share a seed, a
population and a network (common random numbers: :mod:`strikesim.streams`). One kernel, not two
(DESIGN.md, "Next shape"): a member's numbers are the same whoever else shares its city, because
every member-specific quantity is computed by the same code on the same values.

- **Shared, built once** (:class:`City`): the population and network, the roster's members per
  channel, each action date's draws (march, strike, walk-out; streams named by the date, so
  scenarios that share a date share them), each outreach rate's reach days.
- **Per member** (:class:`Member`): its timeline (:mod:`strikesim.engine.timeline`), thresholds
  and initiators (memoized on the keys they read: :class:`PureMemo`), its call schedule
  (:mod:`strikesim.engine.calls`) and outrage proximity.
- **State as K x S arrays** over the people S who can commit in some member (a finite threshold
  or an initiator): ``need_s = threshold - pull`` (updated only for people whose pull changes
  that day), ``exposure`` (committed tie weight) and ``committed_s``.
- **Exposure incrementally:** each day adds only the new committers' ties — their rows of
  ``A[S, :].T``. With integer tie weights every partial sum is an exact integer, so the order of
  summation does not matter and the result equals the full product; it is kept in the smallest
  unsigned integer type that holds every weighted degree. Other weights: the network's own full
  product (:meth:`Network.exposure`) per member and day.
- **Members sorted longest campaign first**: those still campaigning on a day are a prefix of the
  rows.

The decision itself is :mod:`strikesim.engine.rule`'s; what is reported, :mod:`outputs`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from strikesim import scenarios
from strikesim.config import StrikeConfig
from strikesim.engine import heterogeneity, outputs, rule
from strikesim.engine.calls import CallSchedule, Contributions, RosterOrganization
from strikesim.engine.graph_input import from_networkx, load_graph_file
from strikesim.engine.network import Network, build_network
from strikesim.engine.population import (
    K12,
    KINDS,
    UNIVERSITY,
    WORKER,
    Population,
    build_population,
    complete_population,
)
from strikesim.engine.timeline import ActionDay, Timeline, build_timeline, outrage, proximity
from strikesim.streams import stream

__all__ = ["City", "Kernel", "Member", "build_city"]

PUBLIC_CHANNELS = ("civic",)
"""Channels of a public endorsement (the City Council's): they reach people who belong to nothing,
so being reached through them does not make a marcher *affiliated* (Klandermans et al.'s
unaffiliated share counts people outside the organizing groups)."""


def _csr_rows(matrix: sp.csr_array, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``matrix[rows]``'s ``indptr``, ``indices`` and ``data``: the same arrays, in the same
    order, gathered with numpy. Why not scipy's fancy indexing: it costs ~0.15 ms a call before
    any work, which a town's daily update (a few new committers) pays 37 times a run."""
    starts = matrix.indptr[rows]
    lengths = matrix.indptr[rows + 1] - starts
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    at = np.repeat(starts - indptr[:-1], lengths) + np.arange(indptr[-1])
    return indptr, matrix.indices[at], matrix.data[at]


def federation_affiliated_share(pop: Population) -> float:
    """:func:`heterogeneity.affiliated_share` for the roster's federations with a count over their
    own area (``members_scope`` area: the Minneapolis and St. Paul regional federations)."""
    counted = [
        r
        for r in scenarios.roster()
        if r.kind == "federation" and r.members_scope == "area" and r.members_reported
    ]
    census = scenarios.places()["population"].to_numpy(float)
    return heterogeneity.affiliated_share(
        [r.area for r in counted],
        [r.members_reported for r in counted],
        pop.union,
        pop.place,
        [float(census[list(r.area)].sum()) for r in counted],
    )


def build_city(config: StrikeConfig, graph: nx.Graph | None = None) -> tuple[Population, Network]:
    """The population and network ``config`` describes (or ``graph``'s, completed)."""
    net_cfg, pop_cfg = config.network, config.population
    rng = stream(config.seed, "population")
    if graph is None and net_cfg.source == "generated":
        pop = build_population(pop_cfg, net_cfg, rng, catchment=pop_cfg.catchment)
        return pop, build_network(pop, net_cfg, stream(config.seed, "network"))
    network, attrs = from_networkx(graph) if graph is not None else load_graph_file(net_cfg)
    pop = complete_population(
        rng,
        attrs.kind,
        pop_cfg,
        net_cfg,
        sector=attrs.sector,
        union=attrs.union,
        immigrant=attrs.immigrant,
        place=attrs.place,
    )
    return pop, network


@dataclass
class Draws:
    """One action date's uniform draws per person: march, strike, walk out."""

    march: np.ndarray
    strike: np.ndarray
    walkout: np.ndarray


@dataclass
class City:
    """Everything the members share: built once, from the first member's config."""

    seed: int
    population: Population
    network: Network
    orgs: list[RosterOrganization]
    precarity: np.ndarray  # float64 per person: the sector's precarity (0 for non-workers)
    degree: np.ndarray  # weighted degree per person
    exact: bool  # integer tie weights: incremental exposure sums are exact
    non_negative: bool
    _draws: dict[str, Draws] = field(default_factory=dict)
    _reach: dict[float, dict[str, np.ndarray]] = field(default_factory=dict)

    @classmethod
    def build(cls, config: StrikeConfig, graph: nx.Graph | None = None) -> City:
        """The city of ``config`` (and its roster's reach), with nothing of any member."""
        pop, network = build_city(config, graph)
        affiliated = heterogeneity.draw_affiliation(
            stream(config.seed, "affiliation"),
            federation_affiliated_share(pop),
            pop.union,
            pop.workplace,
        )
        orgs = [
            RosterOrganization(
                org_id=row.org_id,
                members=heterogeneity.roster_members(
                    row.reaches,
                    row.area,
                    idx,
                    pop.kind,
                    pop.union,
                    affiliated,
                    pop.faith_org,
                    pop.immigrant,
                    pop.place,
                ),
            )
            for idx, row in enumerate(scenarios.roster())
        ]
        sector_precarity = scenarios.sectors()["precarity"].to_numpy(float)
        precarity = np.where(pop.sector >= 0, sector_precarity[np.maximum(pop.sector, 0)], 0.0)
        return cls(
            seed=config.seed,
            population=pop,
            network=network,
            orgs=orgs,
            precarity=precarity,
            **_tie_facts(network),
        )

    def with_ties(self, network: Network) -> City:
        """These people (organizations, precarity, draws) with other ties: a city whose network
        settings changed but whose people did not, as the classroom page's tie sliders do. The
        people come from their own stream and read only group sizes from the network settings,
        so this is the city :meth:`build` gives for the new settings, without drawing the
        people again; the draws are shared (they depend on the seed and size only)."""
        return City(
            seed=self.seed,
            population=self.population,
            network=network,
            orgs=self.orgs,
            precarity=self.precarity,
            _draws=self._draws,
            _reach=self._reach,
            **_tie_facts(network),
        )

    @property
    def size(self) -> int:
        """Agents in the city."""
        return self.population.size

    def draws(self, action: ActionDay) -> Draws:
        """The action date's draws (streams ``march <date>``, ``strike <date>``, ``walkout
        <date>``): shared by every scenario with an action on that date."""
        key = action.date.isoformat()
        if key not in self._draws:
            n = self.size
            self._draws[key] = Draws(
                march=stream(self.seed, f"march {key}").random(n),
                strike=stream(self.seed, f"strike {key}").random(n),
                walkout=stream(self.seed, f"walkout {key}").random(n),
            )
        return self._draws[key]

    def reach_days(self, rate: float) -> dict[str, np.ndarray]:
        """Each channel's outreach delays for this rate (stream ``"outreach"``)."""
        if rate not in self._reach:
            self._reach[rate] = heterogeneity.outreach_days(
                stream(self.seed, "outreach"), rate, self.size
            )
        return self._reach[rate]


def _tie_facts(network: Network) -> dict[str, Any]:
    """What the kernel needs to know of a network's ties: weighted degrees, whether exposure
    sums are exact (:func:`_integer_sums_exact`), whether every weight is non-negative."""
    return {
        "degree": network.weighted_degree,
        "exact": _integer_sums_exact(network.adjacency),
        "non_negative": bool(network.adjacency.data.min(initial=0) >= 0),
    }


def _integer_sums_exact(adjacency: sp.csr_array) -> bool:
    """Are all tie weights integers whose absolute row sums stay below 2**53?

    Then every partial sum of a person's exposure, in any order, is an integer that float64
    holds exactly, so adding the new committers' ties day by day gives the full product's bits.
    """
    data = adjacency.data
    if not np.all(np.isfinite(data)) or np.any(data != np.round(data)):
        return False
    largest = float(np.abs(data).max(initial=0))
    ties = int(np.diff(adjacency.indptr).max(initial=0))
    return largest * ties < 2**53


def _exposure_type(city: City) -> type[np.generic]:
    """The smallest unsigned type that holds every weighted degree exactly (integer weights)."""
    if not (city.exact and city.non_negative):
        return np.float64
    largest = city.degree.max(initial=0)
    for dtype in (np.uint8, np.uint16, np.uint32):
        if largest <= np.iinfo(dtype).max:
            return dtype
    return np.float64


class _Reading:
    """A config section that records which of its keys are read (see :class:`PureMemo`)."""

    def __init__(self, section: object) -> None:
        self._section = section
        self.read: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        self.read.add(name)
        return getattr(self._section, name)


class PureMemo:
    """Results of one pure function of a behaviour section, keyed on the keys it read.

    Why: members that differ only in keys a function never reads (``union_call`` for the
    thresholds) share its result. Which keys a function reads is recorded, not listed by hand,
    so a new key cannot be missed: a pure function given the same values of every key it read
    (and the same other inputs, ``given``) follows the same path and returns the same result.
    """

    def __init__(self) -> None:
        self.results: dict[tuple[Any, ...], Any] = {}
        self.read_sets: list[tuple[str, ...]] = []

    @staticmethod
    def _key(given: tuple[Any, ...], names: tuple[str, ...], section: object) -> tuple[Any, ...]:
        return (given, names, tuple(repr(getattr(section, n)) for n in names))

    def get(
        self, given: tuple[Any, ...], section: object, call: Callable[[Any], Any]
    ) -> tuple[tuple[Any, ...], Any]:
        """(key, result) of ``call(section)``, computed once per key."""
        for names in self.read_sets:
            key = self._key(given, names, section)
            if key in self.results:
                return key, self.results[key]
        reading = _Reading(section)
        result = call(reading)
        names = tuple(sorted(reading.read))
        if names not in self.read_sets:
            self.read_sets.append(names)
        key = self._key(given, names, section)
        self.results[key] = result
        return key, result


@dataclass
class Memos:
    """What members of one kernel share when their inputs are equal."""

    thresholds: PureMemo = field(default_factory=PureMemo)
    organizers: dict[tuple[Any, ...], np.ndarray] = field(default_factory=dict)


@dataclass
class Member:
    """One run's inputs: its config, timeline, thresholds, initiators and calls."""

    config: StrikeConfig
    timeline: Timeline
    threshold: np.ndarray  # float64 per person (+inf: never commits)
    organizers: np.ndarray  # bool per person: committed on day 0
    reach_rate: float

    @property
    def days(self) -> int:
        """The member's last day (its day at ``scenario.date``)."""
        return self.timeline.days

    @classmethod
    def prepare(cls, city: City, config: StrikeConfig, memos: Memos) -> Member:
        """Thresholds and initiators from their own streams; members whose inputs are equal
        share the arrays (``memos``)."""
        pop, b = city.population, config.behavior
        share, walkouts = config.population.sympathizer_share, config.scenario.school_walkouts
        threshold_key, threshold = memos.thresholds.get(
            (share, walkouts),
            b,
            lambda reading: heterogeneity.draw_thresholds(
                stream(city.seed, "thresholds"), pop.kind, pop.immigrant, reading, share, walkouts
            ),
        )
        organizer_key = (threshold_key, b.activist_share)
        if organizer_key not in memos.organizers:
            memos.organizers[organizer_key] = heterogeneity.draw_organizers(
                stream(city.seed, "activists"), b.activist_share, threshold
            )
        return cls(
            config=config,
            timeline=build_timeline(config),
            threshold=threshold,
            organizers=memos.organizers[organizer_key],
            reach_rate=b.outreach_rate,
        )


@dataclass
class ActionResult:
    """What one member did on one action day: the state its outputs are counted from."""

    action: ActionDay
    state: outputs.State


class Kernel:
    """Members stepped together on one city, longest campaign first (see the module docstring).

    ``step()`` advances every member still campaigning by one day; after a member's last day its
    rows and totals are final (:meth:`results`).
    """

    def __init__(self, city: City, configs: Sequence[StrikeConfig]) -> None:
        self.city = city
        memos = Memos()
        order = sorted(range(len(configs)), key=lambda i: -build_timeline(configs[i]).days)
        self.order = order  # kernel row -> position in ``configs``
        self.members = [Member.prepare(city, configs[i], memos) for i in order]
        k, n = len(self.members), city.size
        pop = city.population
        can_act = np.zeros(n, dtype=bool)
        for m in self.members:
            can_act |= np.isfinite(m.threshold) | m.organizers
        self.people = people = np.flatnonzero(can_act)  # S
        self.column = np.full(n, -1, dtype=np.int64)
        self.column[people] = np.arange(len(people))
        # threshold - pull; no call has arrived on day 0
        self.need_s = np.stack([m.threshold[people] for m in self.members])
        self.committed = np.stack([m.organizers for m in self.members])
        self.committed_s = self.committed[:, people]
        self.count = self.committed.sum(axis=1)
        self.count_by_kind = np.stack(
            [np.bincount(pop.kind[row], minlength=len(KINDS)) for row in self.committed]
        )
        self.degree_s = city.degree[people]
        contributions = Contributions.build(city.orgs, can_act)
        self.schedules = [
            CallSchedule.build(
                contributions,
                m.timeline.call_days(),
                city.reach_days(m.reach_rate),
                m.config.behavior,
            )
            for m in self.members
        ]
        distance = pop.distance_km
        self.proximity_s = [
            proximity(distance[people], m.config.behavior.outrage_reach_km) for m in self.members
        ]
        # each action day's base chance to march (its weather), asked for every day's record
        self._march_base = [
            [
                float(rule.march_probability(a.weather, m.config.behavior))
                for a in m.timeline.actions
            ]
            for m in self.members
        ]
        # marches joined so far by the people S (at most one per action day: fits int16)
        self.marches_before = np.zeros((k, len(people)), dtype=np.int16)
        self.exposure = np.zeros((k, len(people)), dtype=_exposure_type(city))
        if city.exact:
            self.incoming = sp.csr_array(
                city.network.adjacency[people, :].T, dtype=self.exposure.dtype
            )
            member, person = np.nonzero(self.committed)
            self._add_exposure(member, person)
        else:
            self._refresh_exposure(k)
        self.day = 0
        self.records: list[list[outputs.Row]] = [[] for _ in range(k)]
        self.actions: list[list[ActionResult]] = [[] for _ in range(k)]
        for row in range(k):
            self._record_campaign(row)

    # --- the day ----------------------------------------------------------------------------
    @property
    def active(self) -> int:
        """Members still campaigning after today (a prefix of the rows: longest first)."""
        return sum(1 for m in self.members if m.days > self.day)

    def step(self, decide: Callable[[int], np.ndarray] | None = None) -> None:
        """One day for every member still campaigning: calls, the rule, then any action day.

        ``decide(day)`` (one member only) replaces the vectorized rule by another way of making
        the same decisions — :meth:`StrikeModel.step_per_agent`'s agents — returning the indices
        of the people who commit today; everything else is this method's.
        """
        active = self.active
        if not active:
            return
        if decide is not None and len(self.members) != 1:
            raise ValueError("decide replaces the rule of a one-member kernel only")
        self.day = day = self.day + 1
        new_member, new_person = [], []
        for row in range(active):
            self._update_pull(row, day)
            if decide is not None:
                person = decide(day)
            else:
                need = self.need_s[row] - self._lift(row, day)
                weight = rule.need_weight(need, self.degree_s)
                hit = rule.commits(self.exposure[row].astype(np.float64), weight)
                person = self.people[np.flatnonzero(hit & ~self.committed_s[row])]
            new_member.append(np.full(len(person), row))
            new_person.append(person)
        member, person = np.concatenate(new_member), np.concatenate(new_person)
        self.committed[member, person] = True
        self.committed_s[member, self.column[person]] = True
        self.count += np.bincount(member, minlength=len(self.members))
        np.add.at(self.count_by_kind, (member, self.city.population.kind[person]), 1)
        if self.city.exact:
            self._add_exposure(member, person)
        else:
            self._refresh_exposure(active)
        for row in range(active):
            action = self.members[row].timeline.action_on(day)
            if action is not None:
                self._act(row, action)
            self._record_campaign(row)
            if action is not None:
                self.records[row] += outputs.action_rows(self.actions[row][-1].state, day)

    def run(self) -> None:
        """Step until every member has had its last day."""
        while self.active:
            self.step()

    def _update_pull(self, row: int, day: int) -> None:
        """``need_s = threshold - pull(day)`` for the people whose pull changes today."""
        people = self.schedules[row].changes_on.get(day)
        if people is None or not len(people):
            return
        pos = self.column[people]
        threshold = self.members[row].threshold[people]  # shared by members with equal draws
        self.need_s[row, pos] = threshold - self.schedules[row].pull(people, day)

    def _lift(self, row: int, day: int) -> np.ndarray:
        """Momentum from yesterday's committed share, plus today's outrage near and far."""
        b = self.members[row].config.behavior
        momentum = b.momentum_weight * (float(self.count[row]) / self.city.size)
        anger = outrage(self.members[row].timeline, day, b.outrage_shock, b.outrage_memory_days)
        return rule.lift(momentum, anger, self.proximity_s[row])

    def _add_exposure(self, member: np.ndarray, person: np.ndarray) -> None:
        """``exposure[k, s] += A[S[s], j]`` for each member k's newly committed people j, in the
        exposure's integer type (exact)."""
        if not len(member):
            return
        order = np.argsort(member, kind="stable")
        member, person = member[order], person[order]
        indptr, indices, data = _csr_rows(self.incoming, person)
        ends = np.searchsorted(member, np.arange(len(self.members)), side="right")
        start = 0
        for k, end in enumerate(ends):
            if end > start:
                lo, hi = indptr[start], indptr[end]
                np.add.at(self.exposure[k], indices[lo:hi], data[lo:hi])
            start = end

    def _refresh_exposure(self, active: int) -> None:
        """Non-integer weights: the network's own full product, member by member."""
        for k in range(active):
            self.exposure[k] = self.city.network.exposure(self.committed[k])[self.people]

    # --- acting and recording ---------------------------------------------------------------
    def _act(self, row: int, action: ActionDay) -> None:
        """The action day: each committed person's separate decisions (:mod:`rule`)."""
        city, pop = self.city, self.city.population
        b = self.members[row].config.behavior
        draws = city.draws(action)
        committed = self.committed[row]
        who = np.flatnonzero(committed)
        base = self.next_march_probability(row)  # today's: this is its action day
        before = self.marches_before[row, self.column[who]]
        chance = rule.march_chance(base, pop.distance_km[who], pop.immigrant[who], before, b)
        marched = draws.march[who] < chance
        marching = np.zeros(city.size, dtype=bool)
        marching[who] = marched
        self.marches_before[row, self.column[who[marched]]] += 1
        striking = np.zeros(city.size, dtype=bool)
        walkout = np.zeros(city.size, dtype=bool)
        boycott = np.zeros(city.size, dtype=bool)
        if action.kind == "strike":
            calling = {o.org_id for o in city.orgs} & set(action.endorsers)
            calling_union = np.array([o.org_id in calling for o in city.orgs] + [False])
            workers = who[pop.kind[who] == WORKER]
            protected = calling_union[pop.union[workers]]  # union -1 -> the appended False
            chance = rule.strike_chance(city.precarity[workers], protected, b)
            striking[workers] = draws.strike[workers] < chance
            students = who[(pop.kind[who] == K12) | (pop.kind[who] == UNIVERSITY)]
            walkout[students] = draws.walkout[students] < rule.walkout_chance(b)
            boycott = committed.copy()
        called = self.members[row].timeline.call_days()
        state = outputs.State(
            kind=pop.kind,
            union=pop.union,
            place=pop.place,
            committed=committed.copy(),
            marching=marching,
            striking=striking,
            walkout=walkout,
            boycott=boycott,
            called_members=tuple(
                members
                for o in city.orgs
                if called.get(o.org_id, action.day + 1) <= action.day
                for channel, members in o.members.items()
                if channel not in PUBLIC_CHANNELS
            ),
            march_probability=base,
            scale=pop.scale,
        )
        self.actions[row].append(ActionResult(action, state))

    def next_march_probability(self, row: int) -> float:
        """The base chance to march of the member's next action day (today's, on one)."""
        actions = self.members[row].timeline.actions
        upcoming = next((i for i, a in enumerate(actions) if a.day >= self.day), len(actions) - 1)
        return self._march_base[row][upcoming]

    def _record_campaign(self, row: int) -> None:
        self.records[row] += outputs.campaign_rows(
            self.day,
            self.count_by_kind[row],
            self.next_march_probability(row),
            self.city.population.scale,
        )

    # --- results ----------------------------------------------------------------------------
    def timeseries(self, row: int) -> pd.DataFrame:
        """One row per day, phase, agent type and form (people), as ``timeseries.parquet``."""
        return pd.DataFrame(
            self.records[row], columns=["day", "phase", "agent_type", "form", "people"]
        ).astype({"day": "int32", "people": "float64"})

    def events(self, row: int) -> pd.DataFrame:
        """One row per action day so far: its id, date, day, kind and every output's total."""
        return pd.DataFrame(
            [
                {
                    "event": a.action.event_id,
                    "date": a.action.date.isoformat(),
                    "day": a.action.day,
                    "kind": a.action.kind,
                    "documented": a.action.documented,
                    **outputs.totals(a.state),
                }
                for a in self.actions[row]
            ]
        )

    def totals(self, row: int) -> dict[str, float | int]:
        """The latest action day's totals: after the last day, the day at ``scenario.date``."""
        if not self.actions[row]:
            raise RuntimeError(
                f"no action day yet (day {self.day}): totals are counted on action days, the "
                f"first on day {self.members[row].timeline.actions[0].day}; step or run first"
            )
        return outputs.totals(self.actions[row][-1].state)
