"""How many marchers did each endorsing organization bring? (the ``strikesim attribute`` study)

Two answers, both computed per seed on common random numbers (every coalition of a seed runs on
the same city, thresholds, outreach and march draws, so a difference between two coalitions is
the endorsements' effect, not noise), then summarised over seeds:

- **Leave-one-out**: marchers with the whole coalition minus marchers without organization i.
  Simple, but in a threshold model endorsements interact (one call can tip a cascade that another
  call then rides), so the leave-one-out shares need not add up to the coalition's total.
- **Shapley value**: i's marginal contribution averaged over every order in which the coalition
  could have formed (Shapley 1953). The shares add up exactly to marchers(all) - marchers(none).
  Exact over all 2^n sub-coalitions for small n; otherwise Monte Carlo over random orders
  (Castro, Gómez & Tejada 2009), each sub-coalition run once per seed and cached.

Functions take a config and typed values and return data (:func:`attribute`, :func:`render`) or
the files written (:func:`write_attribution`); bad input raises ConfigError. Parsing, printing and
exit codes are the command line's.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from strikesim import results
from strikesim.compose import compose_config
from strikesim.config import ConfigError, StrikeConfig

EXACT_MAX_PLAYERS = 7  # 2^7 = 128 sub-coalitions per seed; beyond, sample orders
DEFAULT_PERMUTATIONS = 64  # sampled orders per seed when exact Shapley is too many runs
Coalition = frozenset[str]


def players_of(config: StrikeConfig) -> list[str]:
    """The coalition's endorsers, once each in roster order; refused if there are none."""
    players = list(dict.fromkeys(config.coalition.endorsers))
    if not players:
        raise ConfigError("coalition.endorsers is empty; allowed: at least one organization")
    return players


def attribution_config(overrides: list[str]) -> StrikeConfig:
    """The composed config of ``overrides``, refused before any run if no one endorses."""
    config = compose_config(overrides)
    players_of(config)
    return config


def sampled_orders(players: list[str], permutations: int | None) -> int | None:
    """Orders to sample per seed: None (exact) for a small coalition unless a number is given."""
    if permutations is None and len(players) > EXACT_MAX_PLAYERS:
        return DEFAULT_PERMUTATIONS
    return permutations


def method_name(config: StrikeConfig, permutations: int | None) -> str:
    """How :func:`attribute` computes Shapley values for ``config`` (for the report's title)."""
    sampled = sampled_orders(players_of(config), permutations)
    return "exact Shapley" if sampled is None else f"Shapley from {sampled} sampled orders"


def _marchers(job: tuple[StrikeConfig, Coalition, int]) -> float:
    from strikesim.run import simulate

    config, coalition, seed = job
    endorsers = [e for e in config.coalition.endorsers if e in coalition]  # keep roster order
    coalition_cfg = dataclasses.replace(config.coalition, endorsers=endorsers)
    return float(
        simulate(dataclasses.replace(config, coalition=coalition_cfg, seed=seed)).summary[
            "marchers"
        ]
    )


def orders(players: list[str], permutations: int | None, seed: int) -> list[tuple[str, ...]]:
    """Every order of the players (exact), or ``permutations`` random ones drawn from ``seed``."""
    if permutations is None:
        return list(itertools.permutations(players))
    rng = np.random.default_rng([seed, 0x5A4])
    return [tuple(rng.permutation(players)) for _ in range(permutations)]


def shapley_from_orders(
    players: list[str], value: dict[Coalition, float], sequences: Iterable[tuple[str, ...]]
) -> dict[str, float]:
    """Average marginal contribution of each player over the given orders."""
    total = dict.fromkeys(players, 0.0)
    count = 0
    for order in sequences:
        before: Coalition = frozenset()
        for p in order:
            after = before | {p}
            total[p] += value[after] - value[before]
            before = after
        count += 1
    return {p: t / count for p, t in total.items()}


def shapley_exact(players: list[str], value: dict[Coalition, float]) -> dict[str, float]:
    """Shapley weights |S|! (n-|S|-1)! / n! over every sub-coalition S not containing i."""
    n = len(players)
    phi = dict.fromkeys(players, 0.0)
    for i in players:
        others = [p for p in players if p != i]
        for size in range(n):
            weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for subset in itertools.combinations(others, size):
                s = frozenset(subset)
                phi[i] += weight * (value[s | {i}] - value[s])
    return phi


def needed(players: list[str], sequences: list[tuple[str, ...]] | None) -> set[Coalition]:
    """Sub-coalitions to run: all (exact) or the prefixes of the sampled orders; plus LOO's."""
    full = frozenset(players)
    need = {full, frozenset(), *(full - {p} for p in players)}
    if sequences is None:
        for size in range(len(players) + 1):
            need.update(frozenset(c) for c in itertools.combinations(players, size))
    else:
        for order in sequences:
            need.update(frozenset(order[:k]) for k in range(len(order) + 1))
    return need


