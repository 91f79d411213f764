"""Plots of a sweep comparison: marchers per level, a heatmap over two factors, campaign curves."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt
import pandas as pd

from strikesim.results import atomic_write


def save_figure(fig: plt.Figure, path: Path) -> None:
    """Write a PNG atomically and free the figure."""
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
    plt.close(fig)


def _label(row: pd.Series, by: list[str]) -> str:
    return ", ".join(f"{k.rpartition('.')[2]}={row[k]}" for k in by)


def plot_distribution(jobs: pd.DataFrame, by: list[str], path: Path) -> None:
    """Marchers per run, one box per level: the spread across seeds, not only the mean."""
    groups = list(jobs.groupby(by, observed=True, sort=True))
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(groups) + 2), 4.5), layout="constrained")
    ax.boxplot([g["marchers"].to_numpy() for _, g in groups], whis=(5, 95))
    ax.set_xticks(
        range(1, len(groups) + 1),
        [_label(g.iloc[0], by) for _, g in groups],
        rotation=45 if len(groups) > 4 else 0,
        ha="right" if len(groups) > 4 else "center",
    )
    ax.set_ylabel("marchers on the strike day (people)")
    ax.set_title("Marchers per level (box: quartiles; whiskers: 5-95%)")
    save_figure(fig, path)


def plot_heatmap(table: pd.DataFrame, pair: list[str], path: Path) -> None:
    """Mean marchers over two factors (averaged over any others)."""
    grid = table.pivot_table(index=pair[0], columns=pair[1], values="mean", observed=True)
    fig, ax = plt.subplots(figsize=(1.2 * len(grid.columns) + 3, 0.6 * len(grid) + 2))
    image = ax.imshow(grid.to_numpy(), cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(grid.columns)), [str(c) for c in grid.columns])
    ax.set_yticks(range(len(grid.index)), [str(i) for i in grid.index])
    ax.set_xlabel(pair[1])
    ax.set_ylabel(pair[0])
    for (i, j), value in pd.DataFrame(grid.to_numpy()).stack().items():
        ax.text(j, i, f"{value:,.0f}", ha="center", va="center", color="white", fontsize=8)
    fig.colorbar(image, ax=ax, label="mean marchers (people)")
    fig.tight_layout()
    save_figure(fig, path)


def plot_curves(curves: pd.DataFrame, by: list[str], path: Path) -> None:
    """Projected marchers over the campaign days, one line per level."""
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    for _, level in curves.groupby(by, observed=True, sort=True):
        ax.plot(level["day"], level["people"], label=_label(level.iloc[0], by))
    ax.set_xlabel("campaign day")
    ax.set_ylabel("projected marchers (people)")
    ax.set_title("Turnout over the campaign (mean over runs)")
    ax.legend(fontsize=8, ncol=2 if curves.groupby(by, observed=True).ngroups > 8 else 1)
    save_figure(fig, path)
