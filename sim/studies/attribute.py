"""How many marchers did each endorsing organization bring? (the ``strikesim attribute`` study)

The marchers are those of the day at ``scenario.date``, and the endorsers attributed are its
callers, ``coalition.endorsers``: with ``scenario.history`` the documented earlier action days
keep their own documented callers in every sub-coalition (they are the record, not the
question), so what is shared out is what the coalition of the day adds on top of that history.

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

Functions take a config and typed values and return data (:func:`run_attribution`,
:func:`attribute`, :func:`render`) or the files written (:func:`write_attribution`); bad input
raises ConfigError. Parsing, printing and exit codes are the command line's.

The output folder holds what is needed to check or redo an attribution, not only its answer:
the base run's config (``config.yaml``), the command, seeds, code and library versions
(``provenance.json``), every sub-coalition run's marchers (``subsets.csv`` and ``.parquet``: the
Shapley and leave-one-out numbers are differences of these), the per-seed and summary tables and
a figure. Why the sub-coalition table: attribution numbers are differences of runs, and a reader
who doubts one (a negative Shapley value, a leave-one-out larger than the total) needs the runs
it came from.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import OmegaConf
from scipy import stats

import strikesim
from strikesim import provenance, results
from strikesim.compose import compose_config
from strikesim.config import ConfigError, StrikeConfig
from strikesim.viz.study_plots import plot_attribution

EXACT_MAX_PLAYERS = 7  # 2^7 = 128 sub-coalitions per seed; beyond, sample orders
DEFAULT_PERMUTATIONS = 64  # sampled orders per seed when exact Shapley is too many runs
CONFIDENCE = 0.95  # of the interval of the mean over seeds (Student's t)
NO_ENDORSER = "(none)"  # the empty coalition's name in the subsets table
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


def _seed_marchers(job: tuple[StrikeConfig, int, list[Coalition]]) -> list[float]:
    """Marchers of every sub-coalition at one seed, run together on that seed's one city.

    The sub-coalitions differ only in who endorses, so they share the city, network and draws:
    the ensemble kernel (:func:`strikesim.run.simulate_many`) builds it once for all of them.
    """
    from strikesim.run import simulate_many

    config, seed, coalitions = job
    configs = []
    for coalition in coalitions:
        endorsers = [e for e in config.coalition.endorsers if e in coalition]  # roster order
        coalition_cfg = dataclasses.replace(config.coalition, endorsers=endorsers)
        configs.append(dataclasses.replace(config, coalition=coalition_cfg, seed=seed))
    return [float(result.summary["marchers"]) for result in simulate_many(configs)]


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


@dataclasses.dataclass
class Attribution:
    """An attribution and the runs it came from.

    ``per_seed``: one row per seed and endorser (:func:`attribute`'s table). ``subsets``: one row
    per sub-coalition run (seed, coalition, size, marchers, and a ``with_<organization>`` flag per
    endorser). ``permutations`` is None for exact Shapley, else the orders sampled per seed.
    """

    config: StrikeConfig
    seeds: list[int]
    players: list[str]
    permutations: int | None
    per_seed: pd.DataFrame
    subsets: pd.DataFrame

    @property
    def method(self) -> str:
        """How the Shapley values were computed, in words for the figure title and the record."""
        exact = self.permutations is None
        return "exact Shapley" if exact else f"Shapley from {self.permutations} sampled orders"


def coalition_name(players: list[str], coalition: Coalition) -> str:
    """The coalition's members in roster order joined by '+', or ``(none)``."""
    return "+".join(p for p in players if p in coalition) or NO_ENDORSER


def subsets_table(players: list[str], table: dict[int, dict[Coalition, float]]) -> pd.DataFrame:
    """One row per (seed, sub-coalition) run, seeds in order, coalitions by size then name."""
    full = frozenset(players)
    rows = []
    for seed, values in table.items():
        for coalition in sorted(values, key=lambda c: (len(c), coalition_name(players, c))):
            rows.append(
                {
                    "seed": seed,
                    "coalition": coalition_name(players, coalition),
                    "size": len(coalition),
                    "grand_coalition": coalition == full,
                    "marchers": values[coalition],
                    **{f"with_{p}": p in coalition for p in players},
                }
            )
    return pd.DataFrame(rows)


def run_attribution(
    config: StrikeConfig,
    seeds: list[int],
    *,
    permutations: int | None = None,
    workers: int = 1,
) -> Attribution:
    """Run every sub-coalition needed for each seed; the attribution and the runs' table.

    ``permutations=None`` is exact Shapley when the coalition has at most
    ``EXACT_MAX_PLAYERS`` members, else ``DEFAULT_PERMUTATIONS`` sampled orders per seed.
    """
    players = players_of(config)
    permutations = sampled_orders(players, permutations)
    plans = {
        seed: None if permutations is None else orders(players, permutations, seed)
        for seed in seeds
    }
    jobs = [(config, seed, sorted(needed(players, plans[seed]), key=sorted)) for seed in seeds]
    if workers > 1:  # one seed's city per worker
        with ProcessPoolExecutor(max_workers=workers) as pool:
            values = list(pool.map(_seed_marchers, jobs))
    else:
        values = [_seed_marchers(j) for j in jobs]
    table: dict[int, dict[Coalition, float]] = {
        seed: dict(zip(coalitions, marchers, strict=True))
        for (_, seed, coalitions), marchers in zip(jobs, values, strict=True)
    }
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
    return Attribution(
        config=config,
        seeds=list(seeds),
        players=players,
        permutations=permutations,
        per_seed=pd.DataFrame(rows),
        subsets=subsets_table(players, table),
    )


def attribute(
    config: StrikeConfig,
    seeds: list[int],
    *,
    permutations: int | None = None,
    workers: int = 1,
) -> pd.DataFrame:
    """One row per seed and endorser: leave-one-out and Shapley marchers, in people.

    The per-seed table of :func:`run_attribution` (which also keeps the sub-coalition runs).
    """
    return run_attribution(config, seeds, permutations=permutations, workers=workers).per_seed


def mean_interval(values: pd.Series) -> tuple[float, float, float]:
    """Mean and its two-sided 95% Student-t interval over seeds; NaN ends for a single seed.

    Why t and not quantiles: the interval is for the expected contribution (over the model's
    randomness), which the mean of a few seeds estimates; the 5-95% quantiles beside it in the
    report describe the spread of single seeds instead.
    """
    x = values.to_numpy(float)
    mean = float(np.mean(x)) if len(x) else float("nan")
    if len(x) < 2:
        return mean, float("nan"), float("nan")
    half = stats.t.ppf((1 + CONFIDENCE) / 2, len(x) - 1) * np.std(x, ddof=1) / math.sqrt(len(x))
    return mean, mean - half, mean + half


def summarize(per_seed: pd.DataFrame) -> pd.DataFrame:
    """Per organization over seeds: median and 5-95% (the spread of single seeds), and mean
    with its 95% interval (:func:`mean_interval`; what the figure draws)."""
    groups = per_seed.groupby("organization", sort=False)

    def q(col: str, p: float) -> pd.Series:
        return groups[col].quantile(p)

    def ci(col: str, part: int) -> pd.Series:
        return groups[col].apply(lambda v: mean_interval(v)[part])

    out = pd.DataFrame(
        {
            "shapley_median": q("shapley", 0.5),
            "shapley_q05": q("shapley", 0.05),
            "shapley_q95": q("shapley", 0.95),
            "loo_median": q("leave_one_out", 0.5),
            "loo_q05": q("leave_one_out", 0.05),
            "loo_q95": q("leave_one_out", 0.95),
            "shapley_mean": ci("shapley", 0),
            "shapley_ci_low": ci("shapley", 1),
            "shapley_ci_high": ci("shapley", 2),
            "loo_mean": ci("leave_one_out", 0),
            "loo_ci_low": ci("leave_one_out", 1),
            "loo_ci_high": ci("leave_one_out", 2),
            "seeds": groups["seed"].nunique(),
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


def provenance_record(result: Attribution, command: str) -> dict[str, Any]:
    """Where the attribution came from: command, seeds, method, code, versions, data files.

    The base run's config is ``config.yaml`` beside it; each run of the attribution is that
    config with ``seed`` set to one of ``seeds`` and ``coalition.endorsers`` to a sub-coalition
    (members kept in roster order).
    """
    return {
        "command": command,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "seeds": result.seeds,
        "method": result.method,
        "permutations": result.permutations,
        "endorsers": result.players,
        "scenario": result.config.scenario.name,
        "coalition": result.config.coalition.name,
        "runs": len(result.subsets),
        "config": results.CONFIG,
        "strikesim_version": strikesim.__version__,
        **provenance.record(result.config),
    }


def plot_title(result: Attribution) -> str:
    """The figure's title: what was attributed, over how many seeds, by which method."""
    config = result.config
    return (
        f"Who brought the marchers? {config.scenario.name}, coalition {config.coalition.name}, "
        f"{len(result.seeds)} seeds ({result.method})\n"
        f"bar: mean over seeds; whisker: {CONFIDENCE:.0%} CI of the mean; dots: single seeds"
    )


def write_attribution(out: Path, result: Attribution, report: str, command: str) -> list[Path]:
    """Write the attribution, its runs and its provenance into ``out``; the paths written.

    ``attribution.csv`` (one row per seed and organization), ``summary.csv`` (per
    organization), ``subsets.csv`` and ``subsets.parquet`` (every sub-coalition run),
    ``config.yaml`` (the base run's config), ``provenance.json`` (:func:`provenance_record`),
    ``attribution.png`` (:func:`strikesim.viz.study_plots.attribution_figure`) and
    ``report.txt``. Each is written atomically: a failed write leaves no half-written file.
    """
    out = Path(out)
    summary = summarize(result.per_seed)
    paths = {
        name: out / name
        for name in (
            "attribution.csv",
            "summary.csv",
            "subsets.csv",
            "subsets.parquet",
            results.CONFIG,
            "provenance.json",
            "attribution.png",
            "report.txt",
        )
    }
    results.atomic_write(
        paths["attribution.csv"], lambda tmp: result.per_seed.to_csv(tmp, index=False)
    )
    results.atomic_write(paths["summary.csv"], lambda tmp: summary.to_csv(tmp))
    results.atomic_write(paths["subsets.csv"], lambda tmp: result.subsets.to_csv(tmp, index=False))
    results.write_parquet(paths["subsets.parquet"], result.subsets)
    config_yaml = OmegaConf.to_yaml(OmegaConf.structured(result.config))
    results.write_text(paths[results.CONFIG], config_yaml)
    results.write_json(paths["provenance.json"], provenance_record(result, command))
    plot_attribution(summary, result.per_seed, plot_title(result), paths["attribution.png"])
    results.write_text(paths["report.txt"], report + "\n")
    return list(paths.values())
