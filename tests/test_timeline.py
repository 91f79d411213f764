"""The campaign's dates (:mod:`strikesim.engine.timeline`): action days, shocks and call days
from ``scenario.start_date`` to ``scenario.date``, and outrage that fades."""

from __future__ import annotations

import itertools
import math
from datetime import date

import numpy as np
import pytest

from strikesim.compose import compose_config
from strikesim.engine.model import StrikeModel
from strikesim.engine.timeline import build_timeline, outrage, proximity
from strikesim.scenarios.events import documented_endorsers, documented_events


def test_ice_out_2026_timeline() -> None:
    """7 Jan (day 0) to 13 Feb: the 10 Jan march, the 23 Jan strike and the 13 Feb strike on
    days 3, 16 and 37; the killings of 7 and 24 Jan on days 0 and 17."""
    config = compose_config(["scenario=ice_out_2026"])
    t = build_timeline(config)
    assert t.start == date(2026, 1, 7) and t.days == 37
    assert [a.date for a in t.actions] == [date(2026, 1, 10), date(2026, 1, 23), date(2026, 2, 13)]
    assert [a.day for a in t.actions] == [3, 16, 37]
    assert [a.kind for a in t.actions] == ["march", "strike", "strike"]
    assert [a.documented for a in t.actions] == [True, True, False]
    assert [a.event_id for a in t.actions] == [
        "march_2026_01_10",
        "day_of_truth_2026_01_23",
        "ice_out_2026",
    ]
    assert t.shock_days == (0, 17)
    # calls: 10 Jan called after the killing (3 days ahead, from day 0), the strikes a week ahead
    assert [a.call_day for a in t.actions] == [0, 9, 30]
    endorsers = documented_endorsers()
    assert t.actions[0].endorsers == endorsers["march_2026_01_10"] == ("mirac",)
    assert t.actions[1].endorsers == endorsers["day_of_truth_2026_01_23"]
    assert t.actions[2].endorsers == tuple(config.coalition.endorsers)
    # the documented days keep their recorded weather; the last day's is the weather section
    assert (t.actions[0].weather.temperature_f, t.actions[1].weather.temperature_f) == (20, -20)
    assert t.actions[1].weather.indoor_refuge and not t.actions[0].weather.indoor_refuge
    assert t.actions[2].weather == config.weather
    assert {a.day: a for a in t.actions} == {d: t.action_on(d) for d in (3, 16, 37)}
    assert all(t.action_on(d) is None for d in range(38) if d not in (3, 16, 37))


def test_an_organization_calls_from_its_earliest_endorsed_day() -> None:
    t = build_timeline(compose_config(["scenario=ice_out_2026"]))
    days = t.call_days()
    assert days["mirac"] == 0
    assert days["minneapolis_city_council"] == 9  # 23 Jan only
    assert days["minnesota_afl_cio"] == 9  # 23 Jan and 13 Feb: the earlier
    assert days["faith_in_minnesota"] == 9
    assert days["ufcw_663"] == days["education_minnesota"] == 30  # 13 Feb only
    callers = {o for a in t.actions for o in a.endorsers}
    assert set(days) == callers
    assert "copal" not in days  # on the roster, calls for none of these days


def test_without_history_one_action_and_no_shocks() -> None:
    config = compose_config(
        ["scenario=ice_out_2026", "scenario.history=false", "scenario.start_date=2026-02-03"]
    )
    t = build_timeline(config)
    assert t.days == 10 and t.shock_days == ()
    assert len(t.actions) == 1
    (action,) = t.actions
    assert (action.day, action.date, action.kind) == (10, date(2026, 2, 13), "strike")
    assert action.call_day == 3 and not action.documented
    assert t.call_days() == dict.fromkeys(config.coalition.endorsers, 3)
    assert outrage(t, 5, 0.3, 10.0) == 0.0


