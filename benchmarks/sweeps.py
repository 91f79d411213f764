"""How fast a sweep starts, resumes and runs its jobs; prints a table (docs/performance.md).

    .venv/bin/python benchmarks/sweeps.py            # ~2 minutes

1. *start*: `strikesim -m population=small seed=range(0,10000)` — seconds from the command to
   the first finished job (its status file says done), then the sweep is stopped.
2. *resume*: the same sweep with 9,000 jobs marked finished (their folders copied from one real
   job) — seconds from the command to the next finished job.
3. *per-job overhead*: 20 jobs of `population=small` one after another; wall time per job
   against the model's own time (the summaries' ``wall_time_s``).

Targets (issue "Throughput"): 1 and 2 within 10 s; 3 at most 20% of model time.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

STRIKESIM = [sys.executable, "-m", "strikesim"]
BIG = ["-m", "population=small", "seed=range(0,10000)"]


def until_first_done(args: list[str], cwd: Path, skip: set[int] = frozenset()) -> float:
    """Seconds from start to the first job (not in ``skip``) recorded done; then stop it."""
    start = time.perf_counter()
    proc = subprocess.Popen([*STRIKESIM, *args], cwd=cwd, stdout=subprocess.DEVNULL)
    try:
        while proc.poll() is None:
            for status in cwd.glob("results/sweeps/*/.status/*.json"):
                if int(status.stem) not in skip and '"done"' in status.read_text():
                    return time.perf_counter() - start
            time.sleep(0.05)
        raise RuntimeError(f"the sweep ended before a job finished (exit {proc.returncode})")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.send_signal(signal.SIGINT)  # the second stops at once
        proc.wait()


def fake_finished(folder: Path, template: Path, jobs: range) -> None:
    """Copy one real job folder to ``jobs`` (its files and sizes make them count as finished)."""
    for n in jobs:
        if not (folder / str(n)).exists():
            shutil.copytree(template, folder / str(n))


def per_job_overhead(cwd: Path, jobs: int = 20) -> tuple[float, float]:
    """(wall seconds per job, model seconds per job) over ``jobs`` sequential jobs."""
    args = ["-m", "population=small", f"seed=range(100,{100 + jobs})"]
    start = time.perf_counter()
    subprocess.run([*STRIKESIM, *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    (folder,) = (p for p in (cwd / "results" / "sweeps").iterdir() if p.name.startswith("seed-"))
    model = sum(
        json.loads((folder / str(n) / "summary.json").read_text())["wall_time_s"]
        for n in range(jobs)
    )
    return wall / jobs, model / jobs


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        rows.append(("start: 10,000-job sweep, first job done", until_first_done(BIG, cwd), 10))
        (folder,) = (cwd / "results" / "sweeps").iterdir()
        done = next(int(p.stem) for p in (folder / ".status").glob("*.json"))
        fake_finished(folder, folder / str(done), range(9000))
        # the tree may change between the two commands (a developer's checkout): allow it
        resume = until_first_done([*BIG, "--allow-code-change"], cwd, set(range(9000)))
        rows.append(("resume: 9,000 of 10,000 done, next job done", resume, 10))
    with tempfile.TemporaryDirectory() as tmp:
        wall, model = per_job_overhead(Path(tmp))
        overhead = (wall - model) / model
    table = pd.DataFrame(rows, columns=["what", "seconds", "target_s"])
    print(table.to_string(index=False, float_format="{:.1f}".format))
    print(
        f"per job (population=small, 20 jobs): {wall:.2f} s wall, {model:.2f} s model "
        f"-> overhead {overhead:.0%} of model time (target <= 20%)"
    )


if __name__ == "__main__":
    main()
