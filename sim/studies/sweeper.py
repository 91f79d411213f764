"""strikesim's Hydra sweeper: expand the jobs, skip the finished ones, launch the rest.

Hydra's basic sweeper composes every job's config before the first one starts (about 0.13 s
each: three minutes for 1,000 jobs), renumbers jobs by their place in a batch and cannot skip
finished ones. This sweeper, plugged in through Hydra's public Sweeper interface
(``hydra/sweeper: strikesim``, the class in ``hydra_plugins.strikesim_sweeper``), works from
strings alone: it expands the overrides (:func:`~strikesim.studies.sweep.build_plan`), opens the
sweep folder (lock, plan, this session's staging), cuts the unfinished jobs into tasks — jobs
that share a city side by side, about two tasks per worker of the launcher
(:func:`~strikesim.studies.sweep.plan_tasks`) — and hands whatever launcher is configured (basic,
joblib, Ray or submitit) one job per task, named by the task's first job. The task finds its
other jobs in the session's ``tasks.json`` and runs them together
(:func:`~strikesim.studies.sweep.run_job`): Hydra composes once per task rather than once per
job, and jobs that share a city share its construction (the ensemble kernel). A progress bar
(or, without a terminal, a line every few seconds) counts jobs as they finish, with throughput
measured from the first finished job, not from start-up.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf, read_write

from strikesim import results
from strikesim.studies import sweep

BATCH = 1000  # tasks handed to the launcher at once: bounds its memory, not its parallelism
MULTIRUN_RECORD = "multirun.yaml"


class SweepRunner:
    """The sweeper's logic; ``hydra_plugins.strikesim_sweeper.StrikeSweeper`` makes it a plugin.

    ``params`` are an experiment preset's ``hydra.sweeper.params`` (swept before the command
    line's overrides, as with Hydra's basic sweeper).
    """

    def __init__(self, params: dict[str, str] | None = None, batch_size: int = BATCH) -> None:
        self.params = dict(params or {})
        self.batch_size = batch_size
        self.config: DictConfig | None = None
        self.hydra_context: Any = None
        self.task_function: Any = None

    def setup(self, *, hydra_context: Any, task_function: Any, config: DictConfig) -> None:
        """Hydra's call before :meth:`sweep`: keep what the launcher will need."""
        self.hydra_context = hydra_context
        self.task_function = task_function
        self.config = config

    def sweep(self, arguments: list[str]) -> list[Any]:
        """Run the sweep of ``arguments`` (the command line's task overrides)."""
        from hydra.core.plugins import Plugins

        assert self.config is not None
        hydra_dir = _explicit_sweep_dir(self.config)
        plan = sweep.build_plan([f"{k}={v}" for k, v in self.params.items()], arguments, hydra_dir)
        to_run = sweep.open_sweep(plan)  # re-entrant: the command line already holds the lock
        if not to_run:
            return []
        tasks = sweep.plan_tasks(plan.jobs, to_run, launcher_workers(self.config))
        session = sweep.start_session(plan, to_run, tasks)
        # Launchers compose each job from the sweep's hydra overrides plus the job's own: the
        # folder and this session's staging go in as overrides, visible in each job's record.
        with read_write(self.config.hydra):
            self.config.hydra.overrides.hydra.extend(
                [
                    f"hydra.sweep.dir={plan.folder}",
                    f"hydra.sweep.subdir={sweep.STAGING}/{session}/${{hydra.job.num}}",
                ]
            )
            self.config.hydra.sweep.dir = str(plan.folder)
        _record_config(self.config, plan.folder)
        launcher = Plugins.instance().instantiate_launcher(
            hydra_context=self.hydra_context, task_function=self.task_function, config=self.config
        )
        returns = []
        with progress(plan.folder, len(to_run)):
            for start in range(0, len(tasks), self.batch_size):
                if sweep.stop_requested(plan.folder):
                    break
                # one launcher job per task, named by its first job (run_job finds the rest)
                batch = [plan.jobs[task[0]] for task in tasks[start : start + self.batch_size]]
                done = launcher.launch(batch, initial_job_idx=start)
                for job in done:  # a job's own failure is recorded by it; this is a bug's
                    _ = job.return_value  # raises the exception of a job that crashed
                returns.append(done)
        return returns


def launcher_workers(config: DictConfig) -> int:
    """How many tasks the configured launcher runs at once, for cutting the jobs into tasks.

    The basic launcher runs one; joblib its ``n_jobs`` (-1 or unset: every core); Ray its
    ``ray.init.num_cpus`` when given; otherwise (a cluster) this machine's cores — a guess that
    only sets how many tasks there are, each of at most ``sweep.TASK_MOST`` jobs.
    """
    launcher = config.hydra.launcher
    if str(launcher.get("_target_", "")).endswith("BasicLauncher"):
        return 1
    n_jobs = launcher.get("n_jobs", None)
    if n_jobs is None:
        n_jobs = OmegaConf.select(launcher, "ray.init.num_cpus", default=None)
    if isinstance(n_jobs, int) and n_jobs > 0:
        return n_jobs
    return os.cpu_count() or 1


def _explicit_sweep_dir(config: DictConfig) -> str | None:
    """``hydra.sweep.dir`` when the user named it on the command line, else None."""
    for override in config.hydra.overrides.hydra or []:
        if override.split("=", 1)[0] == "hydra.sweep.dir":
            return override.split("=", 1)[1]
    return None


def _record_config(config: DictConfig, folder: Path) -> None:
    """Hydra's record of the sweep's config, written once when the sweep is new, never replaced."""
    path = folder / MULTIRUN_RECORD
    if not path.exists():
        results.write_text(path, OmegaConf.to_yaml(config))


@contextmanager
def progress(folder: Path, total: int, every: float = 0.5) -> Iterator[None]:
    """Count this session's finished jobs in the background while the launcher runs them."""
    report = _Report(total)
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(every):
            report.update(*sweep.session_progress(folder))

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        report.update(*sweep.session_progress(folder))
        report.close()


class _Report:
    """A tqdm bar on a terminal; otherwise a plain line every ``quiet_every`` seconds."""

    def __init__(self, total: int, quiet_every: float = 10.0) -> None:
        self.total, self.quiet_every = total, quiet_every
        self.done = self.failed = 0
        self.first: tuple[float, int] | None = None  # (time, jobs) when the first job finished
        self.last_line = time.monotonic()
        self.bar = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="job", dynamic_ncols=True, smoothing=0.1)

    def update(self, done: int, failed: int) -> None:
        finished = done + failed
        new = finished - (self.done + self.failed)
        self.done, self.failed = done, failed
        now = time.monotonic()
        if finished and self.first is None:
            self.first = (now, finished)
        if self.bar is not None:
            self.bar.set_postfix(failed=failed, refresh=False)
            self.bar.update(new)
        elif new and now - self.last_line >= self.quiet_every:
            print(self.line(now), flush=True)
            self.last_line = now

    def line(self, now: float) -> str:
        """``strikesim: 120/1,000 jobs (3 failed), 2.4 jobs/s, ~0:06:07 left``."""
        finished = self.done + self.failed
        rate = 0.0
        if self.first is not None and now > self.first[0] and finished > self.first[1]:
            rate = (finished - self.first[1]) / (now - self.first[0])
        eta = f", ~{timedelta(seconds=round((self.total - finished) / rate))} left" if rate else ""
        return (
            f"strikesim: {finished:,}/{self.total:,} jobs ({self.failed} failed), "
            f"{rate:.1f} jobs/s{eta}"
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        else:
            print(self.line(time.monotonic()), flush=True)
