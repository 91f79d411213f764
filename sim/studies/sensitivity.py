"""``strikesim sensitivity``: which uncertain parameters drive the turnout (Sobol or Morris, SALib).

A preset in ``conf/_sensitivity/`` (plain YAML, not a Hydra config group: hence the underscore)
or any YAML file of the same shape names the parameters and their ranges. SALib draws the sample
points; each point is one job of a sweep folder under ``results/sensitivity/``, run in parallel
with joblib, published atomically, skipped when finished and retried when failed, exactly as
``strikesim -m`` jobs are (:mod:`strikesim.studies.sweep`). SALib then computes the indices, with
bootstrap confidence intervals, from the marchers.

Every point runs with the same ``seed`` (common random numbers): the model is then a deterministic
function of the parameters, so the indices measure the parameters, not the seed's noise.
"""

from __future__ import annotations

import argparse
import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from strikesim import results
from strikesim.cli.arguments import (
    MAX_WORKERS,
    Choice,
    CommandParser,
    Integer,
    check_keys,
    check_name,
    check_output_folder,
    check_range,
    check_strings,
    entry_point,
    output_folder,
    read_mapping,
    read_text,
)
from strikesim.cli.messages import bad_input
from strikesim.config import ConfigError
from strikesim.studies import sweep

METHODS = ("sobol", "morris")
ROOT = Path("results/sensitivity")
MORRIS_LEVELS = 4
CONFIDENCE = 0.95
# numbers in a run's summary.json that the model computes (run.simulate: model.totals());
# bookkeeping such as seed, wall time or memory is no output to explain
OUTPUTS = (
    "marchers",
    "striking_workers",
    "striking_union_members",
    "k12_walkouts",
    "university_walkouts",
    "boycotting",
    "committed",
    "unaffiliated_marcher_share",
    "march_probability",
)
SPEC_DEFAULTS = {
    "name": "",
    "method": "sobol",
    "samples": 32,
    "output": "marchers",
    "seed": 0,
    "overrides": [],
}
METHOD = Choice(METHODS)
OUTPUT = Choice(OUTPUTS)
SAMPLES = Integer(2, 100_000)  # runs = samples * (parameters + 2): beyond this, a typo
JOBS = Integer(1, MAX_WORKERS, also=-1)  # joblib's n_jobs; -1: all cores
RESAMPLES = Integer(1, 100_000)
SEED = Integer(0, 2**32 - 1)  # SALib seeds numpy's legacy generator: 32 bits


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = CommandParser(
        "sensitivity",
        description="Sobol or Morris sensitivity indices of the marchers for named parameters "
        "with ranges (a preset in conf/_sensitivity/ or a YAML file); parallel and resumable.",
    )
    parser.add_argument("spec", nargs="?", default="calls_and_cold", help="preset name or YAML")
    parser.add_argument("overrides", nargs="*", help="config overrides for every run (KEY=VALUE)")
    parser.add_argument(
        "--method", type=METHOD, metavar="{sobol,morris}", help="overrides the preset's method"
    )
    parser.add_argument(
        "--samples", type=SAMPLES, help="base sample size (Sobol) / trajectories (Morris)"
    )
    parser.add_argument(
        "--jobs", type=JOBS, default=-1, help="parallel runs (default -1: all cores)"
    )
    parser.add_argument(
        "--resamples", type=RESAMPLES, default=1000, help="bootstrap resamples (1000)"
    )
    parser.add_argument(
        "--out", type=output_folder, help="folder (default: results/sensitivity/<name>-...)"
    )
    args = parser.parse_args(argv)
    if "=" in args.spec:  # no preset named, only overrides: the default preset
        args.spec, args.overrides = parser.get_default("spec"), [args.spec, *args.overrides]
    return args


@entry_point
def main(argv: list[str]) -> int:
    """Entry point of ``strikesim sensitivity``: everything is checked before the folder is made."""
    args = parse_args(argv)
    try:
        spec = load_spec(args.spec, args.method, args.samples, args.overrides)
        problem = check_problem(spec)
        points = sample(problem, spec["method"], spec["samples"], spec["seed"])
        jobs = [job_overrides(spec, problem, row) for row in points]
        plan = sweep.SweepPlan(
            folder=args.out
            or check_output_folder(
                ROOT / f"{spec['name']}-{spec['method']}-{sweep.jobs_digest(jobs)}"
            ),
            jobs=jobs,
            factors={k: [] for k in problem["names"]},
            command=" ".join(["strikesim", "sensitivity", *argv]),
        )
        to_run = open_folder(plan)
    except ConfigError as exc:
        return bad_input(exc)
    folder = plan.folder
    print(
        f"strikesim: sensitivity {folder}: {len(plan.jobs)} runs, "
        f"{len(plan.jobs) - len(to_run)} already finished, {len(to_run)} to run",
        flush=True,
    )
    if to_run:
        sweep.start_session(plan, to_run)
        Parallel(n_jobs=args.jobs)(delayed(_run_point)(folder, n, plan.jobs[n]) for n in to_run)
    if status := sweep.finish_sweep(folder):
        return status
    output = np.array([_output(folder / str(n), spec["output"]) for n in range(len(plan.jobs))])
    table = analyze(problem, spec["method"], points, output, spec["seed"], args.resamples)
    results.atomic_write(folder / "sensitivity.csv", lambda tmp: table.to_csv(tmp, index=False))
    plot_indices(table, spec, folder / "sensitivity.png")
    print(f"{spec['method']} indices of {spec['output']} ({CONFIDENCE:.0%} bootstrap CI):")
    print(table.to_string(index=False, float_format="{:.3f}".format))
    print(f"written: {folder}/sensitivity.csv, sensitivity.png")
    return 0


