"""The one look of strikesim's figures: palette, human labels, number formats, file formats.

Why one module: a figure in a paper is read without the code beside it. Its axes must say what was
varied and in which unit ("Temperature (°F)", not ``weather.temperature_f``), its people axes
must read "30,000" rather than "30000" or "3e4", its colours must stay apart for the one reader in
twelve with a colour-vision deficiency, and it must come as a vector file a journal accepts. Every
plot of a run and of a comparison takes those from here, so they cannot drift apart.

- Labels come from the declarations, not from a second list: a config key's unit from the
  schema (:mod:`strikesim.config`, ``param(unit=...)``), an outcome's label and unit from
  :data:`strikesim.engine.outputs.OUTPUTS`.
- The palette is Okabe & Ito's (2008) eight colours, distinguishable under the common
  colour-vision deficiencies. A plot never reuses a colour within one panel: more than
  :data:`MAX_SERIES` series are split into panels (facets) by the caller.
- Figures are written as PNG (for screens) and SVG (for print) with the text kept as text
  (``svg.fonttype: none``), so labels stay searchable and editable, and without a date, so the
  same comparison gives the same bytes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import ticker

from strikesim.config import schema_keys
from strikesim.engine.outputs import BY_KEY
from strikesim.results import atomic_write

OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#56B4E9",  # sky blue
    "#CC79A7",  # reddish purple
    "#000000",  # black
    "#F0E442",  # yellow (last: faint as a thin line on white)
)
"""Okabe & Ito's colour-blind-safe palette, in the order series take it."""

MAX_SERIES = len(OKABE_ITO)
"""Most series one panel shows; beyond this a plot facets rather than reuse a colour."""

OBSERVED_COLOUR = "#BBBBBB"  # the published range: a neutral band behind the data
TARGET_COLOUR = "#000000"
SEQUENTIAL_MAP = "viridis"  # heatmaps: perceptually uniform and colour-blind-safe
FIGURE_FORMATS = ("png", "svg")
DPI = 150

RC = {
    "svg.fonttype": "none",  # text stays text in the SVG: searchable, editable, journal-ready
    "svg.hashsalt": "strikesim",  # stable element ids: the same figure gives the same bytes
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "axes.prop_cycle": matplotlib.cycler(color=OKABE_ITO),
    "image.cmap": SEQUENTIAL_MAP,
    "legend.frameon": False,
}

# Config groups (``coalition=broad``): a preset's name, labelled by the group.
GROUPS = {
    "scenario": "Scenario",
    "weather": "Weather",
    "coalition": "Coalition",
    "population": "Population",
    "network": "Network",
    "behavior": "Behaviour",
    "experiment": "Experiment",
    "seed": "Seed",
    "sweep": "Sweep",
}
# a key's suffix that repeats its unit (temperature_f in °F): dropped from the label
UNIT_SUFFIXES = {"°F": "_f", "mph": "_mph", "inches": "_in"}
# leaf names that need their section to mean anything ("Size" of what?)
GENERIC_NAMES = {"size", "scale", "name", "source", "path", "format", "date", "description"}
# summary fields that are numbers but no declared output
EXTRA_OUTCOMES = {"observed_unscaled": ("Published figure, unscaled", "people")}
# units that are already said by the label's first word ("Share of ...", "Chance ...")
SELF_EVIDENT_UNITS = {"share", "probability", "fraction"}


@contextmanager
def figure_style() -> Iterator[None]:
    """Draw inside this: the rc settings of :data:`RC` for the figures made within."""
    with plt.rc_context(RC):
        yield


def series_colours(count: int) -> list[str]:
    """``count`` distinct colours of the palette; more than :data:`MAX_SERIES` is refused.

    Refused rather than cycled: a cycled palette would give two series the same colour, and a
    reader would take them for one. Callers facet instead (see :func:`chunks`).
    """
    if count > MAX_SERIES:
        raise ValueError(f"{count} series; at most {MAX_SERIES} per panel (facet the rest)")
    return list(OKABE_ITO[:count])


