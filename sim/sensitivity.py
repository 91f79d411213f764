"""``strikesim sensitivity``: which uncertain parameters drive the turnout (Sobol or Morris, SALib).

A preset in ``conf/_sensitivity/`` (plain YAML, not a Hydra config group: hence the underscore)
or any YAML file of the same shape names the parameters and their ranges. SALib draws the sample
points; each point is one job of a sweep folder under ``results/sensitivity/``, run in parallel
with joblib, published atomically, skipped when finished and retried when failed, exactly as
``strikesim -m`` jobs are (:mod:`strikesim.sweep`). SALib then computes the indices, with
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
from omegaconf import OmegaConf
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from strikesim import results, sweep
from strikesim.cli import bad_input
from strikesim.config import ConfigError

METHODS = ("sobol", "morris")
ROOT = Path("results/sensitivity")
MORRIS_LEVELS = 4
CONFIDENCE = 0.95


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="strikesim sensitivity",
        description="Sobol or Morris sensitivity indices of the marchers for named parameters "
        "with ranges (a preset in conf/_sensitivity/ or a YAML file); parallel and resumable.",
    )
    parser.add_argument("spec", nargs="?", default="calls_and_cold", help="preset name or YAML")
    parser.add_argument("overrides", nargs="*", help="config overrides for every run (KEY=VALUE)")
    parser.add_argument("--method", choices=METHODS, help="overrides the preset's method")
    parser.add_argument("--samples", type=int, help="base sample size (Sobol) / trajectories")
    parser.add_argument("--jobs", type=int, default=-1, help="parallel runs (default: all cores)")
    parser.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples (1000)")
    parser.add_argument("--out", type=Path, help="folder (default: results/sensitivity/<name>-...)")
    args = parser.parse_args(argv)
    if "=" in args.spec:  # no preset named, only overrides: the default preset
        args.spec, args.overrides = parser.get_default("spec"), [args.spec, *args.overrides]
    try:
        spec = load_spec(args.spec, args.method, args.samples, args.overrides)
        problem = check_problem(spec)
        points = sample(problem, spec["method"], spec["samples"], spec["seed"])
        jobs = [job_overrides(spec, problem, row) for row in points]
        plan = sweep.SweepPlan(
            folder=args.out or ROOT / f"{spec['name']}-{spec['method']}-{sweep.jobs_digest(jobs)}",
            jobs=jobs,
            factors={k: [] for k in problem["names"]},
            command=" ".join(["strikesim", "sensitivity", *argv]),
        )
        to_run = sweep.open_sweep(plan)
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


def load_spec(
    name: str, method: str | None, samples: int | None, overrides: list[str]
) -> dict[str, Any]:
    """The preset (or file), with command-line choices applied on top."""
    path = Path(name)
    if not path.suffix:
        presets = files("strikesim.conf") / "_sensitivity"
        available = sorted(p.name.removesuffix(".yaml") for p in presets.iterdir())
        if f"{name}.yaml" not in {p.name for p in presets.iterdir()}:
            raise ConfigError(f"sensitivity preset {name!r} is unknown; allowed: {available}")
        path = Path(str(presets / f"{name}.yaml"))
    elif not path.is_file():
        raise ConfigError(f"sensitivity file {name!r} does not exist; allowed: a YAML file")
    spec = OmegaConf.to_container(OmegaConf.load(path))
    assert isinstance(spec, dict)
    spec = {"name": path.stem, "output": "marchers", "seed": 0, "overrides": [], **spec}
    spec["method"] = method or spec.get("method", "sobol")
    spec["samples"] = samples or spec.get("samples", 32)
    spec["overrides"] = [*spec["overrides"], *overrides]
    if spec["method"] not in METHODS:
        raise ConfigError(f"method={spec['method']!r} is not allowed; allowed: {METHODS}")
    if not isinstance(spec["samples"], int) or spec["samples"] < 2:
        raise ConfigError(f"samples={spec['samples']!r} is not allowed; allowed: an integer >= 2")
    return spec


def check_problem(spec: dict[str, Any]) -> dict[str, Any]:
    """SALib's problem from the spec; every name a numeric key, every range valid at both ends."""
    from strikesim.cli import _schema_fields, compose_config

    names, bounds = [], []
    for key, bound in (spec.get("parameters") or {}).items():
        fields = _schema_fields(key)
        name = key.rpartition(".")[2]
        if fields.get(name) not in (int, float):
            numeric = [
                f"{key.rpartition('.')[0]}.{k}" for k, t in fields.items() if t in (int, float)
            ]
            raise ConfigError(
                f"sensitivity parameter {key!r} is not a numeric config key; allowed: "
                f"{', '.join(numeric)}"
            )
        if not (isinstance(bound, list) and len(bound) == 2 and bound[0] < bound[1]):
            raise ConfigError(
                f"{key}: range {bound!r} is not allowed; allowed: [low, high], low < high"
            )
        for end in bound:
            compose_config([*spec["overrides"], f"{key}={end}"])
        names.append(key)
        bounds.append([float(bound[0]), float(bound[1])])
    if len(names) < 2:
        raise ConfigError("parameters: fewer than 2 given; allowed: 2 or more KEY: [low, high]")
    compose_config(spec["overrides"])
    types = [_schema_fields(k)[k.rpartition(".")[2]] for k in names]
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
    from strikesim.cli import compose_config

    return sweep.execute_job(
        folder, num, overrides, lambda: compose_config(overrides), folder / sweep.STAGING / str(num)
    )


def _output(job: Path, key: str) -> float:
    return float(json.loads((job / results.SUMMARY).read_text())[key])


def plot_indices(table: pd.DataFrame, spec: dict[str, Any], path: Path) -> None:
    """Bars per parameter with their confidence intervals."""
    import matplotlib.pyplot as plt

    from strikesim.compare_plots import save_figure

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
