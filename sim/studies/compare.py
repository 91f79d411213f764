"""What a sweep says, per factor level, in people — with paired differences.

The study behind ``strikesim compare``, whose command-line module parses, prints and returns the
exit code: :func:`compare_sweeps` reads and checks everything and returns the data,
:func:`write_outputs` writes the tables and plots, :func:`format_report` is the text table.

Reads each finished job's ``summary.json`` (small) for the tables, and the time series of at most
``curves`` jobs per level for the campaign curves, so a sweep of 10,000 jobs compares in seconds
without holding every time series. Jobs are read from their own folders, never from one shared
database, so a sweep still running can be compared (its finished jobs).

Paired differences: a level is compared with the reference level job by job, pairing jobs that
share the seed and every other factor. Because every random stream derives from the seed
(common random numbers), the pairs differ only by the factor, and the bootstrap CI of their mean
difference is far narrower than that of a difference between independent runs.

Bad input (a missing or corrupt sweep, an unknown factor or level) raises ConfigError naming the
option or file, before anything is written.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
from omegaconf import OmegaConf
from scipy import stats

from strikesim import results
from strikesim.config import ConfigError
from strikesim.studies.sweep import PLAN, read_plan

BOOTSTRAP_RESAMPLES = 2000
CONFIDENCE = 0.95
DEFAULT_CURVES = 200  # time series read per level: enough for a smooth mean, fast on any sweep
PLAN_ALLOWED = f"the {PLAN} written by 'strikesim -m ...'"
SUMMARY_ALLOWED = f"the {results.SUMMARY} of a finished run (seed, marchers, observed.marchers)"


@dataclass(frozen=True)
class ComparisonResult:
    """Everything a comparison computed, before anything is written.

    ``jobs``: one row per finished job; ``table``: one row per level; ``differences``: each level
    minus its factor's reference level; ``curves``: mean marchers per campaign day and level, or
    None when no time series were read.
    """

    jobs: pd.DataFrame
    by: list[str]
    table: pd.DataFrame
    differences: pd.DataFrame
    curves: pd.DataFrame | None


def compare_sweeps(
    folders: Sequence[Path],
    *,
    by: list[str] | None = None,
    target: float | None = None,
    references: Sequence[str] = (),
    curves: int = DEFAULT_CURVES,
) -> ComparisonResult:
    """Compare the finished jobs of ``folders`` by the factors ``by`` (default: all but seed).

    ``target`` is the marchers to reach in people (default: each run's observed); ``references``
    are ``KEY=VALUE`` reference levels (default: each factor's first level); ``curves`` is the
    number of time series read per level (0: no curves). Every input is read and checked here,
    so a caller can refuse bad input before writing anything.
    """
    jobs, factors = load_jobs(folders)
    chosen = choose_factors(by, factors, folders)
    reference_levels = parse_references(list(references), jobs, chosen)
    return ComparisonResult(
        jobs=jobs,
        by=chosen,
        table=level_table(jobs, chosen, target),
        differences=paired_differences(jobs, chosen, factors, reference_levels),
        curves=campaign_curves(jobs, chosen, curves) if curves > 0 else None,
    )


def load_jobs(folders: Sequence[Path]) -> tuple[pd.DataFrame, list[str]]:
    """One row per finished job: sweep, job, folder, factor values, seed, marchers, observed."""
    plans = [(Path(f), read_sweep_plan(Path(f))) for f in folders]
    factors = list(dict.fromkeys(k for _, p in plans for k in p["factors"] if k != "seed"))
    rows = []
    for folder, plan in plans:
        defaults = _fixed_values(folder, plan, factors)
        for job in plan["jobs"]:
            path = folder / str(job["job"])
            if not (path / results.SUMMARY).is_file():
                continue
            summary = read_job_summary(path / results.SUMMARY)  # a corrupt one is refused
            if not results.is_finished(path):
                continue
            values = dict(o.split("=", 1) for o in job["overrides"])
            rows.append(
                {
                    "sweep": folder.name,
                    "job": job["job"],
                    "folder": str(path),
                    **{k: values.get(k, defaults.get(k)) for k in factors},
                    "seed": summary["seed"],
                    "marchers": summary["marchers"],
                    "observed": summary["observed"]["marchers"],
                }
            )
    if not rows:
        raise ConfigError(
            f"no finished jobs in {', '.join(map(str, folders))}; allowed: a sweep with at least "
            "one job done (see its index.csv)"
        )
    jobs = pd.DataFrame(rows)
    for key in factors:
        jobs[key] = _as_levels(jobs[key])
    return jobs, factors


def read_sweep_plan(folder: Path) -> dict[str, Any]:
    """The sweep's ``sweep.json``, refused in one line if it does not parse or has wrong types.

    The file is written by strikesim, but a copy, a hand edit or a full disk can break it; a
    traceback deep in pandas would not say which file is at fault.
    """
    path = folder / PLAN
    try:
        plan = read_plan(folder)
    except ConfigError:  # not a sweep folder at all: read_plan says so
        raise
    except (OSError, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        reason = f"cannot be read ({_first_line(exc)})"
        raise ConfigError(f"{path} {reason}; allowed: {PLAN_ALLOWED}") from None
    problem = _plan_problem(plan)
    if problem:
        raise ConfigError(f"{path}: {problem}; allowed: {PLAN_ALLOWED}")
    return plan


def _plan_problem(plan: object) -> str | None:
    """What is wrong with a parsed ``sweep.json``, or None."""
    if not isinstance(plan, dict):
        return f"a JSON {type(plan).__name__}, not an object"
    if not isinstance(plan.get("factors"), dict):
        return f"factors={plan.get('factors')!r} is not an object"
    if not _strings(plan.get("fixed")):
        return f"fixed={plan.get('fixed')!r} is not a list of strings"
    if not isinstance(plan.get("jobs"), list):
        return f"jobs={plan.get('jobs')!r} is not a list"
    for job in plan["jobs"]:
        number = job.get("job") if isinstance(job, dict) else None
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            return f"job {job!r} has no job number"
        overrides = job.get("overrides")
        if not _strings(overrides) or not all("=" in o for o in overrides):
            return f"job {number}: overrides={overrides!r} are not KEY=VALUE strings"
    return None


def read_job_summary(path: Path) -> dict[str, Any]:
    """A job's ``summary.json`` with the numbers compare uses, refused in one line if corrupt."""
    try:
        summary = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        reason = f"cannot be read ({_first_line(exc)})"
        raise ConfigError(f"{path} {reason}; allowed: {SUMMARY_ALLOWED}") from None
    if not isinstance(summary, dict):
        raise ConfigError(f"{path}: a JSON {type(summary).__name__}; allowed: {SUMMARY_ALLOWED}")
    observed = summary.get("observed")
    checks = {
        "seed": (summary.get("seed"), int),
        "marchers": (summary.get("marchers"), int | float),
        "observed.marchers": (
            observed.get("marchers") if isinstance(observed, dict) else None,
            int | float,
        ),
    }
    for key, (value, kind) in checks.items():
        if isinstance(value, bool) or not isinstance(value, kind) or not math.isfinite(value):
            raise ConfigError(f"{path}: {key}={value!r}; allowed: {SUMMARY_ALLOWED}")
    return summary


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _fixed_values(folder: Path, plan: dict, factors: list[str]) -> dict[str, str | None]:
    """Values of factors this sweep does not vary: from its fixed overrides, else its config."""
    fixed = dict(o.split("=", 1) for o in plan["fixed"] if "=" in o)
    given: dict[str, str | None] = {k: v for k, v in fixed.items() if k in factors}
    missing = [k for k in factors if k not in plan["factors"] and k not in fixed]
    if not missing:
        return given
    from hydra import compose, initialize_config_module
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from strikesim.compose import CONFIG_MODULE, explain

    with initialize_config_module(CONFIG_MODULE, version_base="1.3"):
        try:
            cfg = compose("config", plan["fixed"], return_hydra_config=True)
        except (HydraException, OmegaConfBaseException) as exc:
            raise ConfigError(f"{folder / PLAN}: fixed overrides: {explain(exc)}") from None
    choices = cfg.hydra.runtime.choices
    composed = {
        k: str(choices[k]) if k in choices else str(OmegaConf.select(cfg, k)) for k in missing
    }
    return given | composed


def _as_levels(values: pd.Series) -> pd.Series:
    """Numbers where every value is one (sorted numerically), else labels in order of appearance."""
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.notna().all():
        return numbers
    return pd.Categorical(values, categories=list(dict.fromkeys(values)), ordered=True)


def choose_factors(by: list[str] | None, factors: list[str], folders: Sequence[Path]) -> list[str]:
    """The factors to compare by: ``by`` if each is swept (refused otherwise), else all."""
    swept = ", ".join([*factors, "seed"])
    if by is None:
        if not factors:
            raise ConfigError(
                f"{', '.join(map(str, folders))} varies no factor besides seed; allowed: a sweep "
                "over at least one other key"
            )
        return factors
    for key in by:
        if key not in factors:
            raise ConfigError(
                f"--by {key!r} is not a factor of {', '.join(map(str, folders))}; allowed: "
                f"{', '.join(factors) or '(none)'} (swept: {swept})"
            )
    return list(dict.fromkeys(by))


def parse_references(items: list[str], jobs: pd.DataFrame, by: list[str]) -> dict[str, object]:
    """``KEY=VALUE`` -> the reference level of each factor (default: its first level)."""
    references: dict[str, object] = {k: _levels(jobs[k])[0] for k in by}
    for item in items:
        key, _, text = item.partition("=")
        if key not in by:
            raise ConfigError(f"--reference {item!r}: {key!r} is not compared; allowed: {by}")
        levels = _levels(jobs[key])
        match = [v for v in levels if str(v) == text or _same_number(v, text)]
        if not match:
            raise ConfigError(
                f"--reference {item!r} is not a level; allowed: {', '.join(map(str, levels))}"
            )
        references[key] = match[0]
    return references


def _same_number(level: object, text: str) -> bool:
    try:
        return float(level) == float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _levels(column: pd.Series) -> list:
    if isinstance(column.dtype, pd.CategoricalDtype):
        return [c for c in column.cat.categories if (column == c).any()]
    return sorted(column.unique())


def level_table(jobs: pd.DataFrame, by: list[str], target: float | None) -> pd.DataFrame:
    """Per level: runs, mean, median, 5% and 95% quantiles of marchers, P(marchers >= target)."""
    frame = jobs.assign(target=jobs["observed"] if target is None else target)
    frame = frame.assign(reached=frame["marchers"] >= frame["target"])
    grouped = frame.groupby(by, observed=True, sort=True)
    marchers = grouped["marchers"]
    return pd.DataFrame(
        {
            "runs": marchers.size(),
            "mean": marchers.mean(),
            "median": marchers.median(),
            "q05": marchers.quantile(0.05),
            "q95": marchers.quantile(0.95),
            "target": grouped["target"].mean(),
            "p_reach_target": grouped["reached"].mean(),
        }
    ).reset_index()


def paired_differences(
    jobs: pd.DataFrame, by: list[str], factors: list[str], references: dict[str, object]
) -> pd.DataFrame:
    """Each level minus the reference level, pairing jobs with the same seed and other factors."""
    rows = []
    for key in by:
        pair_on = [k for k in factors if k != key] + ["seed"]
        unique = jobs.drop_duplicates([*pair_on, key])
        ref = unique[unique[key] == references[key]]
        for level in _levels(jobs[key]):
            if level == references[key]:
                continue
            pairs = unique[unique[key] == level].merge(ref, on=pair_on, suffixes=("", "_ref"))
            diff = (pairs["marchers"] - pairs["marchers_ref"]).to_numpy(float)
            low, high = bootstrap_ci(diff)
            rows.append(
                {
                    "factor": key,
                    "level": str(level),
                    "reference": str(references[key]),
                    "pairs": len(diff),
                    "mean_difference": diff.mean() if len(diff) else np.nan,
                    "sd_difference": diff.std(ddof=1) if len(diff) > 1 else np.nan,
                    "ci_low": low,
                    "ci_high": high,
                }
            )
    return pd.DataFrame(rows)


def bootstrap_ci(values: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean (seeded, so a comparison is reproducible)."""
    if len(values) < 2:
        return np.nan, np.nan
    if np.all(values == values[0]):
        return float(values[0]), float(values[0])
    ci = stats.bootstrap(
        (values,),
        np.mean,
        n_resamples=BOOTSTRAP_RESAMPLES,
        confidence_level=CONFIDENCE,
        method="percentile",
        rng=np.random.default_rng(seed),
    ).confidence_interval
    return float(ci.low), float(ci.high)


def campaign_curves(jobs: pd.DataFrame, by: list[str], per_level: int) -> pd.DataFrame:
    """Mean projected marchers per campaign day and level, from at most ``per_level`` jobs each.

    The mean over jobs of each job's daily total is the level's daily total over all its rows
    divided by its number of jobs, so each level's files are read in one pyarrow scan that keeps
    only the rows and columns the curve needs. Read before anything is written: a missing or
    corrupt time series is refused in one line, not found halfway through the outputs.
    """
    curves = []
    for level, group in jobs.groupby(by, observed=True, sort=True):
        sample = group.head(per_level)
        values = level if isinstance(level, tuple) else (level,)
        paths = [Path(f) / results.TIMESERIES for f in sample["folder"]]
        per_day = _daily_people(
            paths, ", ".join(f"{k}={v}" for k, v in zip(by, values, strict=True))
        )
        curves.append(
            per_day.assign(
                people=per_day["people"] / len(sample), **dict(zip(by, values, strict=True))
            )
        )
    return pd.concat(curves, ignore_index=True)


def _daily_people(paths: list[Path], level: str) -> pd.DataFrame:
    """Projected marchers per campaign day summed over the time series ``paths``."""
    wanted = (ds.field("phase") == "campaign") & (ds.field("form") == "projected_marching")
    try:
        rows = ds.dataset([str(p) for p in paths], format="parquet").to_table(
            ["day", "people"], filter=wanted
        )
        frame = rows.to_pandas().astype({"day": int, "people": float})
        return frame.groupby("day", as_index=False)["people"].sum()
    except (OSError, ValueError, TypeError, KeyError, pa.ArrowException) as exc:
        raise ConfigError(
            f"the time series of level {level} ({len(paths)} jobs, e.g. {paths[0]}) cannot be "
            f"read ({_first_line(exc)}); allowed: the {results.TIMESERIES} of finished jobs, "
            "or --curves 0"
        ) from None


def write_outputs(out: Path, result: ComparisonResult) -> list[Path]:
    """Write the tables (CSV and Parquet) and the plots into ``out``; return the files written.

    Each file is written atomically, so an OSError (a full disk) leaves no half-written file.
    """
    from strikesim.viz.compare_plots import plot_curves, plot_distribution, plot_heatmap

    written = []
    for name, frame in (("comparison", result.table), ("differences", result.differences)):
        results.atomic_write(out / f"{name}.csv", lambda tmp, f=frame: f.to_csv(tmp, index=False))
        results.write_parquet(out / f"{name}.parquet", frame)
        written += [out / f"{name}.csv", out / f"{name}.parquet"]
    plot_distribution(result.jobs, result.by, out / "distribution.png")
    written.append(out / "distribution.png")
    if len(result.by) >= 2:
        plot_heatmap(result.table, result.by[:2], out / "heatmap.png")
        written.append(out / "heatmap.png")
    if result.curves is not None:
        plot_curves(result.curves, result.by, out / "curves.png")
        written.append(out / "curves.png")
    return written


def format_report(result: ComparisonResult, out: Path) -> str:
    """The comparison as text tables: per level in people, then the paired differences."""
    jobs, table, differences = result.jobs, result.table, result.differences
    sweeps = ", ".join(jobs["sweep"].unique())
    shown = table.rename(
        columns={"q05": "5%", "q95": "95%", "p_reach_target": "P(>=target)"}
    ).to_string(
        index=False,
        formatters={
            c: "{:,.0f}".format for c in ("mean", "median", "q05", "q95", "5%", "95%", "target")
        }
        | {"P(>=target)": "{:.2f}".format},
    )
    lines = [f"{len(jobs):,} finished jobs of {sweeps}; marchers in people", shown]
    if not differences.empty:
        diffs = differences.assign(
            ci=[
                f"[{lo:,.0f}, {hi:,.0f}]"
                for lo, hi in zip(differences.ci_low, differences.ci_high, strict=True)
            ]
        )
        lines += [
            f"\npaired differences (same seed and other factors; {CONFIDENCE:.0%} bootstrap CI)",
            diffs[["factor", "level", "reference", "pairs", "mean_difference", "ci"]].to_string(
                index=False, formatters={"mean_difference": "{:+,.0f}".format}
            ),
        ]
    lines.append(f"\nwritten: {out}/ (comparison.csv/.parquet, differences.csv/.parquet, plots)")
    return "\n".join(lines)
