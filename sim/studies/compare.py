"""What a sweep says, per factor level, in people — with uncertainty a reviewer accepts.

The study behind ``strikesim compare``, whose command-line module parses, prints and returns the
exit code: :func:`compare_sweeps` reads and checks everything and returns the data,
:func:`write_outputs` writes the tables, the citable text table and the figures,
:func:`format_report` is the text.

**Reading.** A sweep's ``results.parquet`` (one row per job, every outcome) is read when present:
one file instead of one ``summary.json`` per job. Jobs it does not list as done (a sweep still
running, or one from before the table existed) are read from their own folders, so a running
sweep can be compared (its finished jobs) and an old sweep still compares. The published figure
(``observed`` in each summary: the best figure and its low-high range, scaled per capita) is not
in the table; it does not depend on the seed, so one summary per cell (all overrides but the
seed) is read for it.

**Statistics.** Every number is over replications (seeds), the unit of independent evidence:

- a cell's mean has a 95% confidence interval, by default the seeded percentile bootstrap
  (:data:`BOOTSTRAP_RESAMPLES` resamples: the same sweep gives the same interval), or with
  ``ci="t"`` Student's t interval, whose coverage holds better with fewer than ~10 replications;
- P(outcome >= target) is a proportion of runs; its interval is Wilson's score interval, which,
  unlike the textbook normal one, stays inside [0, 1] and does not collapse to a point when no
  run (or every run) reaches the target;
- a difference between levels is paired: a level is compared with the reference level job by
  job, pairing jobs that share the seed and every other factor. Because every random stream
  derives from the seed (common random numbers), the pairs differ only by the factor, and the
  CI of their mean difference is far narrower than that of a difference between independent
  runs. The same pairing at each level of the other factors gives the interaction table: the
  effect of factor A where B is b1, where B is b2, ... — whether A's effect depends on B.

**Outcomes.** Every numeric outcome of the jobs' summaries is counted on the day at
``scenario.date``; ``marchers@<event id>`` are the marchers of each action day of the runs (the
documented earlier marches and strikes too, :func:`strikesim.studies.tables.event_outcomes`), so
``--outcome marchers@march_2026_01_10`` compares the 10 Jan march across the levels.

**Predictive intervals.** Beside each mean and its CI, a cell gives the median and the central
90% interval of its runs (5th-95th percentile): where the runs will fall, not where their mean
is. What that interval means depends on the behaviour the jobs ran with, which each job's
summary records (``posterior``): with ``behavior.posterior`` set (the shipped behaviour) every
seed draws its own parameter values from the calibrated posterior, so the replications are
posterior predictive draws and the interval is a 90% **predictive interval** — the calibration's
parameter uncertainty plus simulation noise, the range issue #13 asks to quote beside a point
estimate ("marchers 27,000, 90% interval 16,000-44,000"); with a fixed point set
(``behavior=default``) it is the **spread over seeds**, simulation noise only. The report says
which. A paired difference keeps its CI of the mean (a pair shares the seed, hence the draw);
its 90% interval over the pairs is the spread of the effect over draws.

A sweep that varies only the seed is a replication study: its table is the spread of the
replications (mean, sd, CI, quantiles) with no differences.

Bad input (a missing or corrupt sweep, an unknown factor, level or outcome) raises ConfigError
naming the option or file, before anything is written.
"""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
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
from strikesim.engine.outputs import TOTALS
from strikesim.studies import tables
from strikesim.studies.sweep import PLAN, read_plan
from strikesim.viz import style
from strikesim.viz.compare_plots import outcome_name, outcome_unit

BOOTSTRAP_RESAMPLES = 2000
CONFIDENCE = 0.95
DEFAULT_CURVES = 200  # time series read per level: enough for a smooth mean, fast on any sweep
DEFAULT_OUTCOME = "marchers"
CI_METHODS = ("bootstrap", "t")
CI_DESCRIPTIONS = {
    "bootstrap": f"percentile bootstrap over replications ({BOOTSTRAP_RESAMPLES:,} resamples, "
    "seeded)",
    "t": "Student's t interval over replications",
}
OUTCOME_ALIASES = {"strikers": "striking_workers"}
FEW_REPLICATIONS = 10  # below this, the report suggests --ci t
PREDICTIVE = 0.90
"""The central interval of the runs reported beside the mean: 5th-95th percentile."""
FEW_FOR_INTERVAL = 20  # below this a 90% interval's ends are interpolated between the extremes
TEXT_WIDTH = 100  # the header lines of comparison.txt that are wrapped
PREDICTIVE_KIND = "predictive interval over posterior draws"
SEEDS_KIND = "spread over seeds"
# The campaign curve that leads to each outcome: (time-series form, agent type or None, name).
# Outcomes with no campaign counterpart show the projected marchers.
CURVES = {
    "marchers": ("projected_marching", None, "Projected marchers"),
    "committed": ("committed", None, "Committed"),
    "boycotting": ("committed", None, "Committed (boycotting)"),
    "striking_workers": ("committed", "worker", "Committed workers"),
    "k12_walkouts": ("committed", "k12", "Committed K-12 students"),
    "university_walkouts": ("committed", "university", "Committed university students"),
}
PLAN_ALLOWED = f"the {PLAN} written by 'strikesim -m ...'"
SUMMARY_ALLOWED = f"the {results.SUMMARY} of a finished run (seed, marchers, observed.marchers)"
OBSERVED = ("observed", "observed_low", "observed_high")
BEHAVIOUR = ("posterior", "pinned")
"""Per job, from its summary: the posterior it drew from ("" for a fixed point set) and the
behaviour keys it held fixed (comma-separated)."""
NOT_OUTCOMES = {
    "sweep",
    "job",
    "folder",
    "seed",
    "status",
    *OBSERVED,
    *BEHAVIOUR,
    *tables.NOT_OUTCOMES,
}


