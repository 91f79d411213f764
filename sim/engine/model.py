"""StrikeModel: a Mesa model of a strike campaign and its strike day.

Scheduling: day 0 is the start of the campaign (organizers already committed); days
1..``campaign_days`` each apply the commitment rule to everyone at once from the previous day's
state (synchronous update, as in Granovetter's and Watts's models); the day after is the strike day,
when committed workers strike, committed students walk out, every committed person boycotts
shopping, and committed people march with a weather-dependent probability.

State lives in numpy arrays on the model (``committed``, ``threshold``, ``cost``, ...); every person
is also a Mesa agent (``model.agents_by_type[Worker]``) viewing its row, created on first access.
:meth:`step` is the vectorized kernel; :meth:`step_per_agent` asks every agent to decide in
Python — the reference the tests hold the kernel to.

The model wires; the science lives in pure functions beside the rule: thresholds, costs,
organizers, roster reach and outreach days in :mod:`strikesim.engine.heterogeneity`, the daily
decision and the march in :mod:`strikesim.engine.rule`, and every reported number, with its unit
and scaling to people, in :mod:`strikesim.engine.outputs`.

Mesa's conventions (``docs/model.md``, "Using StrikeModel from Mesa"): the model also takes the
config's keys as keyword parameters (:func:`config_from_keywords`), draws a fresh seed when given
none and records it, and its ``datacollector`` reports every day's counts — so
``mesa.batch_run(StrikeModel, {"temperature_f": [-20, 10]}, ...)`` works as for any Mesa model.
"""

from __future__ import annotations

import copy
import difflib
import functools
from dataclasses import dataclass, fields, is_dataclass, replace
from typing import Any, get_type_hints

import mesa
import networkx as nx
import numpy as np
import pandas as pd
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from strikesim import scenarios
from strikesim.agents import (
    FaithGroup,
    Individual,
    LaborFederation,
    Resident,
    Student,
    Union,
    Worker,
)
from strikesim.agents.organizations import Organization
from strikesim.compose import compose_config, config_groups
from strikesim.config import ConfigError, StrikeConfig, validate
from strikesim.engine import heterogeneity, outputs, rule
from strikesim.engine.graph_input import from_networkx, load_graph_file
from strikesim.engine.heterogeneity import CHANNELS, NEVER
from strikesim.engine.network import Network, build_network
from strikesim.engine.population import (
    K12,
    KINDS,
    RESIDENT,
    UNIVERSITY,
    WORKER,
    Population,
    build_population,
    complete_population,
)
from strikesim.streams import stream

