"""Sweeps that resume: a folder per sweep command, a folder per finished job, failures at once.

Hydra expands ``strikesim -m KEY=V1,V2 ...`` into jobs and launches them (one after another, or
with ``hydra/launcher=joblib``, ``ray`` or ``submitit_slurm``); this module adds what Hydra lacks:

- **One folder per sweep, found again by the same command.** The folder is
  ``results/sweeps/<label>-<digest>``, the digest a hash of the ordered list of jobs (each job's
  overrides). The same command — or an experiment preset that expands to the same jobs — lands in
  the same folder and resumes; two different sweeps never share a folder, whenever they start.
  ``hydra.sweep.dir=DIR`` picks a folder by hand (a fresh one, or one to resume).
- **A job folder appears only when the job is complete.** Hydra runs each job in
  ``<sweep>/.staging/<n>/``; the finished run folder (what :func:`strikesim.run.save_run` writes,
  plus Hydra's ``.hydra/``) is renamed to ``<sweep>/<n>/`` in one step. A SIGKILL leaves at most a
  hidden staging folder, which the next attempt clears.
- **Resume.** A job whose ``<n>/summary.json`` exists is skipped; failed and interrupted jobs run
  again.
- **Failures reported at once.** A failing job prints one line to stderr, records its error in
  ``<sweep>/.status/<n>.json`` (atomically; one file per job, so parallel jobs never write the same
  file) and the sweep goes on. ``index.csv`` (job, status, factors, marchers, error) is rebuilt
  from those records when the sweep ends; the command exits 1 if any job failed.

Replications and common random numbers: a replication is a value of ``seed``
(``seed=range(0,20)``). Every random stream of a run is ``SeedSequence(seed, spawn_key=(purpose,))``
(:mod:`strikesim.streams`), so jobs with the same seed share population, network, thresholds and
march draws whatever the other factors are, and different seeds give independent streams. The
seed is used as given — not re-derived — so any job reruns alone from the overrides in the index.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import sys
import time
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from hydra import compose, initialize_config_module
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

import strikesim
from strikesim import results
from strikesim.cli import bad_input
from strikesim.config import ConfigError, StrikeConfig

SWEEPS_ROOT = Path("results/sweeps")
PLAN = "sweep.json"
INDEX = "index.csv"
STAGING = ".staging"
STATUS = ".status"
SESSION = ".session.json"
EXIT_JOBS_FAILED = 1


@dataclass
class SweepPlan:
    """The jobs a sweep command expands to, in Hydra's order, and where they go."""

    folder: Path
    jobs: list[list[str]]  # each job's overrides, as Hydra passes them to the job
    factors: dict[str, list[str]]  # keys that vary across jobs -> their values, in order
    command: str

    def to_json(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "factors": self.factors,
            "fixed": [o for o in self.jobs[0] if _key(o) not in self.factors],
            "jobs": [{"job": n, "overrides": o} for n, o in enumerate(self.jobs)],
        }


def is_multirun(args: Sequence[str]) -> bool:
    """A sweep we run ourselves: ``-m``/``--multirun`` without Hydra's other ``--`` options."""
    flags = {a for a in args if a.startswith("-")}
    return bool(flags & {"-m", "--multirun"}) and flags <= {"-m", "--multirun"}


def _key(override: str) -> str:
    return override.split("=", 1)[0]


def _is_hydra(override: str) -> bool:
    return override.lstrip("+~").startswith(("hydra.", "hydra/"))


