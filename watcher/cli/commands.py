"""Command line. The only place that configures logging and turns errors into exit codes.

    watcher [--config FILE] extract [--format jsonl|table] [--published YYYY-MM-DD] [--region R] INPUT...
    watcher [--config FILE] crawl [--source NAME] [--max-pages N] [--refresh]
    watcher [--config FILE] articles [--source NAME] [--since YYYY-MM-DD] [--format table|jsonl]
    watcher [--config FILE] facts [--source NAME] [--since YYYY-MM-DD] [--indicator I] [--format table|jsonl]
    watcher [--config FILE] alerts [--since D] [--all] | series [I] [--subject S] | milestones [P]
    watcher [--config FILE] deliver [--retry-failed [--channel NAME] [--since YYYY-MM-DD]]
    watcher [--config FILE] subscribers add|list|remove|pause … | digest --preview EMAIL | --send
    watcher [--config FILE] run [--once]
    watcher demo [--dir DIR] [--database URL]      a bundled site crawled twice, offline
    watcher [--config FILE] check-config
    watcher [--config FILE] db upgrade|check

Exit codes: 0 done; 1 some input, source or fetch failed (the others were still processed);
2 bad usage or configuration, or the database cannot be used.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import platform
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from watcher import __version__
from watcher.cli import config as cli_config
from watcher.cli import daemon as cli_daemon
from watcher.cli import demo as cli_demo
from watcher.cli import subscribers as cli_subscribers
from watcher.cli import web as cli_web
from watcher.config import Settings, load_settings
from watcher.errors import ConfigError, StoreError, WatcherError
from watcher.extract import COMPILED, Extractor, load_lexicon
from watcher.models import Article, Fact, fact_to_dict
from watcher.render import aligned, format_table, stored_fact_row

logger = logging.getLogger("watcher")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def version_line() -> str:
    build = "compiled with mypyc" if COMPILED else "pure Python"
    return f"watcher {__version__} (extractor: {build}; Python {platform.python_version()})"


DESCRIPTION = """\
watcher follows what Chinese local governments and newspapers say about their figures, targets and
milestones (规上工业总产值2740.45亿元, 到2026年超1600亿元, 一期主厂房封顶): it crawls the sources of
your config, extracts the facts, files them into series, records what changed and sends alerts and
digests."""

EPILOG = """\
first steps:
  watcher extract docs/examples/sample_article.html   the facts of one page or file, no config needed
  watcher --config my.toml check-config               what a config holds and where data goes
  watcher --config my.toml crawl                      every source once; then facts, alerts, series
  watcher --config my.toml run                        the service: crawl on schedule, alert, digest

