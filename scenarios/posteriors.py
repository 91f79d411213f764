"""Recorded posteriors shipped with strikesim: ``calibration/<name>_posterior.csv``.

Each is written by ``strikesim calibrate`` (docs/calibration.md): one row per posterior draw, one
column per config key it sets, and optionally ``draw`` and ``weight``. The engine draws a run's
behaviour from one (:mod:`strikesim.draws`); this module only finds and reads them.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib.resources import files

SUFFIX = "_posterior.csv"
META = ("draw", "weight")
"""Columns of a posterior table that are not config keys."""


def posterior_names() -> tuple[str, ...]:
    """The packaged posterior tables, by name (``campaign_2026``...)."""
    folder = files(__package__) / "calibration"
    return tuple(
        sorted(p.name[: -len(SUFFIX)] for p in folder.iterdir() if p.name.endswith(SUFFIX))
    )


@cache
def posterior_rows(name: str) -> tuple[dict[str, str], ...]:
    """The rows of a packaged posterior table, as read (strings); ``name`` must be packaged."""
    path = files(__package__) / "calibration" / f"{name}{SUFFIX}"
    with path.open(newline="") as handle:
        return tuple(csv.DictReader(handle))


def posterior_keys(name: str) -> tuple[str, ...]:
    """The config keys a packaged posterior sets (its columns but ``draw`` and ``weight``)."""
    rows = posterior_rows(name)
    return tuple(k for k in (rows[0] if rows else {}) if k not in META)
