"""``strikesim rerun DIR``: run a recorded run again and say whether it comes out bit-identical.

The rerun itself is :mod:`strikesim.studies.rerun`. By default it is a check and writes nothing;
``--out NEWDIR`` publishes the rerun as a new run folder (never into DIR, never over anything).
Exit codes: 0 identical, 1 different, 2 bad input (one line, nothing run or written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from strikesim import results
from strikesim.cli.arguments import CommandParser, entry_point, output_folder
from strikesim.cli.messages import EXIT_FAILED, bad_input, guarded, sigterm_as_interrupt
from strikesim.config import ConfigError
from strikesim.studies.rerun import differences, load_run, provenance_notes, simulate_again

EXIT_IDENTICAL = 0
EXIT_DIFFERENT = EXIT_FAILED


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The options of ``strikesim rerun``; argparse's refusals are one line (exit code 2)."""
    parser = CommandParser(
        "rerun",
        description="Run a recorded run again from its config.yaml and compare it with the "
        "record: exit 0 when every outcome and every time-series value is bit-identical, 1 when "
        "any differs (each difference listed), 2 for bad input. Differences in code, library "
        "versions or data files are reported before the run.",
    )
    parser.add_argument("folder", type=Path, metavar="DIR", help="a run folder or sweep job folder")
    parser.add_argument(
        "--out",
        type=output_folder,
        metavar="NEWDIR",
        help="also publish the rerun as a new run folder (new or empty; default: write nothing)",
    )
    return parser.parse_args(argv)


def check_out(out: Path, folder: Path) -> None:
    """``--out`` must be a new or empty folder outside DIR: a rerun never writes into its record."""
    inside = out.resolve(), *out.resolve().parents
    if folder.resolve() in inside:
        raise ConfigError(
            f"--out={out} is inside the rerun's folder {folder}; allowed: a new folder elsewhere "
            "(the record is never written to)"
        )
    results.refuse_existing(out, "--out")


@entry_point
def main(argv: list[str]) -> int:
    """Entry point of ``strikesim rerun``: checks everything, reports provenance, runs, compares."""
    args = parse_args(argv)
    folder: Path = args.folder
    out: Path | None = args.out
    try:
        recorded = load_run(folder)
        if out is not None:
            check_out(out, folder)
    except ConfigError as exc:
        return bad_input(exc)
    from strikesim.run import publish_run
    from strikesim.viz.turnout import save_turnout_plot

    found: list[str] = []

    def work() -> int:
        notes = provenance_notes(recorded)
        print(f"rerun of {folder} (seed {recorded.config.seed})")
        for note in notes:
            print(f"  differs from the record: {note}")
        if not notes:
            print("  same code, dependency versions and data files as recorded")
        sys.stdout.flush()
        result = simulate_again(recorded)  # may still find bad input: an unreadable graph file
        found.extend(differences(recorded, result))
        if out is not None:
            publish_run(result, out, key="--out", figures=[save_turnout_plot])
        return 0

    with sigterm_as_interrupt():
        if code := guarded(work, lambda: out, what="rerun"):
            return code
    if found:
        print(f"different: {len(found)} difference(s) from the record")
        for line in found:
            print(f"  {line}")
    else:
        rows = recorded.timeseries.num_rows
        print(
            "identical: every outcome in summary.json and all "
            f"{rows:,} rows of timeseries.parquet are bit-identical to the record"
        )
    if out is not None:
        print(f"  rerun published in {out}")
    return EXIT_DIFFERENT if found else EXIT_IDENTICAL
