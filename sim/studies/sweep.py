"""Sweeps that resume: a folder per sweep command, a folder per finished job, failures at once.

``strikesim -m KEY=V1,V2 ...`` expands into jobs that strikesim's sweeper
(:mod:`strikesim.studies.sweeper`) hands to a Hydra launcher (one after another, or with
``hydra/launcher=joblib``, ``ray`` or ``submitit_slurm``); this module is the sweep's folder and
bookkeeping, what Hydra lacks:

- **One folder per sweep, found again by the same command.** The folder is
  ``results/sweeps/<label>-<digest>``, the digest a hash of the ordered list of jobs (each job's
  overrides). The same command — or an experiment preset that expands to the same jobs — lands in
  the same folder and resumes; two different sweeps never share a folder, whenever they start.
  ``hydra.sweep.dir=DIR`` picks a folder by hand (a fresh one, or one to resume).
- **A job folder appears only when the job is complete.** Each attempt ("session") makes its
  own fresh staging folder ``<sweep>/.staging/<session>/``; a job is written into a folder made
  there and renamed to ``<sweep>/<n>/`` in one step. Only this session's staging folder is ever
  removed; a SIGKILL leaves it behind (hidden, reported by the next attempt, never touched).
- **One writer per folder.** A sweep holds an exclusive lock on ``<sweep>/.lock`` while it
  runs; a second command on the same folder is refused with one line. A job folder counts as
  finished only when its summary lists every file at its size (:func:`results.is_finished`); an
  unfinished one is moved aside to ``.incomplete/`` (never deleted) and the job redone.
- **Names and folders are checked first.** Every job is validated before anything is written;
  ``hydra.sweep.subdir`` and other Hydra folder keys are strikesim's, and refused if given.
- **Tasks: jobs that share a city run together.** The sweeper cuts the jobs to run into tasks
  (:func:`plan_tasks`) — jobs with the same seed, population and network side by side — and
  hands the launcher one job per task; the task composes its jobs cheaply (one Hydra
  composition per distinct set of non-seed overrides), runs each city's jobs at once on the
  ensemble kernel (:func:`strikesim.run.simulate_many`, bit-identical to running them alone)
  and publishes every job's folder. Per-job ``turnout.png`` only with ``--plots``.
- **Resume.** A finished job is skipped; failed, interrupted and pending jobs run again, and
  only they reach the launcher. A sweep records its code; resuming with other code is refused
  unless ``--allow-code-change``.
- **Failures reported at once.** A failing job prints one line to stderr, records its error in
  ``<sweep>/.status/<n>.json`` (atomically; one file per job, so parallel jobs never write the same
  file) and the sweep goes on. ``index.csv`` (job, status, factors, marchers, error) is rebuilt
  from those records when the sweep ends; the command exits 1 if any job failed.
- **Stops.** The first Ctrl-C or SIGTERM lets running jobs finish and skips the rest (a stop
  file every launcher's jobs see); the index is written and one line says how to resume. A full
  disk stops the sweep with one line, publishing nothing half-written; the same command resumes
  once space is back.

Replications and common random numbers: a replication is a value of ``seed``
(``seed=range(0,20)``). Every random stream of a run is ``SeedSequence(seed, spawn_key=(key,))``
with a fixed key per purpose (:mod:`strikesim.streams`), so jobs with the same seed share
population, network, thresholds and march draws whatever the other factors are, and different
seeds give independent streams. The seed is used as given — not re-derived — so any job reruns
alone from the overrides in the index.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import math
import os
import re
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hydra import compose, initialize_config_module
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

import strikesim
from strikesim import provenance, results
from strikesim.config import ConfigError, StrikeConfig, validate

if TYPE_CHECKING:  # pandas costs ~0.5 s to import; `strikesim --help` loads this module
    import pandas as pd

    from strikesim.run import RunResult

SWEEPS_ROOT = Path("results/sweeps")
PLAN = "sweep.json"
INDEX = "index.csv"
STAGING = ".staging"
STATUS = ".status"
SESSION = ".session.json"
LOCK = ".lock"
PROGRESS = ".progress"
STOP = ".stop"
INCOMPLETE = ".incomplete"
TASKS = "tasks.json"  # in a session's staging folder: the jobs each launcher task runs
HYDRA_RECORD = ".hydra"
EXIT_JOBS_FAILED = 1
# A launcher task runs at most this many jobs: bounds a task's time (a cluster job's length)
# and what a stop or a killed worker leaves to redo; about two tasks per worker balance the load.
TASK_MOST = 256
TASKS_PER_WORKER = 2
# the override keys that decide a job's city (strikesim.run.city_key), read from its overrides
CITY_KEYS = ("seed", "population", "network")
_held_locks: dict[Path, contextlib.ExitStack] = {}  # sweep folder -> its lock, until finish_sweep
_held_to_run: dict[Path, list[int]] = {}  # sweep folder -> unfinished jobs when it was opened
_held_plots: dict[Path, bool] = {}  # sweep folder -> write each job's turnout.png (--plots)


class DiskFull(BaseException):
    """A job ran out of disk space: stop the sweep (every later job would fail the same way).

    A BaseException, so that Hydra's launcher does not record it as one failed job and go on.
    """


@dataclass
class SweepPlan:
    """The jobs a sweep command expands to, in Hydra's order, and where they go."""

    folder: Path
    jobs: list[list[str]]  # each job's overrides, as Hydra passes them to the job
    factors: dict[str, list[str]]  # keys that vary across jobs -> their values, in order
    command: str

    def to_json(self) -> dict[str, Any]:
        """The plan as ``sweep.json`` records it: command, factors, shared overrides, every job.

        Written once, when the sweep starts: a resume checks its own jobs against it (another
        sweep is refused the folder), and ``strikesim compare`` reads the factors from it.
        """
        return {
            "command": self.command,
            "factors": self.factors,
            "fixed": [o for o in self.jobs[0] if key_of(o) not in self.factors],
            "jobs": [{"job": n, "overrides": o} for n, o in enumerate(self.jobs)],
        }


