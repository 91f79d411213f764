"""A sweep's supplement for a paper: methods, tables, figures and provenance in one HTML file.

``strikesim report SWEEP`` writes ``report.html`` — one self-contained file (CSS inline, figures
embedded as base64 PNG, nothing fetched from anywhere), which a journal's supplement, an e-mail
attachment or an archive keeps readable without the sweep folder — and ``report.md``, the same
document as Markdown, whose figures are the PNG files beside it in ``comparison/``.

Why generated rather than written: a methods section typed by hand drifts from the code that
produced the numbers. Every part here is read from the code and from the sweep's own records:

- **methods**: the schedule (:mod:`strikesim.engine.model`) and the decision rule
  (:mod:`strikesim.engine.rule`) from their docstrings — ``docs/model.md`` is not installed with
  the package, the docstrings are, and they describe the code that ran; the outputs table
  (:func:`strikesim.engine.outputs.describe`); every parameter of the resolved config of the
  sweep's first finished job with its unit and its source or prior (the rows of the docs'
  parameter table, :func:`strikesim.config.parameter_rows`), each key the sweep varied shown
  with every value it took; the factors, levels and replications of ``sweep.json``;
- **results**: the tables of :func:`strikesim.studies.compare.compare_sweeps` (each level with its
  CI, the paired differences and interactions; the replication spread when only the seed
  varies) and the figures of :func:`strikesim.studies.compare.write_outputs`, written into the
  report's ``comparison/`` folder beside the CSV tables the numbers come from;
- **provenance**: commit, tree state, diff hash, library versions and data-file hashes from the
  job summaries (and whether every job ran the same code), the sweep's command, and how many of
  its jobs finished, failed or are still to run.

The document is a list of blocks (:data:`Block`) rendered twice, as HTML (:func:`render_html`) and
as Markdown (:func:`render_markdown`), so both versions hold the same tables by construction.
:func:`read_sweep` reads and checks everything — bad input raises ConfigError before anything is
written — and :func:`write_report` writes into a folder the caller provides (the command line
stages it and renames it into place, :func:`strikesim.results.publish_folder`).
"""

from __future__ import annotations

import base64
import html
import inspect
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

import strikesim
from strikesim import provenance, results
from strikesim.compose import config_groups
from strikesim.config import ConfigError, StrikeConfig, parameter_rows
from strikesim.engine import model as engine_model
from strikesim.engine import outputs, rule
from strikesim.parameters import markdown_table
from strikesim.studies import sweep
from strikesim.studies.compare import (
    CI_DESCRIPTIONS,
    CONFIDENCE,
    ComparisonResult,
    compare_sweeps,
    read_job_summary,
    read_sweep_plan,
    write_outputs,
)
from strikesim.viz.compare_plots import split_outcome

HTML_FILE = "report.html"
MARKDOWN_FILE = "report.md"
COMPARISON_FOLDER = "comparison"
DEFAULT_FOLDER = "report"
"""The report's folder inside the sweep when no ``--out`` is given."""
MAX_FAILURES_LISTED = 20  # a sweep with thousands of failures: the first ones say why
QUANTILES = (("q05", "5%"), ("q25", "25%"), ("median", "Median"), ("q75", "75%"), ("q95", "95%"))
CI = f"{CONFIDENCE:.0%} CI"
FIGURE_CAPTIONS = {
    "distribution": "{outcome} of every run per level (points), with quartiles (box), 5-95% "
    "(whiskers) and the mean with its {ci}; the target and the published range where known.",
    "heatmap": "Mean {outcome} for each combination of the first two factors, with its {ci}.",
    "curves": "{curve} on each campaign day: mean over the runs of each level, with its {ci} "
    "as a ribbon.",
    "effects": "Paired differences of {outcome} from each factor's reference level with their "
    "{ci}: over all levels of the other factors (squares) and at each of them (circles).",
}
"""Captions of the figures :func:`write_outputs` draws, by file name; others are named by file."""


# --- the document ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Heading:
    """A section title; ``level`` 2 is a section, 3 a subsection."""

    text: str
    level: int = 2


@dataclass(frozen=True)
class Paragraph:
    """Text; ````code```` (reStructuredText's inline literal) is set as code in both formats."""

    text: str


@dataclass(frozen=True)
class Code:
    """Preformatted text: an equation, a command."""

    text: str


