"""The figure of one run: the campaign day by day, and the marchers of each action day against the
record.

The run's ``turnout.png`` shows the campaign as dated days, ``scenario.start_date`` (day 0) to
``scenario.date``: the committed people and the projected marchers ("if the march were that day")
as lines, one bar per action day (a documented earlier march or strike, and the day at
``scenario.date``) with its marchers written above it, and behind each bar the day's published
range where one exists (``summary["events"]``; the scenario's own ``observed`` range for the last
day), scaled per capita when the run's population is not the one the figure was counted in. A
range published as "N or more" is drawn from N to the top, hatched. The legend sits below the axes
so it never covers a line or a bar.

It has the comparison figures' look (:mod:`strikesim.viz.style`): labels in words with units,
thousands separators, Okabe-Ito colours. It stays one PNG: it is drawn for every job of a sweep
run with ``--plots``, where a second (vector) file per job would cost disk and time for a figure
nobody puts in a paper (``plot_turnout`` writes SVG or PDF when the path says so).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from strikesim.results import PLOT, atomic_write
from strikesim.viz import style

if TYPE_CHECKING:
    from strikesim.run import RunResult

BLUE, ORANGE, GREEN, VERMILLION = style.OKABE_ITO[:4]
RANGE_GREY = "0.72"
BOUND_GREY = "0.45"
ARROW = 0.08  # an open-ended range's arrow: this share of the y-axis
BAR_WIDTH = 0.7  # days
RANGE_WIDTH = 1.5  # days: the published range is a box around its bar
HEADROOM = 1.12  # the y-axis above the highest line, bar or range: room for the bar labels


@dataclass(frozen=True)
class ActionDay:
    """An action day as drawn: its date, kind, marchers and published range (NaN: none)."""

    event: str
    date: date
    day: int
    kind: str
    marchers: float
    low: float
    high: float

    @property
    def published(self) -> bool:
        """Has a published figure: a range, or a lower bound ("10,000 or more")."""
        return not math.isnan(self.low)

    @property
    def open_ended(self) -> bool:
        """Published as "N or more": a lower bound without an upper one."""
        return self.published and math.isnan(self.high)


def _number(value: Any) -> float:
    """A number of the summary as a float; NaN for None or anything not a number."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return math.nan


def action_days(summary: dict[str, Any], last_day: int) -> list[ActionDay]:
    """The run's action days from ``summary["events"]``, in date order.

    The last day's published range is the scenario's (``summary["observed"]``, what the run's
    summary compares its marchers with; a user may set it) unless it has none. A summary written
    before action days were recorded has one: the day at ``summary["date"]`` (``last_day``).
    """
    events = summary.get("events") or [
        {
            "event": summary.get("scenario", ""),
            "date": summary["date"],
            "day": last_day,
            "kind": "strike",
            "marchers": summary["marchers"],
        }
    ]
    observed = summary.get("observed") or {}
    days = []
    for n, e in enumerate(events):
        low, high = _number(e.get("observed_low")), _number(e.get("observed_high"))
        if n == len(events) - 1 and not math.isnan(_number(observed.get("low"))):
            low, high = _number(observed.get("low")), _number(observed.get("high"))
        days.append(
            ActionDay(
                event=str(e["event"]),
                date=date.fromisoformat(str(e["date"])),
                day=int(e["day"]),
                kind=str(e["kind"]),
                marchers=float(e["marchers"]),
                low=low,
                high=high,
            )
        )
    return sorted(days, key=lambda a: a.day)


