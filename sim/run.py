"""One simulation run: config -> model -> results (in memory, then on disk), and its report.

This is the library entry point: ``simulate(config)`` is what the CLI, sweeps, the demo and
calibration call; ``save_run`` writes a run folder (see :mod:`strikesim.results`).
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
import multiprocessing.pool
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields, is_dataclass, replace
from enum import Enum
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import yaml

from strikesim import provenance, results
from strikesim.config import StrikeConfig
from strikesim.engine.ensemble import run_ensemble
from strikesim.engine.rule import wind_chill_f
from strikesim.scenarios.events import documented_events


@dataclass
class RunResult:
    """One run in memory: its config, its time series in people, its action days (one row each:
    ``events``) and its ``summary.json`` dict (the day at ``scenario.date``, and every action
    day against its published range).

    Apart from the files so that calibration and attribution, which need only the summary of many
    runs, write nothing; :func:`save_run` writes it when a run is kept.
    """

    config: StrikeConfig
    timeseries: pd.DataFrame
    events: pd.DataFrame
    summary: dict[str, Any]


def git_commit() -> str | None:
    """The source tree's commit, when strikesim runs from a git checkout (see provenance)."""
    return provenance.git_state()["git_commit"]


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def simulate(config: StrikeConfig, graph: nx.Graph | None = None) -> RunResult:
    """Build the city, run the campaign to its last day, and summarise in people.

    Without a ``graph`` the run is a one-member kernel (:func:`run_ensemble`): the numbers of
    ``StrikeModel(config)`` (the model steps the same kernel), without importing Mesa, which
    the command then does not pay for (~0.5-1 s). With a graph, the model is built on it.
    """
    _quiet_mesa()
    start = time.perf_counter()
    if graph is None:
        (run,) = run_ensemble([config])
        seconds = time.perf_counter() - start
        return _result(run.config, run.totals, run.timeseries, run.events, seconds)
    from strikesim.engine.model import StrikeModel

    model = StrikeModel(config, graph)
    try:
        model.run()
        totals, timeseries, events = model.totals(), model.timeseries(), model.events()
    finally:
        model.release()
    # model.config: the values run, a posterior draw's when behavior.posterior is set
    return _result(model.config, totals, timeseries, events, time.perf_counter() - start)


def simulate_many(configs: Sequence[StrikeConfig]) -> list[RunResult]:
    """Many runs at once: those sharing a seed, population and network share one city.

    Each result equals ``simulate(config)`` bit for bit (but for ``wall_time_s``, the group's
    time divided among its members); configs are grouped by city, each group run by the ensemble
    kernel (:func:`strikesim.engine.ensemble.run_ensemble`), and results come back in order.
    """
    _quiet_mesa()
    groups: dict[str, list[int]] = {}
    for n, config in enumerate(configs):
        groups.setdefault(city_key(config), []).append(n)
    found: dict[int, RunResult] = {}
    for members in groups.values():
        start = time.perf_counter()
        runs = run_ensemble([configs[n] for n in members])
        each = (time.perf_counter() - start) / len(members)
        for n, run in zip(members, runs, strict=True):
            found[n] = _result(run.config, run.totals, run.timeseries, run.events, each)
    return [found[n] for n in range(len(configs))]


PREDICTIVE_DRAWS = 32
"""Posterior draws behind the interval the command prints (one ensemble on one city)."""

PREDICTIVE_AGENTS = 100_000
"""Above this many agents the interval's draws run at :data:`~strikesim.config.MAX_SCALE`."""


