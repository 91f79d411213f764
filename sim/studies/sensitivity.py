"""Sensitivity analysis: which uncertain parameters drive the turnout (Sobol or Morris, SALib).

A preset in ``conf/_sensitivity/`` (plain YAML, not a Hydra config group: hence the underscore)
or any YAML file of the same shape (:class:`SensitivitySpec`) names the parameters and their
ranges. SALib draws the sample points; each point is run at ``replications`` seeds, each run one
job of a sweep folder under ``results/sensitivity/``, run in parallel with joblib, published
atomically, skipped when finished and retried when failed, exactly as ``strikesim -m`` jobs are
(:mod:`strikesim.studies.sweep`). SALib then computes the indices, with bootstrap confidence
intervals, from each point's output averaged over its seeds.

Why replications with common random numbers: every point runs at the same seeds
(``seed``, ``seed + 1``, ...), so for each seed the model is a deterministic function of the
parameters and the indices measure the parameters, not the seed's noise; averaging over several
seeds keeps the indices from describing one particular city draw (one seed's network and
thresholds), which matters near a tipping point where one draw can cascade and the next not.

Why city people: a study runs on a smaller town to be affordable, but its counts mean something
only at the city's size. Every count (an output whose scaling is people,
:mod:`strikesim.engine.outputs`) is scaled per capita to the scenario's reference population
(``scenario.reference_population``: the population the published figures are counted in, the
seven-county metro for the 2026 scenarios) run by run:
``<output>_city_equivalent = value x reference / people``.
Shares and probabilities are not counts and stay as they are. Sobol' indices are ratios of
variances and do not change with the scale; Morris's mu* and sigma are in the output's unit, so
they are reported in city people.

The steps are separate functions so that everything that can be wrong with the input is found
before the folder is made: :func:`load_spec`, :func:`plan_study` (ConfigError on bad input), then
:func:`open_folder`, :func:`write_spec`, :func:`run_points`, :func:`indices` and
:func:`write_results`. The command ``strikesim sensitivity`` calls them in that order. The folder
keeps everything needed to read or redo the study: ``spec.yaml`` (the resolved spec, the seeds,
the SALib version and the code's identity), ``runs.csv`` (every run's output, in town and city
people), ``points.csv`` (each point's output averaged over its seeds: what SALib analysed),
``sensitivity.csv`` and the figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from joblib import Parallel, delayed, effective_n_jobs
from omegaconf import MISSING
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

import strikesim
from strikesim import provenance, results
from strikesim.compose import compose_config, compose_jobs, schema_fields
from strikesim.config import ConfigError
from strikesim.engine.outputs import BY_KEY, Scaling
from strikesim.studies import sweep
from strikesim.studies.spec_files import (
    ALLOWED,
    BOUNDS,
    Bounds,
    check_bounds,
    check_name,
    check_range,
    load_structured,
    read_mapping,
    read_spec_text,
)
from strikesim.viz.study_plots import plot_morris, plot_sobol

ROOT = Path("results/sensitivity")
MORRIS_LEVELS = 4
CONFIDENCE = 0.95
SAMPLES = Bounds(2, 100_000, integer=True)  # runs = samples * (parameters + 2): beyond, a typo
SEED = Bounds(0, 2**32 - 1, integer=True)  # SALib seeds numpy's legacy generator: 32 bits
REPLICATIONS = Bounds(1, 1000, integer=True)  # seeds per point; runs = points * replications
BATCH = 64  # jobs run together on one city at most (the ensemble kernel's chunk)
CITY = "city_equivalent"  # suffix of a count scaled per capita to the reference population
SPEC_FILE, RUNS, POINTS, TABLE = "spec.yaml", "runs.csv", "points.csv", "sensitivity.csv"
PLOT, MU_SIGMA_PLOT = "sensitivity.png", "morris_mu_star_sigma.png"


class Method(StrEnum):
    """SALib's method: Saltelli sampling with Sobol' indices, or Morris elementary effects."""

    sobol = "sobol"
    morris = "morris"


class Output(StrEnum):
    """The number of a run's ``summary.json`` whose sensitivity is measured.

    Only numbers the model computes (run.simulate: model.totals(), counted on the day at
    ``scenario.date``); bookkeeping such as seed, wall time or memory is no output to explain.
    """

    marchers = "marchers"
    marchers_city = "marchers_city"
    marchers_rest_of_metro = "marchers_rest_of_metro"
    striking_workers = "striking_workers"
    striking_union_members = "striking_union_members"
    k12_walkouts = "k12_walkouts"
    university_walkouts = "university_walkouts"
    boycotting = "boycotting"
    committed = "committed"
    unaffiliated_marcher_share = "unaffiliated_marcher_share"
    march_probability = "march_probability"


METHODS = tuple(m.value for m in Method)
OUTPUTS = tuple(o.value for o in Output)


@dataclass
class SensitivitySpec:
    """A sensitivity preset or file: what varies over which range, and how it is analyzed.

    ``name`` is typed Any on purpose: OmegaConf's str would turn ``7`` into ``"7"``; it names a
    folder, so :func:`~strikesim.studies.spec_files.check_name` takes only text. A parameter's
    range is checked against the run config by :func:`check_problem`. Every point runs at the
    seeds ``seed .. seed + replications - 1`` (:func:`seeds`); SALib draws from ``seed``.
    """

    name: Any = ""  # default: the file's stem
    method: Method = Method.sobol
    samples: int = field(default=32, metadata={BOUNDS: SAMPLES})
    output: Output = Output.marchers
    seed: int = field(default=0, metadata={BOUNDS: SEED})
    replications: int = field(default=1, metadata={BOUNDS: REPLICATIONS})
    overrides: list[str] = field(
        default_factory=list, metadata={ALLOWED: "a list of strings, e.g. [population=small]"}
    )
    parameters: dict[str, Any] = field(
        default=MISSING, metadata={ALLOWED: "a mapping KEY: [low, high]"}
    )


def load_spec(
    name: str,
    method: str | None = None,
    samples: int | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    replications: int | None = None,
) -> SensitivitySpec:
    """The preset (or file), with command-line choices applied on top; every key checked.

    Checked here, before any run: a typo in a key (``paramters``) or a wrong type would
    otherwise be ignored or fail only after every job ran. ``overrides`` come after the spec's.
    """
    path = spec_path(name)
    source = str(path)
    raw = read_mapping(read_spec_text(path), source)
    chosen = {"method": method, "samples": samples, "replications": replications}
    options = {k: v for k, v in chosen.items() if v is not None}
    spec = load_structured(SensitivitySpec, [{"name": path.stem}, raw, options], source)
    if "name" in raw:  # the file's stem is a file name already; a name given must be checked
        check_name(spec.name, f"{source}: name")
    check_bounds(spec, source)
    spec.overrides = [*spec.overrides, *overrides]
    return spec


def spec_path(name: str) -> Path:
    """The preset's file for a bare name, else the YAML file ``name``."""
    path = Path(name)
    if not path.suffix:
        presets = files("strikesim.conf") / "_sensitivity"
        available = sorted(p.name.removesuffix(".yaml") for p in presets.iterdir())
        if f"{name}.yaml" not in {p.name for p in presets.iterdir()}:
            raise ConfigError(f"sensitivity preset {name!r} is unknown; allowed: {available}")
        return Path(str(presets / f"{name}.yaml"))
    if not path.is_file():
        raise ConfigError(f"sensitivity file {name!r} does not exist; allowed: a YAML file")
    return path


