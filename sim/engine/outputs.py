"""The model's outputs, declared once: what each counts, its label, its unit and how it scales.

Every number a run reports — the strike-day totals of ``summary.json`` (:func:`totals`) and the
rows of ``timeseries.parquet`` (:func:`timeseries_rows`) — is one :class:`Output` of
:data:`OUTPUTS`. An output selects agents from a :class:`State` (a boolean mask over agents) and
declares how a count of agents becomes the reported number (:class:`Scaling`): one agent stands
for ``population.scale`` people, so a count of agents is multiplied by the scale *here*, in
:func:`people`, and nowhere else.

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

CAMPAIGN, STRIKE_DAY = "campaign", "strike_day"
"""The two phases of the time series: each campaign day (0..campaign_days), then the strike day."""

FORMS = ("committed", "projected_marching", "boycott", "marching", "striking", "walkout")
"""Forms of participation in the time series (its ``form`` column), in the order of its rows for
each day and agent type."""

ALL_KINDS = tuple(range(len(KINDS)))


@dataclass(frozen=True)
class State:
    """What outputs are computed from: the model's arrays at one moment (one row per agent)."""

    kind: np.ndarray  # int8, index into KINDS
    union: np.ndarray  # int16, roster index of the person's union, -1 for none
    committed: np.ndarray  # bool
    marching: np.ndarray  # bool (all false before the strike day)
    endorser_members: tuple[np.ndarray, ...]  # indices reached by each endorsing organization
    march_probability: float
    scale: int  # people per agent

    @cached_property
    def affiliated(self) -> np.ndarray:
        """Reached by an endorsing organization on any channel (computed on first use)."""
        mask = np.zeros(len(self.kind), bool)
        for members in self.endorser_members:
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
    EXPECTED_PEOPLE = "agents x march probability x population.scale"
    """An expected number of people: each selected agent counts with the chance it marches."""
    AGENTS = "agents (unscaled)"
    """A number of agents, e.g. the size of the simulation itself."""
    SHARE = "ratio of two people counts (scale cancels)"
    """A share: the people selected, divided by the people of another output (``of``)."""
    NONE = "a property of the run (not a count)"
    """A number of the run, not a count of anyone (``value``)."""


@dataclass(frozen=True)
class Output:
    """One reported quantity.

    ``key`` names it in ``summary.json`` (``total=True``); ``form`` names its rows in the time
    series, one per day of each phase in ``phases`` and each agent type in ``kinds``. ``select``
    picks the agents it counts (restricted to ``kinds``); a SHARE divides by the output named
    ``of``; a NONE output is ``value(state)``.
    """

    key: str
    label: str
    unit: str
    scaling: Scaling
    select: Callable[[State], np.ndarray] | None = None
    kinds: tuple[int, ...] = ALL_KINDS
    total: bool = True
    form: str | None = None
    phases: tuple[str, ...] = (STRIKE_DAY,)
    of: str | None = None
    value: Callable[[State], float] | None = None