@pytest.mark.parametrize(
    ("start", "end", "actions", "shocks"),
    [
        ("2026-01-08", "2026-02-13", [2, 15, 36], (16,)),  # after the first killing
        ("2026-01-24", "2026-02-13", [20], (0,)),  # the start date's shock is included
        ("2026-01-07", "2026-01-23", [3, 16], (0,)),  # the day at date is the config's
        ("2026-01-11", "2026-01-20", [9], ()),  # nothing documented in between
    ],
)
def test_history_between_the_dates(
    start: str, end: str, actions: list[int], shocks: tuple[int, ...]
) -> None:
    config = compose_config(
        ["scenario=ice_out_2026", f"scenario.start_date={start}", f"scenario.date={end}"]
    )
    t = build_timeline(config)
    assert [a.day for a in t.actions] == actions and t.shock_days == shocks
    assert t.actions[-1].event_id == "ice_out_2026" and not t.actions[-1].documented
    assert all(a.documented for a in t.actions[:-1])


def test_call_lead_days_and_an_early_start() -> None:
    """Calls go out call_lead_days before the day, never before day 0."""
    base = ["scenario.history=false", "scenario.start_date=2026-02-10"]  # 3 days
    assert build_timeline(compose_config(base)).actions[-1].call_day == 0  # 7 days ahead: day 0
    lead1 = compose_config([*base, "scenario.call_lead_days=1"])
    assert build_timeline(lead1).actions[-1].call_day == 2
    lead0 = compose_config([*base, "scenario.call_lead_days=0"])
    assert build_timeline(lead0).actions[-1].call_day == 3


def test_march_preset_is_a_march_day() -> None:
    t = build_timeline(compose_config(["scenario=march_2026_01_10"]))
    assert t.days == 3 and t.shock_days == (0,)
    assert [(a.day, a.kind, a.call_day, a.documented) for a in t.actions] == [
        (3, "march", 0, False)
    ]
    assert t.actions[0].endorsers == ("mirac",)


def test_every_action_day_of_the_timeline_happens_in_a_run() -> None:
    """Including a run whose start date is a documented action day: day 0 is the initial state,
    which is never stepped, so such a day is not in the timeline rather than silently skipped."""
    for start in ("2026-01-07", "2026-01-10", "2026-01-23"):
        config = compose_config(["population=classroom", f"scenario.start_date={start}"])
        model = StrikeModel(config)
        model.run()
        events = model.events()
        assert events["day"].tolist() == [a.day for a in model.timeline.actions], start
        assert events["event"].tolist() == [a.event_id for a in model.timeline.actions]
        assert all(a.day > 0 for a in model.timeline.actions)
        model.release()


def test_outrage_sums_fading_shocks() -> None:
    t = build_timeline(compose_config(["scenario=ice_out_2026"]))
    shock, memory = 0.05, 10.0
    values = [outrage(t, d, shock, memory) for d in range(t.days + 1)]
    assert values[0] == shock
    assert values[5] == pytest.approx(shock * math.exp(-0.5), rel=1e-15)
    assert values[17] == pytest.approx(shock * (math.exp(-1.7) + 1.0), rel=1e-15)
    assert all(b < a for a, b in itertools.pairwise(values[:17]))  # fades
    assert values[17] > values[16]  # the second killing
    assert all(b < a for a, b in itertools.pairwise(values[17:]))
    slower = [outrage(t, d, shock, 30.0) for d in range(t.days + 1)]
    assert slower[0] == values[0]
    assert all(s > v for s, v in zip(slower[1:], values[1:], strict=True))
    assert outrage(t, 10, 0.0, memory) == 0.0


def test_proximity_falls_with_distance_from_downtown() -> None:
    near = proximity(np.array([0.0, 5.0, 20.0, 60.0], dtype=np.float32), 20.0)
    assert near.dtype == np.float64
    np.testing.assert_allclose(near, np.exp(-np.array([0.0, 5.0, 20.0, 60.0]) / 20.0))
    assert near[0] == 1.0 and np.all(np.diff(near) < 0)


def test_documented_events_are_in_date_order_with_known_kinds() -> None:
    events = documented_events()
    assert [e.date for e in events] == sorted(e.date for e in events)
    assert {e.kind for e in events} <= {"shock", "march", "strike"}
    shocks = [e.date for e in events if e.kind == "shock"]
    assert shocks == [date(2026, 1, 7), date(2026, 1, 24)]
    for e in events:
        if e.kind != "shock":
            assert e.temperature_f is not None and e.call_lead_days is not None, e.event_id
    assert set(documented_endorsers()) <= {e.event_id for e in events if e.kind != "shock"}
