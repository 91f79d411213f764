"""``strikesim calibrate``: the options, the progress lines, the report and the exit code.

The study is :mod:`strikesim.studies.calibrate` (ABC-SMC on pyabc), its spec
:mod:`~strikesim.studies.calibration_spec` and its report
:mod:`~strikesim.studies.calibration_report`. The spec, the options, every run's config with
each key at both ends of its prior and the study folder are checked before the study starts,
so bad input gets one line and exit code 2 with nothing written. Running the same command again
resumes the study from its last finished generation; a different spec or option on the same
folder is refused, and so is a second command on a folder another one is working on (a lock,
held to the end).
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
from strikesim.studies import calibrate, calibration_spec

OPTIONS = {  # option -> the spec key it replaces, with that key's own bounds
    "population_size": calibration_spec.POPULATION_SIZE,
    "max_generations": calibration_spec.MAX_GENERATIONS,
    "replications": calibration_spec.REPLICATIONS,
    "seed": calibration_spec.SEED,
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The options of ``strikesim calibrate``; argparse's refusals are one line (exit code 2)."""
    parser = CommandParser(
        "calibrate",
        description="Fit the uncertain parameters to the documented events by ABC-SMC (pyabc): "
        "a posterior of weighted draws, predictions with intervals; parallel and resumable.",
    )
    parser.add_argument(
        "spec",
        nargs="?",
        default="campaign_2026",
        help=f"a spec name ({', '.join(calibration_spec.spec_names())}) or YAML file",
    )
    parser.add_argument(
        "overrides", nargs="*", help="extra config overrides for every run, e.g. population.scale=5"
    )
    for key, bounds in OPTIONS.items():
        parser.add_argument(
            f"--{key.replace('_', '-')}",
            dest=key,
            type=spec_option(bounds),
            help=f"replaces the spec's {key}",
        )
    parser.add_argument(
        "--workers", type=WORKERS, default=1, help="parallel processes (results do not change)"
    )
    parser.add_argument(
        "--out",
        type=output_folder,
        help="study folder (default results/calibration/SPEC); new, or a study to resume",
    )
    args = parser.parse_args(argv)
    if "=" in args.spec:  # `strikesim calibrate population.scale=20`: an override, default spec
        args.overrides.insert(0, args.spec)
        args.spec = parser.get_default("spec")
    return args


@entry_point
def main(argv: list[str]) -> int:
    """Entry point of ``strikesim calibrate``: spec, options and folder checked before the study."""
    args = parse_args(argv)
    command = "strikesim calibrate " + shlex.join(argv)
    try:
        spec = calibration_spec.load_spec(
            args.spec,
            options={key: getattr(args, key) for key in OPTIONS},
            extra=args.overrides,
        )
        out = args.out or check_output_folder(calibrate.default_folder(spec))
        calibrate.check_folder(out)  # before the lock file is written into it
        with calibrate.study_lock(out):
            resumed = calibrate.open_study(spec, out, command)
            print(
                f"{'resuming' if resumed else 'calibrating'} {spec.name}: "
                f"{spec.population_size} particles per generation, up to "
                f"{spec.max_generations} generations -> {out}",
                flush=True,
            )
            calibrate.run_study(
                spec,
                out,
                resume=resumed,
                workers=args.workers,
                progress=functools.partial(print, flush=True),
            )
    except ConfigError as exc:
        return bad_input(exc)
    print((out / "report.md").read_text(encoding="utf-8"))
    return 0
