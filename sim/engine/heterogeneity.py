"""Who differs from whom before the campaign starts: the science of the model's initial state.

The decision rule (:mod:`strikesim.engine.rule`) says what a person does with a threshold and
the calls that reach them; this module says how those are drawn or built:

- :func:`draw_thresholds` — each person's threshold (Granovetter 1978; Watts 2002);
- :func:`draw_organizers` — who is committed before the campaign starts;
- :func:`reach_channels` / :func:`roster_members` — whom an organization of the roster reaches,
  and through which channel (bloc recruitment: Oberschall 1973; McAdam 1986);
- :func:`affiliated_share` / :func:`draw_affiliation` — which union members belong to locals
  affiliated with the labor federations (from the federations' reported members);
- :func:`outreach_days` — the day an organization's call first reaches each person.

Why pure functions: each takes arrays, config values and (when it draws) a random generator,
and returns arrays, so it can be read against its equation, tested on a handful of people and
reused by other models, without building a city. :class:`strikesim.engine.model.StrikeModel`
calls them in a fixed order, each with its own named random stream (:mod:`strikesim.streams`),
so the drawn values are identical whoever calls them with the same generator.

Kinds are the integer codes of :data:`strikesim.engine.population.KINDS`.
"""

from __future__ import annotations

import functools

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
also ``k12`` students, a federation every ``union_members`` of its area, a faith group the
``congregants`` of its affiliated congregations. ``none`` reaches no one. A student association
reaches ``university`` students, an immigrant-rights or community organization ``immigrants``
(foreign-born residents), a public endorsement such as the City Council's all ``residents`` of its
area. Every reach is limited to the organization's ``area`` (places of ``places.csv``)."""


def beta_parameters(mean: float, sd: float) -> tuple[float, float]:
    """The Beta distribution's (alpha, beta) with this mean and standard deviation.

    ``alpha = m * nu``, ``beta = (1 - m) * nu`` with ``nu = m (1 - m) / sd**2 - 1``; it exists
    when ``sd < sqrt(m (1 - m))``, which :func:`strikesim.config.validate` checks.
    """
    nu = mean * (1.0 - mean) / sd**2 - 1.0
    return mean * nu, (1.0 - mean) * nu


QUANTILE_GRID = 2**14 + 1
"""Points of the uniform grid on [0, 1] where :func:`beta_quantiles` tabulates the Beta CDF;
its step ``1 / (QUANTILE_GRID - 1) = 1/16384 ~ 6.1e-5`` bounds the quantiles' error."""


def beta_quantiles(alpha: float, beta: float, u: np.ndarray) -> np.ndarray:
    """The Beta(alpha, beta) quantiles of the uniforms ``u`` in [0, 1), read from a CDF table.

    The CDF ``F = scipy.special.betainc(alpha, beta, x)`` is tabulated on the grid
    ``x_k = k / 16384`` (:data:`QUANTILE_GRID`); each ``u`` is placed between the grid points
    with ``F(x_{k-1}) < u <= F(x_k)`` and interpolated linearly between them (``u = 0`` gives 0).
    Why it is accurate: the exact quantile lies in that same interval, because the inverse CDF is
    monotone, so the two differ by at most one grid step (1/16384 ~ 6.1e-5) everywhere, and by
    far less where the CDF is smooth; the drawn distribution equals the Beta at every grid point
    and is piecewise linear in between. Results lie in [0, 1] and never decrease as ``u`` grows.
    Why not ``scipy.special.betaincinv`` per value: it costs ~1.5 us a value; this ~0.1 us.

    Both tails keep full precision: ``F`` near 1 rounds to 1 over many grid points when alpha or
    beta is large, so ``u >= 1/2`` is read from the mirrored table, ``1 - theta ~ Beta(beta,
    alpha)``: ``Q(u) = 1 - Q'(1 - u)``, with ``1 - u`` exact. Where a table still has flat runs
    (``F`` underflowing to 0), the search brackets ``u`` by the last grid point below it and the
    first at or above it, so a run neither divides by zero nor widens the interval.

    Tables are kept per (alpha, beta) (:func:`_cdf_table`): a table costs ~5 ms, more than
    solving a town's thousand values, but runs that share a behaviour (a sweep's seeds, the
    classroom page's twenty towns) build it once. A kept table is the one that would be built,
    so what was run before never changes a result.
    """
    from scipy.special import betaincinv

    u = np.asarray(u, dtype=float)
    steps = QUANTILE_GRID - 1
    median = float(betaincinv(alpha, beta, 0.5))
    below, above = u < 0.5, u >= 0.5
    # each table runs two grid points past the median, so it reaches F >= 1/2
    lower = _tabulated_quantiles(alpha, beta, np.append(u[below], 0.5), int(median * steps) + 2)
    upper = _tabulated_quantiles(beta, alpha, 1.0 - u[above], int((1.0 - median) * steps) + 2)
    quantile = np.empty_like(u)
    quantile[below] = lower[:-1]
    quantile[above] = np.maximum(1.0 - upper, lower[-1])  # no rounding dip where the halves meet
    return quantile


