"""Real-world case data, each row with its source: the sectors of the synthetic Minneapolis and the
roster of organizations that can endorse a strike.

The named coalitions (which of these organizations endorse) are Hydra presets in
``conf/coalition/``; the numbers that describe a city or a day are in ``conf/`` YAML with sources.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas takes ~0.6 s to import: validation and --help read the roster without it
    import pandas as pd

ORGANIZATION_KINDS = ("union", "federation", "faith")


@cache
def sectors() -> pd.DataFrame:
    """Sectors of employment: share of workers, union rate, unions (id or ``id:share;...``)."""
    import pandas as pd

    return pd.read_csv(files(__name__) / "data" / "sectors.csv")


@cache
def organizations() -> pd.DataFrame:
    """The roster: ``org_id``, ``name``, ``kind`` (union/federation/faith), whom it ``reaches``."""
    import pandas as pd

    return pd.read_csv(files(__name__) / "data" / "organizations.csv")


@cache
def organization_ids() -> tuple[str, ...]:
    """The roster's ids, in file order (read with the csv module: fast, no pandas)."""
    with (files(__name__) / "data" / "organizations.csv").open(newline="") as handle:
        return tuple(row["org_id"] for row in csv.DictReader(handle))


def sector_unions(row: pd.Series) -> list[tuple[str, float]]:
    """Parse a sector's ``unions`` cell (``a:0.6;b:0.4`` or ``a``) into (union, share) pairs."""
    pairs = []
    for part in str(row["unions"]).split(";"):
        name, _, share = part.partition(":")
        pairs.append((name.strip(), float(share) if share else 1.0))
    return pairs