def plan_sweep(args: Sequence[str], root: Path = SWEEPS_ROOT) -> SweepPlan:
    """Expand a sweep command exactly as Hydra's basic sweeper will, and validate every value.

    The sweep's parameters are an experiment preset's ``hydra.sweeper.params`` followed by the
    command line's overrides (a later value of a key replaces an earlier one, as in Hydra).
    """
    from strikesim.cli import CONFIG_MODULE, explain, preflight

    words = [a for a in args if not a.startswith("-")]
    hydra_args = [a for a in words if _is_hydra(a)]
    task = [a for a in words if not _is_hydra(a)]
    parser = OverridesParser.create()
    try:
        parsed = parser.parse_overrides(task)
        first = [
            f"{o.get_key_element()}={next(iter(o.sweep_string_iterator()))}"
            if o.is_sweep_override()
            else o.input_line
            for o in parsed
        ]
        with initialize_config_module(CONFIG_MODULE, version_base="1.3"):
            cfg = compose("config", [*first, *hydra_args], return_hydra_config=True)
        params = [f"{k}={v}" for k, v in (cfg.hydra.sweeper.params or {}).items()]
        expanded = [*params, *task]
        (jobs,) = BasicSweeper.split_arguments(parser.parse_overrides(expanded), None)
    except (HydraException, OmegaConfBaseException) as exc:
        raise ConfigError(explain(exc)) from None
    preflight(expanded)
    factors = {
        _key(o): list(dict.fromkeys(job[i].split("=", 1)[1] for job in jobs))
        for i, o in enumerate(jobs[0])
    }
    factors = {k: v for k, v in factors.items() if len(v) > 1}
    explicit = [a.split("=", 1)[1] for a in hydra_args if _key(a) == "hydra.sweep.dir"]
    folder = Path(explicit[-1]) if explicit else root / sweep_name(jobs, factors, task)
    return SweepPlan(folder, jobs, factors, " ".join(["strikesim", *args]))


def sweep_name(jobs: list[list[str]], factors: dict[str, list[str]], task: list[str]) -> str:
    """``<experiment or swept keys>-<hash of the jobs>``: stable for a sweep, distinct across."""
    digest = jobs_digest(jobs)
    experiment = [a.split("=", 1)[1] for a in task if _key(a) == "experiment"]
    label = experiment[-1] if experiment else "-".join(k.rpartition(".")[2] for k in factors)
    label = re.sub(r"[^A-Za-z0-9_.-]+", "_", label)[:60] or "sweep"
    return f"{label}-{digest}"


def same_jobs(jobs: list[list[str]]) -> list[list[str]]:
    """The identity of a sweep: its jobs in order, each job's overrides sorted.

    The order of the jobs matters (job ``n`` must mean the same run when resumed); the order of
    the fixed overrides on the command line does not.
    """
    return [sorted(job) for job in jobs]


def jobs_digest(jobs: list[list[str]]) -> str:
    """A short hash of :func:`same_jobs`: the sweep's folder name."""
    return hashlib.sha256(json.dumps(same_jobs(jobs)).encode()).hexdigest()[:10]


def open_sweep(plan: SweepPlan) -> list[int]:
    """Create or reopen the sweep folder; return the jobs still to run.

    Refuses (ConfigError, nothing written) a folder that holds another sweep or something else.
    """
    folder, record = plan.folder, plan.to_json()
    if (folder / PLAN).is_file():
        recorded = json.loads((folder / PLAN).read_text())
        if same_jobs([j["overrides"] for j in recorded["jobs"]]) != same_jobs(plan.jobs):
            raise ConfigError(
                f"hydra.sweep.dir={str(folder)!r} holds a different sweep "
                f"({recorded['command']!r}); allowed: a new folder, or the same sweep to resume it"
            )
    elif folder.exists() and any(folder.iterdir()):
        raise ConfigError(
            f"hydra.sweep.dir={str(folder)!r} exists and is not a strikesim sweep; "
            "allowed: a new or empty folder"
        )
    else:
        record["created"] = datetime.now(UTC).isoformat(timespec="seconds")
        record["strikesim"] = strikesim.__version__
        results.write_json(folder / PLAN, record)
    return [n for n in range(len(plan.jobs)) if not results.is_finished(folder / str(n))]


