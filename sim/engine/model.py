"""StrikeModel: a Mesa model of a strike campaign, from its first day to the day it is about.

Scheduling: day 0 is ``scenario.start_date`` (the initiators are committed); each later day, up to
``scenario.date``, organizations' calls reach people, and everyone applies the commitment rule at
once from the previous day's state (synchronous update, as in Granovetter's and Watts's models);
on an action day — a documented earlier march or strike, and the day at ``scenario.date`` —
committed people then decide separately whether to march, strike, walk out and boycott
(:mod:`strikesim.engine.timeline`, :mod:`strikesim.engine.rule`).

State lives in numpy arrays in a one-member :class:`~strikesim.engine.kernel.Kernel`; every person
is also a Mesa agent (``model.agents_by_type[Worker]``) viewing its row, created on first access.
:meth:`StrikeModel.step` is the vectorized kernel; :meth:`StrikeModel.step_per_agent` asks every
agent to decide in Python — the reference the tests hold the kernel to.

The model wires; the science lives in pure functions: thresholds, initiators and roster reach in
:mod:`strikesim.engine.heterogeneity`, calls in :mod:`strikesim.engine.calls`, the dates in
:mod:`strikesim.engine.timeline`, the decisions in :mod:`strikesim.engine.rule`, and every
reported number, with its unit and scaling to people, in :mod:`strikesim.engine.outputs`.

Mesa's conventions (``docs/model.md``, "Using StrikeModel from Mesa"): the model also takes the
config's keys as keyword parameters (:func:`config_from_keywords`), draws a fresh seed when given
none and records it, and its ``datacollector`` reports every day's counts — so
``mesa.batch_run(StrikeModel, {"temperature_f": [-20, 10]}, ...)`` works as for any Mesa model.
"""

from __future__ import annotations

import copy
import difflib
import functools
from dataclasses import fields, is_dataclass, replace
from typing import Any, get_type_hints

import mesa
import networkx as nx
import numpy as np
import pandas as pd
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from strikesim import draws, scenarios
from strikesim.agents import (
    CivicBody,
    CommunityOrganization,
    FaithGroup,
    Individual,
    LaborFederation,
    Resident,
    Student,
    StudentAssociation,
    Union,
    Worker,
)
from strikesim.agents.organizations import Organization
from strikesim.compose import compose_config, config_groups, pin_overrides
from strikesim.config import ConfigError, StrikeConfig, validate
from strikesim.engine import outputs
from strikesim.engine.kernel import City, Kernel
from strikesim.engine.population import K12, KINDS, RESIDENT, UNIVERSITY, WORKER

__all__ = [
    "COLLECTED",
    "StrikeModel",
    "config_from_keywords",
    "fresh_seed",
]

# --- keyword parameters (Mesa's convention: a model is built from keyword arguments) -----------

SECTIONS: tuple[str, ...] = tuple(
    f.name for f in fields(StrikeConfig) if is_dataclass(getattr(StrikeConfig(), f.name))
)
"""The config's sections; each is also a config group of presets (``population="small"``)."""

SECTION_KEYS: dict[str, tuple[str, str]] = {
    f"{section}__{f.name}": (section, f.name)
    for section in SECTIONS
    for f in fields(getattr(StrikeConfig(), section))
}
"""``section__key`` -> (section, key), for every key of every section."""


def _sections_of_leaf() -> dict[str, list[str]]:
    """Key name -> the sections that have a key of that name."""
    sections: dict[str, list[str]] = {}
    for section, key in SECTION_KEYS.values():
        sections.setdefault(key, []).append(section)
    return sections


_SECTIONS_OF_LEAF = _sections_of_leaf()

LEAF_KEYS: dict[str, tuple[str, str]] = {
    key: (sections[0], key) for key, sections in _SECTIONS_OF_LEAF.items() if len(sections) == 1
}
"""A key by its name alone (``temperature_f``), when only one section has a key of that name."""

AMBIGUOUS_KEYS: dict[str, list[str]] = {
    key: sections for key, sections in _SECTIONS_OF_LEAF.items() if len(sections) > 1
}
"""Names more than one section uses (``name``): they must be given as ``section__key``."""

SEED_HIGH: int = next(f.metadata["high"] for f in fields(StrikeConfig) if f.name == "seed")


