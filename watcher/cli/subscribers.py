"""Commands for subscribers and digests; cli/commands.py adds the parsers and the commands to its own.

    watcher subscribers add EMAIL [--daily|--weekly|--no-digest] [--immediate|--no-immediate]
                        [--indicator I]… [--subject S]… [--keyword K]… [--kind KIND]…
    watcher subscribers list [--format table|jsonl]
    watcher subscribers remove EMAIL
    watcher subscribers pause EMAIL [--resume]
    watcher digest --preview EMAIL        the next digest's HTML, written under storage/previews/
    watcher digest --send                 send the digests that are due now

`add` of a known address changes its subscription (and resumes it). Errors are WatcherError /
ConfigError, which cli/commands.py prints as one line.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from watcher.config import Settings
from watcher.errors import WatcherError
from watcher.models import CHANGE_KINDS
from watcher.render import aligned

if TYPE_CHECKING:
    from watcher.app import App
    from watcher.store.subscribers import Subscriber

_EMAIL = re.compile(r'^[^@\s<>(),;:"]+@[^@\s<>(),;:"]+$')


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `subscribers` and `digest` to the CLI's subcommands."""
    sp = sub.add_parser(
        "subscribers",
        help="who gets digests and alerts by email",
        description="Add, list, pause or remove the addresses that get digests and immediate alerts "
        "(sent through the email channel named by [digests] channel).",
    )
    actions = sp.add_subparsers(dest="subscribers_command", required=True)
    add = actions.add_parser(
        "add",
        help="subscribe an address (or change its subscription)",
        description="Subscribe an address, or change (and resume) the subscription of a known one. "
        "Filters narrow what reaches it; repeat an option for several values.",
    )
    add.add_argument("email", help="the subscriber's email address")
    how = add.add_mutually_exclusive_group()
    how.add_argument(
        "--daily", dest="digest", action="store_const", const="daily", help="daily digest (default)"
    )
    how.add_argument("--weekly", dest="digest", action="store_const", const="weekly", help="weekly digest")
    how.add_argument("--no-digest", dest="digest", action="store_const", const="off", help="no digest")
    add.set_defaults(digest="daily")
    add.add_argument(
        "--immediate", action=argparse.BooleanOptionalAction, default=False, help="email alerts as found"
    )
    for name, what in (("indicator", "indicator"), ("subject", "subject or project"), ("keyword", "text")):
        add.add_argument(f"--{name}", action="append", default=[], help=f"only changes whose {what} has this")
    add.add_argument("--kind", action="append", default=[], choices=CHANGE_KINDS, help="only these kinds")
    ls = actions.add_parser(
        "list", help="show the subscribers", description="The subscribers and their filters."
    )
    ls.add_argument("--format", choices=("table", "jsonl"), default="table", help="table (default) or jsonl")
    rm = actions.add_parser(
        "remove", help="unsubscribe and forget an address", description="Unsubscribe and forget an address."
    )
    rm.add_argument("email", help="the subscriber's email address")
    pause = actions.add_parser(
        "pause",
        help="stop sending to an address for now",
        description="Stop sending to an address until --resume; its subscription is kept.",
    )
    pause.add_argument("email", help="the subscriber's email address")
    pause.add_argument("--resume", action="store_true", help="start sending again")
    dg = sub.add_parser(
        "digest",
        help="preview or send digest emails",
        description="Write a subscriber's next digest to an HTML file to look at, or send the digests "
        "that are due now (`watcher run` sends them at [digests] times by itself).",
    )
    mode = dg.add_mutually_exclusive_group(required=True)
    mode.add_argument("--preview", metavar="EMAIL", help="write the subscriber's next digest to an HTML file")
    mode.add_argument("--send", action="store_true", help="send the digests that are due now")


def _email(text: str) -> str:
    email = text.strip().lower()
    if not _EMAIL.match(email):
        raise WatcherError(f"not an email address: {text!r}")
    return email