def chunks(items: Sequence, size: int = MAX_SERIES) -> list[list]:
    """``items`` in consecutive panels of at most ``size``."""
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


@cache
def _schema() -> dict[str, tuple[str, str]]:
    """Dotted key -> (unit, help) of every schema key."""
    return {k.key: (k.meta.get("unit", ""), k.meta.get("help", "")) for k in schema_keys()}


def factor_label(key: str) -> str:
    """A swept key as a reader reads it: ``weather.temperature_f`` -> ``Temperature (°F)``.

    The name is the key's last part in words (its section added when the name alone says
    nothing, e.g. ``Population size``); the unit is the schema's. A config group
    (``coalition=broad``) is its group's name; an unknown key is its last part in words.
    """
    if key in GROUPS:
        return GROUPS[key]
    section, _, name = key.lstrip("+~").rpartition(".")
    unit, _ = _schema().get(key.lstrip("+~"), ("", ""))
    suffix = UNIT_SUFFIXES.get(unit)
    if suffix and name.endswith(suffix):
        name = name[: -len(suffix)]
    words = name.replace("_", " ")
    if name in GENERIC_NAMES and section:
        words = f"{section.rpartition('.')[2].replace('_', ' ')} {words}"
    words = words[:1].upper() + words[1:]
    return f"{words} ({unit})" if unit else words


def outcome_name(key: str) -> str:
    """An outcome's declared label without its trailing remark: what an axis is titled."""
    label = BY_KEY[key].label if key in BY_KEY else EXTRA_OUTCOMES.get(key, ("", ""))[0]
    if not label:
        label = key.replace("_", " ").capitalize()
    return re.sub(r"\s*\([^)]*\)\s*$", "", label)


def outcome_unit(key: str) -> str:
    """An outcome's declared unit ("people", "share", ...), "" when none is declared."""
    if key in BY_KEY:
        return BY_KEY[key].unit
    return EXTRA_OUTCOMES.get(key, ("", ""))[1]


def outcome_label(key: str) -> str:
    """``marchers`` -> ``Marchers (people)``: label and unit of an outcome (of the day at
    ``scenario.date``; ``marchers@<event>`` columns are labelled by the compare views)."""
    name, unit = outcome_name(key), outcome_unit(key)
    if not unit or (unit in SELF_EVIDENT_UNITS and unit in name.lower()):
        return name
    return f"{name} ({unit})"


def is_count(unit: str) -> bool:
    """Counts of people or agents: shown with thousands separators and few decimals."""
    return unit in ("people", "agents", "")


def decimals(values: Iterable[float], unit: str) -> int:
    """Decimals that show a column's numbers to about three significant figures.

    One count per column (not per number) keeps a table's digits aligned: 0 from 100 up, so a
    city's turnout reads 31,204, and more for the 1,000-person classroom town or for shares.
    """
    finite = [abs(v) for v in values if v is not None and math.isfinite(v)]
    if finite and all(float(v).is_integer() for v in finite):
        return 0  # whole numbers (a published figure, a count): no ".0"
    largest = max(finite, default=0.0)
    if not is_count(unit):
        return 3 if largest < 10 else 1
    if largest >= 100:
        return 0
    return 1 if largest >= 10 else 2


def number(value: float | None, places: int = 0, sign: bool = False) -> str:
    """``31204.4`` -> ``31,204``: thousands separators, ``places`` decimals, "n/a" for NaN."""
    if value is None or not math.isfinite(value):
        return "n/a"
    if round(value, places) == 0:
        value = 0.0  # never "-0"
    return f"{value:{'+' if sign else ''},.{places}f}"


def level_text(value: object, minus: str = "-") -> str:
    """A factor level as a table or tick shows it: numbers with thousands separators
    (``429954`` -> ``429,954``), ``minus`` for their sign (figures use U+2212, as matplotlib
    does; text tables the ASCII hyphen, which copies into any program)."""
    if isinstance(value, bool | np.bool_) or not isinstance(
        value, int | float | np.integer | np.floating
    ):
        return str(value)
    number = float(value)
    if not math.isfinite(number):
        return ""
    text = f"{number:,.0f}" if number.is_integer() else f"{number:,g}"
    return text.replace("-", minus)


