"""The page's data: plain JSON-able dicts, the same for the live server and the static export.

Four kinds: the :func:`catalogue` (presets, sliders, organizations, colours), a *scene* (one
:class:`~strikesim.viz.demo.scene.Settings` run on some of the :data:`~strikesim.viz.demo.scene.
TOWNS` towns: who committed when and why, who marched, counts per day), the :func:`projection`
(the city projection of every town: median, range) and a *town* (one network: where each person
is drawn, their kind, their ties). The browser draws; Python only counts, so both ways of
serving show the same numbers. The live page asks for the drawn town's scene and the projection
separately (each answers within a few tenths of a second); the export writes scenes of every
town with their projection.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

import numpy as np

from strikesim.engine.network import Network
from strikesim.viz.demo import palette
from strikesim.viz.demo.adapter import (
    CHANNELS,
    TIES_ONLY,
    TownRun,
    city_marchers,
    city_network,
    run_towns,
)
from strikesim.viz.demo.layout import layout, network_key
from strikesim.viz.demo.scene import (
    DEFAULT_PRESET,
    PRESETS,
    SLIDERS,
    TOWNS,
    Settings,
    org_labels,
    org_short_labels,
    preset_config,
    preset_label,
)

CANVAS = 1000  # positions are sent as integers in 0..CANVAS (the browser scales them)


def catalogue() -> dict[str, Any]:
    """What the page needs before any run: presets, sliders, organizations, colours, words."""
    return {
        "default_preset": DEFAULT_PRESET,
        "presets": {
            name: {"label": preset_label(name), "settings": Settings.from_preset(name).query()}
            for name in PRESETS
        },
        "sliders": {
            name: {"label": s.label, "unit": s.unit, "low": s.low, "high": s.high, "step": s.step}
            for name, s in SLIDERS.items()
        },
        "organizations": org_labels(),
        "short_names": org_short_labels(),
        "towns": TOWNS,
        "states": dict(zip(palette.STATES, palette.STATE_COLOURS, strict=True)),
        "forms": palette.FORM_COLOURS,
        "observed_colour": palette.OBSERVED_COLOUR,
        "outlines": {"union member": palette.UNION_EDGE, "congregant": palette.FAITH_EDGE},
        "kinds": palette.KINDS,
        "channels": CHANNELS,
    }


def scene_runs(settings: Settings, seeds: range = range(TOWNS)) -> list[TownRun]:
    """The settings run on each town (by default every one, seeds 0..TOWNS-1), in seed order."""
    return run_towns(preset_config(settings.preset), seeds, **settings.keys())


def scene(settings: Settings, runs: list[TownRun]) -> dict[str, Any]:
    """One scene: the settings' honest label, the scenario's record and the towns' runs.

    With every town, also the projection over them (the same as :func:`projection`'s); with
    fewer (the live page asks for the drawn town, then for the projection), it is None.
    """
    first = runs[0]
    sc = first.config.scenario
    complete = [r.config.seed for r in runs] == list(range(TOWNS))
    return {
        "settings": settings.query(),
        "label": settings.label(),
        "custom": bool(settings.changes()),
        "scenario": {
            "name": sc.name,
            "description": sc.description,
            "date": sc.date,
            "observed": sc.observed_marchers,
            "low": sc.observed_low,
            "high": sc.observed_high,
            "reference_population": sc.reference_population,
        },
        "town_people": int(first.totals["people"]),
        "city_factor": first.city_factor,
        "last_day": first.last_day,
        "action_days": list(first.action_days),
        "organizer_share": first.config.behavior.activist_share,
        "projection": _summary([r.totals["marchers"] * r.city_factor for r in runs])
        if complete
        else None,
        "runs": {r.config.seed: _run(r) for r in runs},
    }


def projection(settings: Settings) -> dict[str, Any]:
    """The city projection of every town (seeds 0..TOWNS-1): median, range and each town's.

    Only the towns' totals, from the ensemble (:func:`~strikesim.viz.demo.adapter.city_marchers`):
    the same numbers as a scene of every town, several times faster.
    """
    config = preset_config(settings.preset)
    return _summary(city_marchers(config, range(TOWNS), [settings.keys()])[0].tolist())


def _summary(projected: list[float]) -> dict[str, Any]:
    towns = [round(v) for v in projected]
    return {
        "median": math.floor(statistics.median(towns) + 0.5),  # half up, as a class rounds
        "low": min(towns),
        "high": max(towns),
        "towns": towns,
    }


def _run(run: TownRun) -> dict[str, Any]:
    """One town's run: per person (commit day, reach day, channel, marched) and per day."""
    return {
        "town": network_key(run.network),
        "commit_day": run.commit_day.tolist(),
        "reach_day": run.reach_day.tolist(),
        "channel": run.channel.tolist(),
        "marching": {day: who.tolist() for day, who in run.marching.items()},
        "series": {form: [round(v, 3) for v in run.series[form]] for form in run.series},
        "marchers": run.totals["marchers"],
    }


def town(run: TownRun) -> dict[str, Any]:
    """One town's picture: positions (integers in 0..CANVAS), kind, membership, ties."""
    network: Network = run.network
    pos = layout(placed_network(run))
    span = np.ptp(pos, axis=0)
    scaled = np.rint((pos - pos.min(axis=0)) / np.where(span > 0, span, 1) * CANVAS).astype(int)
    coo = network.adjacency.tocoo()
    upper = coo.row < coo.col
    return {
        "key": network_key(network),
        "x": scaled[:, 0].tolist(),
        "y": scaled[:, 1].tolist(),
        "kind": run.kind.tolist(),
        "member": run.member.tolist(),
        "edges": np.column_stack([coo.row[upper], coo.col[upper]]).ravel().tolist(),
    }


def placed_network(run: TownRun) -> Network:
    """The ties that place a town's people: the same people with the default preset's ties.

    Why not the run's own ties: a network slider (random ties, friends each) changes only the
    ties, and a new layout took ~0.25 s, most of that slider's update. So the people stay where
    they are drawn and only their ties are drawn anew (random ties cross the town, fewer friends
    thin it out), which also shows the class what changed. People per dot changes the people:
    that town gets its own layout (fewer dots, quicker).
    """
    base = preset_config(DEFAULT_PRESET).network
    keys = {f"network__{k}": getattr(base, k) for k in TIES_ONLY}
    if all(getattr(run.config.network, k) == getattr(base, k) for k in TIES_ONLY):
        return run.network
    return city_network(run.config, **keys)


def endorser_bars(settings: Settings) -> list[dict[str, Any]]:
    """Marchers each endorser brought: the city projection with all endorsers minus the same
    without that one (leave-one-out), mean over the towns, largest first.

    Why the mean over towns: in one town an endorser can tip everything or nothing; the mean is
    what the endorser adds to the expected turnout. Leave-one-out, not Shapley: one run per
    endorser and town, each town's runs stepped together (they share its people and ties,
    :func:`~strikesim.viz.demo.adapter.city_marchers`), keeps it to a second or two; and the
    class reads it as "without them".
    """
    names = org_labels()
    keys = settings.keys()
    variants = [keys] + [
        {**keys, "coalition__endorsers": [o for o in settings.endorsers if o != org]}
        for org in settings.endorsers
    ]
    projected = city_marchers(preset_config(settings.preset), range(TOWNS), variants)
    bars = [
        {"org": org, "name": names[org], "brought": round(float(np.mean(projected[0] - row)))}
        for org, row in zip(settings.endorsers, projected[1:], strict=True)
    ]
    return sorted(bars, key=lambda b: -b["brought"])
