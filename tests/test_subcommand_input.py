"""Bad input to every subcommand: one line on stderr naming the option, exit 2, nothing written.

Each case calls the subcommand's ``main(argv)`` in-process, in a workspace holding a small
hand-made sweep, valid spec files and earlier results; afterwards every file and folder of the
workspace must be exactly as before (nothing new, nothing changed, nothing removed).
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from strikesim import results
from strikesim.cli import SUBCOMMANDS
from strikesim.config import ConfigError
from strikesim.studies.spec_files import Bounds, check_range

MARCHERS = {("narrow", 0): 10, ("narrow", 1): 20, ("broad", 0): 40, ("broad", 1): 35}
SENSITIVITY_SPEC = """\
method: morris
samples: 2
overrides: [population=classroom]
parameters:
  weather.temperature_f: [-20, 50]
  network.friendship_degree: [2, 10]
"""
CALIBRATION_BASE = "[population=classroom, \"behavior.posterior=''\"]"  # from the prior
CALIBRATION_SPEC = f"""\
name: tiny
description: one parameter on a town of 1,000
base: {CALIBRATION_BASE}
runs:
  - [scenario=march_2026_01_10]
parameters: [behavior.march_base]
targets:
  - event: march_2026_01_10
    observable: marchers
    observed: 10000
    range: [10000, null]
replications: 1
population_size: 10
max_generations: 1
"""
EARLIER = b"an earlier result\n"


def make_sweep(folder: Path, marchers: dict[tuple[str, int], int]) -> Path:
    """A finished sweep as ``strikesim -m coalition=narrow,broad seed=0,1`` leaves it."""
    jobs = [
        {"job": n, "overrides": [f"coalition={c}", f"seed={s}", "population=small"]}
        for n, (c, s) in enumerate(marchers)
    ]
    factors = {"coalition": ["narrow", "broad"], "seed": ["0", "1"]}
    plan = {"command": "test", "factors": factors, "fixed": ["population=small"], "jobs": jobs}
    results.write_json(folder / "sweep.json", plan)
    index = pd.DataFrame({"job": range(len(jobs)), "status": "done"})
    results.atomic_write(folder / "index.csv", lambda tmp: index.to_csv(tmp, index=False))
    for n, ((_, seed), count) in enumerate(marchers.items()):
        days = pd.DataFrame(
            {
                "day": [0, 1],
                "phase": "campaign",
                "agent_type": "worker",
                "form": "projected_marching",
                "people": [0.0, float(count)],
            }
        )
        results.write_text(folder / str(n) / "config.yaml", "{}\n")
        results.write_parquet(folder / str(n) / "timeseries.parquet", days)
        summary = {"seed": seed, "marchers": count, "observed": {"marchers": 30}}
        results.write_json(folder / str(n) / "summary.json", summary)
    return folder


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The working directory: a sweep with an earlier comparison, specs, earlier results."""
    monkeypatch.chdir(tmp_path)
    sweep = make_sweep(tmp_path / "sweep", MARCHERS)
    (sweep / "comparison").mkdir()
    (sweep / "comparison" / "comparison.csv").write_bytes(EARLIER)
    (tmp_path / "spec.yaml").write_text(SENSITIVITY_SPEC)
    (tmp_path / "calib.yaml").write_text(CALIBRATION_SPEC)
    (tmp_path / "file").write_bytes(EARLIER)
    (tmp_path / "folder.gif").mkdir()
    for kind in ("sensitivity", "calibration", "runs"):
        (tmp_path / "results" / kind).mkdir(parents=True)
        (tmp_path / "results" / kind / "earlier.txt").write_bytes(EARLIER)
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "sweep.json").write_text('{"jobs": [')  # an --out with a broken plan
    return tmp_path