def turnout_figure(timeseries: pd.DataFrame, summary: dict[str, Any]) -> plt.Figure:
    """The figure (see the module docstring); the caller saves and closes it."""
    campaign = timeseries[timeseries["phase"] == "campaign"]
    daily = campaign.pivot_table(index="day", columns="form", values="people", aggfunc="sum")
    actions = action_days(summary, int(timeseries["day"].max()))
    last = actions[-1]
    start = last.date - timedelta(days=last.day)  # day 0: scenario.start_date
    dates = [start + timedelta(days=int(d)) for d in daily.index]
    observed = summary.get("observed") or {}
    scaled = observed.get("scaled_from_population") not in (None, summary.get("people"))
    per_capita = ", per capita" if scaled else ""

    tops = [*daily.max().tolist(), *(a.marchers for a in actions)]
    tops += [v for a in actions for v in (a.low, a.high) if not math.isnan(v)]
    top = max([t for t in tops if t > 0], default=1.0) * HEADROOM

    fig, ax = plt.subplots(figsize=(9, 5.2), layout="constrained")
    handles = []
    for a in actions:  # the published ranges first: behind the bars
        if a.published and not a.open_ended:
            ax.bar(
                [a.date],
                [a.high - a.low],
                bottom=[a.low],
                width=RANGE_WIDTH,
                color=RANGE_GREY,
                alpha=0.6,
                linewidth=0,
                zorder=1,
            )
        elif a.open_ended:  # "N or more": a bound at N, an arrow up
            x = mdates.date2num(a.date)
            ax.hlines(a.low, x - RANGE_WIDTH / 2, x + RANGE_WIDTH / 2, color=BOUND_GREY, lw=2.5)
            ax.annotate(
                "",
                xy=(x, min(a.low + ARROW * top, top)),
                xytext=(x, a.low),
                arrowprops={"arrowstyle": "-|>", "color": BOUND_GREY, "lw": 1.5},
                zorder=1,
            )
    if any(a.published and not a.open_ended for a in actions):
        handles.append(
            Patch(color=RANGE_GREY, alpha=0.6, label=f"Published range of that day{per_capita}")
        )
    if any(a.open_ended for a in actions):
        handles.append(
            Line2D(
                [],
                [],
                color=BOUND_GREY,
                lw=2.5,
                marker="^",
                markersize=6,
                label=f'Published "N or more" of that day{per_capita}: N',
            )
        )
    (committed,) = ax.plot(
        dates, daily["committed"], color=BLUE, lw=1.6, label="Committed to the campaign", zorder=3
    )
    (projected,) = ax.plot(
        dates,
        daily["projected_marching"],
        color=ORANGE,
        lw=1.6,
        ls="--",
        label="Projected marchers, if the next action were that day",
        zorder=3,
    )
    bars = ax.bar(
        [a.date for a in actions],
        [a.marchers for a in actions],
        width=BAR_WIDTH,
        color=VERMILLION,
        label="Marchers on an action day (march or strike)",
        zorder=2,
    )
    for a in actions:
        ax.annotate(
            f"{style.number(a.marchers)}\n{a.kind}",
            (mdates.date2num(a.date), a.marchers),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=7,
            zorder=4,
        )
    handles = [committed, projected, bars, *handles]

    ax.set_ylim(0, top)
    ax.set_xlim(mdates.date2num(start) - RANGE_WIDTH, mdates.date2num(last.date) + RANGE_WIDTH)
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=4, maxticks=10))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    ax.set_xlabel(
        f"Date, {start.year}"
        + (f"-{last.date.year}" if last.date.year != start.year else "")
        + f" (day 0 = {start:%d %b}, the campaign's start; {last.date:%d %b}: the day modelled)"
    )
    ax.set_ylabel("People")
    style.thousands_axis(ax.yaxis)
    people = f", {style.number(summary['people'])} people" if "people" in summary else ""
    ax.set_title(
        f"{summary['scenario']}: seed {summary['seed']}{people}\n"
        f"{last.date:%d %b %Y}: {summary['weather']}"
    )
    fig.legend(handles=handles, loc="outside lower center", ncols=2)
    return fig


def plot_turnout(timeseries: pd.DataFrame, summary: dict[str, Any], path: Path) -> None:
    """Draw the run's figure into ``path`` (PNG; SVG or PDF by the suffix, without a date)."""
    with style.figure_style():
        fig = turnout_figure(timeseries, summary)
        kind = Path(path).suffix.lstrip(".") or "png"  # turnout.png; .svg or .pdf for a paper
        metadata = {"Date": None} if kind in ("svg", "pdf") else {}
        try:
            atomic_write(
                Path(path), lambda tmp: fig.savefig(tmp, dpi=110, format=kind, metadata=metadata)
            )
        finally:
            plt.close(fig)


def save_turnout_plot(result: RunResult, folder: Path) -> None:
    """The run folder's ``turnout.png`` (a :data:`strikesim.run.FigureWriter`)."""
    plot_turnout(result.timeseries, result.summary, Path(folder) / PLOT)
