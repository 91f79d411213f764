"""Plots of one run: the campaign's growth and the strike-day turnout against the record.

The run's ``turnout.png`` has the comparison figures' look (:mod:`strikesim.viz.style`): labels
in words with units, thousands separators, the published range as a grey band (scaled per capita
when the run's population is not the one the figure was counted in), Okabe-Ito colours. It stays
one PNG: it is drawn for every job of a sweep, where a second (vector) file per job would cost
disk and time for a figure nobody puts in a paper.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt
import pandas as pd

from strikesim.results import PLOT, atomic_write
from strikesim.viz import style

if TYPE_CHECKING:
    from strikesim.run import RunResult

BLUE, ORANGE, GREEN, VERMILLION = style.OKABE_ITO[:4]


def plot_turnout(timeseries: pd.DataFrame, summary: dict[str, Any], path: Path) -> None:
    """Committed people and projected marchers per campaign day; marchers on the strike day."""
    per_day = timeseries.pivot_table(index="day", columns="form", values="people", aggfunc="sum")
    observed = summary["observed"]
    scaled = observed.get("scaled_from_population") not in (None, summary.get("people"))
    with style.figure_style():
        fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
        style.shade_observed(
            ax,
            observed["low"],
            observed["high"],
            label=(
                f"Published range{', per capita' if scaled else ''} "
                f"({style.number(observed['low'])}\N{EN DASH}{style.number(observed['high'])})"
            ),
        )
        ax.axhline(
            observed["marchers"],
            color=GREEN,
            lw=1,
            label=f"Published figure{', per capita' if scaled else ''}: "
            f"~{style.number(observed['marchers'])}",
        )
        campaign = timeseries[timeseries["phase"] == "campaign"]
        days = campaign.pivot_table(index="day", columns="form", values="people", aggfunc="sum")
        ax.plot(
            days.index,
            days["committed"],
            color=BLUE,
            lw=1.6,
            label="Committed (strike, walk out, boycott)",
        )
        ax.plot(
            days.index,
            days["projected_marching"],
            color=ORANGE,
            lw=1.6,
            ls="--",
            label="Projected marchers, if the strike were that day",
        )
        strike_day = int(per_day.index.max())
        ax.bar(
            [strike_day],
            [summary["marchers"]],
            color=VERMILLION,
            width=0.6,
            label=f"Marchers on the strike day: {style.number(summary['marchers'])}",
        )
        ax.set_xlabel("Campaign day (last bar: the strike day)")
        ax.set_ylabel("People")
        people = f", {style.number(summary['people'])} people" if "people" in summary else ""
        ax.set_title(f"{summary['scenario']}: seed {summary['seed']}, {summary['weather']}{people}")
        style.thousands_axis(ax.yaxis)
        ax.legend(loc="upper left")
        kind = Path(path).suffix.lstrip(".") or "png"  # turnout.png; .svg or .pdf for a paper
        metadata = {"Date": None} if kind in ("svg", "pdf") else {}
        atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110, format=kind, metadata=metadata))
    plt.close(fig)


def save_turnout_plot(result: RunResult, folder: Path) -> None:
    """The run folder's ``turnout.png`` (a :data:`strikesim.run.FigureWriter`)."""
    plot_turnout(result.timeseries, result.summary, Path(folder) / PLOT)
