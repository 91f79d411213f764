"""Calibration: a tiny study runs, resumes without redoing work, and reports identifiability."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from strikesim.cli.calibrate import main
from strikesim.config import ConfigError
from strikesim.studies.calibration_report import identifiability
from strikesim.studies.calibration_spec import load_spec, spec_names

ROOT = Path(__file__).resolve().parents[1]

TINY = """
name: tiny
description: one parameter on a town of 1,000
base: [population=classroom]
targets:
  ice_out_2026: [scenario=ice_out_2026]
parameters:
  behavior.march_base: [0.5, 1.0]
replications: 1
trials: 4
"""


def test_tiny_study_runs_and_resumes(tmp_path: Path) -> None:
    spec = tmp_path / "tiny.yaml"
    spec.write_text(TINY)
    out = tmp_path / "study"
    assert main([str(spec), "--out", str(out)]) == 0
    first = pd.read_csv(out / "trials.csv")
    assert len(first) == 4
    assert first["behavior.march_base"].between(0.5, 1.0).all()
    assert first["behavior.march_base"].nunique() == 4
    assert main([str(spec), "--out", str(out), "--trials", "6"]) == 0
    resumed = pd.read_csv(out / "trials.csv")
    assert len(resumed) == 6
    pd.testing.assert_frame_equal(resumed.iloc[:4], first)  # the first four were not re-run
    assert "Identifiability" in (out / "report.md").read_text()


def test_identifiability_tells_a_pinned_parameter_from_an_irrelevant_one() -> None:
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"a": rng.uniform(0, 1, 400), "b": rng.uniform(0, 1, 400)})
    table["t.median"] = np.exp(5 * table["a"])  # only a moves the outcome
    table["accepted"] = table["a"].between(0.45, 0.55)
    ident = identifiability(table, {"a": (0, 1), "b": (0, 1)}, "t.median").set_index("parameter")
    assert ident.loc["a", "shrinkage"] > 0.8
    assert ident.loc["a", "verdict"] == "pinned down"
    assert ident.loc["b", "shrinkage"] < 0.2
    assert ident.loc["b", "verdict"] == "not identified by this target"
    assert ident.loc["a", "rho_with_marchers"] == pytest.approx(1.0)


@pytest.mark.parametrize("name", spec_names())
def test_shipped_specs_load_and_compose(name: str) -> None:
    spec = load_spec(name)
    assert spec.targets and spec.parameters


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (TINY.replace("behavior.march_base", "behavior.marchbase"), "behavior.marchbase"),
        (TINY.replace("[0.5, 1.0]", "[1.0, 0.5]"), "allowed: low < high"),
        (TINY + "colour: red\n", "unknown key 'colour'"),
        (TINY.replace("scenario=ice_out_2026]", "scenario=minneapolis_1934]"), "0 < low < high"),
    ],
)
def test_bad_spec_gets_one_line(tmp_path: Path, capsys, text: str, message: str) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(text)
    assert main([str(spec), "--out", str(tmp_path / "never")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "never").exists()


def test_unknown_spec_name_lists_the_shipped_ones() -> None:
    with pytest.raises(ConfigError, match=r"allowed: .*ice_out_2026"):
        load_spec("no_such_spec")


def test_shipped_behaviour_defaults_are_the_recorded_calibration() -> None:
    """conf/behavior/default.yaml carries the values the recorded calibration chose."""
    record = ROOT / "docs" / "calibration" / "ice_out_2026" / "shipped.yaml"
    shipped = OmegaConf.to_container(OmegaConf.load(record))
    defaults = OmegaConf.to_container(OmegaConf.load(ROOT / "conf" / "behavior" / "default.yaml"))
    for key, value in shipped["behavior"].items():
        assert defaults[key] == pytest.approx(value), key


def test_bad_override_is_refused_before_any_run(tmp_path: Path, capsys) -> None:
    assert main(["weather.temperature_f=999", "--out", str(tmp_path / "never")]) == 2
    assert "weather.temperature_f=999.0 is out of range" in capsys.readouterr().err
    assert not (tmp_path / "never").exists()
