"""``strikesim demo``: serve the classroom page with Solara's own server, offline and local.

Solara's front-end files come from the ``solara-assets`` package (no CDN), its telemetry and
version check are switched off, and the server binds 127.0.0.1 unless ``--host`` says otherwise.
"""

from __future__ import annotations

import argparse
import os
import socket

from strikesim.cli.arguments import CommandParser, Integer, entry_point
from strikesim.cli.messages import bad_input

APP = "strikesim.viz.demo.app"
DEFAULT_PORT = 8765
PORT = Integer(0, 65535)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = CommandParser(
        "demo", description="Serve the classroom demo (a Mesa SolaraViz page) and print its URL."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port",
        type=PORT,
        default=DEFAULT_PORT,
        help=f"port (default {DEFAULT_PORT}; 0: any free)",
    )
    return parser.parse_args(argv)


def offline_environment() -> None:
    """Solara settings read from the environment when its server module is imported."""
    os.environ["SOLARA_APP"] = APP
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    os.environ.setdefault("SOLARA_CHECK_VERSION", "False")
    os.environ.setdefault("SOLARA_THEME_SHOW_BANNER", "False")


@entry_point
def main(argv: list[str]) -> int:
    """Entry point of ``strikesim demo``."""
    args = parse_args(argv)
    try:
        with socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
            probe.bind((args.host, args.port))
            port = probe.getsockname()[1]
    except OSError as exc:
        return bad_input(
            f"cannot listen on --host={args.host} --port={args.port} "
            f"({exc.strerror}); allowed: a local address and a free port"
        )
    offline_environment()
    import uvicorn

    os.environ["SERVER_NAME"], os.environ["SERVER_PORT"] = args.host, str(port)
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"strikesim demo: open http://{host}:{port}/  (Ctrl-C stops it)", flush=True)
    uvicorn.run("solara.server.starlette:app", host=args.host, port=port, log_level="warning")
    return 0