@dataclass(frozen=True)
class ComparisonResult:
    """Everything a comparison computed, before anything is written.

    ``jobs``: one row per finished job; ``table``: one row per level (cell); ``differences``:
    each level minus its factor's reference level; ``interactions``: the same at each level of
    the other compared factors; ``curves``: mean of the campaign curve per day and level with
    its CI, or None when no time series were read. ``outcome`` is the compared column,
    ``target`` the value given (None: each run's published figure, for marchers), ``ci`` the
    method of the means' intervals (:data:`CI_METHODS`).
    """

    jobs: pd.DataFrame
    by: list[str]
    table: pd.DataFrame
    differences: pd.DataFrame
    curves: pd.DataFrame | None
    outcome: str = DEFAULT_OUTCOME
    target: float | None = None
    ci: str = "bootstrap"
    interactions: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def has_target(self) -> bool:
        """Is there a target to reach: given, or the published figure for marchers?"""
        return self.target is not None or self.outcome == DEFAULT_OUTCOME

    @property
    def posteriors(self) -> list[str]:
        """The posteriors the jobs drew from (empty: every job ran a fixed point set)."""
        names = self.jobs.get("posterior", pd.Series(dtype=str)).fillna("")
        return sorted({str(p) for p in names if p})

    @property
    def interval_kind(self) -> str:
        """What the cells' 90% intervals are: :data:`PREDICTIVE_KIND` when every job drew from
        a posterior, :data:`SEEDS_KIND` when none did, "mixed" otherwise."""
        return _interval_kind(self.jobs)

    @property
    def curve_name(self) -> str:
        """What the campaign curves show (see :data:`CURVES`)."""
        return CURVES.get(self.outcome, CURVES[DEFAULT_OUTCOME])[2]


def compare_sweeps(
    folders: Sequence[Path],
    *,
    by: list[str] | None = None,
    target: float | None = None,
    references: Sequence[str] = (),
    curves: int = DEFAULT_CURVES,
    outcome: str = DEFAULT_OUTCOME,
    ci: str = "bootstrap",
) -> ComparisonResult:
    """Compare the finished jobs of ``folders`` by the factors ``by`` (default: all but seed).

    ``outcome`` is any numeric outcome column (default marchers; :data:`OUTCOME_ALIASES` too);
    ``target`` the value to reach in its unit (default for marchers: each run's published
    figure; other outcomes have none unless given); ``references`` are ``KEY=VALUE`` reference
    levels (default: each factor's first level); ``curves`` the number of time series read per
    level (0: no curves); ``ci`` the method of the means' intervals. Every input is read and
    checked here, so a caller can refuse bad input before writing anything.
    """
    if ci not in CI_METHODS:
        raise ConfigError(f"--ci {ci!r} is not a method; allowed: {', '.join(CI_METHODS)}")
    jobs, factors = load_jobs(folders)
    key = choose_outcome(outcome, jobs, factors, folders)
    chosen = choose_factors(by, factors, folders)
    reference_levels = parse_references(list(references), jobs, chosen)
    return ComparisonResult(
        jobs=jobs,
        by=chosen,
        table=level_table(jobs, chosen, target, outcome=key, ci=ci),
        differences=paired_differences(jobs, chosen, factors, reference_levels, outcome=key, ci=ci),
        interactions=interaction_table(jobs, chosen, factors, reference_levels, outcome=key, ci=ci),
        curves=campaign_curves(jobs, chosen, curves, outcome=key, ci=ci) if curves > 0 else None,
        outcome=key,
        target=target,
        ci=ci,
    )


