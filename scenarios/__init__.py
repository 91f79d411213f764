"""Real-world case data, each row with its source: the places of the Twin Cities metro, the sectors
of the synthetic Minneapolis and the roster of organizations that can endorse a strike.

The named coalitions (which of these organizations endorse) are Hydra presets in
``conf/coalition/``; the numbers that describe a city or a day are in ``conf/`` YAML with sources.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas takes ~0.6 s to import: validation and --help read the roster without it
    import pandas as pd

ORGANIZATION_KINDS = ("union", "federation", "faith", "student_group", "community", "civic")

DOWNTOWN = (44.97583, -93.26667)
"""Latitude, longitude of downtown Minneapolis, where the marches gathered (23 Jan 2026: from The
Commons to Target Center), from which ``places.csv`` measures ``distance_km``: the coordinates
Wikipedia gives for Hennepin County, at the Government Center downtown (where the 23 Jan call was
announced); The Commons is about 0.5 km east of it."""

MINNESOTA_POPULATION = 5_706_494
"""Minnesota's residents, US Census 2020: what a statewide membership count is spread over when the
synthetic population holds only part of the state (:func:`members_in_population`)."""

METRO = "metro"
"""The ``area`` of an organization that reaches every place of ``places.csv``."""


@cache
def sectors() -> pd.DataFrame:
    """Sectors of employment: share of workers, union rate, unions (id or ``id:share;...``)."""
    import pandas as pd

    return pd.read_csv(files(__name__) / "data" / "sectors.csv")


@cache
def places() -> pd.DataFrame:
    """Where people live: Minneapolis first (row 0), then the rest of the seven-county metro.

    Columns: ``place_id``, ``name``, ``population`` (US Census 2020), ``lat``/``lon`` (the place's
    center of population), ``distance_km`` (great-circle, from that center to :data:`DOWNTOWN`),
    ``mean_distance_km`` (population-weighted mean over the place's census tracts: the typical
    resident's trip, longer than the center's for the city itself), ``foreign_born_share`` (ACS)
    and ``source``. Row order is the index a population's ``place`` array stores.
    """
    import pandas as pd

    return pd.read_csv(files(__name__) / "data" / "places.csv")


@cache
def organizations() -> pd.DataFrame:
    """The roster: ``org_id``, ``name``, ``kind`` (one of :data:`ORGANIZATION_KINDS`), whom it
    ``reaches`` and where (``area``: :data:`METRO` or ``+``-joined place ids), and
    ``members_reported`` (a published membership count, or <NA> where none was found: nullable
    integers, so that a missing count is never read as zero) over ``members_scope``."""
    import pandas as pd

    return pd.read_csv(
        files(__name__) / "data" / "organizations.csv", dtype={"members_reported": "Int64"}
    )


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


def area_places(area: str) -> tuple[int, ...]:
    """Rows of :func:`places` named by a roster ``area`` cell (:data:`METRO`: every place).

    Raises ValueError on an unknown place id, so a typo cannot silently shrink a call's reach.
    """
    ids = list(places()["place_id"])
    if area.strip() == METRO:
        return tuple(range(len(ids)))
    named = [t.strip() for t in area.split("+")]
    unknown = [t for t in named if t not in ids]
    if unknown:
        raise ValueError(
            f"roster area {unknown[0]!r} is unknown; allowed: {METRO}, " + ", ".join(ids)
        )
    return tuple(sorted(ids.index(t) for t in named))


def members_in_population(org_id: str, population: int) -> float | None:
    """A local's reported members that live among ``population`` residents of the metro, or None
    where the roster has no count.

    A count over the metro (``members_scope`` metro) is spread over the metro's residents, a
    statewide one over :data:`MINNESOTA_POPULATION`: members are assumed to live where people
    live ([est]; Minnesota's union members are, if anything, more concentrated in the metro), so
    a population of ``population`` holds ``members_reported * population / scope population``.
    """
    row = next(r for r in roster() if r.org_id == org_id)
    if row.members_reported is None or row.members_scope not in ("metro", "state"):
        return None
    scope = MINNESOTA_POPULATION if row.members_scope == "state" else metro_population()
    return row.members_reported * population / scope


@cache
def metro_population() -> int:
    """The seven counties' residents (``places.csv``, US Census 2020): 3,163,104."""
    return int(places()["population"].sum())


@dataclass(frozen=True)
class RosterRow:
    """One organization as the model reads it: ``area`` as place rows, a count as a float."""

    org_id: str
    kind: str
    reaches: str
    area: tuple[int, ...]
    congregation_share: float
    members_reported: float | None
    members_scope: str


@cache
def roster() -> tuple[RosterRow, ...]:
    """The roster's rows in file order, parsed once: every city build reads them (the classroom
    page builds twenty towns at a time), and pandas row access costs ~0.5 ms a row."""
    import pandas as pd

    return tuple(
        RosterRow(
            org_id=str(row.org_id),
            kind=str(row.kind),
            reaches=str(row.reaches),
            area=area_places(str(row.area)),
            congregation_share=float(row.congregation_share),
            members_reported=None if pd.isna(row.members_reported) else float(row.members_reported),
            members_scope="" if pd.isna(row.members_scope) else str(row.members_scope),
        )
        for row in organizations().itertuples()
    )