def fresh_seed() -> int:
    """A seed from the operating system's entropy, in the schema's range 0..2**63-1.

    Why: Mesa's convention is a fresh random run when no seed is given, and strikesim's is that
    every run can be repeated from its record. ``SeedSequence().entropy`` is 128 random bits from
    the OS; its low 63 bits (uniform, as 2**128 is a multiple of 2**63) become ``config.seed``,
    from which every random stream of the run is derived (:mod:`strikesim.streams`).
    """
    return int(np.random.SeedSequence().entropy) % (SEED_HIGH + 1)


@functools.lru_cache(maxsize=32)
def _composed(presets: tuple[tuple[str, str], ...]) -> StrikeConfig:
    """The packaged config with these presets (cached: Hydra takes ~0.1 s per compose, more than
    a 1,000-person run, and ``batch_run`` builds one model per replication)."""
    return compose_config([f"{group}={name}" for group, name in presets])


@functools.cache
def _presets() -> dict[str, tuple[str, ...]]:
    """Each config group's preset names (the packaged ``conf/`` does not change in a process)."""
    return {group: tuple(names) for group, names in config_groups().items()}


def _plain(value: Any) -> Any:
    """A numpy scalar as its Python value (``np.arange`` in a batch_run grid gives np.int64,
    which OmegaConf refuses for an int key), lists element by element."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _seed_keyword(seed: Any, rng: Any) -> int | None:
    """The run's seed from strikesim's/Mesa's ``seed`` or Mesa's ``rng`` (an int), or None."""
    if seed is not None and rng is not None:
        raise ConfigError(
            f"seed={seed!r} and rng={rng!r} are both given; allowed: one of them (both set "
            "config.seed)"
        )
    name, value = ("seed", seed) if seed is not None else ("rng", rng)
    if value is None:
        return None
    value = _plain(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(
            f"{name}={value!r} is not a seed; allowed: an integer 0 to {SEED_HIGH:,} or None "
            "(every random stream of a run derives from one integer seed, recorded in "
            "config.seed)"
        )
    return value


def _unknown_keyword(name: str) -> ConfigError:
    """One line: the keyword, a near miss if there is one, and every allowed name."""
    known = [*SECTIONS, *LEAF_KEYS, *SECTION_KEYS, "seed", "rng"]
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return ConfigError(
        f"unknown StrikeModel keyword {name!r}{hint}; allowed: seed, rng, a preset of "
        f"{', '.join(SECTIONS)}, a key by its name ({', '.join(sorted(LEAF_KEYS))}), or "
        "SECTION__KEY for any key (e.g. weather__temperature_f)"
    )


def _sort_keywords(
    params: dict[str, Any],
) -> tuple[dict[str, str], dict[tuple[str, str], Any]]:
    """Split keyword parameters into presets (group -> name) and values ((section, key) -> value).

    Raises ConfigError for an unknown or ambiguous name, a preset that is not one, or the same
    key given twice (``temperature_f`` and ``weather__temperature_f``).
    """
    presets: dict[str, str] = {}
    values: dict[tuple[str, str], Any] = {}
    given_as: dict[tuple[str, str], str] = {}
    for name, value in params.items():
        if name in SECTIONS:
            names = _presets().get(name, ())
            if not isinstance(value, str) or value not in names:
                raise ConfigError(
                    f"{name}={value!r} is not a {name} preset; allowed: {', '.join(names)} "
                    f"(or one of its keys: {name}__KEY=value)"
                )
            presets[name] = value
            continue
        if name in AMBIGUOUS_KEYS:
            meant = AMBIGUOUS_KEYS[name]
            raise ConfigError(
                f"StrikeModel keyword {name!r} is ambiguous: "
                f"{', '.join(f'{s}.{name}' for s in meant)} are all called {name!r}; allowed: "
                f"{', '.join(f'{s}__{name}' for s in meant)}"
            )
        target = LEAF_KEYS.get(name) or SECTION_KEYS.get(name)
        if target is None:
            raise _unknown_keyword(name)
        if target in given_as:
            raise ConfigError(
                f"{given_as[target]} and {name} both set {'.'.join(target)}; allowed: one of them"
            )
        given_as[target] = name
        values[target] = _plain(value)
    return presets, values


def _with_values(
    config: StrikeConfig, values: dict[tuple[str, str], Any], seed: int | None
) -> StrikeConfig:
    """``config`` with these keys (and seed) replaced, section by section, then validated.

    Keys the posterior would draw are pinned, as on the command line
    (:func:`strikesim.compose.pin_overrides`). Each value is typed by OmegaConf against its
    section's schema, as Hydra types a command-line override (an int for a float key becomes a
    float, ``"abc"`` for a float key is refused), so keywords give the same config as the same
    overrides composed by :func:`compose_config`.
    """
    by_section: dict[str, dict[str, Any]] = {}
    for (section, key), value in values.items():
        by_section.setdefault(section, {})[key] = value
    sections = {}
    for section, changes in by_section.items():
        node = OmegaConf.structured(getattr(config, section))
        for key, value in changes.items():
            try:
                node[key] = value
            except OmegaConfBaseException:
                hint = get_type_hints(type(getattr(config, section)))[key]
                wanted = getattr(hint, "__name__", str(hint))
                raise ConfigError(
                    f"{section}.{key}={value!r} has the wrong type; allowed: a value of type "
                    f"{wanted}"
                ) from None
        sections[section] = OmegaConf.to_object(node)
    if seed is not None:
        sections["seed"] = seed
    given = [f"{section}.{key}" for section, key in values]
    return pin_overrides(validate(replace(config, **sections)), given)


def config_from_keywords(
    config: StrikeConfig | None = None, *, seed: Any = None, rng: Any = None, **params: Any
) -> StrikeConfig:
    """The validated config :class:`StrikeModel` runs with these arguments (see its docstring).

    Without ``config``: the packaged default config composed with the presets (as
    :func:`~strikesim.compose.compose_config` would with ``group=preset`` overrides), then the
    keys, then the seed — a fresh one (:func:`fresh_seed`) when neither ``seed`` nor ``rng`` is
    given. With ``config``: its sections with the keys replaced (``dataclasses.replace``), its
    seed unless one is given; presets need the composition, so they are refused.
    """
    presets, values = _sort_keywords(params)
    chosen = _seed_keyword(seed, rng)
    if config is None:
        config = copy.deepcopy(_composed(tuple(sorted(presets.items()))))
        chosen = fresh_seed() if chosen is None else chosen
    elif presets:
        given = ", ".join(f"{g}={n!r}" for g, n in presets.items())
        raise ConfigError(
            f"{given}: a preset composes a config, which was given; allowed with a config: keys "
            "(e.g. population__size=1000, seed=3), or the preset without a config"
        )
    elif not values and chosen is None:
        return validate(config)  # the config as given: the model keeps this very object
    return _with_values(config, values, chosen)


# --- data collection -----------------------------------------------------------------------------


def _collected_columns() -> tuple[str, ...]:
    """``form_type`` for every form and agent type the time series records, in its rows' order:
    the campaign's forms every day, the action days' forms where an output records them."""
    columns = [f"{form}_{kind}" for kind in KINDS for form in outputs.CAMPAIGN_FORMS]
    for k, kind in enumerate(KINDS):
        for form in outputs.ACTION_FORMS:
            if any(o.form == form and k in o.kinds for o in outputs.OUTPUTS):
                columns.append(f"{form}_{kind}")
    return tuple(columns)


_COLUMNS = _collected_columns()
COLLECTED: tuple[str, ...] = ("day", "seed", *_COLUMNS)
"""The datacollector's model reporters: the day, the run's seed, and ``form_type`` people for
every form and agent type of the time series (``committed_worker``, ``marching_k12``...); the
action forms are 0 on days without an action."""


def _reported(model: StrikeModel, column: str) -> float | int:
    """A model reporter: today's value of one column. A module function (bound to its column
    with ``functools.partial``), not a lambda, so that the model still pickles — e.g. to hand it
    to another process — which Mesa's DataCollector notes lambdas prevent."""
    return model._collected[column]


