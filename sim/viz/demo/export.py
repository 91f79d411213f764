"""``strikesim demo --export DIR``: the page as a static site, no Python needed to view it.

The site is the live page's own HTML and JavaScript with every scene precomputed over a grid:
each preset changed in at most one control — at every :data:`TEMPERATURES` value and every
preset's own temperature, with its endorsers and with none; or at its own temperature with one
organization of the roster switched (on if the preset has it off, off if on) — each scene on
all towns, with its projection and its endorser bars. The other sliders stay at the preset's
values (the live page moves them); a change off the grid starts again from the preset (the page
says so). Why not every combination: 21 switches make 2 million coalitions per temperature;
one control at a time is what a class compares, at ~220 KB and ~2 s of computing a scene.
Data files are scripts (``strikesimData(name, {...})``), which a page opened from ``file://``
may load where it may not ``fetch``. Written into a fresh staging folder beside DIR and renamed
into place (:func:`strikesim.results.publish_folder`): an existing non-empty DIR is refused, and a
failure removes only what this export made.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from strikesim.results import publish_folder
from strikesim.viz.demo import payload
from strikesim.viz.demo.layout import network_key
from strikesim.viz.demo.scene import PRESETS, Settings, org_labels
from strikesim.viz.demo.store import STATIC, script

TEMPERATURES = tuple(range(-20, 81, 20))  # °F: the static temperature slider's stops


def scene_name(settings: Settings) -> str:
    """The data file name of a grid scene; the page builds the same name from its controls
    (``staticName`` in ``static/demo.js``): the coalition is ``preset``, ``none``,
    ``with-ORG`` or ``without-ORG`` (one organization switched)."""
    theirs = Settings.from_preset(settings.preset).endorsers
    added = [o for o in settings.endorsers if o not in theirs]
    dropped = [o for o in theirs if o not in settings.endorsers]
    if not added and not dropped:
        coalition = "preset"
    elif not settings.endorsers:
        coalition = "none"
    elif len(added) + len(dropped) == 1:
        coalition = f"with-{added[0]}" if added else f"without-{dropped[0]}"
    else:
        raise ValueError(f"not on the static grid: {settings.label()}")
    return f"scene-{settings.preset}-{settings.temperature_f:g}-{coalition}"


def stops(presets: Sequence[str], temperatures: Sequence[float]) -> list[float]:
    """The static temperature slider's stops: ``temperatures`` and every preset's own, so that
    each preset can be left and found again on every other."""
    return sorted({*map(float, temperatures), *(preset_temperature(n) for n in presets)})


def preset_temperature(name: str) -> float:
    """A preset's own temperature (°F)."""
    return Settings.from_preset(name).temperature_f


def grid(
    presets: Sequence[str],
    temperatures: Sequence[float],
    organizations: Sequence[str] | None = None,
) -> list[Settings]:
    """Every scene of the static site, without repeats (see the module docstring), with the
    switches of ``organizations`` (None: the whole roster; fewer make a smaller site)."""
    scenes: dict[Settings, None] = {}
    for name in presets:
        preset = Settings.from_preset(name)
        for t in stops(presets, temperatures):
            at = replace(preset, temperature_f=t)
            scenes |= {at: None, replace(at, endorsers=()): None}
        for org in org_labels() if organizations is None else organizations:
            chosen = set(preset.endorsers) ^ {org}
            scenes[replace(preset, endorsers=tuple(o for o in org_labels() if o in chosen))] = None
    return list(scenes)


def export_site(
    target: Path,
    presets: Sequence[str] = tuple(PRESETS),
    temperatures: Sequence[float] = TEMPERATURES,
    progress: Callable[[int, int], None] = lambda done, total: None,
    organizations: Sequence[str] | None = None,
) -> int:
    """Write the static site into ``target`` (new or empty); return how many scenes it holds."""
    scenes = grid(presets, temperatures, organizations)

    def write(folder: Path) -> None:
        data = folder / "data"
        data.mkdir()
        for name in ("index.html", "demo.js", "demo.css"):
            (folder / name).write_bytes((STATIC / name).read_bytes())
        catalogue = payload.catalogue()
        catalogue["static"] = {
            "temperatures": stops(presets, temperatures),
            "presets": list(presets),
            "organizations": list(org_labels() if organizations is None else organizations),
        }
        (data / "catalogue.js").write_bytes(script("catalogue", catalogue))
        towns: set[str] = set()
        for done, settings in enumerate(scenes):
            runs = payload.scene_runs(settings)
            answer = payload.scene(settings, runs)
            answer["bars"] = payload.endorser_bars(settings)
            name = scene_name(settings)
            (data / f"{name}.js").write_bytes(script(name, answer))
            for run in runs:
                key = network_key(run.network)
                if key not in towns:
                    towns.add(key)
                    (data / f"town-{key}.js").write_bytes(script(f"town-{key}", payload.town(run)))
            progress(done + 1, len(scenes))

    publish_folder(Path(target), "--export", write)
    return len(scenes)
