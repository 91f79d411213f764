"""The synthetic population: one row per agent, stored as numpy arrays (a struct of arrays).

Why arrays and not agent attributes: the step kernel reads every agent's state at once
(DESIGN.md, "Agents and scale"); Mesa agents in ``strikesim.agents`` are thin views onto a row.

People are laid out in household order, so that neighbouring indices are neighbours in the city:
the friendship layer of :mod:`strikesim.engine.network` builds its clustered ring over this order.
In a metro population the places (``scenarios/data/places.csv``) are consecutive blocks of that
order, so households, friends' rings, classes and congregations stay inside one place, while
workplaces span the metro (people commute).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

import numpy as np

from strikesim import scenarios
from strikesim.config import NetworkConfig, PopulationConfig

KINDS = ("worker", "k12", "university", "resident")
WORKER, K12, UNIVERSITY, RESIDENT = range(len(KINDS))
NONE = -1  # "no sector / union / group" in the integer id arrays
CITY = 0  # row of Minneapolis in scenarios.places()

Catchment = Literal["city", "metro"]
"""Where the population lives: ``city`` (everyone in Minneapolis) or ``metro`` (the seven
counties of ``places.csv``, in proportion to their 2020 census populations)."""


@dataclass
class Population:
    """Everyone in the city, one row per agent; each agent stands for ``scale`` people."""

    kind: np.ndarray  # int8, index into KINDS
    sector: np.ndarray  # int16, index into sectors() rows, NONE for non-workers
    union: np.ndarray  # int16, index into the organization roster, NONE for non-members
    faith_org: np.ndarray  # int16, roster index of the congregation's faith group, or NONE
    immigrant: np.ndarray  # bool
    household: np.ndarray  # int32
    workplace: np.ndarray  # int32, NONE for non-workers
    school_class: np.ndarray  # int32, class or course group; NONE for non-students
    congregation: np.ndarray  # int32, NONE for people without a congregation
    place: np.ndarray  # int16, row of scenarios.places() the person lives in (CITY = Minneapolis)
    distance_km: np.ndarray  # float32, the place's mean_distance_km (a typical trip downtown)
    scale: int = 1

    @property
    def size(self) -> int:
        """Agents (rows), not people: people are ``size * scale`` (see :meth:`count`)."""
        return len(self.kind)

    def count(self, mask: np.ndarray) -> int:
        """People (not agents) in a boolean selection."""
        return int(np.count_nonzero(mask)) * self.scale


def _grouped(rng: np.random.Generator, members: np.ndarray, mean_size: float, n: int) -> np.ndarray:
    """Assign the selected members at random to groups of about ``mean_size`` people."""
    out = np.full(n, NONE, dtype=np.int32)
    count = int(members.sum())
    if count:
        n_groups = max(1, round(count / mean_size))
        out[members] = rng.integers(0, n_groups, size=count, dtype=np.int32)
    return out


def _grouped_by_place(
    rng: np.random.Generator, members: np.ndarray, mean_size: float, place: np.ndarray
) -> np.ndarray:
    """:func:`_grouped` within each place: a class or a congregation is near home.

    One place (the city) is one call to :func:`_grouped`, so the city's draws are those of a
    population without places.
    """
    n = len(members)
    out = np.full(n, NONE, dtype=np.int32)
    offset = 0
    for p in np.unique(place[members]):
        ids = _grouped(rng, members & (place == p), mean_size, n)
        out[ids >= 0] = ids[ids >= 0] + offset
        offset = int(out.max()) + 1
    return out


def _household_ids(rng: np.random.Generator, n: int, mean_size: float) -> np.ndarray:
    """Households of 1 + Poisson(mean - 1) people, consecutive in index order."""
    sizes = 1 + rng.poisson(mean_size - 1, size=int(n / mean_size * 1.2) + 16)
    while sizes.sum() < n:  # rare: top up the draw
        sizes = np.concatenate([sizes, 1 + rng.poisson(mean_size - 1, size=len(sizes))])
    return np.repeat(np.arange(len(sizes), dtype=np.int32), sizes)[:n]


def _households_by_place(
    rng: np.random.Generator, place: np.ndarray, mean_size: float
) -> np.ndarray:
    """:func:`_household_ids` for each run of consecutive people in one place: no household
    spans two places. The city (one run) makes exactly one call, as without places."""
    starts = np.concatenate([[0], np.flatnonzero(np.diff(place)) + 1, [len(place)]])
    runs = [_household_ids(rng, int(b - a), mean_size) for a, b in itertools.pairwise(starts)]
    offsets = np.cumsum([0] + [int(r.max()) + 1 for r in runs[:-1]])
    return np.concatenate([r + o for r, o in zip(runs, offsets, strict=True)]).astype(np.int32)


def lay_out_places(n: int, catchment: Catchment) -> np.ndarray:
    """Each person's place: consecutive blocks in ``places.csv`` order, sized by population.

    The metro's block sizes are the places' 2020 census shares of ``n``, rounded by largest
    remainder so that they sum to ``n``: every place gets its share up to one person, with no
    sampling noise and no random draw (the city's draws are unchanged by having places).
    Blocks are consecutive because people are in household order: the friendship ring and the
    households then stay inside a place.
    """
    if catchment == "city":
        return np.full(n, CITY, np.int16)
    population = scenarios.places()["population"].to_numpy(float)
    quota = n * population / population.sum()
    counts = np.floor(quota).astype(np.int64)
    counts[np.argsort(counts - quota)[: n - counts.sum()]] += 1  # largest remainders
    return np.repeat(np.arange(len(counts), dtype=np.int16), counts)


def draw_kinds(rng: np.random.Generator, n: int, cfg: PopulationConfig) -> np.ndarray:
    """Exact counts of each kind from the config shares, in random household positions."""
    counts = [
        round(n * cfg.worker_share),
        round(n * cfg.k12_share),
        round(n * cfg.university_share),
    ]
    counts.append(n - sum(counts))
    kind = np.repeat(np.arange(len(KINDS), dtype=np.int8), counts)
    return rng.permutation(kind)


def draw_sectors(
    rng: np.random.Generator, kind: np.ndarray, sector: np.ndarray | None = None
) -> np.ndarray:
    """Sector for each worker, by the sector shares; a given ``sector`` is kept where set (>= 0),
    so the attributes of a user-supplied graph win over the generator."""
    table = scenarios.sectors()
    workers = kind == WORKER
    sector = np.full(len(kind), NONE, np.int16) if sector is None else sector.astype(np.int16)
    missing = workers & (sector < 0)
    shares = table["share_of_workers"].to_numpy(float)
    sector[missing] = rng.choice(len(table), size=int(missing.sum()), p=shares / shares.sum())
    sector[~workers] = NONE
    return sector


def draw_workplaces(rng: np.random.Generator, sector: np.ndarray, mean_size: float) -> np.ndarray:
    """Workplaces of about ``mean_size`` workers; a workplace never spans sectors."""
    n = len(sector)
    workplace = np.full(n, NONE, np.int32)
    offset = 0
    for s in np.unique(sector[sector >= 0]):
        ids = _grouped(rng, sector == s, mean_size, n)
        workplace[ids >= 0] = ids[ids >= 0] + offset
        offset = int(workplace.max()) + 1
    return workplace


RESIDUAL_LOCAL = "other_affiliates"
"""The roster row that holds a sector's union members not in a named local: the federation's other
affiliated locals (``organizations.csv``)."""


def local_rates(sector: np.ndarray) -> dict[int, list[tuple[str, float]]]:
    """Per sector, each local's share of the sector's workers: (local id, rate) pairs.

    A local with a reported membership count (``organizations.csv``) gets exactly its members:
    the count spread over the population it covers (:func:`strikesim.scenarios.
    members_in_population`) divided by the sector's workers in ``sector``. The sector's
    ``union_rate`` (``sectors.csv``, from BLS rates) is the share of its workers in any union; what
    the counted locals leave of it goes to its locals without a count, by their ``unions`` shares,
    or to :data:`RESIDUAL_LOCAL` when all its locals are counted. Why counts first: the roster's
    locals differ in size by a factor of ten, and a call reaches a local's members, so a local
    sized by a guessed sector share would call twice its members (SEIU Local 26, UNITE HERE 17)
    or half of them. Counted locals together never exceed the sector's workers.
    """
    table = scenarios.sectors()
    n = len(sector)
    rates = {}
    for s, row in table.iterrows():
        workers = int(np.count_nonzero(sector == s))
        pairs = scenarios.sector_unions(row)
        counted = {}
        for name, _ in pairs:
            members = scenarios.members_in_population(name, n)
            if members is not None:
                counted[name] = members / workers if workers else 0.0
        total = sum(counted.values())
        if total > 1.0:
            counted = {name: rate / total for name, rate in counted.items()}
        left = max(0.0, float(row["union_rate"]) - sum(counted.values()))
        uncounted = [(name, share) for name, share in pairs if name not in counted]
        if not uncounted:
            uncounted = [(RESIDUAL_LOCAL, 1.0)]
        weight = sum(share for _, share in uncounted)
        rates[int(s)] = [*counted.items()] + [
            (name, left * share / weight) for name, share in uncounted
        ]
    return rates


def unionize_workplaces(
    rng: np.random.Generator, sector: np.ndarray, workplace: np.ndarray
) -> np.ndarray:
    """Union membership as a property of workplaces: each one a bargaining unit or not.

    Members of a local work together (a local represents bargaining units, and a unit is a
    workplace), so a union call reaches whole workplaces, not scattered individuals. Each
    workplace of sector ``s`` belongs to local ``l`` with probability ``l``'s rate in ``s``
    (:func:`local_rates`; one uniform per workplace) and everyone in it to that local. The chance
    does not depend on the workplace's size, so a local's expected members are its rate times
    its sector's workers.
    """
    org_index = {name: i for i, name in enumerate(scenarios.organization_ids())}
    n_workplaces = max(int(workplace.max(initial=NONE)) + 1, 1)  # >= 1: indexable when empty
    draws = rng.random(n_workplaces)
    local = np.full(n_workplaces, NONE, np.int16)  # the local of each workplace, or NONE
    workplace_sector = np.full(n_workplaces, NONE, np.int16)
    has_job = workplace >= 0
    workplace_sector[workplace[has_job]] = sector[has_job]
    for s, pairs in local_rates(sector).items():
        in_sector = workplace_sector == s
        cum = 0.0
        for name, rate in pairs:
            lo, cum = cum, cum + rate
            local[in_sector & (draws >= lo) & (draws < cum)] = org_index[name]
    return np.where(has_job, local[np.maximum(workplace, 0)], NONE).astype(np.int16)


def immigrant_chance(immigrant_share: float, place: np.ndarray) -> np.ndarray:
    """Each person's chance to be foreign-born: ``immigrant_share`` spread over places in
    proportion to their ACS shares (``places.csv`` ``foreign_born_share``).

    ``p_i = immigrant_share * f_place(i) / mean_i f_place(i)``: the population's share stays the
    configured one (so ``population.immigrant_share`` still sets it), and where people live sets
    who: St. Paul's Ramsey County (15.8%) has three times Carver's (5.3%). In the city (one
    place) everyone's chance is ``immigrant_share``.
    """
    share = scenarios.places()["foreign_born_share"].to_numpy(float)[place]
    return np.minimum(immigrant_share * share / share.mean(), 1.0) if len(place) else share


def draw_faith(
    rng: np.random.Generator,
    n: int,
    cfg: PopulationConfig,
    congregation_size: float,
    place: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Congregation membership (within each place) and each congregation's faith group (or none)."""
    congregation = _grouped_by_place(
        rng, rng.random(n) < cfg.congregant_share, congregation_size, place
    )
    faith = [
        (i, r.congregation_share) for i, r in enumerate(scenarios.roster()) if r.kind == "faith"
    ]
    n_cong = int(congregation.max()) + 1
    affiliation = np.full(max(n_cong, 1), NONE, np.int16)
    u = rng.random(len(affiliation))
    cum = 0.0
    for idx, share in faith:
        affiliation[(u >= cum) & (u < cum + share)] = idx
        cum += share
    faith_org = np.where(congregation >= 0, affiliation[np.maximum(congregation, 0)], NONE)
    return congregation, faith_org.astype(np.int16)


def build_population(
    cfg: PopulationConfig,
    groups: NetworkConfig,
    rng: np.random.Generator,
    *,
    catchment: Catchment = "city",
) -> Population:
    """Draw the synthetic city (or metro): ``cfg.size / cfg.scale`` agents with the configured
    shares, living in the places of ``catchment`` (see :func:`lay_out_places`).

    ``groups`` supplies the mean sizes of workplaces, classes and congregations.
    """
    n = cfg.size // cfg.scale
    kind = draw_kinds(rng, n, cfg)
    return complete_population(rng, kind, cfg, groups, place=lay_out_places(n, catchment))


def complete_population(
    rng: np.random.Generator,
    kind: np.ndarray,
    cfg: PopulationConfig,
    groups: NetworkConfig,
    *,
    sector: np.ndarray | None = None,
    union: np.ndarray | None = None,
    immigrant: np.ndarray | None = None,
    place: np.ndarray | None = None,
) -> Population:
    """Fill in every attribute not given, for generated people and user-supplied graphs alike.

    A given ``union`` array is kept whole; otherwise membership follows workplaces
    (:func:`unionize_workplaces`). ``place`` holds rows of ``scenarios.places()``; people
    without one (``None``, or NONE entries, as for a graph without a ``place`` attribute) live in
    Minneapolis.
    """
    n = len(kind)
    place = np.full(n, CITY, np.int16) if place is None else place.astype(np.int16)
    place[place < 0] = CITY
    sector = draw_sectors(rng, kind, sector)
    drawn_immigrant = rng.random(n) < immigrant_chance(cfg.immigrant_share, place)
    immigrant = drawn_immigrant if immigrant is None else immigrant.astype(bool)
    workplace = draw_workplaces(rng, sector, groups.workplace_size)
    union = unionize_workplaces(rng, sector, workplace) if union is None else union.astype(np.int16)
    k12 = _grouped_by_place(rng, kind == K12, groups.class_size, place)
    university = _grouped_by_place(rng, kind == UNIVERSITY, groups.class_size, place)
    school_class = np.where(university >= 0, university + k12.max() + 1, k12).astype(np.int32)
    congregation, faith_org = draw_faith(rng, n, cfg, groups.congregation_size, place)
    distance = scenarios.places()["mean_distance_km"].to_numpy(np.float32)
    return Population(
        kind=kind.astype(np.int8),
        sector=sector,
        union=union,
        faith_org=faith_org,
        immigrant=immigrant,
        household=_households_by_place(rng, place, cfg.household_size),
        workplace=workplace,
        school_class=school_class,
        congregation=congregation,
        place=place,
        distance_km=distance[place],
        scale=cfg.scale,
    )