def simulate_with_interval(config: StrikeConfig, draws: int = PREDICTIVE_DRAWS) -> RunResult:
    """:func:`simulate`, plus each action day's posterior predictive interval of marchers in
    ``summary["predictive"]`` when ``behavior.posterior`` is set (else just :func:`simulate`).

    The interval is ``draws`` posterior draws (:func:`predictive_members`) run as one ensemble
    on one city of the run's seed, in a worker process while this one runs the point run (two
    cores: the interval costs little extra wall time). So it is the posterior's parameter
    uncertainty plus one city's random draws; across cities a little more (docs/calibration.md
    reports intervals over seeds and draws).
    """
    if not config.behavior.posterior:
        return simulate(config)
    members = predictive_members(config, draws)
    pool = _interval_worker()
    try:
        interval = pool.apply_async(predictive_interval, (members,))
        result = simulate(config)
        result.summary["predictive"] = interval.get()
    except BaseException:  # bad input found late, Ctrl-C: stop the worker, do not wait for it
        pool.terminate()
        raise
    finally:
        pool.close()
        pool.join()
    return result


def predictive_members(config: StrikeConfig, draws: int) -> list[StrikeConfig]:
    """The configs of ``draws`` posterior draws for ``config``'s interval, resolved to plain
    values (no posterior left to read: a worker process runs them as they are).

    Rows are sampled by weight from the stream ``"predictive"`` of the run's seed, pinned keys
    held. A large generated city (more than :data:`PREDICTIVE_AGENTS` agents) runs at
    1:``MAX_SCALE``: the scale the posterior was fitted at, where every action day matches 1:1
    within Monte-Carlo error (docs/model_tables.md, "Scale"); at 1:1, 32 draws of the metro
    would take ~4 minutes and ~10 GiB.
    """
    from strikesim.config import MAX_SCALE
    from strikesim.draws import posterior_table, resolve
    from strikesim.streams import stream

    _, values, weight = posterior_table(config.behavior.posterior)
    rows = stream(config.seed, "predictive").choice(len(values), size=draws, p=weight)
    population = config.population
    generated = config.network.source == "generated"  # a user's graph has its own nodes
    if generated and population.size / population.scale > PREDICTIVE_AGENTS:
        population = replace(population, scale=MAX_SCALE)
    members = []
    for row in rows:
        drawn = resolve(
            replace(
                config,
                population=population,
                behavior=replace(config.behavior, posterior_draw=int(row)),
            )
        )
        members.append(replace(drawn, behavior=replace(drawn.behavior, posterior="", pinned=[])))
    return members


def predictive_interval(members: Sequence[StrikeConfig]) -> dict[str, dict[str, float]]:
    """Per action day: median and central 90% interval of marchers over ``members`` (one
    ensemble: they share a city), with how many draws and at which scale."""
    runs = run_ensemble(list(members))
    marchers = pd.concat([run.events[["event", "marchers"]] for run in runs])
    return {
        event: {
            "median": float(np.median(group)),
            "low_90": float(np.percentile(group, 5)),
            "high_90": float(np.percentile(group, 95)),
            "draws": len(group),
            "scale": members[0].population.scale,
        }
        for event, group in marchers.groupby("event", sort=False)["marchers"]
    }


def _interval_worker() -> multiprocessing.pool.Pool:
    """One worker process for the interval, started fresh (``spawn``: the parent may hold
    threads, which ``fork`` copies unsafely). A ``multiprocessing`` pool rather than an
    executor because it can be terminated: a run that fails need not wait for its interval."""
    return multiprocessing.get_context("spawn").Pool(processes=1)


def city_key(config: StrikeConfig) -> str:
    """What decides a run's city and network: its seed, population and network settings."""
    # a label builds nothing, and who may join is drawn per member (ensemble.MEMBER_POPULATION_KEYS)
    population = {**asdict(config.population), "name": None, "sympathizer_share": None}
    return repr((config.seed, population, asdict(config.network)))


def _quiet_mesa() -> None:
    # Mesa logs every step at DEBUG; under any root handler (Hydra's, a worker's) a sweep of
    # runs would print thousands of lines. Every run path (CLI, sweeps, calibration,
    # attribution, scripts) goes through here, so this is the one place that quiets it.
    logging.getLogger("MESA").setLevel(logging.WARNING)


