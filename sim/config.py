"""The configuration schema: every key a researcher may vary, with its unit, range and source.

Hydra composes YAML from ``conf/`` onto these dataclasses (registered in Hydra's ConfigStore as
``strikesim_schema``), so OmegaConf rejects unknown keys and wrong types. Ranges, choices and
cross-field rules are checked here, by :func:`validate`, from the metadata each field declares —
the same idea as ndlib's self-describing model parameters: the schema *is* the documentation
(``strikesim --help`` prints it) and the validator, so the two cannot drift apart.

Defaults here are neutral placeholders; the numbers a scenario uses live in the YAML files under
``conf/`` (and the data files in ``strikesim.scenarios``). The *shipped* value of a key is its value
in the default run (``strikesim`` with no overrides: :data:`SHIPPED_RUN`), and each real-world
quantity says where that value comes from: a ``source`` (a citation that supports it) and/or a
``prior`` (the plausible range of an uncertain value, marked ``[est]`` in the YAML). The keys a
recorded posterior sets (``behavior.posterior``, the shipped behaviour) are *calibrated*: a run
draws them from the posterior, and the YAML value is the fixed point set (``behavior=default``).
``strikesim --help`` shows them (:func:`schema_help`) and ``docs/make_parameters.py`` writes the
parameter table of ``docs/model.md`` from them (:func:`parameter_rows`); presets that change a
value cite their own source in their YAML comment.

Every numeric key has both bounds, so that every value the schema allows can run on one machine:
the size-like keys are bounded by memory (:data:`MAX_PEOPLE`, :data:`MAX_DIRECTED_TIES`), the
others by what the quantity can mean. Anything :func:`validate` accepts must run; anything else is
refused before any work, with one line naming the key, the value and what is allowed.
"""

from __future__ import annotations

import math
import re
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from datetime import date
from pathlib import Path
from typing import Any, get_type_hints

from hydra.core.config_store import ConfigStore


class ConfigError(ValueError):
    """Bad user input. Its message is one line naming the key, the value and what is allowed."""


MAX_PEOPLE = 10_000_000
"""Largest population (and group size). Why this number: it bounds memory. The 7-county metro
(3,690,261 people, ``population=metro``) runs at 1:1 in 1.9 GiB; 10 M people at 1:1 with the
default degrees peaked at 4.7 GiB in 63 s (measured, 2 cores), so every US city (New York: 8.3 M)
fits on a laptop, while a typo such as 10,000,000,000 (9 GiB for the first array alone) is refused
before any allocation. Larger places run as a sample: ``population.scale``."""

MAX_REFERENCE_POPULATION = 10_000_000_000
"""Largest population a turnout is compared against: more than the world's (8.1 billion), so any
real place fits, while per-capita arithmetic stays exact in float64."""

MAX_DIRECTED_TIES = 200_000_000
"""Largest generated network, in directed ties (an undirected tie counts twice), as estimated by
:func:`estimated_directed_ties`. Why: each degree is bounded (<= 200), but their product with the
population is what costs memory (~30 bytes per directed tie while the CSR matrix is built). The
metro at the default degrees is estimated at 59 M; 470,000 people with every degree at 200
(estimated 199.75 M) peaked at 3.9 GiB, and 10 M people at the default degrees (158 M) at 4.7 GiB,
so no allowed combination needs much more than ~6 GiB."""

MAX_NAME_LENGTH = 64
MAX_SCALE = 10
"""Coarsest ``population.scale`` accepted. Measured (docs/model.md, "Scale"): mean marchers over
seeds 0-9 of the city at 1:1, 1:2, 1:5, 1:10 agree within Monte-Carlo error; 1:20 is ~1% low
(2.7 standard errors), 1:50 and 1:100 ~9% low — coarser runs are refused rather than biased."""

SAFE_NAME = re.compile(rf"[A-Za-z0-9_.-]{{1,{MAX_NAME_LENGTH}}}")
"""A name that goes into a folder name: no path separators, no spaces, bounded length."""

# A true/false key. Typed Any for OmegaConf on purpose: OmegaConf's bool type silently turns 2,
# "yes", "on" or "0" into a bool, so a typo would run as the opposite of what was meant; as Any
# the value arrives unchanged and validate() accepts only true or false.
Flag = Any

SHIPPED_RUN: tuple[str, ...] = ()
"""Overrides of the run whose values are the shipped ones: none, i.e. ``conf/config.yaml``'s
defaults (scenario ice_out_2026 on the metro, network multiplex, behavior posterior)."""