def run_sweep(args: Sequence[str], launch: Callable[[], Any]) -> int:
    """``strikesim -m ...``: plan, open the folder, let Hydra launch the jobs, write the index."""
    try:
        plan = plan_sweep(args)
        to_run = open_sweep(plan)
    except ConfigError as exc:
        return bad_input(exc)
    total, folder = len(plan.jobs), plan.folder
    print(
        f"strikesim: sweep {folder}: {total} jobs, {total - len(to_run)} already finished, "
        f"{len(to_run)} to run",
        flush=True,
    )
    if to_run:
        start_session(plan, to_run)
        explicit = any(_key(a) == "hydra.sweep.dir" for a in args)
        sys.argv = ["strikesim", *args, *([] if explicit else [f"hydra.sweep.dir={folder}"])]
        try:
            launch()
        except SystemExit as exc:  # Hydra gave up (a worker died, a launcher error): keep the index
            finish_sweep(folder)
            return exc.code if isinstance(exc.code, int) and exc.code else EXIT_JOBS_FAILED
    return finish_sweep(folder)


def start_session(plan: SweepPlan, to_run: list[int]) -> None:
    """Record this attempt's start and jobs, for the progress lines of the jobs."""
    session = {"started": time.time(), "to_run": to_run, "factors": list(plan.factors)}
    results.write_json(plan.folder / SESSION, session)


def finish_sweep(folder: Path) -> int:
    """Write the index, print the tally; exit code 1 if any job failed."""
    index = write_index(folder)
    counts = index["status"].value_counts()
    tally = ", ".join(f"{counts[s]} {s}" for s in ("done", "failed", "interrupted") if s in counts)
    print(f"strikesim: {folder}: {tally} (index.csv)", flush=True)
    if counts.get("failed", 0):
        print(
            f"strikesim: {counts['failed']} of {len(index)} jobs failed; run the same command "
            "again to retry them",
            file=sys.stderr,
        )
        return EXIT_JOBS_FAILED
    return 0


def run_job(cfg: DictConfig) -> float | None:
    """Hydra's task in a sweep: skip if finished, else run; never let one failure stop the rest."""
    from strikesim.cli import to_config

    hc = HydraConfig.get()
    folder, num = Path(hc.sweep.dir), int(hc.job.num)
    return execute_job(
        folder, num, list(hc.overrides.task), lambda: to_config(cfg), Path(hc.runtime.output_dir)
    )


def execute_job(
    folder: Path,
    num: int,
    overrides: list[str],
    make_config: Callable[[], StrikeConfig],
    staging: Path,
) -> float | None:
    """Run job ``num`` of the sweep in ``folder`` in ``staging``, then publish it as ``<num>/``.

    Returns the marchers, or None when the job failed (its error is recorded and printed).
    """
    from strikesim.run import save_run, simulate

    final = folder / str(num)
    if results.is_finished(final):
        shutil.rmtree(staging, ignore_errors=True)
        return float(results.read_summary(final)["marchers"])
    _clear_staging(staging)
    record: dict[str, Any] = {
        "job": num,
        "overrides": overrides,
        "status": "running",
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }
    write_status(folder, record)
    start = time.perf_counter()
    try:
        result = simulate(make_config())
        save_run(result, staging)
        _publish(staging, final)
    except Exception as exc:
        shutil.rmtree(staging, ignore_errors=True)  # staging holds only running or killed jobs
        error = _one_line(exc)
        write_status(folder, {**record, "status": "failed", "error": error, **_elapsed(start)})
        print(
            f"strikesim: job {num} failed ({_label(folder, overrides)}): {error}", file=sys.stderr
        )
        sys.stderr.flush()
        return None
    marchers = result.summary["marchers"]
    write_status(folder, {**record, "status": "done", "marchers": marchers, **_elapsed(start)})
    print(_progress(folder, num, overrides, marchers, time.perf_counter() - start), flush=True)
    return float(marchers)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    kind = "config error" if isinstance(exc, ConfigError) else type(exc).__name__
    return f"{kind}: {text[0]}" if text else kind


def _elapsed(start: float) -> dict[str, float]:
    return {"elapsed_s": round(time.perf_counter() - start, 3)}


