"""Regenerate docs/scenarios.md: simulated marchers for every comparison scenario over N seeds.

    nice -n 5 .venv/bin/python docs/make_scenarios.py [--seeds 300] [--scale 10] [--workers 2]
    .venv/bin/python docs/make_scenarios.py --render-only   # the page again from scenarios.csv

Runs use the shipped behaviour (``behavior=posterior``): each seed draws one row of the recorded
posterior (docs/calibration.md), so N seeds are N posterior predictive draws and a cell's 5-95%
bracket is a 90% predictive interval — parameter uncertainty plus simulation noise, the range a
reader should quote beside the median. With ``behavior=default`` in the composition it would be
the spread of seeds at one fixed parameter set; the page says which, from the runs' summaries.

Every scenario runs with seeds 0..N-1; the scenarios of one seed share its city, its random
numbers (strikesim.streams) and its posterior draw, so the paired difference to 13 Feb is the
scenario's effect under that draw, not noise. The six runs of a seed go to
:func:`strikesim.run.simulate_many` together, which builds that city once: 300 seeds of all six
at the metro 1:10 took 7.5 min wall on 2 cores (2026-11-27), instead of ~6 x 1-2 s a seed.
Each run is a dated campaign
(``scenario.start_date`` to ``scenario.date``) with the documented action days in between; the
table gives the day modelled and, beside it, the earlier action days of the same runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from strikesim import results
from strikesim.compose import compose_config
from strikesim.run import simulate_many
from strikesim.scenarios.posteriors import posterior_rows

BASELINE = "ice_out_2026"
SCENARIOS = [
    BASELINE,
    "ice_out_2026_warm",
    "ice_out_2026_narrow",
    "ice_out_2026_no_schools",
    "day_of_truth_2026_01_23",
    "march_2026_01_10",
]
OUT = Path(__file__).parent / "scenarios.md"
CALIBRATION_PREDICTIVE = Path(__file__).parent / "calibration/campaign_2026/predictive.parquet"
"""The 13 Feb posterior predictive of docs/calibration.md (one fresh seed per draw), which the
baseline row of the table should reproduce within sampling noise."""
BOOTSTRAP_RESAMPLES = 2000
WIDTH = 96


def one_seed(job: tuple[int, int]) -> list[dict]:
    """The rows of every scenario on one seed: one city, one posterior draw, six campaigns."""
    seed, scale = job
    configs = [
        compose_config([f"scenario={name}", f"population.scale={scale}", f"seed={seed}"])
        for name in SCENARIOS
    ]
    return [
        row(config.scenario.description, run.summary)
        for config, run in zip(configs, simulate_many(configs), strict=True)
    ]


def row(description: str, s: dict) -> dict:
    """One run's line of docs/scenarios.csv."""
    observed = s["observed"]  # per capita of the run's population, as the summary compares
    earlier = {f"marchers@{e['date']} {e['kind']}": e["marchers"] for e in s["events"][:-1]}
    posterior = s.get("posterior") or {}
    return {
        "scenario": s["scenario"],
        "seed": s["seed"],
        "scale": s["scale"],
        "posterior": posterior.get("name", ""),
        "draw": posterior.get("draw", -1),
        "description": description,
        "weather": s["weather"],
        "coalition": f"{s['coalition']} ({len(s['endorsers'])})",
        "people": s["people"],
        "marchers": s["marchers"],
        "strikers": s["striking_workers"],
        "published": observed["marchers"],
        "published_low": observed["low"],
        "published_high": observed["high"],
        **earlier,
    }


def interval(values: pd.Series) -> str:
    """Median and, in brackets, the 5th-95th percentile: a central 90% interval."""
    q05, q50, q95 = np.quantile(values, [0.05, 0.5, 0.95])
    return f"{q50:,.0f} ({q05:,.0f} to {q95:,.0f})"


def published(row: pd.Series) -> str:
    low, high, best = row["published_low"], row["published_high"], row["published"]
    span = f"{best:,}" if low == high else f"~{best:,} ({low:,}-{high:,})"
    return f"{span} marchers"


def earlier_days(runs: pd.DataFrame) -> str:
    """The earlier action days of these runs: date, kind and median marchers (5-95%)."""
    columns = [c for c in runs.columns if c.startswith("marchers@") and runs[c].notna().all()]
    return "; ".join(f"{c.removeprefix('marchers@')}: {interval(runs[c])}" for c in columns) or "—"