@dataclass(frozen=True)
class Bullets:
    """A bulleted list of text items (same inline-code convention as :class:`Paragraph`)."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A table of text cells; ``numeric`` columns align right, ``code`` columns are set as code."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""
    numeric: tuple[str, ...] = ()
    code: tuple[str, ...] = ()


@dataclass(frozen=True)
class Figure:
    """An image file of the report folder (``path`` relative to it, with ``/``) and its caption."""

    path: str
    caption: str


Block = Heading | Paragraph | Code | Bullets | Table | Figure


# --- reading ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SweepRecord:
    """Everything the report shows, read and checked before anything is written.

    ``config``: the resolved config of ``first_job`` (the sweep's first finished job);
    ``varied``: config key -> every value it takes across the sweep's cells, for the keys that
    take more than one; ``statuses``: one row per planned job (job, status, error);
    ``identities``: each distinct code-and-data identity of the finished jobs (the provenance
    keys of their summaries) with the jobs that ran it; ``generated``: the code identity of the
    process writing the report, and when.
    """

    folder: Path
    plan: dict[str, Any]
    comparison: ComparisonResult
    first_job: int
    summary: dict[str, Any]
    config: StrikeConfig
    varied: dict[str, list[str]]
    statuses: pd.DataFrame
    identities: list[tuple[dict[str, Any], list[int]]]
    generated: dict[str, Any]

    @property
    def name(self) -> str:
        """The sweep folder's name (also for ``strikesim report .``)."""
        return self.folder.resolve().name


def read_sweep(folder: Path) -> SweepRecord:
    """Read a sweep folder for its report; ConfigError (one line) when it is not a sweep, has
    no finished job, or a file the report needs cannot be read."""
    folder = Path(folder)
    plan = read_sweep_plan(folder)
    comparison = compare_sweeps([folder])  # refuses a sweep without finished jobs
    jobs = comparison.jobs.sort_values("job", kind="stable")
    first = Path(jobs["folder"].iloc[0])
    summary = read_job_summary(first / results.SUMMARY)
    config = recorded_config(first / results.CONFIG)
    return SweepRecord(
        folder=folder,
        plan=plan,
        comparison=comparison,
        first_job=int(jobs["job"].iloc[0]),
        summary=summary,
        config=config,
        varied=varied_values(plan, jobs, config),
        statuses=job_statuses(folder),
        identities=code_identities(jobs),
        generated={
            **provenance.code_identity(),
            "time": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        },
    )


def recorded_config(path: Path) -> StrikeConfig:
    """The config a job ran with, from its ``config.yaml``, typed by the schema.

    Merged onto the schema (unknown keys and wrong types are refused) but not validated again:
    the job ran with it, and a graph file moved since (``network=file``) must not keep the
    report from describing what ran.
    """
    try:
        loaded = OmegaConf.load(path)
        if not isinstance(loaded, DictConfig):
            raise ValueError(f"a {type(loaded).__name__} instead of a mapping of keys")
        config = OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(StrikeConfig), loaded))
    except (OmegaConfBaseException, yaml.YAMLError, ValueError, TypeError, OSError) as exc:
        reason = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise ConfigError(
            f"{path} is not a readable strikesim config ({reason}); allowed: the config.yaml of "
            "a finished sweep job"
        ) from None
    assert isinstance(config, StrikeConfig)
    return config


def varied_values(
    plan: dict[str, Any], jobs: pd.DataFrame, first: StrikeConfig
) -> dict[str, list[str]]:
    """Config key -> every value it takes in the sweep (as the parameter table shows values),
    for the keys that take more than one.

    One job per cell (combination of the factors but the seed) is read: a factor that is a
    preset (``coalition=narrow,broad``) changes keys that the factor's name does not say.
    """
    factors = [k for k in plan["factors"] if k != "seed" and k in jobs.columns]
    cells = jobs.drop_duplicates(factors) if factors else jobs.head(1)
    values: dict[str, list[str]] = {}
    for i, path in enumerate(cells["folder"]):
        config = first if i == 0 else recorded_config(Path(path) / results.CONFIG)
        for row in parameter_rows(config):
            seen = values.setdefault(row["key"], [])
            if row["shipped"] not in seen:
                seen.append(row["shipped"])
    varied = {key: shown for key, shown in values.items() if len(shown) > 1}
    seeds = sorted(int(s) for s in jobs["seed"].unique())
    if len(seeds) > 1:  # one job per cell was read: the seeds come from all jobs
        varied["seed"] = [seeds_text(seeds)]
    return varied


def job_statuses(folder: Path) -> pd.DataFrame:
    """Job, status (done, failed, interrupted, pending) and error of every planned job."""
    try:
        table = sweep.job_table(folder)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise ConfigError(
            f"{folder}: the jobs' records ({sweep.STATUS}/) cannot be read ({reason}); allowed: "
            "a sweep folder as 'strikesim -m ...' leaves it"
        ) from None
    return table[["job", "status", "error"]]


def code_identities(jobs: pd.DataFrame) -> list[tuple[dict[str, Any], list[int]]]:
    """Each distinct provenance record (code, versions, data files) of the finished jobs, with
    the jobs that carry it, most jobs first: a sweep resumed with ``--allow-code-change`` ran
    more than one."""
    found: dict[str, tuple[dict[str, Any], list[int]]] = {}
    for job, path in zip(jobs["job"], jobs["folder"], strict=True):
        summary = read_job_summary(Path(path) / results.SUMMARY)
        identity = {key: summary.get(key) for key in provenance.PROVENANCE_KEYS}
        key = json.dumps(identity, sort_keys=True, default=str)
        found.setdefault(key, (identity, []))[1].append(int(job))
    return sorted(found.values(), key=lambda item: -len(item[1]))


