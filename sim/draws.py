"""Behaviour from a recorded posterior: each run draws its parameter values from a table.

``behavior.posterior=NAME`` names a packaged table, ``scenarios/calibration/NAME_posterior.csv``
(written by ``strikesim calibrate``; docs/calibration.md): one row per posterior draw, one column
per config key it sets (``behavior.threshold_mean``, ``scenario.call_lead_days``...), and
optionally ``draw`` (its id) and ``weight`` (importance weights; uniform without). A run takes
row ``behavior.posterior_draw``, or with ``-1`` (the default) a row drawn by its seed from the
stream ``"posterior"`` — so replications (seeds) carry the parameter uncertainty, and the same
config and seed always give the same row, whatever the launcher or the number of workers.

:func:`resolve` turns such a config into the plain config of that draw (the values written into
the run's ``config.yaml``, with ``posterior_draw`` set to the row taken), before anything is
built: the model, an ensemble and a sweep all see ordinary values.

Why beside the config and not in the study tools: calibration writes the posterior, everything
else reads it (DESIGN.md, "Uncertainty is data"); a run must resolve its own draw to be
repeatable, and composing a config checks its draw (:func:`strikesim.compose.check_draw`), so
resolving is part of making a config, below the engine.
"""

from __future__ import annotations

from dataclasses import fields, replace
from functools import cache
from typing import Any

import numpy as np

from strikesim.config import ConfigError, StrikeConfig, validate
from strikesim.scenarios.posteriors import posterior_keys, posterior_rows
from strikesim.streams import stream

__all__ = ["posterior_table", "resolve"]


@cache
def posterior_table(name: str) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """(config keys, values per draw and key, normalized weights) of a packaged posterior
    (``name`` is checked by :func:`strikesim.config.validate`)."""
    rows = posterior_rows(name)
    if not rows:
        raise ConfigError(f"behavior.posterior={name!r}: its table has no draws")
    keys = posterior_keys(name)
    values = np.array([[float(r[k]) for k in keys] for r in rows])
    weight = np.array([float(r.get("weight") or 1.0) for r in rows])
    return keys, values, weight / weight.sum()


def _section_values(config: StrikeConfig, keys: tuple[str, ...], row: np.ndarray) -> StrikeConfig:
    """``config`` with each ``section.key`` of the table set to this row's value (typed)."""
    changes: dict[str, dict[str, Any]] = {}
    for key, value in zip(keys, row, strict=True):
        section, _, name = key.partition(".")
        target = getattr(config, section, None)
        if target is None or name not in {f.name for f in fields(target)}:
            raise ConfigError(
                f"posterior column {key!r} is not a config key; allowed: section.key of the "
                "schema (strikesim --help)"
            )
        typed = round(value) if isinstance(getattr(target, name), int) else float(value)
        changes.setdefault(section, {})[name] = typed
    sections = {s: replace(getattr(config, s), **c) for s, c in changes.items()}
    return replace(config, **sections)


def resolve(config: StrikeConfig) -> StrikeConfig:
    """The config of this run's posterior draw (unchanged without ``behavior.posterior``).

    Keys in ``behavior.pinned`` keep the config's value: that is how a researcher asks "what if
    the union call were 0.3, everything else as uncertain as the record leaves it" (the command
    line pins the keys it sets, :func:`strikesim.compose.pin_overrides`). A value changed in
    the dataclasses without pinning it is replaced by the draw's.
    """
    b = config.behavior
    if not b.posterior:
        return config
    keys, values, weight = posterior_table(b.posterior)
    row = b.posterior_draw
    if row < 0:
        row = int(stream(config.seed, "posterior").choice(len(values), p=weight))
    kept = [i for i, key in enumerate(keys) if key not in b.pinned]
    drawn = _section_values(config, tuple(keys[i] for i in kept), values[row, kept])
    return validate(replace(drawn, behavior=replace(drawn.behavior, posterior_draw=row)))
