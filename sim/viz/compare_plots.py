"""Figures of a sweep comparison, ready for a paper: spread and means per level, a heatmap over
two factors, campaign curves, and the paired effects.

Every figure shows its uncertainty — 95% CIs as error bars, ribbons or a cell's second line —
because a mean of five replications without one invites a reader to over-read it; the target
(a dashed line) and the published range (a grey band, scaled per capita) are drawn where they
are known, because "is the model in the observed range?" is the question a reader brings. The
look (labels from the schema, thousands separators, Okabe-Ito colours, PNG + SVG) is
:mod:`strikesim.viz.style`'s.

Inputs are the tables of :mod:`strikesim.studies.compare` (plain DataFrames: views do not import
studies).
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from strikesim.results import atomic_write
from strikesim.viz import style

MAX_PANELS = 24  # more panels than this are unreadable; the tables hold every level
MAX_EFFECT_ROWS = 60
JITTER_UP_TO = 200  # runs per level drawn as points; beyond, the box says it


EVENT_SEPARATOR = "@"
"""``marchers@march_2026_01_10``: a total of one action day of the runs (a sweep's
``results.parquet`` column, :func:`strikesim.studies.tables.event_outcomes`)."""


def split_outcome(key: str) -> tuple[str, str | None]:
    """``marchers@march_2026_01_10`` -> (``marchers``, ``march_2026_01_10``); a total of the day
    at ``scenario.date`` -> (``key``, None)."""
    base, separator, event = key.partition(EVENT_SEPARATOR)
    return (base, event) if separator and event else (key, None)


def outcome_name(key: str) -> str:
    """An outcome's words (:func:`strikesim.viz.style.outcome_name`), naming the action day of a
    per-event column: ``Marchers on march_2026_01_10``."""
    base, event = split_outcome(key)
    name = style.outcome_name(base)
    return f"{name} on {event}" if event else name


def outcome_unit(key: str) -> str:
    """An outcome's declared unit; a per-event column has its total's."""
    return style.outcome_unit(split_outcome(key)[0])


def outcome_label(key: str) -> str:
    """Words and unit: ``marchers@march_2026_01_10`` -> ``Marchers on march_2026_01_10
    (people)``."""
    base, event = split_outcome(key)
    label = style.outcome_label(base)
    if not event:
        return label
    name = style.outcome_name(base)
    return label.replace(name, f"{name} on {event}", 1)


def save_figure(fig: plt.Figure, path: Path) -> None:
    """Write a PNG atomically and free the figure (the sensitivity plot's single file)."""
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
    plt.close(fig)


def _groups(frame: pd.DataFrame, by: list[str]) -> list[tuple[tuple, pd.DataFrame]]:
    """(level values, rows) per level in level order; no factor: one group of all rows."""
    if not by:
        return [((), frame)]
    return [
        (key if isinstance(key, tuple) else (key,), group)
        for key, group in frame.groupby(by, observed=True, sort=True)
    ]


def level_text(value: object) -> str:
    """A level as a tick or legend shows it: ``-20`` -> ``−20``, ``30000`` -> ``30,000``."""
    return style.level_text(value, minus="\N{MINUS SIGN}")


def _levels_label(values: tuple) -> str:
    return " · ".join(level_text(v) for v in values) or "All runs"


def _axis_label(by: list[str]) -> str:
    return " · ".join(style.factor_label(k) for k in by) or "Replications (seeds)"


def _people_axis(ax: plt.Axes, unit: str, axis: str = "y") -> None:
    if style.is_count(unit):
        style.thousands_axis(ax.yaxis if axis == "y" else ax.xaxis)


def plot_distribution(
    jobs: pd.DataFrame,
    by: list[str],
    path: Path,
    *,
    outcome: str = "marchers",
    table: pd.DataFrame | None = None,
    show_target: bool = False,
    predictive: bool = False,
) -> list[Path]:
    """The outcome per run, one box per level (quartiles, whiskers 5-95%), the runs as points,
    and each level's mean with its 95% CI; the target and the published range where known.

    ``predictive``: the runs are posterior predictive draws (``behavior.posterior``), so the
    whiskers are the 90% predictive interval, and the title says so; otherwise they are the
    spread over seeds of one parameter set.

    ``table`` is the comparison's level table (same levels, same order): means, CIs, targets and
    published ranges come from it, so the figure shows the numbers of the table.
    """
    groups = _groups(jobs, by)
    count = len(groups)
    unit = outcome_unit(outcome)
    with style.figure_style():
        fig, ax = plt.subplots(figsize=(max(5.5, 0.7 * count + 2.5), 4.5), layout="constrained")
        x = np.arange(1, count + 1)
        data = [g[outcome].to_numpy(float) for _, g in groups]
        ax.boxplot(
            data,
            positions=x,
            whis=(5, 95),
            widths=0.5,
            showfliers=False,
            patch_artist=True,
            boxprops={"facecolor": "#F2F2F2", "edgecolor": "#666666"},
            medianprops={"color": "#666666"},
            whiskerprops={"color": "#666666"},
            capprops={"color": "#666666"},
        )
        rng = np.random.default_rng(0)  # the same jitter every time: the same figure
        for position, values in zip(x, data, strict=True):
            if len(values) <= JITTER_UP_TO:
                spread = rng.uniform(-0.12, 0.12, len(values))
                ax.scatter(position + spread, values, s=9, color="#999999", alpha=0.6, lw=0)
        if table is not None:
            _draw_reference_lines(ax, table, x, unit, show_target)
            mean = table["mean"].to_numpy(float)
            low = np.nan_to_num(mean - table["ci_low"].to_numpy(float))
            high = np.nan_to_num(table["ci_high"].to_numpy(float) - mean)
            ax.errorbar(
                x,
                mean,
                yerr=[low, high],
                fmt="D",
                ms=5,
                color=style.OKABE_ITO[0],
                capsize=4,
                lw=1.5,
                label="Mean, 95% CI",
                zorder=4,
            )
        labels = [_levels_label(values) for values, _ in groups]
        turn = count > 4 or max(map(len, labels)) > 12
        ax.set_xticks(x, labels, rotation=40 if turn else 0, ha="right" if turn else "center")
        ax.set_xlabel(_axis_label(by))
        ax.set_ylabel(outcome_label(outcome))
        _people_axis(ax, unit)
        whiskers = "90% predictive interval" if predictive else "5\N{EN DASH}95% over seeds"
        ax.set_title(f"Runs (points), quartiles (box), {whiskers} (whiskers)")
        ax.legend(loc="best")
        return style.save_figure(fig, path)


def _draw_reference_lines(
    ax: plt.Axes, table: pd.DataFrame, x: np.ndarray, unit: str, show_target: bool
) -> None:
    """Published ranges and targets: one line across when all levels share them, else one
    short line or band per level (levels of different population size)."""
    if {"observed_low", "observed_high"} <= set(table.columns):
        ranges = table[["observed_low", "observed_high"]].to_numpy(float)
        if not np.isnan(ranges).any():
            if len({tuple(r) for r in ranges}) == 1:
                style.shade_observed(ax, *ranges[0])
            else:
                for i, (position, (low, high)) in enumerate(zip(x, ranges, strict=True)):
                    label = "Published range, per capita" if i == 0 else None
                    style.shade_observed(
                        ax, low, high, label=label, between=(position - 0.4, position + 0.4)
                    )
    if not show_target or "target" not in table.columns:
        return
    goals = table["target"].to_numpy(float)
    if np.isnan(goals).any():
        return
    if len(set(goals)) == 1:
        style.draw_target(ax, goals[0], unit)
    else:
        ax.hlines(
            goals,
            x - 0.4,
            x + 0.4,
            colors=style.TARGET_COLOUR,
            linestyles="--",
            lw=1,
            label="Target (per level)",
            zorder=3,
        )


def plot_heatmap(
    table: pd.DataFrame, pair: list[str], path: Path, *, outcome: str = "marchers"
) -> list[Path]:
    """Mean outcome over two factors, each cell annotated with its mean and 95% CI.

    ``table`` has one row per combination of ``pair`` (pooled over any other factor) with
    ``mean``, ``ci_low`` and ``ci_high``. The colour scale is viridis (perceptually uniform,
    colour-blind-safe); each annotation is dark on light cells and light on dark ones.
    """
    unit = outcome_unit(outcome)
    grids = {
        column: table.pivot_table(index=pair[0], columns=pair[1], values=column, observed=True)
        for column in ("mean", "ci_low", "ci_high")
    }
    grid = grids["mean"]
    places = style.decimals(table["mean"], unit)
    with style.figure_style():
        rows, columns = grid.shape
        fig, ax = plt.subplots(figsize=(1.5 * columns + 3, 0.75 * rows + 2), layout="constrained")
        values = np.ma.masked_invalid(grid.to_numpy(float))
        image = ax.imshow(values, cmap=style.SEQUENTIAL_MAP, aspect="auto")
        ax.grid(False)
        ax.set_xticks(range(columns), [level_text(c) for c in grid.columns])
        ax.set_yticks(range(rows), [level_text(i) for i in grid.index])
        ax.set_xlabel(style.factor_label(pair[1]))
        ax.set_ylabel(style.factor_label(pair[0]))
        colours = image.cmap(image.norm(values.filled(np.nan)))
        for i in range(rows):
            for j in range(columns):
                mean = grid.iat[i, j]
                if not math.isfinite(mean):
                    continue
                red, green, blue, _ = colours[i, j]
                light = 0.2126 * red + 0.7152 * green + 0.0722 * blue > 0.5
                low, high = grids["ci_low"].iat[i, j], grids["ci_high"].iat[i, j]
                text = f"{style.number(mean, places)}\n{style.interval(low, high, places)}"
                ax.text(
                    j,
                    i,
                    text,
                    ha="center",
                    va="center",
                    fontsize=7.5,
                    color="black" if light else "white",
                )
        bar = fig.colorbar(image, ax=ax, label=f"Mean {_lower_first(outcome_label(outcome))}")
        if style.is_count(unit):
            style.thousands_axis(bar.ax.yaxis)
        ax.set_title("Mean and 95% CI per cell")
        return style.save_figure(fig, path)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _panels(series: list[tuple[tuple, pd.DataFrame]], by: list[str]) -> list[tuple[str, list]]:
    """Split series into panels of at most :data:`style.MAX_SERIES`, so no colour repeats.

    With two or more factors whose last has few enough levels, one panel per level of the
    others (colour = the last factor's level, the same in every panel); otherwise consecutive
    chunks.
    """
    if len(series) <= style.MAX_SERIES:
        return [("", [(values, values, frame) for values, frame in series])]
    if len(by) >= 2 and len({values[-1] for values, _ in series}) <= style.MAX_SERIES:
        panels: dict[tuple, list] = {}
        for values, frame in series:
            panels.setdefault(values[:-1], []).append((values, values[-1:], frame))
        return [
            (
                ", ".join(
                    f"{style.factor_label(k)} = {level_text(v)}"
                    for k, v in zip(by, key, strict=False)
                ),
                members,
            )
            for key, members in panels.items()
        ]
    return [("", [(v, v, f) for v, f in chunk]) for chunk in style.chunks(series)]


def plot_curves(
    curves: pd.DataFrame,
    by: list[str],
    path: Path,
    *,
    label: str = "Projected marchers (people)",
    target: float | None = None,
    observed: tuple[float, float] | None = None,
) -> list[Path]:
    """The mean campaign curve per level with its 95% CI as a ribbon; one colour per level,
    panels beyond :data:`style.MAX_SERIES` levels (see :func:`_panels`)."""
    panels = _panels(_groups(curves, by), by)
    shown = panels[:MAX_PANELS]
    ncols = min(3, len(shown))
    nrows = math.ceil(len(shown) / ncols)
    legend_factors = by if len(panels) == 1 or not panels[0][0] else by[-1:]
    with style.figure_style():
        fig, axes = plt.subplots(
            nrows,
            ncols,
            figsize=(4.6 * ncols + 1.5, 3.4 * nrows + 0.8),
            layout="constrained",
            sharex=True,
            sharey=True,
            squeeze=False,
        )
        for ax, (title, series) in zip(axes.flat, shown, strict=False):
            colours = style.series_colours(len(series))
            if observed is not None:
                style.shade_observed(ax, *observed)
            for colour, (_, named, frame) in zip(colours, series, strict=True):
                ax.fill_between(
                    frame["day"], frame["ci_low"], frame["ci_high"], color=colour, alpha=0.2, lw=0
                )
                ax.plot(
                    frame["day"], frame["people"], color=colour, lw=1.6, label=_levels_label(named)
                )
            if target is not None:
                style.draw_target(ax, target)
            ax.set_title(title)
            ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
            style.thousands_axis(ax.yaxis)
            ax.legend(title=_axis_label(legend_factors), loc="upper left")
        for ax in axes.flat[len(shown) :]:
            ax.set_visible(False)
        for ax in axes[-1]:
            ax.set_xlabel("Campaign day")
        for ax in axes[:, 0]:
            ax.set_ylabel(label)
        more = f" (first {MAX_PANELS} of {len(panels)} panels)" if len(panels) > MAX_PANELS else ""
        fig.suptitle(f"Campaign: mean over runs, 95% CI ribbon{more}")
        return style.save_figure(fig, path)


def plot_effects(
    differences: pd.DataFrame,
    interactions: pd.DataFrame,
    path: Path,
    *,
    outcome: str = "marchers",
) -> list[Path]:
    """Paired differences with their 95% CIs (a forest plot): for each factor, each level minus
    the reference over all levels of the others (squares), then at each level of the others
    (circles). Effects whose circles disagree are interactions.

    A thin grey line behind each marker spans the 90% interval of the paired differences
    themselves (``q05``-``q95``, where the table has them): the CI says where the mean effect
    is, the line how much the effect varies between runs (over posterior draws, with the
    parameters)."""
    unit = outcome_unit(outcome)
    rows: list[tuple[str, tuple[float, ...], str, bool]] = []
    factors = list(dict.fromkeys(differences["factor"]))
    colours = (
        style.series_colours(len(factors))
        if len(factors) <= style.MAX_SERIES
        else ["#000000"] * len(factors)
    )
    colour_of = dict(zip(factors, colours, strict=True))
    for factor in factors:
        label = style.factor_label(factor)
        for _, row in differences[differences["factor"] == factor].iterrows():
            name = f"{label}: {_shown(row['level'])} vs {_shown(row['reference'])}"
            rows.append((name, _estimate(row), colour_of[factor], True))
            if interactions.empty:
                continue
            mine = interactions[
                (interactions["factor"] == factor) & (interactions["level"] == row["level"])
            ]
            for _, at in mine.iterrows():
                where = [k for k in interactions.columns if k in colour_of and k != factor]
                text = ", ".join(
                    f"{style.factor_label(k)} = {level_text(at[k])}"
                    for k in where
                    if at[k] is not None
                )
                rows.append((f"    at {text}", _estimate(at), colour_of[factor], False))
    more = len(rows) - MAX_EFFECT_ROWS
    rows = rows[:MAX_EFFECT_ROWS]
    with style.figure_style():
        longest = max((len(r[0]) for r in rows), default=0)  # labels take their room
        fig, ax = plt.subplots(
            figsize=(4.5 + 0.065 * longest, 0.3 * len(rows) + 1.9), layout="constrained"
        )
        y = np.arange(len(rows))[::-1]
        for position, (_, estimate, colour, marginal) in zip(y, rows, strict=True):
            mean, low, high, q05, q95 = estimate
            if np.isfinite(q05) and np.isfinite(q95):
                ax.hlines(position, q05, q95, color="#BBBBBB", lw=0.9, zorder=1)
            error = [[np.nan_to_num(mean - low)], [np.nan_to_num(high - mean)]]
            ax.errorbar(
                [mean],
                [position],
                xerr=error,
                fmt="s" if marginal else "o",
                ms=5 if marginal else 4,
                color=colour,
                mfc=colour if marginal else "white",
                capsize=3,
                lw=1.2,
            )
        ax.axvline(0, color="#666666", lw=0.8)
        ax.set_yticks(y, [r[0] for r in rows])
        ax.grid(axis="x")
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(f"Paired difference: {_lower_first(outcome_label(outcome))}")
        _people_axis(ax, unit, axis="x")
        note = f" (first {MAX_EFFECT_ROWS} rows)" if more > 0 else ""
        ax.set_title(
            f"Each level minus the reference, paired by seed{note}\n"
            "95% CI (bars), 90% interval of the differences (grey)\n"
            "\N{BLACK SQUARE} over the other factors   \N{WHITE CIRCLE} at one level of them"
        )
        return style.save_figure(fig, path)


def _shown(level: str) -> str:
    """A level the differences table holds as text, shown as :func:`level_text` shows it."""
    try:
        return level_text(float(level))
    except ValueError:
        return level


def _estimate(row: pd.Series) -> tuple[float, float, float, float, float]:
    """Mean difference, its CI, and the 90% interval of the differences (NaN if absent)."""
    spread = [float(row[k]) if k in row and row[k] is not None else np.nan for k in ("q05", "q95")]
    return (float(row["mean_difference"]), float(row["ci_low"]), float(row["ci_high"]), *spread)