def key_of(override: str) -> str:
    """The key an override sets, as written: ``weather.wind_mph=8`` -> ``weather.wind_mph``."""
    return override.split("=", 1)[0]


def _is_hydra(override: str) -> bool:
    return override.lstrip("+~").startswith(("hydra.", "hydra/"))


def plan_sweep(args: Sequence[str], root: Path = SWEEPS_ROOT) -> SweepPlan:
    """Expand a sweep command exactly as the sweeper will, and validate every job.

    The sweep's parameters are an experiment preset's ``hydra.sweeper.params`` followed by the
    command line's overrides (a later value of a key replaces an earlier one, as in Hydra).
    Nothing is written; any bad value, in any job, is a ConfigError.
    """
    from strikesim.compose import (
        CONFIG_MODULE,
        SWEEP_HYDRA_KEYS,
        check_hydra_overrides,
        check_jobs,
        check_overrides,
    )

    words = [a for a in args if not a.startswith("-")]
    hydra_args = [a for a in words if _is_hydra(a)]
    task = [a for a in words if not _is_hydra(a)]
    check_hydra_overrides(hydra_args, SWEEP_HYDRA_KEYS, "a sweep")
    check_overrides(task)
    try:
        first = [
            f"{o.get_key_element()}={_first_value(o)}" if o.is_sweep_override() else o.input_line
            for o in OverridesParser.create().parse_overrides(task)
        ]
        with initialize_config_module(CONFIG_MODULE, version_base="1.3"):
            cfg = compose("config", [*first, *hydra_args], return_hydra_config=True)
        _check_launcher(cfg)
    except (HydraException, OmegaConfBaseException, ValueError) as exc:
        raise ConfigError(_explain(exc)) from None
    params = [f"{k}={v}" for k, v in (cfg.hydra.sweeper.params or {}).items()]
    explicit = [a.split("=", 1)[1] for a in hydra_args if key_of(a) == "hydra.sweep.dir"]
    plan = build_plan(params, task, explicit[-1] if explicit else None, root)
    plan.command = " ".join(["strikesim", *args])
    check_jobs(checked_jobs(plan.jobs))
    return plan


def checked_jobs(jobs: list[list[str]]) -> list[list[str]]:
    """The jobs whose check (:func:`strikesim.compose.check_jobs`) checks them all.

    Why: checking costs ~1 ms a job in Hydra's parser alone, 10 s before the first job of a
    10,000-seed sweep. The jobs are the product of a few overrides, so it is enough to check
    one job per distinct set of overrides but the seed (each such set is composed once anyway)
    and the seeds themselves by their extremes: every seed here came out of Hydra's parser
    already, and an integer seed is valid when the smallest and the largest are. Any other seed
    (``seed=a``, ``seed=01``) is checked as given.
    """
    picked: dict[tuple[str, ...], list[str]] = {}
    seeds: dict[int, list[str]] = {}
    for job in jobs:
        picked.setdefault(tuple(o for o in job if key_of(o) != "seed"), job)
        for override in job:
            if key_of(override) != "seed":
                continue
            value = override.split("=", 1)[1]
            if re.fullmatch(r"-?[1-9][0-9]*|0", value):  # what Hydra reads as an int, no other
                seeds.setdefault(int(value), job)
            else:
                picked.setdefault((override,), job)
    if seeds:
        picked.setdefault(("seed", "min"), seeds[min(seeds)])
        picked.setdefault(("seed", "max"), seeds[max(seeds)])
    return list({id(job): job for job in picked.values()}.values())


