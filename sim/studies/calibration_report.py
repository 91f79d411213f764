"""What a calibration says: the fit per event, the held-out prediction, identifiability.

Read from a study folder's tables (:func:`strikesim.studies.calibrate.write_outputs`): the
weighted posterior draws, the simulated targets of those draws (the posterior predictive) and
the generations. Every number shown is computed from those draws; a study that has not reached
temperature 1 says so at the top, since its draws are not yet the posterior.

Identifiability, per parameter: the posterior's central 90% width against the prior's
(``width_ratio``; 1 means the record leaves the parameter as wide as the prior had it, 0 that it
pins it to a point), its sd against the prior's, and how far its mean moved. Across parameters:
the strongest posterior correlations (trade-offs the record leaves open, which a few numbers
create even when no single parameter narrows). The pair plot shows the parameters narrowed most
and those of the strongest trade-offs, two by two.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from strikesim import results
from strikesim.studies.calibration_spec import CalibrationSpec, Prior, Target, target_key

PAIRS_MAX = 6  # parameters in the pair plot: beyond that the panels are too small to read
PINNED, PARTLY = 0.5, 0.8  # width ratios below which a parameter counts as pinned / constrained
TRADE_OFFS = 8  # strongest posterior correlations reported
STRONG = 0.25  # a correlation named in the report's paragraph (noise ~0.06 with 300 draws)
MOVED = 0.3  # a mean shift (in prior sds) named in the paragraph (noise ~0.06 with 300 draws)


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs: list[float]) -> np.ndarray:
    """Quantiles of a weighted sample (the inverse of its weighted CDF, midpoint rule)."""
    order = np.argsort(values)
    v, w = np.asarray(values, float)[order], np.asarray(weights, float)[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(qs, cdf, v)


def identifiability(posterior: pd.DataFrame, priors: dict[str, Prior]) -> pd.DataFrame:
    """Per parameter: prior and posterior central 90% intervals, width ratio, verdict; the
    posterior's sd against the prior's (``sd_ratio``) and how far its mean moved from the
    prior's, in prior sds (``shift``): a record that moves a parameter without narrowing it
    shows there, not in the widths."""
    w = posterior["weight"].to_numpy(float)
    rows = []
    for key, p in priors.items():
        q05, q50, q95 = weighted_quantiles(posterior[key].to_numpy(float), w, [0.05, 0.5, 0.95])
        prior_width = 0.9 * (p.high - p.low)
        ratio = (q95 - q05) / prior_width
        verdict = (
            "pinned down"
            if ratio < PINNED
            else "constrained"
            if ratio < PARTLY
            else "not identified (posterior ~ prior)"
        )
        low, high = p.support
        prior_sd = (high - low) / np.sqrt(12)  # uniform on the support
        values = posterior[key].to_numpy(float)
        mean = float(w @ values / w.sum())
        sd = float(np.sqrt(w @ (values - mean) ** 2 / w.sum()))
        rows.append(
            {
                "parameter": key,
                "prior_low": p.low,
                "prior_high": p.high,
                "posterior_median": q50,
                "posterior_q05": q05,
                "posterior_q95": q95,
                "width_ratio": ratio,
                "sd_ratio": sd / prior_sd,
                "shift": (mean - (low + high) / 2) / prior_sd,
                "verdict": verdict,
            }
        )
    return pd.DataFrame(rows)


QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)  # the median, its 50% and 90% central intervals


def fit_table(
    spec: CalibrationSpec, targets: list[Target], predictive: pd.DataFrame
) -> pd.DataFrame:
    """Per target: the record, and the posterior predictive median, 50% and 90% central
    intervals and P(inside the published range).

    The predictive is each posterior particle simulated again on a fresh seed
    (:func:`strikesim.studies.calibrate.predictive_table`), weighted by the particle's weight:
    the simulated number of people, no measurement error added — what the model says happened,
    beside what was published.
    """
    w = predictive["weight"].to_numpy(float)
    rows = []
    for t in targets:
        values = predictive[target_key(t)].to_numpy(float)
        q05, q25, q50, q75, q95 = weighted_quantiles(values, w, list(QUANTILES))
        low, high = t.range
        inside = np.ones(len(values), bool)
        if low is not None:
            inside &= values >= low
        if high is not None:
            inside &= values <= high
        rows.append(
            {
                "event": t.event,
                "observable": str(t.observable),
                "role": str(t.role),
                "observed": t.observed,
                "range_low": low,
                "range_high": high,
                "predicted_median": q50,
                "predicted_q25": q25,
                "predicted_q75": q75,
                "predicted_q05": q05,
                "predicted_q95": q95,
                "p_in_range": float(w[inside].sum() / w.sum()),
                "source": t.source,
            }
        )
    return pd.DataFrame(rows)


def predictive_plot(fit: pd.DataFrame, path: Path) -> None:
    """One row per event and observable: the predictive median, 50% and 90% intervals (log
    scale) over the published range, fitted and held-out events told apart; written as a PNG.

    A held-out or check row that repeats a fitted key adds only its range (shaded) and bound.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = fit.drop_duplicates(["event", "observable"]).reset_index(drop=True)
    figure, axis = plt.subplots(figsize=(8, 0.9 * len(rows) + 1.4))
    for y, r in rows.iterrows():
        same = fit[(fit["event"] == r["event"]) & (fit["observable"] == r["observable"])]
        for _, t in same.iterrows():
            low = t["range_low"] if pd.notna(t["range_low"]) else None
            high = t["range_high"] if pd.notna(t["range_high"]) else None
            span = (low or 1.0, high or 1e7)
            shade = "tab:green" if t["role"] == "fitted" else "tab:orange"
            axis.fill_betweenx([y - 0.3, y + 0.3], *span, color=shade, alpha=0.12, lw=0)
            for end in (low, high):
                if end is not None:
                    axis.plot([end, end], [y - 0.3, y + 0.3], color=shade, lw=1)
            if low is not None and high is not None:  # a two-sided range: its central figure
                axis.plot(t["observed"], y, marker="|", color=shade, ms=18, mew=2)
        axis.plot([r["predicted_q05"], r["predicted_q95"]], [y, y], color="k", lw=1.5)
        axis.plot([r["predicted_q25"], r["predicted_q75"]], [y, y], color="k", lw=5)
        axis.plot(r["predicted_median"], y, "o", color="white", mec="k", ms=7)
    labels = [
        f"{r['event']}\n{r['observable']} ({'fitted' if r['role'] == 'fitted' else 'held out'})"
        for _, r in rows.iterrows()
    ]
    axis.set_yticks(range(len(rows)), labels, fontsize=8)
    axis.set_ylim(len(rows) - 0.5, -0.5)
    axis.set_xscale("log")
    values = rows[["predicted_q05", "predicted_q95"]].to_numpy(float)
    axis.set_xlim(max(100.0, 0.5 * np.nanmin(values)), 2 * max(np.nanmax(values), 60_000))
    axis.set_xlabel("people (posterior predictive: median, 50% and 90% intervals)")
    axis.set_title("Published ranges (green: fitted; orange: held out or check)", fontsize=9)
    figure.tight_layout()
    results.atomic_write(path, lambda tmp: figure.savefig(tmp, format="png", dpi=100))
    plt.close(figure)