# --- numbers as the tables show them ------------------------------------------------------------
def places_for(values: Iterable[object]) -> int:
    """Decimal places that show ~3 significant digits of the largest value (0 to 4): people in
    hundreds need none, a share of 0.47 needs three."""
    finite = [abs(x) for x in map(_finite, values) if x is not None]
    biggest = max(finite, default=0.0)
    if biggest == 0:
        return 0
    return min(4, max(0, 2 - math.floor(math.log10(biggest))))


def _finite(value: object) -> float | None:
    """A finite number as a float; None for anything else (NaN, None, text, a bool)."""
    value = _as_number(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def number(value: object, places: int, sign: bool = False) -> str:
    """``value`` with thousands separators and ``places`` decimals; ``n/a`` when undefined (a CI
    of one run). No ``-0``: a rounded zero has no sign."""
    finite = _finite(value)
    if finite is None:
        return "n/a"
    rounded = round(finite, places) or 0.0
    return f"{rounded:{'+' if sign and rounded else ''},.{places}f}"


def interval(low: object, high: object, places: int, sign: bool = False) -> str:
    """A CI as ``low to high`` (a dash would read as a minus sign)."""
    if _finite(low) is None or _finite(high) is None:
        return "n/a"
    return f"{number(low, places, sign)} to {number(high, places, sign)}"


def level(value: object) -> str:
    """A factor level as the sweep command wrote it: ``-20``, ``0.5``, ``broad``."""
    finite = _finite(value)
    return str(int(finite)) if finite is not None and finite.is_integer() else str(value)


def _as_number(value: object) -> object:
    """numpy and pandas scalars as Python numbers (``isinstance(np.int64(3), int)`` is False)."""
    return value.item() if hasattr(value, "item") else value


# --- the methods --------------------------------------------------------------------------------
_ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")
_BOLD = re.compile(r"\*\*(\S|\S.*?\S)\*\*")  # **word**, not the power in ``x ** y``


def docstring_blocks(doc: str | None, heading_level: int = 4) -> list[Block]:
    """A module docstring as blocks: a line followed by indented lines is a heading over its
    paragraph, text indented deeper than a paragraph is preformatted (equations), a block of
    ``- item`` lines is a bulleted list, other blocks are paragraphs. Sphinx roles
    (``:func:`x```) become code; ``**bold**`` becomes plain text."""
    blocks: list[Block] = []
    text = _ROLE.sub(lambda m: f"``{m[1]}``", doc or "")
    text = _BOLD.sub(lambda m: m[1], text)
    for chunk in re.split(r"\n\s*\n", inspect.cleandoc(text)):
        lines = chunk.splitlines()
        if not lines:
            continue
        indents = [len(line) - len(line.lstrip()) for line in lines]
        if min(indents) >= 8:
            blocks.append(Code("\n".join(line[min(indents) :] for line in lines)))
        elif lines[0].lstrip().startswith("- "):
            items: list[list[str]] = []
            for line in lines:
                if line.lstrip().startswith("- "):
                    items.append([line.lstrip()[2:].strip()])
                else:
                    items[-1].append(line.strip())
            blocks.append(Bullets(tuple(" ".join(item) for item in items)))
        elif len(lines) > 1 and indents[0] == 0 and all(i > 0 for i in indents[1:]):
            blocks.append(Heading(lines[0].strip(), heading_level))
            blocks.append(Paragraph(" ".join(line.strip() for line in lines[1:])))
        else:
            blocks.append(Paragraph(" ".join(line.strip() for line in lines)))
    return blocks


def schedule_blocks() -> list[Block]:
    """The model's schedule, from :mod:`strikesim.engine.model`'s docstring (its paragraph on
    scheduling; nothing when the docstring has none)."""
    found = [
        block
        for block in docstring_blocks(engine_model.__doc__)
        if isinstance(block, Paragraph) and block.text.startswith("Scheduling")
    ]
    return found[:1]


def outcome_text(key: str) -> tuple[str, str]:
    """The label and unit of an outcome, as :mod:`strikesim.engine.outputs` declares them; a
    per-event column (``marchers@march_2026_01_10``) names its action day."""
    base, event = split_outcome(key)
    output = outputs.BY_KEY.get(base)
    if output is None:
        return key, ""
    return (f"{output.label} on {event}" if event else output.label), output.unit


def outputs_table(compared: str) -> Table:
    """Every output the model declares (label, unit, scaling), the compared one marked."""
    rows = outputs.describe()
    header = tuple(rows[0])
    return Table(
        header,
        tuple(tuple(row[c] for c in header) for row in rows),
        caption=f"Outputs of every run (the comparison below is of {compared}).",
        code=("key",),
    )


def parameters_table(record: SweepRecord) -> Table:
    """Every key of the first job's resolved config: value (every value, for a key the sweep
    varied), unit, source or prior, calibrated."""
    rows = []
    for row in parameter_rows(record.config):
        value = row["shipped"]
        if row["key"] in record.varied:
            value = "varied: " + "; ".join(record.varied[row["key"]])
        rows.append(
            (row["key"], value, row["unit"], row["source or prior"], row["calibrated"] or "no")
        )
    return Table(
        ("key", "value", "unit", "source or prior", "calibrated"),
        tuple(rows),
        caption=f"Parameters: the resolved configuration of job {record.first_job}.",
        code=("key",),
    )


def seeds_text(seeds: Sequence[int]) -> str:
    """``0 to 19`` for a run of consecutive seeds, else the list (shortened past twelve)."""
    seeds = sorted(int(s) for s in seeds)
    if len(seeds) > 2 and seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]} to {seeds[-1]}"
    shown = ", ".join(map(str, seeds[:12]))
    return shown + (f", ... ({len(seeds)} seeds)" if len(seeds) > 12 else "")