def param(
    default: Any,
    *,
    unit: str = "",
    low: float | None = None,
    high: float | None = None,
    choices: tuple[str, ...] | None = None,
    safe_name: bool = False,
    help: str = "",
    source: str = "",
    prior: tuple[float, float] | None = None,
    setting: bool = False,
) -> Any:
    """A config field that carries its own unit, allowed range or choices, a one-line meaning and
    where its shipped value comes from.

    A bool default makes the field a flag (only true or false are allowed); ``safe_name`` marks a
    string that ends up in a folder name (only :data:`SAFE_NAME` is allowed).

    Every real-world quantity declares ``source`` — a short citation that supports the shipped
    value (:data:`SHIPPED_RUN`), or the anchor of an estimate — and/or ``prior=(low, high)``, the
    plausible range of a value that is estimated or calibrated: a prior says "uncertain", and is
    the range a calibration or sensitivity study would draw from.
    ``setting`` marks a number that is no real-world quantity (the seed, the agents' scale): it
    needs neither. Labels, names and paths need neither either. Why on the schema and not only in
    YAML comments: ``--help``, the docs table and the tests then read one declaration.
    """
    if prior is not None:
        lo, hi = prior
        if not lo <= hi or (low is not None and lo < low) or (high is not None and hi > high):
            raise ValueError(f"prior {prior} must be ordered and inside [{low}, {high}]")
    if setting and (source or prior):
        raise ValueError("a setting is no real-world quantity: it takes no source or prior")
    meta = {
        "unit": unit,
        "low": low,
        "high": high,
        "choices": choices,
        "flag": isinstance(default, bool),
        "safe_name": safe_name,
        "help": help,
        "source": source,
        "prior": prior,
        "setting": setting,
    }
    if isinstance(default, list | dict):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class ScenarioConfig:
    """The day being modelled, the campaign that leads to it, and the published turnout to match.

    The campaign runs from ``start_date`` (day 0) to ``date``: its length comes from the dates,
    not from a guess. With ``history`` the documented events in between — earlier marches and
    strikes, each with its own weather and endorsers, and the killings that act as outrage shocks
    — come from ``scenarios/data/events.csv`` (:mod:`strikesim.engine.timeline`); the day at
    ``date`` takes its weather and endorsers from the ``weather`` and ``coalition`` sections.

    Shipped values: ``conf/scenario/*.yaml``, one preset per strike (``ice_out_2026``, the seed
    account, by default), each citing its sources in comments. A preset also picks its weather and
    coalition presets, so ``scenario=NAME`` sets up a whole case. The observed range belongs to the
    scenario, not to the results: calibration targets and comparisons read it, and
    :func:`validate` refuses a high end above the reference population.
    """

    name: str = param(
        "custom", safe_name=True, help="scenario identifier, used in the results folder name"
    )
    description: str = param("", help="one line: what this scenario represents")
    date: str = param(
        "2026-02-13",
        help="ISO date of the day being modelled (the last day of the run)",
        source="seed text: 13 Feb 2026",
    )
    observed_marchers: int = param(
        30_000,
        unit="people",
        low=0,
        high=MAX_REFERENCE_POPULATION,
        help="best published turnout figure, for comparison",
        source="seed text: 'over 30,000 people walked the streets'",
    )
    observed_low: int = param(
        15_000,
        unit="people",
        low=0,
        high=MAX_REFERENCE_POPULATION,
        help="low end of published range",
        source="facts.md: 23 Jan 2026 estimates from 'over 15,000' (CGTN)",
    )
    observed_high: int = param(
        50_000,
        unit="people",
        low=0,
        high=MAX_REFERENCE_POPULATION,
        help="high end of published range",
        source="facts.md: 23 Jan 2026 estimates up to '>50,000' (Labor Notes)",
    )
    reference_population: int = param(
        429_954,
        unit="people",
        low=1,
        high=MAX_REFERENCE_POPULATION,
        help="population the observed turnout is compared against (scaled per capita if different)",
        source="US Census 2020, Minneapolis",
    )
    start_date: str = param(
        "2026-01-07",
        help="ISO date of the campaign's first day (day 0): organizers are committed",
        source="7 Jan 2026: Renee Good killed by an ICE agent in Minneapolis (facts.md)",
    )
    history: Flag = param(
        True,
        help="include the documented events between start_date and date "
        "(scenarios/data/events.csv): earlier marches, strikes and killings; false runs one call",
    )
    kind: str = param(
        "strike",
        choices=("strike", "march"),
        help="what the day at `date` asks for: strike (no work, no school, no shopping, and a "
        "march) or march only",
    )
    call_lead_days: int = param(
        7,
        unit="days",
        low=0,
        high=365,
        help="days before `date` on which the coalition's calls go out",
        source="23 Jan 2026 was planned 'over the span of a mere week' (facts.md)",
        prior=(3, 14),
    )
    school_walkouts: Flag = param(
        True,
        help="students may join (walk out of school); false keeps every student out",
        source="seed text: 'refusing to work, attend school, or shop'",
    )


@dataclass
class WeatherConfig:
    """The strike day's weather, which sets how many committed people march (not who commits).

    Shipped values: ``conf/weather/*.yaml`` — ``feb13_2026`` (the seed text), ``jan23_2026``
    (Reuters, Fox) and ``mild`` (a counterfactual near the protest optimum), picked by the scenario
    preset. A group of its own so that one strike can be replayed under another sky
    (``weather=mild``); how strongly each quantity matters lives in :class:`BehaviorConfig`.
    """

    name: str = param("custom", help="label of this weather preset")
    temperature_f: float = param(
        30.0,
        unit="°F",
        low=-80,
        high=130,
        help="air temperature during the march",
        source="seed text: 'sub-10 °F' on 13 Feb 2026",
        prior=(-10, 10),
    )
    wind_mph: float = param(
        5.0,
        unit="mph",
        low=0,
        high=100,
        help="sustained wind speed",
        prior=(0, 20),
    )
    precipitation_in: float = param(
        0.0,
        unit="inches",
        low=0,
        high=10,
        help="liquid-equivalent precipitation on the day",
        source="no report of snow or rain (seed text)",
        prior=(0, 0.1),
    )
    indoor_refuge: Flag = param(
        False,
        help="warm-up spaces / indoor rally venue available (softens the cold penalty)",
        source="no indoor finale reported for 13 Feb (23 Jan had one: Reuters)",
    )


