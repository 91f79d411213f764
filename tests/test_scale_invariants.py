"""What the speed-ups must not change: same behaviour as idiomatic Mesa, no memory growth."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import numpy as np

from benchmarks.mesa_reference import ReferenceModel
from strikesim.engine.model import StrikeModel
from strikesim.run import simulate


def test_idiomatic_mesa_peer_gives_identical_trajectories(make_config) -> None:
    config = make_config("population.size=600", "behavior.threshold_mean=0.2", "seed=4")
    ours = StrikeModel(config)
    peer = ReferenceModel(ours)
    start = int(ours.committed.sum())
    assert ours.timeline.shock_days and ours.calls.changes_on  # outrage and calls are compared
    while ours.running:  # every day of the campaign, start_date to date, action days included
        ours.step()
        peer.step()
        assert ours.committed.tolist() == peer.committed_nodes(), f"day {ours.day}"
    assert peer.day == ours.strike_day
    assert ours.committed.sum() > start  # the comparison covered a real cascade


def test_released_model_is_garbage_collected(make_config) -> None:
    model = StrikeModel(make_config("population.size=500"))
    assert len(model.agents) == 500 + len(model.organizations)  # people exist once asked for
    model.run()
    ref = weakref.ref(model)
    model.release()
    del model
    gc.collect()
    assert ref() is None


def resident_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def test_no_memory_growth_over_50_runs(make_config) -> None:
    config = make_config("population.size=3000")
    for _ in range(5):  # warm up caches and allocator pools
        simulate(config)
    gc.collect()
    before = resident_mib()
    marchers = {simulate(config).summary["marchers"] for _ in range(50)}
    gc.collect()
    growth = resident_mib() - before
    assert len(marchers) == 1  # the same run every time
    assert growth < 25, f"resident memory grew {growth:.1f} MiB over 50 runs"
    assert np.isfinite(growth)
