"""``strikesim sensitivity``: the options, the report and the exit code of a sensitivity study.

The study itself is :mod:`strikesim.studies.sensitivity`. The spec, the options, every sample
point's config and the output folder are checked before the folder is made, so bad input gets one
line and exit code 2 with nothing written; a folder of the same study is resumed.

The printed table says what the indices were computed on: a count is scaled per capita to the
reference city (``marchers_city_equivalent``), averaged over the seeds of each point.
"""

from __future__ import annotations

import argparse

from strikesim.cli.arguments import (
    MAX_WORKERS,
    Choice,
    CommandParser,
    Integer,
    check_output_folder,
    entry_point,
    output_folder,
    spec_option,
)
from strikesim.cli.messages import bad_input
from strikesim.config import ConfigError
from strikesim.studies import sensitivity

METHOD = Choice(sensitivity.METHODS)
SAMPLES = spec_option(sensitivity.SAMPLES)  # the spec key's own bounds
REPLICATIONS = spec_option(sensitivity.REPLICATIONS)
JOBS = Integer(1, MAX_WORKERS, also=-1)  # joblib's n_jobs; -1: all cores
RESAMPLES = Integer(1, 100_000)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The options of ``strikesim sensitivity``; argparse's refusals are one line (exit code 2)."""
    parser = CommandParser(
        "sensitivity",
        description="Sobol or Morris sensitivity indices of the marchers for named parameters "
        "with ranges (a preset in conf/_sensitivity/ or a YAML file); parallel and resumable.",
    )
    parser.add_argument("spec", nargs="?", default="calls_and_cold", help="preset name or YAML")
    parser.add_argument("overrides", nargs="*", help="config overrides for every run (KEY=VALUE)")
    parser.add_argument(
        "--method", type=METHOD, metavar="{sobol,morris}", help="overrides the preset's method"
    )
    parser.add_argument(
        "--samples", type=SAMPLES, help="base sample size (Sobol) / trajectories (Morris)"
    )
    parser.add_argument(
        "--replications",
        type=REPLICATIONS,
        help="seeds per sample point, the output averaged over them (overrides the preset's)",
    )
    parser.add_argument(
        "--jobs", type=JOBS, default=-1, help="parallel runs (default -1: all cores)"
    )
    parser.add_argument(
        "--resamples", type=RESAMPLES, default=1000, help="bootstrap resamples (1000)"
    )
    parser.add_argument(
        "--out", type=output_folder, help="folder (default: results/sensitivity/<name>-...)"
    )
    args = parser.parse_args(argv)
    if "=" in args.spec:  # no preset named, only overrides: the default preset
        args.spec, args.overrides = parser.get_default("spec"), [args.spec, *args.overrides]
    return args


@entry_point
def main(argv: list[str]) -> int:
    """Entry point of ``strikesim sensitivity``: everything is checked before the folder is made."""
    args = parse_args(argv)
    try:
        spec = sensitivity.load_spec(
            args.spec, args.method, args.samples, args.overrides, args.replications
        )
        command = " ".join(["strikesim", "sensitivity", *argv])
        study = sensitivity.plan_study(spec, args.out, command, args.resamples)
        if args.out is None:
            check_output_folder(study.folder)
        to_run = sensitivity.open_folder(study.plan)
    except ConfigError as exc:
        return bad_input(exc)
    sensitivity.write_spec(study)  # the settings are in the folder while it runs
    total = len(study.plan.jobs)
    seeds = "seed" if spec.replications == 1 else "seeds"
    print(
        f"strikesim: sensitivity {study.folder}: {total} runs, "
        f"{total - len(to_run)} already finished, {len(to_run)} to run "
        f"({len(study.points)} points x {spec.replications} {seeds})",
        flush=True,
    )
    if status := sensitivity.run_points(study, to_run, args.jobs):
        return status
    runs = sensitivity.run_table(study)
    table = sensitivity.indices(study, points=sensitivity.point_table(study, runs))
    written = sensitivity.write_results(study, table, runs)
    print(
        f"{spec.method} indices ({sensitivity.CONFIDENCE:.0%} bootstrap CI) of "
        f"{sensitivity.describe_output(study, runs)}:"
    )
    print(table.drop(columns="output").to_string(index=False, float_format="{:.3f}".format))
    print(f"written: {study.folder}/ {', '.join(p.name for p in written)}")
    return 0
