"""Named random streams: one ``numpy.random.Generator`` per purpose, all from one seed.

Why named streams: two scenarios that differ only in, say, the weather draw the very same
population, network, thresholds and outreach days, so their difference is the weather's effect
and not noise (common random numbers). Each stream is ``SeedSequence(seed, spawn_key=(k,))``
with a key ``k`` that depends on the stream's *name* only (:func:`spawn_key`).

Why a fixed registry *and* a hash, rather than one or the other:

- The six streams the model has always used keep the keys they had when they were positions in
  a tuple (:data:`FIXED_KEYS`, 0..5). Every recorded number — the calibration record, the shipped
  full-city check (25,732 marchers for seed 0), the figures in ``docs/`` — was drawn with those
  keys; hashing those names too would silently change all of them.
- Any other name gets a key derived from a stable hash of the name (:func:`hashed_key`): the
  first 8 bytes of its SHA-256, a 64-bit integer. No list has to be kept in order, two people
  adding streams at once cannot pick the same number, and adding, removing or reordering
  streams never changes another stream. Python's built-in ``hash`` is salted per process, so it
  would not be reproducible; SHA-256 is. A 64-bit key collides with one of the six small keys
  with probability ~6 / 2**64, and :func:`spawn_key` refuses that case rather than reuse a stream.

Do not add new names to :data:`FIXED_KEYS`: it is frozen to what the recorded numbers used.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np

FIXED_KEYS = MappingProxyType(
    {
        "population": 0,
        "network": 1,
        "thresholds": 2,
        "activists": 3,
        "outreach": 4,
        "march": 5,
    }
)
"""The spawn keys of the model's original streams, frozen: they were the streams' positions in
the old ``STREAMS`` tuple, and every recorded number depends on them."""

HASH_BYTES = 8
"""Bytes of a name's SHA-256 that make its key (64 bits: collisions among names need ~4e9 names)."""


def hashed_key(name: str) -> int:
    """The spawn key of a stream not in :data:`FIXED_KEYS`: the first 8 bytes of SHA-256(name),
    big-endian — the same on every machine, Python version and process."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:HASH_BYTES], "big")


def spawn_key(name: str, fixed: Mapping[str, int] = FIXED_KEYS) -> int:
    """The key of stream ``name``: its fixed key if it has one, else :func:`hashed_key`."""
    if not name:
        raise ValueError("a random stream needs a non-empty name")
    if name in fixed:
        return fixed[name]
    key = hashed_key(name)
    if key in fixed.values():  # ~1e-18 per name; never silently share another stream
        raise ValueError(f"stream name {name!r} hashes onto a fixed stream key; choose another")
    return key


def stream(seed: int, name: str) -> np.random.Generator:
    """The generator for one purpose (``name``) of one run (``seed``)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(spawn_key(name),)))
