"""Numbers the documentation states are numbers the code gives.

The README's example output (the default run, seed 0) is read from the document itself and
recomputed, so a change that moves it fails here until the document follows. (The calibration
record's numbers quoted in docs/calibration.md are checked against its report by
tests/test_calibration.py.)
"""

from __future__ import annotations

import re
from pathlib import Path

from strikesim.compose import compose_config
from strikesim.run import simulate

ROOT = Path(__file__).resolve().parents[1]


def readme_number(label: str) -> int:
    """The number the README's example output shows after ``label``."""
    match = re.search(rf"{re.escape(label)}\s+([\d,]+) people", (ROOT / "README.md").read_text())
    assert match, f"the README no longer shows {label!r}"
    return int(match.group(1).replace(",", ""))


def test_the_readme_example_is_what_the_default_run_gives() -> None:
    summary = simulate(compose_config([])).summary
    assert summary["marchers"] == readme_number("Marchers on the day:")
    assert summary["striking_workers"] == readme_number("Strikers from work:")
    walkouts = summary["k12_walkouts"] + summary["university_walkouts"]
    assert walkouts == readme_number("School walkouts:")
    assert summary["boycotting"] == readme_number("Not shopping (boycott):")
    readme = (ROOT / "README.md").read_text()
    for event in summary["events"][:-1]:  # the earlier action days the report lists
        line = rf"{event['date']}\s+{event['kind']}\s+marchers\s+([\d,]+)"
        match = re.search(line, readme)
        assert match, f"the README no longer shows the {event['date']} {event['kind']}"
        assert int(match.group(1).replace(",", "")) == event["marchers"], event["event"]
