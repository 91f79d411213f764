"""Named random streams: one ``numpy.random.Generator`` per purpose, all from one seed.

Why named streams: two scenarios that differ only in, say, the weather draw the very same
population, network, thresholds and outreach days, so their difference is the weather's effect
and not noise (common random numbers). Each stream is ``SeedSequence(seed, spawn_key=(k,))`` for a
fixed ``k`` per name, so adding a stream later never shifts the others.
"""

from __future__ import annotations

import numpy as np

STREAMS = ("population", "network", "thresholds", "activists", "outreach", "march")


def stream(seed: int, name: str) -> np.random.Generator:
    """The generator for one purpose of one run."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(STREAMS.index(name),)))