def design_blocks(record: SweepRecord) -> list[Block]:
    """What the sweep varied (factors and levels), what it fixed, its replications and jobs."""
    plan, result = record.plan, record.comparison
    groups = config_groups()
    units = {row["key"]: row["unit"] for row in parameter_rows(record.config)}
    references: dict[str, str] = {}
    if not result.differences.empty:
        pairs = zip(result.differences["factor"], result.differences["reference"], strict=True)
        references = dict(pairs)
    factors = [k for k in plan["factors"] if k != "seed"]
    rows = []
    for key in factors:
        kind = f"preset of conf/{key}/" if key in groups else units.get(key, "")
        levels = plan["factors"][key]
        rows.append(
            (key, kind, ", ".join(levels), references.get(key, levels[0]), str(len(levels)))
        )
    seeds = result.jobs["seed"].unique()
    runs = result.table["runs"]
    per_cell = (
        f"{runs.min():,}" if runs.min() == runs.max() else f"{runs.min():,} to {runs.max():,}"
    )
    cells = len(result.table)
    combinations = math.prod(len(plan["factors"][k]) for k in plan["factors"])
    design = (
        "full factorial: every combination of levels and seeds is a job"
        if combinations == len(plan["jobs"])
        else "the combinations listed in sweep.json"
    )
    blocks: list[Block] = [
        Paragraph("The sweep command, as recorded in its ``sweep.json``:"),
        Code(str(plan.get("command", "(not recorded)"))),
    ]
    if rows:
        blocks.append(
            Table(
                ("factor", "unit or kind", "levels", "reference level", "number of levels"),
                tuple(rows),
                caption=f"Factors the sweep varied ({design}).",
                numeric=("number of levels",),
                code=("factor",),
            )
        )
    else:
        blocks.append(Paragraph("The sweep varies no factor but the seed: a replication study."))
    fixed = ", ".join(f"``{o}``" for o in plan.get("fixed", [])) or "none"
    blocks.append(
        Bullets(
            (
                f"Fixed overrides (every job): {fixed}; every other key has its value in the "
                "parameter table above.",
                f"Replications: seeds {seeds_text(seeds)} ({len(seeds):,} seeds; {per_cell} "
                f"finished runs per cell, {cells:,} cells).",
                f"Jobs: {len(plan['jobs']):,} planned, {len(result.jobs):,} finished and "
                "compared (see Provenance).",
            )
        )
    )
    blocks.append(
        Paragraph(
            "Common random numbers: every random stream of a run derives from its seed "
            "(``SeedSequence(seed, spawn_key=(purpose,))``), so jobs that share a seed share "
            "their population, network, thresholds and march draws whatever the other factors "
            "are, and different seeds are independent replications."
        )
    )
    return blocks


def statistics_paragraph(result: ComparisonResult) -> Paragraph:
    """How the tables' numbers are computed, in one paragraph."""
    label, unit = outcome_text(result.outcome)
    _, event = split_outcome(result.outcome)
    day = (
        f"on the action day ``{event}`` of each run"
        if event
        else "on each run's last day, the day at ``scenario.date``"
    )
    text = (
        f"Outcome compared: {label} (``{result.outcome}``{', ' + unit if unit else ''}), "
        f"counted {day}. "
        f"Each cell's mean has a {CI}: {CI_DESCRIPTIONS[result.ci]}; the replications (seeds) "
        "are the unit of independent evidence."
    )
    if result.has_target:
        target = (
            f"{number(result.target, places_for([result.target]))} {unit}".rstrip()
            if result.target is not None
            else "each run's published figure, scaled per capita to its population"
        )
        text += (
            f" P(>= target) is the share of runs reaching the target ({target}), with a "
            f"{CONFIDENCE:.0%} Wilson score interval."
        )
    if not result.differences.empty:
        text += (
            " Differences are paired: each level minus its factor's reference level, job by "
            "job, pairing jobs that share the seed and every other factor (common random "
            f"numbers); their {CI} is computed like the means'."
        )
    return Paragraph(text)


