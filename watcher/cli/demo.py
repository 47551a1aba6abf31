"""The `demo` command: see watcher find a raised target and a topped-out project, offline, in seconds.

    watcher demo [--dir DIR] [--database URL] [--no-serve]

Serves the bundled demo site on 127.0.0.1, crawls it twice into a database (SQLite in DIR, or URL) with
the same pipeline as `watcher crawl` and `watcher run`, prints what changed in the second round with old →
new and the source of each, and writes the digest a subscriber with default filters would receive. Then
it serves the dashboard on a free local port (and the site, so that the source links open) until Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watcher.config import Settings
from watcher.render import aligned

if TYPE_CHECKING:
    from watcher.demo import DemoResult


def add_parsers(subparsers: Any) -> None:
    """Add `demo` to the subparsers of the CLI (argparse's `add_subparsers()` result)."""
    demo = subparsers.add_parser(
        "demo",
        help="crawl a small bundled site twice, offline, and show the changes and the digest",
        description="Serve a small bundled site on 127.0.0.1, crawl it, publish a second round, crawl again, "
        "and show what changed (a target raised, a project topped out) with its sources and the digest a "
        "subscriber would receive. Offline, a few seconds.",
    )
    demo.add_argument(
        "--dir",
        type=Path,
        help="keep the database, digest and a config file here (default: a new temp folder)",
    )
    demo.add_argument("--database", metavar="URL", help="use this database instead of SQLite in the folder")
    demo.add_argument(
        "--no-serve", action="store_true", help="exit when done instead of serving the dashboard until Ctrl-C"
    )


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from watcher.cli.commands import _progress_display
    from watcher.demo import DemoSite, run_demo

    started = time.perf_counter()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="watcher-demo-"))
    print("watcher demo: a government site, an e-paper and a news portal served on 127.0.0.1, crawled twice")
    with DemoSite() as site:
        tick, stop = _progress_display()
        try:
            result = run_demo(settings, folder, site, database_url=args.database, say=_say, progress=tick)
        finally:
            stop()
        _report(result, time.perf_counter() - started)
        if not args.no_serve:
            _serve_dashboard(result)
    return 0


def _report(result: DemoResult, elapsed_s: float) -> None:
    rows: list[list[str]] = []
    for r in result.changes:  # as `watcher alerts` shows them: the summary in full, the source under it
        rows += [[r.kind, r.summary_zh], ["", r.url]]
    print("\nWhat changed in round 2 (old → new, and the article that says so):")
    sys.stdout.write(aligned(["kind", "change"], rows, last=400, empty="(no changes)"))
    print(f"\nThe digest a subscriber with default filters would receive: {result.digest}")
    print(f"Database: {result.database} — try: watcher --config {result.config} alerts --all")
    print(f"Everything is kept in {result.folder} ({elapsed_s:.1f}s)", flush=True)


def _serve_dashboard(result: DemoResult) -> None:
    """The dashboard on the demo's database, on a free port of 127.0.0.1, until Ctrl-C."""
    from watcher.app import build_app
    from watcher.web import create_app
    from watcher.web.server import bind, serve

    app = build_app(result.settings)
    try:
        sock = bind("127.0.0.1", 0)
        print(f"Dashboard: http://127.0.0.1:{sock.getsockname()[1]}/ (Ctrl-C stops)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):  # how the user ends it, once uvicorn has shut down
            serve(create_app(app), sock)
    finally:
        app.close()


def _say(line: str) -> None:
    print(line, flush=True)


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {"demo": cmd_demo}
