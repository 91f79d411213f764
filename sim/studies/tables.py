"""A sweep's tidy tables: one row per job, and every job's time series with its factors.

``results.parquet`` holds one row per planned job — its number, status, every factor and every
outcome of its summary — and ``timeseries.parquet`` every finished job's days with the job's
number and factor values as columns, so one line of DuckDB or pandas answers a question across
the sweep::

    duckdb.sql("SELECT coalition, avg(marchers) FROM 'results.parquet' GROUP BY coalition")
    pd.read_parquet("timeseries.parquet").query("form == 'committed'")

Both are rebuilt from the job folders whenever a sweep session closes; columns are described in
docs/outputs.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from strikesim import results

RESULTS = "results.parquet"
TIMESERIES = "timeseries.parquet"
# summary fields that describe the run, not its outcome
NOT_OUTCOMES = {"seed", "scale", "wall_time_s", "peak_rss_mib", "ratio_to_observed"}


def typed(values: pd.Series) -> pd.Series:
    """A factor's values as numbers or booleans when they all are, else as text."""
    for kind in (int, float):
        try:
            return values.map(kind)
        except ValueError:
            continue
    if set(values.str.lower()) <= {"true", "false"}:
        return values.str.lower() == "true"
    return values


def outcomes(summary: dict[str, Any]) -> dict[str, Any]:
    """The numeric outcomes of a run's summary (counts in people, shares, probabilities)."""
    return {
        key: value
        for key, value in summary.items()
        if isinstance(value, int | float)
        and not isinstance(value, bool)
        and key not in NOT_OUTCOMES
    }


def write_tables(folder: Path, jobs: list[dict[str, Any]], factors: list[str]) -> pd.DataFrame:
    """Rebuild ``results.parquet`` and ``timeseries.parquet`` from the finished job folders.

    ``jobs``: the index rows (job, status, overrides); ``factors``: the swept keys.
    """
    rows = []
    for job in jobs:
        values = dict(o.split("=", 1) for o in job["overrides"].split())
        row = {"job": job["job"], "status": job["status"]}
        row |= {key: values[key] for key in factors}
        row.setdefault("seed", values.get("seed", "0"))
        if job["status"] == "done":
            row |= outcomes(results.read_summary(folder / str(job["job"])))
        rows.append(row)
    table = pd.DataFrame(rows)
    for key in {*factors, "seed"}:
        table[key] = typed(table[key].astype(str))
    done = table.loc[table["status"] == "done", ["job", *factors]].to_dict("records")
    series = [
        pd.read_parquet(folder / str(row["job"]) / results.TIMESERIES).assign(**row) for row in done
    ]
    results.write_parquet(folder / RESULTS, table)
    if series:
        results.write_parquet(folder / TIMESERIES, pd.concat(series, ignore_index=True))
    return table
