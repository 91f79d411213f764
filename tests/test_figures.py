"""Figures ready to publish: human labels with units, thousands separators, a colour-blind-safe
palette that never repeats within a panel, uncertainty drawn, PNG and SVG with text as text."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.container import BarContainer

from strikesim.cli.compare import main
from strikesim.viz import compare_plots, style
from strikesim.viz.turnout import plot_turnout, turnout_figure
from tests.test_compare import GRID_FACTORS, grid_outcomes, make_grid_sweep

THOUSANDS_TICK = re.compile(r">\d{1,3}(,\d{3})+<")  # an SVG <text> such as >30,000<


def svg_text(path: Path) -> str:
    """The words of an SVG: matplotlib writes text as <text> elements with svg.fonttype none."""
    return " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", path.read_text()))


def test_comparison_figures_are_png_and_svg_with_labels_units_and_separators(
    tmp_path: Path,
) -> None:
    sweep = make_grid_sweep(
        tmp_path / "g", grid_outcomes(), GRID_FACTORS, observed=(4_000, 3_000, 5_500)
    )
    assert main([str(sweep), "--target", "4500"]) == 0
    out = sweep / "comparison"
    for name in ("distribution", "heatmap", "curves", "effects"):
        assert (out / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
        svg = (out / f"{name}.svg").read_text()
        assert "weather.temperature_f" not in svg, name  # no raw keys
        assert THOUSANDS_TICK.search(svg), name
        assert "Temperature (°F)" in svg_text(out / f"{name}.svg"), name
    distribution = svg_text(out / "distribution.svg")
    assert "Marchers (people)" in distribution
    assert "Mean, 95% CI" in distribution and "Target: 4,500 people" in distribution
    assert "Published range, per capita (3,000–5,500)" in distribution
    heatmap = svg_text(out / "heatmap.svg")
    assert "6,010" in heatmap and "[5,000, 7,020]" in heatmap  # a cell: mean and CI
    assert "95% CI" in svg_text(out / "curves.svg")
    # the same comparison gives the same vector file (no date inside)
    first = (out / "heatmap.svg").read_bytes()
    assert main([str(sweep), "--target", "4500", "--out", str(tmp_path / "again")]) == 0
    assert (tmp_path / "again" / "heatmap.svg").read_bytes() == first


def test_labels_come_from_the_schema_and_the_output_declarations() -> None:
    assert style.factor_label("weather.temperature_f") == "Temperature (°F)"
    assert style.factor_label("weather.wind_mph") == "Wind (mph)"
    assert style.factor_label("population.size") == "Population size (people)"
    assert style.factor_label("behavior.union_call") == "Union call (threshold units)"
    assert style.factor_label("coalition") == "Coalition"
    assert style.outcome_label("marchers") == "Marchers (people)"
    assert style.outcome_label("striking_workers") == "Strikers from work (people)"
    assert style.outcome_label("unaffiliated_marcher_share") == (
        "Share of marchers no calling organization reached"
    )
    # a sweep's per-event column names its action day and keeps its total's unit
    assert compare_plots.outcome_label("marchers@march_2026_01_10") == (
        "Marchers on march_2026_01_10 (people)"
    )
    assert compare_plots.outcome_unit("marchers@march_2026_01_10") == "people"
    assert compare_plots.split_outcome("marchers") == ("marchers", None)


def test_numbers_have_thousands_separators_and_just_the_decimals_needed() -> None:
    ticks = style.Thousands()
    ticks.set_locs([0, 10_000, 20_000, 30_000])
    assert [ticks(x) for x in (0, 30_000, -10_000)] == ["0", "30,000", "\N{MINUS SIGN}10,000"]
    ticks.set_locs([0, 0.5, 1.0])
    assert ticks(0.5) == "0.5"
    assert style.number(31_204.4) == "31,204" and style.number(-0.2) == "0"
    assert style.interval(29_100, 33_050) == "[29,100, 33,050]"
    assert style.decimals([31_204.4, 12.0], "people") == 0
    assert style.decimals([7.3, 12.5], "people") == 1
    assert style.decimals([0.51], "share") == 3


def test_palette_is_colour_blind_safe_and_never_repeats_a_colour_in_a_panel() -> None:
    for count in range(1, style.MAX_SERIES + 1):
        colours = style.series_colours(count)
        assert len(set(colours)) == count
    assert len(set(style.OKABE_ITO)) == len(style.OKABE_ITO) == 8
    with pytest.raises(ValueError, match="facet"):
        style.series_colours(9)
    # 12 levels of one factor: panels of at most 8; 3 x 5 levels: one panel per first level
    one = pd.DataFrame({"level": range(12), "day": 0, "people": 1.0})
    panels = compare_plots._panels(compare_plots._groups(one, ["level"]), ["level"])
    assert [len(series) for _, series in panels] == [8, 4]
    two = pd.DataFrame([{"a": a, "b": b} for a in range(3) for b in range(5)])
    panels = compare_plots._panels(compare_plots._groups(two, ["a", "b"]), ["a", "b"])
    assert len(panels) == 3 and all(len(series) == 5 for _, series in panels)


def test_many_levels_are_faceted_in_the_curves_figure(tmp_path: Path) -> None:
    """11 levels: two panels (8 and 3 series) rather than a colour used twice."""
    curves = pd.DataFrame(
        [
            {"level": t, "day": d, "people": 1_000.0 * t * d, "ci_low": 0.0, "ci_high": 1e4}
            for t in range(11)
            for d in range(3)
        ]
    )
    written = compare_plots.plot_curves(curves, ["level"], tmp_path / "c.png")
    assert [p.name for p in written] == ["c.png", "c.svg"]
    text = svg_text(tmp_path / "c.svg")
    assert text.count("Campaign day") == 2
    assert THOUSANDS_TICK.search((tmp_path / "c.svg").read_text())


def run_record() -> tuple[pd.DataFrame, dict]:
    """A 37-day campaign from 7 Jan 2026 with three action days, as a run records it: a march
    published as "10,000 or more", a strike with a published range, and the day modelled, whose
    range is the scenario's (``observed``)."""
    nan = float("nan")
    events = [
        ("march_2026_01_10", "2026-01-10", 3, "march", 9_000, 10_000, nan),
        ("day_of_truth_2026_01_23", "2026-01-23", 16, "strike", 22_000, 15_000, 50_000),
        ("ice_out_2026", "2026-02-13", 37, "strike", 31_204, nan, nan),
    ]
    rows = [
        {"day": d, "phase": "campaign", "agent_type": kind, "form": form, "people": p * d}
        for d in range(38)
        for kind in ("worker", "resident")
        for form, p in (("committed", 1_000.0), ("projected_marching", 400.0))
    ]
    rows += [
        {"day": day, "phase": "action_day", "agent_type": "worker", "form": "marching", "people": m}
        for _, _, day, _, m, _, _ in events
    ]
    summary = {
        "scenario": "ice_out_2026",
        "date": "2026-02-13",
        "seed": 0,
        "weather": "8 °F, wind chill -4 °F",
        "people": 3_163_104,
        "marchers": 31_204,
        "observed": {
            "marchers": 30_000,
            "low": 15_000,
            "high": 50_000,
            "scaled_from_population": 3_163_104,
        },
        "events": [
            {
                "event": e,
                "date": when,
                "day": day,
                "kind": kind,
                "marchers": m,
                "observed_low": low,
                "observed_central": low,
                "observed_high": high,
            }
            for e, when, day, kind, m, low, high in events
        ],
    }
    return pd.DataFrame(rows), summary