def check_problem(spec: SensitivitySpec) -> dict[str, Any]:
    """SALib's problem from the spec; every name a numeric key, every range valid at both ends.

    Each end is composed with the spec's overrides exactly as written (an integer key's range
    must be integers), so a range outside the schema's is refused before any run.
    """
    names, bounds = [], []
    for key, bound in spec.parameters.items():
        fields = schema_fields(key)
        name = key.rpartition(".")[2]
        if fields.get(name) not in (int, float):
            numeric = [
                f"{key.rpartition('.')[0]}.{k}" for k, t in fields.items() if t in (int, float)
            ]
            raise ConfigError(
                f"sensitivity parameter {key!r} is not a numeric config key; allowed: "
                f"{', '.join(numeric)}"
            )
        low, high = check_range(bound, f"parameters.{key}")
        for end in bound:
            compose_config([*spec.overrides, f"{key}={end}"])
        names.append(key)
        bounds.append([low, high])
    if len(names) < 2:
        raise ConfigError("parameters: fewer than 2 given; allowed: 2 or more KEY: [low, high]")
    for seed in {seeds(spec)[0], seeds(spec)[-1]}:  # the schema bounds the seed too
        compose_config([*spec.overrides, f"seed={seed}"])
    types = [schema_fields(k)[k.rpartition(".")[2]] for k in names]
    return {"num_vars": len(names), "names": names, "bounds": bounds, "types": types}


