"""What the live page asks for, computed once and kept in bounded caches.

``/data/catalogue.js`` (presets, sliders, colours), ``/api/scene`` (a setting on the town
``town=N``, or on every town), ``/api/projection`` (the city projection of every town: totals
only, from the ensemble), ``/api/bars`` (what each endorser brought) and ``/api/town/KEY``
(where a town's people are drawn). The server (:mod:`strikesim.viz.demo.
server`) turns these into HTTP; the export (:mod:`strikesim.viz.demo.export`) writes the same
data as files.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from importlib.resources import files
from typing import Any

from strikesim.config import ConfigError
from strikesim.viz.demo import payload
from strikesim.viz.demo.adapter import TownRun
from strikesim.viz.demo.layout import network_key
from strikesim.viz.demo.scene import TOWNS, Settings

STATIC = files("strikesim.viz.demo") / "static"


class Lru:
    """A small thread-safe least-recently-used cache: what bounds the server's memory.

    A value being made is made once: a second request for it waits for the first (the page's
    first load and the start-up warm-up ask for the same scene at the same time).
    """

    def __init__(self, size: int) -> None:
        self.size, self.items, self.lock = size, OrderedDict[Any, Any](), threading.Lock()
        self.making: dict[Any, threading.Lock] = {}

    def get(self, key: Any, make: Callable[[], Any]) -> Any:
        """The cached value of ``key``, made (outside the cache's lock) if absent."""
        with self.lock:
            making = self.making.setdefault(key, threading.Lock())
        with making:
            with self.lock:
                if key in self.items:
                    self.items.move_to_end(key)
                    return self.items[key]
            try:
                value = make()
            finally:
                with self.lock:
                    self.making.pop(key, None)
            with self.lock:
                self.items[key] = value
                while len(self.items) > self.size:
                    self.items.popitem(last=False)
            return value

    def find(self, key: Any) -> Any:
        """The cached value of ``key``, or None."""
        with self.lock:
            return self.items.get(key)


class Store:
    """Runs and encoded answers, each cache bounded (a scene's runs are ~2 MiB)."""

    def __init__(self) -> None:
        self.runs, self.answers = Lru(16), Lru(64)
        self.networks = Lru(64)  # network key -> a run on it, to draw the town on request

    def scene_runs(self, settings: Settings, seeds: range = range(TOWNS)) -> list[TownRun]:
        """The towns of ``seeds`` run under ``settings``; each network is kept for a town
        request."""
        runs = self.runs.get((settings, seeds), lambda: payload.scene_runs(settings, seeds))
        for run in runs:
            self.networks.get(network_key(run.network), lambda run=run: run)
        return runs

    def answer(self, path: str, query: dict[str, str]) -> bytes:
        """The JSON for an ``/api/...`` path; ConfigError or KeyError for bad input."""
        if path == "/data/catalogue.js":
            return self.answers.get("catalogue", lambda: script("catalogue", payload.catalogue()))
        if path.startswith("/api/town/"):
            key = path.removeprefix("/api/town/")
            run = self.networks.find(key)
            if run is None:
                raise KeyError(path)
            return self.answers.get(("town", key), lambda: encode(payload.town(run)))
        town = query.pop("town", None)
        settings = Settings.from_query(query)
        if path == "/api/scene":
            seeds = range(TOWNS) if town is None else _one_town(town)
            return self.answers.get(
                ("scene", settings, seeds),
                lambda: encode(payload.scene(settings, self.scene_runs(settings, seeds))),
            )
        if path == "/api/projection":
            return self.answers.get(
                ("projection", settings), lambda: encode(payload.projection(settings))
            )
        if path == "/api/bars":
            return self.answers.get(
                ("bars", settings),
                lambda: encode(payload.endorser_bars(settings)),
            )
        raise KeyError(path)


def _one_town(text: str) -> range:
    """The seeds of ``town=N``: one of the scene's towns."""
    if not text.isdigit() or int(text) >= TOWNS:
        raise ConfigError(f"town={text!r}; allowed: an integer from 0 to {TOWNS - 1}")
    return range(int(text), int(text) + 1)


def encode(data: Any) -> bytes:
    """Compact JSON."""
    return json.dumps(data, separators=(",", ":")).encode()


def script(name: str, data: Any) -> bytes:
    """Data as a script that hands it to the page: the form a ``file://`` page can load."""
    return b"strikesimData(" + json.dumps(name).encode() + b"," + encode(data) + b");\n"
