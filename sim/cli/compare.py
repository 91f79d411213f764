"""``strikesim compare``: the options, the report and the exit code of a sweep comparison.

The comparison itself is :mod:`strikesim.studies.compare`. Every input — options, sweep files,
time series, the output folder — is read and checked before the first write, so bad input gets
one line and exit code 2 with nothing written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from strikesim.cli.arguments import (
    CommandParser,
    check_output_folder,
    entry_point,
    key_value,
    non_negative_finite_float,
    non_negative_int,
    output_folder,
)
from strikesim.cli.messages import bad_input
from strikesim.config import ConfigError
from strikesim.studies.compare import (
    CI_METHODS,
    DEFAULT_CURVES,
    DEFAULT_OUTCOME,
    OUTCOME_ALIASES,
    compare_sweeps,
    format_report,
    write_outputs,
)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The options of ``strikesim compare``; argparse's refusals are one line (exit code 2)."""
    parser = CommandParser(
        "compare",
        description="Compare the jobs of one or more sweeps by factor level: an outcome's mean "
        "with its 95% CI, its median and 90% interval over the runs (a predictive interval "
        "over posterior draws when the jobs ran behavior.posterior, the spread over seeds for a "
        "fixed point set), P(outcome >= target) with a Wilson interval, differences paired by "
        "seed overall and at each level of the other factors (95% CI of the mean and 90% "
        "interval), a text table to cite (comparison.txt) and figures (PNG and SVG). A sweep "
        "varying only the seed gives the spread of its replications.",
    )
    parser.add_argument("sweeps", nargs="+", type=Path, help="sweep folders (results/sweeps/...)")
    parser.add_argument("--by", nargs="+", metavar="KEY", help="factors (default: all but seed)")
    aliases = ", ".join(f"{a} = {k}" for a, k in OUTCOME_ALIASES.items())
    parser.add_argument(
        "--outcome",
        default=DEFAULT_OUTCOME,
        metavar="KEY",
        help=f"numeric outcome to compare, a column of results.parquet / summary.json "
        f"(default: {DEFAULT_OUTCOME}; {aliases})",
    )
    parser.add_argument(
        "--target",
        type=non_negative_finite_float,
        help="value of the outcome to reach, in its unit (default for marchers: each run's "
        "published figure, scaled per capita; other outcomes: none)",
    )
    parser.add_argument(
        "--ci",
        choices=CI_METHODS,
        default="bootstrap",
        help="95%% CI of means and differences: seeded percentile bootstrap over replications "
        "(default) or Student's t (better with fewer than ~10 replications)",
    )
    parser.add_argument(
        "--reference",
        nargs="+",
        default=[],
        type=key_value,
        metavar="KEY=VALUE",
        help="reference level per factor",
    )
    parser.add_argument(
        "--out", type=output_folder, help="output folder (default: <first sweep>/comparison)"
    )
    parser.add_argument(
        "--curves",
        type=non_negative_int,
        default=DEFAULT_CURVES,
        metavar="N",
        help=f"time series read per level ({DEFAULT_CURVES}; 0: no curves)",
    )
    return parser.parse_args(argv)


@entry_point
def main(argv: list[str]) -> int:
    """Entry point of ``strikesim compare``: every input is read and checked before any write."""
    args = parse_args(argv)
    try:
        result = compare_sweeps(
            args.sweeps,
            by=args.by,
            target=args.target,
            references=args.reference,
            curves=args.curves,
            outcome=args.outcome,
            ci=args.ci,
        )
        out = args.out or check_output_folder(args.sweeps[0] / "comparison")
    except ConfigError as exc:
        return bad_input(exc)
    try:
        write_outputs(out, result)
    except OSError as exc:  # checked writable above; a full disk or a race can still fail
        return bad_input(
            f"--out={out}: writing failed ({exc.strerror or exc}); allowed: a folder that can "
            "be written, on a disk with space"
        )
    print(format_report(result, out))
    return 0