def _clear_staging(staging: Path) -> None:
    """Remove what a killed attempt left, keeping the ``.hydra/`` Hydra just wrote for this one."""
    staging.mkdir(parents=True, exist_ok=True)
    for path in staging.iterdir():
        if path.name != ".hydra":
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def _publish(staging: Path, final: Path) -> None:
    """Rename the complete job folder into place (atomic; replaces at most an empty folder)."""
    try:
        os.rename(staging, final)
    except OSError:
        if not results.is_finished(final):  # a twin process finished it first: keep theirs
            raise
        shutil.rmtree(staging, ignore_errors=True)


def write_status(folder: Path, record: dict[str, Any]) -> None:
    results.write_json(folder / STATUS / f"{record['job']}.json", record)


def _session(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / SESSION).read_text())
    except (OSError, ValueError):
        return {}


def _label(folder: Path, overrides: list[str]) -> str:
    factors = set(_session(folder).get("factors", []))
    return " ".join(o for o in overrides if _key(o) in factors) or " ".join(overrides)


def _progress(folder: Path, num: int, overrides: list[str], marchers: int, took: float) -> str:
    """``[ 3/12] job 7 ...  1,234 marchers, 0.4 s | elapsed 0:00:05, ~0:00:12 left``.

    The position counts this session's jobs up to ``num``: exact with the basic launcher, and
    within the number of workers of the truth with a parallel one (jobs start in order).
    """
    session = _session(folder)
    to_run = session.get("to_run", [num])
    done = bisect_left(to_run, num) + 1
    elapsed = time.time() - session.get("started", time.time())
    left = elapsed / done * (len(to_run) - done)
    return (
        f"[{done:>{len(str(len(to_run)))}}/{len(to_run)}] job {num} done: "
        f"{_label(folder, overrides)} -> {marchers:,} marchers ({took:.1f} s) | "
        f"elapsed {_clock(elapsed)}, ~{_clock(left)} left"
    )


def _clock(seconds: float) -> str:
    return str(timedelta(seconds=round(seconds)))


def read_plan(folder: Path) -> dict[str, Any]:
    """The sweep's ``sweep.json``; ConfigError if ``folder`` is not a sweep."""
    path = Path(folder) / PLAN
    if not path.is_file():
        raise ConfigError(
            f"{str(folder)!r} is not a sweep folder (no {PLAN}); allowed: a folder under "
            f"{SWEEPS_ROOT} written by 'strikesim -m ...'"
        )
    return json.loads(path.read_text())


def job_table(folder: Path) -> pd.DataFrame:
    """One row per planned job: status (done/failed/interrupted/pending), factor values, error."""
    plan = read_plan(folder)
    rows = []
    for job in plan["jobs"]:
        num = job["job"]
        status_file = folder / STATUS / f"{num}.json"
        record = json.loads(status_file.read_text()) if status_file.is_file() else {}
        if results.is_finished(folder / str(num)):
            status = "done"
        else:
            status = {"failed": "failed", "running": "interrupted", "done": "interrupted"}.get(
                record.get("status", ""), "pending"
            )
        values = dict(o.split("=", 1) for o in job["overrides"])
        rows.append(
            {
                "job": num,
                "status": status,
                **{k: values[k] for k in plan["factors"]},
                "marchers": _marchers(folder / str(num), record) if status == "done" else None,
                "elapsed_s": record.get("elapsed_s"),
                "error": record.get("error", "") if status == "failed" else "",
                "overrides": " ".join(job["overrides"]),
            }
        )
    return pd.DataFrame(rows)


def _marchers(job: Path, record: dict[str, Any]) -> int:
    """From the job's record, or its summary if it was killed before recording it."""
    return record["marchers"] if "marchers" in record else results.read_summary(job)["marchers"]


def write_index(folder: Path) -> pd.DataFrame:
    """Rebuild ``index.csv`` from the plan, the finished folders and the per-job records."""
    index = job_table(folder).astype({"marchers": "Int64"})
    results.atomic_write(folder / INDEX, lambda tmp: index.to_csv(tmp, index=False))
    for leftover in (folder / SESSION, folder / STAGING):
        if leftover.is_file():
            leftover.unlink()
        elif leftover.is_dir() and not any(leftover.iterdir()):
            leftover.rmdir()
    return index
