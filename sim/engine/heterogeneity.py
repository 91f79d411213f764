"""Who differs from whom before the campaign starts: the science of the model's initial state.

The decision rule (:mod:`strikesim.engine.rule`) says what a person does with a threshold and
the calls that reach them; this module says how those are drawn or built:

- :func:`draw_thresholds` — each person's threshold (Granovetter 1978; Watts 2002);
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
from strikesim.engine.population import K12, UNIVERSITY

CHANNELS = ("union", "federation", "school", "faith", "campus", "community", "civic")
"""The ways an organization's call reaches a person; each has its own pull
(``behavior.<channel>_call``) and its own outreach days."""

NEVER = np.iinfo(np.int32).max
"""Reach day of someone no call ever reaches (outreach rate 0)."""

REACH_CHANNEL = {
    "members": "union",
    "k12": "school",
    "union_members": "federation",
    "congregants": "faith",
    "university": "campus",
    "immigrants": "community",
    "residents": "civic",
}
"""Roster ``reaches`` token -> channel: a union reaches its own ``members``, an educators' union
also ``k12`` students, a federation every ``union_members`` in the city, a faith group the
``congregants`` of its affiliated congregations. ``none`` reaches no one (an organization whose
members are outside the synthetic city). A student association reaches ``university`` students,
an immigrant-rights or community organization ``immigrants`` (foreign-born residents), a public
endorsement such as the City Council's all ``residents`` of Minneapolis."""


def beta_parameters(mean: float, sd: float) -> tuple[float, float]:
    """The Beta distribution's (alpha, beta) with this mean and standard deviation.

    ``alpha = m * nu``, ``beta = (1 - m) * nu`` with ``nu = m (1 - m) / sd**2 - 1``; it exists
    when ``sd < sqrt(m (1 - m))``, which :func:`strikesim.config.validate` checks.
    """
    nu = mean * (1.0 - mean) / sd**2 - 1.0
    return mean * nu, (1.0 - mean) * nu


def draw_thresholds(
    rng: np.random.Generator,
    kind: np.ndarray,
    immigrant: np.ndarray,
    behavior: BehaviorConfig,
    sympathizer_share: float,
    school_walkouts: bool,
) -> np.ndarray:
    """Each person's threshold: the weighted share of committed contacts they need to commit.

    For person *i* in group *g* (foreign-born, university, K-12 or anyone else)::

        theta_i ~ Beta with mean  threshold_mean + shift_g  and sd  threshold_sd
        theta_i = +inf  if i is not a sympathizer (probability 1 - sympathizer_share),
                        or is a K-12 or university student and ``school_walkouts`` is false

    ``shift_g`` is ``immigrant_threshold_shift`` for foreign-born people, plus the university
    or K-12 shift for students. Granovetter (1978, AJS 83(6):1420-1443): collective behaviour
    follows from the distribution of individual thresholds; Watts (2002, PNAS 99(9):5766-5771):
    the threshold is a *fraction* of one's contacts. Klandermans & Oegema (1987, ASR 52(4)): most
    of a population is never mobilizable — the non-sympathizers, who never commit.

    Why a Beta and not a clipped normal: a threshold is a share, so it lives on [0, 1]; a normal
    clipped at 0 piles mass on exactly 0 — people who commit on day 1 with no contact and no call,
    whose number then follows the sd (the 2026-11 review counted ~3,000 in the city). A Beta has
    no atom, so nobody commits unprompted: the people who start the cascade are the initiators
    (:func:`draw_organizers`), an explicit share.

    Draws, in this order: one uniform per person (sympathizer), one uniform per person turned
    into each group's Beta by its inverse CDF (so groups share draws when only a shift changes).
    """
    from scipy.special import betaincinv

    b = behavior
    n = len(kind)
    sympathizer = rng.random(n) < sympathizer_share
    u = rng.random(n)
    mean = np.full(n, b.threshold_mean)
    mean += np.where(immigrant, b.immigrant_threshold_shift, 0.0)
    mean += np.where(kind == K12, b.k12_threshold_shift, 0.0)
    mean += np.where(kind == UNIVERSITY, b.university_threshold_shift, 0.0)
    threshold = np.empty(n)
    for m in np.unique(mean):
        group = mean == m
        alpha, beta = beta_parameters(float(m), b.threshold_sd)
        threshold[group] = betaincinv(alpha, beta, u[group])
    threshold[~sympathizer] = np.inf
    if not school_walkouts:
        threshold[(kind == K12) | (kind == UNIVERSITY)] = np.inf
    return threshold


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
    immigrant: np.ndarray,
    place: np.ndarray,
) -> dict[str, np.ndarray]:
    """Channel -> indices of the people roster organization ``org_index`` reaches that way.

    Bloc recruitment runs through the groups people already belong to (Oberschall 1973; McAdam
    1986, AJS 92(1):64-90): a union calls its members (``union == org_index``), an educators'
    union also every K-12 student, a federation every union member in the city, a faith group the
    people of its affiliated congregations (``faith_org == org_index``), a student association
    every university student, an immigrant-rights organization every foreign-born resident, a
    public endorsement of the City Council everyone who lives in Minneapolis (place 0).
    """
    everyone = {
        "union": lambda: np.flatnonzero(union == org_index),
        "school": lambda: np.flatnonzero(kind == K12),
        "federation": lambda: np.flatnonzero(union >= 0),
        "faith": lambda: np.flatnonzero(faith_org == org_index),
        "campus": lambda: np.flatnonzero(kind == UNIVERSITY),
        "community": lambda: np.flatnonzero(immigrant),
        "civic": lambda: np.flatnonzero(place == 0),
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
