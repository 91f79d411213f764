"""Benchmark: strikesim against the per-step floor (raw CSR) and the idiomatic Mesa peer.

    python benchmarks/run.py                     # the full table (10k, 100k, city, metro)
    python benchmarks/run.py --sizes 10000 100000 --write docs/performance.md

Each size runs in fresh subprocesses, so peak RSS belongs to that size alone:
1. *whole run*: ``simulate`` + ``save_run`` of the Ice Out scenario — what ``strikesim`` does
   (build, campaign and its action days, writing results) — its wall time and peak RSS;
2. *parts*: population + network build, model init, Mesa agent creation (on first access),
   median time per step; the **limit** — one raw ``scipy.sparse`` CSR matrix-vector product
   plus an elementwise threshold compare over the same network; the **peer** — the same rule
   as idiomatic Mesa agents on ``mesa.discrete_space.Network``
   (:mod:`benchmarks.mesa_reference`), timed at N <= 100,000 and extrapolated linearly above.
Before timing, it checks at N = 2,000 that strikesim and the peer give identical trajectories.
Absolute times are noisy on a shared machine; ratios less so.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

SIZES = (10_000, 100_000, 429_954, 3_163_104)
PEER_MAX = 100_000
METRO = 3_163_104  # conf/population/metro.yaml: the seven-county metro, the default catchment


def overrides_for(n: int) -> list[str]:
    """The metro preset at its size; any other size is the city's population at that size."""
    if n == METRO:
        return ["population=metro"]
    return ["population=city", f"population.size={n}"]


def median_time(func, repeats: int) -> float:
    func()  # warm caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure_whole_run(n: int) -> dict:
    from strikesim.compose import compose_config
    from strikesim.run import peak_rss_mib, save_run, simulate
    from strikesim.viz.turnout import save_turnout_plot

    config = compose_config(overrides_for(n))
    start = time.perf_counter()
    result = simulate(config)
    with tempfile.TemporaryDirectory() as folder:
        save_run(result, Path(folder), figures=[save_turnout_plot])
    return {
        "whole_run_s": time.perf_counter() - start,
        "peak_rss_gib": peak_rss_mib() / 1024,
        "marchers": result.summary["marchers"],
    }


def measure_parts(n: int) -> dict:
    from strikesim.compose import compose_config
    from strikesim.engine.kernel import build_city
    from strikesim.engine.model import StrikeModel

    config = compose_config(overrides_for(n))
    start = time.perf_counter()
    pop, network = build_city(config)
    build = time.perf_counter() - start
    del pop, network

    start = time.perf_counter()
    model = StrikeModel(config)
    init = time.perf_counter() - start

    step_times = []
    while model.running:  # every day, start_date to date (action days included)
        start = time.perf_counter()
        model.step()
        step_times.append(time.perf_counter() - start)
    step = statistics.median(step_times)

    adjacency = model.network.adjacency
    state = model.committed.astype(np.float32)
    need = model.degree * 0.3
    limit = median_time(lambda: (adjacency @ state) >= need, repeats=20)

    out = {"n": n, "edges": model.network.edge_count, "build_s": build, "init_s": init}
    out.update(step_s=step, limit_s=limit)
    start = time.perf_counter()
    len(model.agents)  # people become Mesa agents on first access
    out["mesa_agents_s"] = time.perf_counter() - start
    model.release()
    del model
    if n <= PEER_MAX:
        out["peer_step_s"] = time_peer(config)
    return out


def time_peer(config) -> float:
    from benchmarks.mesa_reference import ReferenceModel
    from strikesim.engine.model import StrikeModel

    peer = ReferenceModel(StrikeModel(config))
    times = []
    for _ in range(2):
        start = time.perf_counter()
        peer.step()
        times.append(time.perf_counter() - start)
    return min(times)


def check_identical_trajectories(n: int = 2_000) -> int:
    """strikesim's kernel and the idiomatic peer agree day by day; returns days compared."""
    from benchmarks.mesa_reference import ReferenceModel
    from strikesim.compose import compose_config
    from strikesim.engine.model import StrikeModel

    config = compose_config([f"population.size={n}", "behavior.threshold_mean=0.2"])
    ours = StrikeModel(config)
    peer = ReferenceModel(ours)
    start = int(ours.committed.sum())
    while ours.running:
        ours.step()
        peer.step()
        if ours.committed.tolist() != peer.committed_nodes():
            raise SystemExit(f"trajectories differ on day {ours.day} at N={n}")
    if ours.committed.sum() <= 2 * start:
        raise SystemExit("the check compared a cascade that never spread")
    return ours.strike_day


def run_child(mode: str, n: int, script: str = __file__) -> dict:
    """One measurement in a fresh Python process, so its peak RSS is its own.

    ``script --child MODE N`` prints its result as JSON on its last line.
    """
    proc = subprocess.run(
        [sys.executable, script, "--child", mode, str(n)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode:
        raise SystemExit(f"benchmark child {mode} N={n} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def table(rows: list[dict]) -> str:
    head = (
        "| N | directed ties | build s | model init s | Mesa agents s | step ms | limit ms "
        "| step/limit | peer step s | peer/step | whole run s | peak RSS GiB |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        peer = r.get("peer_step_s")
        extrapolated = peer is None
        if extrapolated:
            base = max((x for x in rows if "peer_step_s" in x), key=lambda x: x["n"], default=None)
            peer = base["peer_step_s"] * r["n"] / base["n"] if base else float("nan")
        mark = "~" if extrapolated else ""
        lines.append(
            f"| {r['n']:,} | {r['edges']:,} | {r['build_s']:.2f} | {r['init_s']:.2f} "
            f"| {r['mesa_agents_s']:.1f} | {r['step_s'] * 1e3:.1f} | {r['limit_s'] * 1e3:.1f} "
            f"| {r['step_s'] / r['limit_s']:.1f}x | {mark}{peer:.2f} "
            f"| {mark}{peer / r['step_s']:,.0f}x | {r['whole_run_s']:.1f} "
            f"| {r['peak_rss_gib']:.2f} |"
        )
    return "\n".join(lines)


def machine() -> str:
    import mesa
    import scipy

    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, "
        f"mesa {mesa.__version__}, numpy {np.__version__}, scipy {scipy.__version__}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--write", type=Path, help="also write the table into this Markdown file")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, n = args.child[0], int(args.child[1])
        print(json.dumps(measure_whole_run(n) if mode == "whole" else measure_parts(n)))
        return 0
    days = check_identical_trajectories()
    print(f"identical trajectories, strikesim vs idiomatic Mesa, N=2,000: {days} days checked")
    rows = []
    for n in args.sizes:
        row = run_child("parts", n)
        row.update(run_child("whole", n))
        rows.append(row)
        print(f"  N={n:,} done", file=sys.stderr)
    text = table(rows)
    print(machine())
    print(text)
    print("~ extrapolated linearly from the largest measured peer size")
    if args.write:
        write_section(args.write, machine(), text)
    return 0


def write_section(path: Path, machine_line: str, text: str) -> None:
    """Replace the generated table between markers in ``path``."""
    from strikesim.results import write_text

    begin, end = "<!-- benchmark:begin -->", "<!-- benchmark:end -->"
    doc = path.read_text()
    generated = f"{begin}\nMachine: {machine_line}\n\n{text}\n\n~ extrapolated linearly\n{end}"
    before, _, rest = doc.partition(begin)
    _, _, after = rest.partition(end)
    write_text(path, before + generated + after)


if __name__ == "__main__":
    sys.exit(main())