def attribute(
    config: StrikeConfig,
    seeds: list[int],
    *,
    permutations: int | None = None,
    workers: int = 1,
) -> pd.DataFrame:
    """One row per seed and endorser: leave-one-out and Shapley marchers, in people.

    ``permutations=None`` is exact Shapley when the coalition has at most
    ``EXACT_MAX_PLAYERS`` members, else ``DEFAULT_PERMUTATIONS`` sampled orders per seed.
    """
    players = players_of(config)
    permutations = sampled_orders(players, permutations)
    plans = {
        seed: None if permutations is None else orders(players, permutations, seed)
        for seed in seeds
    }
    jobs = [
        (config, c, seed)
        for seed in seeds
        for c in sorted(needed(players, plans[seed]), key=sorted)
    ]
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            values = list(pool.map(_marchers, jobs, chunksize=4))
    else:
        values = [_marchers(j) for j in jobs]
    table: dict[int, dict[Coalition, float]] = {seed: {} for seed in seeds}
    for (_, coalition, seed), v in zip(jobs, values, strict=True):
        table[seed][coalition] = v
    rows = []
    full = frozenset(players)
    for seed in seeds:
        value = table[seed]
        if plans[seed] is None:
            phi = shapley_exact(players, value)
        else:
            phi = shapley_from_orders(players, value, plans[seed])
        for p in players:
            rows.append(
                {
                    "seed": seed,
                    "organization": p,
                    "leave_one_out": value[full] - value[full - {p}],
                    "shapley": phi[p],
                    "alone": value.get(frozenset({p}), np.nan),
                    "coalition_marchers": value[full],
                    "no_endorser_marchers": value[frozenset()],
                }
            )
    return pd.DataFrame(rows)


def summarize(per_seed: pd.DataFrame) -> pd.DataFrame:
    """Median and 5-95% over seeds of each organization's contribution."""

    def q(col: str, p: float):
        return per_seed.groupby("organization", sort=False)[col].quantile(p)

    out = pd.DataFrame(
        {
            "shapley_median": q("shapley", 0.5),
            "shapley_q05": q("shapley", 0.05),
            "shapley_q95": q("shapley", 0.95),
            "loo_median": q("leave_one_out", 0.5),
            "loo_q05": q("leave_one_out", 0.05),
            "loo_q95": q("leave_one_out", 0.95),
        }
    )
    return out.sort_values("shapley_median", ascending=False)


def render(per_seed: pd.DataFrame, config: StrikeConfig, method: str, command: str) -> str:
    """The report: per organization, Shapley and leave-one-out marchers over seeds."""
    s = summarize(per_seed)
    seeds = per_seed["seed"].nunique()
    full = per_seed.groupby("seed")["coalition_marchers"].first()
    none = per_seed.groupby("seed")["no_endorser_marchers"].first()
    lines = [
        f"Who brought the marchers? {config.scenario.name}, coalition {config.coalition.name}, "
        f"{seeds} seeds ({method}); people, median (5-95% over seeds)",
        f"  command: {command}",
        f"  whole coalition: {full.median():,.0f}   no endorser: {none.median():,.0f}   "
        f"difference to share out: {(full - none).median():,.0f}",
        "",
        f"  {'organization':<40} {'Shapley':>26} {'leave-one-out':>26}",
    ]
    for org, r in s.iterrows():
        shap = f"{r.shapley_median:,.0f} ({r.shapley_q05:,.0f}..{r.shapley_q95:,.0f})"
        loo = f"{r.loo_median:,.0f} ({r.loo_q05:,.0f}..{r.loo_q95:,.0f})"
        lines.append(f"  {org:<40} {shap:>26} {loo:>26}")
    loo_sum = per_seed.groupby("seed")["leave_one_out"].sum()
    lines += [
        "",
        f"  Shapley shares add up to the difference in every seed; leave-one-out shares add up "
        f"to {loo_sum.median():,.0f} (median): endorsements interact.",
    ]
    return "\n".join(lines)


def write_attribution(out: Path, per_seed: pd.DataFrame, report: str) -> list[Path]:
    """Write ``attribution.csv`` (one row per seed and organization) and ``report.txt``.

    Each is written atomically: a failed write leaves no half-written file.
    """
    csv, text = out / "attribution.csv", out / "report.txt"
    results.atomic_write(csv, lambda tmp: per_seed.to_csv(tmp, index=False))
    results.write_text(text, report + "\n")
    return [csv, text]
