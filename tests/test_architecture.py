"""The import contract: arrows run one way, so the library never depends on its command line.

Rooms, lowest first (README "Layout"):

- base: ``config`` (schema), ``compose`` (configs from overrides), ``results`` (files on
  disk), ``streams`` (random numbers), ``scenarios`` (case data);
- engine: ``engine/`` and ``agents/`` (population, network, rule, model);
- run: ``run`` (one simulation, in memory and on disk);
- views: ``viz/`` (plots, animation, demo) — engine and run only;
- classics: ``classics/`` (Granovetter, Watts, Centola & Macy) — engine only;
- studies: ``studies/`` (sweep, compare, sensitivity, calibrate, attribute);
- cli: ``cli/``, ``__main__`` and the Hydra plugin — may import anything; nothing imports it.

Every import counts, also those inside functions (a lazy import is still an arrow). The test
parses the source, so it sees imports that a given run would never execute.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = {  # folder -> the module prefix it is installed as
    ROOT / "sim": "strikesim",
    ROOT / "agents": "strikesim.agents",
    ROOT / "scenarios": "strikesim.scenarios",
    ROOT / "hydra_plugins": "hydra_plugins",
}
ALLOWED = {  # room -> rooms it may import from (its own included)
    "base": {"base"},
    "engine": {"base", "engine"},
    "run": {"base", "engine", "run"},
    "viz": {"base", "engine", "run", "viz"},
    "classics": {"base", "engine", "classics"},
    "studies": {"base", "engine", "run", "viz", "classics", "studies"},
    "cli": {"base", "engine", "run", "viz", "classics", "studies", "cli"},
}


def room(module: str) -> str | None:
    """The room of a strikesim module (None: not strikesim's)."""
    if module.startswith("hydra_plugins.strikesim") or module in (
        "strikesim.cli",
        "strikesim.__main__",
    ):
        return "cli"
    if not module.startswith("strikesim"):
        return None
    parts = module.split(".")
    second = parts[1] if len(parts) > 1 else ""
    return {
        "engine": "engine",
        "agents": "engine",
        "run": "run",
        "viz": "viz",
        "classics": "classics",
        "studies": "studies",
        "cli": "cli",
        "__main__": "cli",
    }.get(second, "base")


def modules() -> dict[str, Path]:
    found = {}
    for folder, prefix in SOURCES.items():
        for path in folder.rglob("*.py"):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join([prefix, *parts])] = path
    return found


def imports(module: str, path: Path) -> set[str]:
    """Every module ``path`` imports, relative imports resolved against ``module``."""
    is_package = path.name == "__init__.py"
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + is_package]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # submodules
    return names


MODULES = modules()


def test_the_sources_were_found() -> None:
    assert {"strikesim.engine.model", "strikesim.cli", "strikesim.studies.sweep"} <= set(MODULES)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_arrows_run_one_way(module: str) -> None:
    mine = room(module)
    known = set(MODULES)
    wrong = sorted(
        f"{target} ({room(target)})"
        for target in imports(module, MODULES[module])
        if target in known and room(target) not in ALLOWED[mine]
    )
    assert not wrong, f"{module} ({mine}) imports {', '.join(wrong)}"


def test_the_contract_sees_a_wrong_arrow(tmp_path: Path) -> None:
    """The checker itself: an engine module importing the CLI is caught, lazily or not."""
    source = tmp_path / "model.py"
    source.write_text("def f():\n    from strikesim.cli import main\n")
    found = imports("strikesim.engine.model", source)
    assert "strikesim.cli" in found and room("strikesim.cli") not in ALLOWED["engine"]
