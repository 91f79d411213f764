"""Serve the classroom page with Solara's own server, offline and local (``strikesim demo``).

Solara's front-end files come from the ``solara-assets`` package (no CDN), its telemetry and
version check are switched off, and the server binds 127.0.0.1 unless a host says otherwise.
:func:`free_port` refuses an address or port that cannot be listened on (ConfigError), before
the slow import of the server; :func:`serve` runs until stopped. The command line parses, prints
and exits.
"""

from __future__ import annotations

import os
import socket

from strikesim.config import ConfigError

APP = "strikesim.viz.demo.app"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def offline_environment() -> None:
    """Solara settings read from the environment when its server module is imported."""
    os.environ["SOLARA_APP"] = APP
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    os.environ.setdefault("SOLARA_CHECK_VERSION", "False")
    os.environ.setdefault("SOLARA_THEME_SHOW_BANNER", "False")


def free_port(host: str, port: int) -> int:
    """``port`` (or, for 0, a free one) if ``host`` can listen on it; else ConfigError.

    Tried with a socket of our own so that a port in use is one line, not uvicorn's traceback.
    """
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
            probe.bind((host, port))
            return probe.getsockname()[1]
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on --host={host} --port={port} "
            f"({exc.strerror}); allowed: a local address and a free port"
        ) from None


def page_url(host: str, port: int) -> str:
    """The page's address; an IPv6 host goes in brackets."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def serve(host: str, port: int) -> None:
    """Serve the page on ``host:port`` until stopped (Ctrl-C)."""
    offline_environment()
    import uvicorn

    os.environ["SERVER_NAME"], os.environ["SERVER_PORT"] = host, str(port)
    uvicorn.run("solara.server.starlette:app", host=host, port=port, log_level="warning")