def _published(events: pd.DataFrame, config: StrikeConfig, per_capita: float) -> pd.DataFrame:
    """``events`` with each action day's published marchers (low, central, high), scaled per
    capita like the scenario's, and whether the run's marchers fall inside; NaN where nothing is
    published. Documented days take theirs from ``scenarios/data/events.csv``; the day at
    ``scenario.date`` from the scenario (``observed_low/marchers/high``)."""
    sc = config.scenario
    record = {e.event_id: e for e in documented_events()}
    published = events.copy()
    columns = {"observed_low": "observed_low", "observed_central": "observed_marchers"}
    columns["observed_high"] = "observed_high"
    for column, scenario_key in columns.items():
        values = [getattr(record.get(e), column, None) for e in events["event"]]
        values[-1] = getattr(sc, scenario_key)  # the day at scenario.date
        published[column] = [v * per_capita if v is not None else np.nan for v in values]
    low = published["observed_low"].fillna(0)
    high = published["observed_high"].fillna(np.inf)
    published["in_observed_range"] = published["observed_low"].notna() & published[
        "marchers"
    ].between(low, high)
    return published


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as JSON-ready records: NaN (nothing published) becomes None (JSON null)."""
    return [
        {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
        for row in table.to_dict("records")
    ]


def _result(
    config: StrikeConfig,
    totals: dict[str, Any],
    timeseries: pd.DataFrame,
    events: pd.DataFrame,
    seconds: float,
) -> RunResult:
    """The run's summary in people, against the published figures, with its provenance."""
    sc, w = config.scenario, config.weather
    chill = wind_chill_f(w.temperature_f, w.wind_mph)
    per_capita = totals["people"] / sc.reference_population  # 1.0 for the calibrated city
    observed = {
        "marchers": round(sc.observed_marchers * per_capita),
        "low": round(sc.observed_low * per_capita),
        "high": round(sc.observed_high * per_capita),
        "scaled_from_population": sc.reference_population,
    }
    events = _published(events, config, per_capita)
    summary: dict[str, Any] = {
        "scenario": sc.name,
        "date": sc.date,
        "weather": f"{w.temperature_f:g} °F, wind chill {chill:.0f} °F",
        "coalition": config.coalition.name,
        "endorsers": list(config.coalition.endorsers),
        "seed": config.seed,
        "scale": config.population.scale,
        **totals,
        "observed": observed,
        "observed_unscaled": sc.observed_marchers,
        "ratio_to_observed": totals["marchers"] / observed["marchers"]
        if observed["marchers"]
        else None,
        "in_observed_range": observed["low"] <= totals["marchers"] <= observed["high"],
        "events": _records(events),
        "posterior": {
            "name": config.behavior.posterior,
            "draw": config.behavior.posterior_draw,
            "pinned": list(config.behavior.pinned),
        }
        if config.behavior.posterior
        else None,
        "wall_time_s": round(seconds, 3),
        "peak_rss_mib": round(peak_rss_mib(), 1),
        # code, library versions and data files: where this result came from
        **provenance.record(config),
    }
    return RunResult(config=config, timeseries=timeseries, events=events, summary=summary)


FigureWriter = Callable[["RunResult", Path], None]


def save_run(result: RunResult, folder: Path, figures: Sequence[FigureWriter] = ()) -> None:
    """Write the run's files into ``folder`` (a staging folder: see :func:`publish_run`).

    ``figures`` draw into the folder too (e.g. :func:`strikesim.viz.turnout.save_turnout_plot`);
    they are passed in because views sit above runs. ``summary.json`` comes last and lists every
    other file's size, so a folder counts as finished only when all of them are complete
    (:func:`strikesim.results.is_finished`). The folder is published whole by one rename, so its
    files are written plainly (:func:`strikesim.results.write_staged`), not each through a temp
    file.
    """
    folder = Path(folder)
    results.write_staged(folder / results.CONFIG, config_yaml(result.config))
    results.write_staged(folder / results.TIMESERIES, results.parquet_bytes(result.timeseries))
    results.write_staged(folder / results.EVENTS, results.parquet_bytes(result.events))
    for draw in figures:
        draw(result, folder)
    summary = {**result.summary, "files": results.file_sizes(folder)}
    results.write_staged(folder / results.SUMMARY, results.json_text(summary))


