"""Ensemble kernel: many runs of one city, stepped together, each bit-identical to running alone.

Runs that share ``seed``, ``population`` and ``network`` share the city and the network (common
random numbers: :mod:`strikesim.streams`), so a sweep over behaviour, weather, coalition or
campaign length would rebuild the same city for every run — and at the 1:1 city, building it
costs more than running it. :func:`run_ensemble` builds it once and steps K members on it
(DESIGN.md, "Next shape: Ensemble"):

- **Shared, built once:** population and network (:meth:`StrikeModel._build_city`), the
  roster's members per channel, the march draws (stream ``"march"``), each distinct outreach
  rate's reach days (stream ``"outreach"``).
- **Per member, by the model's own pure functions, each from a fresh stream:** thresholds
  (:func:`~strikesim.engine.heterogeneity.draw_thresholds`), costs and organizers — memoized on
  the behaviour keys each function actually reads (:class:`_PureMemo`), so members that differ
  in ``union_call`` or the weather share one threshold draw. Why not one draw of standard
  normals rescaled per member: numpy's ``rng.normal(loc, scale)`` is ``loc + scale * z`` in C,
  bit-identical to rescaling on x86-64 (checked), but a compiler may fuse it into one FMA
  instruction elsewhere (e.g. aarch64); a fresh draw per distinct behaviour is O(N) and exact
  everywhere.
- **State as K x S arrays:** one row per member, one column per person who can commit in some
  member (S: finite ``threshold + cost``, or an organizer; an infinite need is never met).
  ``need_s = threshold + cost - pull`` changes only for people a call reaches that day, so
  only they are recomputed; the daily decision subtracts each member's momentum and applies
  :func:`~strikesim.engine.rule.need_weight` and :func:`~strikesim.engine.rule.commits`: the
  same float operations on the same values as :meth:`StrikeModel.step`, hence the same bits.
- **Exposure incrementally:** each day adds only the new committers' ties — their rows of
  ``A[S, :].T``, added to each member's row with ``np.add.at``. With integer tie weights every
  partial sum is an exact integer, so the order of summation does not matter and the result is
  the model's full product to the bit; it is kept in the smallest unsigned integer type that
  holds every weighted degree (uint8 for the generated city). With other weights the kernel
  calls the model's :meth:`Network.exposure` per member and day instead.
- **Screen:** most people are far from committing on most days. The rule commits when
  ``need_s - exposure / (degree * c) <= momentum``; the screen evaluates that cheaply, with a
  margin of ~1e-6 (:meth:`_Chunk._screen_margin`), and applies the exact rule only where it
  holds — the margin dwarfs float rounding, so the screen only ever admits too many entries,
  which the rule then decides.
- **Campaign lengths:** members are sorted longest campaign first and the chunk runs to the
  longest; the members still campaigning on a day are a prefix of the rows, and each member
  has its strike day after its own last campaign day.
- **Chunks:** at most ``chunk_size`` members (64) share one set of K x S arrays, which bounds
  memory (0.66 GiB peak RSS for 64 members on the 1:1 city, docs/performance.md).

Outputs are counted by :mod:`strikesim.engine.outputs` from each member's own arrays (the
``State`` the model's snapshot builds), so a member's totals and time series are the model's;
a campaign day counts only the people committed so far when the outputs allow it
(:meth:`_Chunk._only_committed_count`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from strikesim import scenarios
from strikesim.config import ConfigError, StrikeConfig, validate
from strikesim.engine import heterogeneity, outputs, rule
from strikesim.engine.heterogeneity import CHANNELS
from strikesim.engine.model import StrikeModel
from strikesim.engine.network import Network
from strikesim.engine.population import Population
from strikesim.streams import stream

__all__ = ["CHUNK_SIZE", "SHARED", "EnsembleMember", "check_shared", "run_ensemble"]

SHARED: tuple[str, ...] = ("seed", "population", "network")
"""What the members of one ensemble must share: what the city and the network are built from."""

CHUNK_SIZE = 64
"""Members stepped together at most: bounds the K x S arrays (0.67 GiB peak RSS for K = 64 on
the 1:1 city, city included)."""

BLOCK_ELEMENTS = 1 << 17
"""Elements of a K x S array handled at once by the unscreened rule and the pull's updates
(1 MiB of float64): their passes over a block stay in the processor's cache, and their
temporaries are reused from the heap instead of being fresh memory (on a VM, first-touch page
faults made a fresh 66 MB temporary ~25x slower than reusing one)."""

Row = tuple[int, str, str, str, float]


@dataclass
class EnsembleMember:
    """One member's results: exactly ``StrikeModel(config).totals()`` and ``.timeseries()``."""

    config: StrikeConfig
    totals: dict[str, float | int]
    timeseries: pd.DataFrame


