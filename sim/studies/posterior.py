"""The calibrated posterior as data: a table of weighted draws, and configs from its rows.

``strikesim calibrate`` writes ``posterior.parquet`` (and the same as ``posterior.csv``, without
``weight`` when the weights are equal) into its study folder: one row per particle of the last
ABC-SMC generation, a ``draw`` index, one column per calibrated config key (the value the runs
used: integer keys rounded) and ``weight`` (importance weights summing to 1). A run that draws
"from the posterior" picks a row with probability ``weight`` (:func:`sample_draws`) and applies
its overrides (:func:`draw_overrides`); that is how ``behavior=posterior`` and predictive
intervals are meant to read it (DESIGN.md: "Uncertainty is data").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from strikesim.config import ConfigError, schema_keys
from strikesim.scenarios.posteriors import META


def posterior_draws(path: str | Path) -> pd.DataFrame:
    """The draws of ``path`` (a ``posterior.parquet`` / ``.csv``, or the study folder holding it).

    Checked: every other column is a schema key, and the weights are non-negative and sum to 1,
    so a table edited by hand or from another version is refused in one line. A table without
    ``weight`` (how ``posterior.csv`` ships equal weights) gets equal weights.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "posterior.parquet"
    if not path.is_file():
        raise ConfigError(f"posterior {str(path)!r}: no such file; allowed: a posterior.parquet")
    table = pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)
    known = {k.key for k in schema_keys()}
    if "draw" not in table.columns:
        raise ConfigError(f"posterior {str(path)!r} has no column 'draw'")
    if "weight" not in table.columns:  # the shipped form of equal weights
        table["weight"] = 1.0 / len(table)
    unknown = [c for c in table.columns if c not in META and c not in known]
    if unknown:
        raise ConfigError(
            f"posterior {str(path)!r}: column {unknown[0]!r} is no config key; allowed: "
            "draw, weight and schema keys"
        )
    weights = table["weight"].to_numpy(float)
    if not (np.all(weights >= 0) and np.isclose(weights.sum(), 1.0)):
        raise ConfigError(f"posterior {str(path)!r}: weights must be >= 0 and sum to 1")
    return table


def draw_values(row: pd.Series | dict) -> dict[str, float | int]:
    """The config values of one draw (its row without ``draw`` and ``weight``)."""
    items = row.items() if isinstance(row, dict) else row.to_dict().items()
    return {k: _plain(v) for k, v in items if k not in META}


def draw_overrides(row: pd.Series | dict) -> list[str]:
    """One draw as Hydra overrides (``behavior.union_call=0.2113``), for compose_config."""
    return [f"{k}={v!r}" for k, v in draw_values(row).items()]


def sample_draws(table: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """``n`` rows drawn with replacement with probability ``weight`` (seeded, reproducible)."""
    rng = np.random.default_rng(seed)
    weights = table["weight"].to_numpy(float)
    picked = rng.choice(len(table), size=n, replace=True, p=weights / weights.sum())
    return table.iloc[picked].reset_index(drop=True)


def _plain(value: object) -> float | int:
    """numpy scalars as Python numbers (an int column stays int), for overrides and configs."""
    if isinstance(value, np.integer | int) and not isinstance(value, bool):
        return int(value)
    return float(value)  # type: ignore[arg-type]