def config_yaml(config: StrikeConfig) -> str:
    """``config.yaml``'s text: exactly ``OmegaConf.to_yaml(OmegaConf.structured(config))``.

    Building the structured config first costs ~12 ms a run and OmegaConf's pure-Python YAML
    emitter ~3 ms more, which a sweep of small runs pays in every job folder; this dumps the
    dataclasses directly (``tests/test_sweep_tasks.py`` checks the text for every preset), one
    top-level section at a time (:func:`_section_yaml`): a block mapping's text is its keys'
    texts one after another.
    """
    return "".join(_section_yaml(f.name, getattr(config, f.name)) for f in fields(config))


_SECTIONS: dict[str, str] = {}  # repr of (key, section) -> its YAML (_section_yaml)
SECTIONS_KEPT = 256


def _section_yaml(key: str, value: Any) -> str:
    """``yaml_text({key: _plain(value)})``, kept by the ``repr`` of ``(key, value)``.

    Why: PyYAML's representer costs ~0.5 ms a config, a tenth of what a small sweep job spent
    outside the model, and a sweep's jobs differ in a section or two (replications: the seed,
    and the behaviour a posterior draws by it); a ``repr`` costs ~1/40 of that and shows every
    field of a dataclass. At most :data:`SECTIONS_KEPT` texts are kept (all dropped when full).
    """
    shown = repr((key, value))
    text = _SECTIONS.get(shown)
    if text is None:
        if len(_SECTIONS) >= SECTIONS_KEPT:
            _SECTIONS.clear()
        text = _SECTIONS[shown] = yaml_text({key: _plain(value)})
    return text


def yaml_text(data: Any) -> str:
    """``data`` (plain dicts, lists, scalars) as ``OmegaConf.to_yaml`` writes it."""
    return yaml.dump(
        data, Dumper=_dumper(), default_flow_style=False, allow_unicode=True, sort_keys=False
    )


# the words YAML 1.1 reads as booleans (https://yaml.org/type/bool.html), as OmegaConf lists them
YAML_BOOLS = frozenset(
    spelling
    for word in ("y", "yes", "n", "no", "true", "false", "on", "off")
    for spelling in (word, word.capitalize(), word.upper())
)


def _quoted_if_not_text(dumper: yaml.Dumper, text: str) -> yaml.ScalarNode:
    """A string in single quotes when YAML or OmegaConf would read it back as a bool, int or
    float ("1", "1e5", "yes"), plain otherwise: OmegaConf's own rule for ``to_yaml``."""
    number = True
    try:
        float(text)  # every string int() reads, float() reads too
    except ValueError:
        number = False
    quote = text in YAML_BOOLS or number
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="'" if quote else None)


@functools.cache
def _dumper() -> type:
    """PyYAML's dumper quoting strings as ``OmegaConf.to_yaml`` does, on libyaml's emitter when
    PyYAML has it (5x faster, same text).

    ``OmegaConf.to_yaml`` of the same data gives the same text but first builds a config of it
    (~10 ms a run, a fifth of a small sweep job); OmegaConf's dumper class itself is private.
    """

    class Dumper(yaml.CDumper if yaml.__with_libyaml__ else yaml.Dumper):  # type: ignore[misc]
        """Strings quoted as OmegaConf quotes them ("1", "true")."""

    Dumper.add_representer(str, _quoted_if_not_text)
    return Dumper