def interval(low: float | None, high: float | None, places: int = 0, sign: bool = False) -> str:
    """``[29,100, 33,050]``: a confidence interval, "n/a" when it cannot be computed."""
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return "n/a"
    return f"[{number(low, places, sign)}, {number(high, places, sign)}]"


class Thousands(ticker.Formatter):
    """Tick labels with thousands separators and just the decimals the tick spacing needs.

    ``StrMethodFormatter("{x:,.0f}")`` would label ticks 0.5 apart "0, 0, 1, 1"; this one looks
    at the ticks drawn (``set_locs``) and keeps the decimals that tell them apart.
    """

    def __init__(self) -> None:
        self.places = 0

    def set_locs(self, locs: Sequence[float]) -> None:
        """Decimals enough to tell the ticks apart, and no more (matplotlib calls this first)."""
        super().set_locs(locs)
        steps = np.diff(np.sort(np.asarray(locs, float)))
        steps = steps[steps > 0]
        step = float(steps.min()) if len(steps) else 1.0
        self.places = max(0, -math.floor(math.log10(step))) if step < 1 else 0

    def __call__(self, x: float, pos: int | None = None) -> str:
        """A tick label with thousands separators and a true minus sign."""
        text = f"{x:,.{self.places}f}"
        return "0" if float(x) == 0 else text.replace("-", "\N{MINUS SIGN}")


def thousands_axis(axis: matplotlib.axis.Axis) -> None:
    """Give an axis (``ax.yaxis``, a colour bar's axis) :class:`Thousands` tick labels."""
    axis.set_major_formatter(Thousands())


def shade_observed(
    ax: plt.Axes,
    low: float,
    high: float,
    *,
    label: str | None = "",
    between: tuple[float, float] | None = None,
) -> None:
    """The published range (scaled per capita) as a grey band behind the data.

    Across the whole axes, or ``between`` two x values (data units: one level's box, when the
    levels differ in population and so in their per-capita range). ``label=None``: no legend
    entry (the second and later bands of one plot).
    """
    text = label if label is None or label else observed_label(low, high)
    kwargs = {"color": OBSERVED_COLOUR, "alpha": 0.45, "lw": 0, "zorder": 0}
    if between is None:
        ax.axhspan(low, high, label=text, **kwargs)
    else:
        ax.fill_between(list(between), low, high, label=text, **kwargs)


def observed_label(low: float, high: float) -> str:
    """Legend text of the published range."""
    return f"Published range, per capita ({number(low)}\N{EN DASH}{number(high)})"


def draw_target(ax: plt.Axes, target: float, unit: str = "people", label: str = "") -> None:
    """The target as a dashed line across the axes."""
    places = decimals([target], unit)
    text = label or f"Target: {number(target, places)}{f' {unit}' if is_count(unit) else ''}"
    ax.axhline(target, color=TARGET_COLOUR, ls="--", lw=1, label=text, zorder=3)


def save_figure(fig: plt.Figure, path: Path, formats: Sequence[str] = FIGURE_FORMATS) -> list[Path]:
    """Write ``fig`` as ``path`` with each suffix of ``formats`` (atomically) and free it.

    Returns the files written. No date is stored, so an unchanged comparison gives unchanged
    files (``metadata``); PNG at :data:`DPI`, SVG with its text as text (:data:`RC`).
    """
    written = []
    try:
        for kind in formats:
            target = Path(path).with_suffix(f".{kind}")
            metadata = {"Date": None} if kind in ("svg", "pdf") else {}

            def draw(tmp: Path, kind: str = kind, metadata: dict = metadata) -> None:
                with plt.rc_context(RC):
                    fig.savefig(tmp, dpi=DPI, format=kind, metadata=metadata)

            atomic_write(target, draw)
            written.append(target)
    finally:
        plt.close(fig)
    return written