def check_shared(configs: Sequence[StrikeConfig]) -> None:
    """Raise ConfigError (one line) unless every config shares :data:`SHARED` with the first.

    A section's ``name`` is a label (``population.name``): it builds nothing, so it may differ.
    """
    first = configs[0]
    for i, config in enumerate(configs[1:], start=1):
        for name in SHARED:
            mine, theirs = getattr(config, name), getattr(first, name)
            if name == "seed":
                differ = [name] if mine != theirs else []
            else:
                differ = [
                    f"{name}.{f.name}"
                    for f in fields(mine)
                    if f.name != "name" and getattr(mine, f.name) != getattr(theirs, f.name)
                ]
            if differ:
                key = differ[0]
                raise ConfigError(
                    f"ensemble config {i} has {key}={_leaf(config, key)!r} but config 0 has "
                    f"{key}={_leaf(first, key)!r}; allowed: configs that share "
                    f"{', '.join(SHARED)} (the same city and network), differing in behavior, "
                    "weather, coalition or scenario"
                )


def _leaf(config: StrikeConfig, dotted: str) -> Any:
    value: Any = config
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


def run_ensemble(
    configs: Sequence[StrikeConfig], chunk_size: int = CHUNK_SIZE, screen: bool = True
) -> list[EnsembleMember]:
    """Run every config on one shared city; results in the order of ``configs``.

    Each member's ``totals`` and ``timeseries`` are bit-identical to
    ``StrikeModel(config)`` run alone (tests/test_ensemble.py). Raises ConfigError if a config is
    invalid or the configs do not share ``seed``, ``population`` and ``network``.

    ``chunk_size`` members at most are stepped together (memory grows with it). ``screen=False``
    applies the rule to every person of every member every day instead of only where the
    screen admits them — the reference the screen is tested against; the screen needs
    non-negative integer tie weights and is off without them.
    """
    configs = [validate(c) for c in configs]
    if not configs:
        return []
    if chunk_size < 1:
        raise ConfigError(f"chunk_size={chunk_size} is too small; allowed: an integer >= 1")
    check_shared(configs)
    city = _City.build(configs[0])
    order = sorted(range(len(configs)), key=lambda i: -configs[i].scenario.campaign_days)
    results: list[EnsembleMember | None] = [None] * len(configs)
    for lo in range(0, len(order), chunk_size):
        chunk = order[lo : lo + chunk_size]
        for i, member in zip(
            chunk, _Chunk(city, [configs[i] for i in chunk], screen).run(), strict=True
        ):
            results[i] = member
    return [r for r in results if r is not None]


@dataclass
class _Org:
    """A roster organization: what :class:`~strikesim.agents.Organization` holds for the calls."""

    org_id: str
    capacity: float
    members: dict[str, np.ndarray]  # channel -> indices, in CHANNELS order


