"""Ensembles: many runs of one city, stepped together, each bit-identical to running alone.

Runs that share ``seed``, ``population`` and ``network`` share the city and the network (common
random numbers: :mod:`strikesim.streams`), so a sweep over behaviour, weather, coalition or dates
would rebuild the same city for every run — and at the 1:1 city, building it costs more than
running it. :func:`run_ensemble` builds it once (:class:`~strikesim.engine.kernel.City`) and
steps the members together in the kernel :class:`~strikesim.engine.kernel.Kernel`, in chunks of
at most ``chunk_size`` members (memory grows with it). A single run is the same kernel with one
member (:class:`~strikesim.engine.model.StrikeModel`), so an ensemble member's numbers are the
model's by construction; tests/test_ensemble.py checks it, and the per-agent reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import pandas as pd

from strikesim import draws
from strikesim.config import ConfigError, StrikeConfig, validate
from strikesim.engine.kernel import City, Kernel
from strikesim.engine.timeline import build_timeline

__all__ = ["CHUNK_SIZE", "SHARED", "EnsembleMember", "check_shared", "run_ensemble"]

SHARED: tuple[str, ...] = ("seed", "population", "network")
"""What the members of one ensemble must share: what the city and the network are built from."""

MEMBER_POPULATION_KEYS: tuple[str, ...] = ("name", "sympathizer_share")
"""Population keys members may differ in: a label, and who may ever join (drawn with the
thresholds, per member — a posterior may vary it)."""

CHUNK_SIZE = 64
"""Members stepped together at most: bounds the K x S arrays (docs/performance.md)."""


@dataclass
class EnsembleMember:
    """One member's results: exactly ``StrikeModel(config)``'s ``totals()``, ``timeseries()`` and
    ``events()``."""

    config: StrikeConfig
    totals: dict[str, float | int]
    timeseries: pd.DataFrame
    events: pd.DataFrame


def check_shared(configs: Sequence[StrikeConfig]) -> None:
    """Raise ConfigError (one line) unless every config shares :data:`SHARED` with the first.

    A section's ``name`` is a label (``population.name``) and ``population.sympathizer_share``
    is drawn per member: they build no city, so they may differ
    (:data:`MEMBER_POPULATION_KEYS`).
    """
    first = configs[0]
    for i, config in enumerate(configs[1:], start=1):
        for name in SHARED:
            mine, theirs = getattr(config, name), getattr(first, name)
            if name == "seed":
                differ = [name] if mine != theirs else []
            else:
                differ = [
                    f"{name}.{f.name}"
                    for f in fields(mine)
                    if f.name not in MEMBER_POPULATION_KEYS
                    and getattr(mine, f.name) != getattr(theirs, f.name)
                ]
            if differ:
                key = differ[0]
                raise ConfigError(
                    f"ensemble config {i} has {key}={_leaf(config, key)!r} but config 0 has "
                    f"{key}={_leaf(first, key)!r}; allowed: configs that share "
                    f"{', '.join(SHARED)} (the same city and network), differing in behavior, "
                    "weather, coalition or scenario dates"
                )


def _leaf(config: StrikeConfig, dotted: str) -> Any:
    value: Any = config
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


def run_ensemble(
    configs: Sequence[StrikeConfig], chunk_size: int = CHUNK_SIZE
) -> list[EnsembleMember]:
    """Run every config on one shared city; results in the order of ``configs``.

    Each member's ``totals``, ``timeseries`` and ``events`` are bit-identical to
    ``StrikeModel(config)`` run alone; a member's ``config`` is its posterior draw's, as the
    model's (:func:`strikesim.draws.resolve`). Raises ConfigError if a config is invalid
    or the configs do not share ``seed``, ``population`` and ``network``.
    """
    configs = [draws.resolve(validate(c)) for c in configs]
    if not configs:
        return []
    if chunk_size < 1:
        raise ConfigError(f"chunk_size={chunk_size} is too small; allowed: an integer >= 1")
    check_shared(configs)
    city = City.build(configs[0])
    order = sorted(range(len(configs)), key=lambda i: -build_timeline(configs[i]).days)
    results: list[EnsembleMember | None] = [None] * len(configs)
    for lo in range(0, len(order), chunk_size):
        chunk = order[lo : lo + chunk_size]
        kernel = Kernel(city, [configs[i] for i in chunk])
        kernel.run()
        for row, position in enumerate(kernel.order):
            results[chunk[position]] = EnsembleMember(
                configs[chunk[position]],
                kernel.totals(row),
                kernel.timeseries(row),
                kernel.events(row),
            )
    return [r for r in results if r is not None]
