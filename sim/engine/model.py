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
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import networkx as nx
import numpy as np
import pandas as pd

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
from strikesim.config import StrikeConfig, validate
from strikesim.engine import heterogeneity, outputs, rule
from strikesim.engine.graph_input import from_networkx, load_graph_file
from strikesim.engine.heterogeneity import CHANNELS, NEVER
from strikesim.engine.network import Network, build_network
from strikesim.engine.population import (
    K12,
    RESIDENT,
    UNIVERSITY,
    WORKER,
    Population,
    build_population,
    complete_population,
)
from strikesim.streams import stream

__all__ = ["CHANNELS", "NEVER", "OrganizationCalls", "StrikeModel"]


@dataclass
class OrganizationCalls:
    """Per channel: the pull each person would feel, and the day the call first reaches them."""

    strength: dict[str, np.ndarray]  # channel -> float64 pull per person
    reach_day: dict[str, np.ndarray]  # channel -> int32 first day reached

    def channels(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return [(self.strength[c], self.reach_day[c]) for c in CHANNELS]

    def pull(self, day: int) -> np.ndarray:
        """Total threshold reduction on ``day``, summed over channels in a fixed order."""
        total = np.zeros_like(self.strength[CHANNELS[0]])
        for strength, reached in self.channels():
            total += np.where(reached <= day, strength, 0.0)
        return total


class StrikeModel(mesa.Model):
    """A campaign of ``scenario.campaign_days`` days, then the strike day."""

    def __init__(self, config: StrikeConfig, graph: nx.Graph | None = None) -> None:
        validate(config)
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
        self._records += outputs.timeseries_rows(self.snapshot(), self.day, outputs.STRIKE_DAY)
        self.running = False

    def _record_campaign_day(self) -> None:
        self._records += outputs.timeseries_rows(self.snapshot(), self.day, outputs.CAMPAIGN)

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
