"""Pick the shipped behaviour defaults from a recorded calibration and confirm them at scale 1.

    .venv/bin/python docs/confirm_calibration.py docs/calibration/ice_out_2026 [--seeds 8]

Rule: the accepted candidate with the smallest distance to the record (trials.csv), rounded to
3 decimals. The calibration ran at population.scale=10 for speed; this script re-runs the rounded
values on the full city (one agent per person) for seeds 0..N-1 and writes ``shipped.yaml`` in the
study folder: the values, where they came from and the confirmed marchers. Copy the values into
conf/behavior/default.yaml (tests/test_calibration.py checks that they agree).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import OmegaConf

from strikesim import results
from strikesim.compose import compose_config
from strikesim.run import simulate
from strikesim.studies.calibration_spec import load_spec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", type=Path)
    parser.add_argument("--seeds", type=int, default=8)
    args = parser.parse_args()
    report = json.loads((args.study / "report.json").read_text())
    spec = load_spec(report["source"])
    trials = pd.read_csv(args.study / "trials.csv")
    best = trials[trials["accepted"]].sort_values("distance").iloc[0]
    values = {k: round(float(best[k]), 3) for k in spec.parameters}
    confirmed = {}
    for label, overrides in spec.targets.items():
        config = compose_config([*overrides, *(f"{k}={v}" for k, v in values.items())])
        marchers = [
            int(simulate(dataclasses.replace(config, seed=seed)).summary["marchers"])
            for seed in range(args.seeds)
        ]
        confirmed[label] = {
            "population": config.population.name,
            "scale": config.population.scale,
            "seeds": f"0..{args.seeds - 1}",
            "marchers": marchers,
            "median": float(np.median(marchers)),
        }
        print(label, marchers, flush=True)
    record = {
        "rule": "accepted candidate with the smallest distance, rounded to 3 decimals",
        "study": str(args.study),
        "trial": int(best["trial"]),
        "distance": float(best["distance"]),
        "behavior": {k.removeprefix("behavior."): v for k, v in values.items()},
        "confirmed_full_city": confirmed,
    }
    results.write_text(args.study / "shipped.yaml", OmegaConf.to_yaml(OmegaConf.create(record)))
    print(OmegaConf.to_yaml(OmegaConf.create(record)))


if __name__ == "__main__":
    main()
