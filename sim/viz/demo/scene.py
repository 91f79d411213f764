"""What the class can change, without any user interface: presets, sliders, honest labels.

A :class:`Settings` is one preset scenario plus the sliders and endorsement switches. Its
:meth:`Settings.keys` are config keys set on the preset's composed config (``StrikeModel(config,
**keys)``), so the page runs the very model the command line runs, with :data:`TOWN` (a sample
of 1,000 people of the metro, the scenarios' catchment, and the model's central settings). The
town drawn is one of :data:`TOWNS` seeds; the seed is not a setting, so changing the drawn town
never makes a preset "custom".
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from strikesim import scenarios
from strikesim.config import ConfigError, StrikeConfig
from strikesim.viz.demo.adapter import composed

MAX_DRAWN = 1_000  # nodes a picture can show legibly (DESIGN.md, Mesa section)
TOWNS = 20  # towns (seeds 0..19) behind every projection: one town of 1,000 is a lottery

# The town every preset runs on, as Hydra overrides (before the preset's own):
# - a sample of 1,000 people of the seven-county metro, like population=small (20,000): the
#   scenarios' observed turnouts are the metro's (scenario.reference_population), and a town
#   with the city's shares (population=classroom) projected to the metro overshoots ~10x;
# - behavior=default, the fixed point set (the model's central settings), not a draw from the
#   calibrated posterior (behavior=posterior, the shipped behaviour; docs/calibration.md): a
#   class compares settings, and a posterior draw per town would mix parameter uncertainty into
#   every comparison.
TOWN: tuple[str, ...] = (
    "population=metro",
    "population.size=1000",
    "population.name=metro_sample",
    "behavior=default",
)

# name -> (title, Hydra overrides on top of TOWN)
PRESETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "ice_out": ("Ice Out, 13 Feb 2026", ("scenario=ice_out_2026",)),
    "jan23": ("Day of Truth, 23 Jan 2026", ("scenario=day_of_truth_2026_01_23",)),
    "warm_day": ("Ice Out on a warm day", ("scenario=ice_out_2026", "weather=mild")),
    "narrow": ("Ice Out, narrow coalition", ("scenario=ice_out_2026", "coalition=narrow")),
}
DEFAULT_PRESET = "ice_out"


@dataclass(frozen=True)
class Slider:
    """One slider: its label, unit, range and step, and the config key it sets."""

    label: str
    unit: str
    low: float
    high: float
    step: float
    key: str


SLIDERS: dict[str, Slider] = {
    "temperature_f": Slider("Temperature", "°F", -30, 80, 1, "weather__temperature_f"),
    "precipitation_in": Slider("Rain/snow", "in", 0, 2, 0.1, "weather__precipitation_in"),
    "rewire_prob": Slider("Random ties", "%", 0, 1, 0.05, "network__rewire_prob"),
    "friendship_degree": Slider("Friends each", "", 0, 20, 1, "network__friendship_degree"),
    "scale": Slider("People per dot", "", 1, 10, 1, "population__scale"),
}
INTEGERS = ("friendship_degree", "scale")


def preset_config(name: str) -> StrikeConfig:
    """The preset as the command line composes it (every preset is composed on first use)."""
    configs = composed(tuple((*TOWN, *o) for _, o in PRESETS.values()))
    return configs[list(PRESETS).index(name)]


def preset_label(name: str) -> str:
    """The preset's title with its own temperature, read from its config."""
    return f"{PRESETS[name][0]} ({preset_config(name).weather.temperature_f:g} °F)"