def build_plan(
    params: Sequence[str], task: Sequence[str], folder: str | None, root: Path = SWEEPS_ROOT
) -> SweepPlan:
    """The jobs of ``params`` then ``task`` overrides, their factors and the sweep's folder.

    Both the command line (before anything is written) and the sweeper (inside Hydra) call this,
    so they agree on the folder without passing it through ``sys.argv``.
    """
    try:
        jobs = expand_jobs([*params, *task])
    except (HydraException, ValueError) as exc:
        raise ConfigError(_explain(exc)) from None
    factors = {
        key_of(o): list(dict.fromkeys(job[i].split("=", 1)[1] for job in jobs))
        for i, o in enumerate(jobs[0])
    }
    factors = {k: v for k, v in factors.items() if len(v) > 1}
    where = Path(folder) if folder else root / sweep_name(jobs, factors, list(task))
    return SweepPlan(where, jobs, factors, " ".join(["strikesim", "-m", *task]))


def expand_jobs(overrides: Sequence[str]) -> list[list[str]]:
    """Every job's overrides: the cartesian product of the swept values, in Hydra's order.

    A key given twice keeps its place and takes its last value, as Hydra's basic sweeper does;
    the first key varies slowest. Strings only — nothing is composed, so this is fast at any size.
    """
    choices: dict[str, list[str]] = {}
    for override in OverridesParser.create().parse_overrides(list(overrides)):
        key = override.get_key_element()
        if override.is_sweep_override():
            if not override.is_discrete_sweep():
                raise ConfigError(
                    f"{override.input_line}: interval sweeps need an optimizing sweeper; "
                    "allowed: a list (a,b,c), range(...) or choice(...)"
                )
            choices[key] = [f"{key}={v}" for v in override.sweep_string_iterator()]
        else:
            choices[key] = [f"{key}={override.get_value_element_as_str()}"]
    jobs = [list(job) for job in itertools.product(*choices.values())]
    if not jobs:
        raise ConfigError("a sweep with no jobs; allowed: a sweep of one or more values")
    return jobs


def _first_value(override: Any) -> str:
    """A sweep's first value; an empty sweep (``seed=range(0,0)``) is refused by name."""
    first = next(iter(override.sweep_string_iterator()), None)
    if first is None:
        raise ConfigError(
            f"{override.input_line} gives no values; allowed: a sweep of one or more values"
        )
    return first


def _check_launcher(cfg: DictConfig) -> None:
    """Launcher settings Hydra would only refuse mid-sweep (joblib's ``n_jobs=0``)."""
    n_jobs = cfg.hydra.launcher.get("n_jobs", None)
    if n_jobs is not None and (not isinstance(n_jobs, int) or n_jobs == 0):
        raise ConfigError(
            f"hydra.launcher.n_jobs={n_jobs!r} is not allowed; allowed: a positive number of "
            "workers, or -1 for all cores"
        )


def _explain(exc: BaseException) -> str:
    from strikesim.compose import explain

    if isinstance(exc, ValueError) and not isinstance(exc, ConfigError):  # range(0,5,0)
        return f"bad sweep: {str(exc).strip().splitlines()[0]}"
    return str(exc) if isinstance(exc, ConfigError) else explain(exc)


def sweep_name(jobs: list[list[str]], factors: dict[str, list[str]], task: list[str]) -> str:
    """``<experiment or swept keys>-<hash of the jobs>``: stable for a sweep, distinct across."""
    digest = jobs_digest(jobs)
    experiment = [a.split("=", 1)[1] for a in task if key_of(a) == "experiment"]
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


def open_sweep(plan: SweepPlan, plots: bool = False) -> list[int]:
    """Create or reopen the sweep folder, take its lock; return the jobs still to run.

    ``plots``: this session writes each job's ``turnout.png`` (the command's ``--plots``); kept
    with the lock, so that the sweeper opening the folder again records it for the jobs.

    Refuses (ConfigError, nothing written) a folder that holds another sweep or anything else,
    and a folder another strikesim process is writing (its lock is held). The lock stays with
    this process until :func:`finish_sweep` (or its exit). Opened again by the process that holds
    the lock (the command line, then the sweeper inside Hydra), it returns the jobs it found the
    first time: under the lock nothing has run since, and reading every job's summary twice
    costs seconds on a large sweep.
    """
    if plan.folder in _held_to_run:
        _check_folder(plan)
        return _held_to_run[plan.folder]
    _held_plots[plan.folder] = plots
    _check_folder(plan)
    created = results.make_parents(plan.folder)
    try:
        _lock(plan.folder)
        _check_folder(plan)  # again, now that no other writer can change it
    except BaseException:
        if created:  # the folder is ours: so is the lock file just made in it
            unlock(plan.folder)
            (plan.folder / LOCK).unlink(missing_ok=True)
            results.remove_if_empty(created)
        raise
    if not (plan.folder / PLAN).is_file():
        record = plan.to_json()
        record["created"] = datetime.now(UTC).isoformat(timespec="seconds")
        record["strikesim"] = strikesim.__version__
        record["code"] = provenance.code_identity()
        results.write_json(plan.folder / PLAN, record)
    to_run = [n for n in range(len(plan.jobs)) if not results.is_finished(plan.folder / str(n))]
    _held_to_run[plan.folder] = to_run
    return to_run


