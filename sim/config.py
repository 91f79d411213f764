"""The configuration schema: every key a researcher may vary, with its unit, range and source.

Hydra composes YAML from ``conf/`` onto these dataclasses (registered in Hydra's ConfigStore as
``strikesim_schema``), so OmegaConf rejects unknown keys and wrong types. Ranges, choices and
cross-field rules are checked here, by :func:`validate`, from the metadata each field declares —
the same idea as ndlib's self-describing model parameters: the schema *is* the documentation
(``strikesim --help`` prints it) and the validator, so the two cannot drift apart.

Defaults here are neutral placeholders; the numbers a scenario uses, with their sources, live in
the YAML files under ``conf/`` (and the data files in ``strikesim.scenarios``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from hydra.core.config_store import ConfigStore


class ConfigError(ValueError):
    """Bad user input. Its message is one line naming the key, the value and what is allowed."""


def param(
    default: Any,
    *,
    unit: str = "",
    low: float | None = None,
    high: float | None = None,
    choices: tuple[str, ...] | None = None,
    help: str = "",
) -> Any:
    """A config field that carries its own unit, allowed range or choices and a one-line meaning."""
    meta = {"unit": unit, "low": low, "high": high, "choices": choices, "help": help}
    if isinstance(default, list | dict):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class ScenarioConfig:
    name: str = param("custom", help="scenario identifier, used in the results folder name")
    description: str = param("", help="one line: what this scenario represents")
    date: str = param("", help="ISO date of the strike day being modelled")
    observed_marchers: int = param(
        30_000, unit="people", low=0, help="best published turnout figure, for comparison"
    )
    observed_low: int = param(15_000, unit="people", low=0, help="low end of published range")
    observed_high: int = param(50_000, unit="people", low=0, help="high end of published range")
    reference_population: int = param(
        429_954,
        unit="people",
        low=1,
        help="population the observed turnout is compared against (scaled per capita if different)",
    )
    campaign_days: int = param(
        10, unit="days", low=1, high=365, help="days of mobilization before the strike day"
    )
    school_walkouts: bool = param(
        True, help="students may join (walk out of school); false keeps every student out"
    )


@dataclass
class WeatherConfig:
    name: str = param("custom", help="label of this weather preset")
    temperature_f: float = param(
        30.0, unit="°F", low=-80, high=130, help="air temperature during the march"
    )
    wind_mph: float = param(5.0, unit="mph", low=0, high=100, help="sustained wind speed")
    precipitation_in: float = param(
        0.0, unit="inches", low=0, high=10, help="liquid-equivalent precipitation on the day"
    )
    indoor_refuge: bool = param(
        False, help="warm-up spaces / indoor rally venue available (softens the cold penalty)"
    )


@dataclass
class CoalitionConfig:
    name: str = param("custom", help="label of this endorsing coalition")
    endorsers: list[str] = param(
        [], help="organization ids that endorse the strike (see strikesim.scenarios roster)"
    )


@dataclass
class PopulationConfig:
    name: str = param("custom", help="label of this population preset")
    size: int = param(429_954, unit="people", low=1, help="people in the synthetic city")
    scale: int = param(
        1, unit="people per agent", low=1, help="one agent stands for this many people"
    )
    worker_share: float = param(0.58, low=0, high=1, help="employed residents / population")
    k12_share: float = param(0.065, low=0, high=1, help="K-12 public school students / population")
    university_share: float = param(
        0.08, low=0, high=1, help="university students living in the city / population"
    )
    immigrant_share: float = param(0.145, low=0, high=1, help="foreign-born residents")
    congregant_share: float = param(0.3, low=0, high=1, help="residents attached to a congregation")
    sympathizer_share: float = param(
        0.6, low=0, high=1, help="residents sympathetic to the cause (may ever join)"
    )
    household_size: float = param(2.2, unit="people", low=1, high=20, help="mean household size")


@dataclass
class NetworkConfig:
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
    household_weight: int = param(3, unit="tie weight", low=0, high=100, help="household ties")
    workplace_weight: int = param(2, unit="tie weight", low=0, high=100, help="coworker ties")
    school_weight: int = param(2, unit="tie weight", low=0, high=100, help="classmate ties")
    congregation_weight: int = param(1, unit="tie weight", low=0, high=100, help="congregation")
    friendship_weight: int = param(1, unit="tie weight", low=0, high=100, help="friends/neighbours")
    workplace_degree: int = param(6, unit="contacts", low=0, high=200, help="coworkers per worker")
    workplace_size: float = param(20.0, unit="people", low=1, help="mean workplace size")
    school_degree: int = param(6, unit="contacts", low=0, high=200, help="classmates per student")
    class_size: float = param(25.0, unit="people", low=1, help="mean class / course-group size")
    congregation_degree: int = param(4, unit="contacts", low=0, high=200, help="per congregant")
    congregation_size: float = param(150.0, unit="people", low=1, help="mean congregation size")
    friendship_degree: int = param(6, unit="contacts", low=0, high=200, help="friends per person")
    rewire_prob: float = param(
        0.1, low=0, high=1, help="share of friendship ties rewired to random people (small world)"
    )


@dataclass
class BehaviorConfig:
    threshold_mean: float = param(0.35, unit="fraction", low=0, high=1, help="mean threshold")
    threshold_sd: float = param(0.15, unit="fraction", low=0, high=1, help="sd of thresholds")
    activist_share: float = param(
        0.005, low=0, high=1, help="sympathizers committed before the campaign (organizers)"
    )
    immigrant_threshold_shift: float = param(
        -0.05, unit="fraction", low=-1, high=1, help="threshold change for foreign-born residents"
    )
    university_threshold_shift: float = param(
        -0.05, unit="fraction", low=-1, high=1, help="threshold change for university students"
    )
    k12_threshold_shift: float = param(
        0.0, unit="fraction", low=-1, high=1, help="threshold change for K-12 students"
    )
    union_call: float = param(
        0.15, unit="threshold units", low=0, high=1, help="pull of a member's own union's call"
    )
    federation_call: float = param(
        0.05, unit="threshold units", low=0, high=1, help="pull of a labor federation's call"
    )
    faith_call: float = param(
        0.1, unit="threshold units", low=0, high=1, help="pull of a congregation's faith group"
    )
    school_call: float = param(
        0.05,
        unit="threshold units",
        low=0,
        high=1,
        help="pull on K-12 students of an educators' union",
    )
    outreach_rate: float = param(
        0.3,
        unit="per day",
        low=0,
        high=1,
        help="chance a not-yet-reached member is reached each day",
    )
    momentum_weight: float = param(
        0.2, unit="threshold units", low=0, high=10, help="pull of citywide committed share"
    )
    job_risk_weight: float = param(
        0.2, unit="threshold units", low=0, high=1, help="cost of striking at precarity 1"
    )
    union_protection: float = param(
        0.5, low=0, high=1, help="share of job risk removed for members of an endorsing union"
    )
    student_cost: float = param(
        0.02, unit="threshold units", low=0, high=1, help="cost of walking out of school"
    )
    march_base: float = param(
        0.8, low=0, high=1, help="chance a committed person marches on a mild, dry day"
    )
    comfort_temperature_f: float = param(
        68.0, unit="°F", low=-80, high=130, help="temperature at which marching is easiest"
    )
    cold_sensitivity: float = param(
        0.01,
        unit="per °F",
        low=0,
        high=1,
        help="log-drop in marching per °F of wind chill below comfort",
    )
    heat_sensitivity: float = param(
        0.02, unit="per °F", low=0, high=1, help="log-drop in marching per °F above comfort"
    )
    precip_sensitivity: float = param(
        0.5, unit="per inch", low=0, high=10, help="log-drop in marching per inch of precipitation"
    )
    indoor_refuge_relief: float = param(
        0.3, low=0, high=1, help="share of the cold penalty removed by indoor warm-up spaces"
    )


@dataclass
class StrikeConfig:
    scenario: ScenarioConfig = field(default_factory=ScenarioConfig)
    weather: WeatherConfig = field(default_factory=WeatherConfig)
    coalition: CoalitionConfig = field(default_factory=CoalitionConfig)
    population: PopulationConfig = field(default_factory=PopulationConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    behavior: BehaviorConfig = field(default_factory=BehaviorConfig)
    seed: int = param(0, low=0, high=2**63 - 1, help="root of every random stream in a run")


def register_schema() -> None:
    """Make the schema available to Hydra as the first entry of ``conf/config.yaml``'s defaults."""
    ConfigStore.instance().store(name="strikesim_schema", node=StrikeConfig)


