"""Sensitivity analysis: which uncertain parameters drive the turnout (Sobol or Morris, SALib).

A preset in ``conf/_sensitivity/`` (plain YAML, not a Hydra config group: hence the underscore)
or any YAML file of the same shape (:class:`SensitivitySpec`) names the parameters and their
ranges. SALib draws the sample points; each point is one job of a sweep folder under
``results/sensitivity/``, run in parallel with joblib, published atomically, skipped when
finished and retried when failed, exactly as ``strikesim -m`` jobs are
(:mod:`strikesim.studies.sweep`). SALib then computes the indices, with bootstrap confidence
intervals, from the marchers.

Every point runs with the same ``seed`` (common random numbers): the model is then a deterministic
function of the parameters, so the indices measure the parameters, not the seed's noise.

The steps are separate functions so that everything that can be wrong with the input is found
before the folder is made: :func:`load_spec`, :func:`plan_study` (ConfigError on bad input), then
:func:`open_folder`, :func:`run_points`, :func:`indices` and :func:`write_results`. The command
``strikesim sensitivity`` calls them in that order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from omegaconf import MISSING
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from strikesim import results
from strikesim.compose import compose_config, schema_fields
from strikesim.config import ConfigError
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

ROOT = Path("results/sensitivity")
MORRIS_LEVELS = 4
CONFIDENCE = 0.95
SAMPLES = Bounds(2, 100_000, integer=True)  # runs = samples * (parameters + 2): beyond, a typo
SEED = Bounds(0, 2**32 - 1, integer=True)  # SALib seeds numpy's legacy generator: 32 bits


class Method(StrEnum):
    """SALib's method: Saltelli sampling with Sobol' indices, or Morris elementary effects."""

    sobol = "sobol"
    morris = "morris"


class Output(StrEnum):
    """The number of a run's ``summary.json`` whose sensitivity is measured.

    Only numbers the model computes (run.simulate: model.totals()); bookkeeping such as seed,
    wall time or memory is no output to explain.
    """

    marchers = "marchers"
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
    range is checked against the run config by :func:`check_problem`.
    """

    name: Any = ""  # default: the file's stem
    method: Method = Method.sobol
    samples: int = field(default=32, metadata={BOUNDS: SAMPLES})
    output: Output = Output.marchers
    seed: int = field(default=0, metadata={BOUNDS: SEED})
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
) -> SensitivitySpec:
    """The preset (or file), with command-line choices applied on top; every key checked.

    Checked here, before any run: a typo in a key (``paramters``) or a wrong type would
    otherwise be ignored or fail only after every job ran. ``overrides`` come after the spec's.
    """
    path = spec_path(name)
    source = str(path)
    raw = read_mapping(read_spec_text(path), source)
    options = {k: v for k, v in {"method": method, "samples": samples}.items() if v is not None}
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
    compose_config([*spec.overrides, f"seed={spec.seed}"])
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


def job_overrides(spec: SensitivitySpec, problem: dict[str, Any], row: np.ndarray) -> list[str]:
    """One sample point as overrides: integer keys rounded, floats at full precision."""
    values = [
        f"{k}={round(v) if t is int else float(v)!r}"
        for k, t, v in zip(problem["names"], problem["types"], row, strict=True)
    ]
    return [*spec.overrides, *values, f"seed={spec.seed}"]


# --- the study, step by step ---------------------------------------------------------------------
@dataclass
class SensitivityStudy:
    """A checked spec, its SALib problem and sample points, and the sweep that runs them."""

    spec: SensitivitySpec
    problem: dict[str, Any]
    points: np.ndarray
    plan: sweep.SweepPlan

    @property
    def folder(self) -> Path:
        return self.plan.folder


def plan_study(spec: SensitivitySpec, folder: Path | None, command: str) -> SensitivityStudy:
    """Check the parameters, draw the points and plan their sweep; nothing is written.

    The default folder, ``results/sensitivity/<name>-<method>-<digest of the jobs>``, is the
    same for the same spec and options: running the command again resumes it.
    """
    problem = check_problem(spec)
    points = sample(problem, spec.method, spec.samples, spec.seed)
    jobs = [job_overrides(spec, problem, row) for row in points]
    plan = sweep.SweepPlan(
        folder=folder or ROOT / f"{spec.name}-{spec.method}-{sweep.jobs_digest(jobs)}",
        jobs=jobs,
        factors={k: [] for k in problem["names"]},
        command=command,
    )
    return SensitivityStudy(spec, problem, points, plan)


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


def run_points(study: SensitivityStudy, to_run: list[int], n_jobs: int = -1) -> int:
    """Run the jobs ``to_run`` (joblib, ``n_jobs`` processes; -1: all cores), close the sweep.

    Returns :func:`~strikesim.studies.sweep.finish_sweep`'s status: 0 when every job is done.
    """
    plan = study.plan
    if to_run:
        sweep.start_session(plan, to_run)
        Parallel(n_jobs=n_jobs)(delayed(_run_point)(plan.folder, n, plan.jobs[n]) for n in to_run)
    return sweep.finish_sweep(plan.folder)


def indices(study: SensitivityStudy, resamples: int = 1000) -> pd.DataFrame:
    """The indices of the spec's output, read from every finished job of the folder."""
    spec = study.spec
    output = np.array(
        [_output(study.folder / str(n), spec.output) for n in range(len(study.plan.jobs))]
    )
    return analyze(study.problem, spec.method, study.points, output, spec.seed, resamples)


def write_results(study: SensitivityStudy, table: pd.DataFrame) -> list[Path]:
    """``sensitivity.csv`` and ``sensitivity.png`` in the study folder; their paths."""
    csv, png = study.folder / "sensitivity.csv", study.folder / "sensitivity.png"
    results.atomic_write(csv, lambda tmp: table.to_csv(tmp, index=False))
    plot_indices(table, study.spec, png)
    return [csv, png]


def _run_point(folder: Path, num: int, overrides: list[str]) -> float | None:
    return sweep.execute_job(folder, num, overrides, lambda: compose_config(overrides))


def _output(job: Path, key: str) -> float:
    return float(json.loads((job / results.SUMMARY).read_text())[key])


def plot_indices(table: pd.DataFrame, spec: SensitivitySpec, path: Path) -> None:
    """Bars per parameter with their confidence intervals."""
    import matplotlib.pyplot as plt

    from strikesim.viz.compare_plots import save_figure

    bars = ["S1", "ST"] if spec.method == Method.sobol else ["mu_star"]
    x = np.arange(len(table))
    width = 0.8 / len(bars)
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(table) + 2), 4.5), layout="constrained")
    for i, bar in enumerate(bars):
        ax.bar(x + i * width, table[bar], width, yerr=table[f"{bar}_conf"], capsize=3, label=bar)
    ax.set_xticks(x + width * (len(bars) - 1) / 2, table["parameter"], rotation=30, ha="right")
    ax.set_ylabel("index" if spec.method == Method.sobol else f"mu* ({spec.output}, people)")
    ax.set_title(f"{spec.method.title()} sensitivity of {spec.output} ({spec.name})")
    ax.legend()
    save_figure(fig, path)