@dataclass
class _City:
    """Everything the members share: built once per ensemble, from the first config."""

    seed: int
    population: Population
    network: Network
    orgs: list[_Org]
    precarity: np.ndarray
    march_draw: np.ndarray
    exact: bool  # integer tie weights: incremental exposure sums are exact
    degree: np.ndarray  # weighted degree per person (Network.weighted_degree, computed once)
    non_negative: bool  # no negative tie weight

    @classmethod
    def build(cls, config: StrikeConfig) -> _City:
        """The model's city (:meth:`StrikeModel._build_city`, so there is one way to build it)."""
        pop, network = StrikeModel._build_city(config, None)
        orgs = [
            _Org(
                org_id=str(row["org_id"]),
                capacity=float(row["capacity"]),
                members=heterogeneity.roster_members(
                    str(row["reaches"]), int(idx), pop.kind, pop.union, pop.faith_org
                ),
            )
            for idx, row in scenarios.organizations().iterrows()
        ]
        return cls(
            seed=config.seed,
            population=pop,
            network=network,
            orgs=orgs,
            precarity=scenarios.sectors()["precarity"].to_numpy(float),
            march_draw=stream(config.seed, "march").random(pop.size),
            exact=_integer_sums_exact(network.adjacency),
            degree=network.weighted_degree,
            non_negative=bool(network.adjacency.data.min(initial=0) >= 0),
        )

    @property
    def size(self) -> int:
        return self.population.size

    def reach_days(self, rate: float) -> dict[str, np.ndarray]:
        """Each channel's outreach days for this rate (stream ``"outreach"``), as the model."""
        return heterogeneity.outreach_days(stream(self.seed, "outreach"), rate, self.size)


def _integer_sums_exact(adjacency: sp.csr_array) -> bool:
    """Are all tie weights integers whose absolute row sums stay below 2**53?

    Then every partial sum of a person's exposure, in any order, is an integer that float64
    holds exactly, so adding the new committers' ties day by day gives the bits of the model's
    full product (which is exact for the same reason).
    """
    data = adjacency.data
    if not np.all(np.isfinite(data)) or np.any(data != np.round(data)):
        return False
    largest = float(np.abs(data).max(initial=0))
    ties = int(np.diff(adjacency.indptr).max(initial=0))
    return largest * ties < 2**53  # a bound on every row's sum of |weight|


def _exposure_type(city: _City) -> type[np.generic]:
    """The exposure's dtype: with non-negative integer weights, exposure is an integer between
    0 and the weighted degree, so the smallest unsigned type that holds the largest degree
    holds it exactly (uint8 for the generated city: an eighth of float64's memory traffic)."""
    if not (city.exact and city.non_negative):
        return np.float64
    largest = city.degree.max(initial=0)
    for dtype in (np.uint8, np.uint16, np.uint32):
        if largest <= np.iinfo(dtype).max:
            return dtype
    return np.float64


class _Reading:
    """A config section that records which of its keys are read (see :class:`_PureMemo`)."""

    def __init__(self, section: object) -> None:
        self._section = section
        self.read: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        self.read.add(name)
        return getattr(self._section, name)


