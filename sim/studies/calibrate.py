"""``strikesim calibrate``: find behaviour parameters whose simulated marchers match the record.

Approximate Bayesian computation by rejection, driven by Optuna: candidates are drawn from the
uniform prior ranges of a calibration spec (a Sobol sequence by default, so the accepted sets are
a sample of the approximate posterior; ``sampler: tpe`` lets Optuna optimize instead), each
candidate is run with ``replications`` seeds — the same seeds for every candidate, so candidates
are compared on common random numbers — and scored per target by how far its median marchers
lie from the observed value, in standard deviations of the published range on a log scale. A
candidate is *accepted* when every target lies within ``tolerance`` of them.

Why Optuna: its journal file is built for several processes writing at once, so ``--workers N``
runs in parallel and re-running the same command resumes a study where it stopped.

A spec (``scenarios/calibration/NAME.yaml``) names the base overrides, the targets (scenarios,
whose ``scenario.observed_*`` are the record), the parameters with prior ranges, replications,
trials, sampler and tolerance. Outputs in ``--out``: ``journal.log`` (the study), ``trials.csv``,
``report.json`` and ``report.md`` (accepted sets, their spread, fit, identifiability).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import shlex
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from strikesim import results
from strikesim.cli.arguments import (
    WORKERS,
    Choice,
    CommandParser,
    Integer,
    Number,
    check_keys,
    check_name,
    check_output_folder,
    check_range,
    check_strings,
    entry_point,
    output_folder,
    read_mapping,
    read_text,
)
from strikesim.cli.messages import bad_input
from strikesim.compose import compose_config
from strikesim.config import ConfigError, StrikeConfig

Z90 = 1.6449  # the published low-high range is read as a central 90% interval [est]
MIN_ACCEPTED = 5  # fewer accepted sets say nothing about a parameter's spread
SPEC_PACKAGE = "strikesim.scenarios.calibration"
SAMPLERS = ("qmc", "tpe")
JOURNAL = "journal.log"
SOBOL_INDEX = "sobol_index"


@dataclass
class CalibrationSpec:
    name: str
    description: str
    base: list[str]
    targets: dict[str, list[str]]  # label -> overrides selecting the scenario
    parameters: dict[str, tuple[float, float]]  # config key -> prior (low, high)
    replications: int = 4
    trials: int = 64
    sampler: str = "qmc"
    sampler_seed: int = 0
    tolerance: float = 1.0
    source: str = ""  # the file it came from


def spec_names() -> list[str]:
    return sorted(
        p.name.removesuffix(".yaml")
        for p in files(SPEC_PACKAGE).iterdir()
        if p.name.endswith(".yaml")
    )


def load_spec(name_or_path: str) -> CalibrationSpec:
    """A shipped spec by name, or a YAML file; ConfigError with one line on bad input."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise ConfigError(f"calibration spec {name_or_path!r}: no such file")
        text, source = read_text(path), str(path)
    elif name_or_path in spec_names():
        text = (files(SPEC_PACKAGE) / f"{name_or_path}.yaml").read_text()
        source = f"scenarios/calibration/{name_or_path}.yaml"
    else:
        raise ConfigError(
            f"calibration spec {name_or_path!r} is unknown; allowed: {', '.join(spec_names())} "
            "or a YAML file"
        )
    raw = read_mapping(text, source)
    fields = [f for f in dataclasses.fields(CalibrationSpec) if f.name != "source"]
    required = [f.name for f in fields if f.default is dataclasses.MISSING]
    check_keys(raw, [f.name for f in fields], required, source)
    checked = {key: SPEC_CHECKS[key](value, f"{source}: {key}") for key, value in raw.items()}
    spec = CalibrationSpec(**checked, source=source)
    validate_spec(spec)
    return spec


