"""What a finished sweep prints per cell: the median and the central 90% of its runs, named as a
predictive interval when the runs drew from the posterior."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from strikesim.studies.tables import CELLS_SHOWN, cell_lines


def sweep_table(folder: Path, posterior: dict | None, cells: int, seeds: int) -> pd.DataFrame:
    """A results table of ``cells`` temperatures x ``seeds`` seeds (one failed job), and the
    first job's summary saying whether it drew from a posterior."""
    rng = np.random.default_rng(0)
    rows = [
        {"job": n, "status": "done", "weather.temperature_f": t, "seed": s}
        | {"marchers": int(rng.integers(100, 10_000))}
        for n, (t, s) in enumerate((t, s) for t in range(cells) for s in range(seeds))
    ]
    rows.append({"job": len(rows), "status": "failed", "weather.temperature_f": 0, "seed": 99})
    (folder / "0").mkdir(parents=True)
    (folder / "0" / "summary.json").write_text(json.dumps({"posterior": posterior}))
    return pd.DataFrame(rows)


def test_each_cell_gets_its_runs_median_and_90_percent_range(tmp_path: Path) -> None:
    table = sweep_table(tmp_path, {"name": "campaign_2026", "draw": 4}, cells=3, seeds=20)
    lines = cell_lines(tmp_path, table, ["weather.temperature_f", "seed"])
    assert lines[0].endswith("(90% predictive interval over posterior draws):")
    assert len(lines) == 4
    for t, line in enumerate(lines[1:]):
        marchers = table.query("status == 'done' and `weather.temperature_f` == @t")["marchers"]
        low, median, high = np.percentile(marchers, [5, 50, 95])
        assert line == (
            f"  weather.temperature_f={t}: {median:,.0f} ({low:,.0f}-{high:,.0f}; 20 runs)"
        )


def test_a_fixed_point_sweep_says_so_and_long_sweeps_point_to_compare(tmp_path: Path) -> None:
    table = sweep_table(tmp_path, None, cells=CELLS_SHOWN + 3, seeds=2)
    lines = cell_lines(tmp_path, table, ["weather.temperature_f", "seed"])
    assert "5-95% over seeds at one parameter set" in lines[0]
    assert len(lines) == 1 + CELLS_SHOWN + 1
    assert lines[-1] == f"  ... 3 more cells: strikesim compare {tmp_path}"
    only_seeds = cell_lines(tmp_path, table, ["seed"])
    assert only_seeds[1].startswith("  all runs: ") and only_seeds[1].endswith("; 30 runs)")
