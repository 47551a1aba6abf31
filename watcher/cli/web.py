"""The `serve` command: the dashboard and JSON API on the configured store (wired into cli/commands.py).

    watcher [--config FILE] serve [--host HOST] [--port PORT]

Read-only, bound to `daemon.http_host` (127.0.0.1 unless configured) by default. Any address beyond the
loopback needs an access token in $WATCHER_WEB_TOKEN: without it the command refuses to start.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from watcher.config import ENV_WEB_TOKEN, Settings, web_token
from watcher.errors import WatcherError

DEFAULT_PORT = 8080
logger = logging.getLogger(__name__)


def add_parsers(subparsers: Any) -> None:
    """Add `serve` to the subparsers of the CLI (argparse's `add_subparsers()` result)."""
    serve = subparsers.add_parser(
        "serve",
        help="the dashboard and JSON API (read-only)",
        description="Serve the dashboard and JSON API (read-only) on the configured store: the latest "
        "changes, targets against actuals, series charts, project stages and each article with its facts "
        "highlighted; /api/openapi.json documents the API, /feeds/changes.atom is a feed of changes.",
    )
    serve.add_argument("--host", help="address to listen on (default: daemon.http_host, 127.0.0.1)")
    serve.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any free)"
    )


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from watcher.app import build_app
    from watcher.web import create_app
    from watcher.web.server import bind, is_loopback, serve

    host = args.host or settings.daemon.http_host
    token = web_token()
    if not is_loopback(host) and token is None:
        print(f"watcher: serving on {host} needs an access token: set {ENV_WEB_TOKEN}", file=sys.stderr)
        return 2
    app = build_app(settings)
    try:
        asgi = create_app(app, token=token)
        try:
            sock = bind(host, args.port)
        except OSError as exc:
            raise WatcherError(f"cannot listen on {host}:{args.port}: {exc}") from exc
        where = f"[{host}]" if ":" in host else host
        print(
            f"watcher: serving http://{where}:{sock.getsockname()[1]}/ (Ctrl-C stops)",
            file=sys.stderr,
            flush=True,
        )
        serve(asgi, sock)
    finally:
        app.close()
    return 0


COMMANDS = {"serve": cmd_serve}