@dataclass(frozen=True)
class Settings:
    """Everything the class can change; frozen, so a change is a new value (and new runs)."""

    preset: str
    temperature_f: float
    precipitation_in: float
    endorsers: tuple[str, ...]  # in roster order, so that equal coalitions are equal settings
    rewire_prob: float  # clustering: 0 keeps friendships local, 1 makes them random
    friendship_degree: int  # density: friends per person
    scale: int  # people per drawn dot (population.scale)

    @classmethod
    def from_preset(cls, name: str) -> Settings:
        """The sliders as the preset sets them: choosing a preset moves every slider."""
        if name not in PRESETS:
            raise ConfigError(f"preset={name!r}; allowed: {', '.join(PRESETS)}")
        cfg = preset_config(name)
        return cls(
            preset=name,
            temperature_f=float(cfg.weather.temperature_f),
            precipitation_in=float(cfg.weather.precipitation_in),
            endorsers=tuple(o for o in org_labels() if o in cfg.coalition.endorsers),
            rewire_prob=float(cfg.network.rewire_prob),
            friendship_degree=int(cfg.network.friendship_degree),
            scale=int(cfg.population.scale),
        )

    @classmethod
    def from_query(cls, query: dict[str, str]) -> Settings:
        """Settings from a page's query (``preset`` and any slider or ``endorsers``).

        Why strict: a value the page cannot have sent is a bug or a typo, refused in one line.
        """
        base = cls.from_preset(query.get("preset", DEFAULT_PRESET))
        changes: dict[str, Any] = {}
        for name, text in query.items():
            if name in SLIDERS:
                changes[name] = _number(name, text, int if name in INTEGERS else float)
            elif name == "endorsers":
                chosen = {o for o in text.split(",") if o}
                unknown = sorted(chosen - set(org_labels()))
                if unknown:
                    allowed = ", ".join(org_labels())
                    raise ConfigError(f"endorsers={unknown[0]!r}; allowed: {allowed}")
                changes[name] = tuple(o for o in org_labels() if o in chosen)
            elif name != "preset":
                allowed = ", ".join(["preset", "endorsers", *SLIDERS])
                raise ConfigError(f"{name}={text!r}; allowed: {allowed}")
        return replace(base, **changes)

    def keys(self) -> dict[str, Any]:
        """Config keys (``section__key``) to set on the preset's config."""
        keys: dict[str, Any] = {s.key: getattr(self, name) for name, s in SLIDERS.items()}
        keys["coalition__endorsers"] = list(self.endorsers)
        return keys

    def query(self) -> dict[str, str]:
        """The settings as the page sends them (inverse of :meth:`from_query`)."""
        plain = asdict(self)
        plain["endorsers"] = ",".join(self.endorsers)
        return {k: f"{v:g}" if isinstance(v, float) else str(v) for k, v in plain.items()}

    def changes(self) -> list[str]:
        """What differs from the preset, in words (empty: the preset itself)."""
        preset = Settings.from_preset(self.preset)
        said = []
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(preset, f.name)
            if f.name == "endorsers" and mine != theirs:
                said.append(
                    f"{len(mine)} endorsers instead of {len(theirs)}"
                    if len(mine) != len(theirs)
                    else "other endorsers"
                )
            elif f.name in SLIDERS and mine != theirs:
                said.append(slider_text(f.name, mine))
        return said

    def label(self) -> str:
        """The preset's label, or "custom (changed from ...: what changed)" once anything has."""
        changes = self.changes()
        if not changes:
            return preset_label(self.preset)
        return f"custom (changed from {preset_label(self.preset)}: {', '.join(changes)})"


def _number(name: str, text: str, kind: type) -> float | int:
    s = SLIDERS[name]
    try:
        value = kind(text)
    except ValueError:
        value = math.nan
    if not s.low <= value <= s.high:
        raise ConfigError(
            f"{name}={text!r}; allowed: {'an integer' if kind is int else 'a number'} "
            f"from {s.low:g} to {s.high:g}"
        )
    return value


def slider_text(name: str, value: float) -> str:
    """A slider's value as the page shows it: "Temperature 60 °F", "Random ties 10%"."""
    s = SLIDERS[name]
    if s.unit == "%":
        return f"{s.label} {value:.0%}"
    return f"{s.label} {value:g} {s.unit}".rstrip()


def org_labels() -> dict[str, str]:
    """Organization id -> its roster name, noting those with no members in Minneapolis."""
    roster = scenarios.organizations()
    return {
        row.org_id: row.name + (" (St. Paul: no members here)" if row.reaches == "none" else "")
        for row in roster.itertuples()
    }


def org_short_labels() -> dict[str, str]:
    """Organization id -> its name without the parenthesis: two columns of switches must fit a
    projector's 768 pixels of height (the page shows the full name on hover)."""
    roster = scenarios.organizations()
    return {
        row.org_id: row.name.split(" (")[0] + (" (none here)" if row.reaches == "none" else "")
        for row in roster.itertuples()
    }