def check_same_code(folder: Path) -> None:
    """ConfigError if the sweep in ``folder`` was started with other code than runs now.

    Jobs of two code versions in one folder would be compared as if they were one experiment.
    The plan records the code (commit, tree state and diff hash, library versions) when the
    sweep starts; plans written before that record are not checked.
    """
    try:
        recorded = json.loads((Path(folder) / PLAN).read_text()).get("code", {})
    except (OSError, ValueError, AttributeError):
        return  # a new folder, or one _check_folder refuses with its own message
    changes = provenance.check_same_code(recorded, provenance.code_identity())
    if changes:
        raise ConfigError(
            f"hydra.sweep.dir={str(folder)!r} was started with other code ({'; '.join(changes)}); "
            "allowed: the same code, a new folder, or --allow-code-change to resume anyway"
        )


def _check_folder(plan: SweepPlan) -> None:
    folder = plan.folder
    if (folder / PLAN).is_file():
        try:
            recorded = json.loads((folder / PLAN).read_text())
            jobs = [j["overrides"] for j in recorded["jobs"]]
        except (OSError, ValueError, KeyError, TypeError):
            raise ConfigError(
                f"hydra.sweep.dir={str(folder)!r} holds an unreadable {PLAN}; allowed: a new folder"
            ) from None
        if same_jobs(jobs) != same_jobs(plan.jobs):
            raise ConfigError(
                f"hydra.sweep.dir={str(folder)!r} holds a different sweep "
                f"({recorded.get('command')!r}); allowed: a new folder, or the same sweep to "
                "resume it"
            )
    elif folder.is_file() or (folder.is_dir() and {p.name for p in folder.iterdir()} - {LOCK}):
        raise ConfigError(
            f"hydra.sweep.dir={str(folder)!r} exists and is not a strikesim sweep; "
            "allowed: a new or empty folder"
        )


def _lock(folder: Path) -> None:
    """Hold ``<folder>/.lock`` (:func:`strikesim.results.folder_lock`) until :func:`unlock`.

    The lock outlives this call (the command opens the sweep, Hydra runs it, the command closes
    it), so its context is kept open in ``_held_locks``.
    """
    if folder in _held_locks:
        return

    def in_use(holder: str) -> ConfigError:
        return ConfigError(
            f"hydra.sweep.dir={str(folder)!r} is being written by another strikesim process "
            f"(pid {holder}); allowed: wait for it to end, then run the same command to resume"
        )

    held = contextlib.ExitStack()
    held.enter_context(results.folder_lock(folder / LOCK, in_use))
    _held_locks[folder] = held


def unlock(folder: Path) -> None:
    """Release this process's lock on the sweep in ``folder``, if it holds one."""
    _held_to_run.pop(folder, None)
    _held_plots.pop(folder, None)
    held = _held_locks.pop(folder, None)
    if held is not None:
        held.close()  # releases the flock; the file stays (removing it would race)


def report_leftovers(folder: Path) -> None:
    """Staging folders of killed attempts are never removed by strikesim: say where they are."""
    staging = folder / STAGING
    left = sorted(p.name for p in staging.iterdir()) if staging.is_dir() else []
    if left:
        print(
            f"strikesim: {len(left)} staging folder(s) of earlier, killed attempts remain in "
            f"{staging} (unfinished work; safe to delete when no sweep is running)",
            flush=True,
        )


def start_session(plan: SweepPlan, to_run: list[int], tasks: Sequence[Sequence[int]] = ()) -> str:
    """Make this attempt's fresh staging folder and record its start and jobs; return its id.

    ``tasks`` (:func:`plan_tasks`) go to ``tasks.json`` in the staging folder, where each
    launcher task finds the jobs it runs (:func:`run_job`); the session record itself stays
    small, since every job reads it.
    """
    session = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{os.getpid()}"
    (plan.folder / STAGING).mkdir(exist_ok=True)
    (plan.folder / STAGING / session).mkdir()  # fresh: everything under it is this session's
    if tasks:
        results.write_text(plan.folder / STAGING / session / TASKS, json.dumps(list(tasks)))
    record = {
        "id": session,
        "started": time.time(),
        "to_run": to_run,
        "factors": list(plan.factors),
        "plots": _held_plots.get(plan.folder, False),
    }
    results.write_json(plan.folder / SESSION, record)
    return session


