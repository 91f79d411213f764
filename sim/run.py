"""One simulation run: config -> model -> results (in memory, then on disk), and its report.

This is the library entry point: ``simulate(config)`` is what the CLI, sweeps, the demo and
calibration call; ``save_run`` writes a run folder (see :mod:`strikesim.results`).
"""

from __future__ import annotations

import logging
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd
from omegaconf import OmegaConf

from strikesim import provenance, results
from strikesim.config import StrikeConfig
from strikesim.engine.ensemble import run_ensemble
from strikesim.engine.model import StrikeModel
from strikesim.engine.rule import wind_chill_f


@dataclass
class RunResult:
    """One run in memory: its config, its time series in people and its ``summary.json`` dict.

    Apart from the files so that calibration and attribution, which need only the summary of many
    runs, write nothing; :func:`save_run` writes it when a run is kept.
    """

    config: StrikeConfig
    timeseries: pd.DataFrame
    summary: dict[str, Any]


def git_commit() -> str | None:
    """The source tree's commit, when strikesim runs from a git checkout (see provenance)."""
    return provenance.git_state()["git_commit"]


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def simulate(config: StrikeConfig, graph: nx.Graph | None = None) -> RunResult:
    """Build the city, run the campaign and the strike day, and summarise in people."""
    _quiet_mesa()
    start = time.perf_counter()
    model = StrikeModel(config, graph)
    try:
        model.run()
        totals, timeseries = model.totals(), model.timeseries()
    finally:
        model.release()
    return _result(config, totals, timeseries, time.perf_counter() - start)


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
            found[n] = _result(configs[n], run.totals, run.timeseries, each)
    return [found[n] for n in range(len(configs))]


def city_key(config: StrikeConfig) -> str:
    """What decides a run's city and network: its seed, population and network settings."""
    population = {**asdict(config.population), "name": None}  # a label builds nothing
    return repr((config.seed, population, asdict(config.network)))


def _quiet_mesa() -> None:
    # Mesa logs every step at DEBUG; under any root handler (Hydra's, a worker's) a sweep of
    # runs would print thousands of lines. Every run path (CLI, sweeps, calibration,
    # attribution, scripts) goes through here, so this is the one place that quiets it.
    logging.getLogger("MESA").setLevel(logging.WARNING)


def _result(
    config: StrikeConfig, totals: dict[str, Any], timeseries: pd.DataFrame, seconds: float
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
        "wall_time_s": round(seconds, 3),
        "peak_rss_mib": round(peak_rss_mib(), 1),
        # code, library versions and data files: where this result came from
        **provenance.record(config),
    }
    return RunResult(config=config, timeseries=timeseries, summary=summary)


FigureWriter = Callable[["RunResult", Path], None]


def save_run(result: RunResult, folder: Path, figures: Sequence[FigureWriter] = ()) -> None:
    """Write the run's files into ``folder`` (a staging folder: see :func:`publish_run`).

    ``figures`` draw into the folder too (e.g. :func:`strikesim.viz.turnout.save_turnout_plot`);
    they are passed in because views sit above runs. ``summary.json`` comes last and lists every
    other file's size, so a folder counts as finished only when all of them are complete
    (:func:`strikesim.results.is_finished`).
    """
    folder = Path(folder)
    results.write_text(
        folder / results.CONFIG, OmegaConf.to_yaml(OmegaConf.structured(result.config))
    )
    results.write_parquet(folder / results.TIMESERIES, result.timeseries)
    for draw in figures:
        draw(result, folder)
    summary = {**result.summary, "files": results.file_sizes(folder)}
    results.write_json(folder / results.SUMMARY, summary)


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
        f"  Marchers on the strike day: {s['marchers']:>9,} people  "
        f"({expected}: {ratio_text}; {verdict} the {published} range "
        f"{obs['low']:,}-{obs['high']:,})",
        f"  Strikers from work:         {s['striking_workers']:>9,} people  "
        f"({s['striking_union_members']:,} of them union members)",
        f"  School walkouts:            {walkouts:>9,} people  "
        f"({s['k12_walkouts']:,} K-12, {s['university_walkouts']:,} university)",
        f"  Not shopping (boycott):     {s['boycotting']:>9,} people",
        f"  Population {s['people']:,} people as {s['agents']:,} agents; "
        f"{s['wall_time_s']:.1f} s, peak {s['peak_rss_mib']:,.0f} MiB",
    ]
    if folder is not None:
        lines.append(f"  Results: {folder}  (summary.json, timeseries.parquet, turnout.png)")
    return "\n".join(lines)
