"""``strikesim calibrate``: the options, the progress lines, the report and the exit code.

The study is :mod:`strikesim.studies.calibrate`, its spec
:mod:`~strikesim.studies.calibration_spec` and its report
:mod:`~strikesim.studies.calibration_report`. The spec, the options and every target's config at
both ends of every prior are checked before the study starts, so bad input gets one line and exit
code 2 with nothing written; running the same command again resumes the study.
"""

from __future__ import annotations

import argparse
import functools
import shlex

from strikesim.cli.arguments import (
    WORKERS,
    CommandParser,
    check_output_folder,
    entry_point,
    output_folder,
    spec_option,
)
from strikesim.cli.messages import bad_input
from strikesim.config import ConfigError
from strikesim.studies import calibrate, calibration_report, calibration_spec

TRIALS = spec_option(calibration_spec.TRIALS)  # the spec keys' own bounds
REPLICATIONS = spec_option(calibration_spec.REPLICATIONS)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The options of ``strikesim calibrate``; argparse's refusals are one line (exit code 2)."""
    parser = CommandParser(
        "calibrate",
        description="Search uncertain behaviour parameters for settings whose simulated marchers "
        "match the record (ABC rejection with Optuna; parallel and resumable).",
    )
    parser.add_argument(
        "spec",
        nargs="?",
        default="ice_out_2026",
        help=f"a spec name ({', '.join(calibration_spec.spec_names())}) or YAML file",
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
        spec = calibration_spec.load_spec(
            args.spec, trials=args.trials, replications=args.replications, extra=args.overrides
        )
        out = args.out or check_output_folder(calibrate.default_folder(spec))
    except ConfigError as exc:
        return bad_input(exc)
    command = "strikesim calibrate " + shlex.join(argv)
    print(f"calibrating {spec.name}: {spec.trials} candidates x {spec.replications} seeds -> {out}")
    table = calibrate.run_study(
        spec,
        out,
        trials=spec.trials,
        workers=args.workers,
        extra=args.overrides,
        progress=functools.partial(print, flush=True),
    )
    data, md = calibration_report.report(spec, table, command)
    calibration_report.write_report(out, table, data, md)
    print(md)
    return 0