`watcher COMMAND --help` explains a command. Exit status: 0 done; 1 some input, source or fetch
failed (the others were still processed); 2 bad usage or configuration, or the database cannot be used.
"""


def command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, summary: str, about: str
) -> argparse.ArgumentParser:
    """A subcommand: `summary` in `watcher --help`'s list, `about` (and the summary) in its own --help."""
    return sub.add_parser(name, help=summary, description=f"{summary[0].upper()}{summary[1:]}. {about}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="watcher",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="your config file (default: $WATCHER_CONFIG, else the bundled config with the 江门 sources)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages to stderr")
    parser.add_argument("--version", action="version", version=version_line(), help="say which build runs")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    ex = command(
        sub,
        "extract",
        "extract indicator facts from files or URLs",
        "Reads .txt and .html files and http(s) URLs (no config or database needed) and prints every "
        "value and milestone found, with its period, qualifier and the words it was read from.",
    )
    ex.add_argument(
        "inputs", nargs="+", metavar="PATH_OR_URL", help="a .txt or .html file, or an http(s) URL"
    )
    ex.add_argument(
        "--format",
        choices=("jsonl", "table"),
        default="table",
        help="table for people (default), jsonl for tools",
    )
    ex.add_argument(
        "--published",
        type=_date,
        metavar="YYYY-MM-DD",
        help="publication date, overriding what the page says",
    )
    ex.add_argument("--region", help="what 全市/我市/本市 mean (default: region in the config, 江门)")
    cr = command(
        sub,
        "crawl",
        "crawl every enabled source once (or the ones named)",
        "Reads each source's listing pages, feeds and sitemaps, fetches the articles not seen yet, "
        "stores them with their facts and changes, and prints one line per source.",
    )
    cr.add_argument("--source", action="append", metavar="NAME", help="only this source (repeatable)")
    cr.add_argument("--max-pages", type=int, metavar="N", help="fetch at most N article pages per source")
    cr.add_argument("--refresh", action="store_true", help="re-check known articles (conditional GET)")
    for name, what, about in (
        ("articles", "stored articles", "Newest first, with their outlet, snapshots and near-duplicates."),
        ("facts", "stored facts", "In the article's unit, with qualifier, measure and period."),
    ):
        p = command(sub, name, f"show the {what}", about)
        p.add_argument("--source", metavar="NAME", help="only from this source")
        p.add_argument("--since", type=_date, metavar="YYYY-MM-DD", help="first seen on or after this date")
        p.add_argument(
            "--format", choices=("table", "jsonl"), default="table", help="table (default) or jsonl"
        )
        if name == "facts":
            p.add_argument("--indicator", help="only indicators whose name contains this")
    al = command(
        sub,
        "alerts",
        "show the changes found, with their deliveries",
        "Each change with old → new in full, where it was delivered and the article it came from. "
        "Without --all only the changes that alert at once ([alerts] immediate).",
    )
    al.add_argument("--since", type=_date, metavar="YYYY-MM-DD", help="found on or after this date")
    al.add_argument("--all", action="store_true", help="digest-only changes (new actuals …) too")
    al.add_argument("--format", choices=("table", "jsonl"), default="table", help="table (default) or jsonl")
    de = command(
        sub,
        "deliver",
        "send the alerts that are due now",
        "Sends pending alerts to their channels, retrying earlier failures whose time has come. "
        "--retry-failed first requeues the alerts given up after alerts.max_attempts (dead letters).",
    )
    de.add_argument(
        "--retry-failed", action="store_true", help="requeue the failed (dead-lettered) alerts first"
    )
    de.add_argument("--channel", help="with --retry-failed: only this channel's")
    de.add_argument(
        "--since",
        type=_date,
        metavar="YYYY-MM-DD",
        help="with --retry-failed: only alerts found on or after this date",
    )
    se = command(
        sub,
        "series",
        "show a series: each observation and its sources",
        "Actuals by period, targets and forecasts by deadline side by side.",
    )
    se.add_argument("indicator", nargs="?", help="indicator name (contained); default: every series")
    se.add_argument("--subject", help="only this subject (江门, 八镇, a zone or a project)")
    mi = command(
        sub, "milestones", "show projects and the stages they reached", "Each stage with its date and source."
    )
    mi.add_argument("project", nargs="?", help="project name (contained); default: every project")
    cli_config.add_parsers(sub)
    cli_subscribers.add_parsers(sub)
    cli_daemon.add_parsers(sub)
    cli_demo.add_parsers(sub)
    cli_web.add_parsers(sub)
    db = command(
        sub,
        "db",
        "upgrade or check the database schema",
        "upgrade applies the migrations (an existing database is kept); check says whether it is reachable.",
    )
    db.add_argument(
        "action", choices=("upgrade", "check"), help="upgrade the schema, or check the connection"
    )
    return parser


def read_article(source: str, published: date | None) -> Article:
    """A file path or an http(s) URL → Article."""
    from watcher.page import article_from_bytes

    if source.startswith(("http://", "https://")):
        from watcher.fetch.client import is_document_type
        from watcher.fetch.http import fetch_page

        page = fetch_page(source)
        if not is_document_type(page.content_type):
            raise WatcherError(f"{source}: not HTML ({page.content_type}), skipped")
        return article_from_bytes(page.body, page.url, page.content_type, published=published)
    path = Path(source)
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise WatcherError(f"{source}: cannot read: {exc.strerror or exc}") from exc
    return article_from_bytes(body, source, published=published)


def cmd_extract(args: argparse.Namespace, settings: Settings) -> int:
    extractor = Extractor(load_lexicon(*settings.lexicon_paths))
    region = args.region or settings.region
    failed = 0
    rows: list[tuple[str, Fact]] = []
    for source in args.inputs:
        try:
            article = read_article(source, args.published)
        except WatcherError as exc:
            message = str(exc) if source in str(exc) else f"{source}: {exc}"
            print(f"watcher: {message}", file=sys.stderr)
            failed += 1
            continue
        facts = extractor.extract(article, region)
        if args.format == "jsonl":
            for fact in facts:
                sys.stdout.write(json.dumps(fact_to_dict(fact, source), ensure_ascii=False) + "\n")
        else:
            rows.extend((source, f) for f in facts)
    if args.format == "table":
        sys.stdout.write(format_table(rows, with_doc=len(args.inputs) > 1))
    return 1 if failed else 0


def _progress_display() -> tuple[Callable[[str], None] | None, Callable[[], None]]:
    """A live counter of pages on a terminal; nothing when output goes to a file or a pipe."""
    if not sys.stderr.isatty():
        return None, lambda: None
    from rich.progress import Progress, SpinnerColumn, TextColumn

    bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), transient=True)
    task = bar.add_task("crawling", total=None)
    bar.start()
    count = 0

    def tick(url: str) -> None:
        nonlocal count
        count += 1
        bar.update(task, description=f"{count} pages · {url[-60:]}")

    return tick, bar.stop