def open_folder(plan: sweep.SweepPlan) -> list[int]:
    """:func:`~strikesim.studies.sweep.open_sweep`; a corrupt ``sweep.json`` is one line too."""
    try:
        return sweep.open_sweep(plan)
    except ConfigError as exc:  # sweep.py names the folder by its own key; here it is --out
        raise ConfigError(str(exc).replace("hydra.sweep.dir=", "--out=", 1)) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:  # JSONDecodeError: a ValueError
        raise ConfigError(
            f"--out={plan.folder}: its {sweep.PLAN} cannot be read ({type(exc).__name__}: "
            f"{exc}); allowed: a new folder, or one this command wrote (to resume it)"
        ) from None


def load_spec(
    name: str, method: str | None, samples: int | None, overrides: list[str]
) -> dict[str, Any]:
    """The preset (or file), with command-line choices applied on top; every key checked.

    Checked here, before any run: a typo in a key (``paramters``) or a wrong type would
    otherwise be ignored or fail only after every job ran.
    """
    path = spec_path(name)
    raw = read_mapping(read_text(path), str(path))
    check_keys(raw, [*SPEC_DEFAULTS, "parameters"], ["parameters"], str(path))
    spec = {**SPEC_DEFAULTS, "name": path.stem, **raw}
    spec["method"] = method or spec["method"]
    spec["samples"] = samples or spec["samples"]
    where = f"{path}: "
    if "name" in raw:
        check_name(spec["name"], f"{where}name")
    METHOD.check(spec["method"], f"{where}method")
    SAMPLES.check(spec["samples"], f"{where}samples")
    SEED.check(spec["seed"], f"{where}seed")
    OUTPUT.check(spec["output"], f"{where}output")
    spec["overrides"] = [*check_strings(spec["overrides"], f"{where}overrides"), *overrides]
    parameters = spec["parameters"]
    if not isinstance(parameters, dict) or not all(isinstance(k, str) for k in parameters):
        raise ConfigError(f"{where}parameters={parameters!r}; allowed: a mapping KEY: [low, high]")
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


def check_problem(spec: dict[str, Any]) -> dict[str, Any]:
    """SALib's problem from the spec; every name a numeric key, every range valid at both ends."""
    from strikesim.compose import compose_config, schema_fields

    names, bounds = [], []
    for key, bound in (spec.get("parameters") or {}).items():
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
            compose_config([*spec["overrides"], f"{key}={end}"])
        names.append(key)
        bounds.append([low, high])
    if len(names) < 2:
        raise ConfigError("parameters: fewer than 2 given; allowed: 2 or more KEY: [low, high]")
    compose_config([*spec["overrides"], f"seed={spec['seed']}"])
    types = [schema_fields(k)[k.rpartition(".")[2]] for k in names]
    return {"num_vars": len(names), "names": names, "bounds": bounds, "types": types}


def sample(problem: dict[str, Any], method: str, n: int, seed: int) -> np.ndarray:
    """The sample points: Saltelli/Sobol' (n * (D + 2) points) or Morris (n * (D + 1))."""
    if method == "sobol":
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
    if method == "sobol":
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


def job_overrides(spec: dict[str, Any], problem: dict[str, Any], row: np.ndarray) -> list[str]:
    """One sample point as overrides: integer keys rounded, floats at full precision."""
    values = [
        f"{k}={round(v) if t is int else float(v)!r}"
        for k, t, v in zip(problem["names"], problem["types"], row, strict=True)
    ]
    return [*spec["overrides"], *values, f"seed={spec['seed']}"]


def _run_point(folder: Path, num: int, overrides: list[str]) -> float | None:
    from strikesim.compose import compose_config

    return sweep.execute_job(folder, num, overrides, lambda: compose_config(overrides))


def _output(job: Path, key: str) -> float:
    return float(json.loads((job / results.SUMMARY).read_text())[key])


def plot_indices(table: pd.DataFrame, spec: dict[str, Any], path: Path) -> None:
    """Bars per parameter with their confidence intervals."""
    import matplotlib.pyplot as plt

    from strikesim.viz.compare_plots import save_figure

    bars = ["S1", "ST"] if spec["method"] == "sobol" else ["mu_star"]
    x = np.arange(len(table))
    width = 0.8 / len(bars)
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(table) + 2), 4.5), layout="constrained")
    for i, bar in enumerate(bars):
        ax.bar(x + i * width, table[bar], width, yerr=table[f"{bar}_conf"], capsize=3, label=bar)
    ax.set_xticks(x + width * (len(bars) - 1) / 2, table["parameter"], rotation=30, ha="right")
    ax.set_ylabel("index" if spec["method"] == "sobol" else f"mu* ({spec['output']}, people)")
    ax.set_title(f"{spec['method'].title()} sensitivity of {spec['output']} ({spec['name']})")
    ax.legend()
    save_figure(fig, path)
