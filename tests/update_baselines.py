"""Regenerate (or ``--check``) the pinned outcomes of small scenarios, tests/baselines/*.json.

Why a baseline: the engine is refactored often (vectorized kernels, random streams, data
layout), and a refactor that claims to keep behaviour must not move a single number. Eleven
small runs (~10 s in all) that together exercise every part of the model — seeds, coalitions,
school walkouts, the documented history (earlier action days with their own weather and callers,
the killings as outrage shocks, fatigue from earlier marches), a march-only day, a campaign
without history, the metro catchment (distance to downtown), cold, wind chill with an indoor
refuge, heat, rain, a scaled sample, the classroom town — pin every outcome of
``simulate(config).summary`` (the ``events`` rows of every action day included) and a hash of
the whole timeseries. tests/test_baseline.py
recomputes them and prints a per-key difference when anything moved.

When updating is legitimate: only when the change of numbers is the *intent* of the change —
a re-calibrated or new parameter, a fixed bug in the rule, a new random draw in the model, a
changed preset — and then the commit that rewrites tests/baselines/small_scenarios.json says so
in its message (what changed, and that the baseline moved because of it), so that a reviewer
sees an intended change, not an accident. Never update it to make a refactor pass: a refactor
leaves this file byte-identical. Run ``--check`` first and read the difference.

Usage (from the repository root)::

    .venv/bin/python -m tests.update_baselines          # rewrite the file
    .venv/bin/python -m tests.update_baselines --check  # print differences; exit 1 if any
    .venv/bin/python tests/update_baselines.py --check  # the same
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from strikesim.compose import compose_config
from strikesim.run import simulate

BASELINE = Path(__file__).parent / "baselines" / "small_scenarios.json"

# name -> overrides, exactly as on the command line. Each run is small (<= 20,000 agents).
# The fixed point set (behavior=default): the mechanism at known values, so that a change of the
# model's numbers shows here and not as a different posterior draw; one scenario runs the shipped
# posterior.
POINT = "behavior=default"
SCENARIOS: dict[str, list[str]] = {
    # the default scenario (ice_out_2026: seed coalition, 8 °F, school walkouts), three seeds
    "small_seed0": ["population=small", POINT, "seed=0"],
    "small_seed1": ["population=small", POINT, "seed=1"],
    "small_seed2": ["population=small", POINT, "seed=2"],
    # fewer endorsers: union and federation calls reach fewer people, less protection
    "narrow_coalition": ["population=small", POINT, "coalition=narrow"],
    # -20 °F with an indoor refuge, the documented coalition; the 10 Jan march comes first
    "day_of_truth": ["population=small", POINT, "scenario=day_of_truth_2026_01_23"],
    # a march-only day three days after the 7 Jan killing: outrage, one caller (MIRAC)
    "march_jan10": ["population=small", POINT, "scenario=march_2026_01_10"],
    # no history: one call a week before 13 Feb, no shocks, no earlier action day
    "no_history": [
        "population=small",
        POINT,
        "scenario.history=false",
        "scenario.start_date=2026-01-30",
    ],
    # people across the seven-county metro: the trip downtown, marchers from the rest of the metro
    "metro_catchment": ["population=small", POINT, "population.catchment=metro", "seed=4"],
    # the shipped warm counterfactual: 40 °F, cold term smaller
    "warm": ["population=small", POINT, "scenario=ice_out_2026_warm"],
    # above the comfort temperature and wet: the heat and rain terms; one agent per 5 people
    "hot_wet_sample": [
        "population=small",
        POINT,
        "population.scale=5",
        "weather=mild",
        "weather.temperature_f=90",
        "weather.precipitation_in=0.5",
    ],
    # the shipped behaviour: the seed's draw of the recorded posterior (one row of the table)
    "shipped_posterior": ["population=small", "seed=0"],
    # the 1,000-person town of the demo
    "classroom": ["population=classroom", POINT, "seed=3"],
}

# Numbers in the summary that echo the input or measure the machine, not the model's outcome.
# Every other number (int, float, bool, also inside a dict, and in each row of ``events``, keyed
# by its event id) is pinned; strings and other lists (scenario name, date, weather text,
# endorsers, versions, git commit) are descriptions. A NaN (no published figure) is kept as None.
NOT_OUTCOMES = frozenset(
    {
        "seed",
        "scale",
        "observed_unscaled",
        "observed.scaled_from_population",
        "wall_time_s",
        "peak_rss_mib",
    }
)

# Outcome keys that may be None (no observed figure to compare with).
NULLABLE = frozenset({"ratio_to_observed"})

# Floats are compared to this relative precision: libm's exp() may differ in the last bit
# between platforms; every count is an integer and compared exactly.
FLOAT_REL_TOL = 1e-9
# Decimals of ``people`` in the hashed timeseries, for the same reason (counts are integers).
HASH_DECIMALS = 6


def outcomes(summary: dict[str, Any], prefix: str = "") -> dict[str, int | float | bool | None]:
    """The summary's outcome numbers, nested dicts flattened to ``"observed.marchers"`` keys and
    each action day's row to ``"events.<event id>.marchers"`` keys."""
    out: dict[str, int | float | bool | None] = {}
    for key, value in summary.items():
        name = prefix + key
        if name in NOT_OUTCOMES:
            continue
        if isinstance(value, dict):
            out.update(outcomes(value, name + "."))
        elif name == "events":
            for row in value:
                out.update(outcomes(row, f"{name}.{row['event']}."))
        elif isinstance(value, float | np.floating) and math.isnan(value):
            out[name] = None
        elif isinstance(value, bool | int | float | np.number | np.bool_):
            out[name] = value.item() if isinstance(value, np.generic) else value
        elif value is None and name in NULLABLE:
            out[name] = None
    return out


