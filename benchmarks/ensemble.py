"""Benchmark: the ensemble kernel against one-by-one StrikeModel runs on the 1:1 city.

    python benchmarks/ensemble.py                 # K = 32 and 64, 3 rounds
    python benchmarks/ensemble.py --sizes 8 32 64 --singles 3 --repeats 1

K members share the city (``compose_config(["population=city"])``: the Ice Out scenario, 7 Jan
to 13 Feb with its documented history, on Minneapolis's 429,954 people at 1:1 — the default
scenario's catchment is the metro; the city keeps this table comparable — seed 0) and differ
in behaviour — ``threshold_mean`` x ``union_call`` x ``momentum_weight``, set with
``dataclasses.replace`` — so members differ in thresholds (4 draws), organizational pull and
momentum, and every cascade differs. Each measurement runs in a fresh subprocess, so its peak
RSS (``getrusage``) is its own:

- *ensemble*: ``run_ensemble`` of the K members — city built once — wall time and peak RSS;
- *one by one*: the first ``--singles`` members as a sweep runs them today, each
  ``StrikeModel(config)`` + ``run()`` + ``totals()`` + ``timeseries()`` + ``release()`` (city
  built every time), time per run and the process's peak RSS. Their totals must equal the
  ensemble's members' exactly, or the benchmark stops.

``--repeats`` rounds interleave the two (one-by-one, then each K), so both see the same load
on a shared machine; the table reports medians (peak RSS: the largest).

Targets (issue "Throughput", item 1): >= 10x lower wall time per member; <= 4 GiB at K = 64.
Absolute times are noisy on a shared machine; the per-member ratio less so.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere
from benchmarks.run import run_child

THRESHOLD_MEANS = (0.27, 0.285, 0.294, 0.31)
UNION_CALLS = (0.1, 0.15, 0.192, 0.25)
MOMENTUM_WEIGHTS = (0.3, 0.376, 0.42, 0.5)
GIB = 1024**3


def members(k: int) -> list:
    """The first k configs of the behaviour grid on the 1:1 city."""
    from strikesim.compose import compose_config

    base = compose_config(["population=city"])
    grid = itertools.product(THRESHOLD_MEANS, UNION_CALLS, MOMENTUM_WEIGHTS)
    if k > len(THRESHOLD_MEANS) * len(UNION_CALLS) * len(MOMENTUM_WEIGHTS):
        raise SystemExit(f"--sizes {k}: the behaviour grid has 64 members")
    return [
        dataclasses.replace(
            base,
            behavior=dataclasses.replace(
                base.behavior, threshold_mean=t, union_call=u, momentum_weight=m
            ),
        )
        for t, u, m in itertools.islice(grid, k)
    ]


def peak_rss_gib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GIB


def measure_ensemble(k: int) -> dict:
    from strikesim.engine.ensemble import run_ensemble

    configs = members(k)
    start = time.perf_counter()
    result = run_ensemble(configs)
    wall = time.perf_counter() - start
    return {
        "k": k,
        "ensemble_s": wall,
        "ensemble_rss_gib": peak_rss_gib(),
        "totals": [m.totals for m in result],
    }


def measure_singles(count: int) -> dict:
    from strikesim.engine.model import StrikeModel

    times, totals = [], []
    for config in members(count):
        start = time.perf_counter()
        model = StrikeModel(config)
        model.run()
        totals.append(model.totals())
        model.timeseries()
        model.release()
        times.append(time.perf_counter() - start)
    return {"times": times, "single_rss_gib": peak_rss_gib(), "totals": totals}


def table(rows: list[dict], single: dict) -> str:
    head = (
        "| K | ensemble s | per member s | one by one, per member s | speed-up per member "
        "| peak RSS GiB (ensemble) | peak RSS GiB (one by one) |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        per = r["ensemble_s"] / r["k"]
        lines.append(
            f"| {r['k']} | {r['ensemble_s']:.1f} | {per:.3f} | {single['single_s']:.2f} "
            f"| {single['single_s'] / per:.1f}x | {r['ensemble_rss_gib']:.2f} "
            f"| {single['single_rss_gib']:.2f} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 64])
    parser.add_argument("--singles", type=int, default=2, help="one-by-one runs per round")
    parser.add_argument("--repeats", type=int, default=3, help="rounds (medians are reported)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, n = args.child[0], int(args.child[1])
        print(json.dumps(measure_ensemble(n) if mode == "ensemble" else measure_singles(n)))
        return 0

    from benchmarks.run import machine

    # interleaved, so that one-by-one runs and ensembles see the same load on a shared machine
    singles: list[dict] = []
    runs: dict[int, list[dict]] = {k: [] for k in args.sizes}
    for _ in range(args.repeats):
        singles.append(run_child("singles", args.singles, __file__))
        for k in args.sizes:
            runs[k].append(run_child("ensemble", k, __file__))
    single = {
        "single_s": statistics.median(t for s in singles for t in s["times"]),
        "single_rss_gib": max(s["single_rss_gib"] for s in singles),
    }
    rows = []
    for k in args.sizes:
        shared = min(k, args.singles)
        if any(r["totals"][:shared] != singles[0]["totals"][:shared] for r in runs[k]):
            raise SystemExit(f"K={k}: a member's totals differ from its one-by-one run")
        rows.append(
            {
                "k": k,
                "ensemble_s": statistics.median(r["ensemble_s"] for r in runs[k]),
                "ensemble_rss_gib": max(r["ensemble_rss_gib"] for r in runs[k]),
            }
        )
        print(f"K={k}: {[round(r['ensemble_s'], 2) for r in runs[k]]} s", file=sys.stderr)
    print(f"Machine: {machine()}\n")
    print(table(rows, single))
    print(
        f"\nMedians of {args.repeats} rounds, each: {args.singles} one-by-one runs (each "
        "building the city) in one process, then one process per ensemble. The one-by-one "
        "runs' totals equal their ensemble members' exactly."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
