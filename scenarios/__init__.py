"""Real-world case data, each row with its source: the sectors of the synthetic Minneapolis and the
roster of organizations that can endorse a strike.

The named coalitions (which of these organizations endorse) are Hydra presets in
``conf/coalition/``; the numbers that describe a city or a day are in ``conf/`` YAML with sources.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import pandas as pd

ORGANIZATION_KINDS = ("union", "federation", "faith")


@cache
def sectors() -> pd.DataFrame:
    """Sectors of employment: share of workers, union rate, unions (id or ``id:share;...``)."""
    return pd.read_csv(files(__name__) / "data" / "sectors.csv")


@cache
def organizations() -> pd.DataFrame:
    """The roster: ``org_id``, ``name``, ``kind`` (union/federation/faith), whom it ``reaches``."""
    return pd.read_csv(files(__name__) / "data" / "organizations.csv")


def organization_ids() -> tuple[str, ...]:
    return tuple(organizations()["org_id"])


def sector_unions(row: pd.Series) -> list[tuple[str, float]]:
    """Parse a sector's ``unions`` cell (``a:0.6;b:0.4`` or ``a``) into (union, share) pairs."""
    pairs = []
    for part in str(row["unions"]).split(";"):
        name, _, share = part.partition(":")
        pairs.append((name.strip(), float(share) if share else 1.0))
    return pairs