def cmd_crawl(args: argparse.Namespace, settings: Settings) -> int:
    from watcher.app import build_app

    specs = (
        [settings.source(name) for name in args.source]
        if args.source
        else [s for s in settings.sources if s.enabled]
    )
    if not specs:
        print(f"watcher: no sources configured in {settings.config_path}", file=sys.stderr)
        return 2
    app = build_app(settings)
    tick, stop = _progress_display()
    try:
        summaries = asyncio.run(
            app.crawl(specs, max_pages=args.max_pages, refresh=args.refresh, progress=tick)
        )
    finally:
        stop()
        app.close()
    for summary in summaries:
        print(summary.line())
    return 1 if any(s.error or s.errors for s in summaries) else 0


def _jsonable(row: object) -> dict[str, object]:
    data = dataclasses.asdict(row)  # type: ignore[call-overload]
    return {k: (v.isoformat() if isinstance(v, date | datetime) else v) for k, v in data.items()}


def _print_jsonl(rows: Sequence[object]) -> int:
    for row in rows:
        sys.stdout.write(json.dumps(_jsonable(row), ensure_ascii=False) + "\n")
    return 0


def _since(day: date | None) -> datetime | None:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None


def cmd_articles(args: argparse.Namespace, settings: Settings) -> int:
    from watcher.app import build_app

    app = build_app(settings)
    try:
        rows = app.store.articles(source=args.source, since=_since(args.since))
    finally:
        app.close()
    if args.format == "jsonl":
        return _print_jsonl(rows)
    body = [
        [
            str(r.published or ""),
            r.source,
            r.outlet or "",
            str(r.snapshots),
            "dup" if r.duplicate_of else "",
            r.title,
            r.url,
        ]
        for r in rows
    ]
    sys.stdout.write(
        aligned(
            ["published", "source", "outlet", "snapshots", "", "title", "url"],
            body,
            last=80,
            empty="(no articles)",
        )
    )
    return 0


def cmd_facts(args: argparse.Namespace, settings: Settings) -> int:
    from watcher.app import build_app

    app = build_app(settings)
    try:
        rows = app.store.facts(source=args.source, since=_since(args.since), indicator=args.indicator)
    finally:
        app.close()
    if args.format == "jsonl":
        return _print_jsonl(rows)
    body = []
    for r in rows:
        row = stored_fact_row(r)
        body.append([*row[:5], r.outlet or "", row[5]])
    sys.stdout.write(
        aligned(
            ["indicator", "subject", "period", "value", "kind", "outlet", "excerpt"], body, empty="(no facts)"
        )
    )
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is shown as written: it has no password part to hide
        return url


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    from watcher.store import Store
    from watcher.store.db import integrity_problems, make_storage_folder, sqlite_path

    make_storage_folder(settings.storage_path)
    store = Store.open(settings.database)
    try:
        version = store.schema_version()
    finally:
        store.close()
    problems = integrity_problems(settings.database) if args.action == "check" else []
    if problems:
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        print(
            f"watcher: database {_safe_url(settings.database)}: corrupt: {problems[0]}{more}", file=sys.stderr
        )
        return 2
    print(
        f"database {_safe_url(settings.database)}: reachable, schema {version}"
        + (" (upgraded)" if args.action == "upgrade" else "")
        + (", integrity ok" if args.action == "check" and sqlite_path(settings.database) else "")
    )
    return 0