def correlations(posterior: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Every pair of parameters with its weighted correlation across the posterior, strongest
    first.

    Why: a record of a few numbers rarely narrows any one parameter; it rules out
    *combinations* (a higher mean threshold works only with less cold sensitivity). The prior
    draws each key independently, so a correlation in the posterior is what the record added:
    a ridge along which the parameters trade off. Noise is about ``1 / sqrt(ESS)``.
    """
    w = posterior["weight"].to_numpy(float)
    w = w / w.sum()
    x = posterior[keys].to_numpy(float)
    centred = x - w @ x
    cov = (centred * w[:, None]).T @ centred
    sd = np.sqrt(np.diag(cov))
    r = cov / np.outer(sd, sd)
    rows = [
        {"a": keys[i], "b": keys[j], "r": float(r[i, j])}
        for i in range(len(keys))
        for j in range(i)
        if sd[i] > 0 and sd[j] > 0
    ]
    frame = pd.DataFrame(rows, columns=["a", "b", "r"])
    return frame.reindex(frame["r"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def pair_keys(ident: pd.DataFrame, corr: pd.DataFrame) -> list[str]:
    """The parameters of the pair plot: those narrowed most (width ratio below
    :data:`PARTLY`), then those of the strongest trade-offs, up to :data:`PAIRS_MAX`."""
    keys = list(ident[ident["width_ratio"] < PARTLY].sort_values("width_ratio")["parameter"])
    for pair in corr.itertuples():
        for key in (pair.a, pair.b):
            if key not in keys:
                keys.append(key)
    keys += [k for k in ident.sort_values("width_ratio")["parameter"] if k not in keys]
    return keys[:PAIRS_MAX]


def pair_plot(
    posterior: pd.DataFrame, priors: dict[str, Prior], keys: list[str], path: Path
) -> None:
    """pyabc's KDE plots of ``keys`` (:func:`pair_keys`), written atomically as a PNG.

    The marginal density of each on the diagonal (over its prior range), pairs below it: a ridge
    there is a trade-off the record cannot resolve. One parameter gets its marginal alone.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from pyabc.visualization import plot_kde_1d, plot_kde_matrix

    frame = posterior[keys].astype(float)
    weights = posterior["weight"].to_numpy(float)
    if len(keys) == 1:
        low, high = priors[keys[0]].support
        figure = plot_kde_1d(frame, weights, keys[0], xmin=low, xmax=high).get_figure()
    else:
        limits = {k: priors[k].support for k in keys}
        axes = plot_kde_matrix(frame, weights, limits=limits)
        figure = np.asarray(axes).flat[0].get_figure()
    size = 2.2 * len(keys) + 1.5
    figure.set_size_inches(size, size)
    results.atomic_write(path, lambda tmp: figure.savefig(tmp, format="png", dpi=90))
    plt.close(figure)


def _range_text(low: float | None, high: float | None) -> str:
    """``15,000-50,000``, ``>= 10,000`` or ``<= 5,000`` (an open end is None or NaN in a table)."""
    low, high = (None if v is None or np.isnan(v) else v for v in (low, high))
    if low is not None and high is not None:
        return f"{low:,.0f}-{high:,.0f}"
    return f">= {low:,.0f}" if low is not None else f"<= {high:,.0f}"


def fit_lines(fit: list[dict[str, Any]]) -> list[str]:
    """The fit table in Markdown (``report.json``'s ``fit``): docs/calibration.md quotes these
    very lines, and a test holds it to them."""
    lines = [
        "| event | observable | role | published | model: median | 50% interval | 90% interval "
        "| P(inside published range) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in fit:
        lines.append(
            f"| {r['event']} | {r['observable']} | {r['role']} | "
            f"{_range_text(r['range_low'], r['range_high'])} | {r['predicted_median']:,.0f} | "
            f"{r['predicted_q25']:,.0f}-{r['predicted_q75']:,.0f} | "
            f"{r['predicted_q05']:,.0f}-{r['predicted_q95']:,.0f} | {r['p_in_range']:.2f} |"
        )
    return lines


def identifiability_lines(ident: list[dict[str, Any]]) -> list[str]:
    """The identifiability table in Markdown, most constrained first (quoted by the docs)."""
    lines = [
        "| parameter | prior | posterior median (90% interval) | 90% width / prior's "
        "| sd / prior's | mean moved (prior sds) | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in sorted(ident, key=lambda r: (r["width_ratio"], -abs(r["shift"]))):
        lines.append(
            f"| {r['parameter']} | {r['prior_low']:g}-{r['prior_high']:g} | "
            f"{r['posterior_median']:.3g} ({r['posterior_q05']:.3g}-{r['posterior_q95']:.3g}) | "
            f"{r['width_ratio']:.2f} | {r['sd_ratio']:.2f} | {r['shift']:+.2f} | {r['verdict']} |"
        )
    return lines


def in_words(ident: pd.DataFrame, corr: pd.DataFrame, gens: pd.DataFrame) -> str:
    """What the record pins down and what it leaves open, in one paragraph from the tables."""
    pinned = list(ident[ident["width_ratio"] < PARTLY]["parameter"])
    free = list(ident[ident["width_ratio"] >= PARTLY]["parameter"])
    text = (
        f"In words: the fitted record narrows {', '.join(pinned) or 'no single parameter'} "
        f"to less than {PARTLY:.0%} of its prior width; {len(free)} of {len(ident)} keep "
        "about their prior widths."
    )
    moved = ident[ident["shift"].abs() >= MOVED].sort_values("shift", key=abs, ascending=False)
    if len(moved):
        text += (
            " It moves "
            + ", ".join(
                f"{r.parameter} {'up' if r.shift > 0 else 'down'} ({r.shift:+.2f} prior sd)"
                for r in moved.itertuples()
            )
            + "."
        )
    if len(corr) and abs(corr["r"].iloc[0]) >= STRONG:
        ridges = [f"{r.a} with {r.b} ({r.r:+.2f})" for r in corr.itertuples() if abs(r.r) >= STRONG]
        text += " What it does rule out are combinations: " + "; ".join(ridges) + "."
    if len(gens) == 1:
        text += (
            f" Straight from the prior at temperature 1, {gens['acceptance_rate'].iloc[0]:.1%} "
            "of draws were accepted: the record's likelihood averaged over the prior is that "
            "share of its maximum."
        )
    return text + (
        " Predictions carry all of it: they are drawn over the whole posterior, not from one "
        "parameter set."
    )


def correlation_lines(corr: list[dict[str, Any]]) -> list[str]:
    """The strongest trade-offs in Markdown (quoted by the docs)."""
    lines = ["| parameter | parameter | correlation |", "|---|---|---|"]
    lines += [f"| {r['a']} | {r['b']} | {r['r']:+.2f} |" for r in corr]
    return lines


def cost_text(study: dict[str, Any]) -> str:
    """What the study cost, summed over the commands that ran it (``study.json`` sessions)."""
    sessions = study.get("sessions", [])
    if not sessions:
        return "Cost: not recorded."
    wall = sum(s["wall_s"] for s in sessions)
    cpu = sum(s["cpu_s"] for s in sessions)
    sims = sum(s["simulations"] for s in sessions)
    return (
        f"Cost: {sims:,} simulations in {wall / 60:.1f} min wall, {cpu / 3600:.2f} core-hours "
        f"(CPU time, workers included) over {len(sessions)} command(s)."
    )


def report(
    spec: CalibrationSpec,
    targets: list[Target],
    priors: dict[str, Prior],
    tables: dict[str, pd.DataFrame],
    study: dict[str, Any],
) -> tuple[dict[str, Any], str]:
    """The record of a calibration: JSON for machines, Markdown for people."""
    gens, posterior, predictive = tables["generations"], tables["posterior"], tables["predictive"]
    final_t = float(gens["temperature"].iloc[-1])
    done = bool(np.isclose(final_t, 1.0))
    fit = fit_table(spec, targets, predictive)
    ident = identifiability(posterior, priors)
    corr = correlations(posterior, list(priors))
    ess = float(gens["ess"].iloc[-1])
    data = {
        "spec": spec.name,
        "source": study["source"],
        "commands": study["commands"],
        "sessions": study.get("sessions", []),
        "seed": spec.seed,
        "finished": done,
        "final_temperature": final_t,
        "generations": gens.to_dict("records"),
        "fit": fit.to_dict("records"),
        "identifiability": ident.to_dict("records"),
        "correlations": corr.head(TRADE_OFFS).to_dict("records"),
        "ess": ess,
    }
    status = (
        "Finished: the last generation is at temperature 1, so its weighted particles are the "
        "posterior under the record's error model."
        if done
        else f"**Not finished**: the last generation is at temperature {final_t:.3g} > 1; its "
        "draws are a tempered approximation, not yet the posterior. Run the same command to "
        "continue."
    )
    md = [
        f"# Calibration `{spec.name}`",
        "",
        spec.description,
        "",
        "Commands: " + "; ".join(f"`{c}`" for c in study["commands"]) + "  ",
        f"Spec: `{study['source']}`; seed {spec.seed}; {len(priors)} parameters; "
        f"{spec.population_size} particles per generation; {spec.replications} replication(s) "
        f"per particle; pyabc {study['pyabc']}.",
        "",
        status,
        "",
        cost_text(study),
        "",
        "## Generations",
        "",
        "| generation | temperature | particles | evaluated | acceptance | ESS | wall s |",
        "|---|---|---|---|---|---|---|",
    ]
    md += [
        f"| {g['generation']} | {g['temperature']:.3g} | {g['particles']} | {g['evaluated']} | "
        f"{g['acceptance_rate']:.2f} | {g['ess']:.0f} | {g['wall_time_s']:.1f} |"
        for g in gens.to_dict("records")
    ]
    md += [
        "",
        "## Fit and prediction (simulated people, posterior predictive on fresh seeds)",
        "",
        *fit_lines(data["fit"]),
        "",
        "![predictive](predictive.png)",
        "",
        f"## Identifiability (effective sample size {ess:.0f})",
        "",
        *identifiability_lines(data["identifiability"]),
        "",
        f"Strongest trade-offs (weighted correlation across the posterior; the prior has none, "
        f"noise ~{1 / np.sqrt(ess):.2f}):",
        "",
        *correlation_lines(data["correlations"]),
    ]
    md += [
        "",
        in_words(ident, corr, gens),
        "",
        "![pairs](pairs.png)",
    ]
    return data, "\n".join(md) + "\n"


def write_report(
    out: Path,
    spec: CalibrationSpec,
    targets: list[Target],
    priors: dict[str, Prior],
    study: dict[str, Any],
) -> str:
    """Write ``report.json``, ``report.md``, ``pairs.png`` and ``predictive.png`` from the
    study's tables."""
    tables = {
        "generations": pd.read_csv(out / "generations.csv"),
        "posterior": pd.read_parquet(out / "posterior.parquet"),
        "predictive": pd.read_parquet(out / "predictive.parquet"),
    }
    data, md = report(spec, targets, priors, tables, study)
    ident = pd.DataFrame(data["identifiability"])
    keys = pair_keys(ident, pd.DataFrame(data["correlations"], columns=["a", "b", "r"]))
    pair_plot(tables["posterior"], priors, keys, out / "pairs.png")
    predictive_plot(pd.DataFrame(data["fit"]), out / "predictive.png")
    results.write_json(out / "report.json", data)
    results.write_text(out / "report.md", md)
    return md