def sample(problem: dict[str, Any], method: str, n: int, seed: int) -> np.ndarray:
    """The sample points: Saltelli/Sobol' (n * (D + 2) points) or Morris (n * (D + 1))."""
    if method == Method.sobol:
        return sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)
    return morris_sample.sample(problem, n, num_levels=MORRIS_LEVELS, seed=seed)


def analyze(
    problem: dict[str, Any],
    method: str,
    points: np.ndarray,
    output: np.ndarray,
    seed: int,
    resamples: int = 1000,
) -> pd.DataFrame:
    """Indices per parameter with the half-width of their bootstrap confidence interval."""
    if method == Method.sobol:
        si = sobol_analyze.analyze(
            problem,
            output,
            calc_second_order=False,
            num_resamples=resamples,
            conf_level=CONFIDENCE,
            seed=seed,
        )
        columns = ["S1", "S1_conf", "ST", "ST_conf"]
    else:
        si = morris_analyze.analyze(
            problem,
            points,
            output,
            num_resamples=resamples,
            conf_level=CONFIDENCE,
            num_levels=MORRIS_LEVELS,
            seed=seed,
        )
        columns = ["mu_star", "mu_star_conf", "mu", "sigma"]
    return pd.DataFrame({"parameter": problem["names"], **{c: np.asarray(si[c]) for c in columns}})


def seeds(spec: SensitivitySpec) -> list[int]:
    """The seeds every point runs at: ``seed``, ``seed + 1``, ... (``replications`` of them).

    The same list for every point (common random numbers), so a difference between two points
    is the parameters', seed by seed.
    """
    return [spec.seed + r for r in range(spec.replications)]


def run_values(problem: dict[str, Any], row: np.ndarray) -> list[int | float]:
    """A sample point's values as they are run: integer keys rounded, floats at full precision."""
    return [round(v) if t is int else float(v) for t, v in zip(problem["types"], row, strict=True)]


def job_overrides(
    spec: SensitivitySpec, problem: dict[str, Any], row: np.ndarray, seed: int
) -> list[str]:
    """One run of a sample point as overrides: the spec's, the point's values, the seed."""
    values = [f"{k}={v!r}" for k, v in zip(problem["names"], run_values(problem, row), strict=True)]
    return [*spec.overrides, *values, f"seed={seed}"]


def output_column(output: str) -> str:
    """The column the indices are computed on: ``<output>_city_equivalent`` for a count.

    A share or a probability is the same in a town and in the city: its own name.
    """
    return f"{output}_{CITY}" if is_count(output) else str(output)


def is_count(output: str) -> bool:
    """Is ``output`` a number of people (scaled per capita to the city), not a ratio?"""
    return BY_KEY[output].scaling is Scaling.PEOPLE


