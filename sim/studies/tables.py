"""A sweep's tidy tables: one row per job, and every job's time series with its factors.

``results.parquet`` holds one row per planned job — its number, status, every factor, every
outcome of its summary (counted on the day at ``scenario.date``) and the marchers of each of the
run's action days as ``marchers@<event id>`` (:func:`event_outcomes`) — and
``timeseries.parquet`` every finished job's days with the job's number and factor values as
columns, so one line of DuckDB or pandas answers a question across the sweep::

    duckdb.sql("SELECT coalition, avg(marchers) FROM 'results.parquet' GROUP BY coalition")
    pd.read_parquet("results.parquet")["marchers@march_2026_01_10"].mean()
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
EVENT_OUTCOMES = ("marchers",)
"""Totals of every action day that become columns ``<total>@<event id>``."""


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
    """The numeric outcomes of a run's summary (counts in people, shares, probabilities): the
    day at ``scenario.date``'s, then :func:`event_outcomes`."""
    found = {
        key: value
        for key, value in summary.items()
        if _is_number(value) and key not in NOT_OUTCOMES
    }
    return found | event_outcomes(summary)


def event_outcomes(summary: dict[str, Any]) -> dict[str, Any]:
    """``marchers@<event id>`` for every action day of ``summary["events"]``, in date order.

    The documented earlier marches and strikes go by their id in ``scenarios/data/events.csv``
    (``marchers@march_2026_01_10``), the day at ``scenario.date`` by the scenario's name (equal
    to ``marchers``): a day is the same column in every job that has it, whether it is history
    there or the day modelled. A job without that day (another date range, another scenario)
    has no value there.

    Why columns and not a second table: one row per job keeps "how many marched on 10 Jan when
    the coalition was broad" one query, and a sweep compares them like any outcome
    (``strikesim compare --outcome marchers@march_2026_01_10``).
    """
    found: dict[str, Any] = {}
    for event in summary.get("events") or []:
        if not isinstance(event, dict) or not isinstance(event.get("event"), str):
            continue
        for key in EVENT_OUTCOMES:
            if _is_number(event.get(key)):
                found[f"{key}@{event['event']}"] = event[key]
    return found


CELLS_SHOWN = 12
"""Cells a finished sweep prints (:func:`cell_lines`); ``strikesim compare`` has them all."""


def cell_lines(folder: Path, table: pd.DataFrame, factors: list[str]) -> list[str]:
    """Marchers per cell of a sweep (every swept key but the seed): the median and the central
    90% of its runs, the numbers a reader quotes — a predictive interval when the runs drew
    from the posterior (each seed one draw), else the spread of the model's randomness."""
    done = table[table["status"] == "done"]
    if done.empty or "marchers" not in done:
        return []
    first = results.read_summary(folder / str(done["job"].iloc[0]))
    kind = (
        "90% predictive interval over posterior draws"
        if first.get("posterior")
        else "5-95% over seeds at one parameter set"
    )
    cells = [f for f in factors if f != "seed"]
    groups = done.groupby(cells, sort=False)["marchers"] if cells else [((), done["marchers"])]
    lines = [f"strikesim: marchers per cell, median ({kind}):"]
    for n, (cell, marchers) in enumerate(groups):
        if n == CELLS_SHOWN:
            lines.append(f"  ... {len(groups) - n} more cells: strikesim compare {folder}")
            break
        values = cell if isinstance(cell, tuple) else (cell,)
        label = " ".join(f"{k}={v}" for k, v in zip(cells, values, strict=True)) or "all runs"
        low, median, high = marchers.quantile([0.05, 0.5, 0.95])
        lines.append(f"  {label}: {median:,.0f} ({low:,.0f}-{high:,.0f}; {len(marchers)} runs)")
    return lines


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


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
    series = job_series(folder, table.loc[table["status"] == "done", ["job", *factors]])
    results.write_parquet(folder / RESULTS, table)
    if series is not None:
        results.write_parquet(folder / TIMESERIES, series)
    return table


def job_series(folder: Path, jobs: pd.DataFrame) -> pd.DataFrame | None:
    """Every job's ``timeseries.parquet`` in one frame, with the columns of ``jobs`` (its number
    and factor values) repeated on each of its rows; None without jobs.

    Read as Arrow tables and converted to pandas once: a sweep's tables are rebuilt from every
    job folder when a session closes, and one pandas frame per job cost more than the job's
    own files took to write (~1.5 ms a job, ~15 s at the end of a 10,000-job sweep).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if jobs.empty:
        return None
    parts = [pq.read_table(folder / str(job) / results.TIMESERIES) for job in jobs["job"]]
    series = pa.concat_tables(parts, promote_options="default").to_pandas()
    rows = [part.num_rows for part in parts]
    for key in jobs.columns:
        series[key] = jobs[key].repeat(rows).reset_index(drop=True)
    return series
