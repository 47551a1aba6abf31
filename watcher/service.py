"""The daemon's HTTP endpoint, off unless `daemon.http_port` is set (bound to `daemon.http_host`).

    GET /healthz          JSON: status ok | degraded, per source last_success, last_run,
                          consecutive_failures, failing, quiet; 200, or 503 while a source is failing
    GET /metrics          Prometheus text format (0.0.4), counted from the database: survives restarts
    GET /unsubscribe?token=…        the digest emails' unsubscribe link: a confirmation page only
    POST /unsubscribe               unsubscribes: the confirmation form, or one-click (RFC 8058)

    service = Service(app); service.start(); service.port …; service.close()

The standard library's ThreadingHTTPServer in a daemon thread: every request reads the database through
the app's store (a session of its own), so a slow scrape never holds up a crawl. Port 0 picks a free port
(`service.port` says which).
"""

from __future__ import annotations

import html
import json
import logging
import socket
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from watcher.health import health_report, source_health

if TYPE_CHECKING:
    from watcher.app import App

logger = logging.getLogger(__name__)

METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MAX_FORM_BYTES = 4096
SUBSCRIBERS = "subscribers"  # the channel label of every subscriber's own alerts (channel subscriber:<id>)
Labels = dict[str, str]


@dataclass
class Family:
    """One Prometheus metric family: # HELP, # TYPE and its samples."""

    name: str
    type: str  # counter | gauge
    help: str
    samples: list[tuple[Labels, float]] = field(default_factory=list)

    def render(self) -> str:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} {self.type}"]
        for labels, value in self.samples:
            inner = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
            lines.append(
                f"{self.name}{{{inner}}} {_number(value)}" if inner else f"{self.name} {_number(value)}"
            )
        return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _crawl_families(app: App) -> list[Family]:
    runs = Family("watcher_crawl_runs_total", "counter", "Finished crawl runs, by result.")
    pages = Family("watcher_pages_fetched_total", "counter", "Pages fetched (304s included), by kind.")
    unchanged = Family("watcher_pages_not_modified_total", "counter", "Listing and feed pages answered 304.")
    articles = Family("watcher_articles_total", "counter", "Article texts stored: new, changed, reposts.")
    errors = Family("watcher_fetch_errors_total", "counter", "Pages that could not be fetched or parsed.")
    facts = Family("watcher_facts_total", "counter", "Facts extracted from new or changed articles.")
    for source, t in sorted(app.store.crawl_totals().items()):
        s = t.stats
        runs.samples += [({"source": source, "result": "ok"}, t.runs_ok)]
        runs.samples += [({"source": source, "result": "failed"}, t.runs_failed)]
        pages.samples += [
            ({"source": source, "kind": "listing"}, s["listing_fetched"] + s["listing_not_modified"])
        ]
        pages.samples += [({"source": source, "kind": "article"}, s["new"] + s["changed"] + s["unchanged"])]
        unchanged.samples.append(({"source": source, "kind": "listing"}, s["listing_not_modified"]))
        for status, key in (("new", "new"), ("changed", "changed"), ("near_duplicate", "near_duplicates")):
            articles.samples.append(({"source": source, "status": status}, s[key]))
        errors.samples.append(({"source": source}, s["errors"]))
        facts.samples.append(({"source": source}, s["facts"]))
    return [runs, pages, unchanged, articles, errors, facts]


def _outcome_families(app: App) -> list[Family]:
    changes = Family("watcher_changes_total", "counter", "Changes found (source health included), by kind.")
    changes.samples = [({"kind": k}, n) for k, n in sorted(app.store.change_counts().items())]
    sent = Family("watcher_alerts_delivered_total", "counter", "Alerts delivered, by channel.")
    failed = Family("watcher_alerts_failed_total", "counter", "Alerts given up after their last attempt.")
    pending = Family("watcher_alerts_pending", "gauge", "Alerts waiting to be sent (or retried).")
    by_channel: dict[str, dict[str, int]] = {}
    for (channel, status), n in app.store.delivery_counts().items():
        name = SUBSCRIBERS if channel.startswith("subscriber:") else channel  # one series, not one each
        counts = by_channel.setdefault(name, {})
        counts[status] = counts.get(status, 0) + n
    for channel, counts in sorted(by_channel.items()):
        sent.samples.append(({"channel": channel}, counts.get("sent", 0)))
        failed.samples.append(({"channel": channel}, counts.get("failed", 0)))
        pending.samples.append(({"channel": channel}, counts.get("pending", 0) + counts.get("sending", 0)))
    digests = Family("watcher_digests_total", "counter", "Digest periods, by frequency and outcome.")
    digests.samples = [
        ({"frequency": f, "status": s}, n) for (f, s), n in sorted(app.store.digest_counts().items())
    ]
    return [changes, sent, failed, pending, digests]