ORGANIZATION_CLASSES: dict[str, type[Organization]] = {
    "union": Union,
    "federation": LaborFederation,
    "faith": FaithGroup,
    "student_group": StudentAssociation,
    "community": CommunityOrganization,
    "civic": CivicBody,
}
"""Roster ``kind`` -> the Mesa agent class of an organization."""


class StrikeModel(mesa.Model):
    """A campaign from ``scenario.start_date`` to ``scenario.date``, with its action days.

    ``StrikeModel(config)`` runs a config (``compose_config([...])``, as the command line
    composes it). Following Mesa's conventions, the config's keys may also be given as keyword
    parameters — so ``mesa.batch_run`` and a ``SolaraViz`` slider can vary them by name:

    - a key by its name, when only one section has a key of that name: ``temperature_f=-20``
      (``weather.temperature_f``), ``union_call=0.3``, ``start_date="2026-02-01"``;
    - any key as ``section__key``: ``weather__temperature_f=-20``, ``scenario__name="x"`` (the
      only way to a ``name``, which four sections share);
    - a preset of a config group, by the section's name: ``population="small"``,
      ``scenario="day_of_truth_2026_01_23"``, ``coalition="narrow"``, ``weather="mild"``;
    - ``seed`` (or Mesa's ``rng``): the run's seed, an integer.

    Without ``config``, the packaged default config is composed with the presets, then the keys
    set, exactly as ``compose_config(["population=small", "weather.temperature_f=-20",
    "seed=3"])`` would (same values and types, so bit-identical runs). With ``config``, the keys
    replace its values (``dataclasses.replace`` on its sections, then validated); presets need a
    composition and are refused. An unknown, ambiguous or ill-typed keyword raises
    :class:`~strikesim.config.ConfigError` with one line naming it and what is allowed.

    With ``behavior.posterior`` set, the behaviour is that of one posterior draw, chosen by the
    seed (:func:`strikesim.draws.resolve`); ``model.config`` holds the values drawn.

    Seed: ``seed``/``rng`` if given, else the config's seed; without either and without a config,
    a fresh seed from OS entropy (:func:`fresh_seed`) — Mesa's convention that replications
    differ — recorded in ``model.config.seed``, so any run is repeatable from its record. Mesa's
    own generators (``model.rng``, ``model.random``) are seeded with it too.

    The state lives in a one-member :class:`~strikesim.engine.kernel.Kernel` — the same kernel
    an ensemble steps many members in — so a run alone and in an ensemble are the same numbers.
    :meth:`step` advances it a day; :meth:`step_per_agent` makes the same day's decisions by
    asking every Mesa agent in Python, the reference the kernel is tested against.

    ``model.datacollector`` (Mesa's DataCollector, model reporters only: agent reporters would
    create every agent) holds one row per day, day 0 to the last: the columns :data:`COLLECTED`,
    copied from the time series' rows rather than recounted.
    """

    def __init__(
        self,
        config: StrikeConfig | None = None,
        graph: nx.Graph | None = None,
        *,
        seed: int | None = None,
        rng: int | None = None,
        **params: Any,
    ) -> None:
        config = draws.resolve(config_from_keywords(config, seed=seed, rng=rng, **params))
        super().__init__(rng=config.seed)
        self.config = config
        self.city = City.build(config, graph)
        self.kernel = Kernel(self.city, [config])
        self.population, self.network = self.city.population, self.city.network
        self.degree = self.city.degree
        self.timeline = self.kernel.members[0].timeline
        self.threshold = self.kernel.members[0].threshold
        self.calls = self.kernel.schedules[0]
        self.organizations = self._create_organizations()
        self._individuals_created = False
        self._collected: dict[str, float | int] = {}
        self.datacollector = mesa.DataCollector(
            model_reporters={c: functools.partial(_reported, column=c) for c in COLLECTED}
        )
        self._collect()

    # --- construction -------------------------------------------------------------------------
    def _create_organizations(self) -> list[Organization]:
        called = self.timeline.call_days()
        orgs = []
        for org, (_, row) in zip(self.city.orgs, scenarios.organizations().iterrows(), strict=True):
            orgs.append(
                ORGANIZATION_CLASSES[row["kind"]](
                    self,
                    org_id=org.org_id,
                    name=row["name"],
                    call_day=called.get(org.org_id),
                    members=org.members,
                )
            )
        return orgs

    def _create_individuals(self) -> None:
        """Create one Mesa agent per person, once, on first use (see :attr:`agents`)."""
        if self._individuals_created:
            return
        self._individuals_created = True
        classes = {WORKER: Worker, K12: Student, UNIVERSITY: Student, RESIDENT: Resident}
        for i, kind in enumerate(self.population.kind.tolist()):
            classes[kind](self, i)

    @property
    def agents(self) -> mesa.agent.AgentSet:
        """All agents. People become Mesa agents on first access, not at construction.

        Why: creating a Mesa agent costs ~10 µs, i.e. ~5 s for the city and ~40 s for the metro,
        while the vectorized kernel never needs them. Anything that asks for agents — this
        property, :attr:`agents_by_type`, a DataCollector, :meth:`step_per_agent`, the demo —
        gets every person.
        """
        self._create_individuals()
        return super().agents

    @property
    def agents_by_type(self) -> dict[type[mesa.Agent], mesa.agent.AgentSet]:
        """Agents grouped by class (people created on first access, as for :attr:`agents`)."""
        self._create_individuals()
        return super().agents_by_type

    # --- state --------------------------------------------------------------------------------
    @property
    def day(self) -> int:
        """Days since ``scenario.start_date`` (day 0: the initiators are committed)."""
        return self.kernel.day

    @property
    def strike_day(self) -> int:
        """The last day: the day at ``scenario.date``, the day the run is about."""
        return self.timeline.days

    @property
    def committed(self) -> np.ndarray:
        """Who is committed to the campaign (bool per agent; once true, true for good)."""
        return self.kernel.committed[0]

    @property
    def marching(self) -> np.ndarray:
        """Who marched on the latest action day so far (all false before the first)."""
        actions = self.kernel.actions[0]
        return actions[-1].state.marching if actions else np.zeros(self.population.size, bool)

    @property
    def march_probability(self) -> float:
        """The base chance to march of the next action day (today's, on one)."""
        return self.kernel.next_march_probability(0)

    def heard_of_call(self, i: int) -> bool:
        """Has an organization's call reached person i by today?"""
        return self.calls.reached(i, self.day)

    def lift(self, day: int) -> np.ndarray:
        """Momentum and outrage on ``day`` for each person who can commit (indexed by
        ``kernel.column``)."""
        return self.kernel._lift(0, day)

    # --- dynamics -----------------------------------------------------------------------------
    def step(self) -> None:
        """Advance one day with the vectorized kernel."""
        self.kernel.step()
        self._collect()

    def step_per_agent(self) -> None:
        """The same day as :meth:`step`, each Mesa agent deciding by walking its own contacts."""
        self.kernel.step(decide=self._decide_per_agent)
        self._collect()

    def _decide_per_agent(self, day: int) -> np.ndarray:
        """Who commits on ``day``: every uncommitted person asked in Python (the reference)."""
        yesterday = self.committed.tolist()
        lift = self.lift(day)
        column = self.kernel.column
        new = []
        for cls, agents in self.agents_by_type.items():
            if issubclass(cls, Individual):  # organizations call; they do not decide
                for agent in agents:
                    i = agent.index
                    if column[i] < 0 or yesterday[i]:
                        continue
                    if agent.decide(yesterday, day, float(lift[column[i]])):
                        new.append(i)
        return np.array(sorted(new), dtype=np.int64)

    @property
    def running(self) -> bool:
        """Mesa's flag: false once the last day has been stepped."""
        return self.kernel.day < self.timeline.days

    @running.setter
    def running(self, value: bool) -> None:
        """Mesa's base class sets the flag at construction; the timeline decides it here."""

    def _collect(self) -> None:
        """Today's datacollector row, copied from today's time-series rows.

        Why from the rows: they are already counted; the datacollector copies ~30 numbers instead
        of counting again, so it cannot disagree with :meth:`timeseries`.
        """
        collected: dict[str, float | int] = {"day": self.day, "seed": self.config.seed}
        collected.update(dict.fromkeys(_COLUMNS, 0.0))
        for day, _, kind, form, people in reversed(self.kernel.records[0]):
            if day != self.day:
                break
            collected[f"{form}_{kind}"] = people
        self._collected = collected
        self.datacollector.collect(self)

    def run(self) -> None:
        """Run the campaign to its last day."""
        while self.running:
            self.step()

    def release(self) -> None:
        """Drop every agent so the model can be freed.

        Mesa 3.x keeps a class-level ``Agent._ids`` counter keyed by model, which holds every model
        (and through it every agent) alive for the life of the process; without this, 50 runs in one
        process would keep 50 cities in memory. The arrays and results stay readable.
        """
        self.remove_all_agents()
        ids = getattr(mesa.Agent, "_ids", None)  # Mesa 3.3; Mesa 3.5 counts ids on the model
        if ids is not None:
            ids.pop(self, None)

    # --- outputs ------------------------------------------------------------------------------
    def timeseries(self) -> pd.DataFrame:
        """One row per day, phase, agent type and form of participation; ``people`` counts people
        (forms and their scaling: :data:`strikesim.engine.outputs.OUTPUTS`)."""
        return self.kernel.timeseries(0)

    def events(self) -> pd.DataFrame:
        """One row per action day so far: event id, date, day, kind and every output's total."""
        return self.kernel.events(0)

    def totals(self) -> dict[str, float | int]:
        """The totals of the day at ``scenario.date`` (call after :meth:`run`):
        :data:`strikesim.engine.outputs.TOTALS`, each in the unit its output declares."""
        return self.kernel.totals(0)