def _text(value: object, key: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{key}={value!r}; allowed: a string")
    return value


def _targets(value: object, key: str) -> dict[str, list[str]]:
    """``label: [overrides]`` per target; a bare string would be split into characters."""
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise ConfigError(f"{key}={value!r}; allowed: a mapping LABEL: [scenario=NAME, ...]")
    return {label: check_strings(v, f"{key}.{label}") for label, v in value.items()}


def _parameters(value: object, key: str) -> dict[str, tuple[float, float]]:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise ConfigError(f"{key}={value!r}; allowed: a mapping KEY: [low, high]")
    return {name: check_range(bound, f"{key}.{name}") for name, bound in value.items()}


# how each key of a spec is checked (and converted); the command-line options use the same ranges
TRIALS = Integer(1, 100_000)  # every trial is replications x targets runs: beyond this, a typo
REPLICATIONS = Integer(1, 1_000)
SAMPLER_SEED = Integer(0, 2**32 - 1)  # numpy's legacy generator (Optuna's TPE) takes 32 bits
SPEC_CHECKS = {
    "name": check_name,
    "description": _text,
    "base": check_strings,
    "targets": _targets,
    "parameters": _parameters,
    "replications": REPLICATIONS.check,
    "trials": TRIALS.check,
    "sampler": Choice(SAMPLERS).check,
    "sampler_seed": SAMPLER_SEED.check,
    "tolerance": Number(above=0).check,
}


def validate_spec(spec: CalibrationSpec, extra: list[str] | None = None) -> None:
    """Check ranges and that every candidate's config composes (at both ends of every range).

    ``extra`` are the command line's overrides: they apply to every target, so they are
    composed with every target too, before the study starts.
    """
    where = spec.source or spec.name
    if not spec.targets:
        raise ConfigError(f"{where}: targets is empty; allowed: at least one scenario")
    if not spec.parameters:
        raise ConfigError(f"{where}: parameters is empty; allowed: at least one KEY: [low, high]")
    for key, (low, high) in spec.parameters.items():
        if not low < high:
            raise ConfigError(f"{where}: parameters.{key}=[{low}, {high}]; allowed: low < high")
    REPLICATIONS.check(spec.replications, f"{where}: replications")
    TRIALS.check(spec.trials, f"{where}: trials")
    Choice(SAMPLERS).check(spec.sampler, f"{where}: sampler")
    for label in spec.targets:
        for end in (0, 1):
            params = {k: v[end] for k, v in spec.parameters.items()}
            sc = target_config(spec, label, params, extra or []).scenario
            if not 0 < sc.observed_low < sc.observed_high:
                raise ConfigError(
                    f"{where}: target {label} has scenario.observed_low={sc.observed_low}, "
                    f"observed_high={sc.observed_high}; allowed: 0 < low < high (the record's "
                    "range)"
                )


def target_config(
    spec: CalibrationSpec, label: str, params: dict[str, float], extra: list[str]
) -> StrikeConfig:
    """The config of one target scenario at one candidate (seed set per replication later)."""
    overrides = [*spec.base, *spec.targets[label], *extra]
    overrides += [f"{k}={v!r}" for k, v in params.items()]
    return compose_config(overrides)


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


# --- the study ------------------------------------------------------------------------------------
def _storage(out: Path):
    import optuna
    from optuna.storages.journal import JournalFileBackend

    out.mkdir(parents=True, exist_ok=True)
    return optuna.storages.JournalStorage(JournalFileBackend(str(out / JOURNAL)))


def _study(spec: CalibrationSpec, out: Path):
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


def _enqueue(spec: CalibrationSpec, study, trials: int) -> None:
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


def _worker(spec: CalibrationSpec, out: Path, trials: int, extra: list[str]) -> None:
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
        print(
            f"  trial {trial.number:>4}: {shown} -> {medians}{'  accepted' if accepted else ''}",
            flush=True,
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
    spec: CalibrationSpec, out: Path, *, trials: int, workers: int, extra: list[str]
) -> pd.DataFrame:
    """Evaluate up to ``trials`` candidates, resuming a study found in ``out``; the trials table."""
    import optuna

    study = _study(spec, out)
    _enqueue(spec, study, trials)
    if sum(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials) >= trials:
        return trials_table(spec, study)
    if workers <= 1:
        _worker(spec, out, trials, extra)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for future in [pool.submit(_worker, spec, out, trials, extra) for _ in range(workers)]:
                future.result()
    return trials_table(spec, _study(spec, out))


def trials_table(spec: CalibrationSpec, study) -> pd.DataFrame:
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


# --- what the accepted sets say -------------------------------------------------------------------
def null_shrinkage(accepted: int, draws: int = 4000) -> float:
    """The shrinkage that ``accepted`` draws from the prior itself reach 5% of the time.

    A handful of accepted sets spans less than the prior by chance alone (11 uniform draws: a
    median shrinkage of 0.15, a 95th percentile of 0.38); only shrinkage beyond this says that the
    target constrains the parameter.
    """
    unit = np.random.default_rng(0).random((draws, accepted))
    q05, q95 = np.quantile(unit, [0.05, 0.95], axis=1)
    return float(np.quantile(1 - (q95 - q05) / 0.9, 0.95))


def identifiability(
    table: pd.DataFrame, parameters: dict[str, tuple[float, float]], outcome: str
) -> pd.DataFrame:
    """Per parameter: the accepted sets' spread against the prior's, and its pull on the outcome.

    ``shrinkage`` = 1 - (accepted 5-95% width) / (prior 5-95% width): near 0 the target leaves
    the parameter where the prior had it (not identified), near 1 it pins the parameter down;
    below :func:`null_shrinkage` it is indistinguishable from chance.
    ``rho`` is the rank correlation of the parameter with log ``outcome`` over all candidates.
    """
    accepted = table[table["accepted"]]
    chance = null_shrinkage(len(accepted)) if len(accepted) >= MIN_ACCEPTED else np.nan
    rows = []
    for key, (low, high) in parameters.items():
        values = accepted[key].to_numpy()
        q05, q50, q95 = np.quantile(values, [0.05, 0.5, 0.95]) if len(values) else (np.nan,) * 3
        enough = len(values) >= MIN_ACCEPTED
        shrink = 1 - (q95 - q05) / (0.9 * (high - low)) if enough else np.nan
        rho = spearmanr(table[key], table[outcome]).statistic if len(table) > 2 else np.nan
        verdict = (
            "not identified by this target"
            if not shrink > chance
            else "pinned down"
            if shrink >= 0.5
            else "partly identified"
        )
        rows.append(
            {
                "parameter": key,
                "prior_low": low,
                "prior_high": high,
                "accepted_median": q50,
                "accepted_q05": q05,
                "accepted_q95": q95,
                "shrinkage": shrink,
                "chance_shrinkage_95": chance,
                "rho_with_marchers": rho,
                "verdict": verdict if np.isfinite(shrink) else "too few accepted sets",
            }
        )
    return pd.DataFrame(rows)


def central_accepted(table: pd.DataFrame, parameters: dict[str, tuple[float, float]]) -> int | None:
    """The accepted trial nearest the accepted sets' medians (each axis in prior-range units).

    A real candidate rather than the medians themselves: on a ridge (two parameters that trade
    off) the coordinate-wise median need not fit, a candidate that was run does.
    """
    accepted = table[table["accepted"]]
    if accepted.empty:
        return None
    keys = list(parameters)
    width = np.array([parameters[k][1] - parameters[k][0] for k in keys])
    x = accepted[keys].to_numpy() / width
    dist = np.linalg.norm(x - np.median(x, axis=0), axis=1)
    return int(accepted["trial"].to_numpy()[np.argmin(dist)])


def report(spec: CalibrationSpec, table: pd.DataFrame, command: str) -> tuple[dict, str]:
    """The record of a calibration: JSON for machines, Markdown for people."""
    first = next(iter(spec.targets))
    outcome = f"{first}.median"
    ident = identifiability(table, spec.parameters, outcome)
    accepted = table[table["accepted"]]
    chosen = central_accepted(table, spec.parameters)
    best = int(table.loc[table["distance"].idxmin(), "trial"])
    keys = list(spec.parameters)
    chance_95 = ident["chance_shrinkage_95"].iloc[0]
    chance = f"chance: <= {chance_95:.2f}" if np.isfinite(chance_95) else "too few to judge"
    corr = accepted[keys].corr(method="spearman") if len(accepted) >= MIN_ACCEPTED else None
    data = {
        "spec": spec.name,
        "source": spec.source,
        "command": command,
        "candidates": len(table),
        "accepted": len(accepted),
        "acceptance_rate": len(accepted) / len(table) if len(table) else 0.0,
        "replications": spec.replications,
        "tolerance_sd": spec.tolerance,
        "best_trial": table[table["trial"] == best].iloc[0].to_dict(),
        "chosen_trial": None
        if chosen is None
        else table[table["trial"] == chosen].iloc[0].to_dict(),
        "identifiability": ident.to_dict("records"),
        "accepted_correlations": None if corr is None else corr.round(3).to_dict(),
    }
    md = [
        f"# Calibration `{spec.name}`",
        "",
        spec.description,
        "",
        f"Command: `{command}`  ",
        f"Spec: `{spec.source}`; {len(table)} candidates x {spec.replications} seeds "
        f"per target; accepted when every target's median marchers is within "
        f"{spec.tolerance:g} sd (log scale, the published range read as a 90% interval).",
        "",
        f"Accepted: **{len(accepted)} of {len(table)}** ({data['acceptance_rate']:.0%}).",
        "",
        "## Fit",
        "",
        "| target | observed (range), people | accepted sets' median marchers: median (5-95%) |",
        "|---|---|---|",
    ]
    for label in spec.targets:
        obs = table.iloc[0]
        observed = (
            f"{obs[f'{label}.observed_marchers']:,.0f} "
            f"({obs[f'{label}.observed_low']:,.0f}-{obs[f'{label}.observed_high']:,.0f})"
        )
        if len(accepted):
            q = np.quantile(accepted[f"{label}.median"], [0.05, 0.5, 0.95])
            md.append(f"| {label} | {observed} | {q[1]:,.0f} ({q[0]:,.0f}-{q[2]:,.0f}) |")
        else:
            md.append(f"| {label} | {observed} | none accepted |")
    md += [
        "",
        "## Identifiability",
        "",
        f"| parameter | prior | accepted median (5-95%) | shrinkage ({chance}) "
        "| rank corr. with marchers | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for r in ident.to_dict("records"):
        md.append(
            f"| {r['parameter']} | {r['prior_low']:g}-{r['prior_high']:g} | "
            f"{r['accepted_median']:.3f} ({r['accepted_q05']:.3f}-{r['accepted_q95']:.3f}) | "
            f"{r['shrinkage']:.2f} | {r['rho_with_marchers']:+.2f} | {r['verdict']} |"
        )
    if corr is not None:
        pairs = [
            (a, b, corr.loc[a, b])
            for i, a in enumerate(keys)
            for b in keys[i + 1 :]
            if abs(corr.loc[a, b]) >= 0.3
        ]
        md += ["", "Trade-offs among accepted sets (|Spearman| >= 0.3):"]
        md += [f"- {a} vs {b}: {r:+.2f}" for a, b, r in pairs] or ["- none"]
    for title, trial in (("Chosen (most central accepted set)", chosen), ("Best fit", best)):
        if trial is None:
            continue
        row = table[table["trial"] == trial].iloc[0]
        md += ["", f"## {title}: trial {trial}", ""]
        md += [f"- `{k}={row[k]:.4f}`" for k in keys]
        md += [f"- {label}: marchers per seed {row[f'{label}.marchers']}" for label in spec.targets]
    return data, "\n".join(md) + "\n"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = CommandParser(
        "calibrate",
        description="Search uncertain behaviour parameters for settings whose simulated marchers "
        "match the record (ABC rejection with Optuna; parallel and resumable).",
    )
    parser.add_argument(
        "spec",
        nargs="?",
        default="ice_out_2026",
        help=f"a spec name ({', '.join(spec_names())}) or YAML file",
    )
    parser.add_argument(
        "overrides", nargs="*", help="extra config overrides, e.g. population.scale=20"
    )
    parser.add_argument(
        "--trials", type=TRIALS, help="finished candidates wanted (default: the spec's)"
    )
    parser.add_argument(
        "--replications", type=REPLICATIONS, help="seeds per candidate (default: the spec's)"
    )
    parser.add_argument("--workers", type=WORKERS, default=1, help="parallel processes (default 1)")
    parser.add_argument(
        "--out",
        type=output_folder,
        help="study folder (default results/calibration/SPEC); re-run to resume",
    )
    args = parser.parse_args(argv)
    if "=" in args.spec:  # `strikesim calibrate population.scale=20`: an override, default spec
        args.overrides.insert(0, args.spec)
        args.spec = parser.get_default("spec")
    return args


@entry_point
def main(argv: list[str]) -> int:
    """Entry point of ``strikesim calibrate``: spec and options are checked before the study."""
    args = parse_args(argv)
    try:
        spec = load_spec(args.spec)
        if args.trials is not None:
            spec.trials = args.trials
        if args.replications is not None:
            spec.replications = args.replications
        if args.overrides:
            validate_spec(spec, args.overrides)
        out = args.out or check_output_folder(Path("results") / "calibration" / spec.name)
    except ConfigError as exc:
        return bad_input(exc)
    command = "strikesim calibrate " + shlex.join(argv)
    print(f"calibrating {spec.name}: {spec.trials} candidates x {spec.replications} seeds -> {out}")
    table = run_study(spec, out, trials=spec.trials, workers=args.workers, extra=args.overrides)
    data, md = report(spec, table, command)
    results.atomic_write(out / "trials.csv", lambda tmp: table.to_csv(tmp, index=False))
    results.write_json(out / "report.json", data)
    results.write_text(out / "report.md", md)
    print(md)
    return 0
