"""Numbers the documentation states are numbers the code gives.

The README's example output (the default city, seed 0) and the calibration record's full-city
check (docs/calibration/ice_out_2026/shipped.yaml: seeds 0-7 and their median, quoted in
docs/calibration.md, docs/model.md and conf/behavior/default.yaml) are read from the documents
themselves and recomputed, so a change that moves them fails here until the documents follow.
"""

from __future__ import annotations

import re
import statistics
from pathlib import Path

import pytest
import yaml

from strikesim.compose import compose_config
from strikesim.run import simulate

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "docs" / "calibration" / "ice_out_2026" / "shipped.yaml"


def readme_number(label: str) -> int:
    """The number the README's example output shows after ``label``."""
    match = re.search(rf"{re.escape(label)}\s+([\d,]+) people", (ROOT / "README.md").read_text())
    assert match, f"the README no longer shows {label!r}"
    return int(match.group(1).replace(",", ""))


def test_the_readme_example_is_what_the_default_run_gives() -> None:
    summary = simulate(compose_config([])).summary
    assert summary["marchers"] == readme_number("Marchers on the strike day:")
    assert summary["striking_workers"] == readme_number("Strikers from work:")
    walkouts = summary["k12_walkouts"] + summary["university_walkouts"]
    assert walkouts == readme_number("School walkouts:")
    assert summary["boycotting"] == readme_number("Not shopping (boycott):")


@pytest.mark.slow  # eight whole-city runs
def test_the_recorded_full_city_check_is_what_the_shipped_behaviour_gives() -> None:
    record = yaml.safe_load(SHIPPED.read_text())["confirmed_full_city"]["ice_out_2026"]
    marchers = [simulate(compose_config([f"seed={s}"])).summary["marchers"] for s in range(8)]
    assert marchers == record["marchers"]
    assert statistics.median(marchers) == record["median"]
    quoted = f"{round(record['median']):,}"
    for doc in ("docs/calibration.md", "docs/model.md", "conf/behavior/default.yaml"):
        assert quoted in (ROOT / doc).read_text(), f"{doc} no longer quotes the median {quoted}"
