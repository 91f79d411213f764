"""``strikesim demo``: the options, the URL line and the exit code of the classroom page server.

The server itself is :mod:`strikesim.viz.demo.server`. The port is tried before the server
starts, so an address in use gets one line and exit code 2.
"""

from __future__ import annotations

import argparse

from strikesim.cli.arguments import CommandParser, Integer, entry_point
from strikesim.cli.messages import bad_input
from strikesim.config import ConfigError
from strikesim.viz.demo.server import DEFAULT_HOST, DEFAULT_PORT, free_port, page_url, serve

PORT = Integer(0, 65535)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The options of ``strikesim demo``; argparse's refusals are one line (exit code 2)."""
    parser = CommandParser(
        "demo", description="Serve the classroom demo (a Mesa SolaraViz page) and print its URL."
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
    return parser.parse_args(argv)


@entry_point
def main(argv: list[str]) -> int:
    """Entry point of ``strikesim demo``."""
    args = parse_args(argv)
    try:
        port = free_port(args.host, args.port)
    except ConfigError as exc:
        return bad_input(exc)
    print(f"strikesim demo: open {page_url(args.host, port)}  (Ctrl-C stops it)", flush=True)
    serve(args.host, port)
    return 0
