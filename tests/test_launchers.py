"""Sweeps beyond one machine: Ray on a local cluster, and the SLURM job script, dry.

These need the optional extras (``pip install -e '.[ray,slurm]'``); without them they skip.
CI installs the extras after the main suite and runs ``pytest -m launchers`` (``.ci/run``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.launchers

SWEEP = ["-m", "population=classroom", "weather.temperature_f=-20,30", "seed=0,1"]


def _sweep(tmp_path: Path, name: str, *launcher: str) -> Path:
    folder = tmp_path / name
    proc = run_cli([*SWEEP, f"hydra.sweep.dir={folder}", *launcher], tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return folder


def test_a_ray_sweep_gives_what_the_local_launcher_gives(tmp_path: Path) -> None:
    pytest.importorskip("hydra_plugins.hydra_ray_launcher")
    local = _sweep(tmp_path, "local")
    ray = _sweep(tmp_path, "ray", "hydra/launcher=ray", "+hydra.launcher.ray.init.num_cpus=2")
    for table in ("results.parquet", "timeseries.parquet"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(ray / table).drop(columns=["elapsed_s"], errors="ignore"),
            pd.read_parquet(local / table).drop(columns=["elapsed_s"], errors="ignore"),
        )
    assert list(pd.read_csv(ray / "index.csv")["status"]) == ["done"] * 4


def test_the_slurm_job_script_carries_the_launcher_settings() -> None:
    """What ``hydra/launcher=submitit_slurm`` would submit, built without a cluster."""
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher")
    from hydra import compose, initialize_config_module
    from submitit.slurm.slurm import _make_sbatch_string

    overrides = [
        "hydra/launcher=submitit_slurm",
        "hydra.launcher.partition=short",
        "hydra.launcher.timeout_min=60",
        "hydra.launcher.cpus_per_task=2",
    ]
    with initialize_config_module("strikesim.conf", version_base="1.3"):
        launcher = compose("config", overrides, return_hydra_config=True).hydra.launcher
    script = _make_sbatch_string(
        command="python -m submitit.core._submit /tmp/sweep",
        folder="/tmp/sweep/.submitit/%j",
        job_name=str(launcher.name),
        partition=launcher.partition,
        time=launcher.timeout_min,
        cpus_per_task=launcher.cpus_per_task,
        nodes=launcher.nodes,
    )
    assert script.startswith("#!/bin/bash")
    for line in ("#SBATCH --partition=short", "#SBATCH --time=60", "#SBATCH --cpus-per-task=2"):
        assert line in script, script
    assert "submitit.core._submit" in script