def timeseries_sha256(ts: pd.DataFrame) -> str:
    """SHA-256 of the timeseries as canonical text: columns by name, rows sorted, fixed decimals.

    Why text rather than ``pd.util.hash_pandas_object``: the hash then depends only on the
    table's contents, not on pandas' version, its string dtype or the order in which the model
    appends rows — none of which is an outcome. Float columns (``people``) are written with
    :data:`HASH_DECIMALS` decimals; every other column (day, phase, agent type, form) is a key.
    """
    columns = sorted(ts.columns)
    floats = [c for c in columns if pd.api.types.is_float_dtype(ts[c])]
    keys = [c for c in columns if c not in floats]
    table = ts[columns].sort_values(keys, kind="stable") if keys else ts[columns]
    lines = [",".join(columns)]
    for row in table.itertuples(index=False, name=None):
        cells = (
            f"{x:.{HASH_DECIMALS}f}" if c in floats else str(x)
            for c, x in zip(columns, row, strict=True)
        )
        lines.append(",".join(cells))
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def committed_by_day(ts: pd.DataFrame) -> list[int | float]:
    """People committed on each day, campaign and strike day, summed over agent types.

    Stored beside the hash so that a changed trajectory shows *where* it first changed.
    """
    committed = ts[ts["form"] == "committed"].groupby("day")["people"].sum()
    return [int(x) if float(x).is_integer() else float(x) for x in committed.sort_index()]


def record(overrides: list[str]) -> dict[str, Any]:
    """Run one scenario and keep what the baseline pins."""
    result = simulate(compose_config(overrides))
    return {
        "overrides": list(overrides),
        "outcomes": outcomes(result.summary),
        "committed_by_day": committed_by_day(result.timeseries),
        "timeseries_rows": len(result.timeseries),
        "timeseries_sha256": timeseries_sha256(result.timeseries),
    }


def compute_all() -> dict[str, Any]:
    return {name: record(overrides) for name, overrides in SCENARIOS.items()}


def load() -> dict[str, Any]:
    return json.loads(BASELINE.read_text())["scenarios"]


def write(scenarios: dict[str, Any]) -> None:
    BASELINE.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "about": (
            "Pinned outcomes of small runs (tests/test_baseline.py). Regenerate only for an "
            "intended change of the model's numbers, said so in the commit message: "
            "python -m tests.update_baselines (see its docstring)."
        ),
        "scenarios": scenarios,
    }
    BASELINE.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a == b and type(a) is type(b)
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=FLOAT_REL_TOL, abs_tol=0.0)
    return a == b


def _change(old: Any, new: Any) -> str:
    numbers = [x for x in (old, new) if isinstance(x, int | float) and not isinstance(x, bool)]
    if len(numbers) == 2:
        delta = new - old
        rel = f", {delta / old:+.2%}" if old else ""
        return f"{old!r} -> {new!r} ({delta:+.6g}{rel})"
    return f"{old!r} -> {new!r}"


def diff(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """Readable differences of one scenario's record, one line per key; empty when equal."""
    lines = []
    if expected["overrides"] != actual["overrides"]:
        lines.append(f"overrides: {expected['overrides']} -> {actual['overrides']}")
    old, new = expected["outcomes"], actual["outcomes"]
    for key in sorted(old.keys() | new.keys()):
        if key not in new:
            lines.append(f"{key}: no longer in the summary (was {old[key]!r})")
        elif key not in old:
            lines.append(f"{key}: new outcome {new[key]!r} (not in the baseline)")
        elif not _same(old[key], new[key]):
            lines.append(f"{key}: {_change(old[key], new[key])}")
    days_old, days_new = expected["committed_by_day"], actual["committed_by_day"]
    if len(days_old) != len(days_new):
        lines.append(f"committed_by_day: {len(days_old)} days -> {len(days_new)} days")
    for day, (a, b) in enumerate(zip(days_old, days_new, strict=False)):
        if not _same(a, b):
            lines.append(f"committed_by_day: first differs on day {day}: {_change(a, b)}")
            break
    if expected["timeseries_rows"] != actual["timeseries_rows"]:
        lines.append(
            f"timeseries_rows: {expected['timeseries_rows']} -> {actual['timeseries_rows']}"
        )
    if expected["timeseries_sha256"] != actual["timeseries_sha256"]:
        lines.append(
            "timeseries_sha256: the timeseries table changed "
            f"({expected['timeseries_sha256'][:12]}… -> {actual['timeseries_sha256'][:12]}…)"
        )
    return lines


def diff_all(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """Differences of every scenario, each line prefixed by the scenario's name."""
    lines = []
    for name in sorted(expected.keys() - actual.keys()):
        lines.append(f"{name}: in the baseline, no longer in SCENARIOS")
    for name in sorted(actual.keys() - expected.keys()):
        lines.append(f"{name}: new scenario, not in the baseline")
    for name in (n for n in actual if n in expected):
        lines.extend(f"{name}: {line}" for line in diff(expected[name], actual[name]))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="print the differences and exit 1 if any"
    )
    args = parser.parse_args(argv)
    actual = compute_all()
    if args.check:
        if not BASELINE.exists():
            print(f"no baseline at {BASELINE}; run without --check to create it")
            return 1
        lines = diff_all(load(), actual)
        print("\n".join(lines) if lines else f"baseline up to date ({len(actual)} scenarios)")
        return 1 if lines else 0
    write(actual)
    print(f"wrote {BASELINE} ({len(actual)} scenarios)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
