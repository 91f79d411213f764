"""Who differs from whom before the campaign starts: the science of the model's initial state.

The decision rule (:mod:`strikesim.engine.rule`) says what a person does with a threshold, a cost
and the calls that reach them; this module says how those are drawn or built:

- :func:`draw_thresholds` — each person's threshold (Granovetter 1978; Watts 2002);
- :func:`participation_cost` — what striking or walking out costs each person;
- :func:`draw_organizers` — who is committed before the campaign starts;
- :func:`reach_channels` / :func:`roster_members` — whom an organization of the roster reaches,
  and through which channel (bloc recruitment: Oberschall 1973; McAdam 1986);
- :func:`outreach_days` — the day an organization's call first reaches each person.

Why pure functions: each takes arrays, config values and (when it draws) a random generator,
and returns arrays, so it can be read against its equation, tested on a handful of people and
reused by other models, without building a city. :class:`strikesim.engine.model.StrikeModel`
calls them in a fixed order, each with its own named random stream (:mod:`strikesim.streams`),
so the drawn values are identical whoever calls them with the same generator.

Kinds are the integer codes of :data:`strikesim.engine.population.KINDS`.
"""

from __future__ import annotations

import numpy as np

from strikesim.config import BehaviorConfig
from strikesim.engine.population import K12, UNIVERSITY, WORKER

CHANNELS = ("union", "federation", "school", "faith")
"""The ways an organization's call reaches a person; each has its own pull
(``behavior.<channel>_call``) and its own outreach days."""

NEVER = np.iinfo(np.int32).max
"""Reach day of someone no call ever reaches (outreach rate 0)."""

REACH_CHANNEL = {
    "members": "union",
    "k12": "school",
    "union_members": "federation",
    "congregants": "faith",
}
"""Roster ``reaches`` token -> channel: a union reaches its own ``members``, an educators' union
also ``k12`` students, a federation every ``union_members`` in the city, a faith group the
``congregants`` of its affiliated congregations. ``none`` reaches no one (an organization whose
members are outside the synthetic city)."""


def draw_thresholds(
    rng: np.random.Generator,
    kind: np.ndarray,
    immigrant: np.ndarray,
    behavior: BehaviorConfig,
    sympathizer_share: float,
    school_walkouts: bool,
) -> np.ndarray:
    """Each person's threshold: the weighted share of committed contacts they need to commit.

    For person *i*, with ``z_i ~ Normal(threshold_mean, threshold_sd)``::

        theta_i = clip(z_i, 0, 1) + immigrant_threshold_shift * [i foreign-born]
                                  + kind_shift(i)          (k12_ / university_threshold_shift)
        theta_i = +inf  if i is not a sympathizer (probability 1 - sympathizer_share),
                        or is a K-12 or university student and ``school_walkouts`` is false

    Granovetter (1978, AJS 83(6):1420-1443): collective behaviour follows from the distribution
    of individual thresholds (his worked example is a normal distribution); Watts (2002, PNAS
    99(9):5766-5771): the threshold is a *fraction* of one's contacts. Klandermans & Oegema
    (1987, ASR 52(4)): most of a population is never mobilizable — the non-sympathizers, who
    never commit. The shifts are estimates ([est], ``conf/behavior/default.yaml``): lower for
    foreign-born residents, whose communities the raids target, and for university students.

    Why the clip comes before the shifts: that is how every recorded number was drawn. It means
    a threshold can fall below 0 (a person who commits on day 1 without exposure or call — the
    2026-11 review counts ~3,000 in the city, more than the organizers) or above 1.

    Draws, in this order: one uniform per person (sympathizer), one normal per person.
    """
    b = behavior
    n = len(kind)
    sympathizer = rng.random(n) < sympathizer_share
    threshold = rng.normal(b.threshold_mean, b.threshold_sd, size=n)
    threshold = np.clip(threshold, 0.0, 1.0)
    threshold += np.where(immigrant, b.immigrant_threshold_shift, 0.0)
    shift = {K12: b.k12_threshold_shift, UNIVERSITY: b.university_threshold_shift}
    for k, delta in shift.items():
        threshold[kind == k] += delta
    threshold[~sympathizer] = np.inf
    if not school_walkouts:
        threshold[(kind == K12) | (kind == UNIVERSITY)] = np.inf
    return threshold


