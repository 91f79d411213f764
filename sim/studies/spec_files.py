"""Spec files of the studies: YAML read onto a typed dataclass, with one-line errors.

A study spec (``strikesim sensitivity`` presets, ``strikesim calibrate`` specs) is a dataclass
loaded as an OmegaConf structured config: :func:`load_structured` merges the file onto
``OmegaConf.structured(schema)`` and builds the dataclass with ``OmegaConf.to_object``. The
library then refuses an unknown key (a typo such as ``paramters`` would otherwise be ignored),
a missing required key and a value of the wrong type; :func:`explain` turns its multi-line
errors into the one line every command prints, naming the file, the key, the value and what is
allowed — the spec-file counterpart of :func:`strikesim.compose.explain`, which does the same
for the run config.

What a type cannot say is declared beside it and checked after loading: a numeric field's
:class:`Bounds` (in its ``metadata``; the command-line option that overrides the key is built from
the same object, so both accept exactly the same values), a folder-safe name
(:func:`check_name`) and a ``[low, high]`` range (:func:`check_range`).

Two OmegaConf behaviours shape the schemas: its ``str`` type turns ``7`` into ``"7"`` (so a name
that must be a string is typed ``Any`` and checked by :func:`check_name`), and a nested
``dict[str, list[float]]`` refuses integers such as ``[0, 1]`` (omry/omegaconf#1054), so ranges
are typed ``Any`` and checked by :func:`check_range`.
"""

from __future__ import annotations

import io
import math
import re
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass
from enum import Enum
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import yaml
from omegaconf import MISSING, OmegaConf, open_dict
from omegaconf.errors import (
    ConfigAttributeError,
    ConfigKeyError,
    InterpolationResolutionError,
    KeyValidationError,
    MissingMandatoryValue,
    OmegaConfBaseException,
)

from strikesim.config import ConfigError

Spec = TypeVar("Spec")
MAPPING = "a YAML mapping of KEY: value"
_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
# metadata keys of a spec field: its Bounds, a description of what is allowed, and whether it is
# set by the program rather than by the file (the file may not contain it)
BOUNDS, ALLOWED, INTERNAL = "bounds", "allowed", "internal"


# --- what a type cannot say ------------------------------------------------------------------
@dataclass(frozen=True)
class Bounds:
    """The allowed range of a numeric spec key: ``[low, high]`` (either end open when None),
    and ``> above``; an integer key when ``integer``. nan and inf are never allowed.

    Strict about types, as YAML values need: ``true`` and ``2.0`` are not integers, ``"1"`` is not
    a number, although Python compares them as numbers.
    """

    low: float | None = None
    high: float | None = None
    above: float | None = None
    integer: bool = False

    @property
    def allowed(self) -> str:
        """What is allowed, in words (``an integer from 2 to 100,000``)."""
        kind = "an integer" if self.integer else "a finite number"
        if self.low is not None and self.high is not None and self.above is None:
            what = "an integer" if self.integer else "a number"
            return f"{what} from {_count(self.low)} to {_count(self.high)}"
        bounds = [f">= {_count(self.low)}" if self.low is not None else ""]
        bounds += [f"> {_count(self.above)}" if self.above is not None else ""]
        bounds += [f"<= {_count(self.high)}" if self.high is not None else ""]
        return " ".join([kind, *filter(None, bounds)])

    def fits(self, value: object) -> bool:
        """Is ``value`` a number of the right kind inside the bounds?"""
        if not _is_finite(value) or (self.integer and not isinstance(value, int)):
            return False
        number = typing.cast(float, value)
        return (
            (self.low is None or number >= self.low)
            and (self.high is None or number <= self.high)
            and (self.above is None or number > self.above)
        )

    def check(self, value: object, key: str) -> Any:
        """``value`` itself if allowed, else ConfigError naming ``key``."""
        if not self.fits(value):
            raise ConfigError(f"{key}={value!r}; allowed: {self.allowed}")
        return value


def _count(value: float) -> str:
    """100,000 reads better with separators; a port (65535) or a year would not."""
    if float(value).is_integer():
        return f"{int(value):,}" if abs(value) >= 100_000 else str(int(value))
    return f"{value:g}"


def _is_finite(value: object) -> bool:
    """A real number from YAML: ``true`` is not one, ``.nan`` and ``.inf`` are not finite."""
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


class ParameterRange(NamedTuple):
    """A prior or a sampled range ``[low, high]``: two finite numbers, ``low < high``."""

    low: float
    high: float


def check_range(value: object, key: str) -> ParameterRange:
    """``[low, high]`` of two finite numbers with low < high, as floats; else ConfigError."""
    ends = list(value) if isinstance(value, list | tuple) else []
    if not (len(ends) == 2 and all(map(_is_finite, ends)) and ends[0] < ends[1]):
        raise ConfigError(f"{key}={value!r}; allowed: low < high, as [low, high] of finite numbers")
    return ParameterRange(float(ends[0]), float(ends[1]))


def check_name(value: object, key: str) -> str:
    """A name that is also a folder name: no path separators, no leading dot."""
    if not isinstance(value, str) or not _SAFE_NAME.fullmatch(value):
        raise ConfigError(
            f"{key}={value!r}; allowed: letters, digits, '_', '.' and '-' (it names a folder)"
        )
    return value


def bounds_of(schema: type, name: str) -> Bounds:
    """The :class:`Bounds` declared by field ``name`` of ``schema`` (for a command-line option)."""
    return next(f.metadata[BOUNDS] for f in fields(schema) if f.name == name)