def methods(record: SweepRecord) -> list[Block]:
    """The methods section: schedule, rule, outputs, parameters and design, from code and config."""
    result = record.comparison
    label, _ = outcome_text(result.outcome)
    blocks: list[Block] = [Heading("Methods")]
    schedule = schedule_blocks()
    if schedule:
        blocks += [Heading("Model and schedule", 3), *schedule]
    blocks += [
        Heading("Decision rule", 3),
        *docstring_blocks(rule.__doc__),
        Heading("Outputs", 3),
        Paragraph(
            "Every number a run reports is declared once, with its unit and how a count of "
            "agents becomes people (one agent stands for ``population.scale`` people):"
        ),
        outputs_table(f"``{result.outcome}``, {label.lower()}"),
        Heading("Parameters", 3),
        Paragraph(
            f"Every configuration key of the sweep's first finished job (job {record.first_job}) "
            "with its value, unit and where the value comes from: a source that supports it, "
            "or the prior range of an uncertain value (calibrated: set by the recorded "
            "calibration). Keys the sweep varied show every value they took."
        ),
        parameters_table(record),
        Heading("Experimental design and statistics", 3),
        *design_blocks(record),
        statistics_paragraph(result),
    ]
    return blocks


# --- the results --------------------------------------------------------------------------------
def level_table(result: ComparisonResult) -> Table:
    """The comparison's cells: runs, mean with CI, sd, quantiles, P(>= target) with its CI."""
    table = result.table
    places = places_for(table["mean"])
    header = [*result.by, "runs", "mean", f"mean {CI}", "sd", *(name for _, name in QUANTILES)]
    if result.has_target:
        header += ["target", "P(>= target)", f"P {CI}"]
    rows = []
    for _, row in table.iterrows():
        cells = [level(row[k]) for k in result.by]
        cells += [
            f"{int(row['runs']):,}",
            number(row["mean"], places),
            interval(row["ci_low"], row["ci_high"], places),
            number(row["sd"], places),
        ]
        cells += [number(row[column], places) for column, _ in QUANTILES]
        if result.has_target:
            cells += [
                number(row["target"], places),
                number(row["p_reach_target"], 2),
                interval(row["p_low"], row["p_high"], 2),
            ]
        rows.append(tuple(cells))
    label, unit = outcome_text(result.outcome)
    where = "per level" if result.by else f"over {len(result.jobs):,} replications"
    return Table(
        tuple(header),
        tuple(rows),
        caption=f"{label}{f' ({unit})' if unit else ''} {where}.",
        numeric=tuple(header[len(result.by) :]),
        code=tuple(result.by),
    )


def differences_table(frame: pd.DataFrame, places: int, interactions: bool) -> Table:
    """Paired differences (or, with ``interactions``, the same at each level of the others)."""
    header = ["factor", "level", "reference", *(["at"] if interactions else [])]
    header += ["pairs", "difference", f"difference {CI}"]
    rows = []
    for _, row in frame.iterrows():
        cells = [str(row["factor"]), str(row["level"]), str(row["reference"])]
        cells += [str(row["at"])] if interactions else []
        cells += [
            f"{int(row['pairs']):,}",
            number(row["mean_difference"], places, sign=True),
            interval(row["ci_low"], row["ci_high"], places, sign=True),
        ]
        rows.append(tuple(cells))
    return Table(
        tuple(header),
        tuple(rows),
        caption=(
            "Interactions: the paired difference of each factor at each level of the others."
            if interactions
            else "Paired differences: each level minus the reference level."
        ),
        numeric=("pairs", "difference", f"difference {CI}"),
        code=("factor",),
    )


def figure_caption(path: Path, result: ComparisonResult) -> str:
    """A figure's caption, naming the compared outcome and how its intervals were computed."""
    label, _ = outcome_text(result.outcome)
    template = FIGURE_CAPTIONS.get(path.stem)
    if template is None:
        return path.stem.replace("_", " ").capitalize() + "."
    text = template.format(outcome=label.lower(), ci=CI, curve=result.curve_name)
    return text[0].upper() + text[1:]


