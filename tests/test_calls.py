"""Organizations' calls (:mod:`strikesim.engine.calls`): whom each reaches, from which day, with
what pull — by hand on five people, and on a whole campaign against the per-person reference.

A person's pull on day t is ``min(max_pull, sum of the strengths of their calls started by t)``,
a call starting on its organization's call day plus the person's outreach delay on its channel.
The kernel recomputes the pull only of the people :attr:`CallSchedule.changes_on` lists for a
day, so that list must hold everyone whose pull changes; and :meth:`CallSchedule.pull` (many
people at once) must give :meth:`CallSchedule.person_pull`'s bits (the per-agent rule's).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from strikesim.compose import compose_config
from strikesim.config import BehaviorConfig
from strikesim.engine.calls import CallSchedule, Contributions, RosterOrganization
from strikesim.engine.heterogeneity import CHANNELS, NEVER
from strikesim.engine.model import StrikeModel


def ones(**days: list[int]) -> dict[str, np.ndarray]:
    """Outreach delays: 1 day on every channel for all five people, except those given."""
    return {c: np.array(days.get(c, [1] * 5), dtype=np.int32) for c in CHANNELS}


BEHAVIOR = replace(
    BehaviorConfig(),
    union_call=0.2,
    school_call=0.1,
    federation_call=0.15,
    faith_call=0.4,
    campus_call=0.0,  # a channel without pull: its calls never start
    max_pull=0.3,
)
ORGS = [
    RosterOrganization(
        "a", {"union": np.array([0, 1, 3]), "school": np.array([2]), "campus": np.array([0])}
    ),
    RosterOrganization("b", {"federation": np.array([0, 1, 2, 4])}),
    RosterOrganization("c", {"faith": np.array([1, 4])}),  # never calls here
]
CAN_COMMIT = np.array([True, True, True, False, True])  # person 3 never commits


def hand_schedule() -> CallSchedule:
    contributions = Contributions.build(ORGS, CAN_COMMIT)
    reach = ones(union=[1, 3, 1, 1, 1], school=[1, 1, 2, 1, 1], federation=[1, 1, 1, 1, 5])
    return CallSchedule.build(contributions, {"a": 2, "b": 0}, reach, BEHAVIOR)


# day -> pull of persons 0, 1, 2, 4 (person 3 cannot commit and has no contribution)
HAND_PULL = {
    0: [0.0, 0.0, 0.0, 0.0],
    1: [0.15, 0.15, 0.15, 0.0],  # b's federation call (0.15) reaches 0, 1, 2 on day 1
    2: [0.15, 0.15, 0.15, 0.0],
    3: [0.3, 0.15, 0.15, 0.0],  # a calls on day 2; its union call reaches 0 a day later: capped
    4: [0.3, 0.15, 0.25, 0.0],  # a's school call reaches 2 after 2 days
    5: [0.3, 0.3, 0.25, 0.15],  # a's union call reaches 1 (capped); b's reaches 4 after 5 days
    40: [0.3, 0.3, 0.25, 0.15],
}


def test_contributions_are_sorted_by_person_then_channel_then_roster() -> None:
    c = Contributions.build(ORGS, CAN_COMMIT)
    assert c.people.tolist() == [0, 1, 2, 4]
    rows = list(zip(c.person.tolist(), c.channel.tolist(), c.org.tolist(), strict=True))
    ch = CHANNELS.index
    assert rows == [
        (0, ch("union"), 0),
        (0, ch("federation"), 1),
        (0, ch("campus"), 0),
        (1, ch("union"), 0),
        (1, ch("federation"), 1),
        (1, ch("faith"), 2),
        (2, ch("federation"), 1),
        (2, ch("school"), 0),
        (4, ch("federation"), 1),
        (4, ch("faith"), 2),
    ]
    assert [(int(a), int(b)) for a, b in zip(c.start, c.stop, strict=True)] == [
        (0, 3),
        (3, 6),
        (6, 8),
        (8, 10),
    ]


def test_pull_by_hand() -> None:
    schedule = hand_schedule()
    people = np.array([0, 1, 2, 4])
    for day, want in HAND_PULL.items():
        assert schedule.pull(people, day) == pytest.approx(want, abs=1e-15), day
        got = [schedule.person_pull(int(i), day) for i in people]
        assert got == schedule.pull(people, day).tolist(), day
        assert schedule.person_pull(3, day) == 0.0  # reached by a, but cannot commit
    assert schedule.pull(np.array([4, 0]), 5).tolist() == schedule.pull(people, 5)[[3, 0]].tolist()
    # the organization that never calls, and the channel without pull, never start
    c = schedule.contributions
    assert np.all(schedule.first_day[c.org == 2] == NEVER)
    assert np.all(schedule.first_day[c.channel == CHANNELS.index("campus")] == NEVER)
    assert {d: p.tolist() for d, p in schedule.changes_on.items()} == {
        1: [0, 1, 2],
        3: [0],
        4: [2],
        5: [1, 4],
    }


def test_reached_means_a_call_has_started() -> None:
    schedule = hand_schedule()
    assert not any(schedule.reached(i, 0) for i in range(5))
    assert [schedule.reached(i, 1) for i in range(5)] == [True, True, True, False, False]
    assert schedule.reached(4, 5) and not schedule.reached(4, 4)
    assert not schedule.reached(3, 100)  # cannot commit: no contribution
    assert not schedule.reached(7, 100)  # beyond everyone


def test_no_call_day_no_pull() -> None:
    contributions = Contributions.build(ORGS, CAN_COMMIT)
    schedule = CallSchedule.build(contributions, {}, ones(), BEHAVIOR)
    assert schedule.changes_on == {}
    assert np.all(schedule.first_day == NEVER)
    assert not schedule.pull(contributions.people, 10**6).any()


def test_a_zero_outreach_rate_never_reaches_anyone() -> None:
    contributions = Contributions.build(ORGS, CAN_COMMIT)
    never = {c: np.full(5, NEVER, dtype=np.int32) for c in CHANNELS}
    schedule = CallSchedule.build(contributions, {"a": 0, "b": 0}, never, BEHAVIOR)
    assert schedule.changes_on == {} and np.all(schedule.first_day == NEVER)


def changed_people(schedule: CallSchedule, people: np.ndarray, day: int) -> set[int]:
    before, after = schedule.pull(people, day - 1), schedule.pull(people, day)
    return set(people[after != before].tolist())


@pytest.mark.parametrize("max_pull", [0.1, 1.0])
def test_a_campaigns_schedule_against_the_per_person_reference(max_pull: float) -> None:
    """The default campaign (three call days, every channel): for every day, the vectorized pull
    is the per-person sum to the bit, never above max_pull, and changes_on lists everyone whose
    pull changes (exactly them when no one is at the cap), and only people whose call starts."""
    config = compose_config(["population=classroom", f"behavior.max_pull={max_pull}", "seed=4"])
    model = StrikeModel(config)
    schedule = model.calls
    c = schedule.contributions
    people = c.people
    assert len(people) > 100 and set(np.unique(c.channel).tolist()) == set(range(len(CHANNELS)))
    lead = model.config.scenario.call_lead_days  # 13 Feb's, drawn from the posterior
    assert sorted(set(model.timeline.call_days().values())) == [0, 9, model.strike_day - lead]
    capped = 0
    for day in range(model.strike_day + 1):
        pull = schedule.pull(people, day)
        assert pull.tolist() == [schedule.person_pull(int(i), day) for i in people], day
        assert np.all(pull <= max_pull)
        capped += int(np.count_nonzero(pull == max_pull))
        reached = [schedule.reached(int(i), day) for i in people]
        assert reached == (pull > 0).tolist(), day  # every call here has some pull
        listed = schedule.changes_on.get(day, np.zeros(0, np.int64))
        assert np.all(np.diff(listed) > 0)  # sorted, no repeats
        starting = set(c.person[schedule.first_day == day].tolist())
        assert set(listed.tolist()) == starting
        if day > 0:
            changed = changed_people(schedule, people, day)
            assert changed <= starting, day
            if max_pull == 1.0:
                assert changed == starting, day
    assert (capped > 0) == (max_pull == 0.1)
    everyone = np.arange(model.population.size)
    outside = np.setdiff1d(everyone, people)
    assert all(schedule.person_pull(int(i), model.strike_day) == 0.0 for i in outside[:200])
    model.release()
