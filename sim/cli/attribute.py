"""``strikesim attribute``: the options, the report and the exit code of an attribution.

The attribution itself is :mod:`strikesim.studies.attribute`. Options and overrides are checked
before any run: one run per sub-coalition and seed can take hours, so a typo must not wait for it.
With ``--out`` the folder gets the tables, the sub-coalition runs, the base config, the
provenance and a figure (:func:`strikesim.studies.attribute.write_attribution`).

With the shipped ``behavior=posterior`` each seed is one posterior draw, so ``--seeds`` is also
the number of draws behind the intervals and rank probabilities; with ``behavior=default`` the
seeds are noise replications at one parameter set.
"""

from __future__ import annotations

import argparse
import shlex

from strikesim.cli.arguments import WORKERS, CommandParser, Integer, entry_point, output_folder
from strikesim.cli.messages import bad_input
from strikesim.config import ConfigError
from strikesim.studies.attribute import (
    DEFAULT_PERMUTATIONS,
    EXACT_MAX_PLAYERS,
    attribution_config,
    render,
    run_attribution,
    write_attribution,
)

SEEDS = Integer(1, 100_000)  # each seed is 2^n runs (exact) or more: beyond this, a typo
PERMUTATIONS = Integer(1, 100_000)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The options of ``strikesim attribute``; argparse's refusals are one line (exit code 2)."""
    parser = CommandParser(
        "attribute",
        description="How many marchers did each endorsing organization bring? Leave-one-out and "
        "Shapley attribution over the coalition, on common random numbers. With a posterior "
        "(behavior=posterior, the default) each seed is one posterior draw: intervals and rank "
        "probabilities over draws; with behavior=default, means over noise replications.",
    )
    parser.add_argument(
        "overrides", nargs="*", help="config overrides (scenario=..., coalition=...)"
    )
    parser.add_argument(
        "--seeds",
        type=SEEDS,
        default=10,
        help="seeds 0..N-1 (default 10); with a posterior, one draw each: use 32 or more for "
        "rank probabilities",
    )
    parser.add_argument(
        "--permutations",
        type=PERMUTATIONS,
        help=f"sampled orders per seed (default: exact Shapley up to {EXACT_MAX_PLAYERS} "
        f"endorsers, else {DEFAULT_PERMUTATIONS})",
    )
    parser.add_argument("--workers", type=WORKERS, default=1, help="parallel processes (default 1)")
    parser.add_argument(
        "--out",
        type=output_folder,
        help="folder for the tables, sub-coalition runs, config, provenance, figure and report",
    )
    return parser.parse_args(argv)


@entry_point
def main(argv: list[str]) -> int:
    """Entry point of ``strikesim attribute``: options and overrides checked before any run."""
    args = parse_args(argv)
    try:
        config = attribution_config(args.overrides)
    except ConfigError as exc:
        return bad_input(exc)
    result = run_attribution(
        config, list(range(args.seeds)), permutations=args.permutations, workers=args.workers
    )
    command = "strikesim attribute " + shlex.join(argv)
    text = render(result.per_seed, config, result.method, command)
    print(text)
    if args.out:
        written = write_attribution(args.out, result, text, command)
        print(f"written: {args.out}/ {', '.join(p.name for p in written)}")
    return 0
