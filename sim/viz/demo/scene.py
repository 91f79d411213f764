"""What the classroom demo shows, without any user interface: settings, the town, its numbers.

The demo and ``strikesim animate`` both draw from here. A :class:`Settings` holds what the class
can change (one preset scenario plus the sliders and toggles); :meth:`Settings.config` turns it
into an ordinary validated :class:`~strikesim.config.StrikeConfig`, so the page runs the very model
the command line runs (``population=classroom``: a town of 1,000 people with the city's shares).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

import numpy as np
import pandas as pd

from strikesim import scenarios
from strikesim.agents import Individual
from strikesim.compose import compose_config
from strikesim.config import StrikeConfig, validate
from strikesim.engine.model import StrikeModel
from strikesim.engine.population import K12, KINDS, UNIVERSITY, WORKER

MAX_DRAWN = 1_000  # nodes a picture can show legibly (DESIGN.md, Mesa section)
STATES = ("unaware", "sympathetic", "committed", "marching")
FORMS = ("striking", "walkouts", "marching")

# name -> (label, Hydra overrides on top of population=classroom)
PRESETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "ice_out": ("Ice Out, 13 Feb 2026 (8 °F)", ("scenario=ice_out_2026",)),
    "jan23": ("Day of Truth, 23 Jan 2026 (-20 °F)", ("scenario=day_of_truth_2026_01_23",)),
    "warm_day": ("Ice Out on a warm day (60 °F)", ("scenario=ice_out_2026", "weather=mild")),
    "narrow": (
        "Ice Out, narrow coalition (3 unions)",
        ("scenario=ice_out_2026", "coalition=narrow"),
    ),
}
DEFAULT_PRESET = "ice_out"


@cache
def preset_config(name: str) -> StrikeConfig:
    """The preset as the command line composes it (cached: Hydra takes ~0.2 s per compose)."""
    return compose_config(["population=classroom", *PRESETS[name][1]])


@dataclass(frozen=True)
class Settings:
    """Everything the class can change; frozen, so a change is a new value (and a new model)."""

    preset: str
    temperature_f: float
    precipitation_in: float
    endorsers: tuple[str, ...]
    rewire_prob: float  # clustering: 0 keeps friendships local, 1 makes them random
    friendship_degree: int  # density: friends per person
    scale: int  # people per drawn dot (population.scale)
    seed: int

    @classmethod
    def from_preset(cls, name: str, seed: int = 0) -> Settings:
        """The sliders as the preset sets them: choosing a preset moves every slider."""
        cfg = preset_config(name)
        return cls(
            preset=name,
            temperature_f=cfg.weather.temperature_f,
            precipitation_in=cfg.weather.precipitation_in,
            endorsers=tuple(cfg.coalition.endorsers),
            rewire_prob=cfg.network.rewire_prob,
            friendship_degree=cfg.network.friendship_degree,
            scale=cfg.population.scale,
            seed=seed,
        )

    def config(self) -> StrikeConfig:
        """The preset with the sliders applied; ConfigError names any value out of range."""
        cfg = preset_config(self.preset)
        custom = self != Settings.from_preset(self.preset, self.seed)
        return validate(
            replace(
                cfg,
                weather=replace(
                    cfg.weather,
                    temperature_f=float(self.temperature_f),
                    precipitation_in=float(self.precipitation_in),
                ),
                coalition=replace(
                    cfg.coalition,
                    name="custom" if custom else cfg.coalition.name,
                    endorsers=list(self.endorsers),
                ),
                network=replace(
                    cfg.network,
                    rewire_prob=float(self.rewire_prob),
                    friendship_degree=int(self.friendship_degree),
                ),
                population=replace(cfg.population, scale=int(self.scale)),
                seed=int(self.seed),
            )
        )


class ClassroomModel(StrikeModel):
    """The town of one :class:`Settings`; stepping past the strike day does nothing."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings.from_preset(DEFAULT_PRESET)
        super().__init__(self.settings.config())

    def step(self) -> None:
        """One day; after the strike day nothing (the base model would redo the strike day)."""
        if self.running:  # the Step button may be pressed after the strike day
            super().step()

    def replay(self, settings: Settings) -> ClassroomModel:
        """The same town under new settings, run to the same day (a counterfactual).

        Named random streams make this a paired comparison: a warmer day changes who marches,
        not who was drawn, so the class sees the effect of the slider alone.
        """
        model = type(self)(settings)
        target = model.strike_day if not self.running else self.day
        while model.running and model.day < target:
            model.step()
        return model


def org_labels() -> dict[str, str]:
    """Organization id -> its roster name, noting those with no members in Minneapolis."""
    roster = scenarios.organizations()
    return {
        row.org_id: row.name + (" (St. Paul: no members here)" if row.reaches == "none" else "")
        for row in roster.itertuples()
    }


def node_states(model: StrikeModel) -> np.ndarray:
    """Index into :data:`STATES` for every person, read from the Mesa agents (by row)."""
    states = np.zeros(model.population.size, dtype=np.int8)
    for agent in model.agents:
        if isinstance(agent, Individual):
            states[agent.index] = STATES.index(agent.state)
    return states


def participation(model: StrikeModel) -> pd.DataFrame:
    """People in the town per day and form: striking, walkouts, marching.

    On a campaign day, ``striking`` and ``walkouts`` are committed workers and students, and
    ``marching`` is how many would march if the strike were that day; on the strike day they are
    the day's own counts.
    """
    ts = model.timeseries()
    is_worker = ts["agent_type"] == KINDS[WORKER]
    is_student = ts["agent_type"].isin([KINDS[K12], KINDS[UNIVERSITY]])
    committed = ts["form"] == "committed"
    rows = {
        "striking": ts[committed & is_worker],
        "walkouts": ts[committed & is_student],
        "marching": ts[ts["form"].isin(["projected_marching", "marching"])],
    }
    frame = pd.DataFrame(
        {form: part.groupby("day")["people"].sum() for form, part in rows.items()}
    ).fillna(0.0)
    frame.index.name = "day"
    return frame


def city_factor(model: StrikeModel) -> float:
    """Per-capita factor from this town to the city the observed turnout belongs to."""
    people = model.population.size * model.population.scale
    return model.config.scenario.reference_population / people


def projected_city_marchers(model: StrikeModel) -> int:
    """Marchers for the whole city, scaled per capita from the town (today's projection)."""
    return round(float(participation(model)["marching"].iloc[-1]) * city_factor(model))
