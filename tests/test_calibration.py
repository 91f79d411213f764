"""Calibration by ABC-SMC: priors from the schema, the record's likelihood, a reproducible and
resumable study on the 1,000-person town, refusals in one line, the posterior as data."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyabc
import pytest

from strikesim.compose import compose_config
from strikesim.config import ConfigError, schema_keys
from strikesim.run import simulate
from strikesim.studies import calibrate, calibration_report, calibration_spec, observables
from strikesim.studies.calibrate import RecordKernel, Term
from strikesim.studies.calibration_spec import load_spec, schema_priors, spec_names
from strikesim.studies.posterior import draw_overrides, posterior_draws, sample_draws

TINY = """
name: tiny
description: one parameter, 23 Jan on the 1,000-person town
base: [population=classroom, scenario=day_of_truth_2026_01_23, "behavior.posterior=''"]
parameters: [behavior.threshold_mean]
targets:
  - {event: day_of_truth_2026_01_23, observable: marchers, observed: 30000, range: [15000, 50000]}
  - {event: day_of_truth_2026_01_23, observable: striking_workers, observed: 20000,
     range: [20000, null], role: held_out}
population_size: 20
max_generations: 3
batch_size: 16
seed: 3
"""


HELD_OUT_ROW = "     range: [20000, null], role: held_out}\n"
TWICE = TINY.replace(
    HELD_OUT_ROW,
    HELD_OUT_ROW + "  - {event: day_of_truth_2026_01_23, observable: marchers, observed: 20000, "
    "range: [10000, 40000]}\n",
)
CHECK = TWICE.replace("range: [10000, 40000]}", "range: [10000, null], role: check}")


def write_spec(folder: Path, text: str = TINY) -> Path:
    path = folder / "tiny.yaml"
    path.write_text(text)
    return path


def snapshot(root: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(root)): p.read_bytes() if p.is_file() else None
        for p in sorted(root.rglob("*"))
    }


def run(spec_path: Path, out: Path, *options: str) -> int:
    from strikesim.cli.calibrate import main

    return main([str(spec_path), "--out", str(out), *options])


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny study run to its end by the command, as a user would."""
    folder = tmp_path_factory.mktemp("calibration")
    assert run(write_spec(folder), folder / "study") == 0
    return folder / "study"


# --- priors and the likelihood --------------------------------------------------------------------
def test_priors_are_the_schemas_own() -> None:
    declared = {k.key: k for k in schema_keys() if k.meta.get("prior") is not None}
    priors = schema_priors(["behavior.*"])
    assert set(priors) == {k for k in declared if k.startswith("behavior.")}
    for key, prior in priors.items():
        assert (prior.low, prior.high) == tuple(map(float, declared[key].meta["prior"]))
        assert prior.integer == (declared[key].kind == "int")


def test_integer_keys_draw_every_integer_equally_and_stay_inside() -> None:
    prior = calibration_spec.Prior("k", 3, 14, integer=True)
    low, high = prior.support
    draws = np.random.default_rng(0).uniform(low, high, 120_000)
    values = np.array([prior.value(d) for d in draws])
    counts = np.bincount(values)[3:]
    assert values.min() == 3 and values.max() == 14 and len(counts) == 12
    assert counts.min() > 0.95 * counts.mean()


def test_a_pattern_without_a_prior_names_the_keys_that_have_one() -> None:
    with pytest.raises(ConfigError, match=r"parameters\[0\]='behavior\.nosuch'.*allowed: .*"):
        schema_priors(["behavior.nosuch"])