def plan_tasks(
    jobs: Sequence[Sequence[str]], to_run: Sequence[int], workers: int
) -> list[list[int]]:
    """Cut the jobs ``to_run`` into launcher tasks, jobs that share a city side by side.

    Jobs whose ``seed``, ``population*`` and ``network*`` overrides agree share a city (the
    ensemble kernel builds it once for them); whole such groups are packed into tasks of about
    ``len(to_run) / (TASKS_PER_WORKER * workers)`` jobs, at most :data:`TASK_MOST`, larger
    groups split. Which jobs really share a city is decided again from their configs when the
    task runs, so a group this guess splits or joins costs time, never a wrong result.
    """
    size = max(1, min(TASK_MOST, math.ceil(len(to_run) / (TASKS_PER_WORKER * max(1, workers)))))
    cities: dict[tuple[str, ...], list[int]] = {}
    for num in to_run:
        city = tuple(o for o in jobs[num] if key_of(o).lstrip("+~").startswith(CITY_KEYS))
        cities.setdefault(city, []).append(num)
    tasks: list[list[int]] = [[]]
    for group in cities.values():
        for start in range(0, len(group), size):
            chunk = group[start : start + size]
            if len(tasks[-1]) + len(chunk) > size and tasks[-1]:
                tasks.append([])
            tasks[-1].extend(chunk)
    return tasks


def finish_sweep(folder: Path) -> int:
    """Close this session and print the tally and each cell's marchers with their interval;
    the exit code is 1 if any job failed."""
    from strikesim.studies import tables

    index, table, factors = _close(folder)
    for line in tables.cell_lines(folder, table, factors):
        print(line, flush=True)
    return report_index(folder, index)


def close_sweep(folder: Path) -> pd.DataFrame:
    """Close this session: mark its cut-short jobs, write the index, release the lock."""
    return _close(folder)[0]