def results_blocks(record: SweepRecord, figures: Sequence[Path]) -> list[Block]:
    """The comparison tables and figures (``figures``: relative to the report folder)."""
    result = record.comparison
    places = places_for(result.table["mean"])
    blocks: list[Block] = [
        Heading("Results"),
        Paragraph(
            "The tables are the comparison's (``strikesim compare``); their unrounded numbers "
            "are in ``comparison/comparison.csv``, ``differences.csv`` and ``interactions.csv`` "
            "beside this report."
        ),
        Heading("Levels" if result.by else "Replication spread", 3),
        level_table(result),
    ]
    fewest = int(result.table["runs"].min())
    if result.ci == "bootstrap" and fewest < 10:
        blocks.append(
            Paragraph(
                f"Note: {fewest} replications in the smallest cell; below ~10, percentile "
                "bootstrap intervals are too narrow (``strikesim compare --ci t`` gives "
                "Student's t intervals)."
            )
        )
    if not result.differences.empty:
        blocks += [
            Heading("Paired differences", 3),
            differences_table(result.differences, places, interactions=False),
        ]
    if not result.interactions.empty:
        blocks += [
            Heading("Interactions", 3),
            differences_table(result.interactions, places, interactions=True),
        ]
    if figures:
        blocks.append(Heading("Figures", 3))
        blocks += [Figure(p.as_posix(), figure_caption(p, result)) for p in figures]
    return blocks


# --- provenance ---------------------------------------------------------------------------------
def _shown(value: object, missing: str = "not recorded") -> str:
    return missing if value is None or value == "" else str(value)


def provenance_blocks(record: SweepRecord) -> list[Block]:
    """Code, libraries, data files, the jobs' states and the report's own code."""
    summary, plan = record.summary, record.plan
    jobs_with_it = next(
        (jobs for _, jobs in record.identities if record.first_job in jobs), [record.first_job]
    )  # the identity of the job whose summary the table shows
    finished = len(record.comparison.jobs)
    tree = summary.get("git_tree")
    rows = [
        ("sweep folder", record.name),
        ("sweep command", _shown(plan.get("command"))),
        ("sweep started", _shown(plan.get("created"))),
        ("code commit", _shown(summary.get("git_commit"), "none (not a git checkout)")),
        ("working tree", "dirty (uncommitted changes)" if tree == "dirty" else _shown(tree)),
        ("diff sha256", _shown(summary.get("git_diff_sha256"), "none")),
        ("jobs run by this code", f"{len(jobs_with_it):,} of {finished:,} finished jobs"),
    ]
    blocks: list[Block] = [
        Heading("Provenance"),
        Paragraph(
            f"From the summary of job {record.first_job} (every job records the code, library "
            "versions and data files it ran with)."
        ),
        Table(("item", "value"), tuple(rows), caption="Code.", code=()),
    ]
    versions = summary.get("versions") or {}
    if versions:
        blocks.append(
            Table(
                ("library", "version"),
                tuple((name, _shown(v, "not installed")) for name, v in versions.items()),
                caption="Library versions.",
                code=("library",),
            )
        )
    data = summary.get("data_files") or {}
    if data:
        blocks.append(
            Table(
                ("data file", "sha256"),
                tuple((name, _shown(digest, "unreadable")) for name, digest in data.items()),
                caption="Data files the runs read.",
                code=("data file", "sha256"),
            )
        )
    if len(record.identities) > 1:
        blocks.append(
            Table(
                ("code commit", "working tree", "diff sha256", "jobs"),
                tuple(
                    (
                        _shown(ident.get("git_commit"), "none"),
                        _shown(ident.get("git_tree")),
                        _shown(ident.get("git_diff_sha256"), "none"),
                        _jobs_text(jobs),
                    )
                    for ident, jobs in record.identities
                ),
                caption="The finished jobs ran different code or data (a sweep resumed with "
                "--allow-code-change): each identity and its jobs.",
                numeric=("jobs",),
            )
        )
    counts = record.statuses["status"].value_counts()
    states = ("done", "failed", "interrupted", "pending")
    blocks.append(
        Table(
            ("status", "jobs"),
            (
                *((s, f"{int(counts.get(s, 0)):,}") for s in states),
                ("planned", f"{len(record.statuses):,}"),
            ),
            caption="Jobs of the sweep.",
            numeric=("jobs",),
        )
    )
    failed = record.statuses[record.statuses["status"] == "failed"]
    if len(failed):
        items = [
            f"job {int(row.job)}: {row.error or '(no error recorded)'}"
            for row in failed.head(MAX_FAILURES_LISTED).itertuples()
        ]
        if len(failed) > MAX_FAILURES_LISTED:
            items.append(f"... and {len(failed) - MAX_FAILURES_LISTED:,} more (see index.csv)")
        blocks += [Paragraph("Failed jobs (not in the tables):"), Bullets(tuple(items))]
    generated = record.generated
    blocks.append(
        Paragraph(
            f"This report: written {generated['time']} by ``strikesim report`` "
            f"(strikesim {strikesim.__version__}, commit "
            f"{_shown(generated.get('git_commit'), 'none')}, working tree "
            f"{_shown(generated.get('git_tree'), 'unknown')}); its statistics are computed by "
            "that code from the outcomes the jobs recorded."
        )
    )
    return blocks