@functools.lru_cache(maxsize=64)
def _cdf_table(alpha: float, beta: float, last: int) -> np.ndarray:
    """The Beta CDF on grid points 0..``last`` (read-only: it is shared)."""
    from scipy.special import betainc

    cdf = betainc(alpha, beta, np.arange(last + 1) / (QUANTILE_GRID - 1))  # cdf[0] = 0
    cdf.flags.writeable = False
    return cdf


def _tabulated_quantiles(alpha: float, beta: float, u: np.ndarray, last: int) -> np.ndarray:
    """:func:`beta_quantiles` of ``u <= F(x_last)`` from the CDF on grid points 0..``last``."""
    last = min(last, QUANTILE_GRID - 1)
    cdf = _cdf_table(alpha, beta, last)
    hi = np.clip(np.searchsorted(cdf, u, side="left"), 1, last)  # first k with cdf[k] >= u
    lo = hi - 1  # cdf[lo] < u <= cdf[hi] for every u > 0
    step = cdf[hi] - cdf[lo]  # 0 only for u = 0 in a leading run of zeros: there frac = 0
    frac = np.divide(u - cdf[lo], step, out=np.zeros_like(u), where=step > 0)
    return (lo + np.clip(frac, 0.0, 1.0)) / (QUANTILE_GRID - 1)


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
    The inverse CDF is read from a table (:func:`beta_quantiles`: within 1/16384 of the exact
    quantile, ~15x cheaper than solving it per person).
    """
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
        threshold[group] = beta_quantiles(alpha, beta, u[group])
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


def affiliated_share(
    federation_areas: list[tuple[int, ...]],
    federation_members: list[float],
    union: np.ndarray,
    place: np.ndarray,
    area_population: list[float],
) -> float:
    """The share of union members whose local is affiliated with the labor federations.

    A federation's reported members per resident of its area (``federation_members[f] /
    area_population[f]``, census residents) against the union members per resident the
    population has there: pooled over the federations, ``sum_f rate_f * n_f / sum_f u_f``
    with ``n_f`` people and ``u_f`` union members living in area f, capped at 1. Why: the sector
    union rates count every union, but a federation's call reaches only its affiliates — the
    Minneapolis federation reports 80,000 members and the St. Paul one 50,000, about half the
    union members the BLS rates put in their counties. Scale-free (counts of agents on both
    sides); 1 where no federation's area holds anyone.
    """
    expected = held = 0.0
    for area, members, residents in zip(
        federation_areas, federation_members, area_population, strict=True
    ):
        inside = np.isin(place, area)
        expected += members / residents * np.count_nonzero(inside)
        held += np.count_nonzero(inside & (union >= 0))
    return min(1.0, expected / held) if held else 1.0


def draw_affiliation(
    rng: np.random.Generator, share: float, union: np.ndarray, workplace: np.ndarray
) -> np.ndarray:
    """Which people belong to a federation-affiliated local: whole bargaining units (workplaces),
    each affiliated with probability ``share`` (one uniform per workplace), as a local affiliates
    as a whole. Union members without a workplace (a user's graph) draw one uniform each."""
    n_units = max(int(workplace.max(initial=-1)) + 1, 1)  # >= 1: indexable when empty
    unit = rng.random(n_units) < share
    own = rng.random(len(union)) < share
    affiliated = np.where(workplace >= 0, unit[np.maximum(workplace, 0)], own)
    return affiliated & (union >= 0)


def roster_members(
    reaches: str,
    area: tuple[int, ...],
    org_index: int,
    kind: np.ndarray,
    union: np.ndarray,
    affiliated: np.ndarray,
    faith_org: np.ndarray,
    immigrant: np.ndarray,
    place: np.ndarray,
) -> dict[str, np.ndarray]:
    """Channel -> indices of the people roster organization ``org_index`` reaches that way.

    Bloc recruitment runs through the groups people already belong to (Oberschall 1973; McAdam
    1986, AJS 92(1):64-90): a union calls its members (``union == org_index``), an educators'
    union also K-12 students, a federation the members of its affiliated locals
    (``affiliated``: :func:`draw_affiliation`), a faith group the people of its
    affiliated congregations (``faith_org == org_index``), a student association university
    students, an immigrant-rights organization foreign-born residents, a public endorsement of
    the City Council residents; each only those living in ``area`` (rows of ``places.csv``:
    the Minneapolis federation organizes in Hennepin, Anoka, Carver and Scott, St. Paul's in
    Ramsey, Washington and Dakota, the City Council speaks to Minneapolis).
    """
    inside = np.isin(place, area)
    everyone = {
        "union": lambda: union == org_index,
        "school": lambda: kind == K12,
        "federation": lambda: affiliated,
        "faith": lambda: faith_org == org_index,
        "campus": lambda: kind == UNIVERSITY,
        "community": lambda: immigrant,
        "civic": lambda: np.ones(len(kind), bool),
    }
    return {
        channel: np.flatnonzero(everyone[channel]() & inside) for channel in reach_channels(reaches)
    }


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
