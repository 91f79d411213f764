"""What a calibration costs: one particle alone and in a batch, and the recorded study.

    .venv/bin/python benchmarks/calibration.py              # ~3 minutes; prints the table
    .venv/bin/python benchmarks/calibration.py --batch 16   # a smaller batch, ~1.5 minutes

1. *alone*: one simulation of the campaign spec's run (``scenario=ice_out_2026`` on the metro at
   1:10, the scale it is fitted at) by :func:`strikesim.run.simulate_many` with one config:
   the city is built for it alone.
2. *batch*: ``--batch`` particles drawn from the prior, simulated together on one city, as the
   calibration's sampler does (:class:`strikesim.studies.calibrate.CityBatchSampler`); the
   per-member cost is the batch's divided by its size.
3. *recorded study*: from ``docs/calibration/campaign_2026/study.json`` (the sessions the
   command recorded): simulations, wall time, CPU time (workers included) and core-hours.

CPU seconds are this process's (user + system): on a machine shared with others, wall time
depends on the load and CPU time does not. No assertion: a table.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "docs" / "calibration" / "campaign_2026" / "study.json"


def cpu() -> float:
    """This process's CPU seconds so far (user + system)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(configs: list) -> tuple[float, float]:
    """(wall s, CPU s) of simulating ``configs`` together."""
    from strikesim.run import simulate_many

    wall, start = time.perf_counter(), cpu()
    simulate_many(configs)
    return time.perf_counter() - wall, cpu() - start


def prior_configs(n: int, seed: int) -> list:
    """``n`` configs of the campaign spec at draws of its prior, all on seed ``seed``."""
    from strikesim.studies import calibrate
    from strikesim.studies.calibration_spec import load_spec, schema_priors

    spec = load_spec("campaign_2026")
    priors = schema_priors(list(spec.parameters))
    simulator = calibrate.CitySimulator(spec, priors, spec.targets)
    prior = calibrate.ValidPrior(priors, simulator.valid)
    np.random.seed(seed)
    return [c for _ in range(n) for c in simulator.configs(dict(prior.rvs()), seed)]


def recorded() -> dict[str, float] | None:
    """Totals of the recorded study's sessions, or None if there is no record."""
    if not RECORD.is_file():
        return None
    sessions = json.loads(RECORD.read_text(encoding="utf-8")).get("sessions", [])
    if not sessions:
        return None
    return {
        "simulations": sum(s["simulations"] for s in sessions),
        "wall_s": sum(s["wall_s"] for s in sessions),
        "cpu_s": sum(s["cpu_s"] for s in sessions),
        "workers": max(s["workers"] for s in sessions),
    }


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32, help="particles in the batch (32)")
    parser.add_argument("--seed", type=int, default=1, help="city and prior draws (1)")
    args = parser.parse_args()
    configs = prior_configs(args.batch + 1, args.seed)
    timed(configs[-1:])  # warm-up: imports, caches
    alone_wall, alone_cpu = timed(configs[:1])
    batch_wall, batch_cpu = timed(configs[1:])
    n = args.batch
    rows = [
        (
            "one simulation alone (metro 1:10, 7 Jan-13 Feb)",
            f"{alone_cpu:.2f}",
            f"{alone_wall:.2f}",
        ),
        (f"a batch of {n} on one city", f"{batch_cpu:.1f}", f"{batch_wall:.1f}"),
        (f"per member of the batch of {n}", f"{batch_cpu / n:.2f}", f"{batch_wall / n:.2f}"),
    ]
    study = recorded()
    if study is not None:
        rows += [
            (
                f"recorded study: {study['simulations']:,.0f} simulations, "
                f"{study['workers']:.0f} workers",
                f"{study['cpu_s']:,.0f} ({study['cpu_s'] / 3600:.2f} core-hours)",
                f"{study['wall_s']:,.0f} ({study['wall_s'] / 60:.1f} min)",
            ),
            (
                "recorded study, per simulation",
                f"{study['cpu_s'] / study['simulations']:.2f}",
                f"{study['wall_s'] / study['simulations']:.2f}",
            ),
        ]
    print("| what | CPU s | wall s |")
    print("|---|---|---|")
    for what, cpu_s, wall_s in rows:
        print(f"| {what} | {cpu_s} | {wall_s} |")


if __name__ == "__main__":
    main()
