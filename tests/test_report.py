"""``strikesim report``: a sweep's supplement, self-contained, matching the comparison it reports.

One real sweep (a town of 1,000 at two temperatures, two seeds) is run once for the module;
the report of it is read back as HTML and Markdown and checked against the files it comes from:
the jobs' config and summary, ``sweep.json`` and the comparison's ``comparison.csv``.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from strikesim.cli import main
from strikesim.config import parameter_rows
from strikesim.engine.outputs import BY_KEY
from strikesim.studies.report import recorded_config
from tests.conftest import run_cli

SWEEP_ARGS = ["-m", "population=classroom", "weather.temperature_f=-20,30", "seed=0,1"]
MARCHERS = f"{BY_KEY['marchers'].label} (people)"  # the compared outcome, as tables name it
EARLIER = b"an earlier report\n"


class Page(HTMLParser):
    """The tables (caption, header, rows of cell text) and image sources of an HTML page."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self.images: list[str] = []
        self.links: list[str] = []
        self.tags: list[str] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._caption: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        found = dict(attrs)
        if tag == "img":
            self.images.append(found.get("src") or "")
        for name in ("src", "href"):
            if found.get(name) and tag != "img":
                self.links.append(found[name] or "")
        if tag == "table":
            self.tables.append({"caption": "", "header": [], "rows": []})
        elif tag == "caption":
            self._caption = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption" and self._caption is not None:
            self.tables[-1]["caption"] = "".join(self._caption)
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            table = self.tables[-1]
            if table["header"]:
                table["rows"].append(self._row)
            else:
                table["header"] = self._row
            self._row = None

    def handle_data(self, data: str) -> None:
        for part in (self._cell, self._caption):
            if part is not None:
                part.append(data)

    def table(self, caption_start: str) -> dict:
        (found,) = [t for t in self.tables if t["caption"].startswith(caption_start)]
        return found


def rows_of(table: dict) -> list[dict[str, str]]:
    return [dict(zip(table["header"], row, strict=True)) for row in table["rows"]]


def markdown_rows(text: str) -> set[tuple[str, ...]]:
    """Every row of every pipe table in ``text``, as cell texts without backticks."""
    rows = set()
    for line in text.splitlines():
        if line.startswith("| "):
            cells = re.split(r"(?<!\\) \| ", line[2:-2])
            rows.add(tuple(c.replace("\\|", "|").strip("`") for c in cells))
    return rows


def parse_number(text: str) -> tuple[float, int]:
    """A shown number and its decimal places (``+1,234.5`` -> 1234.5, 1)."""
    plain = text.replace(",", "")
    places = len(plain.split(".")[1]) if "." in plain else 0
    return float(plain), places


def assert_shows(text: str, value: float) -> None:
    """``text`` is ``value`` rounded to the places it shows."""
    shown, places = parse_number(text)
    assert abs(shown - value) <= 0.5 * 10**-places + 1e-9, (text, value)


