"""Figures ready to publish: human labels with units, thousands separators, a colour-blind-safe
palette that never repeats within a panel, uncertainty drawn, PNG and SVG with text as text."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from strikesim.cli.compare import main
from strikesim.viz import compare_plots, style
from strikesim.viz.turnout import plot_turnout
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
    assert "Marchers on the strike day (people)" in distribution
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
    assert style.outcome_label("marchers") == "Marchers on the strike day (people)"
    assert style.outcome_label("striking_workers") == "Strikers from work (people)"
    assert style.outcome_label("unaffiliated_marcher_share") == (
        "Share of marchers no endorsing organization reached"
    )


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


def test_the_run_figure_has_the_same_style(tmp_path: Path) -> None:
    days = [
        {"day": d, "phase": "campaign", "agent_type": "worker", "form": f, "people": p * d}
        for d in range(4)
        for f, p in (("committed", 20_000.0), ("projected_marching", 9_000.0))
    ]
    days.append(
        {"day": 4, "phase": "strike_day", "agent_type": "worker", "form": "marching", "people": 1}
    )
    summary = {
        "scenario": "ice_out_2026",
        "seed": 0,
        "weather": "-20 °F",
        "people": 429_954,
        "marchers": 31_204,
        "observed": {"marchers": 30_000, "low": 15_000, "high": 50_000},
    }
    plot_turnout(pd.DataFrame(days), summary, tmp_path / "turnout.png")
    assert (tmp_path / "turnout.png").read_bytes()[:4] == b"\x89PNG"
    svg = tmp_path / "turnout.svg"  # the same drawing as a vector file, to read its words
    plot_turnout(pd.DataFrame(days), summary, svg)
    words = svg_text(svg)
    assert "Published range (15,000–50,000)" in words and "31,204" in words
    assert THOUSANDS_TICK.search(svg.read_text())
