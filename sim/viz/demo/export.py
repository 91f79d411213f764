"""``strikesim demo --export DIR``: the page as a static site, no Python needed to view it.

The site is the live page's own HTML and JavaScript with every scene precomputed over a grid:
each preset, at every :data:`TEMPERATURES` value and at every preset's own temperature, with
its endorsers and with none; each scene on all towns, with its endorser bars. The other sliders
stay at the preset's values (the live page moves them). Data files are scripts
(``strikesimData(name, {...})``), which a page opened from ``file://`` may load where it may
not ``fetch``. Written into a fresh staging folder beside DIR and renamed into place
(:func:`strikesim.results.publish_folder`): an existing non-empty DIR is refused, and a
failure removes only what this export made.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from strikesim.results import publish_folder
from strikesim.viz.demo import payload
from strikesim.viz.demo.layout import network_key
from strikesim.viz.demo.scene import PRESETS, Settings
from strikesim.viz.demo.store import STATIC, script

TEMPERATURES = tuple(range(-20, 81, 20))  # °F: the static temperature slider's stops
COALITIONS = ("preset", "none")  # with the preset's endorsers, with none


def scene_name(settings: Settings, coalition: str) -> str:
    """The data file name of a grid scene; the page builds the same name from its controls."""
    return f"scene-{settings.preset}-{settings.temperature_f:g}-{coalition}"


def stops(presets: Sequence[str], temperatures: Sequence[float]) -> list[float]:
    """The static temperature slider's stops: ``temperatures`` and every preset's own, so that
    each preset can be left and found again on every other."""
    return sorted({*map(float, temperatures), *(preset_temperature(n) for n in presets)})


def preset_temperature(name: str) -> float:
    """A preset's own temperature (°F)."""
    return Settings.from_preset(name).temperature_f


def grid(presets: Sequence[str], temperatures: Sequence[float]) -> list[tuple[Settings, str]]:
    """Every (settings, coalition) of the static site."""
    scenes = []
    for name in presets:
        preset = Settings.from_preset(name)
        for t in stops(presets, temperatures):
            at = replace(preset, temperature_f=t)
            scenes += [(at, "preset"), (replace(at, endorsers=()), "none")]
    return scenes


def export_site(
    target: Path,
    presets: Sequence[str] = tuple(PRESETS),
    temperatures: Sequence[float] = TEMPERATURES,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> int:
    """Write the static site into ``target`` (new or empty); return how many scenes it holds."""
    scenes = grid(presets, temperatures)

    def write(folder: Path) -> None:
        data = folder / "data"
        data.mkdir()
        for name in ("index.html", "demo.js", "demo.css"):
            (folder / name).write_bytes((STATIC / name).read_bytes())
        catalogue = payload.catalogue()
        catalogue["static"] = {
            "temperatures": stops(presets, temperatures),
            "presets": list(presets),
        }
        (data / "catalogue.js").write_bytes(script("catalogue", catalogue))
        towns: set[str] = set()
        for done, (settings, coalition) in enumerate(scenes):
            runs = payload.scene_runs(settings)
            answer = payload.scene(settings, runs)
            answer["bars"] = payload.endorser_bars(settings, runs)
            name = scene_name(settings, coalition)
            (data / f"{name}.js").write_bytes(script(name, answer))
            for run in runs:
                key = network_key(run.network)
                if key not in towns:
                    towns.add(key)
                    (data / f"town-{key}.js").write_bytes(script(f"town-{key}", payload.town(run)))
            progress(done + 1, len(scenes))

    publish_folder(Path(target), "--export", write)
    return len(scenes)