def snapshot(root: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every path under ``root``: its mode and, for files, its bytes."""
    return {
        str(p.relative_to(root)): (p.stat().st_mode, p.read_bytes() if p.is_file() else None)
        for p in sorted(root.rglob("*"))
    }


def run(command: str, argv: list[str]) -> int:
    """The subcommand's main as ``strikesim COMMAND ARGV`` dispatches it; its exit code."""
    module, function = SUBCOMMANDS[command]
    main: Callable[[list[str]], int] = getattr(importlib.import_module(module), function)
    return main(argv)  # returns its exit code, even for argparse's refusals and --help


def assert_refused(
    workspace: Path, capsys: pytest.CaptureFixture[str], command: str, argv: list[str], name: str
) -> str:
    """Exit 2, one line naming ``name``, no traceback, no output, the workspace unchanged."""
    before = snapshot(workspace)
    argv = [a.format(ws=workspace) for a in argv]
    code = run(command, argv)
    out, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, (code, err)
    assert len(lines) == 1 and err.endswith("\n"), err
    assert lines[0].startswith("strikesim: config error: "), err
    assert name in lines[0], (name, err)
    assert "Traceback" not in err + out and out == "", out
    assert snapshot(workspace) == before
    return lines[0]


# --- command-line options -------------------------------------------------------------------------
WRONG_INT = ["abc", "1.5", "1e3", "nan", "inf", ""]
WRONG_FLOAT = ["abc", "nan", "inf", "-inf", "1e400", ""]


def options(command: str, option: str, values: list[str], *before: str) -> list:
    """One case per bad value of ``option`` (after the positional arguments ``before``)."""
    return [
        pytest.param(command, [*before, option, v], option, id=f"{command} {option}={v!r}")
        for v in values
    ]


def case(command: str, argv: list[str], name: str) -> pytest.param:
    return pytest.param(command, argv, name, id=f"{command} {' '.join(argv)}")


SWEEP = "{ws}/sweep"
SPEC = "{ws}/spec.yaml"
CALIB = "{ws}/calib.yaml"
GIF = ["--out", "{ws}/new.gif"]
OPTION_CASES = [
    # compare
    *options("compare", "--curves", [*WRONG_INT, "-1"], SWEEP),
    *options("compare", "--target", [*WRONG_FLOAT, "-1", "-0.5"], SWEEP),
    *options("compare", "--reference", ["coalition", "=broad"], SWEEP),
    *options("compare", "--out", ["{ws}/file", "{ws}/file/below"], SWEEP),
    case("compare", [], "sweeps"),
    case("compare", [SWEEP, "--bogus", "3"], "--bogus"),
    case("compare", [SWEEP, "--curves"], "--curves"),
    case("compare", [SWEEP, "--by"], "--by"),
    # sensitivity
    *options("sensitivity", "--jobs", [*WRONG_INT, "0", "-2", "1000000"], SPEC),
    *options("sensitivity", "--resamples", [*WRONG_INT, "0", "-1", "1000000000"], SPEC),
    *options("sensitivity", "--samples", [*WRONG_INT, "0", "1", "-4", "1000000000"], SPEC),
    *options("sensitivity", "--method", ["sobel", ""], SPEC),
    *options("sensitivity", "--out", ["{ws}/file", "{ws}/file/below"], SPEC),
    case("sensitivity", [SPEC, "--bogus"], "--bogus"),
    case("sensitivity", [SPEC, "--jobs"], "--jobs"),
    # calibrate
    *options("calibrate", "--population-size", [*WRONG_INT, "0", "9", "1000000000"], CALIB),
    *options("calibrate", "--max-generations", [*WRONG_INT, "0", "-1", "1000000"], CALIB),
    *options("calibrate", "--replications", [*WRONG_INT, "0", "-1", "1000000"], CALIB),
    *options("calibrate", "--seed", [*WRONG_INT, "-1", "99999999999"], CALIB),
    *options("calibrate", "--workers", [*WRONG_INT, "0", "-1", "100000"], CALIB),
    *options("calibrate", "--out", ["{ws}/file", "{ws}/file/below"], CALIB),
    case("calibrate", [CALIB, "--bogus", "x"], "--bogus"),
    case("calibrate", [CALIB, "--population-size"], "--population-size"),
    case("calibrate", [CALIB, "--trials", "4"], "--trials"),  # the former sampler's option
    # animate
    *options("animate", "--fps", [*WRONG_FLOAT, "1e-300", "0", "-2", "0.01", "61", "1e300"], *GIF),
    *options("animate", "--out", ["a.png", "{ws}/folder.gif", "{ws}/file/a.gif", "a"]),
    case("animate", [], "--out"),
    case("animate", [*GIF, "--bogus"], "--bogus"),
    case("animate", ["--fps", "2"], "--out"),
    # attribute
    *options("attribute", "--seeds", [*WRONG_INT, "0", "-1", "1000000000"]),
    *options("attribute", "--permutations", [*WRONG_INT, "0", "-3", "1000000000"]),
    *options("attribute", "--workers", [*WRONG_INT, "0", "-1", "100000"]),
    *options("attribute", "--out", ["{ws}/file", "{ws}/file/below"]),
    case("attribute", ["--bogus"], "--bogus"),
    case("attribute", ["--seeds"], "--seeds"),
    # demo (a refused port never binds, so the server never starts)
    *options("demo", "--port", [*WRONG_INT, "-1", "65536", "1000000"]),
    case("demo", ["--bogus"], "--bogus"),
    case("demo", ["--host", "256.0.0.1", "--port", "0"], "--host=256.0.0.1"),
]


@pytest.mark.parametrize(("command", "argv", "name"), OPTION_CASES)
def test_bad_option_is_one_line_before_any_work(
    workspace: Path, capsys: pytest.CaptureFixture[str], command: str, argv: list[str], name: str
) -> None:
    line = assert_refused(workspace, capsys, command, argv, name)
    if not name.startswith("--host"):  # argparse's refusals point to the help
        assert line.endswith(f"; see 'strikesim {command} --help'"), line


@pytest.mark.parametrize("command", list(SUBCOMMANDS))
def test_help_still_works(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(command, ["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: strikesim {command}") and len(out.splitlines()) > 3


# --- config overrides, refused before anything is written -----------------------------------------
OVERRIDE_CASES = [
    case("sensitivity", [SPEC, "weather.temperature_f=999"], "weather.temperature_f"),
    case("sensitivity", ["weather.nosuch=1"], "weather.nosuch"),
    case("calibrate", [CALIB, "weather.temperature_f=999"], "weather.temperature_f"),
    case("calibrate", [CALIB, "population=nosuch"], "population"),
    case("animate", [*GIF, "weather.temperature_f=500"], "weather.temperature_f"),
    case("animate", [*GIF, "population=small"], "population"),
    case("attribute", ["weather.temperature_f=999"], "weather.temperature_f"),
    case("attribute", ["coalition=none"], "coalition.endorsers"),
    case("attribute", ["seed=-1"], "seed"),
]


@pytest.mark.parametrize(("command", "argv", "name"), OVERRIDE_CASES)
def test_bad_override_is_one_line_before_any_work(
    workspace: Path, capsys: pytest.CaptureFixture[str], command: str, argv: list[str], name: str
) -> None:
    assert_refused(workspace, capsys, command, argv, name)


# --- spec files -----------------------------------------------------------------------------------
def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


SENSITIVITY_SPECS = {
    "malformed YAML": ("parameters: [1, 2\n", "malformed YAML"),
    "a list": ("- method\n- samples\n", "YAML mapping"),
    "a number": ("42\n", "bad.yaml"),
    "not UTF-8": (b"method: \xff\xfe\n", "bad.yaml"),
    "unknown key": (SENSITIVITY_SPEC + "paramters: {}\n", "'paramters'"),
    "missing parameters": ("method: morris\n", "'parameters'"),
    "unknown output": (SENSITIVITY_SPEC + "output: marcherz\n", "output='marcherz'"),
    "output not a number": (SENSITIVITY_SPEC + "output: scenario\n", "output='scenario'"),
    "samples a word": (edit(SENSITIVITY_SPEC, "samples: 2", "samples: many"), "samples"),
    "samples 1": (edit(SENSITIVITY_SPEC, "samples: 2", "samples: 1"), "samples=1"),
    "samples 2.5": (edit(SENSITIVITY_SPEC, "samples: 2", "samples: 2.5"), "samples=2.5"),
    "samples true": (edit(SENSITIVITY_SPEC, "samples: 2", "samples: true"), "samples=True"),
    "method": (edit(SENSITIVITY_SPEC, "morris", "sobel"), "method='sobel'"),
    "seed negative": (SENSITIVITY_SPEC + "seed: -1\n", "seed=-1"),
    "seed a word": (SENSITIVITY_SPEC + "seed: x\n", "seed='x'"),
    "seed too large": (SENSITIVITY_SPEC + "seed: 99999999999\n", "seed=99999999999"),
    "name a path": (SENSITIVITY_SPEC + "name: ../../elsewhere\n", "name="),
    "overrides a string": (
        edit(SENSITIVITY_SPEC, "[population=classroom]", "population=classroom"),
        "overrides=",
    ),
    "override out of range": (
        edit(SENSITIVITY_SPEC, "[population=classroom]", "[weather.wind_mph=-5]"),
        "weather.wind_mph",
    ),
    "parameters a list": (
        "method: morris\nparameters: [weather.temperature_f, seed]\n",
        "parameters=",
    ),
    "range of words": (edit(SENSITIVITY_SPEC, "[-20, 50]", "[cold, warm]"), "temperature_f"),
    "range with nan": (edit(SENSITIVITY_SPEC, "[-20, 50]", "[.nan, 50]"), "temperature_f"),
    "range with inf": (edit(SENSITIVITY_SPEC, "[-20, 50]", "[-20, .inf]"), "temperature_f"),
    "range of one": (edit(SENSITIVITY_SPEC, "[-20, 50]", "[-20]"), "temperature_f"),
    "range a number": (edit(SENSITIVITY_SPEC, "[-20, 50]", "50"), "temperature_f"),
    "range reversed": (edit(SENSITIVITY_SPEC, "[-20, 50]", "[50, -20]"), "low < high"),
    "range out of bounds": (edit(SENSITIVITY_SPEC, "[-20, 50]", "[-200, 50]"), "temperature_f"),
    "not a numeric key": (
        edit(SENSITIVITY_SPEC, "weather.temperature_f", "weather.name"),
        "'weather.name'",
    ),
    "unknown parameter": (
        edit(SENSITIVITY_SPEC, "weather.temperature_f", "weather.t"),
        "'weather.t'",
    ),
    "one parameter": (
        edit(SENSITIVITY_SPEC, "  network.friendship_degree: [2, 10]\n", ""),
        "fewer than 2",
    ),
}
ONE_TARGET = """\
  - event: march_2026_01_10
    observable: marchers
    observed: 10000
    range: [10000, null]
"""
CALIBRATION_SPECS = {
    "malformed YAML": ("targets: [{event: x\n", "malformed YAML"),
    "a list": ("- name\n", "YAML mapping"),
    "duplicate key": (CALIBRATION_SPEC + "population_size: 8\n", "bad.yaml"),
    "unknown key": (CALIBRATION_SPEC + "colour: red\n", "'colour'"),
    "former key trials": (CALIBRATION_SPEC + "trials: 4\n", "'trials'"),
    "missing targets": (edit(CALIBRATION_SPEC, "targets:\n", "other:\n"), "other"),
    "missing key": ("name: x\n", "missing key"),
    "population_size a word": (
        edit(CALIBRATION_SPEC, "population_size: 10", "population_size: many"),
        "population_size='many'",
    ),
    "population_size 0": (
        edit(CALIBRATION_SPEC, "population_size: 10", "population_size: 0"),
        "population_size=0",
    ),
    "population_size 2.5": (
        edit(CALIBRATION_SPEC, "population_size: 10", "population_size: 2.5"),
        "population_size=2.5",
    ),
    "population_size huge": (
        edit(CALIBRATION_SPEC, "population_size: 10", "population_size: 1000000000"),
        "population_size=",
    ),
    "max_generations 0": (
        edit(CALIBRATION_SPEC, "max_generations: 1", "max_generations: 0"),
        "max_generations=0",
    ),
    "replications true": (edit(CALIBRATION_SPEC, "replications: 1", "replications: true"), "repl"),
    "replications -1": (edit(CALIBRATION_SPEC, "replications: 1", "replications: -1"), "repl"),
    "bound_log_sd nan": (CALIBRATION_SPEC + "bound_log_sd: .nan\n", "bound_log_sd=nan"),
    "bound_log_sd 0": (CALIBRATION_SPEC + "bound_log_sd: 0\n", "bound_log_sd=0"),
    "bound_log_sd a word": (CALIBRATION_SPEC + "bound_log_sd: wide\n", "bound_log_sd='wide'"),
    "batch_size 0": (CALIBRATION_SPEC + "batch_size: 0\n", "batch_size=0"),
    "seed": (CALIBRATION_SPEC + "seed: -1\n", "seed=-1"),
    "name a path": (edit(CALIBRATION_SPEC, "name: tiny", "name: ../up"), "name='../up'"),
    "name a number": (edit(CALIBRATION_SPEC, "name: tiny", "name: 7"), "name=7"),
    "description a list": (
        edit(CALIBRATION_SPEC, "description: one", "description: [a]\n#"),
        "desc",
    ),
    "base a string": (
        edit(CALIBRATION_SPEC, CALIBRATION_BASE, "population=small"),
        "base",
    ),
    "base draws the shipped posterior": (
        edit(CALIBRATION_SPEC, CALIBRATION_BASE, "[population=classroom]"),
        "allowed: behavior.posterior='' in base",
    ),
    "base override out of range": (
        edit(CALIBRATION_SPEC, "[population=classroom,", "[population=classroom, seed=-1,"),
        "seed",
    ),
    "runs a string": (
        edit(CALIBRATION_SPEC, "\n  - [scenario=march_2026_01_10]", " scenario=x"),
        "runs=",
    ),
    "runs empty": (edit(CALIBRATION_SPEC, "\n  - [scenario=march_2026_01_10]", " []"), "runs"),
    "unknown scenario": (edit(CALIBRATION_SPEC, "=march_2026_01_10]", "=nosuch]"), "scenario"),
    "a run's dates refused": (
        edit(CALIBRATION_SPEC, "march_2026_01_10]", "march_2026_01_10, scenario.date=2026-01-01]"),
        "scenario.date",
    ),
    "targets a mapping": (
        edit(CALIBRATION_SPEC, "targets:\n" + ONE_TARGET, "targets: {event: x}\n"),
        "targets",
    ),
    "target a string": (
        edit(CALIBRATION_SPEC, ONE_TARGET, "  - march_2026_01_10\n"),
        "targets[0]",
    ),
    "target unknown key": (
        edit(CALIBRATION_SPEC, "    observable:", "    evnt: x\n    observable:"),
        "'evnt'",
    ),
    "unknown observable": (
        edit(CALIBRATION_SPEC, "observable: marchers", "observable: marcherz"),
        "observable='marcherz'",
    ),
    "unknown event": (
        edit(CALIBRATION_SPEC, "event: march_2026_01_10", "event: ice_out_2026"),
        "targets[0].event='ice_out_2026'",
    ),
    "range of words": (edit(CALIBRATION_SPEC, "[10000, null]", "[low, high]"), "range"),
    "range reversed": (edit(CALIBRATION_SPEC, "[10000, null]", "[50000, 10000]"), "range"),
    "range open at both ends": (edit(CALIBRATION_SPEC, "[10000, null]", "[null, null]"), "range"),
    "range of three": (edit(CALIBRATION_SPEC, "[10000, null]", "[1, 2, 3]"), "range"),
    "observed outside its range": (
        edit(CALIBRATION_SPEC, "observed: 10000", "observed: 5000"),
        "targets[0].observed=5000",
    ),
    "observed 0": (edit(CALIBRATION_SPEC, "observed: 10000", "observed: 0"), "observed=0"),
    "observed nan": (edit(CALIBRATION_SPEC, "observed: 10000", "observed: .nan"), "observed=nan"),
    "log_sd too large": (
        edit(CALIBRATION_SPEC, "range: [10000, null]", "range: [10000, null]\n    log_sd: 11"),
        "log_sd=11",
    ),
    "unknown role": (
        edit(CALIBRATION_SPEC, "range: [10000, null]", "range: [10000, null]\n    role: maybe"),
        "role='maybe'",
    ),
    "no fitted target": (
        edit(CALIBRATION_SPEC, "range: [10000, null]", "range: [10000, null]\n    role: held_out"),
        "no fitted target",
    ),
    "a target twice": (edit(CALIBRATION_SPEC, ONE_TARGET, ONE_TARGET * 2), "repeats"),
    "parameters empty": (edit(CALIBRATION_SPEC, "[behavior.march_base]", "[]"), "parameters"),
    "parameters a mapping": (
        edit(CALIBRATION_SPEC, "[behavior.march_base]", "{behavior.march_base: [0.5, 1.0]}"),
        "parameters=",
    ),
    "unknown parameter": (edit(CALIBRATION_SPEC, "march_base", "marchbase"), "marchbase"),
    "parameter without a prior": (
        edit(CALIBRATION_SPEC, "[behavior.march_base]", "[population.scale]"),
        "parameters[0]='population.scale'",
    ),
}
SPEC_CASES = [
    *(
        pytest.param("sensitivity", t, n, id=f"sensitivity {k}")
        for k, (t, n) in SENSITIVITY_SPECS.items()
    ),
    *(
        pytest.param("calibrate", t, n, id=f"calibrate {k}")
        for k, (t, n) in CALIBRATION_SPECS.items()
    ),
]


@pytest.mark.parametrize(("command", "text", "name"), SPEC_CASES)
def test_bad_spec_file_is_one_line_naming_the_key(
    workspace: Path,
    capsys: pytest.CaptureFixture[str],
    command: str,
    text: str | bytes,
    name: str,
) -> None:
    spec = workspace / "bad.yaml"
    spec.write_bytes(text if isinstance(text, bytes) else text.encode())
    assert_refused(workspace, capsys, command, [str(spec)], name)


@pytest.mark.parametrize(
    ("command", "argv", "name"),
    [
        case("sensitivity", ["nosuch"], "'nosuch'"),
        case("sensitivity", ["{ws}/nosuch.yaml"], "nosuch.yaml"),
        case("sensitivity", ["{ws}/folder.gif/x.yaml"], "x.yaml"),
        case("sensitivity", [SPEC, "--out", "{ws}/old"], "sweep.json"),
        case("sensitivity", [SPEC, "--out", "{ws}/results/sensitivity"], "--out="),
        case("calibrate", ["nosuch"], "'nosuch'"),
        case("calibrate", ["{ws}/nosuch.yaml"], "nosuch.yaml"),
        case("calibrate", ["{ws}/folder.gif"], "folder.gif"),
    ],
)
def test_missing_or_occupied_spec_and_folder(
    workspace: Path, capsys: pytest.CaptureFixture[str], command: str, argv: list[str], name: str
) -> None:
    assert_refused(workspace, capsys, command, argv, name)


# --- compare on broken sweeps ---------------------------------------------------------------------
def write(path: Path, data: object) -> None:
    path.write_text(data if isinstance(data, str) else json.dumps(data))


def plan(sweep: Path) -> dict:
    return json.loads((sweep / "sweep.json").read_text())


def edited_json(name: str, change: Callable[[dict], object]) -> Callable[[Path], None]:
    """Apply ``change`` (in place) to the JSON file ``name`` of the sweep."""

    def apply(sweep: Path) -> None:
        data = json.loads((sweep / name).read_text())
        change(data)
        write(sweep / name, data)

    return apply


def with_plan(change: Callable[[dict], object]) -> Callable[[Path], None]:
    return edited_json("sweep.json", change)


def with_summary(change: Callable[[dict], object]) -> Callable[[Path], None]:
    return edited_json("1/summary.json", change)


def second_sweep(fixed: list[str]) -> Callable[[Path], None]:
    """A second sweep beside the first, varying only seed: its coalition comes from ``fixed``."""

    def apply(sweep: Path) -> None:
        other = make_sweep(sweep.parent / "other", {("x", 0): 5})
        jobs = [{"job": 0, "overrides": ["seed=0"]}]
        write(other / "sweep.json", {"factors": {"seed": ["0"]}, "fixed": fixed, "jobs": jobs})

    return apply


BROKEN_SWEEPS = {
    "plan truncated": (lambda s: write(s / "sweep.json", '{"factors": {'), "sweep.json"),
    "plan empty": (lambda s: write(s / "sweep.json", ""), "sweep.json"),
    "plan a list": (lambda s: write(s / "sweep.json", []), "sweep.json"),
    "plan binary": (lambda s: (s / "sweep.json").write_bytes(b"\xff\xfe\x00"), "sweep.json"),
    "plan a folder": (
        lambda s: ((s / "sweep.json").unlink(), (s / "sweep.json").mkdir()),
        "sweep.json",
    ),
    "factors a list": (with_plan(lambda p: p.update(factors=["coalition"])), "factors"),
    "fixed a string": (with_plan(lambda p: p.update(fixed="population=small")), "fixed"),
    "jobs missing": (with_plan(lambda p: p.pop("jobs")), "jobs"),
    "job number a word": (with_plan(lambda p: p["jobs"][0].update(job="zero")), "sweep.json"),
    "job number negative": (with_plan(lambda p: p["jobs"][0].update(job=-1)), "sweep.json"),
    "overrides a string": (
        with_plan(lambda p: p["jobs"][1].update(overrides="coalition=narrow")),
        "overrides",
    ),
    "override without =": (
        with_plan(lambda p: p["jobs"][1].update(overrides=["coalition"])),
        "overrides",
    ),
    "summary truncated": (lambda s: write(s / "1" / "summary.json", '{"seed": 1,'), "1/summary"),
    "summary a list": (lambda s: write(s / "1" / "summary.json", [1, 2]), "1/summary.json"),
    "marchers a word": (with_summary(lambda d: d.update(marchers="many")), "marchers='many'"),
    "marchers null": (with_summary(lambda d: d.update(marchers=None)), "marchers=None"),
    "marchers true": (with_summary(lambda d: d.update(marchers=True)), "marchers=True"),
    "seed a float": (with_summary(lambda d: d.update(seed=1.5)), "seed=1.5"),
    "observed missing": (with_summary(lambda d: d.pop("observed")), "observed.marchers"),
    "observed a number": (with_summary(lambda d: d.update(observed=3)), "observed.marchers"),
    "time series garbage": (
        lambda s: (s / "2" / "timeseries.parquet").write_bytes(b"not parquet"),
        "time series",
    ),
    "time series without people": (
        lambda s: results.write_parquet(
            s / "2" / "timeseries.parquet", pd.DataFrame({"day": [0], "phase": ["campaign"]})
        ),
        "time series",
    ),
    "default output is a file": (
        lambda s: (
            (s / "comparison" / "comparison.csv").unlink(),
            (s / "comparison").rmdir(),
            (s / "comparison").write_bytes(EARLIER),
        ),
        "--out",
    ),
    "fixed override unknown": (second_sweep(["population=nosuch"]), "population"),
}


@pytest.mark.parametrize(
    ("breakage", "name"),
    [pytest.param(b, n, id=k) for k, (b, n) in BROKEN_SWEEPS.items()],
)
def test_compare_refuses_a_broken_sweep_in_one_line(
    workspace: Path,
    capsys: pytest.CaptureFixture[str],
    breakage: Callable[[Path], None],
    name: str,
) -> None:
    breakage(workspace / "sweep")
    argv = [SWEEP, *(["{ws}/other"] if (workspace / "other").exists() else [])]
    assert_refused(workspace, capsys, "compare", argv, name)


def test_compare_reads_the_unbroken_sweep_and_replaces_only_its_comparison(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The cases above fail for their breakage, not because the hand-made sweep is wrong."""
    assert run("compare", [str(workspace / "sweep")]) == 0
    assert "4 finished jobs" in capsys.readouterr().out
    assert (workspace / "sweep" / "comparison" / "comparison.csv").read_bytes() != EARLIER


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_output_is_refused_before_any_work(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sweep = workspace / "sweep"
    (workspace / "locked").mkdir()
    for folder in (workspace / "locked", sweep / "comparison", sweep):
        folder.chmod(0o555)
    try:
        assert_refused(workspace, capsys, "compare", [SWEEP], "--out")
        assert_refused(workspace, capsys, "compare", [SWEEP, "--out", "{ws}/locked/c"], "--out")
        assert_refused(workspace, capsys, "animate", ["--out", "{ws}/locked/a.gif"], "--out")
        assert_refused(workspace, capsys, "attribute", ["--out", "{ws}/locked"], "--out")
    finally:
        for folder in (sweep, sweep / "comparison", workspace / "locked"):
            folder.chmod(0o755)


def test_unwritable_output_is_refused_before_any_work(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As root (CI containers) permissions do not bite: pretend ``locked`` is read-only."""
    locked = workspace / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda path, mode: Path(path) != locked and real_access(path, mode)
    )
    for command, argv in [
        ("compare", [SWEEP, "--out", "{ws}/locked/comparison"]),
        ("sensitivity", [SPEC, "--out", "{ws}/locked"]),
        ("calibrate", [CALIB, "--out", "{ws}/locked/study"]),
        ("animate", ["--out", "{ws}/locked/a.gif"]),
        ("attribute", ["--out", "{ws}/locked/a"]),
    ]:
        line = assert_refused(workspace, capsys, command, argv, "--out")
        assert "locked is not writable" in line


# --- the valid specs of this file are valid, and the checks themselves ----------------------------
def test_the_valid_specs_load(workspace: Path) -> None:
    from strikesim.studies import calibration_spec, sensitivity

    spec = sensitivity.load_spec(str(workspace / "spec.yaml"), None, None, [])
    assert sensitivity.check_problem(spec)["names"] == [
        "weather.temperature_f",
        "network.friendship_degree",
    ]
    calibration = calibration_spec.load_spec(str(workspace / "calib.yaml"))
    assert (calibration.population_size, list(calibration.parameters)) == (
        10,
        ["behavior.march_base"],
    )
    assert [t.event for t in calibration.targets] == ["march_2026_01_10"]


def test_sensitivity_outputs_are_numbers_of_a_run_summary(make_config) -> None:
    from strikesim.run import simulate
    from strikesim.studies.sensitivity import OUTPUTS

    summary = simulate(
        make_config(
            "population=classroom", "scenario.start_date=2026-02-11", "scenario.history=false"
        )
    ).summary
    for key in OUTPUTS:
        assert isinstance(summary[key], int | float) and not isinstance(summary[key], bool), key


def test_range_checks_take_yaml_values_strictly() -> None:
    assert Bounds(1, 3, integer=True).check(2, "k") == 2
    assert Bounds(above=0).check(1, "k") == 1
    assert check_range([0, 1.5], "k") == (0.0, 1.5)
    for checker, value in [
        (Bounds(1, integer=True), True),
        (Bounds(1, integer=True), 2.0),
        (Bounds(1, 3, integer=True), 4),
        (Bounds(above=0), float("nan")),
        (Bounds(), float("inf")),
        (Bounds(), "1"),
    ]:
        with pytest.raises(ConfigError, match=r"^k=.*; allowed: "):
            checker.check(value, "k")