@dataclass
class CoalitionConfig:
    """The organizations that endorse the strike, whose calls pull members, congregants, students.

    Shipped values: ``conf/coalition/*.yaml`` — ``seed`` (the callers named in the seed account),
    ``jan23_documented`` (American Prospect, Labor Notes), ``narrow``, ``broad`` and ``none`` (a
    baseline), picked by the scenario preset. Endorsers are ids of the roster
    ``scenarios/data/organizations.csv``, which holds each organization's source. A group of its
    own because it is what organizers choose: ``experiment=weather_x_coalition`` varies it.
    """

    name: str = param("custom", help="label of this endorsing coalition")
    endorsers: list[str] = param(
        [],
        help="organization ids that endorse the strike (see strikesim.scenarios roster)",
        source="seed text: UFCW, SEIU, NEA, the Minnesota federation of labor, faith groups",
    )


@dataclass
class PopulationConfig:
    """The synthetic city's people: how many, how many per agent, and the shares of each kind.

    Shipped values: ``conf/population/*.yaml`` — ``city`` (Minneapolis at 1:1; Census, ACS and
    school figures in comments), ``metro``, ``small`` and ``classroom`` (the city's shares at other
    sizes). Sector shares, union rates and job precarity are not here: they are rows with sources
    in ``scenarios/data/sectors.csv``.
    """

    name: str = param("custom", help="label of this population preset")
    catchment: str = param(
        "city",
        choices=("city", "metro"),
        help="where people live: Minneapolis only, or the seven-county metro "
        "(scenarios/data/places.csv), each place at its distance from downtown",
    )
    size: int = param(
        429_954,
        unit="people",
        low=1,
        high=MAX_PEOPLE,
        help="people in the synthetic city",
        source="US Census 2020, Minneapolis (2023 estimate 425,115)",
    )
    scale: int = param(
        1,
        unit="people per agent",
        low=1,
        high=MAX_SCALE,
        help="one agent stands for this many people; coarser than 1:10 biases turnout "
        "(docs/model.md, 'Scale')",
        setting=True,
    )
    worker_share: float = param(
        0.58,
        low=0,
        high=1,
        help="employed residents / population",
        source="facts.md: city labour force ~250,000-265,000 of 429,954, ~95% employed; metro "
        "1,778,729 of 3,163,104 (MN DEED)",
        prior=(0.50, 0.62),
    )
    k12_share: float = param(
        0.065,
        low=0,
        high=1,
        help="K-12 students the educators' call can reach / population",
        source="Minneapolis Public Schools: 28,473 (Oct 2022), <28,000 (2023-24); the metro's "
        "school-age share is higher [est]",
        prior=(0.06, 0.18),
    )
    university_share: float = param(
        0.08,
        low=0,
        high=1,
        help="university students / population",
        source="UMN Twin Cities: 56,666 students (fall 2024), ~60% living in the city; the "
        "metro has fewer per resident (0.04 [est])",
        prior=(0.03, 0.11),
    )
    immigrant_share: float = param(
        0.145,
        low=0,
        high=1,
        help="foreign-born residents",
        source="facts.md: Minneapolis ~14-15% foreign-born (MN 8.6%, ACS 2023); metro 11.8% "
        "(places.csv, ACS 5-yr)",
        prior=(0.10, 0.16),
    )
    congregant_share: float = param(
        0.3,
        low=0,
        high=1,
        help="residents attached to a congregation",
        prior=(0.2, 0.4),
    )
    sympathizer_share: float = param(
        0.6,
        low=0,
        high=1,
        help="residents sympathetic to the cause (may ever join)",
        source="Minneapolis >80% Democratic in 2024; a vote is not sympathy for a strike",
        prior=(0.4, 0.8),
    )
    household_size: float = param(
        2.2,
        unit="people",
        low=1,
        high=20,
        help="mean household size",
        source="Minneapolis ACS 2019-23: ~2.2 persons per household; suburbs larger (metro "
        "preset 2.5 [est])",
        prior=(2.0, 2.7),
    )


TIE_WEIGHTS = "Granovetter 1978: close ties weigh more"


