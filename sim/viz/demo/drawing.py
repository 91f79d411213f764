"""Matplotlib pictures of the town for ``strikesim animate``: the network coloured by state,
and participation by day, in the page's colours (:mod:`strikesim.viz.demo.palette`) and at the
page's positions (:mod:`strikesim.viz.demo.layout`); a day only recolours the dots of a figure
that already holds the edges.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files and PNGs for the browser; never needs a display
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import StrMethodFormatter

from strikesim.engine.model import StrikeModel
from strikesim.engine.population import K12, UNIVERSITY, WORKER
from strikesim.viz.demo.adapter import city_factor, node_states, participation
from strikesim.viz.demo.layout import layout
from strikesim.viz.demo.palette import (
    FAITH_EDGE,
    FORM_COLOURS,
    FORMS,
    OBSERVED_COLOUR,
    STATE_COLOURS,
    STATES,
    UNION_EDGE,
)

SHAPES = (("worker", "o", 22), ("student", "^", 26), ("other resident", "D", 12))


class NetworkPicture:
    """The town's network on one axes: edges drawn once, dots recoloured by :meth:`update`."""

    def __init__(self, model: StrikeModel, ax: Axes) -> None:
        pop = model.population
        pos = layout(model.network)
        coo = model.network.adjacency.tocoo()
        upper = coo.row < coo.col
        segments = np.stack([pos[coo.row[upper]], pos[coo.col[upper]]], axis=1)
        ax.add_collection(LineCollection(segments, colors="0.6", linewidths=0.3, alpha=0.35))
        groups = (pop.kind == WORKER, (pop.kind == K12) | (pop.kind == UNIVERSITY))
        groups = (*groups, ~(groups[0] | groups[1]))
        edge = np.where(
            pop.union >= 0, UNION_EDGE, np.where(pop.faith_org >= 0, FAITH_EDGE, "none")
        )
        self.groups: list[tuple[np.ndarray, PathCollection]] = []
        for members, (_, marker, size) in zip(groups, SHAPES, strict=True):
            idx = np.flatnonzero(members)
            dots = ax.scatter(
                pos[idx, 0],
                pos[idx, 1],
                s=size,
                marker=marker,
                edgecolors=edge[idx],
                linewidths=0.9,
                zorder=2,
            )
            self.groups.append((idx, dots))
        ax.set_aspect("equal")
        ax.set_axis_off()
        ax.autoscale_view()
        self.update(model)

    def update(self, model: StrikeModel) -> None:
        """Recolour the dots by each person's state today; edges and layout stay as drawn."""
        colours = np.array(STATE_COLOURS)[node_states(model)]
        for idx, dots in self.groups:
            dots.set_facecolor(colours[idx])


def network_legend(ax: Axes) -> None:
    """States by colour, kinds by shape, memberships by outline."""
    handles = [
        Line2D([], [], ls="", marker="o", ms=7, mfc=c, mec="none", label=s)
        for s, c in zip(STATES, STATE_COLOURS, strict=True)
    ]
    handles += [
        Line2D([], [], ls="", marker=m, ms=6, mfc="white", mec="0.4", label=k) for k, m, _ in SHAPES
    ]
    handles += [
        Line2D([], [], ls="", marker="o", ms=7, mfc="white", mec=edge, mew=1.5, label=label)
        for label, edge in (("union member", UNION_EDGE), ("faith-group congregant", FAITH_EDGE))
    ]
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncols=3,
        fontsize=8,
        frameon=False,
    )


def draw_participation(model: StrikeModel, ax: Axes) -> None:
    """People in the town per day and form, with the observed turnout per capita."""
    frame: pd.DataFrame = participation(model.timeseries())
    strike_day = model.strike_day
    observed = model.config.scenario.observed_marchers / city_factor(model)
    ax.axhline(
        observed,
        color=OBSERVED_COLOUR,
        lw=1,
        ls=":",
        label=f"observed ~{model.config.scenario.observed_marchers:,} (per capita)",
    )
    for form in FORMS:
        ax.plot(frame.index, frame[form], color=FORM_COLOURS[form], marker=".", label=form)
    ax.axvline(strike_day, color="0.5", lw=0.8, ls="--")
    ax.set_xlim(0, strike_day + 0.5)
    ax.set_ylim(0, max(observed * 1.3, float(frame.to_numpy().max()) * 1.1, 1.0))
    ax.set_xlabel(f"campaign day (strike day = {strike_day})")
    ax.set_ylabel(f"people in this town of {model.population.size * model.population.scale:,}")
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title("marching: if the strike were that day; last point: the strike day", fontsize=9)


def network_figure(model: StrikeModel) -> tuple[Figure, NetworkPicture]:
    """The network with its legend, and the picture to recolour on later days.

    A bare :class:`~matplotlib.figure.Figure`, not pyplot's: pyplot keeps every figure in global
    state until closed, which leaks and is not thread-safe on a page serving many sessions.
    """
    fig = Figure(figsize=(6.4, 7.0), dpi=80, layout="constrained")
    ax = fig.add_subplot()
    picture = NetworkPicture(model, ax)
    network_legend(ax)
    return fig, picture


def participation_figure(model: StrikeModel) -> Figure:
    """The participation chart (:func:`draw_participation`) in a figure of its own, off pyplot."""
    fig = Figure(figsize=(6.4, 4.2), dpi=80, layout="constrained")
    draw_participation(model, fig.add_subplot())
    return fig
