"""Shared fixtures: configs composed exactly as the command line composes them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from strikesim.compose import compose_config
from strikesim.config import StrikeConfig


@pytest.fixture
def make_config() -> Callable[..., StrikeConfig]:
    """``make_config("seed=3", ...)``: the small population unless a population is given."""

    def make(*overrides: str) -> StrikeConfig:
        base = [] if any(o.startswith("population=") for o in overrides) else ["population=small"]
        return compose_config([*base, *overrides])

    return make


def cli_command(args: list[str]) -> list[str]:
    """``python -m strikesim ARGS`` with this interpreter."""
    return [sys.executable, "-m", "strikesim", *args]


CLI_ENV = {**os.environ, "PYTHONWARNINGS": "ignore::DeprecationWarning"}


def run_cli(
    args: list[str], cwd: Path, timeout: float = 300, merge_stderr: bool = False
) -> subprocess.CompletedProcess:
    """Run the command in ``cwd`` as a user would; ``merge_stderr`` keeps the lines' order."""
    return subprocess.run(
        cli_command(args),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
        text=True,
        timeout=timeout,
        env=CLI_ENV,
    )