@dataclass
class NetworkConfig:
    """Who influences whom: the generated multiplex city network, or a graph read from a file.

    The generated network layers households, workplaces, schools, congregations and friendships,
    each with an integer tie weight (so exposure sums exactly) and a degree. Shipped values:
    ``conf/network/multiplex.yaml`` (weights after Granovetter 1978, degrees and sizes [est]) and
    ``conf/network/file.yaml`` (the same, with ``source: file``; the path is given on the command
    line).
    """

    source: str = param(
        "generated",
        choices=("generated", "file"),
        help="build the multiplex city network, or read a graph file",
    )
    path: str = param("", help="graph file (GraphML or edge list) when source=file")
    format: str = param(
        "auto", choices=("auto", "graphml", "edgelist"), help="graph file format (auto: by suffix)"
    )
    nodes_path: str = param(
        "", help="optional CSV of node attributes (columns: node, type, ...) for an edge list"
    )
    household_weight: int = param(
        3,
        unit="tie weight",
        low=0,
        high=100,
        help="household ties",
        source=TIE_WEIGHTS,
        prior=(2, 4),
    )
    workplace_weight: int = param(
        2,
        unit="tie weight",
        low=0,
        high=100,
        help="coworker ties",
        source=TIE_WEIGHTS,
        prior=(1, 3),
    )
    school_weight: int = param(
        2,
        unit="tie weight",
        low=0,
        high=100,
        help="classmate ties",
        source=TIE_WEIGHTS,
        prior=(1, 3),
    )
    congregation_weight: int = param(
        1,
        unit="tie weight",
        low=0,
        high=100,
        help="congregation",
        source=TIE_WEIGHTS,
        prior=(1, 2),
    )
    friendship_weight: int = param(
        1,
        unit="tie weight",
        low=0,
        high=100,
        help="friends/neighbours",
        source=TIE_WEIGHTS,
        prior=(1, 2),
    )
    workplace_degree: int = param(
        6, unit="contacts", low=0, high=200, help="coworkers per worker", prior=(3, 12)
    )
    workplace_size: float = param(
        20.0,
        unit="people",
        low=1,
        high=MAX_PEOPLE,
        help="mean workplace size",
        prior=(10, 50),
    )
    school_degree: int = param(
        6, unit="contacts", low=0, high=200, help="classmates per student", prior=(3, 12)
    )
    class_size: float = param(
        25.0,
        unit="people",
        low=1,
        high=MAX_PEOPLE,
        help="mean class / course-group size",
        prior=(15, 35),
    )
    congregation_degree: int = param(
        4, unit="contacts", low=0, high=200, help="per congregant", prior=(2, 8)
    )
    congregation_size: float = param(
        150.0,
        unit="people",
        low=1,
        high=MAX_PEOPLE,
        help="mean congregation size",
        source="median US congregation ~70 regular participants, the mean larger",
        prior=(70, 300),
    )
    friendship_degree: int = param(
        6, unit="contacts", low=0, high=200, help="friends per person", prior=(4, 12)
    )
    rewire_prob: float = param(
        0.1,
        low=0,
        high=1,
        help="share of friendship ties rewired to random people (small world)",
        source="small world: Watts & Strogatz 1998; Centola & Macy 2007 vary it",
        prior=(0.02, 0.3),
    )


