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

**Over the posterior.** With ``behavior.posterior`` set and no draw fixed
(``behavior.posterior_draw=-1``, the shipped behaviour) every run draws the calibrated keys from
the recorded posterior by its seed (:func:`strikesim.draws.resolve`), so every
sub-coalition of a seed runs the same draw on the same city, and each seed is one posterior
draw: the attribution is computed per draw, and the spread over seeds is what the parameter
uncertainty (plus one city's randomness) leaves of the answer. The record does not tell the call
strengths apart (docs/calibration.md, identifiability), so the report gives, per organization,
the median and central 90% interval of its Shapley value over draws and the probability of each
rank (:func:`rank_probabilities`), not one number from one parameter set. Without a posterior
(``behavior=default``) or with one draw fixed, the seeds are noise replications at one parameter
set and the report says so.

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
from strikesim.viz.study_plots import plot_attribution, plot_attribution_intervals

EXACT_MAX_PLAYERS = 7  # 2^7 = 128 sub-coalitions per seed; beyond, sample orders
DEFAULT_PERMUTATIONS = 64  # sampled orders per seed when exact Shapley is too many runs
CONFIDENCE = 0.95  # of the interval of the mean over seeds (Student's t)
PREDICTIVE = (0.05, 0.95)  # central 90% interval of single seeds (draws, with a posterior)
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


def over_posterior(config: StrikeConfig) -> bool:
    """Whether the seeds of an attribution of ``config`` are posterior draws.

    True when ``behavior.posterior`` names a posterior and the draw is picked by the seed
    (``posterior_draw=-1``); a fixed draw, like ``behavior=default``, is one parameter set.
    """
    return bool(config.behavior.posterior) and config.behavior.posterior_draw < 0


def method_name(config: StrikeConfig, permutations: int | None) -> str:
    """How :func:`attribute` computes Shapley values for ``config`` (for the report's title)."""
    sampled = sampled_orders(players_of(config), permutations)
    return "exact Shapley" if sampled is None else f"Shapley from {sampled} sampled orders"


def _seed_marchers(job: tuple[StrikeConfig, int, list[Coalition]]) -> tuple[list[float], int]:
    """Marchers of every sub-coalition at one seed, run together on that seed's one city, and
    the posterior draw they ran (-1 without a posterior).

    The sub-coalitions differ only in who endorses, so they share the city, network and draws:
    the ensemble kernel (:func:`strikesim.run.simulate_many`) builds it once for all of them.
    The draw is read back from the runs' resolved configs rather than recomputed, so the table
    records what ran; that one seed ran one draw is what makes its differences of runs an
    attribution at that draw, hence the check.
    """
    from strikesim.run import simulate_many

    config, seed, coalitions = job
    configs = []
    for coalition in coalitions:
        endorsers = [e for e in config.coalition.endorsers if e in coalition]  # roster order
        coalition_cfg = dataclasses.replace(config.coalition, endorsers=endorsers)
        configs.append(dataclasses.replace(config, coalition=coalition_cfg, seed=seed))
    runs = simulate_many(configs)
    draws = {run.config.behavior.posterior_draw for run in runs}
    if len(draws) != 1:  # cannot happen while the draw is picked by the seed alone
        raise RuntimeError(f"seed {seed}: sub-coalitions ran different posterior draws {draws}")
    return [float(run.summary["marchers"]) for run in runs], draws.pop()


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
    endorser). Over a posterior (:func:`over_posterior`) both have a ``draw`` column after
    ``seed``: the posterior draw the seed ran. ``draws`` maps each seed to its draw (-1 without
    a posterior). ``permutations`` is None for exact Shapley, else the orders sampled per seed.
    """

    config: StrikeConfig
    seeds: list[int]
    players: list[str]
    permutations: int | None
    per_seed: pd.DataFrame
    subsets: pd.DataFrame
    draws: dict[int, int] = dataclasses.field(default_factory=dict)

    @property
    def over_posterior(self) -> bool:
        """Whether each seed is one posterior draw (:func:`over_posterior`)."""
        return over_posterior(self.config)

    @property
    def method(self) -> str:
        """How the Shapley values were computed, in words for the figure title and the record."""
        exact = self.permutations is None
        return "exact Shapley" if exact else f"Shapley from {self.permutations} sampled orders"


def coalition_name(players: list[str], coalition: Coalition) -> str:
    """The coalition's members in roster order joined by '+', or ``(none)``."""
    return "+".join(p for p in players if p in coalition) or NO_ENDORSER