def test_kernel_is_the_log_normal_record_and_its_maximum() -> None:
    two = Term(
        "a", low=math.log1p(15_000), high=math.log1p(50_000), centre=math.log1p(30_000), sd=0.4
    )
    bound = Term("b", low=math.log1p(10_000), high=None, centre=math.log1p(10_000), sd=0.2)
    kernel = RecordKernel([two, bound])
    at = {"a": np.log1p([30_000.0]), "b": np.log1p([1e6])}
    assert kernel(at, {}) == pytest.approx(kernel.pdf_max)  # at the record and far above the bound
    half = {"a": np.log1p([30_000.0]), "b": np.log1p([10_000.0])}
    assert kernel(half, {}) == pytest.approx(kernel.pdf_max + math.log(0.5))  # on the bound
    off = {"a": np.array([math.log1p(30_000) + 0.4]), "b": np.log1p([1e6])}
    assert kernel(off, {}) == pytest.approx(kernel.pdf_max - 0.5)  # one sd away
    reps = {"a": np.array([math.log1p(30_000), math.log1p(30_000) + 0.4]), "b": np.log1p([1e6] * 2)}
    mean_likelihood = (1 + math.exp(-0.5)) / 2
    assert kernel(reps, {}) == pytest.approx(kernel.pdf_max + math.log(mean_likelihood))


# --- observables ----------------------------------------------------------------------------------
def test_observables_are_the_events_table_of_a_run_in_the_records_people() -> None:
    """Every action day of the campaign, under its id; walkouts are schools and campuses."""
    result = simulate(compose_config(["population=classroom"]))
    seen = observables.observe(result)
    factor = result.config.scenario.reference_population / result.summary["people"]
    events = result.events.set_index("event")
    assert list(events.index) == ["march_2026_01_10", "day_of_truth_2026_01_23", "ice_out_2026"]
    assert len(seen) == len(events) * len(observables.OBSERVABLES)
    jan23 = events.loc["day_of_truth_2026_01_23"]
    assert seen[("day_of_truth_2026_01_23", "marchers")] == pytest.approx(jan23.marchers * factor)
    walkouts = jan23.k12_walkouts + jan23.university_walkouts
    assert walkouts > 0
    assert seen[("day_of_truth_2026_01_23", "walkouts")] == pytest.approx(walkouts * factor)
    assert seen[("ice_out_2026", "boycott")] == pytest.approx(
        events.loc["ice_out_2026"].boycotting * factor
    )


# --- the study ------------------------------------------------------------------------------------
def test_a_study_finishes_at_temperature_one_and_records_itself(finished: Path) -> None:
    generations = pd.read_csv(finished / "generations.csv")
    assert list(generations["generation"]) == [0, 1, 2]
    assert generations["temperature"].iloc[-1] == 1.0
    assert (generations["temperature"].diff().dropna() < 0).all()
    table = posterior_draws(finished)
    assert len(table) == 20 and table["weight"].sum() == pytest.approx(1.0)
    assert table["behavior.threshold_mean"].between(0.20, 0.45).all()
    report = (finished / "report.md").read_text()
    assert "Finished" in report and "held_out" in report and "nan" not in report.lower()
    assert (finished / "pairs.png").stat().st_size > 1000


def test_the_posterior_is_narrower_than_the_prior_where_the_record_speaks(finished: Path) -> None:
    table = posterior_draws(finished)
    values = table["behavior.threshold_mean"].to_numpy()
    width = np.ptp(values)
    assert width < 0.6 * (0.45 - 0.20)  # one number of marchers pins the mean threshold


def test_results_do_not_depend_on_workers(tmp_path: Path) -> None:
    """Two processes simulating batches side by side give the one-process posterior, bit for bit
    (each batch draws and decides from its own seeds)."""
    small = TINY.replace("population_size: 20", "population_size: 10")
    spec = load_spec(
        str(write_spec(tmp_path, small.replace("max_generations: 3", "max_generations: 2")))
    )
    tables = []
    for workers in (1, 2):
        executor = ProcessPoolExecutor(workers) if workers > 1 else None
        study = calibrate.setup(spec, workers=workers, executor=executor)
        history = calibrate.run_abc(study, "sqlite://", resume=False)
        tables.append(calibrate.posterior_table(history, study.priors))
        if executor is not None:
            executor.shutdown()
    pd.testing.assert_frame_equal(*tables)