def check_bounds(spec: object, source: str) -> None:
    """Check every field of ``spec`` that declares :class:`Bounds`; ConfigError on the first."""
    for f in fields(spec):  # type: ignore[arg-type]
        if BOUNDS in f.metadata:
            f.metadata[BOUNDS].check(getattr(spec, f.name), f"{source}: {f.name}")


# --- reading the file -------------------------------------------------------------------------
def read_spec_text(path: Path) -> str:
    """A spec file's text; ConfigError naming the file if it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigError(f"{path}: cannot be read ({reason}); allowed: a YAML file") from None


def read_mapping(text: str, source: str) -> dict[str, Any]:
    """A YAML document (as OmegaConf reads it: ``1e3`` is a number) that must be a mapping.

    Interpolations (``${...}``) are left as written here; they are resolved on the typed
    config, where a bad one is named by its key.
    """
    try:
        data = OmegaConf.to_container(OmegaConf.load(io.StringIO(text)))
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"{source}: malformed YAML ({_yaml_problem(exc)}); allowed: {MAPPING}"
        ) from None
    except (OmegaConfBaseException, OSError, ValueError) as exc:
        raise ConfigError(
            f"{source}: unreadable ({_first_line(exc)}); allowed: {MAPPING}"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a {type(data).__name__} at the top; allowed: {MAPPING}")
    return typing.cast(dict[str, Any], data)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """PyYAML's message is several lines; the problem and its line are what a user needs."""
    problem = getattr(exc, "problem", None) or _first_line(exc)
    mark = getattr(exc, "problem_mark", None)
    return f"{problem} at line {mark.line + 1}" if mark is not None else problem


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


# --- the typed spec ---------------------------------------------------------------------------
def load_structured(schema: type[Spec], layers: Sequence[Mapping[str, Any]], source: str) -> Spec:
    """An instance of the dataclass ``schema`` from ``layers`` merged in order (later wins).

    Each layer is a mapping as :func:`read_mapping` returns it (the file, defaults before it,
    command-line choices after it). Merged one key at a time, so that an error OmegaConf reports
    at the top of the config (a list where a mapping belongs) is still named by its key. Fields
    marked ``internal`` are removed from the config first: a file that sets one is refused like
    any unknown key.
    """
    config = OmegaConf.structured(schema)
    with open_dict(config):
        for f in fields(schema):  # type: ignore[arg-type]
            if f.metadata.get(INTERNAL):
                del config[f.name]
    for layer in layers:
        for key, value in layer.items():
            try:
                config.merge_with({key: value})
            except OmegaConfBaseException as exc:
                raise ConfigError(explain(exc, schema, source, key, value)) from None
    try:
        return typing.cast(Spec, OmegaConf.to_object(config))
    except OmegaConfBaseException as exc:
        key = str(getattr(exc, "full_key", "") or "")
        top = key.split(".", 1)[0].split("[", 1)[0]
        value = next((layer[top] for layer in reversed(layers) if top in layer), None)
        raise ConfigError(explain(exc, schema, source, top, value)) from None


def explain(exc: OmegaConfBaseException, schema: type, source: str, key: str, value: object) -> str:
    """One line for an OmegaConf error about ``key`` (set to ``value``) of the spec ``schema``."""
    full_key = str(getattr(exc, "full_key", "") or "") or key
    if isinstance(exc, ConfigKeyError | ConfigAttributeError):
        return f"{source}: unknown key {full_key!r}; allowed: {', '.join(file_keys(schema))}"
    if isinstance(exc, MissingMandatoryValue):
        return f"{source}: missing key {full_key!r}; required: {', '.join(required_keys(schema))}"
    if isinstance(exc, KeyValidationError):
        where = full_key.rpartition(".")[0] or key
        return f"{source}: {full_key}: a key of {where} that is not a string; allowed: text keys"
    shown = value if full_key == key else getattr(exc, "value", None)
    if isinstance(exc, InterpolationResolutionError):
        return f"{source}: {full_key}={shown!r} cannot be resolved ({_first_line(exc)})"
    hint = typing.get_type_hints(schema).get(key)
    problem = "is not allowed" if _is_enum(hint) else "has the wrong type"
    return f"{source}: {full_key}={shown!r} {problem}; allowed: {allowed(schema, key)}"


def _is_enum(hint: object) -> bool:
    return isinstance(hint, type) and issubclass(hint, Enum)


def file_keys(schema: type) -> list[str]:
    """The keys a spec file may contain: every field not marked ``internal``."""
    return [f.name for f in fields(schema) if not f.metadata.get(INTERNAL)]  # type: ignore[arg-type]


def required_keys(schema: type) -> list[str]:
    """The keys a spec file must contain: the fields whose default is OmegaConf's ``???``."""
    return [f.name for f in fields(schema) if f.default == MISSING]  # type: ignore[arg-type]


def allowed(schema: type, name: str) -> str:
    """What field ``name`` of ``schema`` allows, in words: declared, or said by its type."""
    field = next((f for f in fields(schema) if f.name == name), None)  # type: ignore[arg-type]
    if field is None:
        return ", ".join(file_keys(schema))
    if ALLOWED in field.metadata:
        return str(field.metadata[ALLOWED])
    if BOUNDS in field.metadata:
        return field.metadata[BOUNDS].allowed
    hint = typing.get_type_hints(schema)[name]
    if _is_enum(hint):
        return ", ".join(str(m.value) for m in hint)
    if is_dataclass(hint):
        return f"a mapping of {', '.join(file_keys(hint))}"  # type: ignore[arg-type]
    words = {int: "an integer", float: "a finite number", str: "a string", list: "a list"}
    return words.get(typing.get_origin(hint) or hint, f"a value of type {hint}")