class _PureMemo:
    """Results of one pure function of a behaviour section, keyed on the keys it read.

    Why: members that differ only in keys a function never reads (``union_call`` for the
    thresholds) must share its result — drawing the 1:1 city's thresholds or costs costs ~25 ms
    per member. Which keys a function reads is recorded, not listed by hand, so a new key in
    :mod:`~strikesim.engine.heterogeneity` cannot be missed: a pure function given the same
    values of every key it read (and the same other inputs, ``given``) follows the same path,
    reads the same keys and returns the same result.
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
class _Memos:
    """What members of one chunk share when their inputs are equal."""

    thresholds: _PureMemo = field(default_factory=_PureMemo)
    costs: _PureMemo = field(default_factory=_PureMemo)
    arrays: dict[tuple[Any, ...], np.ndarray] = field(default_factory=dict)

    def array(self, key: tuple[Any, ...], make: Callable[[], np.ndarray]) -> np.ndarray:
        if key not in self.arrays:
            self.arrays[key] = make()
        return self.arrays[key]


@dataclass
class _Member:
    """One member's inputs to the kernel, before the city is narrowed to the people who can act."""

    config: StrikeConfig
    base: np.ndarray  # threshold + cost, float64 per person
    organizers: np.ndarray  # bool per person: committed on day 0
    endorses: np.ndarray  # bool per roster organization
    march_probability: float

    @property
    def days(self) -> int:
        return self.config.scenario.campaign_days

    @classmethod
    def prepare(cls, city: _City, config: StrikeConfig, memos: _Memos) -> _Member:
        """Thresholds, costs and organizers as :class:`StrikeModel` draws them, each from its
        own fresh stream; members whose inputs are equal share the arrays (``memos``)."""
        pop, b = city.population, config.behavior
        endorsers = set(config.coalition.endorsers)
        endorses = np.array([o.org_id in endorsers for o in city.orgs], dtype=bool)
        share, walkouts = config.population.sympathizer_share, config.scenario.school_walkouts
        threshold_key, threshold = memos.thresholds.get(
            (share, walkouts),
            b,
            lambda reading: heterogeneity.draw_thresholds(
                stream(city.seed, "thresholds"), pop.kind, pop.immigrant, reading, share, walkouts
            ),
        )
        cost_key, cost = memos.costs.get(
            (endorses.tobytes(),),
            b,
            lambda reading: heterogeneity.participation_cost(
                pop.kind, pop.sector, pop.union, endorses, city.precarity, reading
            ),
        )
        # the rule's first sum, threshold + cost, as rule.need adds it
        base = memos.array(("base", threshold_key, cost_key), lambda: threshold + cost)
        organizers = memos.array(
            ("organizers", threshold_key, b.activist_share),
            lambda: heterogeneity.draw_organizers(
                stream(city.seed, "activists"), b.activist_share, threshold
            ),
        )
        probability = rule.march_probability(config.weather, config.behavior)
        return cls(config, base, organizers, endorses, float(probability))

    def call_strength(self, org: _Org, channel: str) -> float:
        """The pull of an endorsing organization's call on one channel, as
        ``Organization.call_strengths`` gives it."""
        return org.capacity * getattr(self.config.behavior, f"{channel}_call")

    def endorser_members(self, city: _City) -> tuple[np.ndarray, ...]:
        """Indices each endorsing organization reaches, per channel, as the model's snapshot."""
        return tuple(
            members
            for org, endorses in zip(city.orgs, self.endorses, strict=True)
            if endorses
            for members in org.members.values()
        )


