"""Pinned outcomes: twelve small runs must reproduce tests/baselines/small_scenarios.json exactly.

Why: a refactor of the engine that is meant to keep behaviour must keep every number. This
catches a changed count, a changed trajectory (the whole timeseries is hashed) or a changed
summary within ~10 s. A failure lists, per scenario, each outcome that moved (old -> new).
If the change of numbers is intended, regenerate the file as tests/update_baselines.py says and
say so in the commit message; otherwise the change is a regression.
"""

from __future__ import annotations

import pytest

from tests.update_baselines import BASELINE, SCENARIOS, diff, load, record

PINNED = load()


def test_the_baseline_pins_exactly_the_scenarios_of_the_update_script() -> None:
    assert sorted(PINNED) == sorted(SCENARIOS), (
        "tests/baselines/small_scenarios.json and SCENARIOS in tests/update_baselines.py "
        "disagree: regenerate the baseline with `python -m tests.update_baselines`"
    )


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_small_scenario_reproduces_its_pinned_outcomes(name: str) -> None:
    expected = PINNED[name]
    differences = diff(expected, record(expected["overrides"]))
    assert not differences, (
        f"scenario {name!r} ({' '.join(expected['overrides'])}) no longer matches "
        f"{BASELINE.name}:\n  "
        + "\n  ".join(differences)
        + "\nIf this change of numbers is intended, run `python -m tests.update_baselines` and "
        "say so in the commit message (see the docstring of tests/update_baselines.py)."
    )


def test_the_diff_names_each_changed_key() -> None:
    """The failure message is the point of this file: check it reads well on a made-up change."""
    expected = PINNED["classroom"]
    changed = {
        **expected,
        "outcomes": {**expected["outcomes"], "marchers": expected["outcomes"]["marchers"] + 2},
        "committed_by_day": [*expected["committed_by_day"][:-1], -1],
        "timeseries_sha256": "0" * 64,
    }
    del changed["outcomes"]["boycotting"]
    lines = diff(expected, changed)
    old = expected["outcomes"]["marchers"]
    assert f"marchers: {old} -> {old + 2} (+2, " in lines[1]
    assert lines[0].startswith("boycotting: no longer in the summary")
    last_day = len(expected["committed_by_day"]) - 1
    assert any(f"first differs on day {last_day}" in line for line in lines)
    assert lines[-1].startswith("timeseries_sha256: the timeseries table changed")
    assert diff(expected, expected) == []
