"""The model's outputs, declared once: what each counts, its label, its unit and how it scales.

Every number a run reports is one :class:`Output` of :data:`OUTPUTS`, counted on an action day
(a march or a strike day) from that day's :class:`State`: the totals of ``summary.json`` and of
each row of ``events.parquet`` (:func:`totals`), and the action-day rows of
``timeseries.parquet`` (:func:`action_rows`). Every day of the campaign also has its committed
people and their projected march (:func:`campaign_rows`). An output selects agents (a boolean
mask over agents) and declares how a count of agents becomes the reported number
(:class:`Scaling`): one agent stands for ``population.scale`` people, so a count of agents is
multiplied by the scale *here*, in :func:`people`, and nowhere else.

Why one table: the totals, the time series, the CLI report, the sensitivity outputs and the docs
all name the same quantities; declaring each once, with its unit and how it scales, keeps a new
output (or a new scale) from being counted in agents in one place and in people in another.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import cached_property

import numpy as np

from strikesim.engine.population import K12, KINDS, UNIVERSITY, WORKER

CAMPAIGN, ACTION_DAY = "campaign", "action_day"
"""The two phases of the time series: every day of the campaign (day 0 .. the last), and the
action days (a march or a strike day) among them."""

CAMPAIGN_FORMS = ("committed", "projected_marching")
"""Forms recorded on every day (the time series' ``form`` column, phase ``campaign``)."""

ACTION_FORMS = ("marching", "striking", "walkout", "boycott")
"""Forms recorded on each action day (phase ``action_day``), in the order of its rows."""

FORMS = CAMPAIGN_FORMS + ACTION_FORMS

ALL_KINDS = tuple(range(len(KINDS)))

HOME_PLACE = 0
"""``population.place`` of Minneapolis, the city the marches went through."""


@dataclass(frozen=True)
class State:
    """What outputs are computed from: the model's arrays on one action day (one row per agent)."""

    kind: np.ndarray  # int8, index into KINDS
    union: np.ndarray  # int16, roster index of the person's union, -1 for none
    place: np.ndarray  # int16, index into scenarios/data/places.csv (0: Minneapolis)
    committed: np.ndarray  # bool
    marching: np.ndarray  # bool
    striking: np.ndarray  # bool (all false on a march-only day)
    walkout: np.ndarray  # bool
    boycott: np.ndarray  # bool
    called_members: tuple[np.ndarray, ...]  # indices reached by each organization that has called
    march_probability: float  # the day's base chance: march_base x weather factor
    scale: int  # people per agent

    @cached_property
    def affiliated(self) -> np.ndarray:
        """Reached by an organization that has called, on any channel (computed on first use)."""
        mask = np.zeros(len(self.kind), bool)
        for members in self.called_members:
            mask[members] = True
        return mask

    @property
    def everyone(self) -> np.ndarray:
        """Every agent selected: the mask of the population and agent counts."""
        return np.ones(len(self.kind), bool)


class Scaling(Enum):
    """How a count of selected agents becomes the reported number."""

    PEOPLE = "agents x population.scale"
    """A number of people: each selected agent stands for ``population.scale`` people."""
    AGENTS = "agents (unscaled)"
    """A number of agents, e.g. the size of the simulation itself."""
    SHARE = "ratio of two people counts (scale cancels)"
    """A share: the people selected, divided by the people of another output (``of``)."""
    NONE = "a property of the run (not a count)"
    """A number of the run, not a count of anyone (``value``)."""


@dataclass(frozen=True)
class Output:
    """One reported quantity of an action day.

    ``key`` names it in ``summary.json`` and ``events.parquet``; ``form`` names its rows in the
    time series, one per action day and agent type in ``kinds``. ``select`` picks the agents it
    counts (restricted to ``kinds``); a SHARE divides by the output named ``of``; a NONE output
    is ``value(state)``.
    """

    key: str
    label: str
    unit: str
    scaling: Scaling
    select: Callable[[State], np.ndarray] | None = None
    kinds: tuple[int, ...] = ALL_KINDS
    form: str | None = None
    of: str | None = None
    value: Callable[[State], float] | None = None


OUTPUTS: tuple[Output, ...] = (
    Output(
        "marchers",
        "Marchers",
        "people",
        Scaling.PEOPLE,
        lambda s: s.marching,
        form="marching",
    ),
    Output(
        "marchers_city",
        "Marchers who live in Minneapolis",
        "people",
        Scaling.PEOPLE,
        lambda s: s.marching & (s.place == HOME_PLACE),
    ),
    Output(
        "marchers_rest_of_metro",
        "Marchers from the rest of the metro",
        "people",
        Scaling.PEOPLE,
        lambda s: s.marching & (s.place != HOME_PLACE),
    ),
    Output(
        "striking_workers",
        "Strikers from work",
        "people",
        Scaling.PEOPLE,
        lambda s: s.striking,
        kinds=(WORKER,),
        form="striking",
    ),
    Output(
        "striking_union_members",
        "Strikers from work who are union members",
        "people",
        Scaling.PEOPLE,
        lambda s: s.striking & (s.union >= 0),
        kinds=(WORKER,),
    ),
    Output(
        "k12_walkouts",
        "K-12 students walking out of school",
        "people",
        Scaling.PEOPLE,
        lambda s: s.walkout,
        kinds=(K12,),
        form="walkout",
    ),
    Output(
        "university_walkouts",
        "University students walking out",
        "people",
        Scaling.PEOPLE,
        lambda s: s.walkout,
        kinds=(UNIVERSITY,),
        form="walkout",
    ),
    Output(
        "boycotting",
        "Not shopping (boycott): every committed person, on a strike day",
        "people",
        Scaling.PEOPLE,
        lambda s: s.boycott,
        form="boycott",
    ),
    Output(
        "committed",
        "Committed to the campaign",
        "people",
        Scaling.PEOPLE,
        lambda s: s.committed,
    ),
    Output(
        "unaffiliated_marcher_share",
        "Share of marchers no calling organization reached (Klandermans et al.: 51%)",
        "share",
        Scaling.SHARE,
        lambda s: s.marching & ~s.affiliated,
        of="marchers",
    ),
    Output(
        "march_probability",
        "Base chance a committed person marches (march_base x weather factor)",
        "probability",
        Scaling.NONE,
        value=lambda s: s.march_probability,
    ),
    Output("people", "Population", "people", Scaling.PEOPLE, lambda s: s.everyone),
    Output("agents", "Agents simulated", "agents", Scaling.AGENTS, lambda s: s.everyone),
)

BY_KEY = {o.key: o for o in OUTPUTS}
TOTALS = tuple(o.key for o in OUTPUTS)
"""The keys of :func:`totals`, in order: an action day's numbers."""


def people(agents: int, scaling: Scaling, scale: int) -> int:
    """The one place a count of agents becomes the reported number (see :class:`Scaling`)."""
    if scaling in (Scaling.PEOPLE, Scaling.SHARE):
        return agents * scale
    if scaling is Scaling.AGENTS:
        return agents
    raise ValueError(f"{scaling} is not a count")


def _selected(output: Output, state: State, of_kind: dict[int, np.ndarray]) -> np.ndarray:
    assert output.select is not None, output.key
    mask = output.select(state)
    if output.kinds != ALL_KINDS:
        restrict = np.zeros(len(state.kind), bool)
        for k in output.kinds:
            restrict |= of_kind[k]
        mask = mask & restrict
    return mask


def totals(state: State) -> dict[str, int | float]:
    """An action day's numbers, :data:`TOTALS`, each scaled as its output declares."""
    of_kind = {k: state.kind == k for k in ALL_KINDS}
    out: dict[str, int | float] = {}
    for o in OUTPUTS:
        if o.scaling is Scaling.NONE:
            assert o.value is not None, o.key
            out[o.key] = o.value(state)
            continue
        count = people(int(np.count_nonzero(_selected(o, state, of_kind))), o.scaling, state.scale)
        if o.scaling is Scaling.SHARE:
            assert o.of is not None, o.key
            denominator = out[o.of]
            out[o.key] = count / denominator if denominator else 0.0
        else:
            out[o.key] = count
    return out


Row = tuple[int, str, str, str, float]


def campaign_rows(
    day: int, committed_by_kind: np.ndarray, march_probability: float, scale: int
) -> list[Row]:
    """A day's campaign rows: per agent type, the committed people and the projected marchers
    (committed x the next action day's base chance: "marchers if the march were today")."""
    rows: list[Row] = []
    for k, kind in enumerate(KINDS):
        committed = float(int(committed_by_kind[k]) * scale)
        rows.append((day, CAMPAIGN, kind, "committed", committed))
        rows.append((day, CAMPAIGN, kind, "projected_marching", committed * march_probability))
    return rows


def action_rows(state: State, day: int) -> list[Row]:
    """An action day's rows: for each agent type, each form an output records for that type,
    in :data:`ACTION_FORMS` order."""
    rows: list[Row] = []
    for k, kind in enumerate(KINDS):
        of_kind = state.kind == k
        for form in ACTION_FORMS:
            for o in OUTPUTS:
                if o.form != form or k not in o.kinds:
                    continue
                assert o.select is not None, o.key
                agents = int(np.count_nonzero(o.select(state) & of_kind))
                rows.append(
                    (day, ACTION_DAY, kind, form, float(people(agents, o.scaling, state.scale)))
                )
    return rows


def describe() -> list[dict[str, str]]:
    """Key, label, unit, scaling and file of every output (for the docs' outputs table)."""
    rows = []
    for o in OUTPUTS:
        where = ["summary.json", "events.parquet"]
        if o.form:
            kinds = "all types" if o.kinds == ALL_KINDS else ", ".join(KINDS[k] for k in o.kinds)
            where.append(f"timeseries form `{o.form}` (action days; {kinds})")
        scaling = o.scaling.value
        if o.scaling is Scaling.SHARE:
            scaling = f"people selected / `{o.of}` (the scale cancels)"
        rows.append(
            {
                "key": o.key,
                "label": o.label,
                "unit": o.unit,
                "from agents": scaling,
                "reported in": "; ".join(where),
            }
        )
    for form in CAMPAIGN_FORMS:
        rows.append(
            {
                "key": f"({form})",
                "label": "Committed so far"
                if form == "committed"
                else "Committed so far x the next action day's base chance to march",
                "unit": "people",
                "from agents": Scaling.PEOPLE.value,
                "reported in": f"timeseries form `{form}` (every day; all types)",
            }
        )
    return rows