def snapshot(root: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(root)): p.read_bytes() if p.is_file() else None
        for p in sorted(root.rglob("*"))
    }


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished sweep and its report in the default folder."""
    cwd = tmp_path_factory.mktemp("report")
    proc = run_cli(SWEEP_ARGS, cwd)
    assert proc.returncode == 0, proc.stderr
    (folder,) = (cwd / "results" / "sweeps").iterdir()
    assert main(["report", str(folder)]) == 0
    return folder


def test_the_html_is_one_self_contained_file(sweep: Path) -> None:
    text = (sweep / "report" / "report.html").read_text(encoding="utf-8")
    page = Page(text)
    assert 'src="http' not in text and 'href="http' not in text and "url(" not in text
    assert not {"link", "script", "iframe", "object"} & set(page.tags)
    assert page.links == [] or all(link.startswith("#") for link in page.links)
    assert len(page.images) >= 2  # the distribution, the curves, the effects
    assert all(
        src.startswith(("data:image/png;base64,", "data:image/svg+xml")) for src in page.images
    )
    assert "<style>" in text and text.rstrip().endswith("</html>")
    assert not list(sweep.glob(".report*")), "a staging folder was left behind"


def test_every_parameter_has_its_value_and_unit_and_the_varied_keys_their_levels(
    sweep: Path,
) -> None:
    page = Page((sweep / "report" / "report.html").read_text(encoding="utf-8"))
    shown = {row["key"]: row for row in rows_of(page.table("Parameters"))}
    expected = parameter_rows(recorded_config(sweep / "0" / "config.yaml"))
    assert [row["key"] for row in expected] == list(shown)
    for row in expected:
        assert shown[row["key"]]["unit"] == row["unit"], row["key"]
        assert shown[row["key"]]["source or prior"] == row["source or prior"], row["key"]
        assert shown[row["key"]]["calibrated"] == (row["calibrated"] or "no"), row["key"]
    assert shown["weather.temperature_f"]["value"] == "varied: -20; 30"
    assert shown["weather.temperature_f"]["unit"] == "°F"
    assert shown["seed"]["value"] == "varied: 0, 1"
    assert shown["population.size"]["value"] == "1,000"
    (factor,) = rows_of(page.table("Factors"))
    assert factor["factor"] == "weather.temperature_f" and factor["levels"] == "-20, 30"
    plan = json.loads((sweep / "sweep.json").read_text())
    code = {r["item"]: r["value"] for r in rows_of(page.table("Code"))}
    assert code["sweep command"] == plan["command"]


def test_the_tables_are_the_comparisons_numbers(sweep: Path) -> None:
    page = Page((sweep / "report" / "report.html").read_text(encoding="utf-8"))
    expected = pd.read_csv(sweep / "report" / "comparison" / "comparison.csv")
    levels = rows_of(page.table(f"{MARCHERS} per level"))
    assert [int(r["weather.temperature_f"]) for r in levels] == [-20, 30]
    for row, want in zip(levels, expected.to_dict("records"), strict=True):
        assert int(row["runs"]) == want["runs"] == 2
        for column, key in [("mean", "mean"), ("sd", "sd"), ("Median", "median"), ("5%", "q05")]:
            assert_shows(row[column], want[key])
        low, high = row["mean 95% CI"].split(" to ")
        assert_shows(low, want["ci_low"])
        assert_shows(high, want["ci_high"])
        assert_shows(row["target"], want["target"])
        assert_shows(row["P(>= target)"], want["p_reach_target"])
    differences = pd.read_csv(sweep / "report" / "comparison" / "differences.csv")
    (difference,) = rows_of(page.table("Paired differences"))
    assert (difference["level"], difference["reference"]) == ("30", "-20")
    assert_shows(difference["difference"], differences["mean_difference"].iloc[0])
    # the marchers themselves, from the jobs' summaries: the mean of the two seeds
    for row, temperature_jobs in zip(levels, [(0, 1), (2, 3)], strict=True):
        marchers = [
            json.loads((sweep / str(j) / "summary.json").read_text())["marchers"]
            for j in temperature_jobs
        ]
        assert_shows(row["mean"], sum(marchers) / 2)


def test_provenance_names_the_commit_versions_data_files_and_job_counts(sweep: Path) -> None:
    text = (sweep / "report" / "report.html").read_text(encoding="utf-8")
    page = Page(text)
    summary = json.loads((sweep / "0" / "summary.json").read_text())
    code = {r["item"]: r["value"] for r in rows_of(page.table("Code"))}
    assert code["code commit"] == (summary["git_commit"] or "none (not a git checkout)")
    if summary["git_diff_sha256"]:
        assert code["diff sha256"] == summary["git_diff_sha256"]
    assert code["jobs run by this code"] == "4 of 4 finished jobs"
    versions = {r["library"]: r["version"] for r in rows_of(page.table("Library versions"))}
    assert versions == {k: v or "not installed" for k, v in summary["versions"].items()}
    hashes = {r["data file"]: r["sha256"] for r in rows_of(page.table("Data files"))}
    assert hashes == summary["data_files"]
    counts = {r["status"]: r["jobs"] for r in rows_of(page.table("Jobs of the sweep"))}
    assert counts == {
        "done": "4",
        "failed": "0",
        "interrupted": "0",
        "pending": "0",
        "planned": "4",
    }
    # the methods come from the code: the rule's equations and its list of separate decisions
    assert "Decision rule" in text and "need_i(t) = threshold_i - pull_i(t) - lift_i(t)" in text
    assert "<li>march: <code>march_base * weather_factor" in text and "**march**" not in text
    assert "counted on each run&#x27;s last day, the day at <code>scenario.date</code>" in text


def test_each_action_day_is_a_column_of_the_sweep_table_and_can_be_compared(
    sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The default scenario runs the documented campaign: the 10 Jan march and the 23 Jan
    strike before 13 Feb. Each is a ``marchers@<event>`` column, the jobs' own numbers."""
    table = pd.read_parquet(sweep / "results.parquet").set_index("job")
    for job in table.index:
        summary = json.loads((sweep / str(job) / "summary.json").read_text())
        events = {e["event"]: e["marchers"] for e in summary["events"]}
        assert list(events) == ["march_2026_01_10", "day_of_truth_2026_01_23", "ice_out_2026"]
        for event, marchers in events.items():
            assert table.loc[job, f"marchers@{event}"] == marchers
        assert table.loc[job, "marchers@ice_out_2026"] == table.loc[job, "marchers"]
    out = tmp_path / "jan10"
    argv = ["compare", str(sweep), "--outcome", "marchers@march_2026_01_10", "--out", str(out)]
    assert main([*argv, "--curves", "0"]) == 0
    assert "Marchers on march_2026_01_10, in people" in capsys.readouterr().out
    cells = pd.read_csv(out / "comparison.csv")
    for cell, jobs in zip(cells.to_dict("records"), [(0, 1), (2, 3)], strict=True):
        values = table.loc[list(jobs), "marchers@march_2026_01_10"]
        assert cell["mean"] == pytest.approx(values.mean())
        assert cell["outcome"] == "marchers@march_2026_01_10"