@dataclass
class BehaviorConfig:
    """How people decide: thresholds, the pull of each call, momentum, costs, and the march rule.

    The parameters of :mod:`strikesim.engine.rule` and :mod:`strikesim.engine.heterogeneity`.
    Shipped values: ``conf/behavior/default.yaml``. None is measured for this strike, so each
    declares its prior here. The shipped behaviour (``conf/behavior/posterior.yaml``) draws them
    per run from the posterior the calibration recorded (docs/calibration.md), fitted to the
    documented 10 and 23 Jan 2026 turnouts; ``conf/behavior/default.yaml`` holds the priors'
    centres, the fixed point set.
    """

    posterior: str = param(
        "",
        help="draw this section's values from a recorded posterior "
        "(scenarios/calibration/<name>_posterior.csv), one draw per run by its seed; "
        "empty: the values below",
    )
    posterior_draw: int = param(
        -1,
        low=-1,
        high=10**9,
        help="which posterior draw (a row of the table); -1: drawn by the run's seed",
        setting=True,
    )
    pinned: list[str] = param(
        [],
        help="posterior keys kept at their config value instead of the draw's (section.key); "
        "a key set on the command line is pinned by itself; nothing without a posterior",
    )
    threshold_mean: float = param(
        0.35,
        unit="fraction",
        low=0.01,
        high=0.99,
        help="mean threshold (Beta distribution on [0, 1])",
        prior=(0.20, 0.45),
    )
    threshold_sd: float = param(
        0.15,
        unit="fraction",
        low=0.01,
        high=0.49,
        help="sd of thresholds (Beta; must be below sqrt(mean * (1 - mean)))",
        prior=(0.05, 0.25),
    )
    activist_share: float = param(
        0.005,
        low=0,
        high=1,
        help="initiators: sympathizers committed on day 0 (organizers); nobody else commits "
        "without a contact, a call, momentum or outrage",
        prior=(0.001, 0.01),
    )
    immigrant_threshold_shift: float = param(
        -0.05,
        unit="fraction",
        low=-0.5,
        high=0.5,
        help="change of the mean threshold for foreign-born residents",
        source="the raids target their communities; fear may work the other way",
        prior=(-0.10, 0.05),
    )
    university_threshold_shift: float = param(
        -0.05,
        unit="fraction",
        low=-0.5,
        high=0.5,
        help="change of the mean threshold for university students",
        prior=(-0.10, 0.0),
    )
    k12_threshold_shift: float = param(
        0.0,
        unit="fraction",
        low=-0.5,
        high=0.5,
        help="change of the mean threshold for K-12 students",
        prior=(-0.10, 0.10),
    )
    union_call: float = param(
        0.15,
        unit="threshold units",
        low=0,
        high=1,
        help="pull of a member's own union's call",
        source="no causal estimate of an endorsement's pull exists (facts.md)",
        prior=(0.05, 0.30),
    )
    federation_call: float = param(
        0.05,
        unit="threshold units",
        low=0,
        high=1,
        help="pull of a labor federation's call",
        source="an endorsement, not a strike order (American Prospect, 22 Jan 2026)",
        prior=(0.0, 0.10),
    )
    faith_call: float = param(
        0.1,
        unit="threshold units",
        low=0,
        high=1,
        help="pull of a congregation's faith group",
        prior=(0.0, 0.20),
    )
    school_call: float = param(
        0.05,
        unit="threshold units",
        low=0,
        high=1,
        help="pull on K-12 students of an educators' union",
        prior=(0.0, 0.10),
    )
    campus_call: float = param(
        0.05,
        unit="threshold units",
        low=0,
        high=1,
        help="pull on university students of a student association's call",
        prior=(0.0, 0.15),
    )
    community_call: float = param(
        0.05,
        unit="threshold units",
        low=0,
        high=1,
        help="pull on foreign-born residents of an immigrant-rights organization's call",
        prior=(0.0, 0.15),
    )
    civic_call: float = param(
        0.01,
        unit="threshold units",
        low=0,
        high=1,
        help="pull on every resident of a public endorsement (the City Council's)",
        prior=(0.0, 0.05),
    )
    max_pull: float = param(
        0.3,
        unit="threshold units",
        low=0,
        high=1,
        help="ceiling on the summed pull of every call that reaches a person",
        source="calls overlap: a person asked by three groups is not three times as moved "
        "(2026-11 review) [est]",
        prior=(0.15, 0.5),
    )
    outreach_rate: float = param(
        0.3,
        unit="per day",
        low=0,
        high=1,
        help="chance a not-yet-reached member is reached each day",
        prior=(0.1, 0.5),
    )
    momentum_weight: float = param(
        0.2,
        unit="threshold units",
        low=0,
        high=10,
        help="pull of citywide committed share",
        prior=(0.0, 0.50),
    )
    outrage_shock: float = param(
        0.05,
        unit="threshold units",
        low=0,
        high=1,
        help="threshold drop on the day of a killing by federal agents, near downtown",
        source="moral shocks recruit strangers to a movement (Jasper & Poulsen 1995, Social "
        "Problems 42(4):493-512); no estimate of their size exists [est]",
        prior=(0.0, 0.15),
    )
    outrage_memory_days: float = param(
        10.0,
        unit="days",
        low=0.1,
        high=365,
        help="e-folding time of a shock's outrage",
        prior=(3.0, 30.0),
    )
    outrage_reach_km: float = param(
        20.0,
        unit="km",
        low=0.1,
        high=1000,
        help="distance from downtown at which a shock's outrage falls to 1/e",
        prior=(5.0, 60.0),
    )
    job_risk_weight: float = param(
        1.0,
        unit="per unit precarity",
        low=0,
        high=10,
        help="log-drop in the chance a committed worker strikes, at sector precarity 1",
        source="risk weighs against grievance (Epstein 2002); no estimate for this strike",
        prior=(0.3, 3.0),
    )
    union_protection: float = param(
        0.3,
        low=0,
        high=1,
        help="share of job risk removed for members of a union endorsing that day",
        source="an endorsement is not a strike order and many contracts have no-strike clauses "
        "(American Prospect, 22 Jan 2026): partial, likely small [est]",
        prior=(0.0, 0.6),
    )
    student_cost: float = param(
        0.3,
        unit="log-drop",
        low=0,
        high=10,
        help="log-drop in the chance a committed student walks out of school",
        prior=(0.0, 1.0),
    )
    fatigue: float = param(
        0.2,
        low=0,
        high=1,
        help="drop in a person's chance to march for each earlier march they joined",
        prior=(0.0, 0.5),
    )
    travel_decay_km: float = param(
        25.0,
        unit="km",
        low=0.1,
        high=1000,
        help="distance to downtown Minneapolis at which the chance to march falls to 1/e",
        prior=(8.0, 60.0),
    )
    immigrant_march_risk: float = param(
        0.2,
        low=0,
        high=1,
        help="drop in a foreign-born person's chance to march (the risk of being seen)",
        source="fear shapes which forms of action immigrants take (Zepeda-Millan 2017, Latino "
        "Mass Mobilization) [est]",
        prior=(0.0, 0.5),
    )
    march_base: float = param(
        0.8,
        low=0,
        high=1,
        help="chance a committed person marches on a mild, dry day",
        prior=(0.60, 1.00),
    )
    comfort_temperature_f: float = param(
        68.0,
        unit="°F",
        low=-80,
        high=130,
        help="temperature at which marching is easiest",
        source="Zhang 2016: protest events peak near 20 °C (events, not individuals)",
        prior=(59, 77),
    )
    cold_sensitivity: float = param(
        0.01,
        unit="per °F",
        low=0,
        high=1,
        help="log-drop in marching per °F of wind chill below comfort",
        source="no study of extreme cold on a mobilized crowd (facts.md)",
        prior=(0.0, 0.03),
    )
    heat_sensitivity: float = param(
        0.02,
        unit="per °F",
        low=0,
        high=1,
        help="log-drop in marching per °F above comfort",
        source="Zhang 2016: protest less likely above the ~20 °C optimum",
        prior=(0.0, 0.04),
    )
    precip_sensitivity: float = param(
        0.1,
        unit="per inch",
        low=0,
        high=10,
        help="log-drop in marching per inch of precipitation",
        source="~1 point of a ~55% vote turnout per inch, a log-drop of ~0.02 (Gomez et al. "
        "2007); rain cuts rallies more (Madestam et al. 2013) [est]",
        prior=(0.02, 0.5),
    )
    indoor_refuge_relief: float = param(
        0.3,
        low=0,
        high=1,
        help="share of the cold penalty removed by indoor warm-up spaces",
        source="23 Jan 2026: tens of thousands at -20 °F with warm-up spaces (Reuters)",
        prior=(0.0, 0.6),
    )