def _health_families(app: App, now: datetime) -> list[Family]:
    success = Family(
        "watcher_source_last_success_timestamp_seconds", "gauge", "When the last good run finished."
    )
    streak = Family("watcher_source_consecutive_failures", "gauge", "Failed runs since the last good one.")
    failing = Family("watcher_source_failing", "gauge", "1 while the source is failing.")
    quiet = Family("watcher_source_quiet", "gauge", "1 while the source publishes nothing new.")
    for h in source_health(app, now):
        label = {"source": h.name}
        if h.last_success:
            success.samples.append((label, h.last_success.timestamp()))
        streak.samples.append((label, h.consecutive_failures))
        failing.samples.append((label, int(h.failing)))
        quiet.samples.append((label, int(h.quiet)))
    return [success, streak, failing, quiet]


def metrics_text(app: App, now: datetime) -> str:
    """Every metric, in the Prometheus text exposition format."""
    families: Iterable[Family] = [
        *_crawl_families(app),
        *_outcome_families(app),
        *_health_families(app, now),
    ]
    return "".join(f.render() for f in families)


_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family:sans-serif;max-width:36em;margin:2em auto;padding:0 1em;line-height:1.6">
<h1 style="font-size:1.3em">{title}</h1><p>{zh}</p><p lang="en">{en}</p></body></html>
"""


def _page(title: str, zh: str, en: str) -> bytes:
    return _PAGE.format(title=html.escape(title), zh=html.escape(zh), en=html.escape(en)).encode()


_CONFIRM = """<form method="post" action="/unsubscribe"><input type="hidden" name="token" value="{token}">
<button type="submit" style="font-size:1.1em;padding:.4em 1.2em">确认退订 / Unsubscribe</button></form>
"""


def unsubscribe_page(app: App, token: str | None, method: str = "POST") -> tuple[int, bytes]:
    """The unsubscribe link (RFC 8058): a GET only asks for confirmation — mail scanners follow links —
    and a POST (the confirmation form, or a mail client's one-click request) unsubscribes."""
    title = "退订 / Unsubscribe"
    if not token:
        return 400, _page(title, "链接不完整：缺少 token。", "The link is incomplete: no token.")
    known = app.store.subscriber_by_token(token)
    if known is None or (method == "POST" and not app.store.unsubscribe(token, app.clock())):
        return 404, _page(title, "链接无效或已过期。", "This unsubscribe link is unknown or no longer valid.")
    if method != "POST":
        zh = f"退订 {known.email} 的 watcher 邮件（摘要和提醒）？"
        page = _page(title, zh, f"Stop all watcher email to {known.email}?")
        return 200, page.replace(b"</body>", _CONFIRM.format(token=html.escape(token)).encode() + b"</body>")
    return 200, _page(
        "已退订 / Unsubscribed",
        "您已退订，今后不会再收到 watcher 的邮件。",
        "You will get no more email from watcher.",
    )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    app: App


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 30  # a client that stops sending is dropped

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._respond("GET")

    def do_POST(self) -> None:
        self._respond("POST")

    def _respond(self, method: str) -> None:
        try:
            status, content_type, body = self._route(method)
        except Exception:  # the one catch-all per request: the endpoint stays up, the error is logged
            logger.exception("%s %s failed", method, self.path)
            status, content_type, body = 500, "text/plain; charset=utf-8", b"internal error\n"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _route(self, method: str) -> tuple[int, str, bytes]:
        url = urlsplit(self.path)
        app = self.server.app
        if url.path == "/unsubscribe":
            status, page = unsubscribe_page(app, self._token(url.query, method), method)
            return status, "text/html; charset=utf-8", page
        if method != "GET":
            return 405, "text/plain; charset=utf-8", b"method not allowed\n"
        if url.path == "/healthz":
            report = health_report(app, app.clock())
            body = json.dumps(report, ensure_ascii=False, indent=2).encode() + b"\n"
            return (503 if report["failing"] else 200), "application/json; charset=utf-8", body
        if url.path == "/metrics":
            return 200, METRICS_TYPE, metrics_text(app, app.clock()).encode()
        return 404, "text/plain; charset=utf-8", b"not found\n"

    def _token(self, query: str, method: str) -> str | None:
        """From the query string; a one-click POST may carry it in its form body instead."""
        values = parse_qs(query).get("token")
        if not values and method == "POST":
            length = min(int(self.headers.get("Content-Length") or 0), MAX_FORM_BYTES)
            values = parse_qs(self.rfile.read(length).decode("utf-8", "replace")).get("token")
        return values[0] if values else None


class Service:
    """The HTTP endpoint in a thread of its own; start() binds, close() stops and joins."""

    def __init__(self, app: App, host: str | None = None, port: int | None = None) -> None:
        self.app = app
        self.host = host if host is not None else app.settings.daemon.http_host
        self._port = port if port is not None else app.settings.daemon.http_port or 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Service:
        server_class = _Server6 if ":" in self.host else _Server
        server = server_class((self.host, self._port), _Handler)
        server.app = self.app
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="watcher-http", daemon=True
        )
        self._thread.start()
        return self

    @property
    def port(self) -> int:
        assert self._server is not None, "service not started"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> Service:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
