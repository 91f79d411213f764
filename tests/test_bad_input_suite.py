"""Bad input, generated from the schema: every case is refused the one way, and touches nothing.

For every leaf key of the schema (:func:`strikesim.config.schema_keys`), values of the wrong type,
NaN and ±infinity, values just outside the declared range and values outside the choices; plus
hand-written cases for the command line's own grammar (removals, additions, unknown keys and
groups). Each case runs the real command in-process, ``strikesim.cli.main``, in an empty folder
that holds one precious file, and must: exit with code 2, print exactly one line on stderr in
:func:`~strikesim.cli.messages.bad_input`'s format naming the key, print no traceback, and leave
the folder exactly as it was. Bad input is refused while composing (~0.1 s), so the suite stays
fast; a case that wrongly runs shows up as a failed assertion (and a run folder), not as a hang.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pytest

from strikesim import cli
from strikesim.config import MAX_NAME_LENGTH, SchemaKey, schema_keys

PRECIOUS = b"three years of field notes\n"
PREFIX = "strikesim: config error: "
# every case runs on the small preset, first, so that a case's own group choice wins
BASE = ["population=small"]


@dataclass(frozen=True)
class Case:
    overrides: tuple[str, ...]
    names: str  # what the one line must mention: the key (or the override) at fault
    allowed: str = ""  # what it must say is allowed (hand cases of cross-field rules)

    @property
    def id(self) -> str:
        return " ".join(self.overrides)[:80]


def _below(low: float, kind: str) -> str:
    return str(int(low) - 1) if kind == "int" else repr(math.nextafter(float(low), -math.inf))


def _above(high: float, kind: str) -> str:
    return str(int(high) + 1) if kind == "int" else repr(math.nextafter(float(high), math.inf))


def numeric_cases(key: SchemaKey) -> list[str]:
    """Wrong types, NaN, ±inf, and the nearest values outside [low, high]."""
    values = ["abc", "nan", "inf", "-inf", "[1,2]", "true", "{a:1}"]
    values += [_below(key.meta["low"], key.kind), _above(key.meta["high"], key.kind)]
    if key.kind == "int":
        values += ["1.5", "1e3"]
    return values


def flag_cases(key: SchemaKey) -> list[str]:
    """Anything but true/false: OmegaConf alone would read 2, 1, 0, yes and off as a bool."""
    return ["2", "1", "0", "yes", "off", "'true'", "abc", "nan", "[true]", "1.0"]


def text_cases(key: SchemaKey) -> list[str]:
    """Containers for a text key; outside the choices; not a folder name; a file key unused."""
    values = ["[a,b]", "{a:1}"]
    if key.meta.get("choices"):
        values += ["nope", "5", "''", "GENERATED"]
    if key.meta.get("safe_name"):
        values += ["''", "a/b", "'..'", "x..y", "'a b'", "/etc", "'x" + "y" * MAX_NAME_LENGTH + "'"]
    if key.key in ("network.path", "network.nodes_path"):  # ignored with source=generated
        values += ["some.graphml"]
    return values


def list_cases(key: SchemaKey) -> list[str]:
    """Not a list, an unknown member, a member twice, a list of lists or numbers."""
    return ["5", "abc", "nan", "[nope]", "[seiu_26,seiu_26]", "[[seiu_26]]", "[1,2]", "{a:1}"]


GENERATORS = {
    "int": numeric_cases,
    "float": numeric_cases,
    "flag": flag_cases,
    "str": text_cases,
    "list": list_cases,
}


def generated_cases() -> list[Case]:
    """Each leaf key of the schema times each bad value its kind allows."""
    return [
        Case((f"{key.key}={value}",), key.key)
        for key in schema_keys()
        for value in GENERATORS[key.kind](key)
    ]


HAND_CASES = [
    Case(("=5",), "'=5'"),
    Case(("seed=-1",), "seed"),
    Case(("seed=" + "9" * 5000,), "seed"),  # more digits than Python will print
    Case(("~seed",), "seed"),
    Case(("~population",), "population"),
    Case(("~scenario.name",), "scenario.name"),
    Case(("foo=1",), "foo"),
    Case(("+foo=1",), "foo"),
    Case(("++foo=1",), "foo"),
    Case(("+seed=3",), "seed"),
    Case(("+weather.snow=3",), "weather.snow"),
    Case(("weather.temp=3",), "weather.temp"),
    Case(("scenario=nope",), "scenario"),
    Case(("population=nope",), "population"),
    Case(("coalition=nope",), "coalition"),
    Case(("population.size=10000000000",), "population.size"),
    Case(("population.size=" + "1" * 400,), "population.size"),
    Case(("population.scale=20001",), "population.scale"),  # more than population=small
    Case(("population.worker_share=0.9",), "worker_share"),
    Case(("scenario.observed_low=40000",), "scenario.observed_marchers"),
    Case(
        ("scenario.reference_population=429954", "scenario.observed_high=500000"),
        "scenario.observed_high",
    ),
    # the campaign's dates: each an ISO date, start_date 1 to 366 days before date
    Case(("scenario.start_date=yesterday",), "scenario.start_date", "an ISO date"),
    Case(("scenario.start_date=2026-13-01",), "scenario.start_date", "an ISO date"),
    Case(("scenario.start_date=07/01/2026",), "scenario.start_date", "an ISO date"),
    Case(("scenario.date=2026-02-30",), "scenario.date", "an ISO date"),
    Case(("scenario.date=2026-02-13T09:00",), "scenario.date", "an ISO date"),
    Case(("scenario.start_date=2026-02-13",), "scenario.start_date", "1 to 366 days before"),
    Case(("scenario.start_date=2026-03-01",), "scenario.start_date", "1 to 366 days before"),
    Case(("scenario.start_date=2025-01-01",), "scenario.start_date", "1 to 366 days before"),
    Case(("scenario.date=2026-01-06",), "scenario.date", "1 to 366 days before"),
    Case(("scenario=march_2026_01_10", "scenario.date=2027-01-11"), "scenario.date", "366 days"),
    # thresholds are Beta distributions: sd below sqrt(m (1 - m)) for every group's mean
    Case(("behavior.threshold_sd=0.48",), "behavior.threshold_sd", "below sqrt(mean * (1 - mean))"),
    Case(
        ("behavior.threshold_mean=0.05", "behavior.threshold_sd=0.25"),
        "behavior.threshold_sd",
        "below sqrt",
    ),
    Case(
        ("behavior.threshold_sd=0.4", "behavior.k12_threshold_shift=0.5"),
        "behavior.threshold_sd",
        "below sqrt",
    ),
    Case(("behavior.threshold_mean=0.04",), "behavior.threshold_mean", "a mean between 0.01"),
    Case(
        ("behavior.threshold_mean=0.6", "behavior.immigrant_threshold_shift=0.4"),
        "behavior.immigrant_threshold_shift",
        "a mean between 0.01 and 0.99",
    ),
    Case(("network=file",), "network.path"),
    Case(("network=file", "network.path=no-such.graphml"), "network.path"),
    Case(("network=file", "network.path=no-such.txt", "network.nodes_path=x.csv"), "network.path"),
    Case(("population=metro", "network.friendship_degree=200"), "population.size"),
    Case(("scenario.name=../../victim",), "scenario.name"),
    Case(("coalition.endorsers=[seiu_26,teamsters]",), "coalition.endorsers"),
]

CASES = list(dict.fromkeys(generated_cases() + HAND_CASES))  # seed=-1 is also generated


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every path under ``folder`` with its bytes (None for folders): a snapshot to compare."""
    return {
        str(p.relative_to(folder)): None if p.is_dir() else p.read_bytes()
        for p in sorted(folder.rglob("*"))
    }


def test_the_suite_is_large_enough() -> None:
    print(f"{len(CASES)} distinct bad-input cases ({len(HAND_CASES)} by hand)")
    assert len({c.overrides for c in CASES}) == len(CASES) >= 300
    assert {key.key for key in schema_keys()} <= {c.names for c in CASES}  # every key is tried


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input_is_one_line_exit_2_and_touches_nothing(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    precious = tmp_path / "results" / "precious.txt"
    precious.parent.mkdir()
    precious.write_bytes(PRECIOUS)
    before = tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    try:
        code = cli.main([*BASE, *case.overrides])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].strip(), err
    assert lines[0].startswith(PREFIX), lines[0]
    assert case.names in lines[0], lines[0]
    assert case.allowed in lines[0].partition("allowed")[2], lines[0]
    assert code == 2, (code, lines[0])
    assert out == ""
    assert tree(tmp_path) == before
    assert precious.read_bytes() == PRECIOUS
