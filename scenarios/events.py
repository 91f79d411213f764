"""The documented campaign of January-February 2026 as data: dated events and who called each.

``data/events.csv`` has one row per event — a killing (``shock``), a march (``march``) or a
strike day with a march (``strike``) — with its weather, how many days ahead its calls went out
and its published turnout, each with sources; ``data/endorsements.csv`` lists the organizations
documented as calling each action day. :mod:`strikesim.engine.timeline` turns them into the
days of a run.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.resources import files

EVENT_KINDS = ("shock", "march", "strike")


@dataclass(frozen=True)
class DocumentedEvent:
    """One row of ``events.csv``; weather and turnout are None where the row has none."""

    event_id: str
    date: date
    kind: str
    label: str
    temperature_f: float | None
    wind_mph: float | None
    precipitation_in: float | None
    indoor_refuge: bool
    call_lead_days: int | None
    observed_low: float | None
    observed_central: float | None
    observed_high: float | None
    source: str


def _number(cell: str) -> float | None:
    return float(cell) if cell.strip() else None


@cache
def documented_events() -> tuple[DocumentedEvent, ...]:
    """Every documented event, in date order (read with the csv module: fast, no pandas)."""
    with (files(__package__) / "data" / "events.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    events = []
    for row in rows:
        if row["kind"] not in EVENT_KINDS:
            raise ValueError(
                f"events.csv: kind {row['kind']!r} of {row['event_id']}; allowed: "
                f"{', '.join(EVENT_KINDS)}"
            )
        lead = _number(row["call_lead_days"])
        events.append(
            DocumentedEvent(
                event_id=row["event_id"],
                date=date.fromisoformat(row["date"]),
                kind=row["kind"],
                label=row["label"],
                temperature_f=_number(row["temperature_f"]),
                wind_mph=_number(row["wind_mph"]),
                precipitation_in=_number(row["precipitation_in"]),
                indoor_refuge=row["indoor_refuge"].strip() == "true",
                call_lead_days=None if lead is None else int(lead),
                observed_low=_number(row["observed_low"]),
                observed_central=_number(row["observed_central"]),
                observed_high=_number(row["observed_high"]),
                source=row["source"],
            )
        )
    return tuple(sorted(events, key=lambda e: e.date))


@cache
def documented_endorsers() -> dict[str, tuple[str, ...]]:
    """Event id -> the organizations documented as calling it, in file order."""
    with (files(__package__) / "data" / "endorsements.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    endorsers: dict[str, list[str]] = {}
    for row in rows:
        endorsers.setdefault(row["event_id"], []).append(row["org_id"])
    return {event: tuple(orgs) for event, orgs in endorsers.items()}