def cmd_alerts(args: argparse.Namespace, settings: Settings) -> int:
    from watcher.app import build_app

    app = build_app(settings)
    try:
        rows = app.store.change_rows(since=_since(args.since), immediate=None if args.all else True)
        dead = app.store.failed_deliveries(since=_since(args.since))
    finally:
        app.close()
    if args.format == "jsonl":
        return _print_jsonl(rows)
    body: list[list[str]] = []
    for r in rows:  # the summary in full (old → new), the source on the line under it
        sent = ",".join(f"{c}:{s}" for c, s in r.deliveries.items())
        delivery = sent or ("no channel" if r.immediate else "digest")
        body.append([r.created_at.strftime("%Y-%m-%d %H:%M"), r.kind, delivery, r.summary_zh])
        body.append(["", "", "", r.url])
    sys.stdout.write(aligned(["found", "kind", "delivery", "summary"], body, last=400, empty="(no alerts)"))
    failed = [
        [f.created_at.strftime("%Y-%m-%d %H:%M"), f.channel, str(f.attempts), f.last_error] for f in dead
    ]
    if failed:
        print(f"\nfailed deliveries ({len(failed)}; `watcher deliver --retry-failed` sends them again):")
        sys.stdout.write(aligned(["found", "channel", "attempts", "last error"], failed, last=80))
    return 0


def cmd_deliver(args: argparse.Namespace, settings: Settings) -> int:
    from watcher.app import build_app

    if (args.channel or args.since) and not args.retry_failed:
        print("watcher: deliver: --channel and --since choose what --retry-failed requeues", file=sys.stderr)
        return 2
    app = build_app(settings)
    try:
        if args.retry_failed:
            requeued = app.store.requeue_failed(app.clock(), channel=args.channel, since=_since(args.since))
            print(f"requeued {requeued} failed alerts")
        stats = app.deliver()
    finally:
        app.close()
    print(stats.line())
    return 1 if stats.failed else 0


def cmd_series(args: argparse.Namespace, settings: Settings) -> int:
    from watcher.app import build_app
    from watcher.views import series_view

    app = build_app(settings)
    try:
        observations = app.store.series_observations(indicator=args.indicator, subject=args.subject)
    finally:
        app.close()
    sys.stdout.write(series_view(observations))
    return 0


def cmd_milestones(args: argparse.Namespace, settings: Settings) -> int:
    from watcher.app import build_app
    from watcher.views import milestones_view

    app = build_app(settings)
    try:
        observations = app.store.milestone_observations(project=args.project)
    finally:
        app.close()
    sys.stdout.write(milestones_view(observations))
    return 0


COMMANDS = {
    "extract": cmd_extract,
    "crawl": cmd_crawl,
    "articles": cmd_articles,
    "facts": cmd_facts,
    **cli_config.COMMANDS,
    "alerts": cmd_alerts,
    "deliver": cmd_deliver,
    "series": cmd_series,
    "milestones": cmd_milestones,
    "db": cmd_db,
    **cli_subscribers.COMMANDS,
    **cli_daemon.COMMANDS,
    **cli_demo.COMMANDS,
    **cli_web.COMMANDS,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = load_settings(args.config)
        return COMMANDS[args.command](args, settings)
    except ConfigError as exc:
        print(f"watcher: config error: {exc}", file=sys.stderr)
        return 2
    except StoreError as exc:
        print(f"watcher: database error: {exc}", file=sys.stderr)
        return 2
    except WatcherError as exc:
        print(f"watcher: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
