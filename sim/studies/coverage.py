"""Does the calibration tell the truth? Simulation-based calibration on a synthetic record.

Each trial draws a known truth from the prior, simulates the spec's targets at it on a fresh
seed, adds the record's own error (the log-normal of
:class:`~strikesim.studies.calibrate.RecordKernel`, with the spec's spreads), and calibrates
against that synthetic record exactly as ``strikesim calibrate`` does (same sampler, kernel,
temperature schedule). If the method is right, the truth is a draw from each trial's posterior:
its rank among the posterior's draws (Talts et al. 2018; randomized to be exactly uniform on
[0, 1], :func:`rank_pit`) is uniform, and a central credible interval of level q covers the
truth in a share q of trials, up to binomial noise.

Only two-sided fitted targets can be simulated this way (a one-sided figure is an event, "above
10,000", not a number with an error), so a coverage spec has no one-sided fitted target.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.stats import beta, binom

from strikesim.config import ConfigError
from strikesim.studies import calibrate
from strikesim.studies.calibration_spec import CalibrationSpec, Role, load_targets, target_log_sd

TRUTH = 0x7275  # a stream tag: the truth's draws never coincide with a study's
LEVELS = (0.5, 0.8, 0.9)
"""Central credible levels checked (the report's intervals are 90%)."""


@dataclass(frozen=True)
class Truth:
    """One trial's known answer: the drawn parameters and the synthetic record."""

    theta: dict[str, float]  # continuous draws, as pyabc samples them
    centres: dict[str, float]  # synthetic record, log(1 + people) by target key


def check_coverage_spec(spec: CalibrationSpec) -> None:
    """Refuse a spec whose fitted targets cannot be simulated as records (one-sided ones)."""
    for n, t in enumerate(load_targets(spec, spec.source or spec.name)):
        if t.role is Role.fitted and None in t.range:
            raise ConfigError(
                f"{spec.source or spec.name}: targets[{n}].range={t.range} is one-sided; "
                "allowed in a coverage study: fitted targets with both ends"
            )


def draw_truth(spec: CalibrationSpec, simulator: calibrate.CitySimulator, trial: int) -> Truth:
    """The truth of trial ``trial``: parameters from the prior, a record simulated from them."""
    rng = np.random.default_rng([spec.seed, trial, TRUTH])
    for _ in range(calibrate.ValidPrior.MAX_TRIES):  # the box truncated to valid draws
        theta = {k: float(rng.uniform(*p.support)) for k, p in simulator.priors.items()}
        if simulator.valid(theta):
            break
    else:
        raise ConfigError(
            f"trial {trial}: no valid draw of the prior box; allowed: priors "
            "whose box the model mostly accepts"
        )
    seed = calibrate.derived_seed(spec.seed, trial, TRUTH)
    (stats,) = simulator.simulate([([theta], [seed])])
    centres = {}
    for t in load_targets(spec, spec.source or spec.name):
        if t.role is Role.fitted:
            key = calibrate.target_key(t)
            centres[key] = float(stats[key][0] + rng.normal(0.0, target_log_sd(spec, t)))
    return Truth(theta, centres)


def posterior_cdf(draws: np.ndarray, weights: np.ndarray, value: float) -> float:
    """The weighted share of posterior draws below ``value`` (ties count half)."""
    below = weights[draws < value].sum() + 0.5 * weights[draws == value].sum()
    return float(below / weights.sum())


def rank_pit(cdf: float, draws: int, jitter: float) -> float:
    """The truth's randomized rank among ``draws`` posterior draws, on [0, 1].

    Why not the CDF itself: with N equal-weight draws from the exact posterior, the number below
    the truth is uniform on {0, ..., N}, so ``cdf`` takes N + 1 values and a "central 90%" of
    them holds fewer than 90% (84% with N = 24; the first recorded run measured exactly that).
    ``(N cdf + jitter) / (N + 1)`` with ``jitter`` uniform on [0, 1) is exactly uniform (Talts
    et al. 2018, section 4). With unequal weights ``N cdf`` is not an integer and this is an
    approximation; the recorded method, one generation at T = 1, weighs all draws alike.
    """
    return (draws * cdf + jitter) / (draws + 1)


def run_trial(
    spec: CalibrationSpec, simulator: calibrate.CitySimulator, trial: int
) -> pd.DataFrame:
    """One trial: rows per parameter with the truth, its posterior CDF, its randomized rank
    (:func:`rank_pit`) and coverage per level (of the rank: a central q-interval covers the
    truth when the rank lies within q / 2 of 0.5)."""
    truth = draw_truth(spec, simulator, trial)
    trial_spec = replace(spec, seed=int(calibrate.derived_seed(spec.seed, trial, 1) % 2**32))
    study = calibrate.setup(trial_spec, simulator=simulator, centres=truth.centres)
    history = calibrate.run_abc(study, "sqlite://", resume=False)
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    weights = np.asarray(weights, float)
    jitter = np.random.default_rng([spec.seed, trial, TRUTH, 1]).random(len(truth.theta))
    rows = []
    for (key, value), v in zip(truth.theta.items(), jitter, strict=True):
        cdf = posterior_cdf(frame[key].to_numpy(), weights, value)
        pit = rank_pit(cdf, len(weights), float(v))
        row = {
            "trial": trial,
            "parameter": key,
            "truth": value,
            "posterior_cdf": cdf,
            "rank_pit": pit,
            "draws": len(weights),
            "ess": float(weights.sum() ** 2 / (weights**2).sum()),
            "generations": history.max_t + 1,
            "final_temperature": float(history.get_all_populations().epsilon.iloc[-1]),
        }
        row |= {f"covered_{round(q * 100)}": abs(pit - 0.5) <= q / 2 for q in LEVELS}
        rows.append(row)
    return pd.DataFrame(rows)


def _trials(spec: CalibrationSpec, trials: Sequence[int]) -> pd.DataFrame:
    """The trials ``trials`` in this process, on one simulator (configs composed once)."""
    calibrate.quiet_pyabc()
    first = calibrate.setup(spec)
    return pd.concat(
        [run_trial(spec, first.simulator, trial) for trial in trials], ignore_index=True
    )


def coverage_study(spec: CalibrationSpec, trials: Sequence[int], workers: int = 1) -> pd.DataFrame:
    """Every trial of ``trials`` (indices: a study can be run in parts and joined).

    ``workers`` processes run interleaved shares of the trials; a trial depends only on its
    index and the spec's seed, so the table is the same whatever ``workers`` is.
    """
    check_coverage_spec(spec)
    trials = list(trials)
    if workers <= 1 or len(trials) <= 1:
        return _trials(spec, trials)
    shares = [trials[w::workers] for w in range(workers)]
    with ProcessPoolExecutor(workers) as pool:
        parts = list(pool.map(_trials, [spec] * workers, shares))
    table = pd.concat(parts, ignore_index=True)
    order = {t: n for n, t in enumerate(trials)}
    return table.sort_values("trial", key=lambda c: c.map(order), kind="stable").reset_index(
        drop=True
    )


def pooled(table: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Per level, over every parameter and trial: the covered share and its exact binomial
    (Clopper-Pearson) interval — the coverage rate with its uncertainty, the number to record.

    Parameters of one trial share a posterior, so pooled rows are not quite independent; the
    per-parameter table (:func:`summarize`) is the stricter check.
    """
    rows = []
    n = len(table)
    alpha = 1 - confidence
    for q in LEVELS:
        k = int(table[f"covered_{round(q * 100)}"].sum())
        low = float(beta.ppf(alpha / 2, k, n - k + 1)) if k > 0 else 0.0
        high = float(beta.ppf(1 - alpha / 2, k + 1, n - k)) if k < n else 1.0
        rows.append(
            {
                "level": q,
                "intervals": n,
                "covered": k,
                "share": k / n,
                "ci_low": low,
                "ci_high": high,
                "nominal_inside": bool(low <= q <= high),
            }
        )
    return pd.DataFrame(rows)


def summarize(table: pd.DataFrame) -> pd.DataFrame:
    """Per parameter and level: trials, covered share, and the binomial 99% band around q.

    The band is where the covered count of a correct method falls 99% of the time (exact
    binomial quantiles), so a share outside it says the intervals are too narrow or too wide.
    """
    rows = []
    for key, group in table.groupby("parameter", sort=False):
        n = len(group)
        for q in LEVELS:
            covered = int(group[f"covered_{round(q * 100)}"].sum())
            low, high = binom.ppf(0.005, n, q), binom.ppf(0.995, n, q)
            rows.append(
                {
                    "parameter": key,
                    "level": q,
                    "trials": n,
                    "covered": covered,
                    "share": covered / n,
                    "band_low": int(low),
                    "band_high": int(high),
                    "inside_band": bool(low <= covered <= high),
                    "mean_rank": float(group["rank_pit"].mean()),
                }
            )
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    """``python -m strikesim.studies.coverage``: run a coverage study, write its tables.

    Writes ``trials.csv`` (one row per trial and parameter), ``summary.csv`` (per parameter and
    level, with the binomial 99% band) and ``pooled.csv`` (per level, the rate and its 95%
    interval) into a new ``--out`` folder, and prints the pooled table. Bad input: one line,
    exit code 2, nothing written.
    """
    import argparse
    import sys
    import time
    from pathlib import Path

    from strikesim import results
    from strikesim.studies.calibration_spec import load_spec

    parser = argparse.ArgumentParser(prog="python -m strikesim.studies.coverage")
    parser.add_argument("spec", nargs="?", default="coverage_town", help="a coverage spec")
    parser.add_argument("--trials", type=int, default=100, help="trials 0..N-1 (100)")
    parser.add_argument("--workers", type=int, default=1, help="processes (results unchanged)")
    parser.add_argument("--out", type=Path, required=True, help="a new folder for the tables")
    args = parser.parse_args(argv)
    try:
        if args.trials < 1 or args.workers < 1:
            raise ConfigError(
                f"--trials={args.trials} --workers={args.workers}; allowed: integers >= 1"
            )
        spec = load_spec(args.spec)
        check_coverage_spec(spec)
        results.refuse_existing(args.out, "--out")
    except ConfigError as exc:  # one line, as every strikesim command reports bad input
        print(f"strikesim: config error: {exc}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    table = coverage_study(spec, range(args.trials), workers=args.workers)
    wall = time.perf_counter() - start
    results.make_parents(args.out)
    for name, frame in {
        "trials.csv": table,
        "summary.csv": summarize(table),
        "pooled.csv": pooled(table),
    }.items():
        results.atomic_write(args.out / name, lambda tmp, f=frame: f.to_csv(tmp, index=False))
    print(pooled(table).to_string(index=False))
    print(f"{args.trials} trials of {spec.name} in {wall / 60:.1f} min wall", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