def participation_cost(
    kind: np.ndarray,
    sector: np.ndarray,
    union: np.ndarray,
    endorsing: np.ndarray,
    precarity: np.ndarray,
    behavior: BehaviorConfig,
) -> np.ndarray:
    """What joining costs each person, in threshold units (added to the threshold by the rule).

    ::

        cost_i = job_risk_weight * precarity[sector_i]
                 * (1 - union_protection * [i belongs to an endorsing union])   (workers)
        cost_i = student_cost                                  (K-12 and university students)
        cost_i = 0                                             (other residents)

    ``endorsing[u]`` tells whether roster organization ``u`` endorses; ``union`` and ``sector``
    index the roster and the sector table (-1: none); ``precarity`` is per sector
    (``scenarios/data/sectors.csv``, [est]). Risk weighs against grievance in the decision to
    join (Epstein 2002, PNAS 99 suppl. 3:7243-7250). An endorsement is not a strike order and many
    contracts have no-strike clauses (American Prospect, 22 Jan 2026): a member of an endorsing
    union is protected only in part (``union_protection`` [est]; the 2026-11 review notes that the
    clauses argue for *less* protection). The weights are estimates ([est]).
    """
    b = behavior
    cost = np.zeros(len(kind))
    workers = kind == WORKER
    protected = (union >= 0) & endorsing[np.maximum(union, 0)]
    risk = b.job_risk_weight * precarity[np.maximum(sector, 0)]
    risk *= np.where(protected, 1.0 - b.union_protection, 1.0)
    cost[workers] = risk[workers]
    cost[(kind == K12) | (kind == UNIVERSITY)] = b.student_cost
    return cost


def draw_organizers(
    rng: np.random.Generator, activist_share: float, threshold: np.ndarray
) -> np.ndarray:
    """Who is committed on day 0: ``u_i < activist_share`` among those who may ever join.

    The organizers who called the strike are committed before the campaign; a person with an
    infinite threshold (not a sympathizer, or a student when walkouts are off) is never one.
    ``activist_share`` is an estimate ([est]). Draws one uniform per person.
    """
    return (rng.random(len(threshold)) < activist_share) & np.isfinite(threshold)


def reach_channels(reaches: str) -> tuple[str, ...]:
    """The channels named by a roster ``reaches`` cell such as ``"members+k12"``, in
    :data:`CHANNELS` order (``"none"``: no channel).

    Raises ValueError on a token that is not in :data:`REACH_CHANNEL`, so a typo in the roster
    cannot silently leave an organization's members uncalled.
    """
    tokens = {t.strip() for t in str(reaches).split("+")} - {"none"}
    unknown = sorted(tokens - set(REACH_CHANNEL))
    if unknown:
        allowed = ", ".join([*REACH_CHANNEL, "none"])
        raise ValueError(f"roster reaches {unknown[0]!r} is unknown; allowed: {allowed}")
    named = {REACH_CHANNEL[t] for t in tokens}
    return tuple(c for c in CHANNELS if c in named)


def roster_members(
    reaches: str,
    org_index: int,
    kind: np.ndarray,
    union: np.ndarray,
    faith_org: np.ndarray,
) -> dict[str, np.ndarray]:
    """Channel -> indices of the people roster organization ``org_index`` reaches that way.

    Bloc recruitment runs through the groups people already belong to (Oberschall 1973; McAdam
    1986, AJS 92(1):64-90): a union calls its members (``union == org_index``), an educators'
    union also every K-12 student, a federation every union member in the city, a faith group the
    people of its affiliated congregations (``faith_org == org_index``).
    """
    everyone = {
        "union": lambda: np.flatnonzero(union == org_index),
        "school": lambda: np.flatnonzero(kind == K12),
        "federation": lambda: np.flatnonzero(union >= 0),
        "faith": lambda: np.flatnonzero(faith_org == org_index),
    }
    return {channel: everyone[channel]() for channel in reach_channels(reaches)}


def outreach_days(
    rng: np.random.Generator, rate: float, n: int, channels: tuple[str, ...] = CHANNELS
) -> dict[str, np.ndarray]:
    """Per channel, the day (1, 2, ...) a call first reaches each person: Geometric(``rate``).

    Each day a not-yet-reached member is reached with probability ``outreach_rate`` ([est]);
    being asked is the strongest predictor of taking part (Schussman & Soule 2005, Social Forces
    84(2):1083-1108). Days are drawn for everyone on every channel, whoever endorses, so that
    coalitions that differ by one endorser share every other draw (common random numbers). A
    rate of 0 means no call ever arrives (:data:`NEVER`). Draws ``n`` geometrics per channel, in
    ``channels`` order.
    """
    reach_day = {}
    for c in channels:
        days = rng.geometric(rate, size=n) if rate > 0 else np.full(n, NEVER)
        reach_day[c] = np.minimum(days, NEVER).astype(np.int32)
    return reach_day
