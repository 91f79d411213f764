"""The campaign as a dated sequence of days: when calls go out, when shocks strike, when people act.

A run covers ``scenario.start_date`` (day 0) to ``scenario.date`` (day T); the length of the
campaign is the number of days between them. What happens on the way:

- **Action days** — a march, or a strike day (no work, no school, no shopping, and a march). The
  last one is the day at ``scenario.date``: its kind is ``scenario.kind``, its weather the
  ``weather`` section and its callers ``coalition.endorsers``. With ``scenario.history`` the
  documented action days between the dates come first, each with its own weather and its
  documented callers (``scenarios/data/events.csv``, ``endorsements.csv``).
- **Calls** — each action day's callers announce ``call_lead_days`` before it (day 0 at the
  earliest); an organization that has called keeps calling for the rest of the campaign, so
  its call day is the earliest among the action days it endorses.
- **Shocks** — with ``scenario.history``, the documented killings between the dates (the start
  date's included): outrage that lowers everyone's needed share and fades
  (:func:`outrage`).

Why the documented days are data and the last day is config: the history is fixed by the record
(fit to it, never vary it by accident), while the day being studied is what a researcher varies —
another coalition, another temperature, another date.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from strikesim.config import StrikeConfig, WeatherConfig, iso_date
from strikesim.scenarios.events import documented_endorsers, documented_events

__all__ = ["ActionDay", "Timeline", "build_timeline", "outrage"]


@dataclass(frozen=True)
class ActionDay:
    """A day on which committed people act: march (and, on a strike day, strike and walk out)."""

    event_id: str
    date: date
    day: int  # days since the start date
    kind: str  # "march" or "strike"
    weather: WeatherConfig
    endorsers: tuple[str, ...]
    call_day: int  # the day its calls go out
    documented: bool  # from events.csv (history), or the day at scenario.date


@dataclass(frozen=True)
class Timeline:
    """What happens on which day of one run."""

    start: date
    days: int  # the last day, T (the day at scenario.date)
    actions: tuple[ActionDay, ...]  # in date order; the last is the day at scenario.date
    shock_days: tuple[int, ...]

    def call_days(self) -> dict[str, int]:
        """Organization -> the day its call goes out: its earliest endorsed action day's."""
        days: dict[str, int] = {}
        for action in self.actions:
            for org in action.endorsers:
                days[org] = min(days.get(org, action.call_day), action.call_day)
        return days

    def action_on(self, day: int) -> ActionDay | None:
        """The action day on ``day``, if there is one."""
        return next((a for a in self.actions if a.day == day), None)


def build_timeline(config: StrikeConfig) -> Timeline:
    """The days of the run ``config`` describes (see the module docstring)."""
    sc = config.scenario
    start = iso_date("scenario.start_date", sc.start_date)
    end = iso_date("scenario.date", sc.date)
    days = (end - start).days
    actions: list[ActionDay] = []
    shocks: list[int] = []
    if sc.history:
        endorsers = documented_endorsers()
        for event in documented_events():
            if not start <= event.date < end:
                continue
            day = (event.date - start).days
            if event.kind == "shock":
                shocks.append(day)
                continue
            if day == 0:  # day 0 is the initial state, never stepped: no one acts on it
                continue
            actions.append(
                ActionDay(
                    event_id=event.event_id,
                    date=event.date,
                    day=day,
                    kind=event.kind,
                    weather=WeatherConfig(
                        name=event.event_id,
                        temperature_f=event.temperature_f,
                        wind_mph=event.wind_mph,
                        precipitation_in=event.precipitation_in,
                        indoor_refuge=event.indoor_refuge,
                    ),
                    endorsers=endorsers.get(event.event_id, ()),
                    call_day=max(0, day - (event.call_lead_days or 0)),
                    documented=True,
                )
            )
    actions.append(
        ActionDay(
            event_id=sc.name,
            date=end,
            day=days,
            kind=sc.kind,
            weather=replace(config.weather),
            endorsers=tuple(config.coalition.endorsers),
            call_day=max(0, days - sc.call_lead_days),
            documented=False,
        )
    )
    return Timeline(start=start, days=days, actions=tuple(actions), shock_days=tuple(shocks))


def outrage(timeline: Timeline, day: int, shock: float, memory_days: float) -> float:
    """Outrage on ``day``: each shock so far, ``shock * exp(-(day - shock_day) / memory_days)``.

    A killing by federal agents is a moral shock (Jasper & Poulsen 1995): it moves people who
    were not yet asked, and its pull fades. Summed over shocks in date order from 0.0, so the
    same timeline and values always give the same float.
    """
    total = 0.0
    for shock_day in timeline.shock_days:
        if shock_day <= day:
            total += shock * math.exp(-(day - shock_day) / memory_days)
    return total


def proximity(distance_km: np.ndarray, reach_km: float) -> np.ndarray:
    """How strongly outrage reaches a person ``distance_km`` from downtown: ``exp(-d / reach)``.

    Both killings happened in south Minneapolis; outrage is felt city-wide and more strongly
    near it (the 2026-11 review; the Model issue).
    """
    return np.exp(-np.asarray(distance_km, dtype=np.float64) / reach_km)
