"""Plots of one run: the campaign's growth and the strike-day turnout against the record."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt
import pandas as pd

from strikesim.results import PLOT, atomic_write

if TYPE_CHECKING:
    from strikesim.run import RunResult


def plot_turnout(timeseries: pd.DataFrame, summary: dict[str, Any], path: Path) -> None:
    """Committed people and projected marchers per campaign day; marchers on the strike day."""
    per_day = timeseries.pivot_table(index="day", columns="form", values="people", aggfunc="sum")
    observed = summary["observed"]
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    ax.axhspan(
        observed["low"],
        observed["high"],
        color="tab:green",
        alpha=0.12,
        label=f"published range {observed['low']:,}-{observed['high']:,}",
    )
    ax.axhline(
        observed["marchers"], color="tab:green", lw=1, label=f"observed ~{observed['marchers']:,}"
    )
    campaign = timeseries[timeseries["phase"] == "campaign"]
    days = campaign.pivot_table(index="day", columns="form", values="people", aggfunc="sum")
    ax.plot(
        days.index,
        days["committed"],
        color="tab:blue",
        label="committed (strike, walk out, boycott)",
    )
    ax.plot(
        days.index,
        days["projected_marching"],
        color="tab:orange",
        ls="--",
        label="projected marchers if the strike were that day",
    )
    strike_day = int(per_day.index.max())
    ax.bar(
        [strike_day],
        [summary["marchers"]],
        color="tab:red",
        width=0.6,
        label=f"marchers on the strike day: {summary['marchers']:,}",
    )
    ax.set_xlabel("campaign day (last bar: strike day)")
    ax.set_ylabel("people")
    ax.set_title(f"{summary['scenario']}: seed {summary['seed']}, {summary['weather']}")
    ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    ax.legend(loc="upper left", fontsize=8)
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
    plt.close(fig)


def save_turnout_plot(result: RunResult, folder: Path) -> None:
    """The run folder's ``turnout.png`` (a :data:`strikesim.run.FigureWriter`)."""
    plot_turnout(result.timeseries, result.summary, Path(folder) / PLOT)