def table(runs: pd.DataFrame) -> str:
    baseline = runs[runs["scenario"] == BASELINE].set_index("seed")
    base = baseline["marchers"]
    lines = [
        "| scenario | weather | coalition (endorsers) | people | simulated marchers | "
        "simulated strikers | paired change vs 13 Feb | published (per capita) | "
        "earlier action days of the run (simulated marchers) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in SCENARIOS:
        r = runs[runs["scenario"] == name].sort_values("seed")
        first = r.iloc[0]
        change = "—"
        if first["people"] == baseline["people"].iloc[0] and name != BASELINE:
            diff = r.set_index("seed")["marchers"] - base
            change = interval(diff)
        lines.append(
            f"| `{name}` | {first['weather']} | {first['coalition']} | {first['people']:,} | "
            f"{interval(r['marchers'])} | {interval(r['strikers'])} | {change} | "
            f"{published(first)} | {earlier_days(r)} |"
        )
    return "\n".join(lines)


def posterior_name(runs: pd.DataFrame) -> str:
    """The posterior every run drew from, or "" for a fixed point set (mixed: refused, since
    one header cannot describe both)."""
    names = runs["posterior"].fillna("").astype(str).unique() if "posterior" in runs else [""]
    if len(names) != 1:
        raise ValueError(f"runs drew from several posteriors: {sorted(names)}")
    return str(names[0])


def quantile_difference_ci(
    ours: np.ndarray, theirs: np.ndarray, q: float, seed: int = 0
) -> tuple[float, float]:
    """Seeded percentile-bootstrap 95% CI of ``quantile(ours, q) - quantile(theirs, q)``, both
    samples resampled: each is a finite set of draws, and a tail quantile of a few hundred draws
    rests on the ~5% beyond it, so sampling noise alone moves it a lot."""
    rng = np.random.default_rng(seed)
    ours, theirs = np.asarray(ours, float), np.asarray(theirs, float)
    mine = rng.integers(0, len(ours), size=(BOOTSTRAP_RESAMPLES, len(ours)))
    other = rng.integers(0, len(theirs), size=(BOOTSTRAP_RESAMPLES, len(theirs)))
    differences = np.quantile(ours[mine], q, axis=1) - np.quantile(theirs[other], q, axis=1)
    low, high = np.quantile(differences, [0.025, 0.975])
    return float(low), float(high)


def calibration_comparison(runs: pd.DataFrame, reference: pd.Series | None) -> str:
    """A section setting the table's 13 Feb against the calibration's posterior predictive: the
    same quantity from an independent set of draws, so each quantile should differ by no more
    than sampling noise (a 95% bootstrap interval of the difference that contains 0)."""
    if reference is None or reference.empty:
        return ""
    ours = runs.loc[runs["scenario"] == BASELINE, "marchers"].to_numpy(float)
    theirs = reference.to_numpy(float)
    cells, agree = [], True
    for q, name in ((0.5, "median"), (0.05, "5th percentile"), (0.95, "95th percentile")):
        low, high = quantile_difference_ci(ours, theirs, q)
        inside = low <= 0 <= high
        agree &= inside
        cells.append(
            f"| {name} | {np.quantile(ours, q):,.0f} | {np.quantile(theirs, q):,.0f} | "
            f"{low:+,.0f} to {high:+,.0f} | {'yes' if inside else 'no'} |"
        )
    fit = recorded_fit()
    rule = (
        "The calibration's quantiles are recomputed here from its draws with numpy's linear "
        "percentiles, so they can differ slightly from docs/calibration.md's "
        f"({fit['predicted_median']:,.0f}; {fit['predicted_q05']:,.0f}-"
        f"{fit['predicted_q95']:,.0f})."
    )
    verdict = (
        "Every interval contains 0: the table and the calibration agree within sampling noise."
        if agree
        else "Not every interval contains 0: where it does not (no), the two differ by more "
        "than the sampling noise of this many draws explains."
    )
    intro = (
        '`ice_out_2026` above is the held-out prediction of docs/calibration.md ("The '
        f'headline") drawn again: {len(ours)} seeds here, each with its posterior draw taken by '
        f"seed, against the {len(theirs)} draws of "
        "`docs/calibration/campaign_2026/predictive.parquet` (each draw on a fresh seed). The "
        "last columns are the seeded percentile-bootstrap 95% interval of the difference "
        f"(table minus calibration; both samples resampled, {BOOTSTRAP_RESAMPLES:,} times) and "
        "whether it contains 0."
    )
    return f"""
## 13 Feb against the calibration's posterior predictive

{wrap(intro)}

| 13 Feb marchers | this table | calibration | difference, 95% bootstrap interval | consistent |
|---|---|---|---|---|
{chr(10).join(cells)}

{wrap(verdict + " " + rule)}
"""


def wrap(paragraph: str) -> str:
    """A paragraph at the page's width, markdown spans left whole."""
    return textwrap.fill(paragraph, WIDTH, break_long_words=False, break_on_hyphens=False)


def header(runs: pd.DataFrame) -> str:
    """What a cell's numbers are: over posterior draws (the shipped behaviour) or over seeds
    of one fixed parameter set — the same brackets mean different things."""
    seeds, scale = runs["seed"].nunique(), int(runs["scale"].iloc[0])
    first, last = int(runs["seed"].min()), int(runs["seed"].max())
    posterior = posterior_name(runs)
    if posterior:
        draws = runs.loc[runs["scenario"] == BASELINE, "draw"].nunique()
        what = (
            f"Behaviour is the shipped posterior (`behavior=posterior`, `{posterior}`; "
            "docs/calibration.md): each seed draws one row of "
            f"`scenarios/calibration/{posterior}_posterior.csv` by its seed ({draws} distinct "
            f"rows among {seeds} seeds), so each seed is a posterior predictive draw. Cells give "
            "the median and, in brackets, the **90% predictive interval** (5th-95th percentile "
            "over draws): the parameter uncertainty left by the calibration plus simulation "
            'noise. "Paired change" is the per-seed difference to `ice_out_2026` on the same '
            "city, random numbers and posterior draw (common random numbers): the scenario's "
            "effect, and its 90% interval over the posterior."
        )
    else:
        what = (
            "Behaviour is a fixed point set (`behavior=default`): cells give the median and, in "
            "brackets, the 5-95% spread over seeds — simulation noise only, no parameter "
            'uncertainty. "Paired change" is the per-seed difference to `ice_out_2026` on the '
            "same city and random numbers (common random numbers): the scenario's effect "
            "without seed noise."
        )
    command = f"`docs/make_scenarios.py --seeds {seeds} --scale {scale}`"
    return wrap(
        f"Generated by {command} — do not edit by hand. Each scenario ran with seeds "
        f"{first}..{last} at `population.scale={scale}` (one agent stands for {scale} people; "
        f"every number is in people). {what} Each run is the campaign from its `start_date` to "
        "its `date`, with the documented action days in between (the 10 Jan march, the 23 Jan "
        "strike): their simulated marchers are in the last column. Published figures are scaled "
        "per capita to the run's population, as each run's summary compares them."
    )


def render(runs: pd.DataFrame, reference: pd.Series | None = None) -> str:
    """The page, from the runs alone (so ``--render-only`` rebuilds it from the CSV)."""
    descriptions = "\n".join(
        f"- `{name}`: {runs[runs['scenario'] == name].iloc[0]['description']}" for name in SCENARIOS
    )
    return f"""# Scenarios for comparison

{header(runs)}

{table(runs)}
{calibration_comparison(runs, reference)}
## The scenarios (`conf/scenario/`, sources in each file)

{descriptions}

## Reading the table

- The three counterfactuals of 13 Feb change one thing each: the weather (40 °F instead of
  8 °F), the coalition (unions only: UFCW 663 and the two SEIU locals) and the school walkouts.
- Weather changes who marches, not who commits: the warm day has the same strikers as 13 Feb
  and more marchers. The school walkouts and the coalition change who commits; the paired
  change says by how much under the same posterior draw.
{effects(runs)}
- The intervals are wide because the record (10 Jan, 23 Jan) leaves the parameters that only
  13 Feb exercises near their priors (docs/calibration.md, "Identifiability"); a paired change
  is narrower than the difference of two brackets, since both runs share the draw.
- `day_of_truth_2026_01_23` is the documented predecessor (-20 °F, indoor refuge, the documented
  roster); its published estimates run from "over 15,000" (CGTN) to ">50,000" (Labor Notes).
  It is also an earlier action day of every 13 Feb run (last column): the same day, run on the
  way to 13 Feb rather than as the day modelled.{lead_note(runs)}
- There are no historical presets (Seattle 1919, Minneapolis 1934, Oakland 1946) on purpose:
  played on this model they came out 2.5-16x below their published numbers, because the model has
  no binding strike order and no unions or city of their era. See `docs/model.md`, "Historical
  general strikes: why they are not presets".
"""


def _paired(runs: pd.DataFrame, name: str, column: str = "marchers") -> pd.Series:
    """Per seed: ``column`` of scenario ``name`` minus the baseline's (same seed, same draw)."""
    base = runs[runs["scenario"] == BASELINE].set_index("seed")[column]
    return runs[runs["scenario"] == name].set_index("seed")[column] - base


def effects(runs: pd.DataFrame) -> str:
    """Two bullets, computed from the runs so they cannot go stale: how often each commitment
    counterfactual lowers 13 Feb, and how often the unions-only call barely matters."""
    base = runs[runs["scenario"] == BASELINE].set_index("seed")["marchers"]
    no_schools = _paired(runs, "ice_out_2026_no_schools")
    narrow = _paired(runs, "ice_out_2026_narrow")
    small = (narrow.abs() < 0.05 * base).mean()
    lower = (narrow < 0).mean()
    return wrap(
        f"- Without the school walkouts 13 Feb has fewer marchers in {(no_schools < 0).mean():.0%} "
        f"of the draws (median change {no_schools.median():+,.0f}). The unions-only call has "
        f"fewer in {lower:.0%}, but by less than 5% of the day's marchers in {small:.0%} of the "
        f"draws (median {narrow.median():+,.0f}): under most of the posterior the calls of the "
        "other endorsers (faith groups, educators) add little to 13 Feb beyond what the rest of "
        "the campaign brings."
    ).replace("\n", "\n  ")


def lead_note(runs: pd.DataFrame) -> str:
    """Why the 10 Jan march of the 23 Jan preset can differ from the other runs' on a seed."""
    column = "marchers@2026-01-10 march"
    if column not in runs:
        return ""
    history = runs[runs["scenario"] == BASELINE].set_index("seed")[column]
    preset = runs[runs["scenario"] == "day_of_truth_2026_01_23"].set_index("seed")[column]
    different = history.index[history != preset]
    if not len(different) or not posterior_name(runs):
        return ""
    rows = posterior_rows(posterior_name(runs))
    draws = runs[runs["scenario"] == BASELINE].set_index("seed")["draw"]
    leads = sorted({int(rows[int(draws[seed])]["scenario.call_lead_days"]) for seed in different})
    shortest = leads[0]
    return "\n  " + wrap(
        f"On {len(different)} of {len(history)} seeds its 10 Jan march differs from that of the "
        "13 Feb runs: the posterior's `scenario.call_lead_days` sets the lead of each preset's "
        f"own day, and these seeds drew leads of {', '.join(map(str, leads))} days, so the "
        f"preset calls 23 Jan from {23 - shortest} Jan on, around the 10 Jan march, while inside "
        "a 13 Feb run 23 Jan keeps its documented lead (`scenarios/data/events.csv`)."
    ).replace("\n", "\n  ")


def recorded_fit() -> dict:
    """The calibration report's fit row of 13 Feb's marchers (its quoted median and interval)."""
    report = json.loads(CALIBRATION_PREDICTIVE.with_name("report.json").read_text())
    return next(
        r for r in report["fit"] if r["event"] == BASELINE and r["observable"] == "marchers"
    )


def calibration_reference() -> pd.Series | None:
    """13 Feb's marchers over the calibration's predictive draws, or None if not recorded."""
    if not CALIBRATION_PREDICTIVE.is_file():
        return None
    return pd.read_parquet(CALIBRATION_PREDICTIVE)[f"{BASELINE}.marchers"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=300)
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--render-only", action="store_true", help="re-write the page from docs/scenarios.csv"
    )
    args = parser.parse_args()
    if args.render_only:
        runs = pd.read_csv(OUT.with_suffix(".csv"))
    else:
        jobs = [(seed, args.scale) for seed in range(args.seeds)]
        done: list[dict] = []
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            for n, rows in enumerate(pool.map(one_seed, jobs), start=1):
                done += rows
                if n % 20 == 0 or n == len(jobs):
                    print(f"{n}/{len(jobs)} seeds", file=sys.stderr, flush=True)
        runs = pd.DataFrame(done)
        results.atomic_write(
            OUT.with_suffix(".csv"), lambda tmp: runs.to_csv(tmp, index=False, lineterminator="\n")
        )
    results.write_text(OUT, render(runs, calibration_reference()))
    print(OUT.read_text())


if __name__ == "__main__":
    main()
