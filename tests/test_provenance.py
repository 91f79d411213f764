"""Provenance in every summary: the code, the libraries and the data files a result came from."""

from __future__ import annotations

import hashlib
import re
import subprocess
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from strikesim import provenance
from strikesim.provenance import check_same_code, check_same_data
from strikesim.run import simulate

HEX40, HEX64 = re.compile(r"[0-9a-f]{40}"), re.compile(r"[0-9a-f]{64}")


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_every_summary_records_code_versions_and_data_hashes(make_config) -> None:
    summary = simulate(make_config("population=classroom")).summary
    assert set(provenance.PROVENANCE_KEYS) <= set(summary)
    assert set(summary["versions"]) == {"python", *provenance.DEPENDENCIES}
    assert summary["versions"]["numpy"] and summary["versions"]["mesa"]
    data = files("strikesim.scenarios") / "data"
    assert summary["data_files"] == {
        f"scenarios/data/{name}": sha256(Path(str(data / name)))
        for name in (
            "endorsements.csv",
            "events.csv",
            "organizations.csv",
            "places.csv",
            "sectors.csv",
        )
    } | {  # the posterior the run drew its behaviour from (the shipped default)
        "behavior.posterior": sha256(
            Path(str(files("strikesim.scenarios") / "calibration" / "campaign_2026_posterior.csv"))
        )
    }
    if summary["git_commit"] is not None:  # running from a checkout
        assert HEX40.fullmatch(summary["git_commit"])
        assert summary["git_tree"] in ("clean", "dirty")
        assert (summary["git_diff_sha256"] is not None) == (summary["git_tree"] == "dirty")
    # provenance is no outcome: a sweep's results table (numeric fields only) must not gain it
    assert not any(
        isinstance(summary[k], int | float) and not isinstance(summary[k], bool)
        for k in provenance.PROVENANCE_KEYS
    )


def test_graph_files_of_a_run_are_hashed(tmp_path: Path, make_config) -> None:
    edges, nodes = tmp_path / "edges.txt", tmp_path / "nodes.csv"
    edges.write_text("a b 2\nb c\nc a 1.5\n")
    nodes.write_text("node,type\na,worker\nb,university\nc,resident\n")
    cfg = make_config("network=file", f"network.path={edges}", f"network.nodes_path={nodes}")
    hashes = simulate(cfg).summary["data_files"]
    assert hashes["network.path"] == sha256(edges)
    assert hashes["network.nodes_path"] == sha256(nodes)
    edges.write_text("a b 3\nb c\nc a 1.5\n")  # a changed file is hashed anew, not from the cache
    assert provenance.data_files(cfg)["network.path"] == sha256(edges)


def test_git_state_matches_git_and_costs_at_most_two_calls(monkeypatch) -> None:
    calls: list[list[str]] = []
    real_run = subprocess.run

    def counting_run(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess:
        calls.append(args)
        return real_run(args, **kwargs)

    provenance._git_state.cache_clear()
    monkeypatch.setattr(provenance.subprocess, "run", counting_run)
    try:
        states = [provenance.git_state() for _ in range(3)]
    finally:
        provenance._git_state.cache_clear()  # later tests see the state without the counter
    assert states[0] == states[1] == states[2]
    assert len(calls) <= 2
    root = provenance._git_root(Path(provenance.__file__).resolve().parent)
    if root is None:
        assert states[0] == {"git_commit": None, "git_tree": None, "git_diff_sha256": None}
        return
    head = real_run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True)
    assert states[0]["git_commit"] == head.stdout.strip()
    if states[0]["git_tree"] == "dirty":
        assert HEX64.fullmatch(states[0]["git_diff_sha256"])


def test_status_parsing_sees_changes_renames_and_untracked_files() -> None:
    out = (
        b"# branch.oid " + b"a" * 40 + b"\0# branch.head main\0"
        b"2 R. N... 100644 100644 100644 x y R100 new.py\0? odd name.py\0"
        b"? notes.txt\0"
    )
    assert provenance._parse_status(out) == ("a" * 40, True, ["notes.txt"])
    clean = b"# branch.oid (initial)\0# branch.head main\0"
    assert provenance._parse_status(clean) == (None, False, [])


def test_outside_a_checkout_nothing_is_guessed(monkeypatch) -> None:
    """An installed package has no commit: None, without running git at all."""
    provenance._git_state.cache_clear()
    monkeypatch.setattr(provenance, "_git_root", lambda start: None)
    monkeypatch.setattr(provenance, "_git", lambda *args: pytest.fail("git was run"))
    try:
        state = provenance.git_state()
    finally:
        provenance._git_state.cache_clear()
    assert state == {"git_commit": None, "git_tree": None, "git_diff_sha256": None}


CODE = {
    "git_commit": "a" * 40,
    "git_tree": "dirty",
    "git_diff_sha256": "1" * 64,
    "versions": {"python": "3.11.7", "numpy": "2.0.0", "mesa": "3.3.1"},
}


def test_same_code_gives_no_lines() -> None:
    assert check_same_code(CODE, dict(CODE)) == []
    assert check_same_code({}, CODE) == []  # nothing recorded: nothing to compare


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"git_commit": "b" * 40}, "code commit: aaaaaaaaaaaa recorded, bbbbbbbbbbbb now"),
        ({"git_tree": "clean", "git_diff_sha256": None}, "working tree: dirty recorded"),
        ({"git_diff_sha256": "2" * 64}, "uncommitted changes differ: diff sha256 111111111111"),
        (
            {"versions": {**CODE["versions"], "numpy": "2.1.0"}},
            "numpy version: 2.0.0 recorded, 2.1.0 now",
        ),
    ],
)
def test_each_code_change_is_one_line(change: dict[str, Any], expected: str) -> None:
    (line,) = check_same_code(CODE, {**CODE, **change})
    assert line.startswith(expected)


def test_data_changes_are_named_by_file() -> None:
    was = {"scenarios/data/sectors.csv": "1" * 64}
    assert check_same_data(was, dict(was)) == []
    assert check_same_data(None, was) == []
    (line,) = check_same_data(was, {"scenarios/data/sectors.csv": "2" * 64})
    assert line.startswith("data file scenarios/data/sectors.csv: sha256 111111111111 recorded")
    (line,) = check_same_data(was, {**was, "network.path": "3" * 64})
    assert line == "data file network.path: not read recorded, sha256 333333333333 now"