def _jobs_text(jobs: list[int]) -> str:
    shown = ", ".join(map(str, jobs[:10]))
    return shown + (f", ... ({len(jobs):,} jobs)" if len(jobs) > 10 else "")


def document(record: SweepRecord, figures: Sequence[Path] = ()) -> list[Block]:
    """The whole report as blocks: title, methods, results (with ``figures``), provenance;
    sections and figures numbered in order (a section a sweep does not need is left out)."""
    result = record.comparison
    label, _ = outcome_text(result.outcome)
    compared = ", ".join(f"``{k}``" for k in result.by) or "its replications (seeds)"
    blocks: list[Block] = [
        Heading(f"Supplementary material: strikesim sweep {record.name}", 1),
        Paragraph(
            f"A sweep of the strikesim agent-based model: {len(result.jobs):,} finished runs, "
            f"{label.lower()} compared across {compared}. Generated by ``strikesim report`` from "
            "the sweep's records: the methods from the code's own descriptions, the tables and "
            "figures from the outcomes the runs recorded, the provenance from the runs' "
            "summaries."
        ),
        *code_note(record),
        *methods(record),
        *results_blocks(record, figures),
        *provenance_blocks(record),
    ]
    return numbered(blocks)


CODE_IDENTITY = ("git_commit", "git_tree", "git_diff_sha256")


def code_note(record: SweepRecord) -> list[Block]:
    """A warning when the code writing the report is not the code the jobs ran: the methods
    text is generated from the former, the numbers come from the latter."""
    ran = {key: record.summary.get(key) for key in CODE_IDENTITY}
    ran["strikesim"] = (record.summary.get("versions") or {}).get("strikesim")
    now = {key: record.generated.get(key) for key in CODE_IDENTITY}
    now["strikesim"] = (record.generated.get("versions") or {}).get("strikesim")
    if ran == now:
        return []
    return [
        Paragraph(
            "Note: this report was generated by other code than the runs ran (strikesim "
            f"{_shown(now['strikesim'], '?')}, commit {_shown(now['git_commit'], 'none')}, "
            f"tree {_shown(now['git_tree'], 'unknown')} now; strikesim "
            f"{_shown(ran['strikesim'], '?')}, commit {_shown(ran['git_commit'], 'none')}, "
            f"tree {_shown(ran['git_tree'], 'unknown')} for job {record.first_job}): the "
            "methods text describes the code that wrote the report, the numbers come from the "
            "runs."
        )
    ]


def numbered(blocks: Sequence[Block]) -> list[Block]:
    """Sections (``1.``, ``1.2``) and figures (``Figure 1.``) numbered in order of appearance."""
    section = subsection = figure = 0
    out: list[Block] = []
    for block in blocks:
        if isinstance(block, Heading) and block.level == 2:
            section, subsection = section + 1, 0
            block = Heading(f"{section}. {block.text}", 2)
        elif isinstance(block, Heading) and block.level == 3:
            subsection += 1
            block = Heading(f"{section}.{subsection} {block.text}", 3)
        elif isinstance(block, Figure):
            figure += 1
            block = Figure(block.path, f"Figure {figure}. {block.caption}")
        out.append(block)
    return out


# --- rendering ----------------------------------------------------------------------------------
_LITERAL = re.compile(r"``(.+?)``")

CSS = """
body { margin: 0; color: #222; background: #fff;
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
main { max-width: 64rem; margin: 2rem auto 4rem; padding: 0 1.2rem; }
h1 { font-size: 1.55rem; margin-bottom: 0.4rem; }
h2 { font-size: 1.3rem; margin-top: 2.4rem; border-bottom: 1px solid #ccc; }
h3 { font-size: 1.1rem; margin-top: 1.8rem; }
h4 { font-size: 1rem; margin: 1.2rem 0 0.3rem; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 0.88em; }
pre { background: #f5f5f5; padding: 0.6rem 0.8rem; white-space: pre-wrap; }
.table { overflow-x: auto; margin: 0.6rem 0 1.4rem; }
table { border-collapse: collapse; font-size: 0.86rem; }
caption { caption-side: top; text-align: left; font-weight: 600; padding: 0 0 0.3rem; }
th, td { padding: 0.18rem 0.55rem; text-align: left; vertical-align: top;
  border-bottom: 1px solid #e2e2e2; }
th { border-bottom: 2px solid #555; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 1.2rem 0 2rem; }
figure img { max-width: 100%; height: auto; }
figcaption { font-size: 0.9rem; color: #444; }
@media print { main { max-width: none; } table, figure { break-inside: avoid; } }
""".strip()


def _inline_html(text: str) -> str:
    """Escaped text with ````code```` as ``<code>``."""
    parts = _LITERAL.split(text)
    return "".join(
        f"<code>{html.escape(part)}</code>" if i % 2 else html.escape(part)
        for i, part in enumerate(parts)
    )


