"""Serve the classroom page from this process (``strikesim demo``): static files plus JSON.

Why not a Solara/SolaraViz page: it took ~20 s to a usable page, held 15-40 MiB per page load
for a day and printed a cookie warning per load; and a page for a class must also work with no
Python at all (``--export``). So the page is plain HTML and JavaScript (``static/``) that draws
what Python counts (:mod:`strikesim.viz.demo.payload`), and this server is the standard
library's, stateless: a page load holds nothing, and the caches it answers from
(:mod:`strikesim.viz.demo.store`) are bounded.
"""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from strikesim.config import ConfigError
from strikesim.viz.demo.layout import network_key
from strikesim.viz.demo.scene import DEFAULT_PRESET, Settings
from strikesim.viz.demo.store import STATIC, Store, encode

TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}
PAGES = {"/": "index.html", **{f"/{n}": n for n in ("index.html", "demo.js", "demo.css")}}


def handler(store: Store) -> type[BaseHTTPRequestHandler]:
    """A request handler bound to one store."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path in PAGES:
                name = PAGES[url.path]
                kind = TYPES[name[name.rfind(".") :]]
                self.reply(HTTPStatus.OK, kind, (STATIC / name).read_bytes())
                return
            try:
                body = store.answer(url.path, dict(parse_qsl(url.query)))
            except ConfigError as exc:
                self.reply(HTTPStatus.BAD_REQUEST, "application/json", encode({"error": str(exc)}))
                return
            except KeyError:
                self.reply(HTTPStatus.NOT_FOUND, "text/plain", b"not found")
                return
            kind = "text/javascript" if url.path.endswith(".js") else "application/json"
            self.reply(HTTPStatus.OK, kind, body)

        def reply(self, status: HTTPStatus, kind: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Silent: a page load prints nothing to the teacher's terminal."""

    return Handler


def free_port(host: str, port: int) -> int:
    """``port`` (or, for 0, a free one) if ``host`` can listen on it; else ConfigError."""
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
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


class Server(ThreadingHTTPServer):
    """The page's server; IPv6 when the host is an IPv6 address."""

    daemon_threads = True

    def __init__(self, host: str, port: int, store: Store) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), handler(store))

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Silent when a browser went away mid-answer (a closed tab); else the usual report."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def warm(store: Store) -> None:
    """Compute what the first page load asks for, in the order it asks: the catalogue, the
    default preset's first town and its picture, the projection."""
    settings = Settings.from_preset(DEFAULT_PRESET)
    store.answer("/data/catalogue.js", {})
    store.answer("/api/scene", {**settings.query(), "town": "0"})
    first = store.scene_runs(settings, range(1))[0]
    store.answer(f"/api/town/{network_key(first.network)}", {})
    store.answer("/api/projection", settings.query())


def serve(host: str, port: int, ready: Callable[[], None] = lambda: None) -> None:
    """Serve the page on ``host:port`` until stopped (Ctrl-C); ``ready`` once listening."""
    store = Store()
    with Server(host, port, store) as server:
        threading.Thread(target=warm, args=(store,), daemon=True).start()
        ready()
        server.serve_forever()
