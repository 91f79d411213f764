"""What the accepted sets of a calibration say: identifiability, the fit, the record.

From the trials table of :func:`strikesim.studies.calibrate.run_study`: per parameter, how much
the accepted sets shrink its prior (against what chance alone gives), its pull on the outcome,
the trade-offs between parameters, and the chosen and best candidates — as JSON for machines and
Markdown for people (:func:`report`), written by :func:`write_report`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from strikesim import results
from strikesim.studies.calibration_spec import CalibrationSpec

MIN_ACCEPTED = 5  # fewer accepted sets say nothing about a parameter's spread


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


def report(spec: CalibrationSpec, table: pd.DataFrame, command: str) -> tuple[dict[str, Any], str]:
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


def write_report(out: Path, table: pd.DataFrame, data: dict[str, Any], md: str) -> list[Path]:
    """``trials.csv``, ``report.json`` and ``report.md`` in ``out`` (each atomically); paths."""
    paths = [out / "trials.csv", out / "report.json", out / "report.md"]
    results.atomic_write(paths[0], lambda tmp: table.to_csv(tmp, index=False))
    results.write_json(paths[1], data)
    results.write_text(paths[2], md)
    return paths
