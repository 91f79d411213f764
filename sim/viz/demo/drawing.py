"""Matplotlib pictures of the town: the network coloured by state, and participation by day.

The layout is the slow part (networkx's spring layout takes ~10 s at 1,000 nodes on a 2-core
machine; igraph's Fruchterman-Reingold in C well under one), so it is computed once per network
and cached; a step only recolours the dots of a figure that already holds the edges.
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections import OrderedDict

import igraph
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
from strikesim.engine.network import Network
from strikesim.engine.population import K12, UNIVERSITY, WORKER
from strikesim.viz.demo.scene import FORMS, STATES, city_factor, node_states, participation

STATE_COLOURS = ("#d0d0d0", "#9ecae1", "#fd8d3c", "#d62728")  # unaware ... marching
FORM_COLOURS = {"striking": "tab:blue", "walkouts": "tab:purple", "marching": "tab:red"}
OBSERVED_COLOUR = "tab:green"  # the observed turnout, per capita, on the chart
UNION_EDGE, FAITH_EDGE = "black", "#6a3d9a"
SHAPES = (("worker", "o", 22), ("student", "^", 26), ("other resident", "D", 12))
LAYOUT_ITERATIONS = 300
_layouts: OrderedDict[str, np.ndarray] = OrderedDict()
_layout_lock = threading.Lock()  # igraph's random generator is process-wide


def _network_key(network: Network) -> str:
    a = network.adjacency
    return hashlib.sha1(a.indptr.tobytes() + a.indices.tobytes()).hexdigest()


def layout(network: Network, cache_size: int = 16) -> np.ndarray:
    """Node positions (n x 2), the same for the same network; cached per network."""
    key = _network_key(network)
    with _layout_lock:
        if key not in _layouts:
            coo = network.adjacency.tocoo()
            upper = coo.row < coo.col
            graph = igraph.Graph(
                n=network.size, edges=np.column_stack([coo.row[upper], coo.col[upper]]).tolist()
            )
            start = np.random.default_rng(0).random((network.size, 2)).tolist()
            igraph.set_random_number_generator(random.Random(0))
            try:
                coords = graph.layout_fruchterman_reingold(seed=start, niter=LAYOUT_ITERATIONS)
            finally:
                igraph.set_random_number_generator(random)
            _layouts[key] = np.asarray(coords.coords, dtype=float)
            while len(_layouts) > cache_size:
                _layouts.popitem(last=False)
        _layouts.move_to_end(key)
        return _layouts[key]


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
    frame: pd.DataFrame = participation(model)
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