def test_a_killed_study_resumes_where_it_stopped(
    tmp_path: Path, finished: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed in its last generation, the study keeps the finished ones and, run again, carries
    on into the same history: the result equals the study that was never interrupted."""
    spec_path, out = write_spec(tmp_path), tmp_path / "study"
    real = calibrate.CityBatchSampler.sample_until_n_accepted

    def killed_in_generation_two(self, n, simulate_one, t, **options):
        if t == 2:
            self.simulator.simulate([([{"behavior.threshold_mean": 0.3}], [1])])  # mid-batch
            raise KeyboardInterrupt
        return real(self, n, simulate_one, t, **options)

    monkeypatch.setattr(
        calibrate.CityBatchSampler, "sample_until_n_accepted", killed_in_generation_two
    )
    with pytest.raises(KeyboardInterrupt):
        run(spec_path, out)
    monkeypatch.undo()
    kept = pyabc.History(f"sqlite:///{out / 'history.db'}")
    assert kept.max_t == 1  # generations 0 and 1 stored whole, nothing of generation 2
    assert not (out / "posterior.parquet").exists()
    assert run(spec_path, out) == 0
    generations = pd.read_csv(out / "generations.csv")
    assert list(generations["generation"]) == [0, 1, 2]
    for name in ("posterior.parquet", "predictive.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(out / name), pd.read_parquet(finished / name))
    assert len(calibrate_commands(out)) == 2


ONE = TINY.replace("max_generations: 3", "max_generations: 1")


@pytest.fixture(scope="module")
def one_generation(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny study in one generation (T = 1 from the prior), run to its end."""
    folder = tmp_path_factory.mktemp("one")
    assert run(write_spec(folder, ONE), folder / "study") == 0
    return folder / "study"


def test_a_study_killed_inside_a_generation_reuses_the_batches_it_simulated(
    tmp_path: Path,
    one_generation: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A kill inside a generation loses none of its finished batches: they are on disk
    (batches/), the resumed command reads them back instead of simulating them, and the result
    is the uninterrupted study's, bit for bit."""
    spec_path, out = write_spec(tmp_path, ONE), tmp_path / "study"
    real = calibrate.CitySimulator.simulate
    calls = {"n": 0}

    def killed_on_the_third_round(self, batches):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(self, batches)

    monkeypatch.setattr(calibrate.CitySimulator, "simulate", killed_on_the_third_round)
    with pytest.raises(KeyboardInterrupt):
        run(spec_path, out)
    monkeypatch.undo()
    stored = sorted(p.name for p in (out / calibrate.BATCHES).iterdir())
    assert stored == ["g1-p0-b0.npz", "g1-p0-b1.npz"]  # two rounds of generation 0
    assert not (out / "posterior.parquet").exists()
    capsys.readouterr()
    assert run(spec_path, out) == 0
    assert "2 batches read back" in capsys.readouterr().out
    for name in ("posterior.parquet", "predictive.parquet"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(out / name), pd.read_parquet(one_generation / name)
        )
    sessions = json.loads((out / "study.json").read_text())["sessions"]
    first = json.loads((one_generation / "study.json").read_text())["sessions"][0]
    assert sessions[0]["simulations"] == first["simulations"] - 2 * 16  # none twice


def test_one_generation_is_rejection_at_temperature_one_with_equal_weights(
    one_generation: Path,
) -> None:
    """max_generations 1: no calibration sample, one generation at T = 1 from the prior, every
    particle weighted alike, and posterior.csv ships without a weight column."""
    out = one_generation
    generations = pd.read_csv(out / "generations.csv")
    assert list(generations["temperature"]) == [1.0]
    assert generations["ess"].iloc[0] == pytest.approx(20)
    populations = pyabc.History(f"sqlite:///{out / 'history.db'}").get_all_populations()
    assert list(populations.t) == [-1, 0]
    assert populations.samples.iloc[0] == 0  # pyabc's t = -1 row: no calibration sample drawn
    assert "weight" not in pd.read_csv(out / "posterior.csv").columns
    table = posterior_draws(out / "posterior.csv")
    assert np.allclose(table["weight"], 1 / 20)
    simulations = json.loads((out / "study.json").read_text())["sessions"][0]["simulations"]
    assert simulations >= generations["evaluated"].iloc[0] + 20  # + the predictive's 20


def calibrate_commands(out: Path) -> list[str]:
    return json.loads((out / "study.json").read_text())["commands"]


def test_running_a_finished_study_again_changes_nothing(tmp_path: Path, finished: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(finished, copy)
    before = snapshot(copy)
    assert run(write_spec(tmp_path), copy) == 0
    after = snapshot(copy)
    changed = {k for k in before if before[k] != after.get(k)}
    assert changed <= {"study.json", "report.json", "report.md", "pairs.png"}  # the command log
    for name in ("posterior.parquet", "predictive.parquet", "generations.csv", "history.db"):
        assert before[name] == after[name], name


def test_another_option_on_a_study_folder_is_refused(
    tmp_path: Path, finished: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(finished)
    assert run(write_spec(tmp_path), finished, "--replications", "2") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "replications=1, not 2" in err
    assert snapshot(finished) == before


def test_a_folder_that_is_no_study_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    assert run(write_spec(tmp_path), other) == 2
    assert "not empty" in capsys.readouterr().err
    assert snapshot(other) == {"notes.txt": b"mine"}


HOLD = """
import sys
from pathlib import Path
from strikesim.studies.calibrate import study_lock
with study_lock(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.read()
"""


def test_a_study_folder_another_command_works_on_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two commands on one folder would write one history twice: the second is refused in one
    line naming the holder, writes nothing, and the folder is free once the holder ends."""
    out = tmp_path / "study"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(out)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        assert run(write_spec(tmp_path), out) == 2
        err = capsys.readouterr().err
        assert (
            err.count("\n") == 1
            and f"in use by another strikesim calibrate (pid {holder.pid})" in err
        )
        assert [p.name for p in out.iterdir()] == [calibrate.LOCK]
    finally:
        holder.communicate(b"")
    assert holder.returncode == 0
    with calibrate.study_lock(out):  # released when its holder ended
        assert (out / calibrate.LOCK).read_text() == f"{os.getpid()}\n"


# --- bad specs ------------------------------------------------------------------------------------
BAD = {
    "unknown key": (TINY + "colour: red\n", "unknown key 'colour'"),
    "target typo": (TINY.replace("{event: day", "{evnt: day", 1), "targets[0]: unknown key 'evnt'"),
    "observable": (
        TINY.replace("observable: marchers", "observable: voters"),
        "allowed: marchers, striking_workers, walkouts, boycott",
    ),
    "role": (TINY.replace("role: held_out", "role: maybe"), "allowed: fitted, held_out, check"),
    "fitted twice": (
        TWICE,
        "targets[2] repeats day_of_truth_2026_01_23.marchers",
    ),
    "posterior": (
        TINY.replace(""""behavior.posterior=''"]""", "behavior.posterior=campaign_2026]"),
        "allowed: behavior.posterior='' in base",  # a calibration draws from the prior
    ),
    "range": (TINY.replace("[15000, 50000]", "[50000, 15000]"), "targets[0].range"),
    "open range": (TINY.replace("[20000, null]", "[null, null]"), "targets[1].range"),
    "outside": (TINY.replace("observed: 30000", "observed: 90000"), "lies outside its range"),
    "event": (
        TINY.replace(
            "{event: day_of_truth_2026_01_23, observable: m", "{event: jan_23, observable: m"
        ),
        "targets[0].event='jan_23' is not an event of the runs; allowed: day_of_truth_2026_01_23",
    ),
    "no prior": (TINY.replace("[behavior.threshold_mean]", "[population.size]"), "no schema key"),
    "only held out": (
        TINY.replace("range: [15000, 50000]}", "range: [15000, 50000], role: held_out}"),
        "no fitted target",
    ),
    "bound": (TINY.replace("population_size: 20", "population_size: 2"), "population_size=2"),
    "run override": (TINY.replace("population=classroom", "population=nosuch"), "population"),
}


@pytest.mark.parametrize(("text", "message"), BAD.values(), ids=BAD.keys())
def test_bad_spec_gets_one_line_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    spec = write_spec(tmp_path, text)
    assert run(spec, tmp_path / "never") == 2
    err = capsys.readouterr().err
    assert err.startswith("strikesim: config error: ") and err.count("\n") == 1, err
    assert message in err, err
    assert not (tmp_path / "never").exists()


def test_unknown_spec_name_lists_the_shipped_ones() -> None:
    with pytest.raises(ConfigError, match=r"allowed: .*coverage_town"):
        load_spec("no_such_spec")


def test_the_coverage_spec_loads() -> None:
    spec = load_spec("coverage_town")
    assert list(schema_priors(list(spec.parameters))) == [
        "behavior.threshold_mean",
        "behavior.march_base",
    ]


def test_the_campaign_spec_loads_and_fits_the_documented_days_at_metro_scale_10() -> None:
    assert "campaign_2026" in spec_names()
    spec = load_spec("campaign_2026")
    roles = {(t.event, tuple(t.range)): str(t.role) for t in spec.targets}
    assert roles == {
        ("march_2026_01_10", (10000.0, None)): "fitted",
        ("day_of_truth_2026_01_23", (15000.0, 50000.0)): "fitted",
        ("day_of_truth_2026_01_23", (10000.0, None)): "check",  # Target Center: implied
        ("ice_out_2026", (15000.0, 50000.0)): "held_out",
        ("ice_out_2026", (30000.0, None)): "held_out",  # the seed's "over 30,000"
    }
    (config,) = calibrate.CitySimulator(spec, {}, []).bases
    assert config.population.catchment == "metro" and config.population.scale == 10
    priors = schema_priors(list(spec.parameters))
    assert {"population.sympathizer_share", "scenario.call_lead_days"} <= set(priors)
    assert set(schema_priors(["behavior.*"])) <= set(priors)
    terms = calibrate.kernel_terms(spec, spec.targets)
    assert [t.key for t in terms] == [
        "march_2026_01_10.marchers",
        "day_of_truth_2026_01_23.marchers",
    ]


def test_a_held_out_row_may_repeat_a_fitted_key_with_another_range(tmp_path: Path) -> None:
    spec = load_spec(str(write_spec(tmp_path, CHECK)))
    assert [str(t.role) for t in spec.targets] == ["fitted", "held_out", "check"]
    assert len(calibrate.kernel_terms(spec, spec.targets)) == 1


def test_the_prior_is_the_box_truncated_to_configs_the_model_accepts() -> None:
    """The box of behaviour priors has corners the model refuses (a group's mean threshold
    below 0.01); pyabc's prior puts no mass there, and its draws all run."""
    spec = load_spec("coverage_town")
    priors = schema_priors(
        [
            "behavior.threshold_mean",
            "behavior.immigrant_threshold_shift",
            "behavior.university_threshold_shift",
        ]
    )
    simulator = calibrate.CitySimulator(spec, priors, [])
    prior = calibrate.ValidPrior(priors, simulator.valid)
    corner = {k: p.low for k, p in priors.items()}  # 0.2 - 0.1 - 0.1 = 0
    assert not simulator.valid(corner) and prior.pdf(corner) == 0.0
    centre = {k: (p.low + p.high) / 2 for k, p in priors.items()}
    assert prior.pdf(centre) == pytest.approx(prior.box.pdf(centre))
    assert prior.pdf(centre) > 0
    np.random.seed(5)
    draws = [dict(prior.rvs()) for _ in range(300)]
    assert all(simulator.valid(d) for d in draws)
    low_corner = sum(
        d["behavior.threshold_mean"]
        + d["behavior.immigrant_threshold_shift"]
        + d["behavior.university_threshold_shift"]
        < 0.01
        for d in draws
    )
    assert low_corner == 0


# --- the posterior as data ------------------------------------------------------------------------
def test_posterior_rows_are_configs(finished: Path) -> None:
    table = posterior_draws(finished / "posterior.csv")
    row = table.iloc[0]
    config = compose_config(["population=classroom", *draw_overrides(row)])
    assert config.behavior.threshold_mean == pytest.approx(row["behavior.threshold_mean"])
    picked = sample_draws(table, 500, seed=1)
    pd.testing.assert_frame_equal(picked, sample_draws(table, 500, seed=1))
    share = (picked["draw"] == table["draw"][table["weight"].idxmax()]).mean()
    assert share == pytest.approx(table["weight"].max(), abs=0.05)


def test_a_table_that_is_no_posterior_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "posterior.csv"
    pd.DataFrame({"draw": [0], "weight": [1.0], "behavior.nosuch": [1.0]}).to_csv(bad, index=False)
    with pytest.raises(ConfigError, match=r"'behavior\.nosuch' is no config key"):
        posterior_draws(bad)


# --- the recorded calibration ---------------------------------------------------------------------
ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "docs" / "calibration" / "campaign_2026"
SHIPPED = ROOT / "scenarios" / "calibration" / "campaign_2026_posterior.csv"


def test_the_recorded_calibration_is_finished_and_quoted_by_the_docs() -> None:
    """docs/calibration.md quotes the record's fit and identifiability tables line for line, and
    the coverage record's pooled rates; the record reached temperature 1."""
    report = json.loads((RECORD / "report.json").read_text())
    assert report["finished"] and report["final_temperature"] == 1.0
    doc = (ROOT / "docs" / "calibration.md").read_text()
    lines = calibration_report.fit_lines(report["fit"])
    lines += calibration_report.identifiability_lines(report["identifiability"])
    for line in lines:
        assert line in doc, line
    pooled = pd.read_csv(ROOT / "docs" / "calibration" / "coverage_town" / "pooled.csv")
    for line in coverage_lines(pooled):
        assert line in doc, line


def coverage_lines(pooled: pd.DataFrame) -> list[str]:
    """The pooled coverage rows as docs/calibration.md shows them."""
    return [
        f"| {r.level:.0%} | {r.covered} of {r.intervals} | {r.share:.1%} | "
        f"{r.ci_low:.1%}-{r.ci_high:.1%} | {'yes' if r.nominal_inside else 'no'} |"
        for r in pooled.itertuples()
    ]


def test_the_shipped_posterior_is_the_records_and_runs() -> None:
    """scenarios/calibration/campaign_2026_posterior.csv is the record's posterior byte for byte:
    full config keys, the spec's parameters, weights; behavior.posterior draws its rows."""
    from strikesim.draws import resolve

    assert SHIPPED.read_bytes() == (RECORD / "posterior.csv").read_bytes()
    table = posterior_draws(SHIPPED)
    spec = load_spec("campaign_2026")
    assert set(table.columns) == {"draw", "weight", *schema_priors(list(spec.parameters))}
    assert "weight" not in pd.read_csv(SHIPPED, nrows=1).columns  # one generation: all alike
    assert len(table) == spec.population_size
    config = resolve(compose_config(["population=classroom", "behavior.posterior=campaign_2026"]))
    row = table.iloc[config.behavior.posterior_draw]
    assert config.behavior.threshold_mean == pytest.approx(row["behavior.threshold_mean"])
    assert config.scenario.call_lead_days == row["scenario.call_lead_days"]
    assert config.population.sympathizer_share == pytest.approx(row["population.sympathizer_share"])