@dataclass
class StrikeConfig:
    """A whole run: one section per config group, plus the seed.

    The root Hydra composes ``conf/config.yaml`` onto (stored as ``strikesim_schema``), so every
    key of every preset is typed and checked here. Shipped values: ``conf/config.yaml``'s defaults
    (:data:`SHIPPED_RUN`).
    """

    scenario: ScenarioConfig = field(default_factory=ScenarioConfig)
    weather: WeatherConfig = field(default_factory=WeatherConfig)
    coalition: CoalitionConfig = field(default_factory=CoalitionConfig)
    population: PopulationConfig = field(default_factory=PopulationConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    behavior: BehaviorConfig = field(default_factory=BehaviorConfig)
    seed: int = param(
        0, low=0, high=2**63 - 1, help="root of every random stream in a run", setting=True
    )


@dataclass(frozen=True)
class SchemaKey:
    """One leaf key of the schema: its dotted name, kind, default and declared metadata."""

    key: str
    kind: str  # "int", "float", "str", "list" (of str) or "flag" (true/false)
    default: Any
    meta: dict[str, Any]


def schema_keys(schema: type = StrikeConfig, prefix: str = "") -> list[SchemaKey]:
    """Every leaf key with what the schema declares about it, for tools that walk the schema
    (the property and bad-input tests generate their cases from it)."""
    hints = get_type_hints(schema)
    keys: list[SchemaKey] = []
    for f in fields(schema):
        hint = hints[f.name]
        if is_dataclass(hint):
            keys += schema_keys(hint, f"{prefix}{f.name}.")
            continue
        default = f.default if f.default is not MISSING else f.default_factory()  # type: ignore[misc]
        meta = dict(f.metadata)
        kind = "flag" if meta.get("flag") else getattr(hint, "__name__", str(hint))
        keys.append(SchemaKey(f"{prefix}{f.name}", kind, default, meta))
    return keys


def register_schema() -> None:
    """Make the schema available to Hydra as the first entry of ``conf/config.yaml``'s defaults."""
    ConfigStore.instance().store(name="strikesim_schema", node=StrikeConfig)


def _number(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


def _has_allowed(meta: dict[str, Any]) -> bool:
    """Does the field restrict its values beyond its type (for ``--help``)?"""
    keys = ("choices", "low", "high", "flag", "safe_name")
    return any(meta.get(k) not in (None, False) for k in keys)


def _describe_allowed(meta: dict[str, Any], with_unit: bool = True) -> str:
    if meta.get("flag"):
        return "true or false"
    if meta.get("safe_name"):
        return f"1 to {MAX_NAME_LENGTH} letters, digits, '_', '-' or '.', without '..'"
    if meta.get("choices"):
        return "one of " + ", ".join(meta["choices"])
    low, high, unit = meta.get("low"), meta.get("high"), meta.get("unit")
    unit = f" {unit}" if unit and with_unit else ""
    if low is not None and high is not None:
        return f"{_number(low)} to {_number(high)}{unit}"
    if low is not None:
        return f">= {_number(low)}{unit}"
    return f"<= {_number(high)}{unit}"


def _shown(value: Any, limit: int = 40) -> str:
    """``repr(value)``, shortened: a 400-digit typo must not turn one line into a page.

    Python refuses to print integers of more than 4,300 digits; those are described instead.
    """
    try:
        text = repr(value)
    except ValueError:
        return f"<an integer of ~{int(value.bit_length() * math.log10(2)):,} digits>"
    return text if len(text) <= limit else f"{text[: limit - 12]}...({len(text)} chars)"


def _out_of_range(value: int | float, meta: dict[str, Any]) -> bool:
    """NaN, ±inf or outside [low, high]. Python ints are always finite (and may be too large for
    ``math.isfinite``, which converts to float), so only floats are asked."""
    if isinstance(value, float) and not math.isfinite(value):
        return True
    low, high = meta.get("low"), meta.get("high")
    return (low is not None and value < low) or (high is not None and value > high)


def _check_field(key: str, value: Any, meta: dict[str, Any]) -> None:
    if meta.get("flag") and not isinstance(value, bool):
        raise ConfigError(
            f"{key}={_shown(value)} is not a flag; allowed: {_describe_allowed(meta)}"
        )
    if meta.get("safe_name") and not (
        isinstance(value, str) and SAFE_NAME.fullmatch(value) and ".." not in value
    ):
        raise ConfigError(
            f"{key}={_shown(value)} cannot name a folder; allowed: {_describe_allowed(meta)}"
        )
    if meta.get("choices") and value not in meta["choices"]:
        raise ConfigError(
            f"{key}={_shown(value)} is not allowed; allowed: {_describe_allowed(meta)}"
        )
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if numeric and _out_of_range(value, meta):
        raise ConfigError(
            f"{key}={_shown(value)} is out of range; allowed: {_describe_allowed(meta)}"
        )


def _walk(obj: Any, prefix: str = "") -> None:
    for f in fields(obj):
        value = getattr(obj, f.name)
        key = f"{prefix}{f.name}"
        if is_dataclass(value):
            _walk(value, key + ".")
        else:
            _check_field(key, value, dict(f.metadata))


def estimated_directed_ties(cfg: StrikeConfig) -> int:
    """An upper estimate of the generated network's directed ties: what its memory scales with.

    Per agent: a household of mean size h gives fewer than h ties on average (sizes are
    1 + Poisson(h - 1)); each other layer at most its degree, for the share of people in it.
    Ties both layers share are summed into one, so the real count is lower (city: 5.9 M of 6.8 M
    estimated; metro: 50 M of 59 M).
    """
    pop, net = cfg.population, cfg.network
    per_agent = (
        pop.household_size
        + pop.worker_share * net.workplace_degree
        + (pop.k12_share + pop.university_share) * net.school_degree
        + pop.congregant_share * net.congregation_degree
        + net.friendship_degree
    )
    return math.ceil(pop.size // pop.scale * per_agent)


def _check_population(cfg: StrikeConfig) -> None:
    pop = cfg.population
    students_and_workers = pop.worker_share + pop.k12_share + pop.university_share
    if students_and_workers > 1:
        raise ConfigError(
            "population.worker_share + k12_share + university_share = "
            f"{students_and_workers:g} exceeds 1; allowed: a total <= 1"
        )
    if pop.scale > pop.size:
        raise ConfigError(
            f"population.scale={pop.scale} exceeds population.size={pop.size}; "
            "allowed: 1 to population.size"
        )


def _check_coalition(cfg: StrikeConfig) -> None:
    """Every endorser on the roster, and each once: a repeated one would call its members twice."""
    from strikesim.scenarios import organization_ids

    known = organization_ids()
    seen: set[str] = set()
    for name in cfg.coalition.endorsers:
        if name not in known:
            raise ConfigError(
                f"coalition.endorsers: unknown organization {name!r}; allowed: {', '.join(known)}"
            )
        if name in seen:
            raise ConfigError(
                f"coalition.endorsers lists {name!r} twice; allowed: each organization once"
            )
        seen.add(name)


MAX_CAMPAIGN_DAYS = 366
"""Longest campaign (start_date to date) a run accepts: a year of daily steps."""


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def iso_date(key: str, value: str) -> date:
    """``value`` (YYYY-MM-DD) as a date, or ConfigError naming ``key`` and the format allowed.

    Only the one form: Python accepts ``20260213`` or ``2026-W07-5`` too, which would be
    recorded as typed while the events table shows 2026-02-13.
    """
    try:
        if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ConfigError(
            f"{key}={_shown(value)} is not a date; allowed: an ISO date such as 2026-02-13"
        ) from None


def _check_scenario(cfg: StrikeConfig) -> None:
    sc = cfg.scenario
    start = iso_date("scenario.start_date", sc.start_date)
    day = iso_date("scenario.date", sc.date)
    span = (day - start).days
    if not 1 <= span <= MAX_CAMPAIGN_DAYS:
        raise ConfigError(
            f"scenario.start_date={sc.start_date} and scenario.date={sc.date} are {span} days "
            f"apart; allowed: start_date 1 to {MAX_CAMPAIGN_DAYS} days before date"
        )
    if not sc.observed_low <= sc.observed_marchers <= sc.observed_high:
        raise ConfigError(
            "scenario.observed_marchers must lie within scenario.observed_low..observed_high; "
            f"got {sc.observed_low} <= {sc.observed_marchers} <= {sc.observed_high}"
        )
    if sc.observed_high > sc.reference_population:
        raise ConfigError(
            f"scenario.observed_high={sc.observed_high} exceeds scenario.reference_population="
            f"{sc.reference_population}; allowed: turnout no larger than the population it is "
            "compared against"
        )


def _check_network(cfg: StrikeConfig) -> None:
    """The file keys are used only with ``source=file``; set otherwise, they would be ignored."""
    net = cfg.network
    if net.source == "generated":
        for key in ("path", "nodes_path"):
            if value := getattr(net, key):
                raise ConfigError(
                    f"network.{key}={_shown(value, 200)} is ignored when network.source="
                    "generated; allowed: an empty value, or network.source=file (network=file)"
                )
        if net.format != "auto":
            raise ConfigError(
                f"network.format={net.format!r} is ignored when network.source=generated; "
                "allowed: auto, or network.source=file (network=file)"
            )
        ties = estimated_directed_ties(cfg)
        if ties > MAX_DIRECTED_TIES:
            pop = cfg.population
            raise ConfigError(
                f"population.size={pop.size} at population.scale={pop.scale} with these network "
                f"degrees would generate ~{ties:,} directed ties; allowed: at most "
                f"{MAX_DIRECTED_TIES:,} (raise population.scale or lower network.*_degree)"
            )
        return
    if not net.path:
        raise ConfigError(
            "network.path is empty; allowed: a GraphML or edge-list file when source=file"
        )
    for key in ("path", "nodes_path"):
        value = getattr(net, key)
        if value and not Path(value).is_file():
            raise ConfigError(
                f"network.{key}={_shown(value, 200)}: no such file; allowed: an existing file"
            )


def _check_thresholds(cfg: StrikeConfig) -> None:
    """Each group's Beta distribution must exist: mean in (0, 1), sd below sqrt(m (1 - m)).

    A group is what :func:`strikesim.engine.heterogeneity.draw_thresholds` shifts the mean for:
    foreign-born people, students of each level, and foreign-born students (both shifts).
    """
    b = cfg.behavior
    imm, uni, k12 = (
        "immigrant_threshold_shift",
        "university_threshold_shift",
        "k12_threshold_shift",
    )
    groups: list[tuple[str, ...]] = [(), (imm,), (uni,), (k12,), (imm, uni), (imm, k12)]
    for keys in groups:
        mean = b.threshold_mean
        for key in keys:
            mean += getattr(b, key)
        with_shift = "".join(f" + behavior.{key}={getattr(b, key)}" for key in keys)
        if not 0.01 <= mean <= 0.99:
            raise ConfigError(
                f"behavior.threshold_mean={b.threshold_mean}{with_shift} gives a mean threshold "
                f"of {mean:.3g}; allowed: a mean between 0.01 and 0.99"
            )
        if b.threshold_sd >= (mean * (1 - mean)) ** 0.5:
            raise ConfigError(
                f"behavior.threshold_sd={b.threshold_sd} is too wide for a mean threshold of "
                f"{mean:.3g} (threshold_mean{with_shift}); allowed: below "
                f"sqrt(mean * (1 - mean)) = {(mean * (1 - mean)) ** 0.5:.3g} (a Beta distribution)"
            )


def _check_posterior(cfg: StrikeConfig) -> None:
    from strikesim.scenarios.posteriors import posterior_keys, posterior_names, posterior_rows

    name = cfg.behavior.posterior
    if name and name not in posterior_names():
        allowed = ", ".join(posterior_names()) or "none is packaged"
        raise ConfigError(
            f"behavior.posterior={_shown(name)} is not a recorded posterior; allowed: {allowed}"
            " (scenarios/calibration/<name>_posterior.csv), or empty for the section's values"
        )
    if name:
        rows = len(posterior_rows(name))
        if cfg.behavior.posterior_draw >= rows:
            raise ConfigError(
                f"behavior.posterior_draw={cfg.behavior.posterior_draw} is past the {rows} draws "
                f"of {name!r}; allowed: -1 (by seed) or 0 to {rows - 1}"
            )
        keys = posterior_keys(name)
        for key in cfg.behavior.pinned:
            if key not in keys:
                raise ConfigError(
                    f"behavior.pinned: {_shown(key)} is not a key of posterior {name!r}; allowed: "
                    f"{', '.join(keys)}"
                )


def validate(cfg: StrikeConfig) -> StrikeConfig:
    """Check every range, choice and cross-field rule; raise ConfigError on the first violation."""
    _walk(cfg)
    _check_posterior(cfg)
    _check_population(cfg)
    _check_coalition(cfg)
    _check_scenario(cfg)
    _check_thresholds(cfg)
    _check_network(cfg)
    return cfg


def describe_provenance(meta: dict[str, Any]) -> str:
    """Where a key's shipped value comes from, in one short phrase: ``source: ...``, ``prior a to
    b``, both, ``run setting``, or ``""`` for a label."""
    if meta.get("setting"):
        return "run setting"
    parts = []
    if meta.get("source"):
        parts.append(f"source: {meta['source']}")
    if meta.get("prior") is not None:
        low, high = meta["prior"]
        parts.append(f"prior {_number(low)} to {_number(high)}")
    return "; ".join(parts)


def _leaves(obj: Any, prefix: str = "") -> list[tuple[str, Any, dict[str, Any]]]:
    """(dotted key, value, metadata) of every leaf of a config, in schema order."""
    out = []
    for f in fields(obj):
        value = getattr(obj, f.name)
        if is_dataclass(value):
            out += _leaves(value, f"{prefix}{f.name}.")
        else:
            out.append((f"{prefix}{f.name}", value, dict(f.metadata)))
    return out


def schema_help(values: StrikeConfig | None = None) -> str:
    """Every config key with its value in ``values`` (default: the schema's), allowed values,
    unit, meaning and where its shipped value comes from (for ``--help``)."""
    lines: list[str] = []
    for key, value, meta in _leaves(values if values is not None else StrikeConfig()):
        allowed = f"  [{_describe_allowed(meta)}]" if _has_allowed(meta) else ""
        provenance = describe_provenance(meta)
        provenance = f"  ({provenance})" if provenance else ""
        lines.append(f"  {key} = {value!r}{allowed}  {meta.get('help', '')}{provenance}")
    return "\n".join(lines)


def _shipped(value: Any) -> str:
    """A value as the parameter table shows it."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "(none)"
    return str(value) if value != "" else '""'


def parameter_rows(values: StrikeConfig) -> list[dict[str, str]]:
    """One row per schema key for the docs' parameter table: key, shipped value (``values``,
    normally the default run, :data:`SHIPPED_RUN`), unit, allowed values, source or prior, and
    whether it is calibrated: drawn per run from ``values``' posterior (``behavior.posterior``,
    unless pinned), in which case the value shown is the fixed point set's."""
    from strikesim.scenarios.posteriors import posterior_keys

    name = values.behavior.posterior
    drawn = set(posterior_keys(name)) - set(values.behavior.pinned) if name else set()
    rows = []
    for key, value, meta in _leaves(values):
        rows.append(
            {
                "key": key,
                "shipped": _shipped(value),
                "unit": meta.get("unit", ""),
                "allowed": _describe_allowed(meta, with_unit=False) if _has_allowed(meta) else "",
                "source or prior": describe_provenance(meta)
                or ("(option)" if meta.get("choices") else "(label)"),
                "calibrated": f"posterior {name}" if key in drawn else "",
            }
        )
    return rows
