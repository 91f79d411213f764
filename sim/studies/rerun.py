"""Rerun a recorded run and prove (or disprove) that it comes out bit-identical.

A result is only as good as the claim that it can be reproduced. ``strikesim rerun DIR`` takes a
run folder (or a sweep's job folder), rebuilds its config from ``config.yaml`` alone — not from
Hydra presets, which may have changed since — runs it again, and compares every outcome of
``summary.json`` (each action day's totals among them: ``events``) and every cell of
``timeseries.parquet`` exactly. Before running it says how the
code, the libraries and the data files differ from the record (:mod:`strikesim.provenance`), so a
difference found afterwards comes with its likely cause.

The steps are separate functions so that the command line can report between them:
:func:`load_run` (refuses a folder that is not a finished run, before any work),
:func:`provenance_notes`, then :func:`simulate_again` and :func:`differences`.
:func:`rerun` does all of it for a script.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from strikesim import provenance, results
from strikesim.config import ConfigError, StrikeConfig, validate
from strikesim.provenance import check_same_code, check_same_data
from strikesim.run import RunResult, simulate, simulate_with_interval

NOT_COMPARED = {"wall_time_s", "peak_rss_mib", "files", *provenance.PROVENANCE_KEYS}
"""Summary keys that are no outcome: time, memory, file sizes (they depend on the parquet
writer's version) and provenance (compared, and reported, before the run instead)."""


@dataclass
class RecordedRun:
    """A finished run folder as recorded: its config, summary and time series."""

    folder: Path
    config: StrikeConfig
    summary: dict[str, Any]
    timeseries: pa.Table


@dataclass
class RerunOutcome:
    """What :func:`rerun` found: provenance notes (before the run) and differences (after)."""

    recorded: RecordedRun
    result: RunResult
    notes: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        """Reproduced bit for bit: no outcome differs (:data:`NOT_COMPARED` keys are no outcome)."""
        return not self.differences


def _refuse(folder: Path, problem: str) -> ConfigError:
    return ConfigError(f"rerun {folder}: {problem}; allowed: a finished run or sweep job folder")


def load_config(path: Path) -> StrikeConfig:
    """The config recorded in a run's ``config.yaml``: merged onto the schema, then validated.

    Merging onto ``OmegaConf.structured(StrikeConfig)`` refuses unknown keys and wrong types, as
    composing does; :func:`strikesim.config.validate` then checks ranges and cross-field rules.
    """
    try:
        loaded = OmegaConf.load(path)
        if not isinstance(loaded, DictConfig):
            raise ValueError(f"a {type(loaded).__name__} instead of a mapping of keys")
        merged = OmegaConf.merge(OmegaConf.structured(StrikeConfig), loaded)
        config = OmegaConf.to_object(merged)
    except (OmegaConfBaseException, yaml.YAMLError, ValueError, TypeError, OSError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ConfigError(f"{path} is not a readable strikesim config ({reason[:300]})") from None
    assert isinstance(config, StrikeConfig)
    try:
        return validate(config)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def load_run(folder: Path) -> RecordedRun:
    """A finished run folder's record; ConfigError (one line) for anything else, before any work.

    Finished means :func:`strikesim.results.is_finished`: a summary that lists every file at its
    size, so a half-written or truncated folder is refused rather than compared.
    """
    folder = Path(folder)
    if not folder.exists():
        raise _refuse(folder, "no such folder")
    if not folder.is_dir():
        raise _refuse(folder, "not a folder")
    if not results.is_finished(folder):
        raise _refuse(folder, f"not a finished run folder (no complete {results.SUMMARY})")
    config = load_config(folder / results.CONFIG)
    try:
        table = pq.read_table(folder / results.TIMESERIES)
    except (OSError, pa.ArrowException) as exc:
        reason = " ".join(str(exc).split())[:300]
        raise _refuse(folder, f"{results.TIMESERIES} cannot be read ({reason})") from None
    return RecordedRun(folder, config, results.read_summary(folder), table)


def provenance_notes(recorded: RecordedRun) -> list[str]:
    """How the code, library versions and data files now differ from the record, one line each."""
    return check_same_code(recorded.summary, provenance.code_identity()) + check_same_data(
        recorded.summary.get("data_files"), provenance.data_files(recorded.config)
    )


# --- comparing outcomes --------------------------------------------------------------------------
def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"observed": {"low": 1}}`` -> ``{"observed.low": 1}``: every leaf named by its path.

    A list of mappings (``events``: one per action day) is flattened by position, so a
    difference names its day and field (``events.0.marchers``) and a NaN compares by value
    (:func:`_same`), not by list equality, which holds NaN equal only to the very same object.
    """
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and value:
            flat |= _flatten(value, f"{prefix}{key}.")
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            flat |= _flatten({str(n): v for n, v in enumerate(value)}, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _same(a: Any, b: Any) -> bool:
    """Bit-identical as recorded: same JSON type and value (nan equals nan)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def summary_differences(recorded: dict[str, Any], rerun: dict[str, Any]) -> list[str]:
    """Every summary field (but :data:`NOT_COMPARED`) whose value differs, one line each.

    The rerun's summary goes through JSON first, exactly as it would be written, so that types
    compare as recorded (a tuple is a list, an int stays an int).
    """
    was = _flatten({k: v for k, v in recorded.items() if k not in NOT_COMPARED})
    now = _flatten(
        json.loads(json.dumps({k: v for k, v in rerun.items() if k not in NOT_COMPARED}))
    )
    lines = []
    for key in dict.fromkeys([*was, *now]):
        if key not in now:
            lines.append(f"{key}: {was[key]!r} recorded, absent now")
        elif key not in was:
            lines.append(f"{key}: not recorded, {now[key]!r} now")
        elif not _same(was[key], now[key]):
            lines.append(f"{key}: {was[key]!r} recorded, {now[key]!r} now")
    return lines


def as_written(frame: pd.DataFrame) -> pa.Table:
    """``frame`` as :func:`strikesim.results.write_parquet` writes it, read back (in memory)."""
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    buffer.seek(0)
    return pq.read_table(buffer)


def timeseries_differences(recorded: pa.Table, frame: pd.DataFrame) -> list[str]:
    """How the rerun's time series differs from the recorded table; empty when identical.

    Both sides are parquet tables read back, so the comparison is of what is on disk: columns,
    types, row order and every value (nan equals nan, as pandas' ``equals`` has it).
    """
    now = as_written(frame)
    if recorded.equals(now):
        return []
    if recorded.column_names != now.column_names:
        return [f"timeseries columns: {recorded.column_names} recorded, {now.column_names} now"]
    lines = [
        f"timeseries column {name!r}: type {a.type} recorded, {b.type} now"
        for name, a, b in zip(recorded.column_names, recorded.schema, now.schema, strict=True)
        if a.type != b.type
    ]
    if lines:
        return lines
    if recorded.num_rows != now.num_rows:
        return [f"timeseries: {recorded.num_rows} rows recorded, {now.num_rows} now"]
    was, new = recorded.to_pandas(), now.to_pandas()
    for name in was.columns:
        a, b = was[name], new[name]
        if a.equals(b):
            continue
        differ = ~((a == b) | (a.isna() & b.isna()))
        rows = list(differ[differ].index)
        if not rows:
            continue
        first = rows[0]
        lines.append(
            f"timeseries column {name!r}: {len(rows)} of {len(a)} rows differ "
            f"(first: row {first}, {a.iloc[first]!r} recorded, {b.iloc[first]!r} now)"
        )
    return lines


def differences(recorded: RecordedRun, result: RunResult) -> list[str]:
    """Every way the rerun's outcomes differ from the record; empty when bit-identical."""
    return summary_differences(recorded.summary, result.summary) + timeseries_differences(
        recorded.timeseries, result.timeseries
    )


def simulate_again(recorded: RecordedRun) -> RunResult:
    """The recorded run simulated again as it was first: with its posterior predictive interval
    when the record has one (the command's runs do, a sweep's jobs do not)."""
    if recorded.summary.get("predictive"):
        return simulate_with_interval(recorded.config)
    return simulate(recorded.config)


def rerun(folder: Path) -> RerunOutcome:
    """Load the run in ``folder``, run its config again and compare; writes nothing."""
    recorded = load_run(folder)
    notes = provenance_notes(recorded)
    result = simulate_again(recorded)
    return RerunOutcome(recorded, result, notes, differences(recorded, result))
