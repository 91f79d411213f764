"""Where each person of a town is drawn: one layout per network, computed once and cached
(the page places a town by its people's default ties: :func:`~strikesim.viz.demo.payload.
placed_network`).

The layout is the slow part of drawing a town (networkx's spring layout takes ~10 s at 1,000
nodes on a 2-core machine; igraph's Fruchterman-Reingold in C ~0.5 s at 300 iterations on the
metro sample's ~6,400 ties, ~0.2 s at :data:`LAYOUT_ITERATIONS` = 100, which look the same: a
town of 1,000 with ~13 ties each is a disc either way), so it is seeded (the same network always
gets the same picture, on the page and in the animation) and cached.

Importing igraph imports matplotlib's pyplot if it can (for igraph's own plotting, which the
demo never uses): ~0.5-1 s of the page's start-up. :func:`_igraph` imports it without.
"""

from __future__ import annotations

import hashlib
import random
import sys
import threading
from collections import OrderedDict
from types import ModuleType

import numpy as np

from strikesim.engine.network import Network

LAYOUT_ITERATIONS = 100  # 300 drew the same disc at 2.7x the time (page start-up)
_layouts: OrderedDict[str, np.ndarray] = OrderedDict()
_layout_lock = threading.Lock()  # igraph's random generator is process-wide


def network_key(network: Network) -> str:
    """A short fingerprint of the ties: equal networks share a layout (and a data file)."""
    a = network.adjacency
    return hashlib.sha1(a.indptr.tobytes() + a.indices.tobytes()).hexdigest()[:16]


def layout(network: Network, cache_size: int = 32) -> np.ndarray:
    """Node positions (n x 2), the same for the same network; cached per network."""
    igraph = _igraph()
    key = network_key(network)
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
                coords = graph.layout_fruchterman_reingold(
                    seed=start, niter=LAYOUT_ITERATIONS, grid=True
                )
            finally:
                igraph.set_random_number_generator(random)
            _layouts[key] = np.asarray(coords.coords, dtype=float)
            while len(_layouts) > cache_size:
                _layouts.popitem(last=False)
        _layouts.move_to_end(key)
        return _layouts[key]


def _igraph() -> ModuleType:
    """igraph, imported without matplotlib unless matplotlib is imported already.

    Why: igraph's drawing module imports ``matplotlib.pyplot`` when it can and falls back to a
    stand-in when the import fails; the page's server never needs it, and it was the largest
    single cost of its start-up. matplotlib is hidden for the duration of that one import (a
    ``None`` entry in ``sys.modules`` makes ``import matplotlib`` fail), then visible again, so
    the animation and anything else import it as usual; only igraph's own plotting is off.
    """
    if "igraph" in sys.modules or "matplotlib" in sys.modules:
        import igraph

        return igraph
    with _layout_lock:
        sys.modules["matplotlib"] = None  # type: ignore[assignment]
        try:
            import igraph
        finally:
            if sys.modules.get("matplotlib", 0) is None:
                del sys.modules["matplotlib"]
    return igraph