def test_the_run_figure_shows_dated_days_each_action_day_and_its_published_range() -> None:
    timeseries, summary = run_record()
    with style.figure_style():
        fig = turnout_figure(timeseries, summary)
    try:
        fig.canvas.draw()
        (ax,) = fig.axes
        start = mdates.date2num(date(2026, 1, 7))  # day 0
        # the lines: every campaign day at its date, summed over agent types
        committed, projected = ax.get_lines()[-2:]
        x, y = committed.get_data()
        assert mdates.date2num(x[0]) == start and mdates.date2num(x[-1]) == start + 37
        assert list(y) == [2 * 1_000.0 * d for d in range(38)]
        assert list(projected.get_data()[1]) == [2 * 400.0 * d for d in range(38)]
        # one bar per action day: its marchers, at its date, with its number written above
        bars, *ranges = sorted(
            (c for c in ax.containers if isinstance(c, BarContainer)),
            key=lambda c: -len(c.patches),
        )
        assert [p.get_height() for p in bars.patches] == [9_000, 22_000, 31_204]
        centres = [p.get_x() + p.get_width() / 2 for p in bars.patches]
        assert centres == pytest.approx([start + 3, start + 16, start + 37])
        labels = [t.get_text() for t in ax.texts if t.get_text()]  # not the bound's arrow
        assert labels == ["9,000\nmarch", "22,000\nstrike", "31,204\nstrike"]
        # each published range behind its bar: 23 Jan's own, 13 Feb's from the scenario
        boxes = sorted((p for c in ranges for p in c.patches), key=lambda p: p.get_x())
        assert [(p.get_y(), p.get_y() + p.get_height()) for p in boxes] == [
            (15_000, 50_000),
            (15_000, 50_000),
        ]
        assert [p.get_x() + p.get_width() / 2 for p in boxes] == pytest.approx(
            [start + 16, start + 37]
        )
        # 10 Jan's "10,000 or more": a bound at 10,000 (and an arrow up), not a range
        (bound,) = [c for c in ax.collections if len(c.get_segments()) == 1]
        ((x0, y0), (x1, y1)) = bound.get_segments()[0]
        assert y0 == y1 == 10_000 and (x0 + x1) / 2 == pytest.approx(start + 3)
        (arrow,) = [t for t in ax.texts if not t.get_text()]
        assert arrow.xy[1] > arrow.xyann[1] == 10_000  # pointing up from the bound
        # the x axis is dates, and the legend sits outside the axes (never over the data)
        ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
        assert ticks and all(re.fullmatch(r"\d\d (Jan|Feb)", t) for t in ticks)
        assert "day 0 = 07 Jan" in ax.get_xlabel()
        renderer = fig.canvas.get_renderer()
        (legend,) = fig.legends
        assert not legend.get_window_extent(renderer).overlaps(ax.get_window_extent(renderer))
        words = [t.get_text() for t in legend.get_texts()]
        assert any(w.startswith("Published range") for w in words)
        assert any(w.startswith('Published "N or more"') for w in words)
    finally:
        plt.close(fig)


def test_the_run_figure_has_the_same_style(tmp_path: Path) -> None:
    timeseries, summary = run_record()
    plot_turnout(timeseries, summary, tmp_path / "turnout.png")
    assert (tmp_path / "turnout.png").read_bytes()[:4] == b"\x89PNG"
    svg = tmp_path / "turnout.svg"  # the same drawing as a vector file, to read its words
    plot_turnout(timeseries, summary, svg)
    words = svg_text(svg)
    assert "Published range of that day" in words and "31,204" in words
    assert THOUSANDS_TICK.search(svg.read_text())
