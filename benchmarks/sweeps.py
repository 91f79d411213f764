"""How fast a sweep starts, resumes and runs its jobs, and the command around one run.

    .venv/bin/python benchmarks/sweeps.py            # ~5 minutes; prints the tables
    .venv/bin/python benchmarks/sweeps.py --only jobs command

1. *start*: `strikesim -m population=small seed=range(0,10000)` — seconds from the command to
   the first finished job (its status file says done), then the sweep is stopped.
2. *resume*: the same sweep with 9,000 jobs marked finished (their folders copied from one real
   job) — seconds from the command to the next finished job.
3. *jobs*: the cost of one more job in a sweep at `population=small`, for two shapes of sweep —
   replications only (`seed=range(...)`: no two jobs share a city) and 5 temperatures x seeds
   (5 jobs per city) — with the basic launcher and with joblib on 2 workers. Each is the
   difference of two sweeps (N and 5N jobs) divided by 4N, so the command's start-up (imports,
   planning, the launcher's workers) cancels out. *model alone* is `simulate` of the same jobs
   one by one in this process: what the science costs without any sweep around it.
4. *command*: `strikesim --help`, and the default city command (`strikesim`, Ice Out) against
   the same run in-process (compose, `simulate`, `save_run` with the plot, in a process whose
   imports are done): the difference is what the command spends outside the simulation.

Rows 3 and 4 give CPU time (user + system, workers included) beside wall time: on a machine
shared with other work, wall time follows the load, CPU time much less.

Targets (issue "Throughput"): 1 and 2 within 10 s; 3 at most 20% over the model's own time;
`--help` <= 0.5 s; the command <= 1 s more than the in-process run. No assertion: a table.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STRIKESIM = [sys.executable, "-m", "strikesim"]
BIG = ["-m", "population=small", "seed=range(0,10000)"]
LAUNCHERS = {"basic": [], "joblib, 2 workers": ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"]}
REPEATS = 3
NAN = float("nan")


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


def start_and_resume() -> list[tuple[str, float, float]]:
    """Rows 1 and 2: seconds to the first finished job, fresh and with 9,000 of 10,000 done."""
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
    return rows


def shape(kind: str, jobs: int, first_seed: int) -> list[str]:
    """The overrides of a sweep of ``jobs`` jobs at population=small."""
    if kind == "replications":
        return [f"seed=range({first_seed},{first_seed + jobs})"]
    return [
        "weather.temperature_f=-20,-10,0,10,20",
        f"seed=range({first_seed},{first_seed + jobs // 5})",
    ]


def sweep_cost(overrides: list[str], extra: list[str]) -> tuple[float, float] | None:
    """(wall, CPU) seconds of one sweep command, its workers included; None if it is refused.

    CPU time (user + system of the command and the workers it waited for) is what the sweep
    costs the machine; on a machine shared with other work it varies far less than wall time.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        proc = subprocess.run(
            [*STRIKESIM, "-m", "population=small", *overrides, *extra],
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode == 2:  # an option this version does not know (--plots before it)
        return None
    if proc.returncode:
        raise RuntimeError(proc.stderr)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu


def model_alone(kind: str, jobs: int, first_seed: int) -> tuple[float, float]:
    """(wall, CPU) seconds of ``simulate`` per job, one by one in a fresh process."""
    code = f"""
import json, time
from strikesim.compose import compose_config
from strikesim.run import simulate
from strikesim.studies.sweep import expand_jobs
jobs = expand_jobs(["population=small", *{shape(kind, jobs, first_seed)!r}])
configs = [compose_config(j) for j in jobs]
simulate(configs[0])
wall, cpu = time.perf_counter(), time.process_time()
for c in configs:
    simulate(c)
n = len(configs)
print(json.dumps([(time.perf_counter() - wall) / n, (time.process_time() - cpu) / n]))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    wall, cpu = json.loads(proc.stdout.strip().splitlines()[-1])
    return wall, cpu


def job_costs(small: int, rounds: int = 2) -> list[dict]:
    """Row 3: seconds per additional job, per sweep shape and launcher, against the model alone.

    Medians over ``rounds`` interleaved rounds of (N jobs, 5N jobs).
    """
    rows = []
    for kind in ("replications", "5 temperatures x seeds"):
        alone = [model_alone(kind, 50, 5000) for _ in range(rounds)]
        alone_wall = statistics.median(w for w, _ in alone)
        alone_cpu = statistics.median(c for _, c in alone)
        variants = [(name, extra, small) for name, extra in LAUNCHERS.items()]
        variants.append(("basic, --plots", ["--plots"], max(1, small // 2)))
        for name, extra, n in variants:
            walls, cpus = [], []
            for r in range(rounds):
                few = sweep_cost(shape(kind, n, 1000 + 100_000 * r), extra)
                many = sweep_cost(shape(kind, 5 * n, 2000 + 100_000 * r), extra)
                if few is None or many is None:
                    break
                walls.append((many[0] - few[0]) / (4 * n))
                cpus.append((many[1] - few[1]) / (4 * n))
            if not walls:
                continue
            wall, cpu = statistics.median(walls), statistics.median(cpus)
            rows.append(
                {
                    "sweep": kind,
                    "launcher": name,
                    "wall": wall,
                    "cpu": cpu,
                    "alone wall": alone_wall,
                    "alone cpu": alone_cpu,
                    "over": cpu / alone_cpu - 1,
                }
            )
    return rows


def whole_run_in_process(overrides: list[str], interval: bool) -> tuple[float, float]:
    """(wall, CPU) seconds of one run in a process whose imports are done: compose, simulate
    (with the posterior predictive interval as the command computes it when ``interval``,
    its worker process's CPU included), files and plot."""
    simulate = "simulate_with_interval" if interval else "simulate"
    code = f"""
import json, resource, tempfile, time
from pathlib import Path
from strikesim.compose import compose_run
from strikesim.run import save_run, {simulate} as simulate
from strikesim.viz.turnout import save_turnout_plot

def cpu():
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)

if __name__ == "__main__":
    compose_run(["population=classroom"])  # Hydra's first composition pays for its plugin scan
    wall, start = time.perf_counter(), cpu()
    config, _ = compose_run({overrides!r})
    result = simulate(config)
    with tempfile.TemporaryDirectory() as folder:
        save_run(result, Path(folder), figures=[save_turnout_plot])
    print(json.dumps([time.perf_counter() - wall, cpu() - start]))
"""
    with tempfile.TemporaryDirectory() as tmp:  # a script: the interval's worker re-imports it
        script = Path(tmp) / "in_process.py"
        script.write_text(code)
        proc = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, check=True
        )
    wall, cpu = json.loads(proc.stdout.strip().splitlines()[-1])
    return wall, cpu


def command_cost(args: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one ``strikesim`` command in a fresh folder (workers included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run([*STRIKESIM, *args], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


COMMANDS = {"the city": ["population=city"], "the default, the metro": []}


def command_costs(repeats: int = REPEATS) -> list[tuple[str, float, float, float]]:
    """Row 4, wall and CPU: medians of ``repeats`` interleaved rounds (the load drifts).

    The command computes the posterior predictive interval beside the run (a worker process,
    :func:`strikesim.run.simulate_with_interval`), so it is set against the same run
    in-process twice: the run alone (``simulate``: the target's reference) and the run with
    its interval (the same work as the command's, without its imports and start-up).
    """

    def median(pairs: list[tuple[float, float]]) -> tuple[float, float]:
        return statistics.median(w for w, _ in pairs), statistics.median(c for _, c in pairs)

    helps = [command_cost(["--help"]) for _ in range(repeats)]
    rows = [("strikesim --help", *median(helps), 0.5)]
    for name, overrides in COMMANDS.items():
        commands, alone, with_interval = [], [], []
        for _ in range(repeats):
            commands.append(command_cost(overrides))
            alone.append(whole_run_in_process(overrides, interval=False))
            with_interval.append(whole_run_in_process(overrides, interval=True))
        (command, command_cpu), (run, run_cpu) = median(commands), median(alone)
        both, both_cpu = median(with_interval)
        shown = " ".join(["strikesim", *overrides])
        rows += [
            (f"`{shown}` ({name}): command", command, command_cpu, float("nan")),
            ("  in-process: the run alone (compose, simulate, files, plot)", run, run_cpu, NAN),
            ("  in-process: the run and its interval, as the command", both, both_cpu, NAN),
            ("  outside the run: command - run alone", command - run, command_cpu - run_cpu, 1.0),
            (
                "  outside the run and interval: command - both",
                command - both,
                command_cpu - both_cpu,
                NAN,
            ),
        ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--jobs", type=int, default=40, help="N: the smaller sweep of the per-job rows (N, 5N)"
    )
    parser.add_argument("--repeats", type=int, default=REPEATS, help="rounds of row 4")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=("start", "jobs", "command"),
        default=["start", "jobs", "command"],
    )
    options = parser.parse_args()
    parts = options.only
    rows: list[tuple[str, float, float, float]] = []
    if "start" in parts:
        rows += [(what, wall, float("nan"), target) for what, wall, target in start_and_resume()]
    if "command" in parts:
        rows += command_costs(options.repeats)
    if rows:
        print("| what | wall s | CPU s | target (wall) s |\n|---|---|---|---|")
        for what, wall, cpu, target in rows:
            shown = [f"{v:.2f}" if v == v else "" for v in (wall, cpu)]
            print(f"| {what} | {' | '.join(shown)} | {'' if target != target else f'{target:g}'} |")
    if "jobs" in parts:
        print(
            "\n| sweep (population=small) | launcher | per job: wall s | CPU s | model alone: "
            "wall s | CPU s | job CPU over model alone |\n|---|---|---|---|---|---|---|"
        )
        for r in job_costs(options.jobs):
            print(
                f"| {r['sweep']} | {r['launcher']} | {r['wall']:.3f} | {r['cpu']:.3f} | "
                f"{r['alone wall']:.3f} | {r['alone cpu']:.3f} | {r['over']:+.0%} |"
            )


if __name__ == "__main__":
    main()
