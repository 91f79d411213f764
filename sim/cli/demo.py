"""``strikesim demo``: serve the classroom page, or ``--export DIR`` it as a static site.

The server is :mod:`strikesim.viz.demo.server`, the export :mod:`strikesim.viz.demo.export`.
The port is tried before the server starts, and an export's folder before anything is
computed, so an address in use or a non-empty folder gets one line and exit code 2.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from strikesim.cli.arguments import CommandParser, Integer, entry_point
from strikesim.cli.messages import bad_input, interrupted
from strikesim.config import ConfigError
from strikesim.results import refuse_existing

PORT = Integer(0, 65535)
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8765


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The options of ``strikesim demo``; argparse's refusals are one line (exit code 2)."""
    parser = CommandParser(
        "demo",
        description="Serve the classroom demo page and print its URL, or export it as a static "
        "site that opens from file:// (no Python needed to view it).",
    )
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})"
    )
    parser.add_argument(
        "--port",
        type=PORT,
        default=DEFAULT_PORT,
        help=f"port (default {DEFAULT_PORT}; 0: any free)",
    )
    parser.add_argument(
        "--export",
        type=Path,
        metavar="DIR",
        help="write the page with precomputed scenes into DIR (new or empty) instead of serving",
    )
    return parser.parse_args(argv)


@entry_point
def main(argv: list[str]) -> int:
    """Entry point of ``strikesim demo``."""
    args = parse_args(argv)
    try:
        if args.export is not None:
            refuse_existing(args.export, "--export")  # before minutes of computing
            try:
                return export(args.export)
            except KeyboardInterrupt as exc:  # the staging folder is gone already
                print(file=sys.stderr)
                return interrupted(exc, f"nothing was written to {args.export}")
        # imported here, not above: the model takes ~2 s to import, and bad input is refused first
        from strikesim.viz.demo.server import free_port, page_url, serve

        port = free_port(args.host, args.port)
    except ConfigError as exc:
        return bad_input(exc)
    url = page_url(args.host, port)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how the teacher stops it
        serve(
            args.host,
            port,
            ready=lambda: print(f"strikesim demo: open {url}  (Ctrl-C stops it)", flush=True),
        )
    return 0


def export(folder: Path) -> int:
    """Write the static site, counting scenes on stderr."""
    from strikesim.viz.demo.export import export_site  # see main: imported once input is good

    def progress(done: int, total: int) -> None:
        print(f"\rstrikesim demo: scene {done}/{total}", end="", file=sys.stderr, flush=True)

    scenes = export_site(folder, progress=progress)
    print(f"\nstrikesim demo: wrote {scenes} scenes to {folder}; open {folder / 'index.html'}")
    return 0