def _number(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


def _describe_allowed(meta: dict[str, Any]) -> str:
    if meta.get("choices"):
        return "one of " + ", ".join(meta["choices"])
    low, high, unit = meta.get("low"), meta.get("high"), meta.get("unit")
    unit = f" {unit}" if unit else ""
    if low is not None and high is not None:
        return f"{_number(low)} to {_number(high)}{unit}"
    if low is not None:
        return f">= {_number(low)}{unit}"
    return f"<= {_number(high)}{unit}"


def _check_field(key: str, value: Any, meta: dict[str, Any]) -> None:
    if meta.get("choices") and value not in meta["choices"]:
        raise ConfigError(f"{key}={value!r} is not allowed; allowed: {_describe_allowed(meta)}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        low, high = meta.get("low"), meta.get("high")
        bad = not math.isfinite(value) or (low is not None and value < low)
        bad = bad or (high is not None and value > high)
        if bad:
            raise ConfigError(
                f"{key}={value!r} is out of range; allowed: {_describe_allowed(meta)}"
            )


def _walk(obj: Any, prefix: str = "") -> None:
    for f in fields(obj):
        value = getattr(obj, f.name)
        key = f"{prefix}{f.name}"
        if is_dataclass(value):
            _walk(value, key + ".")
        else:
            _check_field(key, value, dict(f.metadata))


def validate(cfg: StrikeConfig) -> StrikeConfig:
    """Check every range, choice and cross-field rule; raise ConfigError on the first violation."""
    from strikesim.scenarios import organization_ids

    _walk(cfg)
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
    known = organization_ids()
    for name in cfg.coalition.endorsers:
        if name not in known:
            raise ConfigError(
                f"coalition.endorsers: unknown organization {name!r}; allowed: {', '.join(known)}"
            )
    sc = cfg.scenario
    if not sc.observed_low <= sc.observed_marchers <= sc.observed_high:
        raise ConfigError(
            "scenario.observed_marchers must lie within scenario.observed_low..observed_high; "
            f"got {sc.observed_low} <= {sc.observed_marchers} <= {sc.observed_high}"
        )
    if cfg.network.source == "file" and not cfg.network.path:
        raise ConfigError(
            "network.path is empty; allowed: a GraphML or edge-list file when source=file"
        )
    return cfg


def schema_help(values: StrikeConfig | None = None) -> str:
    """Every config key with its value in ``values`` (default: the schema's), allowed values,
    unit and meaning (for ``--help``)."""
    lines: list[str] = []

    def walk(obj: Any, prefix: str) -> None:
        for f in fields(obj):
            value = getattr(obj, f.name)
            if is_dataclass(value):
                walk(value, f"{prefix}{f.name}.")
                continue
            meta = dict(f.metadata)
            allowed = ""
            if meta.get("choices") or meta.get("low") is not None or meta.get("high") is not None:
                allowed = f"  [{_describe_allowed(meta)}]"
            lines.append(f"  {prefix}{f.name} = {value!r}{allowed}  {meta.get('help', '')}")

    walk(values if values is not None else StrikeConfig(), "")
    return "\n".join(lines)
