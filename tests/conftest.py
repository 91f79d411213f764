"""Shared fixtures: configs composed exactly as the command line composes them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from strikesim.cli import compose_config
from strikesim.config import StrikeConfig


@pytest.fixture
def make_config() -> Callable[..., StrikeConfig]:
    """``make_config("seed=3", ...)``: the small population unless a population is given."""

    def make(*overrides: str) -> StrikeConfig:
        base = [] if any(o.startswith("population=") for o in overrides) else ["population=small"]
        return compose_config([*base, *overrides])

    return make


def run_cli(args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m strikesim ARGS`` in ``cwd``, as a user would run it."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore::DeprecationWarning"}
    return subprocess.run(
        [sys.executable, "-m", "strikesim", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