# --- reading ----------------------------------------------------------------------------------
def load_jobs(folders: Sequence[Path]) -> tuple[pd.DataFrame, list[str]]:
    """One row per finished job: sweep, job, folder, factor values, seed, every numeric outcome,
    and the published figure (``observed``, ``observed_low``, ``observed_high``; scaled)."""
    plans = [(Path(f), read_sweep_plan(Path(f))) for f in folders]
    factors = list(dict.fromkeys(k for _, p in plans for k in p["factors"] if k != "seed"))
    rows = []
    for folder, plan in plans:
        defaults = _fixed_values(folder, plan, factors)
        for row in _sweep_rows(folder, plan):
            values = row.pop("values")
            rows.append(
                {
                    "sweep": folder.name,
                    "job": row.pop("job"),
                    "folder": row.pop("folder"),
                    **{k: values.get(k, defaults.get(k)) for k in factors},
                    **row,
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


def _sweep_rows(folder: Path, plan: dict[str, Any]) -> list[dict[str, Any]]:
    """The finished jobs of one sweep: from its ``results.parquet`` where it lists them as done,
    from their ``summary.json`` otherwise; the published figure read once per cell."""
    done = _results_table(folder, plan)
    rows: list[dict[str, Any]] = []
    need_observed: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for job in plan["jobs"]:
        number, path = job["job"], folder / str(job["job"])
        base = {
            "job": number,
            "folder": str(path),
            "values": dict(o.split("=", 1) for o in job["overrides"]),
        }
        if number in done:
            row = base | done[number]
            cell = tuple(o for o in job["overrides"] if not o.startswith("seed="))
            need_observed.setdefault(cell, []).append(row)
        else:
            if not (path / results.SUMMARY).is_file():
                continue
            summary = read_job_summary(path / results.SUMMARY)  # a corrupt one is refused
            if not results.is_finished(path):
                continue
            row = base | {"seed": summary["seed"], **tables.outcomes(summary)}
            row |= _observed(summary) | _behaviour(summary)
        rows.append(row)
    for cell_rows in need_observed.values():
        observed = _cell_observed(cell_rows)
        for row in cell_rows:
            row |= observed
    return rows


def _results_table(folder: Path, plan: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """Job -> seed and outcomes, of the jobs ``results.parquet`` lists as done.

    Empty when the table is absent, unreadable or not what it should be: the job folders are the
    truth it was built from, and they are read instead (slower, never wrong).
    """
    path = folder / tables.RESULTS
    if not path.is_file():
        return {}
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError, TypeError, pa.ArrowException):
        return {}
    if not {"job", "status", "seed", DEFAULT_OUTCOME} <= set(frame.columns):
        return {}
    numeric = [
        c
        for c in frame.columns
        if c not in plan["factors"]
        and c not in NOT_OUTCOMES
        and pd.api.types.is_numeric_dtype(frame[c])
        and not pd.api.types.is_bool_dtype(frame[c])
    ]
    done = frame.loc[frame["status"] == "done", ["job", "seed", *numeric]]
    if not pd.api.types.is_integer_dtype(done["job"]) or done["seed"].isna().any():
        return {}
    return {
        int(row["job"]): {"seed": int(row["seed"])} | {c: row[c] for c in numeric}
        for row in done.to_dict("records")
    }


def _observed(summary: dict[str, Any]) -> dict[str, float]:
    """The published figure and its range (scaled per capita); NaN where a summary has none."""
    observed = summary.get("observed") or {}
    values = [observed.get("marchers"), observed.get("low"), observed.get("high")]
    return {
        name: float(v) if isinstance(v, int | float) and not isinstance(v, bool) else math.nan
        for name, v in zip(OBSERVED, values, strict=True)
    }


def _behaviour(summary: dict[str, Any]) -> dict[str, str]:
    """The posterior a run drew from ("" for a fixed point set) and the keys it held fixed."""
    posterior = summary.get("posterior")
    if not isinstance(posterior, dict):
        return {"posterior": "", "pinned": ""}
    pinned = posterior.get("pinned") or []
    return {"posterior": str(posterior.get("name") or ""), "pinned": ",".join(map(str, pinned))}


def _cell_observed(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The published figure and the behaviour of a cell (neither depends on the seed), from the
    first of its jobs whose summary is there."""
    for row in rows:
        path = Path(row["folder"]) / results.SUMMARY
        if path.is_file():
            summary = read_job_summary(path)
            return _observed(summary) | _behaviour(summary)
    raise ConfigError(
        f"no {results.SUMMARY} in the job folders of {rows[0]['folder']} and its replications; "
        f"allowed: {SUMMARY_ALLOWED}"
    )


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


# --- choosing -----------------------------------------------------------------------------------
def outcome_columns(jobs: pd.DataFrame, factors: Sequence[str] = ()) -> list[str]:
    """The numeric outcomes every job has (not the ``factors``): the declared ones first.

    Every job, because a mean over the jobs that happen to have a column (a sweep combined with
    one written by an older strikesim) would silently compare other runs than the table says.
    """
    present = [
        c
        for c in jobs.columns
        if c not in NOT_OUTCOMES
        and c not in factors
        and pd.api.types.is_numeric_dtype(jobs[c])
        and not pd.api.types.is_bool_dtype(jobs[c])
        and jobs[c].notna().all()
    ]
    declared = [c for c in TOTALS if c in present]
    return declared + [c for c in present if c not in declared]


def choose_outcome(
    name: str, jobs: pd.DataFrame, factors: Sequence[str], folders: Sequence[Path]
) -> str:
    """The outcome column ``name`` (or its alias), refused in one line listing the allowed."""
    allowed = outcome_columns(jobs, factors)
    key = OUTCOME_ALIASES.get(name, name)
    if key in allowed:
        return key
    aliases = [f"{a} = {k}" for a, k in OUTCOME_ALIASES.items() if k in allowed]
    raise ConfigError(
        f"--outcome {name!r} is not a numeric outcome of every job of "
        f"{', '.join(map(str, folders))}; allowed: {', '.join(allowed)}"
        + (f" (aliases: {', '.join(aliases)})" if aliases else "")
    )


def choose_factors(by: list[str] | None, factors: list[str], folders: Sequence[Path]) -> list[str]:
    """The factors to compare by: ``by`` if each is swept (refused otherwise), else all.

    A sweep that varies only the seed compares nothing: its one cell is the replication spread
    (several such sweeps: one cell per sweep, paired by seed).
    """
    swept = ", ".join([*factors, "seed"])
    if by is None:
        if not factors:
            return ["sweep"] if len({Path(f).name for f in folders}) > 1 else []
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


def groups(jobs: pd.DataFrame, by: list[str]) -> Iterator[tuple[tuple, pd.DataFrame]]:
    """(level values, rows) per level of ``by``, in level order; no factor: one group of all."""
    if not by:
        yield (), jobs
        return
    for key, group in jobs.groupby(by, observed=True, sort=True):
        yield (key if isinstance(key, tuple) else (key,)), group


# --- statistics ---------------------------------------------------------------------------------
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


def t_ci(values: np.ndarray) -> tuple[float, float]:
    """Student's t CI of the mean: mean ± t(0.975, n-1) · sd / √n."""
    n = len(values)
    if n < 2:
        return np.nan, np.nan
    mean, sd = float(np.mean(values)), float(np.std(values, ddof=1))
    half = stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1) * sd / math.sqrt(n)
    return mean - half, mean + half


def mean_ci(values: np.ndarray, method: str = "bootstrap") -> tuple[float, float]:
    """The 95% CI of the mean of ``values`` by ``method`` (:data:`CI_METHODS`)."""
    values = np.asarray(values, float)
    return t_ci(values) if method == "t" else bootstrap_ci(values)


def wilson_interval(successes: int, trials: int) -> tuple[float, float]:
    """Wilson's score interval of a proportion (95%): inside [0, 1], never of zero width.

    With ``z`` the normal quantile and ``p = k / n``: centre ``(p + z²/2n) / (1 + z²/n)``,
    half-width ``z √(p(1-p)/n + z²/4n²) / (1 + z²/n)``.
    """
    if trials <= 0:
        return np.nan, np.nan
    z = float(stats.norm.ppf(0.5 + CONFIDENCE / 2))
    p, n = successes / trials, trials
    denominator = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denominator
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact ends, not 5e-17
    return low, 1.0 if successes == trials else min(1.0, centre + half)


def _interval_kind(jobs: pd.DataFrame) -> str:
    """What a 90% interval over these jobs is: a predictive interval when each drew its
    parameters from a posterior, the spread over seeds when none did (jobs read before
    summaries recorded it count as a fixed point set), "mixed" otherwise."""
    if "posterior" not in jobs:
        return SEEDS_KIND
    drew = jobs["posterior"].fillna("").astype(str) != ""
    if drew.all():
        return PREDICTIVE_KIND
    return SEEDS_KIND if not drew.any() else "mixed"


def targets(jobs: pd.DataFrame, outcome: str, target: float | None) -> pd.Series | None:
    """The value each run should reach: ``target``, else its published figure for marchers."""
    if target is not None:
        return pd.Series(float(target), index=jobs.index)
    if outcome == DEFAULT_OUTCOME:
        return jobs["observed"].astype(float)
    return None


def describe(values: np.ndarray, goal: np.ndarray | None, ci: str) -> dict[str, float]:
    """A cell's numbers: runs, mean and its CI, sd, quantiles (q05-q95: the central 90%
    interval of the runs, :data:`PREDICTIVE`), P(>= target) and its interval."""
    values = np.asarray(values, float)
    n = len(values)
    low, high = mean_ci(values, ci)
    q05, q25, q50, q75, q95 = np.quantile(values, [0.05, 0.25, 0.5, 0.75, 0.95])
    row = {
        "runs": n,
        "mean": float(values.mean()),
        "ci_low": low,
        "ci_high": high,
        "sd": float(values.std(ddof=1)) if n > 1 else np.nan,
        "median": q50,
        "q05": q05,
        "q25": q25,
        "q75": q75,
        "q95": q95,
        "target": np.nan,
        "reached": np.nan,
        "p_reach_target": np.nan,
        "p_low": np.nan,
        "p_high": np.nan,
    }
    if goal is not None:
        reached = int(np.count_nonzero(values >= goal))
        p_low, p_high = wilson_interval(reached, n)
        row |= {
            "target": float(np.mean(goal)),
            "reached": reached,
            "p_reach_target": reached / n,
            "p_low": p_low,
            "p_high": p_high,
        }
    return row


def level_table(
    jobs: pd.DataFrame,
    by: list[str],
    target: float | None,
    *,
    outcome: str = DEFAULT_OUTCOME,
    ci: str = "bootstrap",
) -> pd.DataFrame:
    """One row per level (cell) of ``by``: the numbers of :func:`describe`, the published
    figure (marchers), what its q05-q95 interval is (``interval``: :data:`PREDICTIVE_KIND` or
    :data:`SEEDS_KIND`), the outcome and the CI method. No factor: one row, the replications."""
    goal = targets(jobs, outcome, target)
    rows = []
    for values, group in groups(jobs, by):
        row: dict[str, Any] = dict(zip(by, values, strict=True))
        row |= describe(
            group[outcome].to_numpy(float),
            None if goal is None else goal.loc[group.index].to_numpy(float),
            ci,
        )
        if outcome == DEFAULT_OUTCOME:
            row |= {name: float(group[name].mean()) for name in OBSERVED if name in group}
        row |= {"interval": _interval_kind(group)}
        rows.append(row | {"outcome": outcome, "ci_method": ci})
    table = pd.DataFrame(rows)
    for key in by:  # labels keep the sweep's order (a heatmap, a re-read table)
        if isinstance(jobs[key].dtype, pd.CategoricalDtype):
            table[key] = pd.Categorical(table[key], categories=jobs[key].cat.categories)
    return table


DIFFERENCE_COLUMNS = [
    "pairs",
    "mean_difference",
    "sd_difference",
    "ci_low",
    "ci_high",
    "q05",
    "q95",
]
"""``q05``-``q95``: the central 90% interval of the paired differences themselves — over
posterior draws, how much the effect varies with the parameters (the CI is of its mean)."""


def raw_level(value: object) -> str:
    """A level as the tables store it: the override's text (``-20``, not ``-20.0``)."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _paired(
    jobs: pd.DataFrame,
    key: str,
    pair_on: list[str],
    reference: object,
    levels: list,
    outcome: str,
    ci: str,
) -> Iterator[dict[str, Any]]:
    """Each level of ``key`` minus ``reference`` over the jobs matched on ``pair_on``."""
    unique = jobs.drop_duplicates([*pair_on, key])
    ref = unique[unique[key] == reference][[*pair_on, outcome]]
    for level in levels:
        if level == reference:
            continue
        pairs = unique[unique[key] == level].merge(ref, on=pair_on, suffixes=("", "_ref"))
        diff = (pairs[outcome] - pairs[f"{outcome}_ref"]).to_numpy(float)
        low, high = mean_ci(diff, ci)
        q05, q95 = np.quantile(diff, [0.05, 0.95]) if len(diff) else (np.nan, np.nan)
        yield {
            "level": raw_level(level),
            "reference": raw_level(reference),
            "pairs": len(diff),
            "mean_difference": diff.mean() if len(diff) else np.nan,
            "sd_difference": diff.std(ddof=1) if len(diff) > 1 else np.nan,
            "ci_low": low,
            "ci_high": high,
            "q05": float(q05),
            "q95": float(q95),
        }


def paired_differences(
    jobs: pd.DataFrame,
    by: list[str],
    factors: list[str],
    references: dict[str, object],
    *,
    outcome: str = DEFAULT_OUTCOME,
    ci: str = "bootstrap",
) -> pd.DataFrame:
    """Each level minus the reference level, pairing jobs with the same seed and other factors."""
    rows = []
    for key in by:
        pair_on = [k for k in factors if k != key] + ["seed"]
        for row in _paired(jobs, key, pair_on, references[key], _levels(jobs[key]), outcome, ci):
            rows.append({"factor": key, **row, "outcome": outcome, "ci_method": ci})
    columns = ["factor", "level", "reference", *DIFFERENCE_COLUMNS, "outcome", "ci_method"]
    return pd.DataFrame(rows, columns=columns)


def interaction_table(
    jobs: pd.DataFrame,
    by: list[str],
    factors: list[str],
    references: dict[str, object],
    *,
    outcome: str = DEFAULT_OUTCOME,
    ci: str = "bootstrap",
) -> pd.DataFrame:
    """The paired differences of each factor at each level of the other compared factors.

    Row (A, a, a0, at B=b): the mean over seeds (and any factor not compared) of
    ``outcome(A=a, B=b) - outcome(A=a0, B=b)``, paired like :func:`paired_differences`. A's
    effect that changes with b is an interaction of A and B. ``at`` names the other factors'
    levels (``coalition=broad``); each also has its own column (empty on its own rows).
    """
    rows = []
    for key in by:
        others = [k for k in by if k != key]
        if not others:
            continue
        pair_on = [k for k in factors if k != key] + ["seed"]
        levels = _levels(jobs[key])
        for values, subset in groups(jobs, others):
            at = dict(zip(others, values, strict=True))
            where = ", ".join(f"{k}={raw_level(v)}" for k, v in at.items())
            for row in _paired(subset, key, pair_on, references[key], levels, outcome, ci):
                if row["pairs"]:
                    rows.append({"factor": key, **row, "at": where, **at})
    columns = ["factor", "level", "reference", "at", *by, *DIFFERENCE_COLUMNS]
    table = pd.DataFrame(rows, columns=columns)
    for key in by:  # a factor's own rows leave its column empty: keep numbers as numbers
        table[key] = table[key].astype(object).where(table[key].notna(), None)
    return table.assign(outcome=outcome, ci_method=ci)


# --- campaign curves ----------------------------------------------------------------------------
def campaign_curves(
    jobs: pd.DataFrame,
    by: list[str],
    per_level: int,
    *,
    outcome: str = DEFAULT_OUTCOME,
    ci: str = "bootstrap",
) -> pd.DataFrame:
    """Mean of the outcome's campaign curve (:data:`CURVES`) per day and level, with its CI,
    from at most ``per_level`` jobs each.

    Each level's files are read in one pyarrow scan that keeps only the rows and columns the
    curve needs; its batches name their file, which gives each job's daily total. Read before
    anything is written: a missing or corrupt time series is refused in one line, not found
    halfway through the outputs.
    """
    form, kind, _ = CURVES.get(outcome, CURVES[DEFAULT_OUTCOME])
    curves = []
    for values, group in groups(jobs, by):
        sample = group.head(per_level)
        paths = [Path(f) / results.TIMESERIES for f in sample["folder"]]
        name = ", ".join(f"{k}={v}" for k, v in zip(by, values, strict=True)) or "all runs"
        days, matrix = _daily_by_job(paths, name, form, kind)
        low, high = _column_cis(matrix, ci)
        curves.append(
            pd.DataFrame(
                {
                    "day": days,
                    "people": matrix.mean(axis=0) if len(days) else [],
                    "ci_low": low,
                    "ci_high": high,
                    "runs": len(paths),
                    **dict(zip(by, values, strict=True)),
                }
            )
        )
    return pd.concat(curves, ignore_index=True)


def _daily_by_job(
    paths: list[Path], level: str, form: str, kind: str | None
) -> tuple[np.ndarray, np.ndarray]:
    """Days, and people of ``form`` (of agent type ``kind``) per job (row) and day (column).

    Batches go straight into one matrix (numpy, no DataFrame per file): a level of 200 jobs is
    200 files, and a DataFrame each would cost more than reading them.
    """
    wanted = (ds.field("phase") == "campaign") & (ds.field("form") == form)
    if kind is not None:
        wanted &= ds.field("agent_type") == kind
    rows: dict[str, int] = {}
    parts: list[tuple[int, np.ndarray, np.ndarray]] = []
    try:
        scanner = ds.dataset([str(p) for p in paths], format="parquet").scanner(
            columns=["day", "people"], filter=wanted
        )
        for batch in scanner.scan_batches():
            found = batch.record_batch
            if not found.num_rows:
                continue
            row = rows.setdefault(batch.fragment.path, len(rows))
            day, people = (
                np.asarray(found.column(name).to_numpy(zero_copy_only=False), dtype=float)
                for name in ("day", "people")
            )
            if np.isnan(day).any():
                raise ValueError("a day is missing")
            parts.append((row, day, people))
    except (OSError, ValueError, TypeError, KeyError, pa.ArrowException) as exc:
        raise ConfigError(
            f"the time series of level {level} ({len(paths)} jobs, e.g. {paths[0]}) cannot be "
            f"read ({_first_line(exc)}); allowed: the {results.TIMESERIES} of finished jobs, "
            "or --curves 0"
        ) from None
    if not parts:
        return np.array([], int), np.zeros((len(paths), 0))
    days = np.unique(np.concatenate([day for _, day, _ in parts]))
    matrix = np.zeros((len(paths), len(days)))  # a job with no such rows counts 0 people
    for row, day, people in parts:
        np.add.at(matrix, (row, np.searchsorted(days, day)), people)
    return days.astype(int), matrix


def _column_cis(matrix: np.ndarray, ci: str) -> tuple[np.ndarray, np.ndarray]:
    """The CI of each column's mean (rows: replications), by the method of the tables."""
    runs, days = matrix.shape
    if runs < 2 or not days:
        return np.full(days, np.nan), np.full(days, np.nan)
    if ci == "t":
        half = (
            stats.t.ppf(0.5 + CONFIDENCE / 2, runs - 1)
            * matrix.std(axis=0, ddof=1)
            / math.sqrt(runs)
        )
        return matrix.mean(axis=0) - half, matrix.mean(axis=0) + half
    varying = ~np.all(matrix == matrix[0], axis=0)
    low, high = matrix[0].astype(float).copy(), matrix[0].astype(float).copy()
    if varying.any():
        interval = stats.bootstrap(
            (matrix[:, varying],),
            np.mean,
            axis=0,
            n_resamples=BOOTSTRAP_RESAMPLES,
            confidence_level=CONFIDENCE,
            method="percentile",
            batch=max(1, 2_000_000 // max(1, matrix.size)),
            rng=np.random.default_rng(0),
        ).confidence_interval
        low[varying], high[varying] = interval.low, interval.high
    return low, high


# --- writing ------------------------------------------------------------------------------------
def write_outputs(out: Path, result: ComparisonResult) -> list[Path]:
    """Write the tables (CSV and Parquet), ``comparison.txt`` and the figures (PNG and SVG)
    into ``out``; return the files written.

    Each file is written atomically, so an OSError (a full disk) leaves no half-written file.
    """
    from strikesim.viz import compare_plots

    written = []
    frames = (
        ("comparison", result.table),
        ("differences", result.differences),
        ("interactions", result.interactions),
    )
    for name, frame in frames:
        results.atomic_write(out / f"{name}.csv", lambda tmp, f=frame: f.to_csv(tmp, index=False))
        results.write_parquet(out / f"{name}.parquet", frame)
        written += [out / f"{name}.csv", out / f"{name}.parquet"]
    results.write_text(out / "comparison.txt", format_tables(result) + "\n")
    written.append(out / "comparison.txt")
    written += compare_plots.plot_distribution(
        result.jobs,
        result.by,
        out / "distribution.png",
        outcome=result.outcome,
        table=result.table,
        show_target=result.has_target,
        predictive=result.interval_kind == PREDICTIVE_KIND,
    )
    if len(result.by) >= 2:
        pair = result.by[:2]
        cells = (
            result.table
            if len(result.by) == 2
            else level_table(result.jobs, pair, result.target, outcome=result.outcome, ci=result.ci)
        )
        written += compare_plots.plot_heatmap(
            cells, pair, out / "heatmap.png", outcome=result.outcome
        )
    if result.curves is not None:
        marchers = result.outcome == DEFAULT_OUTCOME
        written += compare_plots.plot_curves(
            result.curves,
            result.by,
            out / "curves.png",
            label=f"{result.curve_name} ({outcome_unit(result.outcome) or 'people'})",
            target=_one_target(result) if result.outcome in CURVES else None,
            observed=_one_range(result.jobs) if marchers else None,
        )
    if not result.differences.empty:
        written += compare_plots.plot_effects(
            result.differences, result.interactions, out / "effects.png", outcome=result.outcome
        )
    return written


def _one_target(result: ComparisonResult) -> float | None:
    """The target as one number across all levels: given, or the one published figure."""
    if result.target is not None:
        return float(result.target)
    observed = result.jobs["observed"].dropna().unique() if result.has_target else []
    return float(observed[0]) if len(observed) == 1 else None


def _one_range(jobs: pd.DataFrame) -> tuple[float, float] | None:
    """The published low-high range (per capita) when known and the same for every job; a
    sweep over populations has one range per population, drawn per level instead."""
    ranges = jobs[["observed_low", "observed_high"]].drop_duplicates()
    if len(ranges) != 1 or ranges.isna().to_numpy().any():
        return None
    low, high = ranges.iloc[0]
    return float(low), float(high)


# --- text ---------------------------------------------------------------------------------------
def text_table(header: list[str], rows: list[list[str]], right: list[bool]) -> str:
    """Columns aligned (numbers right, words left) under a rule: a table to paste and cite."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        padded = [
            c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right, strict=True)
        ]
        return "  ".join(padded).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def level_text(value: object) -> str:
    """A factor level as a table shows it: numbers with thousands separators."""
    return style.level_text(value)


def format_tables(result: ComparisonResult) -> str:
    """The comparison as text a paper can cite: the cells, then the paired differences and
    their interactions; units, CI methods and the target stated above each table."""
    jobs, table = result.jobs, result.table
    unit = outcome_unit(result.outcome)
    places = style.decimals(table["mean"], unit)
    in_unit = f", in {unit}" if style.is_count(unit) and unit else f" ({unit})" if unit else ""
    sweeps = ", ".join(jobs["sweep"].unique())
    method = CI_DESCRIPTIONS[result.ci]
    lines = [
        f"{outcome_name(result.outcome)}{in_unit}: {len(jobs):,} finished jobs of {sweeps}",
        f"Mean: {CONFIDENCE:.0%} CI, {method}.",
        *textwrap.wrap(interval_text(result), TEXT_WIDTH),
    ]
    if result.has_target:
        if result.target is not None:
            goal = style.number(result.target, style.decimals([result.target], unit))
            goal += f" {unit}" if unit else ""
        else:
            goal = "each run's published figure per capita"
        lines.append(
            f"P(>= target): share of runs reaching the target ({goal}); "
            f"{CONFIDENCE:.0%} Wilson score interval."
        )
    fewest = int(table["runs"].min())
    if result.ci == "bootstrap" and fewest < FEW_REPLICATIONS:
        lines.append(
            f"Note: {fewest} replications in the smallest cell; below ~10, percentile bootstrap "
            "intervals are too narrow (see --ci t)."
        )
    if fewest < FEW_FOR_INTERVAL:
        lines.append(
            f"Note: {fewest} runs in the smallest cell; a {PREDICTIVE:.0%} interval's ends rest "
            f"on data from ~{FEW_FOR_INTERVAL} runs up (below, they are interpolated between the "
            "extremes)."
        )
    if not result.by:
        lines.append(f"No factor but the seed varies: the spread of {len(jobs):,} replications.")
    lines += ["", _cells_text(result, places), ""]
    if not result.differences.empty:
        over = "posterior draws" if result.interval_kind == PREDICTIVE_KIND else "pairs"
        lines += [
            "Paired differences: each level minus the reference level, runs paired by seed and "
            "every other factor",
            f"(common random numbers); {CONFIDENCE:.0%} CI of the mean, {method};",
            f"{PREDICTIVE:.0%} interval: 5th-95th percentile of the paired differences over "
            f"{over}.",
            _differences_text(result.differences, unit, []),
            "",
        ]
    if not result.interactions.empty:
        lines += [
            "Interactions: the paired difference of each factor at each level of the other "
            "compared factors.",
            _differences_text(result.interactions, unit, result.by),
            "",
        ]
    return "\n".join(lines).rstrip()


def interval_text(result: ComparisonResult) -> str:
    """The line that says what the cells' 90% intervals are: a predictive interval over
    posterior draws, or the spread over seeds of a fixed point set — the same numbers mean
    different things, and a reader quoting one must know which."""
    share = f"{PREDICTIVE:.0%} interval: 5th-95th percentile of the runs"
    kind = result.interval_kind
    if kind == PREDICTIVE_KIND:
        held_keys = result.jobs.get("pinned", pd.Series(dtype=str)).fillna("")
        pinned = sorted({k for p in held_keys for k in str(p).split(",") if k})
        held = f"; held fixed: {', '.join(pinned)}" if pinned else ""
        return (
            f"{share}, a {PREDICTIVE_KIND} (behavior.posterior={', '.join(result.posteriors)}: "
            f"each seed draws its parameters; parameter uncertainty plus simulation noise{held})."
        )
    if kind == SEEDS_KIND:
        return (
            f"{share}, the {SEEDS_KIND} (a fixed point set, no behavior.posterior: simulation "
            "noise only, not a predictive interval)."
        )
    return (
        f"{share}; some jobs drew from a posterior and some did not: a cell's interval is a "
        f"{PREDICTIVE_KIND} or the {SEEDS_KIND} as comparison.csv's 'interval' column says."
    )


def _cells_text(result: ComparisonResult, places: int) -> str:
    table, by = result.table, result.by
    header = [style.factor_label(k) for k in by] + ["Runs", "Mean", f"{CONFIDENCE:.0%} CI", "SD"]
    intervals = [("q05", "q95", f"{PREDICTIVE:.0%} interval")]
    if not by:
        intervals.insert(0, ("q25", "q75", "50% interval"))
    header += ["Median", *(name for *_, name in intervals)]
    unit = outcome_unit(result.outcome)
    if result.has_target:
        header += ["Target", "P(>= target)", f"{CONFIDENCE:.0%} CI"]
    rows = []
    for _, row in table.iterrows():
        cells = [level_text(row[k]) for k in by]
        cells += [
            f"{int(row['runs']):,}",
            style.number(row["mean"], places),
            style.interval(row["ci_low"], row["ci_high"], places),
            style.number(row["sd"], places),
        ]
        cells.append(style.number(row["median"], places))
        cells += [style.interval(row[low], row[high], places) for low, high, _ in intervals]
        if result.has_target:
            cells += [
                style.number(row["target"], style.decimals(table["target"], unit)),
                style.number(row["p_reach_target"], 2),
                style.interval(row["p_low"], row["p_high"], 2),
            ]
        rows.append(cells)
    numeric = [pd.api.types.is_numeric_dtype(table[k]) for k in by]  # numbers align right
    return text_table(header, rows, numeric + [True] * (len(header) - len(by)))


def _differences_text(frame: pd.DataFrame, unit: str, at: list[str]) -> str:
    """Paired differences as a text table; ``at``: the factors an interaction row is at."""
    places = style.decimals(frame["mean_difference"], unit)
    header = ["Factor", "Level", "Reference"] + (["At"] if at else [])
    header += ["Pairs", "Difference", f"{CONFIDENCE:.0%} CI", f"{PREDICTIVE:.0%} interval"]
    rows = []
    for _, row in frame.iterrows():
        cells = [style.factor_label(row["factor"]), row["level"], row["reference"]]
        if at:
            where = [k for k in at if k != row["factor"]]
            cells.append(
                ", ".join(f"{style.factor_label(k)} = {level_text(row[k])}" for k in where)
            )
        cells += [
            f"{int(row['pairs']):,}",
            style.number(row["mean_difference"], places, sign=True),
            style.interval(row["ci_low"], row["ci_high"], places, sign=True),
            style.interval(row["q05"], row["q95"], places, sign=True),
        ]
        rows.append(cells)
    right = [False] * (4 if at else 3) + [True] * 4
    return text_table(header, rows, right)


def format_report(result: ComparisonResult, out: Path) -> str:
    """What the command prints: :func:`format_tables`, then where the files are."""
    return (
        f"{format_tables(result)}\n\nwritten: {out}/ (comparison.txt, comparison.csv/.parquet, "
        "differences.csv/.parquet, interactions.csv/.parquet, figures as .png and .svg)"
    )
