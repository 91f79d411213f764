"""Where each person of a town is drawn: one layout per network, computed once and cached.

The layout is the slow part of drawing a town (networkx's spring layout takes ~10 s at 1,000
nodes on a 2-core machine; igraph's Fruchterman-Reingold in C ~0.6 s, and ~0.06 s with its grid
approximation of distant repulsion, which changes nothing visible at this size), so it is seeded
(the same network always gets the same picture, on the page and in the animation) and cached.
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections import OrderedDict

import numpy as np

from strikesim.engine.network import Network

LAYOUT_ITERATIONS = 300
_layouts: OrderedDict[str, np.ndarray] = OrderedDict()
_layout_lock = threading.Lock()  # igraph's random generator is process-wide


def network_key(network: Network) -> str:
    """A short fingerprint of the ties: equal networks share a layout (and a data file)."""
    a = network.adjacency
    return hashlib.sha1(a.indptr.tobytes() + a.indices.tobytes()).hexdigest()[:16]


def layout(network: Network, cache_size: int = 32) -> np.ndarray:
    """Node positions (n x 2), the same for the same network; cached per network."""
    import igraph  # here, not above: igraph imports matplotlib (~1.5 s), which a page never needs

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