@dataclass
class _Channel:
    """One channel of the organizations' calls over the people S, for every member.

    People reached on this channel by the same set of organizations feel the same pull, so the
    pull is ``table[signature, member]``: a few signatures instead of an S x K array. Each
    table cell is summed over its organizations in roster order, starting from 0.0 — the order
    in which the model adds ``strength[members] += pull`` — so its bits are the model's.
    """

    signature: np.ndarray  # int per person of S
    table: np.ndarray  # float64, signatures x members
    called: np.ndarray  # positions in S with a non-empty signature (someone calls them)

    @classmethod
    def build(
        cls, city: _City, members: list[_Member], people: np.ndarray, channel: str
    ) -> _Channel:
        orgs = [i for i, o in enumerate(city.orgs) if channel in o.members]
        words = np.zeros((len(people), max(1, -(-len(orgs) // 64))), dtype=np.uint64)
        position = np.full(city.size, -1, dtype=np.int64)
        position[people] = np.arange(len(people))
        for j, org in enumerate(orgs):
            pos = position[city.orgs[org].members[channel]]
            words[pos[pos >= 0], j // 64] |= np.uint64(1) << np.uint64(j % 64)
        called = np.flatnonzero(words.any(axis=1))  # everyone else: signature 0, no call
        if words.shape[1] == 1:
            codes, inverse = np.unique(words[called, 0], return_inverse=True)
            codes = codes[:, None]
        else:
            codes, inverse = np.unique(words[called], axis=0, return_inverse=True)
        codes = np.concatenate([np.zeros((1, words.shape[1]), np.uint64), codes])
        signature = np.zeros(len(people), dtype=np.int64)
        signature[called] = inverse.reshape(-1) + 1
        table = np.zeros((len(codes), len(members)))
        for s, code in enumerate(codes):
            in_sig = [org for j, org in enumerate(orgs) if (int(code[j // 64]) >> (j % 64)) & 1]
            for k, member in enumerate(members):
                total = 0.0
                for org in in_sig:
                    if member.endorses[org]:
                        total += member.call_strength(city.orgs[org], channel)
                table[s, k] = total
        return cls(signature=signature, table=table, called=called)


class _Chunk:
    """Up to :data:`CHUNK_SIZE` members stepped together, longest campaign first.

    Arrays: ``committed`` K x N (bool, what the outputs count), and over the people S who can
    ever commit, K x S (rows are members): ``need_s`` (threshold + cost - today's pull,
    float64; +inf once committed, as nothing more is asked of them), ``exposure`` (the smallest
    unsigned integer type that holds every weighted degree when tie weights are integers, else
    float64) and ``committed_s``. ``base_called`` keeps threshold + cost of the people some
    call can reach, from which their need is recomputed when one does.
    """

    def __init__(self, city: _City, configs: list[StrikeConfig], screen: bool) -> None:
        self.city = city
        memos = _Memos()
        members = [_Member.prepare(city, c, memos) for c in configs]
        self.members = members
        k, n = len(members), city.size
        can_act = np.zeros(n, dtype=bool)
        for m in members:
            can_act |= (m.base != np.inf) | m.organizers
        self.people = people = np.flatnonzero(can_act)  # S, as indices into the city
        self.need_s = np.stack([m.base[people] for m in members])  # no pull yet
        self.committed = np.stack([m.organizers for m in members])
        for m in members:  # the full arrays are not needed any more: free them
            m.base = m.organizers = np.empty(0)
        del memos
        self.committed_s = self.committed[:, people]
        self.count = self.committed.sum(axis=1)
        self.degree_s = city.degree[people]
        self.momentum_weight = np.array([m.config.behavior.momentum_weight for m in members])
        self.channels = {c: _Channel.build(city, members, people, c) for c in CHANNELS}
        # threshold + cost of the people a call can reach (a quarter of S in the city): the pull
        # is subtracted from it again whenever a call reaches them
        called = np.unique(np.concatenate([ch.called for ch in self.channels.values()]))
        self.base_called = self.need_s[:, called]
        self.need_s[self.committed_s] = np.inf
        self.called_column = np.full(len(people), -1, dtype=np.int64)
        self.called_column[called] = np.arange(len(called))
        groups: dict[float, list[int]] = {}
        for i, m in enumerate(members):
            groups.setdefault(m.config.behavior.outreach_rate, []).append(i)
        self.rate_groups = [
            (np.array(ks), {c: days[people] for c, days in city.reach_days(rate).items()})
            for rate, ks in groups.items()
        ]
        # the screen's bound needs 0 <= exposure <= degree: no negative tie weights
        self.screen = screen and city.exact and city.non_negative
        self.exposure = np.zeros((k, len(people)), dtype=_exposure_type(city))
        with np.errstate(divide="ignore"):
            self.inverse_degree = np.where(
                self.degree_s > 0, 1.0 / (self.degree_s * (1.0 - rule.RELATIVE_TOLERANCE)), 0.0
            )
        self.margin = self._screen_margin()
        self._update_pull(1, k)  # need_s as of day 1, the first day anyone decides
        if city.exact:
            # row j: the people of S who listen to person j, with the weight of the tie, in the
            # exposure's type (exact: an integer weight is at most the degree)
            self.incoming = sp.csr_array(
                city.network.adjacency[people, :].T, dtype=self.exposure.dtype
            )
            self._add_exposure(*np.nonzero(self.committed))
        self.records: list[list[Row]] = [[] for _ in range(k)]
        self.last_rows: list[list[Row]] = [[] for _ in range(k)]
        self.totals: list[dict[str, float | int]] = [{} for _ in range(k)]
        self.no_one_marching = np.zeros(n, dtype=bool)
        self.endorser_members = [m.endorser_members(city) for m in members]
        self.affiliated = [self._state(i, self.no_one_marching).affiliated for i in range(k)]
        self.only_committed_count = [self._only_committed_count(i) for i in range(k)]
        self.everyone_committed = np.ones(n, dtype=bool)
        # per member, the committed people's columns of the state, grown day by day
        self.committed_columns: list[dict[str, np.ndarray]] = [
            self._columns(i, np.flatnonzero(row)) for i, row in enumerate(self.committed)
        ]

    # --- the kernel -----------------------------------------------------------------------
    def run(self) -> list[EnsembleMember]:
        """Day 0, the campaign days to the longest campaign, each member's strike day."""
        last = [m.days for m in self.members]
        for k in range(len(self.members)):
            self._record(k, 0, changed=True)
        self._finish(0)
        for day in range(1, max(last) + 1):
            active = sum(1 for d in last if d >= day)  # a prefix: sorted longest first
            if day > 1:  # day 1's pull is in need_s from the start
                self._update_pull(day, active)
            momentum = self.momentum_weight[:active] * (self.count[:active] / self.city.size)
            if self.screen:
                member, pos = self._decide_screened(momentum)
            else:
                if not self.city.exact:
                    self._refresh_exposure(active)
                member, pos = self._decide(momentum)
            self.committed_s[member, pos] = True
            self.committed[member, self.people[pos]] = True
            new = np.bincount(member, minlength=len(self.members))
            self.count += new
            self.need_s[member, pos] = np.inf
            if self.city.exact:
                self._add_exposure(member, self.people[pos])
            ends = np.cumsum(new)
            for k in np.flatnonzero(new):
                joined = self._columns(k, self.people[pos[ends[k] - new[k] : ends[k]]])
                columns = self.committed_columns[k]
                for name, values in joined.items():
                    columns[name] = np.concatenate([columns[name], values])
            for k in range(active):
                self._record(k, day, changed=bool(new[k]))
            self._finish(day)
        return [
            EnsembleMember(m.config, self.totals[k], _timeseries(self.records[k]))
            for k, m in enumerate(self.members)
        ]

    def _commits(
        self, need_s: np.ndarray, momentum: np.ndarray, degree: np.ndarray, exposure: np.ndarray
    ) -> np.ndarray:
        """:meth:`StrikeModel.step`'s decision, elementwise: ``need = threshold + cost - pull -
        momentum`` (``need_s`` holds the first three terms, summed left to right as
        :func:`rule.need` sums them), then :func:`rule.need_weight` and :func:`rule.commits` on
        yesterday's exposure (as float64, which holds its integers exactly) — the same float
        operations on the same values, hence the same bits. Momentum is yesterday's committed
        share, ``count / N``, which is exactly ``committed.mean()`` (a float64 sum of ones is an
        exact integer; both divide correctly rounded)."""
        need = need_s - momentum
        return rule.commits(exposure.astype(np.float64), rule.need_weight(need, degree))

    def _decide(self, momentum: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Today's new committers (member, position in S; sorted by member): the rule for
        everyone in S, in blocks of columns so that each block's passes stay in cache."""
        active, n_s = len(momentum), len(self.people)
        width = max(1024, BLOCK_ELEMENTS // max(active, 1))
        member, pos = [], []
        for lo in range(0, n_s, width):
            hi = min(lo + width, n_s)
            hit = self._commits(
                self.need_s[:active, lo:hi],
                momentum[:, None],
                self.degree_s[lo:hi],
                self.exposure[:active, lo:hi],
            )
            k, p = np.nonzero(hit & ~self.committed_s[:active, lo:hi])
            member.append(k)
            pos.append(p + lo)
        hit_member, hit_pos = np.concatenate(member), np.concatenate(pos)
        order = np.argsort(hit_member, kind="stable")  # by member, as the screened kernel's
        return hit_member[order], hit_pos[order]

    def _decide_screened(self, momentum: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Today's new committers: the exact rule (:meth:`_commits`) applied only where the
        screen says an entry might commit.

        The rule commits when ``exposure >= (need_s - m) * degree * c`` with ``c = 1 - 1e-12``
        (:data:`rule.RELATIVE_TOLERANCE`): for degree > 0 when ``need_s - exposure / (degree *
        c) <= m``, for an isolated person when ``need_s <= m``. The screen admits the entries
        with ``need_s - exposure * inverse_degree <= m + margin`` (:meth:`_screen_margin`): three
        passes over two arrays per member instead of the rule's half-dozen over four.
        """
        n_s = len(self.people)
        bound, admitted = np.empty(n_s), np.empty(n_s, dtype=bool)
        reached = []
        for k, m in enumerate(momentum):
            np.multiply(self.exposure[k], self.inverse_degree, out=bound)
            np.subtract(self.need_s[k], bound, out=bound)
            np.less_equal(bound, m + self.margin[k], out=admitted)
            reached.append(np.flatnonzero(admitted))
        member = np.repeat(np.arange(len(momentum)), [len(r) for r in reached])
        pos = np.concatenate(reached)
        hit = self._commits(
            self.need_s[member, pos],
            momentum[member],
            self.degree_s[pos],
            self.exposure[member, pos],
        )
        hit &= ~self.committed_s[member, pos]
        return member[hit], pos[hit]

    def _screen_margin(self) -> np.ndarray:
        """Per member, how far above the momentum the screen looks: ``1e-6 * (1 + |need|)`` for
        the largest finite need the member can have (its largest ``|threshold + cost|`` plus
        every channel's strongest pull).

        Why this makes the screen sound: float rounding moves the rule's boundary — and the
        screen's own arithmetic — by a few 1e-16 times ``|need_s| + exposure / degree``, and
        ``exposure / degree <= 1`` with non-negative weights; the margin is ten orders of
        magnitude wider, so the screen only ever admits too many entries, which the exact rule
        then decides. Committed people and infinite needs have ``need_s = +inf``: never
        admitted. This rests on the rule's form: tests/test_ensemble.py holds the screened
        kernel to the unscreened one and both to :class:`StrikeModel`.
        """
        largest = np.array(  # row by row: small temporaries
            [np.abs(row[np.isfinite(row)]).max(initial=0.0) for row in self.need_s]
        )
        for channel in self.channels.values():
            largest = largest + np.abs(channel.table).max(axis=0)
        return 1e-6 * (1.0 + largest)

    def _update_pull(self, day: int, active: int) -> None:
        """``need_s = threshold + cost - pull(day)`` for the people a call reaches today.

        ``OrganizationCalls.pull`` sums, channel by channel from 0.0, the strength of every call
        that has reached a person; it changes only for people with a reach day equal to today
        on a channel that calls them (on day 1: everyone a channel calls), so only they are
        recomputed — with the model's sum, in the model's order.
        """
        for group, reach_s in self.rate_groups:
            group = group[group < active]
            if not len(group):
                continue
            today = [
                ch.called if day == 1 else ch.called[reach_s[c][ch.called] == day]
                for c, ch in self.channels.items()
            ]
            changed = np.unique(np.concatenate(today))
            contiguous = group[-1] - group[0] + 1 == len(group)
            rows = slice(group[0], group[-1] + 1) if contiguous else group[:, None]
            tables = {c: ch.table[:, group] for c, ch in self.channels.items()}
            width = max(256, BLOCK_ELEMENTS // len(group))  # small temporaries: no page faults
            for lo in range(0, len(changed), width):
                pos = changed[lo : lo + width]
                pull = np.zeros((len(group), len(pos)))
                for c, ch in self.channels.items():
                    strength = tables[c][ch.signature[pos]].T
                    pull += np.where(reach_s[c][pos] <= day, strength, 0.0)
                need_s = self.base_called[rows, self.called_column[pos]] - pull
                need_s[self.committed_s[rows, pos]] = np.inf
                self.need_s[rows, pos] = need_s

    def _add_exposure(self, member: np.ndarray, person: np.ndarray) -> None:
        """``exposure[k, s] += A[S[s], j]`` for each member k's newly committed people j.

        The CSR rows of ``incoming`` for the new people come in one scipy gather, and each
        member's are added to its row of ``exposure`` with ``np.add.at`` — in the exposure's
        integer type, so exactly: integer weights, integer sums, each at most the degree.
        """
        if not len(member):
            return
        rows = self.incoming[person]  # member is sorted
        weight = rows.data
        ends = np.searchsorted(member, np.arange(len(self.members)), side="right")
        start = 0
        for k, end in enumerate(ends):
            if end > start:
                lo, hi = rows.indptr[start], rows.indptr[end]
                np.add.at(self.exposure[k], rows.indices[lo:hi], weight[lo:hi])
            start = end

    def _refresh_exposure(self, active: int) -> None:
        """Non-integer weights: the model's own full product, member by member, every day."""
        for k in range(active):
            self.exposure[k] = self.city.network.exposure(self.committed[k])[self.people]

    # --- outputs ------------------------------------------------------------------------------
    def _state(self, k: int, marching: np.ndarray) -> outputs.State:
        """Member k's arrays as :meth:`StrikeModel.snapshot` gives them."""
        pop = self.city.population
        return outputs.State(
            kind=pop.kind,
            union=pop.union,
            committed=self.committed[k],
            marching=marching,
            endorser_members=self.endorser_members[k],
            march_probability=self.members[k].march_probability,
            scale=pop.scale,
        )

    def _columns(self, k: int, people: np.ndarray) -> dict[str, np.ndarray]:
        """What member k's state says of these people: type, union, reached by an endorser."""
        pop = self.city.population
        return {
            "kind": pop.kind[people],
            "union": pop.union[people],
            "affiliated": self.affiliated[k][people],
        }

    def _committed_state(self, k: int) -> outputs.State:
        """Member k's campaign-day state restricted to the people committed so far."""
        columns = self.committed_columns[k]
        count = len(columns["kind"])
        return outputs.State(
            kind=columns["kind"],
            union=columns["union"],
            committed=self.everyone_committed[:count],
            marching=self.no_one_marching[:count],
            endorser_members=(np.flatnonzero(columns["affiliated"]),),
            march_probability=self.members[k].march_probability,
            scale=self.city.population.scale,
        )

    def _only_committed_count(self, k: int) -> bool:
        """Do member k's campaign rows count committed people only?

        Every output selects people by a mask over the state's arrays, so its count adds up
        over any split of the people. Split a campaign day into the committed and the rest:
        the rest are the people of a state in which nobody is committed. If that state's rows
        are all zero, a day's rows are the rows of the committed alone — a few thousand people
        instead of the whole city (:meth:`_committed_state`) — else the whole state is counted.
        """
        nobody = replace(self._state(k, self.no_one_marching), committed=self.no_one_marching)
        rows = outputs.timeseries_rows(nobody, 0, outputs.CAMPAIGN)
        return all(row[-1] == 0 for row in rows)

    def _record(self, k: int, day: int, changed: bool) -> None:
        """Member k's campaign rows for ``day``. A day on which nobody new committed repeats the
        previous day's rows with the new day: the state they are counted from is the same."""
        if changed:
            state = (
                self._committed_state(k)
                if self.only_committed_count[k]
                else self._state(k, self.no_one_marching)
            )
            rows = outputs.timeseries_rows(state, day, outputs.CAMPAIGN)
        else:
            rows = [(day, *row[1:]) for row in self.last_rows[k]]
        self.last_rows[k] = rows
        self.records[k] += rows

    def _finish(self, day: int) -> None:
        """The strike day (:meth:`StrikeModel._strike_day`) of each member whose campaign ends
        on ``day``: committed people march when their shared draw is below their chance."""
        for k, m in enumerate(self.members):
            if m.days != day:
                continue
            marching = self.committed[k] & (self.city.march_draw < m.march_probability)
            state = self._state(k, marching)
            self.records[k] += outputs.timeseries_rows(state, day + 1, outputs.STRIKE_DAY)
            self.totals[k] = outputs.totals(state)


def _timeseries(records: list[Row]) -> pd.DataFrame:
    """The rows as :meth:`StrikeModel.timeseries` frames them (same columns and dtypes)."""
    return pd.DataFrame(records, columns=["day", "phase", "agent_type", "form", "people"]).astype(
        {"day": "int32", "people": "float64"}
    )