__all__ = [
    "CHANNELS",
    "COLLECTED",
    "NEVER",
    "OrganizationCalls",
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

    Each value is typed by OmegaConf against its section's schema, as Hydra types a command-line
    override (an int for a float key becomes a float, ``"abc"`` for a float key is refused), so
    keywords give the same config as the same overrides composed by :func:`compose_config`.
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
    return validate(replace(config, **sections))


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


def _collected_columns() -> dict[str, tuple[str, ...]]:
    """``form_type`` -> the phases its time-series rows are in, for every form and agent type of
    the time series (:data:`strikesim.engine.outputs.OUTPUTS`), in its rows' order."""
    columns = {}
    for k, kind in enumerate(KINDS):
        for form in outputs.FORMS:
            for o in outputs.OUTPUTS:
                if o.form == form and k in o.kinds:
                    columns[f"{form}_{kind}"] = o.phases
    return columns


_COLUMN_PHASES = _collected_columns()
COLLECTED: tuple[str, ...] = ("day", "seed", *_COLUMN_PHASES)
"""The datacollector's model reporters: the day, the run's seed, and ``form_type`` people for
every form and agent type of the time series (``committed_worker``, ``walkout_university``...)."""

_BLANK_DAY: dict[str, dict[str, float]] = {
    outputs.CAMPAIGN: {c: 0.0 for c in _COLUMN_PHASES},
    # a projection is not reported on the strike day: the march itself is
    outputs.STRIKE_DAY: {
        c: (0.0 if outputs.STRIKE_DAY in phases else float("nan"))
        for c, phases in _COLUMN_PHASES.items()
    },
}
"""A day's columns before its time-series rows fill them: strike-day acts (striking, walkout,
boycott, marching) are 0 on campaign days — nobody does them before the strike day — and the
campaign's projection of marchers is NaN on the strike day."""


def _reported(model: StrikeModel, column: str) -> float | int:
    """A model reporter: today's value of one column. A module function (bound to its column
    with ``functools.partial``), not a lambda, so that the model still pickles — e.g. to hand it
    to another process — which Mesa's DataCollector notes lambdas prevent."""
    return model._collected[column]


@dataclass
class OrganizationCalls:
    """Per channel: the pull each person would feel, and the day the call first reaches them."""

    strength: dict[str, np.ndarray]  # channel -> float64 pull per person
    reach_day: dict[str, np.ndarray]  # channel -> int32 first day reached

    def channels(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(pull, first day reached) per channel, in the fixed order the pull is summed in."""
        return [(self.strength[c], self.reach_day[c]) for c in CHANNELS]

    def pull(self, day: int) -> np.ndarray:
        """Total threshold reduction on ``day``, summed over channels in a fixed order."""
        total = np.zeros_like(self.strength[CHANNELS[0]])
        for strength, reached in self.channels():
            total += np.where(reached <= day, strength, 0.0)
        return total


class StrikeModel(mesa.Model):
    """A campaign of ``scenario.campaign_days`` days, then the strike day.

    ``StrikeModel(config)`` runs a config (``compose_config([...])``, as the command line
    composes it). Following Mesa's conventions, the config's keys may also be given as keyword
    parameters — so ``mesa.batch_run`` and a ``SolaraViz`` slider can vary them by name:

    - a key by its name, when only one section has a key of that name: ``temperature_f=-20``
      (``weather.temperature_f``), ``union_call=0.3``, ``campaign_days=14``;
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

    Seed: ``seed``/``rng`` if given, else the config's seed; without either and without a config,
    a fresh seed from OS entropy (:func:`fresh_seed`) — Mesa's convention that replications
    differ — recorded in ``model.config.seed``, so any run is repeatable from its record. Mesa's
    own generators (``model.rng``, ``model.random``) are seeded with it too.

    ``model.datacollector`` (Mesa's DataCollector, model reporters only: agent reporters would
    create every agent) holds one row per day, day 0 to the strike day: the columns
    :data:`COLLECTED` — ``day``, ``seed`` and people by form and agent type (``committed_worker``,
    ``striking_worker``, ``walkout_k12``, ``boycott_resident``, ``marching_university``,
    ``projected_marching_worker``...), the same numbers as :meth:`timeseries`, copied from its
    rows rather than recounted.
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
        config = config_from_keywords(config, seed=seed, rng=rng, **params)
        super().__init__(rng=config.seed)
        self.config = config
        self.population, self.network = self._build_city(config, graph)
        pop = self.population
        self.degree = self.network.weighted_degree
        self.organizations = self._create_organizations()
        self.calls = self._organization_calls()
        self.threshold = heterogeneity.draw_thresholds(
            stream(config.seed, "thresholds"),
            pop.kind,
            pop.immigrant,
            config.behavior,
            config.population.sympathizer_share,
            config.scenario.school_walkouts,
        )
        self.cost = heterogeneity.participation_cost(
            pop.kind,
            pop.sector,
            pop.union,
            np.array([o.endorses for o in self.organizations]),
            scenarios.sectors()["precarity"].to_numpy(float),
            config.behavior,
        )
        self.committed = heterogeneity.draw_organizers(
            stream(config.seed, "activists"), config.behavior.activist_share, self.threshold
        )
        self.march_draw = stream(config.seed, "march").random(pop.size)
        self.march_probability = rule.march_probability(config.weather, config.behavior)
        self.marching = np.zeros(pop.size, dtype=bool)
        self.day = 0
        self._records: list[tuple[int, str, str, str, float]] = []
        self._individuals_created = False
        self._collected: dict[str, float | int] = {}
        self.datacollector = mesa.DataCollector(
            model_reporters={c: functools.partial(_reported, column=c) for c in COLLECTED}
        )
        self._record_campaign_day()

    # --- construction -------------------------------------------------------------------------
    @staticmethod
    def _build_city(config: StrikeConfig, graph: nx.Graph | None) -> tuple[Population, Network]:
        net_cfg, pop_cfg = config.network, config.population
        rng = stream(config.seed, "population")
        if graph is None and net_cfg.source == "generated":
            pop = build_population(pop_cfg, net_cfg, rng)
            return pop, build_network(pop, net_cfg, stream(config.seed, "network"))
        network, attrs = from_networkx(graph) if graph is not None else load_graph_file(net_cfg)
        pop = complete_population(
            rng,
            attrs.kind,
            pop_cfg,
            net_cfg,
            sector=attrs.sector,
            union=attrs.union,
            immigrant=attrs.immigrant,
        )
        return pop, network

    def _create_organizations(self) -> list[Organization]:
        pop = self.population
        endorsers = set(self.config.coalition.endorsers)
        classes = {"union": Union, "federation": LaborFederation, "faith": FaithGroup}
        orgs = []
        for idx, row in scenarios.organizations().iterrows():
            members = heterogeneity.roster_members(
                str(row["reaches"]), int(idx), pop.kind, pop.union, pop.faith_org
            )
            orgs.append(
                classes[row["kind"]](
                    self,
                    org_id=row["org_id"],
                    name=row["name"],
                    capacity=float(row["capacity"]),
                    endorses=row["org_id"] in endorsers,
                    members=members,
                )
            )
        return orgs

    def _organization_calls(self) -> OrganizationCalls:
        n = self.population.size
        strength = {c: np.zeros(n) for c in CHANNELS}
        for org in self.organizations:
            for channel, pull in org.call_strengths().items():
                strength[channel][org.members[channel]] += pull
        reach_day = heterogeneity.outreach_days(
            stream(self.config.seed, "outreach"), self.config.behavior.outreach_rate, n
        )
        return OrganizationCalls(strength=strength, reach_day=reach_day)

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

    # --- dynamics -----------------------------------------------------------------------------
    @property
    def strike_day(self) -> int:
        """The day after the campaign's last: when people strike, walk out and march."""
        return self.config.scenario.campaign_days + 1

    @property
    def momentum(self) -> float:
        """Visible momentum: the committed share of the city, times its weight."""
        return self.config.behavior.momentum_weight * float(self.committed.mean())

    def heard_of_call(self, i: int) -> bool:
        """Has an endorsing organization's call reached person i by today?"""
        return any(s[i] > 0 and r[i] <= self.day for s, r in self.calls.channels())

    def step(self) -> None:
        """Advance one day with the vectorized kernel (the strike day follows the campaign)."""
        if self.day >= self.config.scenario.campaign_days:
            self._strike_day()
            return
        day = self.day + 1
        exposure = self.network.exposure(self.committed)  # exact with integer weights
        need = rule.need(self.threshold, self.cost, self.calls.pull(day), self.momentum)
        weight_needed = rule.need_weight(need, self.degree)
        self.committed = self.committed | rule.commits(exposure, weight_needed)
        self.day = day
        self._record_campaign_day()

    def step_per_agent(self) -> None:
        """The same day as :meth:`step`, each Mesa agent deciding by walking its own contacts."""
        if self.day >= self.config.scenario.campaign_days:
            self._strike_day()
            return
        day, momentum = self.day + 1, self.momentum
        yesterday = self.committed.tolist()
        today = list(yesterday)
        for cls, agents in self.agents_by_type.items():
            if issubclass(cls, Individual):  # organizations call; they do not decide
                for agent in agents:
                    today[agent.index] = agent.decide(yesterday, day, momentum)
        self.committed = np.array(today, dtype=bool)
        self.day = day
        self._record_campaign_day()

    def _strike_day(self) -> None:
        self.marching = self.committed & (self.march_draw < self.march_probability)
        self.day = self.strike_day
        self._record(outputs.STRIKE_DAY)
        self.running = False

    def _record_campaign_day(self) -> None:
        self._record(outputs.CAMPAIGN)

    def _record(self, phase: str) -> None:
        """Today's time-series rows, and the datacollector's row made from them.

        Why from the rows: they are already counted (one pass over the arrays per form and type);
        the datacollector copies ~20 numbers instead of counting again, so it costs microseconds
        a day, and it cannot disagree with :meth:`timeseries`.
        """
        rows = outputs.timeseries_rows(self.snapshot(), self.day, phase)
        self._records += rows
        collected: dict[str, float | int] = {"day": self.day, "seed": self.config.seed}
        collected.update(_BLANK_DAY[phase])
        for _, _, kind, form, people in rows:
            collected[f"{form}_{kind}"] = people
        self._collected = collected
        self.datacollector.collect(self)

    def run(self) -> None:
        """Run the campaign and the strike day."""
        while self.running:
            self.step()

    def release(self) -> None:
        """Drop every agent so the model can be freed.

        Mesa 3.x keeps a class-level ``Agent._ids`` counter keyed by model, which holds every model
        (and through it every agent) alive for the life of the process; without this, 50 runs in one
        process would keep 50 cities in memory. The arrays and results stay readable.
        """
        if self._individuals_created:
            self.remove_all_agents()
        ids = getattr(mesa.Agent, "_ids", None)  # Mesa 3.3; Mesa 3.5 counts ids on the model
        if ids is not None:
            ids.pop(self, None)

    # --- outputs ------------------------------------------------------------------------------
    def snapshot(self) -> outputs.State:
        """Today's arrays, as every output (:data:`strikesim.engine.outputs.OUTPUTS`) reads them."""
        pop = self.population
        return outputs.State(
            kind=pop.kind,
            union=pop.union,
            committed=self.committed,
            marching=self.marching,
            endorser_members=tuple(
                members
                for org in self.organizations
                if org.endorses
                for members in org.members.values()
            ),
            march_probability=self.march_probability,
            scale=pop.scale,
        )

    def timeseries(self) -> pd.DataFrame:
        """One row per day, agent type and form of participation; ``people`` counts people
        (forms and their scaling: :data:`strikesim.engine.outputs.OUTPUTS`)."""
        return pd.DataFrame(
            self._records, columns=["day", "phase", "agent_type", "form", "people"]
        ).astype({"day": "int32", "people": "float64"})

    def totals(self) -> dict[str, float | int]:
        """Strike-day totals (call after :meth:`run`): :data:`strikesim.engine.outputs.TOTALS`,
        each in the unit and scaling its output declares (people, a share, a probability)."""
        return outputs.totals(self.snapshot())
