"""``strikesim animate``: the options, the message and the exit code of an animation.

The animation itself is :mod:`strikesim.viz.animation`. The GIF path and the town are checked
before the first frame is drawn, so bad input gets one line and exit code 2 with nothing written.
"""

from __future__ import annotations

import argparse

from strikesim.cli.arguments import CommandParser, Number, entry_point, gif_file
from strikesim.cli.messages import bad_input
from strikesim.config import ConfigError
from strikesim.viz.animation import DEFAULT_FPS, animate, animation_config

FPS = Number(0.1, 60)  # one day per 10 s to 60 per s; beyond either, no viewer keeps up


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The options of ``strikesim animate``; argparse's refusals are one line (exit code 2)."""
    parser = CommandParser(
        "animate",
        description="Animate the cascade of one scenario on the classroom town: a GIF, and with "
        "--mp4 an MP4 beside it.",
        epilog="example: strikesim animate scenario=ice_out_2026 --out results/ice_out.gif",
    )
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. weather=mild seed=3")
    parser.add_argument("--out", type=gif_file, required=True, help="the GIF to write")
    parser.add_argument(
        "--fps",
        type=FPS,
        default=DEFAULT_FPS,
        help=f"frames (days) per second, 0.1 to 60 ({DEFAULT_FPS:g})",
    )
    parser.add_argument(
        "--mp4",
        action="store_true",
        help="also write an MP4 (H.264) beside the GIF, same name (imageio-ffmpeg's ffmpeg)",
    )
    return parser.parse_args(argv)


@entry_point
def main(argv: list[str]) -> int:
    """Entry point of ``strikesim animate``."""
    args = parse_args(argv)
    try:
        config = animation_config(args.overrides)
    except ConfigError as exc:
        return bad_input(exc)
    try:
        written = animate(config, args.out, args.fps, mp4=args.mp4)
    except OSError as exc:  # checked writable before; a full disk can still fail (atomic writes)
        return bad_input(
            f"--out={args.out}: writing failed ({exc.strerror or exc}); allowed: a writable "
            "folder with space"
        )
    for path in written:
        print(f"wrote {path}")
    return 0
