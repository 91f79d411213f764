"""The demo's one coupling to the model: a town run to its end, as arrays a picture can draw.

The model underneath is changing (dated events instead of one campaign, separate forms of
participation), so this is the only module of the demo that touches :class:`StrikeModel`, and
it reads its public surface: configs composed by ``compose_configs`` with keys set as keyword
parameters (``StrikeModel(config, temperature_f=...)``, ``config_from_keywords``), ``step()``,
``running``, ``day``, ``committed``, ``population``, ``network``, ``totals()``, ``timeseries()``
and ``release()``. Where only the totals are needed (the projection over the towns, the
endorser bars) it steps the model's kernel directly, as :func:`~strikesim.engine.ensemble.
run_ensemble` does (``City.build``, ``Kernel(city, configs).run()``, ``totals(row)``; a run
alone and an ensemble member are the same numbers, tests/test_ensemble.py), keeping each town's
``City`` (its people and ties) for the next setting: see :func:`city_marchers`.
Two more reads are marked where they happen, because the page needs them per person:
``marching`` (who marched on the latest action day) and ``calls`` (the call schedule: which
organization's call reaches whom, on which channel, from which day). Both changed shape while
the model moved to dated events; :func:`_calls` is where to follow the next change.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from strikesim import draws
from strikesim.compose import compose_configs
from strikesim.config import StrikeConfig
from strikesim.engine.ensemble import check_shared
from strikesim.engine.heterogeneity import CHANNELS as CALL_CHANNELS
from strikesim.engine.heterogeneity import NEVER as NEVER_CALLED
from strikesim.engine.kernel import City, Kernel
from strikesim.engine.model import StrikeModel, config_from_keywords
from strikesim.engine.network import Network, build_network
from strikesim.engine.outputs import CAMPAIGN
from strikesim.engine.population import K12, KINDS, NONE, UNIVERSITY, WORKER
from strikesim.streams import stream
from strikesim.viz.demo.palette import FORMS

# why a person committed on the day they did (the page's "why" panel)
CHANNELS = ("organizer", "contact", "union", "congregation", "school", "organization", "news")
# the model's call channels, as the class names them; any other is "another organization"
_CALL_CHANNEL = {
    "union": "union",
    "federation": "union",
    "faith": "congregation",
    "school": "school",
    "campus": "school",
}
NEVER = -1


_compose_lock = threading.Lock()


@cache
def _composed(override_lists: tuple[tuple[str, ...], ...]) -> list[StrikeConfig]:
    return compose_configs([list(o) for o in override_lists])


def composed(override_lists: tuple[tuple[str, ...], ...]) -> list[StrikeConfig]:
    """Configs as the command line composes them, all in one call (one Hydra start-up, ~0.3 s,
    instead of one per config); cached, and one call at a time (Hydra's global state breaks
    when two threads compose at once)."""
    with _compose_lock:
        return _composed(override_lists)


@dataclass(frozen=True)
class TownRun:
    """One town run to its last day: who committed when and why, who marched, counts per day."""

    config: StrikeConfig
    network: Network
    kind: np.ndarray  # 0 worker, 1 student (K-12 or university), 2 other resident
    member: np.ndarray  # 0 none, 1 union member, 2 congregant of a faith group
    commit_day: np.ndarray  # day each person committed; NEVER if not
    reach_day: np.ndarray  # day an endorser's call first reached each person; NEVER if not
    channel: np.ndarray  # index into CHANNELS for those who committed, else NEVER
    marching: dict[int, np.ndarray]  # action day -> who marched that day (person indices)
    action_days: tuple[int, ...]  # days people strike and march (the rest: campaign days)
    series: pd.DataFrame  # people in the town per day and form (:func:`participation`)
    totals: dict[str, Any]  # the model's own totals

    @property
    def last_day(self) -> int:
        """The last day of the run (days run 0..last_day)."""
        return int(self.series.index[-1])

    @property
    def city_factor(self) -> float:
        """Per-capita factor from this town to the city the observed turnout belongs to."""
        return self.config.scenario.reference_population / float(self.totals["people"])


def run_towns(config: StrikeConfig, seeds: range, **keys: Any) -> list[TownRun]:
    """:func:`run_town` for each seed: the keys are applied (and validated) once, not per town."""
    runs = [run_town(config, seed=seeds[0], **keys)] if seeds else []
    return runs + [run_town(runs[0].config, seed=seed) for seed in seeds[1:]]


def run_town(config: StrikeConfig, **keys: Any) -> TownRun:
    """Run the town of ``config`` (with config ``keys`` set) to its end, recording each day."""
    model = StrikeModel(config, **keys)
    try:
        committed = model.committed.copy()
        commit_day = np.where(committed, 0, NEVER)
        channel = np.where(committed, CHANNELS.index("organizer"), NEVER)
        names, strength, reached = _calls(model)
        marched: dict[int, np.ndarray] = {}
        while model.running:
            exposure = model.network.exposure(committed)  # yesterday's committed contacts
            model.step()
            new = model.committed & ~committed
            commit_day[new] = model.day
            channel[new] = _channels(new, model.day, exposure, names, strength, reached)
            committed = model.committed.copy()
            marched[model.day] = np.flatnonzero(model.marching)  # see the module docstring
        pop = model.population
        reach = np.where(np.isfinite(reached.min(axis=0)), reached.min(axis=0), NEVER)
        timeseries = model.timeseries()
        action_days = sorted(set(timeseries.loc[timeseries["phase"] != CAMPAIGN, "day"].tolist()))
        return TownRun(
            config=model.config,
            network=model.network,
            kind=np.select([pop.kind == WORKER, np.isin(pop.kind, (K12, UNIVERSITY))], [0, 1], 2),
            member=np.select([pop.union != NONE, pop.faith_org != NONE], [1, 2], 0),
            commit_day=commit_day,
            reach_day=reach.astype(int),
            channel=channel,
            marching={day: marched[day] for day in action_days},
            action_days=tuple(action_days),
            series=participation(timeseries),
            totals=model.totals(),
        )
    finally:
        model.release()


def town_marchers(config: StrikeConfig, **keys: Any) -> float:
    """Marchers of one run (people in the town): what a leave-one-out comparison needs."""
    model = StrikeModel(config, **keys)
    try:
        while model.running:
            model.step()
        return float(model.totals()["marchers"])
    finally:
        model.release()


def city_marchers(
    config: StrikeConfig, seeds: Sequence[int], variants: list[dict[str, Any]]
) -> np.ndarray:
    """Marchers projected to the city (per capita of ``scenario.reference_population``), one
    row per variant of config ``keys``, one column per town (seed); unrounded.

    The numbers are ``StrikeModel(config, seed=seed, **keys).totals()``'s, computed as an
    ensemble computes them: each town's variants stepped together in one
    :class:`~strikesim.engine.kernel.Kernel` on the town's :class:`~strikesim.engine.kernel.
    City`. Why not ``StrikeModel`` or ``run_ensemble``: a slider moves the projection of 20
    towns, and of a run's ~20 ms (metro sample of 1,000) building the town is ~6 ms and the time
    series the page does not need here ~4 ms; towns are kept (:data:`CITIES`), so a setting
    that keeps the people and ties (weather, endorsers, preset) only steps the kernel.
    """
    checked = [config_from_keywords(config, **keys) for keys in variants]  # errors: once
    out = np.empty((len(variants), len(seeds)))
    for column, seed in enumerate(seeds if variants else ()):
        members = [draws.resolve(config_from_keywords(c, seed=seed)) for c in checked]
        check_shared(members)  # variants that change the town cannot share one
        kernel = Kernel(_city(members[0]), members)
        kernel.run()
        for row, position in enumerate(kernel.order):
            totals = kernel.totals(row)
            factor = members[position].scenario.reference_population / float(totals["people"])
            out[position, column] = totals["marchers"] * factor  # as TownRun.city_factor
    return out


CITIES = 64  # towns kept: 20 towns at three settings of the network sliders (~0.5 MB each)
_cities: OrderedDict[tuple[int, str, str], City] = OrderedDict()
_people: OrderedDict[tuple[int, str, str], City] = OrderedDict()  # a city of the same people
_cities_lock = threading.Lock()

# Network keys that change only the ties, not the people: the population is drawn from its own
# random stream and reads the network section only for group sizes (workplace, class,
# congregation), so a town under another of these keeps its people (tests/test_demo.py).
TIES_ONLY = ("rewire_prob", "friendship_degree")


def _people_key(config: StrikeConfig) -> tuple[int, str, str]:
    """What a town's people are built from: seed, population, the network but its ties."""
    groups = replace(config.network, **{name: 0 for name in TIES_ONLY})
    return (config.seed, repr(config.population), repr(groups))


def _city(config: StrikeConfig) -> City:
    """The town (people, ties, organizations) of ``config``, built once per seed, population
    and network (what a city is built from, :data:`~strikesim.engine.ensemble.SHARED`).

    Why the people are kept apart: moving a network slider (random ties, friends each) makes
    new ties among the same people, and drawing the people (~5 ms a town, most of ``City.build``)
    was half of that slider's projection. So a town whose people are built already (same seed,
    population and group sizes) gets only its ties built, from the network's own random stream
    (``stream(seed, "network")``, as ``City.build`` does): the same city, bit for bit.
    """
    key = (config.seed, repr(config.population), repr(config.network))
    people = _people_key(config)
    with _cities_lock:
        if key in _cities:
            _cities.move_to_end(key)
            return _cities[key]
        same_people = _people.get(people)
    if same_people is not None and config.network.source == "generated":
        city = _new_ties(same_people, config)
    else:
        city = City.build(config)
    with _cities_lock:
        _cities[key] = city
        _people[people] = city
        for cache in (_cities, _people):
            while len(cache) > CITIES:
                cache.popitem(last=False)
    return city


def _new_ties(city: City, config: StrikeConfig) -> City:
    """``city``'s people (and organizations, precarity, draws) with ``config``'s ties."""
    network = build_network(city.population, config.network, stream(config.seed, "network"))
    return city.with_ties(network)


def city_network(config: StrikeConfig, **keys: Any) -> Network:
    """The ties of the town of ``config`` with config ``keys`` set (its kept city, built if
    absent): the network ``StrikeModel(config, **keys)`` runs on."""
    return _city(draws.resolve(config_from_keywords(config, **keys))).network


def _calls(model: StrikeModel) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """The call channels' names, then per channel (rows) the pull on each person and the first
    day a call reaches them on it (inf where no call does). Read from the model's call
    schedule (not in the listed surface: see the module docstring)."""
    calls = model.calls
    c = calls.contributions
    rows = (len(CALL_CHANNELS), model.population.size)
    strength, reached = np.zeros(rows), np.full(rows, np.inf)
    on = calls.first_day < NEVER_CALLED
    at = (c.channel[on], c.person[on])
    np.add.at(strength, at, calls.strength[on])
    np.minimum.at(reached, at, calls.first_day[on].astype(float))
    return CALL_CHANNELS, strength, reached


def _channels(
    new: np.ndarray,
    day: int,
    exposure: np.ndarray,
    names: tuple[str, ...],
    strength: np.ndarray,
    reached: np.ndarray,
) -> np.ndarray:
    """Why each of today's new committers committed.

    An endorser's call that had reached them by today (the strongest, if several): their union
    (or the labour federation), their congregation, their school or campus, or another
    organization (a community or civic group); else a committed contact yesterday; else only
    the citywide momentum ("news").
    """
    pull = np.where(reached[:, new] <= day, strength[:, new], 0.0)
    codes = np.array([CHANNELS.index(_CALL_CHANNEL.get(c, "organization")) for c in names])
    by_call = codes[pull.argmax(axis=0)]
    fallback = np.where(exposure[new] > 0, CHANNELS.index("contact"), CHANNELS.index("news"))
    return np.where(pull.max(axis=0) > 0, by_call, fallback)


def participation(timeseries: pd.DataFrame) -> pd.DataFrame:
    """People in the town per day and form (:data:`~strikesim.viz.demo.palette.FORMS`).

    On a campaign day, ``striking`` and ``walkouts`` are committed workers and students, and
    ``marching`` is how many would march if the strike were that day; on an action day they are
    the day's own counts. Summed with numpy, not pandas' groupby: it runs for every town of
    every scene, and pandas took a third of a run's time.
    """
    day = timeseries["day"].to_numpy()
    kind = timeseries["agent_type"].to_numpy()
    form = timeseries["form"].to_numpy()
    people = timeseries["people"].to_numpy()
    campaign = timeseries["phase"].to_numpy() == CAMPAIGN
    # an action day has campaign rows too (the day's commitment); its own rows count there
    use = np.where(np.isin(day, day[~campaign]), ~campaign, campaign)
    acting = np.where(campaign, form == "committed", np.isin(form, ["striking", "walkout"]))
    marching = np.where(campaign, form == "projected_marching", form == "marching")
    rows = {
        "striking": use & acting & (kind == KINDS[WORKER]),
        "walkouts": use & acting & np.isin(kind, [KINDS[K12], KINDS[UNIVERSITY]]),
        "marching": use & marching,
    }
    days = np.arange(day.max() + 1)
    frame = pd.DataFrame(
        {f: np.bincount(day[rows[f]], people[rows[f]], minlength=len(days)) for f in FORMS},
        index=pd.Index(days, name="day"),
    )
    return frame


def node_states(model: StrikeModel) -> np.ndarray:
    """Index into :data:`~strikesim.viz.demo.palette.STATES` per person today, from arrays."""
    _, _, reached = _calls(model)
    states = np.where(reached.min(axis=0) <= model.day, 1, 0)
    states = np.where(model.committed, 2, states)
    return np.where(model.marching, 3, states).astype(np.int8)  # marching: see module docstring


def city_factor(model: StrikeModel) -> float:
    """Per-capita factor from a model's town to the city the observed turnout belongs to (from
    the population, not ``totals()``: the animation asks before the first action day)."""
    people = model.population.size * model.population.scale
    return model.config.scenario.reference_population / float(people)


def projected_city_marchers(model: StrikeModel) -> int:
    """Marchers for the whole city, scaled per capita from the town (today's projection)."""
    marching = participation(model.timeseries())["marching"].iloc[-1]
    return round(float(marching) * city_factor(model))
