"""What calibration reads from a run: people per event and observable, the record's units.

This module is the only place that knows how a run reports its events. Calibration, its
coverage test and its report see a run only through :func:`observe`: a mapping from
``(event, observable)`` to a number of people, expressed in the population the published
figures count (the scenario's ``reference_population``; a run of another size is scaled per
capita, as :func:`strikesim.run.simulate` scales the record for its own report).

A run's ``events`` table (:meth:`strikesim.engine.model.StrikeModel.events`) has one row per
action day: the documented ones of ``scenarios/data/events.csv`` under their ids
(``march_2026_01_10``, ``day_of_truth_2026_01_23``) and the run's own last day under the
scenario's name (``ice_out_2026``). Why one module: when the engine's reporting changes, this
file changes and nothing else in calibration does.
"""

from __future__ import annotations

from strikesim.engine.ensemble import EnsembleMember
from strikesim.run import RunResult

OBSERVABLES = ("marchers", "striking_workers", "walkouts", "boycott")
"""Numbers of people an event reports, in the order the calibration spec lists them as allowed."""

COLUMNS: dict[str, tuple[str, ...]] = {
    "marchers": ("marchers",),
    "striking_workers": ("striking_workers",),
    "walkouts": ("k12_walkouts", "university_walkouts"),  # schools and campuses together
    "boycott": ("boycotting",),
}
"""Each observable as the sum of these columns of a run's ``events`` table."""

Observed = dict[tuple[str, str], float]


def per_capita_factor(result: RunResult | EnsembleMember) -> float:
    """People of the reference population per simulated person (~1.0 at any scale of the
    catchment the scenario names: the totals are already in people)."""
    totals = result.totals if isinstance(result, EnsembleMember) else result.summary
    return result.config.scenario.reference_population / totals["people"]


def observe(result: RunResult | EnsembleMember) -> Observed:
    """``(event, observable) -> people`` of every action day of ``result``, in the record's
    population.

    Takes a run's result or an ensemble member (the same numbers without the summary, which
    calibration does not need and which costs as much as a run of the 1,000-person town).
    Reads the columns as lists, not row by row: calibration reads thousands of runs, and pandas
    row access costs milliseconds a run.
    """
    events = result.events
    factor = per_capita_factor(result)
    ids = [str(e) for e in events["event"].tolist()]
    found: Observed = {}
    for name, columns in COLUMNS.items():
        sums = [0.0] * len(ids)
        for column in columns:
            sums = [s + float(v) for s, v in zip(sums, events[column].tolist(), strict=True)]
        for event, value in zip(ids, sums, strict=True):
            found[(event, name)] = value * factor
    return found