def _inline_markdown(text: str) -> str:
    return _LITERAL.sub(lambda m: f"`{m[1]}`", text)


def _anchor(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _image_uri(path: Path) -> str:
    """A figure as a data URI: the HTML needs no file beside it."""
    kind = "image/svg+xml" if path.suffix == ".svg" else "image/png"
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _html_table(table: Table) -> str:
    def cell(tag: str, column: str, text: str) -> str:
        kind = ' class="num"' if column in table.numeric else ""
        body = f"<code>{html.escape(text)}</code>" if column in table.code and text else None
        return f"<{tag}{kind}>{body or html.escape(text)}</{tag}>"

    head = "".join(cell("th", c, c) for c in table.header)
    body = "\n".join(
        "<tr>" + "".join(cell("td", c, t) for c, t in zip(table.header, row, strict=True)) + "</tr>"
        for row in table.rows
    )
    caption = f"<caption>{_inline_html(table.caption)}</caption>" if table.caption else ""
    return (
        f'<div class="table"><table>{caption}\n<thead><tr>{head}</tr></thead>\n'
        f"<tbody>\n{body}\n</tbody></table></div>"
    )


def render_html(blocks: Sequence[Block], folder: Path) -> str:
    """One self-contained HTML page: CSS inline, each figure (a file of ``folder``) embedded."""
    title = next((b.text for b in blocks if isinstance(b, Heading)), "strikesim report")
    parts = []
    for block in blocks:
        if isinstance(block, Heading):
            parts.append(
                f'<h{block.level} id="{_anchor(block.text)}">{_inline_html(block.text)}'
                f"</h{block.level}>"
            )
        elif isinstance(block, Paragraph):
            parts.append(f"<p>{_inline_html(block.text)}</p>")
        elif isinstance(block, Code):
            parts.append(f"<pre>{html.escape(block.text)}</pre>")
        elif isinstance(block, Bullets):
            items = "".join(f"<li>{_inline_html(item)}</li>" for item in block.items)
            parts.append(f"<ul>{items}</ul>")
        elif isinstance(block, Table):
            parts.append(_html_table(block))
        else:
            caption = html.escape(block.caption)
            parts.append(
                f'<figure><img src="{_image_uri(folder / block.path)}" alt="{caption}">'
                f"<figcaption>{caption}</figcaption></figure>"
            )
    body = "\n".join(parts)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="strikesim report {html.escape(strikesim.__version__)}">'
        f"\n<title>{html.escape(title)}</title>\n<style>\n{CSS}\n</style>\n</head>\n<body>\n"
        f"<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def render_markdown(blocks: Sequence[Block]) -> str:
    """The same document as Markdown (GitHub's tables); figures link to their PNG files."""
    parts = []
    for block in blocks:
        if isinstance(block, Heading):
            parts.append(f"{'#' * block.level} {_inline_markdown(block.text)}")
        elif isinstance(block, Paragraph):
            parts.append(_inline_markdown(block.text))
        elif isinstance(block, Code):
            parts.append(f"```text\n{block.text}\n```")
        elif isinstance(block, Bullets):
            parts.append("\n".join(f"- {_inline_markdown(item)}" for item in block.items))
        elif isinstance(block, Table):
            rows = [dict(zip(block.header, row, strict=True)) for row in block.rows]
            caption = f"**{_inline_markdown(block.caption)}**\n\n" if block.caption else ""
            parts.append(caption + markdown_table(rows, code=block.code))
        else:
            parts.append(f"![{block.caption}]({block.path})\n\n*{block.caption}*")
    return "\n\n".join(parts) + "\n"


# --- writing ------------------------------------------------------------------------------------
def write_report(out: Path, record: SweepRecord) -> list[Path]:
    """Write ``comparison/`` (the comparison's tables and figures), ``report.html`` and
    ``report.md`` into ``out``; return the two reports. Each file is written atomically."""
    out = Path(out)
    written = write_outputs(out / COMPARISON_FOLDER, record.comparison)
    figures = _figures(written)
    blocks = document(record, [p.relative_to(out) for p in figures])
    results.write_text(out / HTML_FILE, render_html(blocks, out))
    results.write_text(out / MARKDOWN_FILE, render_markdown(blocks))
    return [out / HTML_FILE, out / MARKDOWN_FILE]


def _figures(written: Iterable[Path]) -> list[Path]:
    """One file per figure, in the order drawn: its PNG, or its SVG when it has no PNG."""
    by_stem: dict[str, Path] = {}
    for path in written:
        if path.suffix == ".png" or (path.suffix == ".svg" and path.stem not in by_stem):
            by_stem[path.stem] = path
    return list(by_stem.values())


def default_folder(sweep_folder: Path) -> Path:
    """Where the report goes without ``--out``: ``<SWEEP>/report``."""
    return Path(sweep_folder) / DEFAULT_FOLDER