def _describe(s: Subscriber) -> str:
    digest = {"daily": "daily digest", "weekly": "weekly digest", "off": "no digest"}[s.digest]
    alerts = "immediate alerts on" if s.immediate else "immediate alerts off"
    filters = [f"{n}={','.join(v)}" for n, v in _filters(s).items() if v]
    return f"{digest}, {alerts}" + (f"; filters {' '.join(filters)}" if filters else "")


def _filters(s: Subscriber) -> dict[str, tuple[str, ...]]:
    return {"indicator": s.indicators, "subject": s.subjects, "keyword": s.keywords, "kind": s.kinds}


def _state(s: Subscriber) -> str:
    return "unsubscribed" if s.unsubscribed_at else "paused" if s.paused else "active"


def cmd_subscribers(args: argparse.Namespace, settings: Settings) -> int:
    from watcher.app import build_app

    app = build_app(settings)
    try:
        return _SUBSCRIBER_ACTIONS[args.subscribers_command](args, app)
    finally:
        app.close()


def _add(args: argparse.Namespace, app: App) -> int:
    from watcher.notify.message import unsubscribe_url

    subscriber, created = app.store.add_subscriber(
        _email(args.email),
        now=app.clock(),
        digest=args.digest,
        immediate=args.immediate,
        indicators=args.indicator,
        subjects=args.subject,
        keywords=args.keyword,
        kinds=args.kind,
    )
    print(f"{'added' if created else 'updated'} {subscriber.email}: {_describe(subscriber)}")
    url = unsubscribe_url(app.settings.digests.base_url, subscriber.token)
    print(f"unsubscribe: {url or 'token ' + subscriber.token}")
    return 0


def _list(args: argparse.Namespace, app: App) -> int:
    rows = app.store.subscribers()
    if args.format == "jsonl":
        for s in rows:
            data = dataclasses.asdict(s)
            data |= {k: v.isoformat() for k, v in data.items() if isinstance(v, datetime)}
            sys.stdout.write(json.dumps(data | {"state": _state(s)}, ensure_ascii=False) + "\n")
        return 0
    body = [
        [
            s.email,
            s.digest,
            "yes" if s.immediate else "no",
            _state(s),
            s.created_at.strftime("%Y-%m-%d"),
            " ".join(f"{n}={','.join(v)}" for n, v in _filters(s).items() if v),
        ]
        for s in rows
    ]
    header = ["email", "digest", "immediate", "state", "since", "filters"]
    sys.stdout.write(aligned(header, body, other=40, last=60, empty="(no subscribers)"))
    return 0


def _remove(args: argparse.Namespace, app: App) -> int:
    if not app.store.remove_subscriber(args.email):
        raise WatcherError(f"no subscriber {args.email!r}")
    print(f"removed {args.email.lower()}")
    return 0


def _pause(args: argparse.Namespace, app: App) -> int:
    if not app.store.set_paused(args.email, not args.resume):
        raise WatcherError(f"no subscriber {args.email!r}")
    print(f"{'resumed' if args.resume else 'paused'} {args.email.lower()}")
    return 0


def cmd_digest(args: argparse.Namespace, settings: Settings) -> int:
    from watcher.app import build_app
    from watcher.delivery import preview_digest

    app = build_app(settings)
    try:
        if args.send:
            if not settings.digests.enabled:
                print("watcher: digests are disabled (digests.enabled = false)", file=sys.stderr)
            stats = app.send_digests()
            print(stats.line())
            return 1 if stats.failed else 0
        subscriber = app.store.subscriber_by_email(args.preview)
        if subscriber is None:
            raise WatcherError(f"no subscriber {args.preview!r}")
        message = preview_digest(app.store, settings, subscriber, app.clock())
    finally:
        app.close()
    folder = settings.storage_path / "previews"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"digest-{subscriber.email}-{message.payload['period']}.html"
    path.write_text(message.html or "", encoding="utf-8")
    print(path)
    return 0


_SUBSCRIBER_ACTIONS: dict[str, Callable[[argparse.Namespace, App], int]] = {
    "add": _add,
    "list": _list,
    "remove": _remove,
    "pause": _pause,
}

COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "subscribers": cmd_subscribers,
    "digest": cmd_digest,
}
