"""The demo's web server: the bundled site's three outlets, each on its own port of 127.0.0.1.

    with DemoSite() as site:      # serves round 1
        site.urls["gov"]          # http://127.0.0.1:PORT/
        site.publish(2)           # round 2's pages now shadow round 1's

Static files with an ETag and Last-Modified, answered 304 when unchanged (as the real sites do, so the
crawler's conditional GETs work); a GBK page is served as plain `text/html`, as the government CMS does.
"""

from __future__ import annotations

import hashlib
import mimetypes
import threading
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

OUTLETS = ("gov", "epaper", "portal")
_SITE = files("watcher.demo") / "site"
_PUBLISHED_AT = (1_796_000_000.0, 1_797_000_000.0)  # Last-Modified of round 1's and round 2's pages


class DemoSite:
    """Three local servers (gov, epaper, portal) over the bundled site; a context manager."""

    def __init__(self, site: Traversable = _SITE) -> None:
        self.site = site
        self.round = 1
        self._servers: dict[str, ThreadingHTTPServer] = {}
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> DemoSite:
        for outlet in OUTLETS:
            server = _Server(("127.0.0.1", 0), _Handler)
            server.site, server.outlet = self, outlet
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            thread.start()
            self._servers[outlet], self._threads = server, [*self._threads, thread]
        return self

    def __exit__(self, *exc_info: object) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join()

    @property
    def urls(self) -> dict[str, str]:
        """Each outlet's root URL."""
        return {name: f"http://127.0.0.1:{s.server_address[1]}/" for name, s in self._servers.items()}

    def publish(self, round_: int) -> None:
        """Serve round `round_`: its pages shadow the earlier rounds'."""
        self.round = round_

    def page(self, outlet: str, path: str) -> tuple[bytes, int] | None:
        """(body, round it belongs to) of a path, the latest round's copy; None when there is none."""
        parts = [p for p in path.split("/") if p]
        if any(p in (".", "..") for p in parts):
            return None
        for round_ in range(self.round, 0, -1):
            node = self.site / f"round{round_}" / outlet
            for part in parts:
                node = node / part
            if node.is_dir():
                node = node / "index.html"
            if node.is_file():
                return node.read_bytes(), round_
        return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: DemoSite
    outlet: str

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up: nothing to report (the crawler logs its own errors)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the demo prints its own progress
        pass

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        found = self.server.site.page(self.server.outlet, path)
        if found is None:
            self._send(404, b"not found", "text/plain; charset=utf-8", {})
            return
        body, round_ = found
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        headers = {"ETag": etag, "Last-Modified": formatdate(_PUBLISHED_AT[round_ - 1], usegmt=True)}
        if etag in [t.strip() for t in self.headers.get("If-None-Match", "").split(",")]:
            self._send(304, b"", None, headers)
            return
        self._send(200, body, _content_type(path, body), headers)

    def _send(self, status: int, body: bytes, content_type: str | None, headers: dict[str, str]) -> None:
        self.send_response(status)
        if content_type:
            headers = {**headers, "Content-Type": content_type}
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        if status != 304:
            self.wfile.write(body)


def _content_type(path: str, body: bytes) -> str:
    name = path.rsplit("/", 1)[-1] or "index.html"
    if "." not in name or name.endswith((".html", ".htm")):
        return "text/html" if b'charset="gb2312"' in body[:1024] else "text/html; charset=utf-8"
    guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed
