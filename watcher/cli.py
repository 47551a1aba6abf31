"""Command line. The only place that configures logging and turns errors into exit codes.

    watcher [--config FILE] extract [--format jsonl|table] [--published YYYY-MM-DD] [--region R] INPUT...

Exit codes: 0 everything read; 1 some input could not be read (the others were still processed);
2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from watcher.config import load_settings
from watcher.errors import ConfigError, WatcherError
from watcher.extract import Extractor, load_lexicon
from watcher.models import Article, Fact, fact_to_dict
from watcher.render import format_table

logger = logging.getLogger("watcher")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="watcher", description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="config file (default: $WATCHER_CONFIG or the bundled config)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("extract", help="extract indicator facts from files or URLs")
    ex.add_argument("inputs", nargs="+", metavar="PATH_OR_URL")
    ex.add_argument("--format", choices=("jsonl", "table"), default="table")
    ex.add_argument("--published", type=_date, help="publication date, overriding what the document says")
    ex.add_argument("--region", help="what 全市/我市/本市 mean (default: region in config)")
    return parser


def read_article(source: str, published: date | None) -> Article:
    """A file path or an http(s) URL → Article."""
    from watcher.page import article_from_bytes

    if source.startswith(("http://", "https://")):
        from watcher.fetch.http import fetch_page

        page = fetch_page(source)
        return article_from_bytes(page.body, page.url, page.content_type, published=published)
    path = Path(source)
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise WatcherError(f"{source}: cannot read: {exc.strerror or exc}") from exc
    return article_from_bytes(body, source, published=published)


def cmd_extract(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    extractor = Extractor(load_lexicon(settings.lexicon_path))
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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return cmd_extract(args)
    except ConfigError as exc:
        print(f"watcher: config error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
