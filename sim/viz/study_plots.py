"""Figures of the studies: sensitivity indices (Sobol, Morris) and coalition attribution.

Each figure is built by a ``*_figure`` function that returns the matplotlib Figure, and saved
by a ``plot_*`` function. Why split: a test can inspect what is drawn (are the confidence
intervals really there, is each point labelled) without reading pixels back from a PNG.

The figures take plain tables (pandas DataFrames with the columns the studies write to CSV) and
strings, never a study object: views sit below studies (tests/test_architecture.py), and a figure
drawn from the CSV shows exactly the numbers a reader finds in it.

Colours are the Okabe & Ito (2008) palette, distinguishable with every common colour-vision
deficiency; series differ by hatching or marker too, so that a grey-scale print still tells
them apart.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axis import Axis
from matplotlib.ticker import StrMethodFormatter

from strikesim.results import atomic_write

BLUE, ORANGE, VERMILLION, GREEN, BLACK = "#0072B2", "#E69F00", "#D55E00", "#009E73", "#000000"
"""Okabe-Ito colours: colour-blind safe (Okabe & Ito 2008, "Color Universal Design")."""
DPI = 120
TITLE_WIDTH = 80  # characters per title line: a long description must not run off the figure


def save_figure(fig: plt.Figure, path: Path) -> Path:
    """Write a PNG atomically (no half-written figure beside finished tables); free the figure."""
    try:
        atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=DPI, format="png"))
    finally:
        plt.close(fig)
    return path


def _title(text: str) -> str:
    """``text`` wrapped line by line, so that a long description stays inside the figure."""
    return "\n".join(textwrap.fill(line, TITLE_WIDTH) for line in text.splitlines())


def _people_ticks(axis: Axis, values: np.ndarray) -> None:
    """Thousands separators on an axis of people counts (30,000 rather than 30000)."""
    if np.nanmax(np.abs(values), initial=0.0) >= 1000:
        axis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


# --- sensitivity -----------------------------------------------------------------------------
def sobol_figure(table: pd.DataFrame, title: str) -> plt.Figure:
    """S1 and ST per parameter as bars, each with its bootstrap confidence interval.

    ``table`` has columns parameter, S1, S1_conf, ST, ST_conf (the conf columns are the
    half-widths SALib reports). An index whose interval crosses 0, or whose S1 exceeds its ST,
    is estimated from too few samples: the error bars are what shows it.
    """
    x = np.arange(len(table))
    width = 0.38
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(table) + 2), 4.5), layout="constrained")
    for i, (index, colour, hatch, name) in enumerate(
        [("S1", BLUE, "", "S1 (first order)"), ("ST", VERMILLION, "//", "ST (total)")]
    ):
        ax.bar(
            x + (i - 0.5) * width,
            table[index],
            width,
            yerr=table[f"{index}_conf"],
            capsize=4,
            color=colour,
            hatch=hatch,
            edgecolor="white",
            error_kw={"ecolor": BLACK, "elinewidth": 1.2},
            label=name,
        )
    ax.axhline(0, color=BLACK, linewidth=0.6)
    ax.set_xticks(x, table["parameter"], rotation=30, ha="right")
    ax.set_ylabel("Sobol' index (share of the output's variance)")
    ax.set_title(_title(title), fontsize=9)
    ax.legend(title="error bars: 95% bootstrap CI", fontsize=8, title_fontsize=8)
    return fig


def morris_bars_figure(table: pd.DataFrame, unit: str, title: str) -> plt.Figure:
    """mu* per parameter as bars with its bootstrap confidence interval (the ranking)."""
    x = np.arange(len(table))
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(table) + 2), 4.5), layout="constrained")
    ax.bar(
        x,
        table["mu_star"],
        0.6,
        yerr=table["mu_star_conf"],
        capsize=4,
        color=BLUE,
        error_kw={"ecolor": BLACK, "elinewidth": 1.2},
        label="mu* (error bars: 95% bootstrap CI)",
    )
    ax.set_xticks(x, table["parameter"], rotation=30, ha="right")
    _people_ticks(ax.yaxis, table["mu_star"].to_numpy(float))
    ax.set_ylabel(f"mu*: mean |elementary effect| ({unit})")
    ax.set_title(_title(title), fontsize=9)
    ax.legend(fontsize=8)
    return fig


def morris_mu_sigma_figure(table: pd.DataFrame, unit: str, title: str) -> plt.Figure:
    """Morris's screening plane: mu* on x (with its CI), sigma on y, every point labelled.

    Why this plot (Morris 1991; Campolongo et al. 2007): mu* says how much a parameter moves the
    output, sigma how much its effect depends on where the other parameters are (nonlinearity or
    interaction). Points near the origin can be fixed; points above the line sigma = mu* act
    mostly through interactions or thresholds, as a cascade model's parameters may.
    """
    fig, ax = plt.subplots(figsize=(6.5, 5), layout="constrained")
    mu, sigma = table["mu_star"].to_numpy(float), table["sigma"].to_numpy(float)
    conf = table["mu_star_conf"].to_numpy(float)
    ax.errorbar(
        mu,
        sigma,
        xerr=conf,
        fmt="o",
        color=BLUE,
        ecolor=BLACK,
        elinewidth=1,
        capsize=3,
        label="parameter (bar: 95% bootstrap CI of mu*)",
    )
    for name, x, y in zip(table["parameter"], mu, sigma, strict=True):
        ax.annotate(str(name), (x, y), xytext=(5, 5), textcoords="offset points", fontsize=8)
    # room for the longest interval and the labels: the plane is square, both axes one unit
    top = float(np.nanmax([*(mu + np.nan_to_num(conf)), *sigma, 0.0])) * 1.3 or 1.0
    ax.plot([0, top], [0, top], linestyle="--", color=ORANGE, label="sigma = mu*")
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    _people_ticks(ax.xaxis, np.array([top]))
    _people_ticks(ax.yaxis, np.array([top]))
    ax.set_xlabel(f"mu*: mean |elementary effect| ({unit})")
    ax.set_ylabel(f"sigma: sd of the elementary effects ({unit})")
    ax.set_title(_title(title), fontsize=9)
    ax.legend(fontsize=8, loc="upper left")
    return fig


def plot_sobol(table: pd.DataFrame, title: str, path: Path) -> Path:
    """:func:`sobol_figure`, saved as a PNG at ``path``."""
    save_figure(sobol_figure(table, title), path)
    return path


def plot_morris(table: pd.DataFrame, unit: str, title: str, bars: Path, plane: Path) -> list[Path]:
    """:func:`morris_bars_figure` at ``bars`` and :func:`morris_mu_sigma_figure` at ``plane``."""
    save_figure(morris_bars_figure(table, unit, title), bars)
    save_figure(morris_mu_sigma_figure(table, unit, title), plane)
    return [bars, plane]


# --- attribution -----------------------------------------------------------------------------
def attribution_figure(summary: pd.DataFrame, per_seed: pd.DataFrame, title: str) -> plt.Figure:
    """Marchers each endorser brought: Shapley and leave-one-out, mean with 95% CI over seeds.

    ``summary`` is indexed by organization (in the order to draw, largest first) with columns
    shapley_mean, shapley_ci_low, shapley_ci_high and the same for ``loo``; ``per_seed`` has a
    row per seed and organization (columns organization, shapley, leave_one_out), drawn as dots
    so that the spread over seeds is seen, not only the interval of the mean. Horizontal bars:
    organization names are long.
    """
    orgs = list(summary.index)
    y = np.arange(len(orgs))
    height = 0.38
    fig, ax = plt.subplots(figsize=(8, 1.0 + 0.6 * len(orgs)), layout="constrained")
    series = [
        ("shapley", "shapley", "Shapley value", BLUE, ""),
        ("loo", "leave_one_out", "leave-one-out", ORANGE, "//"),
    ]
    for i, (prefix, column, name, colour, hatch) in enumerate(series):
        offset = y + (i - 0.5) * height
        mean = summary[f"{prefix}_mean"].to_numpy(float)
        low = mean - summary[f"{prefix}_ci_low"].to_numpy(float)
        high = summary[f"{prefix}_ci_high"].to_numpy(float) - mean
        ax.barh(
            offset,
            mean,
            height,
            xerr=np.vstack([low, high]),
            capsize=3,
            color=colour,
            hatch=hatch,
            edgecolor="white",
            error_kw={"ecolor": BLACK, "elinewidth": 1.2},
            label=f"{name} (mean, 95% CI over seeds)",
        )
        for row, org in enumerate(orgs):
            values = per_seed.loc[per_seed["organization"] == org, column].to_numpy(float)
            ax.plot(
                values,
                np.full(len(values), offset[row]),
                linestyle="none",
                marker="o" if i == 0 else "D",
                markersize=3,
                markerfacecolor="white",
                markeredgecolor=BLACK,
                alpha=0.7,
                label="one seed" if i == 0 and row == 0 else None,
            )
    ax.axvline(0, color=BLACK, linewidth=0.6)
    _people_ticks(ax.xaxis, per_seed[["shapley", "leave_one_out"]].to_numpy(float))
    ax.set_yticks(y, orgs)
    ax.invert_yaxis()  # the largest contribution on top
    ax.set_xlabel("marchers brought by the organization's endorsement (people)")
    ax.set_title(_title(title), fontsize=9)
    ax.legend(fontsize=8, loc="lower right")
    return fig


def plot_attribution(summary: pd.DataFrame, per_seed: pd.DataFrame, title: str, path: Path) -> Path:
    """:func:`attribution_figure`, saved as a PNG at ``path``."""
    save_figure(attribution_figure(summary, per_seed, title), path)
    return path


def attribution_intervals_figure(
    summary: pd.DataFrame, per_seed: pd.DataFrame, ranks: pd.DataFrame, title: str
) -> plt.Figure:
    """What each endorser brought over posterior draws (left) and how likely each rank (right).

    Why not bars of the mean: when the parameters are uncertain, a mean hides that the answer
    can be several times larger or smaller and that the order can flip. So the left panel draws,
    per organization, Shapley and leave-one-out over draws: a thick bar from the 5% to the 95%
    quantile (``summary``'s ``*_q05``, ``*_q95``: the central 90% predictive interval), a white
    dot at the median, small dots for single draws (``per_seed``), and in black the mean with
    its 95% CI (``*_mean``, ``*_ci_low``, ``*_ci_high``), so that the mean's precision is not
    mistaken for the spread of the answer. The right panel stacks, per organization, the share
    of draws in which it ranks 1st, 2nd, ... (``ranks``: columns ``rank_1`` ... ``rank_n``, rows
    the organizations), 1st darkest, in cividis: a sequential colour map that reads the same with
    every common colour-vision deficiency and in grey; P(1st) is written beside each row.

    ``summary`` is indexed by organization in the order to draw (largest first), and ``ranks``
    has the same rows.
    """
    orgs = list(summary.index)
    y = np.arange(len(orgs))
    height = 0.38
    fig, (ax, right) = plt.subplots(
        1,
        2,
        figsize=(12, 1.4 + 0.6 * len(orgs)),
        sharey=True,
        width_ratios=(2.2, 1),
        layout="constrained",
    )
    series = [
        ("shapley", "shapley", "Shapley value", BLUE),
        ("loo", "leave_one_out", "leave-one-out", ORANGE),
    ]
    for i, (prefix, column, name, colour) in enumerate(series):
        offset = y + (i - 0.5) * height
        ax.hlines(
            offset,
            summary[f"{prefix}_q05"].to_numpy(float),
            summary[f"{prefix}_q95"].to_numpy(float),
            colors=colour,
            linewidth=7,
            label=f"{name}: central 90% of draws",
            gid=f"{prefix}_interval",
        )
        for row, org in enumerate(orgs):
            values = per_seed.loc[per_seed["organization"] == org, column].to_numpy(float)
            ax.plot(
                values,
                np.full(len(values), offset[row] + 0.12),
                linestyle="none",
                marker=".",
                markersize=3,
                color=BLACK,
                alpha=0.4,
                label="one draw" if i == 0 and row == 0 else None,
            )
        ax.plot(
            summary[f"{prefix}_median"].to_numpy(float),
            offset,
            linestyle="none",
            marker="o",
            markersize=6,
            markerfacecolor="white",
            markeredgecolor=BLACK,
            label="median" if i == 0 else None,
            gid=f"{prefix}_median",
        )
        mean = summary[f"{prefix}_mean"].to_numpy(float)
        ax.errorbar(
            mean,
            offset - 0.12,
            xerr=np.vstack(
                [
                    mean - summary[f"{prefix}_ci_low"].to_numpy(float),
                    summary[f"{prefix}_ci_high"].to_numpy(float) - mean,
                ]
            ),
            fmt="D",
            markersize=3,
            color=BLACK,
            elinewidth=1,
            capsize=2,
            label="mean, 95% CI" if i == 0 else None,
        )
    ax.axvline(0, color=BLACK, linewidth=0.6)
    _people_ticks(ax.xaxis, per_seed[["shapley", "leave_one_out"]].to_numpy(float))
    ax.set_yticks(y, orgs)
    ax.invert_yaxis()  # the largest contribution on top
    ax.set_xlabel("marchers brought by the organization's endorsement (people)")
    ax.legend(fontsize=8, loc="lower right")

    cmap = plt.get_cmap("cividis")
    n = len(ranks.columns)
    left = np.zeros(len(orgs))
    shares = ranks.loc[orgs]
    for k, column in enumerate(shares.columns):
        width = shares[column].to_numpy(float)
        right.barh(
            y,
            width,
            0.7,
            left=left,
            color=cmap(k / max(n - 1, 1)),
            edgecolor="white",
            linewidth=0.5,
            label=f"rank {k + 1}",
        )
        left += width
    for row, p in enumerate(shares.iloc[:, 0]):
        right.annotate(
            f"P(1st) {p:.2f}", (1.02, y[row]), va="center", fontsize=8, annotation_clip=False
        )
    right.set_xlim(0, 1)
    right.set_xlabel("share of draws holding each rank")
    right.legend(fontsize=7, ncols=min(n, 4), loc="upper center", bbox_to_anchor=(0.5, -0.25))
    fig.suptitle(_title(title), fontsize=9)
    return fig


def plot_attribution_intervals(
    summary: pd.DataFrame, per_seed: pd.DataFrame, ranks: pd.DataFrame, title: str, path: Path
) -> Path:
    """:func:`attribution_intervals_figure`, saved as a PNG at ``path``."""
    save_figure(attribution_intervals_figure(summary, per_seed, ranks, title), path)
    return path