# --- the study, step by step ---------------------------------------------------------------------
@dataclass
class SensitivityStudy:
    """A checked spec, its SALib problem and sample points, and the sweep that runs them.

    Job ``n`` is point ``n // replications`` at seed ``seeds[n % replications]``.
    """

    spec: SensitivitySpec
    problem: dict[str, Any]
    points: np.ndarray
    plan: sweep.SweepPlan
    resamples: int = 1000

    @property
    def folder(self) -> Path:
        """The sweep's folder; the default one is named by the jobs, so running again resumes it."""
        return self.plan.folder

    @property
    def seeds(self) -> list[int]:
        """The seeds every point runs at, the same for all points (see :func:`seeds`)."""
        return seeds(self.spec)


def plan_study(
    spec: SensitivitySpec, folder: Path | None, command: str, resamples: int = 1000
) -> SensitivityStudy:
    """Check the parameters, draw the points and plan their sweep; nothing is written.

    The default folder, ``results/sensitivity/<name>-<method>-<digest of the jobs>``, is the
    same for the same spec and options: running the command again resumes it. ``resamples``
    (bootstrap resamples of the confidence intervals) does not change the runs, so not the
    folder either.
    """
    problem = check_problem(spec)
    points = sample(problem, spec.method, spec.samples, spec.seed)
    jobs = [job_overrides(spec, problem, row, seed) for row in points for seed in seeds(spec)]
    factors: dict[str, list[str]] = {k: [] for k in problem["names"]}
    if spec.replications > 1:
        factors["seed"] = []  # index.csv then shows each run's seed
    plan = sweep.SweepPlan(
        folder=folder or ROOT / f"{spec.name}-{spec.method}-{sweep.jobs_digest(jobs)}",
        jobs=jobs,
        factors=factors,
        command=command,
    )
    return SensitivityStudy(spec, problem, points, plan, resamples)


def open_folder(plan: sweep.SweepPlan, option: str = "--out") -> list[int]:
    """:func:`~strikesim.studies.sweep.open_sweep`; a corrupt ``sweep.json`` is one line too.

    ``option`` is what the caller calls the folder (a command-line option), for the message.
    """
    try:
        return sweep.open_sweep(plan)
    except ConfigError as exc:  # sweep.py names the folder by its own key
        raise ConfigError(str(exc).replace("hydra.sweep.dir=", f"{option}=", 1)) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:  # JSONDecodeError: a ValueError
        raise ConfigError(
            f"{option}={plan.folder}: its {sweep.PLAN} cannot be read ({type(exc).__name__}: "
            f"{exc}); allowed: a new folder, or one this command wrote (to resume it)"
        ) from None


def settings(study: SensitivityStudy) -> dict[str, Any]:
    """Everything that defines the study and its analysis, as plain data (``spec.yaml``).

    ``spec`` is the resolved spec (command-line choices applied): saved as a spec file, it
    gives the same runs again. The rest says how it ran and was analysed, and with what code:
    a sensitivity result without its ranges, seeds and SALib version cannot be checked.
    """
    spec = study.spec
    code = provenance.code_identity()
    return {
        "spec": {
            "name": spec.name,
            "method": str(spec.method),
            "samples": spec.samples,
            "output": str(spec.output),
            "seed": spec.seed,
            "replications": spec.replications,
            "overrides": list(spec.overrides),
            "parameters": {k: list(v) for k, v in spec.parameters.items()},
        },
        "method": str(spec.method),
        "samples": spec.samples,
        "sample_points": len(study.points),
        "replications": spec.replications,
        "seeds": study.seeds,
        "runs": len(study.plan.jobs),
        "parameters": [
            {"key": k, "low": lo, "high": hi, "type": t.__name__}
            for k, (lo, hi), t in zip(
                study.problem["names"],
                study.problem["bounds"],
                study.problem["types"],
                strict=True,
            )
        ],
        "analysis": {
            "output": str(spec.output),
            "column": output_column(spec.output),
            "scaled_per_capita_to_reference_population": is_count(spec.output),
            "averaged_over_seeds": True,
            "confidence": CONFIDENCE,
            "bootstrap_resamples": study.resamples,
            **(
                {"second_order": False}
                if spec.method == Method.sobol
                else {"morris_levels": MORRIS_LEVELS}
            ),
        },
        "salib_version": code["versions"].get("SALib"),
        "strikesim_version": strikesim.__version__,
        "command": study.plan.command,
        **code,
    }