def _close(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """:func:`close_sweep`, returning the index, the results table it wrote and the factors."""
    session = _session(folder)
    _mark_interrupted(folder, session)
    from strikesim.studies import tables

    index = write_index(folder)
    factors = list(read_plan(folder)["factors"])
    table = tables.write_tables(folder, index.to_dict("records"), factors)
    if session.get("id"):  # this session's staging folder: made fresh by start_session
        shutil.rmtree(folder / STAGING / session["id"], ignore_errors=True)
        _remove_empty(folder / STAGING)
    (folder / SESSION).unlink(missing_ok=True)
    unlock(folder)
    return index, table, factors


def report_index(folder: Path, index: pd.DataFrame) -> int:
    """One line of counts per status; a second, on stderr, when jobs failed (exit code 1)."""
    counts = index["status"].value_counts()
    tally = ", ".join(
        f"{counts[s]} {s}" for s in ("done", "failed", "interrupted", "pending") if s in counts
    )
    print(f"strikesim: {folder}: {tally} (index.csv)", flush=True)
    if counts.get("failed", 0):
        print(
            f"strikesim: {counts['failed']} of {len(index)} jobs failed; run the same command "
            "again to retry them",
            file=sys.stderr,
        )
        return EXIT_JOBS_FAILED
    return 0


def _mark_interrupted(folder: Path, session: dict[str, Any]) -> None:
    """Jobs of this session still recorded as running were cut short (a stop, a killed worker)."""
    for num in session.get("to_run", []):
        path = folder / STATUS / f"{num}.json"
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if record.get("status") == "running" and not results.is_finished(folder / str(num)):
            write_status(folder, {**record, "status": "interrupted"})


def _remove_empty(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.rmdir()


def run_job(cfg: DictConfig) -> list[float | None]:
    """Hydra's task in a sweep: run one launcher task's jobs; no failure stops the others.

    The launcher composed ``cfg`` for the task's first job. Its number comes from its overrides
    (looked up in the plan), the task's other jobs from this session's ``tasks.json``
    (:func:`plan_tasks`), so the sweeper can launch any subset of jobs — a resume — grouped as
    it likes. Returns each job's marchers (None: failed, or left for a resume by a stop).
    """
    from strikesim.compose import to_config

    hc = HydraConfig.get()
    folder = Path(hc.sweep.dir)
    overrides = list(hc.overrides.task)
    num = job_numbers(folder)[tuple(sorted(overrides))]
    jobs = plan_jobs(folder)
    members = session_tasks(folder, str(_session(folder).get("id"))).get(num, [num])
    configs = JobConfigs({_without_seed(overrides): to_config(cfg, overrides)})
    configs.prepare([jobs[n] for n in members])
    return execute_jobs(folder, [(n, jobs[n]) for n in members], configs.get)


@functools.cache
def plan_jobs(folder: Path) -> list[list[str]]:
    """Each job's overrides, by job number, from the sweep's plan (read once per process)."""
    return [j["overrides"] for j in read_plan(folder)["jobs"]]


@functools.cache
def job_numbers(folder: Path) -> dict[tuple[str, ...], int]:
    """Each job's sorted overrides -> its number, from the sweep's plan (read once per process)."""
    return {tuple(sorted(job)): n for n, job in enumerate(plan_jobs(folder))}


@functools.cache
def session_tasks(folder: Path, session: str) -> dict[int, list[int]]:
    """The first job of each task of ``session`` -> the task's jobs (read once per process)."""
    try:
        tasks = json.loads((folder / STAGING / session / TASKS).read_text())
    except OSError:  # a session started without tasks: each job is its own task
        return {}
    return {task[0]: task for task in tasks}


def _without_seed(overrides: Sequence[str]) -> tuple[str, ...]:
    return tuple(o for o in overrides if key_of(o) != "seed")


class JobConfigs:
    """Each job's validated config, composed once per distinct set of non-seed overrides.

    The jobs of a task are mostly replications — the same overrides but ``seed`` — and Hydra
    composition costs ~0.1 s, more than a small run. A replication's config is the composed one
    with its seed replaced (a plain integer the schema checks), the same config Hydra composes
    for it; ``known`` seeds the cache (the config the launcher already composed for a task).
    """

    def __init__(self, known: dict[tuple[str, ...], StrikeConfig] | None = None) -> None:
        self._by_rest = dict(known or {})

    def prepare(self, jobs: Sequence[Sequence[str]]) -> None:
        """Compose the distinct non-seed sets of ``jobs`` at once: one Hydra initialization,
        one composition per set of config groups (:func:`strikesim.compose.compose_jobs`).

        Should one of them be bad input, none is kept: each job then composes on its own in
        :meth:`get`, so that the bad one fails alone, with its own error.
        """
        todo: dict[tuple[str, ...], list[str]] = {}
        for overrides in jobs:
            rest = _without_seed(overrides)
            if rest not in self._by_rest:
                todo.setdefault(rest, list(overrides))
        with contextlib.suppress(ConfigError):
            self._by_rest |= zip(todo, _compose(list(todo.values())), strict=True)

    def get(self, overrides: Sequence[str]) -> StrikeConfig:
        """The config of the job with ``overrides``; ConfigError on bad input."""
        rest = _without_seed(overrides)
        seeds = [o.split("=", 1)[1] for o in overrides if key_of(o) == "seed"]
        try:
            seed = int(seeds[-1]) if seeds else None
        except ValueError:  # not a plain integer: Hydra's grammar decides, composing it all
            return _compose([overrides])[0]
        if rest not in self._by_rest:
            self._by_rest[rest] = _compose([overrides])[0]
        config = self._by_rest[rest]
        if seed is None or seed == config.seed:
            return config
        return validate(replace(config, seed=seed))


def _compose(jobs: Sequence[Sequence[str]]) -> list[StrikeConfig]:
    """Jobs' configs with Hydra's compose API, also inside a task Hydra's app is running.

    The app's global Hydra state is set there, and the compose API refuses to initialize over
    it: it is set aside meanwhile, and restored.
    """
    from hydra.core.global_hydra import GlobalHydra
    from hydra.initialize import get_gh_backup, restore_gh_from_backup

    from strikesim.compose import compose_jobs

    app = get_gh_backup()
    GlobalHydra.instance().clear()
    try:
        return compose_jobs(jobs)
    finally:
        restore_gh_from_backup(app)


def execute_job(
    folder: Path,
    num: int,
    overrides: list[str],
    make_config: Callable[[], StrikeConfig],
    computed: RunResult | None = None,
    plots: bool = False,
    record: dict[str, Any] | None = None,
    session: Path | None = None,
) -> float | None:
    """Run job ``num`` of the sweep in ``folder`` and publish it as ``<num>/``.

    The run is written into a folder made fresh inside this session's staging folder, with the
    job's ``.hydra/`` record and, with ``plots``, its ``turnout.png``, then renamed into place.
    Returns the marchers, or None when the job failed (its error is recorded and printed) or a
    stop came before it started. Ctrl-C and a full disk stop the job (and the sweep) with
    nothing published. ``computed``: the job's result when it ran with others, ``record`` its
    running status, written when they started, ``session`` this session's staging folder, as
    :func:`execute_jobs` read it once for all its jobs (else read here).
    """
    from strikesim.run import save_run, simulate

    final = folder / str(num)
    if results.is_finished(final):
        return float(results.read_summary(final)["marchers"])
    session = session or _session_folder(folder)
    if record is None:
        if _stopped(session):  # Ctrl-C or SIGTERM: jobs not yet started stay pending
            return None
        record = _start_job(folder, num, overrides)
    # a job run with others: its share of their time counts as its own
    start = time.perf_counter() - (computed.summary["wall_time_s"] if computed else 0.0)
    staging = _make_staging(folder, session, num)
    try:
        result = computed or simulate(make_config())
        save_run(result, staging, figures=_figures(plots))
        _write_job_record(staging, overrides)
        _publish(folder, staging, final)
    except Exception as exc:
        shutil.rmtree(staging, ignore_errors=True)  # made by _make_staging for this job alone
        if results.is_out_of_space(exc):
            _write_status_if_possible(folder, {**record, "status": "interrupted"})
            raise DiskFull(exc) from exc
        error = _one_line(exc)
        write_status(folder, {**record, "status": "failed", "error": error, **_elapsed(start)})
        _mark_progress(staging.parent, num, "failed")
        print(
            f"strikesim: job {num} failed ({_label(folder, overrides)}): {error}", file=sys.stderr
        )
        sys.stderr.flush()
        return None
    except BaseException:  # Ctrl-C, SIGTERM: nothing published, the job is redone on resume
        shutil.rmtree(staging, ignore_errors=True)
        _write_status_if_possible(folder, {**record, "status": "interrupted"})
        raise
    marchers = result.summary["marchers"]
    write_status(folder, {**record, "status": "done", "marchers": marchers, **_elapsed(start)})
    _mark_progress(staging.parent, num, "done")
    return float(marchers)


def execute_jobs(
    folder: Path,
    jobs: Sequence[tuple[int, list[str]]],
    make_config: Callable[[list[str]], StrikeConfig],
) -> list[float | None]:
    """Run jobs of one sweep, those that share a city together; publish each as it is done.

    Jobs that share a city (seed, population, network: :func:`strikesim.run.city_key`) are
    simulated at once by the ensemble kernel (:func:`strikesim.run.simulate_many`),
    bit-identical to running them alone, then published one by one (:func:`execute_job`).
    A stop is checked before each city: the city running is finished and published, later ones
    stay pending. Should a city's run fail, each of its jobs runs alone, so that its own error
    is what gets recorded. Returns each job's marchers, in order (None: failed or not run).
    """
    from strikesim.run import city_key, simulate_many

    # read per task, not per job: a task's jobs all belong to the session open when it started
    plots = bool(_session(folder).get("plots"))
    session = _session_folder(folder)
    marchers: list[float | None] = [None] * len(jobs)
    configs: dict[int, StrikeConfig] = {}
    cities: dict[str, list[int]] = {}
    for i, (num, overrides) in enumerate(jobs):
        if results.is_finished(folder / str(num)):
            marchers[i] = float(results.read_summary(folder / str(num))["marchers"])
            continue
        try:
            configs[i] = make_config(overrides)
            city = city_key(configs[i])
        except Exception:  # bad input found late: the job fails alone, with its own error
            city = f"job {num}"
        cities.setdefault(city, []).append(i)
    for members in cities.values():
        if _stopped(session):  # Ctrl-C or SIGTERM: cities not yet started stay pending
            break
        records = {i: _start_job(folder, *jobs[i]) for i in members}
        computed: dict[int, RunResult] = {}
        with contextlib.suppress(Exception):
            ran = simulate_many([configs[i] for i in members])
            computed = dict(zip(members, ran, strict=True))
        for i in members:
            num, overrides = jobs[i]
            marchers[i] = execute_job(
                folder,
                num,
                overrides,
                lambda o=overrides: make_config(o),
                computed.get(i),
                plots,
                records[i],
                session,
            )
    return marchers


def _start_job(folder: Path, num: int, overrides: list[str]) -> dict[str, Any]:
    """Record job ``num`` as running (so that a kill leaves it ``interrupted``); the record."""
    record: dict[str, Any] = {
        "job": num,
        "overrides": overrides,
        "status": "running",
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }
    write_status(folder, record)
    return record


def _figures(plots: bool) -> list[Callable[[RunResult, Path], None]]:
    """The job folder's figures: ``turnout.png`` with ``--plots`` (only then matplotlib)."""
    if not plots:
        return []
    from strikesim.viz.turnout import save_turnout_plot

    return [save_turnout_plot]


def _write_job_record(staging: Path, overrides: list[str]) -> None:
    """The job's ``.hydra/``: its overrides (as Hydra records them) and its config.

    A launcher task runs many jobs, so Hydra's own record, made once per task in this
    session's staging folder, is the task's; each job gets its own here, without composing.
    Written plainly, as the rest of the job's staging folder (:func:`results.write_staged`);
    ``config.yaml`` is a copy, not a hard link, so that editing one in place (editors keep
    links) cannot change the job's own file, whose size decides that the job is finished.
    """
    from strikesim.run import yaml_text

    record = staging / HYDRA_RECORD
    record.mkdir()
    results.write_staged(record / "overrides.yaml", yaml_text(list(overrides)))
    shutil.copyfile(staging / results.CONFIG, record / results.CONFIG)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    kind = "config error" if isinstance(exc, ConfigError) else type(exc).__name__
    return f"{kind}: {text[0]}" if text else kind


def _elapsed(start: float) -> dict[str, float]:
    return {"elapsed_s": round(time.perf_counter() - start, 3)}


def _make_staging(folder: Path, session: Path | None, num: int) -> Path:
    """A fresh folder for job ``num`` in ``session``, the staging folder of the sweep in
    ``folder``'s open session (made by start_session)."""
    if session is None or not session.is_dir():
        raise RuntimeError(f"sweep {folder} has no open session; start it with start_session")
    staging = Path(tempfile.mkdtemp(dir=session, prefix=f"{num}-"))
    os.chmod(staging, 0o755)
    return staging


def _publish(folder: Path, staging: Path, final: Path) -> None:
    """Rename the complete job folder into place, in one step.

    An unfinished folder already at ``final`` (from a version without the lock, or tampered
    with) is not deleted: it is moved aside to ``.incomplete/`` and reported.
    """
    if final.exists() and not results.is_finished(final):
        aside = folder / INCOMPLETE / f"{final.name}-{datetime.now(UTC):%Y%m%dT%H%M%S%f}"
        aside.parent.mkdir(exist_ok=True)
        os.rename(final, aside)
        print(f"strikesim: unfinished job folder {final} moved aside to {aside}", file=sys.stderr)
    os.rename(staging, final)


def _write_status_if_possible(folder: Path, record: dict[str, Any]) -> None:
    """Record a stop; on a full disk the record may not fit, and the job is redone anyway."""
    with contextlib.suppress(OSError):
        write_status(folder, record)


def write_status(folder: Path, record: dict[str, Any]) -> None:
    """Record one job's status in ``.status/<job>.json``, from which ``index.csv`` is rebuilt.

    One file per job, written atomically, so that parallel jobs never write the same file.
    """
    results.write_json(folder / STATUS / f"{record['job']}.json", record)


def _session(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / SESSION).read_text())
    except (OSError, ValueError):
        return {}


def _session_folder(folder: Path) -> Path | None:
    """The open session's staging folder (:func:`start_session`); None when none is open."""
    session = _session(folder).get("id")
    return folder / STAGING / str(session) if session else None


def _label(folder: Path, overrides: list[str]) -> str:
    factors = set(_session(folder).get("factors", []))
    return " ".join(o for o in overrides if key_of(o) in factors) or " ".join(overrides)


def _mark_progress(session_dir: Path, num: int, status: str) -> None:
    """An empty file per finished job in this session, which the sweeper's progress bar counts.

    Files, not a shared counter: jobs may run in other processes (joblib) or machines (Ray).
    """
    (session_dir / PROGRESS).mkdir(exist_ok=True)
    (session_dir / PROGRESS / f"{num}.{status}").touch()


def request_stop(folder: Path) -> bool:
    """Ask this session's jobs not yet started to skip (a file: jobs may run elsewhere).

    Returns False when no session is open (nothing is running yet to stop gracefully).
    """
    session = _session_folder(folder)
    if session is None or not session.is_dir():
        return False
    (session / STOP).touch()
    return True


def stop_requested(folder: Path) -> bool:
    """Was a stop asked for the open session? Checked before each job, so running jobs finish."""
    return _stopped(_session_folder(folder))


def _stopped(session: Path | None) -> bool:
    """:func:`stop_requested`, given the open session's staging folder."""
    return session is not None and (session / STOP).exists()


def session_progress(folder: Path) -> tuple[int, int]:
    """(done, failed) jobs of the open session, from the markers of :func:`_mark_progress`."""
    session = _session_folder(folder)
    try:
        names = os.listdir(session / PROGRESS) if session else []
    except OSError:
        return 0, 0
    failed = sum(n.endswith(".failed") for n in names)
    return len(names) - failed, failed


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
            status = {
                "failed": "failed",
                "running": "interrupted",
                "interrupted": "interrupted",
                "done": "interrupted",
            }.get(record.get("status", ""), "pending")
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
    import pandas as pd

    return pd.DataFrame(rows)


def _marchers(job: Path, record: dict[str, Any]) -> int:
    """From the job's record, or its summary if it was killed before recording it."""
    return record["marchers"] if "marchers" in record else results.read_summary(job)["marchers"]


def write_index(folder: Path) -> pd.DataFrame:
    """Rebuild ``index.csv`` from the plan, the finished folders and the per-job records."""
    index = job_table(folder).astype({"marchers": "Int64"})
    results.atomic_write(folder / INDEX, lambda tmp: index.to_csv(tmp, index=False))
    return index
