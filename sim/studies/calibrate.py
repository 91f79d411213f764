"""Calibration: find behaviour parameters whose simulated marchers match the record.

Approximate Bayesian computation by rejection, driven by Optuna: candidates are drawn from the
uniform prior ranges of a calibration spec (a Sobol sequence by default, so the accepted sets are
a sample of the approximate posterior; ``sampler: tpe`` lets Optuna optimize instead), each
candidate is run with ``replications`` seeds — the same seeds for every candidate, so candidates
are compared on common random numbers — and scored per target by how far its median marchers
lie from the observed value, in standard deviations of the published range on a log scale. A
candidate is *accepted* when every target lies within ``tolerance`` of them.

Why Optuna: its journal file is built for several processes writing at once, so ``workers > 1``
runs in parallel and running the same study again resumes it where it stopped.

The spec (targets, priors, replications, trials, sampler, tolerance) is
:mod:`strikesim.studies.calibration_spec`; what the accepted sets say (identifiability, the
report) is :mod:`strikesim.studies.calibration_report`; the command ``strikesim calibrate``
drives them. Outputs in the study folder: ``journal.log`` (the study), ``trials.csv``,
``report.json`` and ``report.md``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from strikesim.studies.calibration_spec import CalibrationSpec, target_config

if TYPE_CHECKING:
    import optuna

Z90 = 1.6449  # the published low-high range is read as a central 90% interval [est]
ROOT = Path("results") / "calibration"
JOURNAL = "journal.log"
SOBOL_INDEX = "sobol_index"
Progress = Callable[[str], None]  # gets one line per finished trial (workers: picklable)


def default_folder(spec: CalibrationSpec) -> Path:
    """``results/calibration/<spec name>``: the same spec resumes the same study."""
    return ROOT / spec.name


def log_sd(observed: dict[str, Any]) -> float:
    """Uncertainty of the record on a log scale: the published range as a central 90%."""
    return math.log(observed["high"] / observed["low"]) / (2 * Z90)


def evaluate(
    spec: CalibrationSpec, params: dict[str, float], extra: list[str]
) -> dict[str, dict[str, Any]]:
    """Run every target at ``params`` over seeds ``0..replications-1``; marchers in people."""
    from strikesim.run import simulate

    out = {}
    for label in spec.targets:
        config = target_config(spec, label, params, extra)
        marchers, observed = [], None
        for seed in range(spec.replications):
            summary = simulate(dataclasses.replace(config, seed=seed)).summary
            marchers.append(int(summary["marchers"]))
            observed = summary["observed"]
        assert observed is not None
        median = float(np.median(marchers))
        z = (math.log(max(median, 1.0)) - math.log(observed["marchers"])) / log_sd(observed)
        out[label] = {"marchers": marchers, "median": median, "z": z, "observed": observed}
    return out


# --- the study -----------------------------------------------------------------------------------
def _storage(out: Path) -> optuna.storages.JournalStorage:
    import optuna
    from optuna.storages.journal import JournalFileBackend

    out.mkdir(parents=True, exist_ok=True)
    return optuna.storages.JournalStorage(JournalFileBackend(str(out / JOURNAL)))


def _study(spec: CalibrationSpec, out: Path) -> optuna.Study:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=spec.sampler_seed)  # used by sampler: tpe only
    storage = _storage(out)
    if spec.name in optuna.study.get_all_study_names(storage):  # resume without a journal entry
        return optuna.load_study(study_name=spec.name, storage=storage, sampler=sampler)
    return optuna.create_study(
        study_name=spec.name,
        storage=storage,
        sampler=sampler,
        direction="minimize",
    )


def sobol_points(spec: CalibrationSpec, count: int) -> list[dict[str, float]]:
    """The first ``count`` points of a scrambled Sobol sequence over the prior box."""
    from scipy.stats import qmc

    keys = list(spec.parameters)
    sobol = qmc.Sobol(d=len(keys), scramble=True, seed=spec.sampler_seed)
    unit = sobol.random_base2(max(0, math.ceil(math.log2(count))))[:count]
    low = np.array([spec.parameters[k][0] for k in keys])
    high = np.array([spec.parameters[k][1] for k in keys])
    return [dict(zip(keys, map(float, low + u * (high - low)), strict=True)) for u in unit]


def _enqueue(spec: CalibrationSpec, study: optuna.Study, trials: int) -> None:
    """Queue the Sobol points not yet in the study (ABC rejection: the prior, evenly covered).

    Queued once by the parent, then popped by the workers one at a time (the journal makes the
    pop atomic), so parallel workers never evaluate the same point twice and a resumed study
    carries on along the same sequence.
    """
    import optuna

    if spec.sampler != "qmc":
        return
    state = optuna.trial.TrialState
    present = {  # a RUNNING trial left by a killed run is queued again
        t.user_attrs.get(SOBOL_INDEX)
        for t in study.trials
        if t.state in (state.COMPLETE, state.WAITING)
    }
    for i, params in enumerate(sobol_points(spec, trials)):
        if i not in present:
            study.enqueue_trial(params, user_attrs={SOBOL_INDEX: i})


def _worker(
    spec: CalibrationSpec,
    out: Path,
    trials: int,
    extra: list[str],
    progress: Progress | None = None,
) -> None:
    """One process: draw and evaluate candidates until the study holds ``trials`` finished ones."""
    import optuna

    study = _study(spec, out)

    def objective(trial: optuna.Trial) -> float:
        params = {k: trial.suggest_float(k, lo, hi) for k, (lo, hi) in spec.parameters.items()}
        fit = evaluate(spec, params, extra)
        zs = [f["z"] for f in fit.values()]
        for label, f in fit.items():
            trial.set_user_attr(f"{label}.marchers", f["marchers"])
            trial.set_user_attr(f"{label}.median", f["median"])
            trial.set_user_attr(f"{label}.z", f["z"])
            trial.set_user_attr(f"{label}.observed", f["observed"])
        accepted = max(abs(z) for z in zs) <= spec.tolerance
        trial.set_user_attr("accepted", accepted)
        shown = ", ".join(f"{k.rpartition('.')[2]}={v:.3f}" for k, v in params.items())
        medians = ", ".join(f"{label} {f['median']:,.0f}" for label, f in fit.items())
        if progress is not None:
            progress(
                f"  trial {trial.number:>4}: {shown} -> {medians}{'  accepted' if accepted else ''}"
            )
        return math.sqrt(float(np.mean(np.square(zs))))

    state = optuna.trial.TrialState
    while sum(t.state == state.COMPLETE for t in study.trials) < trials:
        trial = study.ask()
        if spec.sampler == "qmc" and SOBOL_INDEX not in trial.user_attrs:
            study.tell(trial, state=state.FAIL)  # queue empty: the other workers finish the rest
            break
        try:
            value = objective(trial)
        except BaseException:
            study.tell(trial, state=state.FAIL)
            raise
        study.tell(trial, value)


def run_study(
    spec: CalibrationSpec,
    out: Path,
    *,
    trials: int,
    workers: int,
    extra: list[str],
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Evaluate up to ``trials`` candidates, resuming a study found in ``out``; the trials table.

    ``progress`` (if given) gets one line per finished trial, from whichever worker ran it: with
    ``workers > 1`` it is sent to other processes, so it must pickle (``print`` does).
    """
    import optuna

    study = _study(spec, out)
    _enqueue(spec, study, trials)
    if sum(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials) >= trials:
        return trials_table(spec, study)
    if workers <= 1:
        _worker(spec, out, trials, extra, progress)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for future in [
                pool.submit(_worker, spec, out, trials, extra, progress) for _ in range(workers)
            ]:
                future.result()
    return trials_table(spec, _study(spec, out))


def trials_table(spec: CalibrationSpec, study: optuna.Study) -> pd.DataFrame:
    """One row per finished candidate: parameters, median marchers and z per target, accepted."""
    import optuna

    rows = []
    for t in study.trials:
        if t.state != optuna.trial.TrialState.COMPLETE:
            continue
        row: dict[str, Any] = {"trial": t.number, **t.params, "distance": t.value}
        for label in spec.targets:
            row[f"{label}.median"] = t.user_attrs[f"{label}.median"]
            row[f"{label}.z"] = t.user_attrs[f"{label}.z"]
            row[f"{label}.marchers"] = " ".join(map(str, t.user_attrs[f"{label}.marchers"]))
            observed = t.user_attrs[f"{label}.observed"]
            for key in ("marchers", "low", "high"):
                row[f"{label}.observed_{key}"] = observed[key]
        row["accepted"] = bool(t.user_attrs["accepted"])
        rows.append(row)
    return pd.DataFrame(rows).sort_values("trial").reset_index(drop=True)