def _plain(value: Any) -> Any:
    """``value`` as OmegaConf's ``to_container(enum_to_str=True)`` gives it: dicts, lists, names."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def publish_run(
    result: RunResult,
    folder: Path,
    key: str = "hydra.run.dir",
    figures: Sequence[FigureWriter] = (),
) -> None:
    """Write the run folder ``folder`` (absent or empty) through a staging folder, atomically."""
    results.publish_folder(folder, key, lambda staging: save_run(result, staging, figures))


def report(summary: dict[str, Any], folder: Path | None = None) -> str:
    """A few lines for the terminal: the strike day in people, against the record."""
    obs = summary["observed"]
    scaled = summary["people"] != obs["scaled_from_population"]
    verdict = "inside" if summary["in_observed_range"] else "OUTSIDE"
    expected = f"observed ~{obs['marchers']:,}"
    published = "published"
    if scaled:  # a sample of the city, or a population of another size: compare per capita
        expected = (
            f"observed ~{summary['observed_unscaled']:,} in {obs['scaled_from_population']:,} "
            f"people = ~{obs['marchers']:,} per capita here"
        )
        published = "per-capita"
    ratio = summary["ratio_to_observed"]
    ratio_text = f"{ratio:.2f}x" if ratio is not None else "no ratio: the observed figure is 0 here"
    s = summary
    walkouts = s["k12_walkouts"] + s["university_walkouts"]
    lines = [
        f"{s['scenario']} ({s['date']}; {s['weather']}; coalition {s['coalition']}, "
        f"{len(s['endorsers'])} endorsers), seed {s['seed']}",
        f"  Marchers on the day:        {s['marchers']:>9,} people  "
        f"({expected}: {ratio_text}; {verdict} the {published} range "
        f"{obs['low']:,}-{obs['high']:,})",
        *_interval_line(s, s["scenario"]),
        f"  Strikers from work:         {s['striking_workers']:>9,} people  "
        f"({s['striking_union_members']:,} of them union members)",
        f"  School walkouts:            {walkouts:>9,} people  "
        f"({s['k12_walkouts']:,} K-12, {s['university_walkouts']:,} university)",
        f"  Not shopping (boycott):     {s['boycotting']:>9,} people",
        *_event_lines(s["events"][:-1], s.get("predictive") or {}),
        f"  Population {s['people']:,} people as {s['agents']:,} agents; "
        f"{s['wall_time_s']:.1f} s, peak {s['peak_rss_mib']:,.0f} MiB",
        *_posterior_line(s),
    ]
    if folder is not None:
        lines.append(
            f"  Results: {folder}  (summary.json, events.parquet, timeseries.parquet, turnout.png)"
        )
    return "\n".join(lines)


def _interval_line(summary: dict[str, Any], event: str) -> list[str]:
    """The posterior predictive interval of one action day's marchers, if the run has one."""
    interval = (summary.get("predictive") or {}).get(event)
    if not interval:
        return []
    at = f" at 1:{interval['scale']}" if interval.get("scale", 1) != 1 else ""
    return [
        f"{'':30}90% interval {interval['low_90']:,.0f}-{interval['high_90']:,.0f}, median "
        f"{interval['median']:,.0f} ({interval['draws']} posterior draws on one city{at})"
    ]


def _posterior_line(summary: dict[str, Any]) -> list[str]:
    """Which posterior draw this run's behaviour is (behavior.posterior), if any."""
    posterior = summary.get("posterior")
    if not posterior:
        return []
    pinned = posterior.get("pinned") or []
    held = f"; held fixed: {', '.join(pinned)}" if pinned else ""
    return [
        f"  Behaviour: posterior {posterior['name']!r}, draw {posterior['draw']} (by seed)"
        f"{held}; behavior=default for the fixed point values"
    ]


def _event_lines(
    events: list[dict[str, Any]], predictive: dict[str, dict[str, float]]
) -> list[str]:
    """One line per earlier action day of the campaign: its marchers against the record (and
    their posterior predictive interval, when there is one)."""
    if not events:
        return []
    lines = ["  Earlier in the campaign (same run):"]
    for e in events:
        low, high = e["observed_low"], e["observed_high"]
        if low is None:
            record = "no published figure"
        elif high is None:
            record = f"published {low:,.0f} or more"
        else:
            record = f"published {low:,.0f}-{high:,.0f}"
        interval = predictive.get(e["event"])
        if interval:
            record += f"; 90% interval {interval['low_90']:,.0f}-{interval['high_90']:,.0f}"
        lines.append(f"    {e['date']} {e['kind']:<6} marchers {e['marchers']:>9,}  ({record})")
    return lines
