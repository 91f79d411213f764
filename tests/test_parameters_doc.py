"""The schema carries its sources: every real-world quantity has a source or a prior, the
priors agree with the YAML's [est]/[cal] marks and the calibration spec, and the parameter table
in docs/model.md is what docs/make_parameters.py generates today."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest
import yaml

from strikesim.compose import compose_config
from strikesim.config import (
    SHIPPED_RUN,
    SchemaKey,
    param,
    parameter_rows,
    schema_help,
    schema_keys,
)
from strikesim.studies.calibration_spec import schema_priors

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = compose_config(list(SHIPPED_RUN))
# the YAML files the default run (SHIPPED_RUN) composes, by the key prefix they fill: each
# group's preset, as the scenario picks it (ice_out_2026 picks the metro population)
SHIPPED_FILES = {
    "population": f"conf/population/{SHIPPED.population.name}.yaml",
    "network": "conf/network/multiplex.yaml",
    "behavior": "conf/behavior/default.yaml",
    "weather": f"conf/weather/{SHIPPED.weather.name}.yaml",
    "scenario": f"conf/scenario/{SHIPPED.scenario.name}.yaml",
}
CALIBRATION_SPEC = ROOT / "scenarios/calibration/campaign_2026.yaml"
# the only numbers that are no real-world quantity: listed here so that nothing slips out of
# needing a source by being called a setting
SETTINGS = {"seed", "population.scale", "behavior.posterior_draw"}  # which posterior row: a choice
KEYS = schema_keys()


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_parameters", ROOT / "docs/make_parameters.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def yaml_comments() -> dict[str, str]:
    """Dotted key -> the comment beside its value, in the files the default run composes."""
    line = re.compile(r"^(?P<indent>\s*)(?P<key>\w+):\s*(?P<value>[^#]*?)\s*(?:#\s*(?P<c>.*))?$")
    comments = {}
    for prefix, path in SHIPPED_FILES.items():
        section = prefix
        for text in (ROOT / path).read_text(encoding="utf-8").splitlines():
            m = line.match(text)
            if not m:
                continue
            if not m["indent"] and not m["value"]:  # a block such as "scenario:" or "defaults:"
                section = m["key"]
                continue
            if section == prefix and m["c"]:
                comments[f"{prefix}.{m['key']}"] = m["c"]
    return comments


def numeric(key: SchemaKey) -> bool:
    return key.kind in ("int", "float")


def test_the_parameter_table_in_docs_is_up_to_date() -> None:
    generator = load_generator()
    current = (ROOT / "docs/model.md").read_text(encoding="utf-8")
    assert generator.render(current) == current, "run: python docs/make_parameters.py"
    # the shipped value (the metro the default scenario picks), not the schema's (the city)
    assert f"| `population.size` | {SHIPPED.population.size:,} |" in current
    assert SHIPPED.population.size != 429_954


@pytest.mark.parametrize("key", [k for k in KEYS if numeric(k)], ids=lambda k: k.key)
def test_every_number_has_a_source_or_a_prior(key: SchemaKey) -> None:
    meta = key.meta
    if key.key in SETTINGS:
        assert meta["setting"] and not meta["source"] and meta["prior"] is None
    else:
        assert not meta["setting"], f"{key.key}: only {SETTINGS} are settings"
        assert meta["source"] or meta["prior"] is not None, f"{key.key}: no source, no prior"


def test_priors_are_ranges_inside_the_allowed_values_that_hold_the_shipped_value() -> None:
    shipped = SHIPPED
    for key in KEYS:
        prior = key.meta["prior"]
        if prior is None:
            continue
        low, high = prior
        assert low < high, key.key
        assert key.meta["low"] <= low and high <= key.meta["high"], key.key
        value = shipped
        for part in key.key.split("."):
            value = getattr(value, part)
        assert low <= value <= high, f"{key.key}={value} outside its prior {prior}"


def test_yaml_marks_agree_with_the_schema() -> None:
    """[est] beside a shipped number means a prior (a flag, true or false, cites its source), and
    a prior stated in a YAML comment is the schema's."""
    by_key = {k.key: k.meta for k in KEYS}
    numbers = {k.key for k in KEYS if numeric(k)}
    comments = yaml_comments()
    assert "population.size" in comments and "scenario.call_lead_days" in comments
    for key, comment in comments.items():
        meta = by_key[key]
        if "[est]" in comment and key in numbers:
            assert meta["prior"] is not None, f"{key} is [est] in YAML but has no prior"
        stated = re.search(r"prior ([\d.]+)-([\d.]+)", comment)
        if stated:  # a prior stated in YAML is the schema's
            assert meta["prior"] == (float(stated[1]), float(stated[2])), key


def test_the_calibrated_keys_are_the_shipped_posteriors_and_have_priors() -> None:
    """The parameter table marks as calibrated exactly the keys the default run draws from its
    posterior, each of which declares the prior it was drawn from."""
    shipped = compose_config([])
    table = pd.read_csv(
        Path(__file__).resolve().parents[1]
        / "scenarios"
        / "calibration"
        / f"{shipped.behavior.posterior}_posterior.csv",
        nrows=1,
    )
    rows = {r["key"]: r for r in parameter_rows(shipped)}
    calibrated = {k for k, r in rows.items() if r["calibrated"]}
    assert calibrated == set(table.columns) - {"draw", "weight"}
    assert len(calibrated) == 33
    for key in calibrated:
        assert "prior" in rows[key]["source or prior"], key
    # conf/behavior/default.yaml: "None is measured directly for this strike: they are [est]"
    for key in KEYS:  # (behavior.posterior and posterior_draw choose values: no quantity)
        if key.key.startswith("behavior.") and numeric(key) and key.key not in SETTINGS:
            assert key.meta["prior"] is not None, key.key


def test_calibrated_priors_are_the_calibration_specs() -> None:
    """The shipped calibration fits every key the shipped posterior sets, with the schema's
    prior: a spec names keys (or patterns), never a prior of its own."""
    patterns = yaml.safe_load(CALIBRATION_SPEC.read_text(encoding="utf-8"))["parameters"]
    assert isinstance(patterns, list) and all(isinstance(p, str) for p in patterns)
    fitted = schema_priors(patterns)
    by_key = {k.key: k.meta for k in KEYS}
    drawn = {r["key"] for r in parameter_rows(compose_config([])) if r["calibrated"]}
    assert drawn == set(fitted)
    for key, prior in fitted.items():
        assert by_key[key]["prior"] == (prior.low, prior.high), key


def test_help_shows_sources_and_priors_compactly() -> None:
    lines = {
        line.split(" = ")[0].strip(): line for line in schema_help(compose_config([])).splitlines()
    }
    assert lines["behavior.threshold_mean"].endswith("(prior 0.2 to 0.45)")
    assert "(source: US Census 2020, Minneapolis" in lines["population.size"]
    assert "prior 3 to 14" in lines["scenario.call_lead_days"]
    assert lines["seed"].endswith("(run setting)")
    assert "(" not in lines["weather.name"].split("  ")[-1]  # a label: no provenance
    assert all("\n" not in line for line in lines.values())


@pytest.mark.parametrize(
    "kwargs",
    [
        {"low": 0, "high": 1, "prior": (0.5, 2.0)},
        {"low": 0, "high": 1, "prior": (0.6, 0.4)},
        {"low": 0, "high": 1, "setting": True, "source": "a paper"},
    ],
)
def test_param_refuses_inconsistent_provenance(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        param(0.5, **kwargs)
