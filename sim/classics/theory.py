"""Analytic results of the classic threshold models, to hold the simulation against.

- Granovetter (1978): in a crowd of ``n`` with threshold distribution function ``F`` (thresholds
  counted in people), the number acting follows ``r(t+1) = n F(r(t))`` from ``r(0) = 0``; the
  equilibrium is the first fixed point. A small change in the spread of thresholds can move it
  from a handful of people to the whole crowd.
- Watts (2002): on a random graph with degree distribution ``p_k`` and a uniform fractional
  threshold ``phi``, a single seed triggers a global cascade only if the *vulnerable* nodes (those
  one active neighbour tips: ``1 >= phi k`` with strikesim's ``>=`` convention) percolate:
  ``sum_k k (k - 1) p_k rho_k > z``, ``rho_k = 1`` for vulnerable degrees, else 0, ``z`` the
  mean degree. The mean degrees where this holds form the cascade window.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy.stats import poisson


def granovetter_equilibrium(cdf: Callable[[float], float], n: int, max_iter: int = 10_000) -> float:
    """Iterate ``r(t+1) = n * cdf(r(t))`` from 0 to its fixed point (within 1e-9 people)."""
    r = 0.0
    for _ in range(max_iter):
        nxt = n * float(cdf(r))
        if abs(nxt - r) < 1e-9:
            return nxt
        r = nxt
    return r


def vulnerable_max_degree(phi: float) -> int:
    """Largest degree k that one active neighbour tips: ``1 >= phi * k`` (the ``>=`` rule).

    Decided in integers where ``phi`` is a ratio of small integers (``phi = 0.2``, ``k = 5`` is
    vulnerable), so float rounding of ``1 / phi`` cannot move the boundary.
    """
    if phi <= 0:
        raise ValueError(f"phi={phi!r}; allowed: a threshold > 0")
    k = math.floor(1 / phi + 1e-9)
    return k if phi * k <= 1 + 1e-12 else k - 1


def watts_cascade_condition(z: float | np.ndarray, phi: float) -> float | np.ndarray:
    """``sum_k k (k-1) p_k rho_k - z`` for Poisson (Erdős–Rényi) degrees of mean ``z``.

    Positive inside the cascade window: the vulnerable cluster percolates. ``z`` may be an array.
    """
    k = np.arange(0, vulnerable_max_degree(phi) + 1)
    zs = np.asarray(z, dtype=np.float64)
    terms = k * (k - 1) * poisson.pmf(k, zs[..., None])
    value = terms.sum(axis=-1) - zs
    return float(value) if value.ndim == 0 else value


def watts_window(phi: float, z_max: float = 40.0, resolution: float = 1e-3) -> tuple[float, float]:
    """The mean degrees ``(z_low, z_high)`` between which global cascades are possible.

    ``(nan, nan)`` when the condition holds nowhere (for Poisson degrees: ``phi > 1/4``).
    The lower edge is the percolation point ``z = 1`` of the random graph itself.
    """
    grid = np.arange(resolution, z_max, resolution)
    inside = watts_cascade_condition(grid, phi) > 0
    if not inside.any():
        return (math.nan, math.nan)
    return float(grid[inside][0]), float(grid[inside][-1])