OUTPUTS: tuple[Output, ...] = (
    Output(
        "marchers",
        "Marchers on the strike day",
        "people",
        Scaling.PEOPLE,
        lambda s: s.marching,
        form="marching",
    ),
    Output(
        "striking_workers",
        "Strikers from work",
        "people",
        Scaling.PEOPLE,
        lambda s: s.committed,
        kinds=(WORKER,),
        form="striking",
    ),
    Output(
        "striking_union_members",
        "Strikers from work who are union members",
        "people",
        Scaling.PEOPLE,
        lambda s: s.committed & (s.union >= 0),
        kinds=(WORKER,),
    ),
    Output(
        "k12_walkouts",
        "K-12 students walking out of school",
        "people",
        Scaling.PEOPLE,
        lambda s: s.committed,
        kinds=(K12,),
        form="walkout",
    ),
    Output(
        "university_walkouts",
        "University students walking out",
        "people",
        Scaling.PEOPLE,
        lambda s: s.committed,
        kinds=(UNIVERSITY,),
        form="walkout",
    ),
    Output(
        "boycotting",
        "Not shopping (boycott): every committed person",
        "people",
        Scaling.PEOPLE,
        lambda s: s.committed,
        form="boycott",
    ),
    Output(
        "committed",
        "Committed to the strike",
        "people",
        Scaling.PEOPLE,
        lambda s: s.committed,
        form="committed",
        phases=(CAMPAIGN, STRIKE_DAY),
    ),
    Output(
        "unaffiliated_marcher_share",
        "Share of marchers no endorsing organization reached (Klandermans et al.: 51%)",
        "share",
        Scaling.SHARE,
        lambda s: s.marching & ~s.affiliated,
        of="marchers",
    ),
    Output(
        "march_probability",
        "Chance a committed person marches on the day (weather-dependent)",
        "probability",
        Scaling.NONE,
        value=lambda s: s.march_probability,
    ),
    Output("people", "Population", "people", Scaling.PEOPLE, lambda s: s.everyone),
    Output("agents", "Agents simulated", "agents", Scaling.AGENTS, lambda s: s.everyone),
    Output(
        "projected_marching",
        "Committed so far, times the chance to march: marchers if the strike were today",
        "people",
        Scaling.EXPECTED_PEOPLE,
        lambda s: s.committed,
        total=False,
        form="projected_marching",
        phases=(CAMPAIGN,),
    ),
)

BY_KEY = {o.key: o for o in OUTPUTS}
TOTALS = tuple(o.key for o in OUTPUTS if o.total)
"""The keys of :func:`totals`, in order: the model's numbers in ``summary.json``."""


def people(agents: int, scaling: Scaling, state: State) -> int | float:
    """The one place a count of agents becomes the reported number (see :class:`Scaling`)."""
    if scaling in (Scaling.PEOPLE, Scaling.SHARE):
        return agents * state.scale
    if scaling is Scaling.EXPECTED_PEOPLE:
        return agents * state.march_probability * state.scale
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
    """The strike-day numbers of :data:`TOTALS`, each scaled as its output declares."""
    of_kind = {k: state.kind == k for k in ALL_KINDS}
    out: dict[str, int | float] = {}
    for o in OUTPUTS:
        if not o.total:
            continue
        if o.scaling is Scaling.NONE:
            assert o.value is not None, o.key
            out[o.key] = o.value(state)
            continue
        count = people(int(np.count_nonzero(_selected(o, state, of_kind))), o.scaling, state)
        if o.scaling is Scaling.SHARE:
            assert o.of is not None, o.key
            denominator = out[o.of]
            out[o.key] = count / denominator if denominator else 0.0
        else:
            out[o.key] = count
    return out


def timeseries_rows(state: State, day: int, phase: str) -> list[tuple[int, str, str, str, float]]:
    """Rows ``(day, phase, agent_type, form, people)`` for one day: for each agent type, each
    output recorded in ``phase`` for that type, in :data:`FORMS` order."""
    rows = []
    for k, kind in enumerate(KINDS):
        of_kind = state.kind == k
        for form in FORMS:
            for o in OUTPUTS:
                if o.form != form or phase not in o.phases or k not in o.kinds:
                    continue
                assert o.select is not None, o.key
                agents = int(np.count_nonzero(o.select(state) & of_kind))
                rows.append((day, phase, kind, form, float(people(agents, o.scaling, state))))
    return rows


def describe() -> list[dict[str, str]]:
    """Key, label, unit, scaling and file of every output (for the docs' outputs table)."""
    rows = []
    for o in OUTPUTS:
        where = ["summary.json"] if o.total else []
        if o.form:
            kinds = "all types" if o.kinds == ALL_KINDS else ", ".join(KINDS[k] for k in o.kinds)
            phases = " and ".join(p.replace("_", " ") for p in o.phases)
            where.append(f"timeseries form `{o.form}` ({phases}; {kinds})")
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
    return rows
