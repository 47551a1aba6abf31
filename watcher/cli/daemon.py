"""The `run` command: watcher as a background service (wired into cli/commands.py beside the other commands).

    watcher [--config FILE] [-v] run [--once]

    add_parsers(subparsers)     adds `run` to the CLI's subcommands
    COMMANDS                    {"run": cmd_run}: fn(args, settings) → exit code

Without --once it runs until SIGTERM or SIGINT and exits 0. With --once: every enabled source once, the
health check, the alerts due and any digests due, then exit (0, or 1 when a source or page failed).
The daemon logs at INFO (the watcher loggers; -v: everything at DEBUG).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watcher.config import Settings

if TYPE_CHECKING:
    from watcher.app import App


def add_parsers(subparsers: Any) -> None:
    """Add `run` to the subparsers of the CLI (argparse's `add_subparsers()` result)."""
    run = subparsers.add_parser(
        "run",
        help="the background service: crawl on schedule, check sources, send alerts and digests",
        description="Runs until SIGTERM or SIGINT: each enabled source on its schedule, alert delivery, "
        "source health checks and digests at their times; one log line per crawl run.",
    )
    run.add_argument(
        "--once", action="store_true", help="run every source once, check health, send what is due, exit"
    )


def _log_at_info() -> None:
    """The daemon's one line per run and its start-up lines are INFO; the CLI's default is WARNING."""
    if logging.getLogger().getEffectiveLevel() > logging.INFO:
        logging.getLogger("watcher").setLevel(logging.INFO)


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from watcher.app import build_app
    from watcher.daemon import Daemon, run_once

    if not any(s.enabled for s in settings.sources):
        print(f"watcher: no sources enabled in {settings.config_path}", file=sys.stderr)
        return 2
    _log_at_info()
    app = build_app(settings)
    try:
        with _one_per_sqlite_file(app):
            if args.once:
                return run_once(app)
            return asyncio.run(Daemon(app).run())
    except KeyboardInterrupt:  # --once has no signal handlers: Ctrl-C stops it where it is
        return 130
    finally:
        app.close()


def _one_per_sqlite_file(app: App) -> AbstractContextManager[None]:
    """SQLite serves one daemon: a second one on the same file stops with a clear message."""
    from sqlalchemy.engine import make_url

    from watcher.store.coord import hold_sqlite_lock

    url = make_url(app.settings.database)
    if app.is_shared or not url.database or url.database == ":memory:":
        return contextlib.nullcontext()
    return hold_sqlite_lock(Path(url.database))


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {"run": cmd_run}