def test_the_markdown_has_the_same_tables_and_links_its_figures(sweep: Path) -> None:
    page = Page((sweep / "report" / "report.html").read_text(encoding="utf-8"))
    markdown = (sweep / "report" / "report.md").read_text(encoding="utf-8")
    rows = markdown_rows(markdown)
    for table in page.tables:
        assert tuple(table["header"]) in rows, table["caption"]
        for row in table["rows"]:
            assert tuple(row) in rows, (table["caption"], row)
        assert f"**{table['caption']}**" in markdown.replace("`", "")
    figures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)
    assert len(figures) == len(page.images)
    assert all((sweep / "report" / f).is_file() for f in figures)


def test_a_sweep_of_seeds_only_reports_the_replication_spread(tmp_path: Path) -> None:
    assert run_cli(["-m", "population=classroom", "seed=0,1,2"], tmp_path).returncode == 0
    (folder,) = (tmp_path / "results" / "sweeps").iterdir()
    out = tmp_path / "supplement"
    out.mkdir()  # an empty --out is fine
    assert main(["report", str(folder), "--out", str(out)]) == 0
    page = Page((out / "report.html").read_text(encoding="utf-8"))
    (row,) = rows_of(page.table(f"{MARCHERS} over 3 replications"))
    expected = pd.read_csv(out / "comparison" / "comparison.csv").iloc[0]
    assert_shows(row["mean"], expected["mean"])
    assert_shows(row["25%"], expected["q25"])
    assert not [t for t in page.tables if t["caption"].startswith(("Paired", "Factors"))]
    assert "varies no factor but the seed" in (out / "report.md").read_text(encoding="utf-8")
    assert not (folder / "report").exists()


def refused(capsys: pytest.CaptureFixture[str], root: Path, argv: list[str], name: str) -> None:
    """Exit 2, one line naming ``name``, nothing under ``root`` written or changed."""
    before = snapshot(root)
    assert main(["report", *argv]) == 2
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("strikesim: config error: "), err
    assert name in lines[0] and "Traceback" not in err and out == "", err
    assert snapshot(root) == before


def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = sweep.parent.parent.parent  # the module's working directory
    refused(capsys, root, [str(root / "nosuch")], "not a sweep folder")
    refused(capsys, root, [str(root / "results")], "not a sweep folder")
    refused(capsys, root, [str(sweep / "0" / "summary.json")], "not a sweep folder")
    planned = root / "planned"  # a sweep that has not finished any job yet
    planned.mkdir(exist_ok=True)
    (planned / "sweep.json").write_bytes((sweep / "sweep.json").read_bytes())
    refused(capsys, root, [str(planned)], "no finished jobs")
    corrupt = root / "corrupt"
    corrupt.mkdir(exist_ok=True)
    (corrupt / "sweep.json").write_text('{"jobs": [')
    refused(capsys, root, [str(corrupt)], "sweep.json")
    # the default folder holds the earlier report: refused, and the message says what to do
    refused(capsys, root, [str(sweep)], "--out")
    taken = root / "taken"
    taken.mkdir(exist_ok=True)
    (taken / "notes.txt").write_bytes(EARLIER)
    refused(capsys, root, [str(sweep), "--out", str(taken)], "--out")
    refused(capsys, root, [str(sweep), "--out", str(taken / "notes.txt")], "--out")
    refused(capsys, root, [str(sweep), "--bogus"], "--bogus")
    refused(capsys, root, [], "SWEEP")