def subsets_table(
    players: list[str],
    table: dict[int, dict[Coalition, float]],
    draws: dict[int, int] | None = None,
) -> pd.DataFrame:
    """One row per (seed, sub-coalition) run, seeds in order, coalitions by size then name;
    with ``draws`` (seed -> posterior draw) a ``draw`` column after ``seed``."""
    full = frozenset(players)
    rows = []
    for seed, values in table.items():
        drawn = {} if draws is None else {"draw": draws[seed]}
        for coalition in sorted(values, key=lambda c: (len(c), coalition_name(players, c))):
            rows.append(
                {
                    "seed": seed,
                    **drawn,
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
    ``EXACT_MAX_PLAYERS`` members, else ``DEFAULT_PERMUTATIONS`` sampled orders per seed. Over
    a posterior (:func:`over_posterior`) each seed is one posterior draw, recorded in the tables'
    ``draw`` column.
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
        for (_, seed, coalitions), (marchers, _) in zip(jobs, values, strict=True)
    }
    draws = {seed: draw for (_, seed, _), (_, draw) in zip(jobs, values, strict=True)}
    posterior = over_posterior(config)
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
                    **({"draw": draws[seed]} if posterior else {}),
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
        subsets=subsets_table(players, table, draws if posterior else None),
        draws=draws,
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


def rank_probabilities(per_seed: pd.DataFrame, column: str = "shapley") -> pd.DataFrame:
    """Per organization, the share of seeds in which it ranks 1st, 2nd, ... by ``column``.

    Over a posterior each seed is one draw, so this is the posterior probability of each rank
    (with one city's randomness per draw folded in). Why ranks and not only intervals: two
    intervals can overlap while one organization is ahead in nearly every draw (their values
    move together), or be apart on average while the order flips often; the order is what
    "who brought the most" asks.

    Ranked on values rounded to whole people (marchers are counts of people; a smaller gap is
    floating-point noise of the Shapley weights, not a difference). Tied organizations share
    their ranks equally: three tied for 4th-6th get a third of each. So every row (an
    organization's ranks) and every column (who holds a rank) sums to 1. Columns ``rank_1`` ...
    ``rank_n``; rows in the table's order of organizations.
    """
    orgs = list(dict.fromkeys(per_seed["organization"]))
    n = len(orgs)
    share = np.zeros((n, n))
    seeds = per_seed.groupby("seed", sort=False)
    for _, rows in seeds:
        values = rows.set_index("organization")[column].reindex(orgs).round().to_numpy(float)
        order = np.argsort(-values, kind="stable")
        start = 0
        while start < n:  # each run of equal values shares the ranks start..end
            end = start
            while end + 1 < n and values[order[end + 1]] == values[order[start]]:
                end += 1
            share[np.ix_(order[start : end + 1], range(start, end + 1))] += 1 / (end - start + 1)
            start = end + 1
    return pd.DataFrame(
        share / max(seeds.ngroups, 1),
        index=pd.Index(orgs, name="organization"),
        columns=[f"rank_{k}" for k in range(1, n + 1)],
    )


def summarize(per_seed: pd.DataFrame) -> pd.DataFrame:
    """Per organization over seeds: median and 5-95% (the spread of single seeds), and mean
    with its 95% interval (:func:`mean_interval`).

    Over a posterior (``per_seed`` has a ``draw`` column, :func:`run_attribution`) the seeds
    are posterior draws, so median and 5-95% are the median and central 90% predictive interval
    of what the organization brought, and two columns are added from
    :func:`rank_probabilities`: ``p_first`` (share of draws in which it ranks first) and
    ``mean_rank``. Largest median first (then largest mean).
    """
    groups = per_seed.groupby("organization", sort=False)
    low, high = PREDICTIVE

    def q(col: str, p: float) -> pd.Series:
        return groups[col].quantile(p)

    def ci(col: str, part: int) -> pd.Series:
        return groups[col].apply(lambda v: mean_interval(v)[part])

    out = pd.DataFrame(
        {
            "shapley_median": q("shapley", 0.5),
            "shapley_q05": q("shapley", low),
            "shapley_q95": q("shapley", high),
            "loo_median": q("leave_one_out", 0.5),
            "loo_q05": q("leave_one_out", low),
            "loo_q95": q("leave_one_out", high),
            "shapley_mean": ci("shapley", 0),
            "shapley_ci_low": ci("shapley", 1),
            "shapley_ci_high": ci("shapley", 2),
            "loo_mean": ci("leave_one_out", 0),
            "loo_ci_low": ci("leave_one_out", 1),
            "loo_ci_high": ci("leave_one_out", 2),
            "seeds": groups["seed"].nunique(),
        }
    )
    if "draw" in per_seed:
        ranks = rank_probabilities(per_seed)
        out["draws"] = groups["draw"].nunique()
        out["p_first"] = ranks["rank_1"]
        out["mean_rank"] = ranks.to_numpy() @ np.arange(1, len(ranks.columns) + 1)
    return out.sort_values(["shapley_median", "shapley_mean"], ascending=False, kind="stable")


def ordinal(k: int) -> str:
    """1st, 2nd, 3rd, 4th ... 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def _people(x: float) -> str:
    """Whole people with thousands separators; never "-0" (a CI end just below zero), and
    "n/a" for an undefined interval end (one seed)."""
    return "n/a" if math.isnan(x) else f"{round(x):,}"


def _interval(values: pd.Series) -> str:
    """Median (5-95%) of ``values``, in people."""
    low, high = PREDICTIVE
    return (
        f"{_people(values.median())} "
        f"({_people(values.quantile(low))}..{_people(values.quantile(high))})"
    )


def parameter_set(config: StrikeConfig) -> str:
    """What the seeds replicate, in words: one parameter set, or draws of which posterior."""
    b = config.behavior
    if over_posterior(config):
        pinned = ", ".join(b.pinned) if b.pinned else "none"
        return f"posterior {b.posterior} (pinned keys, held at the config's value: {pinned})"
    if b.posterior:
        return f"one parameter set: draw {b.posterior_draw} of posterior {b.posterior}, fixed"
    return "one parameter set: behavior without a posterior (behavior=default)"


def render(per_seed: pd.DataFrame, config: StrikeConfig, method: str, command: str) -> str:
    """The report: per organization, Shapley and leave-one-out marchers over seeds.

    Over a posterior (``per_seed`` has a ``draw`` column) the seeds are draws: the report gives
    the median and central 90% interval over draws, the mean with its CI, and the rank
    probabilities (:func:`render_posterior`). Otherwise it says that the seeds are noise
    replications at one parameter set, so that nobody reads its spread as the uncertainty of
    the answer.
    """
    if "draw" in per_seed:
        return render_posterior(per_seed, config, method, command)
    s = summarize(per_seed)
    seeds = per_seed["seed"].nunique()
    full = per_seed.groupby("seed")["coalition_marchers"].first()
    none = per_seed.groupby("seed")["no_endorser_marchers"].first()
    lines = [
        f"Who brought the marchers? {config.scenario.name}, coalition {config.coalition.name}, "
        f"{seeds} seeds ({method}); people, median (5-95% over seeds)",
        f"  command: {command}",
        f"  seeds are noise replications at {parameter_set(config)}: the spread is the model's "
        "randomness, not the parameters' uncertainty (behavior=posterior attributes over the "
        "calibrated posterior)",
        f"  whole coalition: {full.median():,.0f}   no endorser: {none.median():,.0f}   "
        f"difference to share out: {(full - none).median():,.0f}",
        "",
        f"  {'organization':<40} {'Shapley':>26} {'leave-one-out':>26}",
    ]
    for org, r in s.iterrows():
        shap = f"{r.shapley_median:,.0f} ({r.shapley_q05:,.0f}..{r.shapley_q95:,.0f})"
        loo = f"{r.loo_median:,.0f} ({r.loo_q05:,.0f}..{r.loo_q95:,.0f})"
        lines.append(f"  {org:<40} {shap:>26} {loo:>26}")
    lines += ["", _adds_up(per_seed)]
    return "\n".join(lines)


def _adds_up(per_seed: pd.DataFrame) -> str:
    loo_sum = per_seed.groupby("seed")["leave_one_out"].sum()
    return (
        "  Shapley shares add up to the difference in every seed; leave-one-out shares add up "
        f"to {loo_sum.median():,.0f} (median): endorsements interact."
    )


def render_posterior(
    per_seed: pd.DataFrame, config: StrikeConfig, method: str, command: str
) -> str:
    """The report over posterior draws: intervals of what each organization brought, the mean
    with its CI, and how likely each organization holds each rank."""
    s = summarize(per_seed)
    ranks = rank_probabilities(per_seed).loc[s.index]
    seeds = per_seed["seed"].nunique()
    distinct = per_seed["draw"].nunique()
    full = per_seed.groupby("seed")["coalition_marchers"].first()
    none = per_seed.groupby("seed")["no_endorser_marchers"].first()
    width = max(len("organization"), *(len(str(o)) for o in s.index))
    lines = [
        f"Who brought the marchers? {config.scenario.name}, coalition {config.coalition.name}, "
        f"{seeds} posterior draws ({method}); people, median (central 90% interval over draws)",
        f"  command: {command}",
        f"  over {parameter_set(config)}: each seed is one draw, picked by the seed ({distinct} "
        "distinct), its sub-coalitions all on that draw and one city; the spread is the "
        "parameters' uncertainty plus the model's randomness",
        f"  whole coalition: {_interval(full)}   no endorser: {_interval(none)}   "
        f"difference to share out: {_interval(full - none)}",
        "",
        f"  {'organization':<{width}} {'Shapley':>24} {'mean (95% CI)':>24} "
        f"{'leave-one-out':>24} {'P(1st)':>7}",
    ]
    for org, r in s.iterrows():
        rows = per_seed[per_seed["organization"] == org]
        mean = (
            f"{_people(r.shapley_mean)} ({_people(r.shapley_ci_low)}..{_people(r.shapley_ci_high)})"
        )
        lines.append(
            f"  {org:<{width}} {_interval(rows['shapley']):>24} {mean:>24} "
            f"{_interval(rows['leave_one_out']):>24} {r.p_first:>7.2f}"
        )
    header = " ".join(f"{ordinal(k):>6}" for k in range(1, len(ranks.columns) + 1))
    lines += [
        "",
        "  Rank probabilities: share of draws in which the organization ranks 1st, 2nd, ... by "
        "Shapley value (ties to the person share their ranks)",
        f"  {'organization':<{width}} {header}",
    ]
    for org, r in ranks.iterrows():
        lines.append(f"  {org:<{width}} " + " ".join(f"{p:>6.2f}" for p in r))
    first = ranks["rank_1"].idxmax()
    lines += [
        "",
        f"  Most likely first: {first}, in {ranks.loc[first, 'rank_1']:.0%} of the draws.",
        _adds_up(per_seed),
    ]
    return "\n".join(lines)


def provenance_record(result: Attribution, command: str) -> dict[str, Any]:
    """Where the attribution came from: command, seeds, method, code, versions, data files.

    The base run's config is ``config.yaml`` beside it; each run of the attribution is that
    config with ``seed`` set to one of ``seeds`` and ``coalition.endorsers`` to a sub-coalition
    (members kept in roster order). ``draws``: the posterior draw each seed ran, in seed order
    (-1 without a posterior); ``over_posterior``: whether the seeds are posterior draws.
    """
    b = result.config.behavior
    return {
        "command": command,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "seeds": result.seeds,
        "method": result.method,
        "permutations": result.permutations,
        "endorsers": result.players,
        "scenario": result.config.scenario.name,
        "coalition": result.config.coalition.name,
        "over_posterior": result.over_posterior,
        "posterior": b.posterior,
        "pinned": list(b.pinned),
        "draws": [result.draws.get(seed, -1) for seed in result.seeds],
        "runs": len(result.subsets),
        "config": results.CONFIG,
        "strikesim_version": strikesim.__version__,
        **provenance.record(result.config),
    }


def plot_title(result: Attribution) -> str:
    """The figure's title: what was attributed, over how many seeds or draws, by which method."""
    config = result.config
    what = f"Who brought the marchers? {config.scenario.name}, coalition {config.coalition.name}"
    if result.over_posterior:
        return (
            f"{what}, {len(result.seeds)} draws of posterior {config.behavior.posterior} "
            f"({result.method})\nleft: bar = central 90% of draws, white dot = median, dots = "
            f"single draws, black = mean and its {CONFIDENCE:.0%} CI; right: rank probabilities"
        )
    return (
        f"{what}, {len(result.seeds)} seeds ({result.method})\n"
        f"bar: mean over seeds; whisker: {CONFIDENCE:.0%} CI of the mean; dots: single seeds"
    )


def write_attribution(out: Path, result: Attribution, report: str, command: str) -> list[Path]:
    """Write the attribution, its runs and its provenance into ``out``; the paths written.

    ``attribution.csv`` (one row per seed and organization), ``summary.csv`` (per
    organization), ``subsets.csv`` and ``subsets.parquet`` (every sub-coalition run),
    ``config.yaml`` (the base run's config), ``provenance.json`` (:func:`provenance_record`),
    ``attribution.png`` and ``report.txt``; over a posterior also ``rank_probabilities.csv``
    (:func:`rank_probabilities`), and the figure shows intervals over draws and the ranks
    (:func:`strikesim.viz.study_plots.attribution_intervals_figure`) instead of means over
    noise replications (:func:`strikesim.viz.study_plots.attribution_figure`). Each is written
    atomically: a failed write leaves no half-written file.
    """
    out = Path(out)
    summary = summarize(result.per_seed)
    names = ["attribution.csv", "summary.csv"]
    if result.over_posterior:
        names.append("rank_probabilities.csv")
    names += ["subsets.csv", "subsets.parquet", results.CONFIG, "provenance.json"]
    names += ["attribution.png", "report.txt"]
    paths = {name: out / name for name in names}
    results.atomic_write(
        paths["attribution.csv"], lambda tmp: result.per_seed.to_csv(tmp, index=False)
    )
    results.atomic_write(paths["summary.csv"], lambda tmp: summary.to_csv(tmp))
    results.atomic_write(paths["subsets.csv"], lambda tmp: result.subsets.to_csv(tmp, index=False))
    results.write_parquet(paths["subsets.parquet"], result.subsets)
    config_yaml = OmegaConf.to_yaml(OmegaConf.structured(result.config))
    results.write_text(paths[results.CONFIG], config_yaml)
    results.write_json(paths["provenance.json"], provenance_record(result, command))
    if result.over_posterior:
        ranks = rank_probabilities(result.per_seed).loc[summary.index]
        results.atomic_write(paths["rank_probabilities.csv"], lambda tmp: ranks.to_csv(tmp))
        plot_attribution_intervals(
            summary, result.per_seed, ranks, plot_title(result), paths["attribution.png"]
        )
    else:
        plot_attribution(summary, result.per_seed, plot_title(result), paths["attribution.png"])
    results.write_text(paths["report.txt"], report + "\n")
    return list(paths.values())