def write_spec(study: SensitivityStudy) -> Path:
    """``spec.yaml`` in the study folder (:func:`settings`), written atomically; its path."""
    path = study.folder / SPEC_FILE
    text = yaml.safe_dump(settings(study), sort_keys=False, allow_unicode=True)
    results.write_text(path, text)
    return path


def run_points(study: SensitivityStudy, to_run: list[int], n_jobs: int = -1) -> int:
    """Run the jobs ``to_run`` (joblib, ``n_jobs`` processes; -1: all cores), close the sweep.

    Returns :func:`~strikesim.studies.sweep.finish_sweep`'s status: 0 when every job is done.
    """
    plan = study.plan
    if to_run:
        sweep.start_session(plan, to_run)
        batches = point_batches(plan, to_run, effective_n_jobs(n_jobs))
        Parallel(n_jobs=n_jobs)(delayed(_run_batch)(plan.folder, plan, batch) for batch in batches)
    return sweep.finish_sweep(plan.folder)


def point_batches(plan: sweep.SweepPlan, to_run: list[int], workers: int) -> list[list[int]]:
    """The jobs in batches that share a seed — hence one city, built once per batch.

    Every point of a replication uses the same seed (common random numbers), so a batch runs on
    the ensemble kernel; batches are cut small enough to keep every worker busy, and at most
    :data:`BATCH` long to bound memory.
    """
    by_seed: dict[str, list[int]] = {}
    for n in to_run:
        seed = next((o for o in plan.jobs[n] if sweep.key_of(o) == "seed"), "")
        by_seed.setdefault(seed, []).append(n)
    size = max(1, min(BATCH, -(-len(to_run) // max(1, workers))))
    return [nums[i : i + size] for nums in by_seed.values() for i in range(0, len(nums), size)]


def run_table(study: SensitivityStudy) -> pd.DataFrame:
    """One row per run (job): its point, seed, values, output in town and in city people.

    ``<output>`` is the run's own number (people of the town it ran on); for a count,
    ``<output>_city_equivalent`` is that number x ``reference_population`` / ``people``, the
    same share of the scenario's reference population (``scenario.reference_population``).
    """
    spec = study.spec
    n_seeds = spec.replications
    rows = []
    for n in range(len(study.plan.jobs)):
        summary = results.read_summary(study.folder / str(n))
        point = n // n_seeds
        value = float(summary[spec.output])
        people = int(summary["people"])
        reference = int(summary["observed"]["scaled_from_population"])
        row: dict[str, Any] = {"job": n, "point": point, "seed": study.seeds[n % n_seeds]}
        row |= dict(
            zip(study.problem["names"], run_values(study.problem, study.points[point]), strict=True)
        )
        row |= {spec.output: value, "people": people, "reference_population": reference}
        if is_count(spec.output):
            row[output_column(spec.output)] = value * reference / people
        rows.append(row)
    return pd.DataFrame(rows)


def point_table(study: SensitivityStudy, runs: pd.DataFrame) -> pd.DataFrame:
    """One row per sample point: its values and its outputs averaged over its seeds.

    The mean over seeds, in point order, is the output SALib analyses; its sd over seeds is
    kept beside it, to compare the seeds' noise with the spread the parameters cause.
    """
    spec = study.spec
    column = output_column(spec.output)
    names = study.problem["names"]
    by_point = runs.groupby("point", sort=True)
    table = by_point[names].first()
    table.insert(0, "seeds", by_point["seed"].count())
    if column != spec.output:
        table[spec.output] = by_point[spec.output].mean()  # town people, for reference
    table[column] = by_point[column].mean()
    table[f"{column}_sd_over_seeds"] = by_point[column].std(ddof=1)
    return table.reset_index()


def indices(
    study: SensitivityStudy, resamples: int | None = None, points: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The indices of the spec's output (city people, averaged over seeds) per parameter.

    ``points`` is :func:`point_table` when the caller has it already; ``resamples`` defaults to
    the study's. The column ``output`` names the column the indices were computed on.
    """
    spec = study.spec
    if points is None:
        points = point_table(study, run_table(study))
    column = output_column(spec.output)
    output = points[column].to_numpy(float)
    table = analyze(
        study.problem, spec.method, study.points, output, spec.seed, resamples or study.resamples
    )
    table.insert(1, "output", column)
    return table


def describe_output(study: SensitivityStudy, runs: pd.DataFrame) -> str:
    """What the analysed number is, in words (the printed table's header, the figures' titles).

    For example "marchers_city_equivalent: marchers of the 1,000-person town scaled per capita
    to the reference population 3,163,104 (x 3,163.1), mean of 2 seeds (0-1)".
    """
    spec = study.spec
    column = output_column(spec.output)
    first, last = study.seeds[0], study.seeds[-1]
    over = (
        f"seed {first}" if first == last else f"mean of {len(study.seeds)} seeds ({first}-{last})"
    )
    if not is_count(spec.output):
        return f"{column} ({BY_KEY[spec.output].unit}; not scaled), {over}"
    pairs = runs[["reference_population", "people"]].drop_duplicates().astype(int)
    sizes = sorted(map(tuple, pairs.to_numpy().tolist()))
    if len(sizes) == 1:
        reference, people = sizes[0]
        if reference == people:
            scaled = f"city people ({people:,}, the reference population: not rescaled)"
        else:
            scaled = (
                f"{spec.output} of the {people:,}-person town scaled per capita to the reference "
                f"population {reference:,} (x {reference / people:,.6g})"
            )
    else:
        scaled = f"{spec.output} of each run scaled per capita to its reference population"
    return f"{column}: {scaled}, {over}"


def write_results(
    study: SensitivityStudy, table: pd.DataFrame, runs: pd.DataFrame | None = None
) -> list[Path]:
    """Write the tables, the settings and the figures into the study folder; their paths.

    ``sensitivity.csv`` (indices with the half-widths of their CIs), ``points.csv``,
    ``runs.csv``, ``spec.yaml``, ``sensitivity.png`` (S1 and ST, or mu*, with error bars) and,
    for Morris, ``morris_mu_star_sigma.png`` (mu* against sigma, each point labelled).
    """
    folder = study.folder
    if runs is None:
        runs = run_table(study)
    points = point_table(study, runs)
    written = []
    for name, frame in [(TABLE, table), (POINTS, points), (RUNS, runs)]:
        path = folder / name
        results.atomic_write(path, lambda tmp, f=frame: f.to_csv(tmp, index=False))
        written.append(path)
    written.append(write_spec(study))
    spec = study.spec
    title = (
        f"{spec.method.title()} sensitivity ({spec.name}, {len(study.points)} points x "
        f"{spec.replications} seed(s))\n{describe_output(study, runs)}"
    )
    if spec.method == Method.sobol:
        written.append(plot_sobol(table, title, folder / PLOT))
    else:
        unit = "city people" if is_count(spec.output) else BY_KEY[spec.output].unit
        written += plot_morris(table, unit, title, folder / PLOT, folder / MU_SIGMA_PLOT)
    return written


def _run_batch(folder: Path, plan: sweep.SweepPlan, batch: list[int]) -> list[float | None]:
    jobs = [(n, plan.jobs[n]) for n in batch]
    configs = dict(zip(batch, compose_jobs([o for _, o in jobs]), strict=True))
    by_overrides = {tuple(plan.jobs[n]): configs[n] for n in batch}
    return sweep.execute_jobs(folder, jobs, lambda overrides: by_overrides[tuple(overrides)])
