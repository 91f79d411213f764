"""The synthetic population: one row per agent, stored as numpy arrays (a struct of arrays).

Why arrays and not agent attributes: the step kernel reads every agent's state at once
(DESIGN.md, "Agents and scale"); Mesa agents in ``strikesim.agents`` are thin views onto a row.

People are laid out in household order, so that neighbouring indices are neighbours in the city:
the friendship layer of :mod:`strikesim.engine.network` builds its clustered ring over this order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from strikesim import scenarios
from strikesim.config import NetworkConfig, PopulationConfig

KINDS = ("worker", "k12", "university", "resident")
WORKER, K12, UNIVERSITY, RESIDENT = range(len(KINDS))
NONE = -1  # "no sector / union / group" in the integer id arrays


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


def _household_ids(rng: np.random.Generator, n: int, mean_size: float) -> np.ndarray:
    """Households of 1 + Poisson(mean - 1) people, consecutive in index order."""
    sizes = 1 + rng.poisson(mean_size - 1, size=int(n / mean_size * 1.2) + 16)
    while sizes.sum() < n:  # rare: top up the draw
        sizes = np.concatenate([sizes, 1 + rng.poisson(mean_size - 1, size=len(sizes))])
    return np.repeat(np.arange(len(sizes), dtype=np.int32), sizes)[:n]


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


def draw_memberships(
    rng: np.random.Generator,
    kind: np.ndarray,
    cfg: PopulationConfig,
    *,
    sector: np.ndarray | None = None,
    union: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Sector for each worker (by sector shares) and union membership (by sector union rates).

    A given ``sector`` is kept where set (>= 0) and a given ``union`` array is kept whole, so the
    attributes of a user-supplied graph win over the generator.
    """
    table = scenarios.sectors()
    org_index = {name: i for i, name in enumerate(scenarios.organization_ids())}
    n = len(kind)
    workers = kind == WORKER
    sector = np.full(n, NONE, np.int16) if sector is None else sector.astype(np.int16)
    missing = workers & (sector < 0)
    shares = table["share_of_workers"].to_numpy(float)
    sector[missing] = rng.choice(len(table), size=int(missing.sum()), p=shares / shares.sum())
    sector[~workers] = NONE

    if union is not None:
        return sector, union.astype(np.int16)
    draws = rng.random(n)  # one uniform per person: membership, then which union
    union = np.full(n, NONE, np.int16)
    for s, row in table.iterrows():
        member = workers & (sector == s) & (draws < row["union_rate"])
        cum = 0.0
        for name, share in scenarios.sector_unions(row):
            lo, cum = cum, cum + share * row["union_rate"]
            union[member & (draws >= lo) & (draws < cum)] = org_index[name]
    return sector, union


def draw_faith(
    rng: np.random.Generator, n: int, cfg: PopulationConfig, congregation_size: float
) -> tuple[np.ndarray, np.ndarray]:
    """Congregation membership and each congregation's affiliated faith group (or none)."""
    congregation = _grouped(rng, rng.random(n) < cfg.congregant_share, congregation_size, n)
    orgs = scenarios.organizations()
    faith = orgs[orgs["kind"] == "faith"]
    n_cong = int(congregation.max()) + 1
    affiliation = np.full(max(n_cong, 1), NONE, np.int16)
    u = rng.random(len(affiliation))
    cum = 0.0
    for idx, share in zip(faith.index, faith["congregation_share"], strict=True):
        affiliation[(u >= cum) & (u < cum + share)] = idx
        cum += share
    faith_org = np.where(congregation >= 0, affiliation[np.maximum(congregation, 0)], NONE)
    return congregation, faith_org.astype(np.int16)


def build_population(
    cfg: PopulationConfig, groups: NetworkConfig, rng: np.random.Generator
) -> Population:
    """Draw the synthetic city: ``cfg.size / cfg.scale`` agents with the configured shares.

    ``groups`` supplies the mean sizes of workplaces, classes and congregations.
    """
    return complete_population(rng, draw_kinds(rng, cfg.size // cfg.scale, cfg), cfg, groups)


def complete_population(
    rng: np.random.Generator,
    kind: np.ndarray,
    cfg: PopulationConfig,
    groups: NetworkConfig,
    *,
    sector: np.ndarray | None = None,
    union: np.ndarray | None = None,
    immigrant: np.ndarray | None = None,
) -> Population:
    """Fill in every attribute not given, for generated people and user-supplied graphs alike."""
    n = len(kind)
    sector, union = draw_memberships(rng, kind, cfg, sector=sector, union=union)
    drawn_immigrant = rng.random(n) < cfg.immigrant_share
    immigrant = drawn_immigrant if immigrant is None else immigrant.astype(bool)
    workplace = np.full(n, NONE, np.int32)
    offset = 0
    for s in np.unique(sector[sector >= 0]):  # workplaces never span sectors
        ids = _grouped(rng, sector == s, groups.workplace_size, n)
        workplace[ids >= 0] = ids[ids >= 0] + offset
        offset = int(workplace.max()) + 1
    k12 = _grouped(rng, kind == K12, groups.class_size, n)
    university = _grouped(rng, kind == UNIVERSITY, groups.class_size, n)
    school_class = np.where(university >= 0, university + k12.max() + 1, k12).astype(np.int32)
    congregation, faith_org = draw_faith(rng, n, cfg, groups.congregation_size)
    return Population(
        kind=kind.astype(np.int8),
        sector=sector,
        union=union,
        faith_org=faith_org,
        immigrant=immigrant,
        household=_household_ids(rng, n, cfg.household_size),
        workplace=workplace,
        school_class=school_class,
        congregation=congregation,
        scale=cfg.scale,
    )
