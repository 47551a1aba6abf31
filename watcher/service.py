"""The daemon's HTTP endpoint, off unless `daemon.http_port` is set (bound to `daemon.http_host`).

    GET /healthz          JSON: status ok | degraded, per source last_success, last_run,
                          consecutive_failures, failing, quiet; 200, or 503 while a source is failing
    GET /metrics          Prometheus text format (0.0.4), counted from the database: survives restarts
    GET /unsubscribe?token=…        the digest emails' unsubscribe link: a confirmation page only
    POST /unsubscribe               unsubscribes: the confirmation form, or one-click (RFC 8058)
    GET /, /api/…         the dashboard and JSON API (watcher.web) beside them

    service = Service(app); service.start(); service.port …; service.close()

uvicorn in a daemon thread (watcher.web.server): every request reads the database through the app's store
(a session of its own, in a worker thread), so a slow scrape never holds up a crawl. Port 0 picks a free
port (`service.port` says which).
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from watcher.config import ENV_WEB_TOKEN, web_token
from watcher.health import health_report, source_health
from watcher.web import create_app
from watcher.web.server import Server, is_loopback

if TYPE_CHECKING:
    from watcher.app import App

logger = logging.getLogger(__name__)

METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MAX_FORM_BYTES = 4096
SUBSCRIBERS = "subscribers"  # the channel label of every subscriber's own alerts (channel subscriber:<id>)
Labels = dict[str, str]
ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


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


def _guarded(endpoint: Callable[[App, Request], Awaitable[Response]], app: App) -> Any:
    """The one catch-all per request: the endpoint stays up, the error is logged."""

    async def respond(request: Request) -> Response:
        try:
            response = await endpoint(app, request)
        except Exception:
            logger.exception("%s %s failed", request.method, request.url.path)
            response = PlainTextResponse("internal error\n", status_code=500)
        response.headers["Cache-Control"] = "no-store"
        return response

    return respond


async def _healthz(app: App, request: Request) -> Response:
    if request.method != "GET":
        return PlainTextResponse("method not allowed\n", status_code=405)
    report = await run_in_threadpool(health_report, app, app.clock())
    body = json.dumps(report, ensure_ascii=False, indent=2).encode() + b"\n"
    status = 503 if report["failing"] else 200
    return Response(body, status_code=status, media_type="application/json; charset=utf-8")


async def _metrics(app: App, request: Request) -> Response:
    if request.method != "GET":
        return PlainTextResponse("method not allowed\n", status_code=405)
    text = await run_in_threadpool(metrics_text, app, app.clock())
    return Response(text.encode(), headers={"Content-Type": METRICS_TYPE})


async def _unsubscribe(app: App, request: Request) -> Response:
    """From the query string; a one-click POST may carry the token in its form body instead."""
    values = parse_qs(request.url.query).get("token")
    if not values and request.method == "POST":
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) >= MAX_FORM_BYTES:
                break
        values = parse_qs(body[:MAX_FORM_BYTES].decode("utf-8", "replace")).get("token")
    token = values[0] if values else None
    status, page = await run_in_threadpool(unsubscribe_page, app, token, request.method)
    return HTMLResponse(page, status_code=status)


def build_asgi(app: App, host: str) -> Starlette:
    """/healthz, /metrics and /unsubscribe, with the dashboard (watcher.web) beside them. Beyond the
    loopback the dashboard needs $WATCHER_WEB_TOKEN; without it only the three endpoints are served."""
    routes: list[BaseRoute] = [
        Route(path, _guarded(endpoint, app), methods=ANY_METHOD)  # each endpoint says 405 itself
        for path, endpoint in (("/healthz", _healthz), ("/metrics", _metrics), ("/unsubscribe", _unsubscribe))
    ]
    token = web_token()
    if token is None and not is_loopback(host):
        logger.warning("Dashboard off: serving it on %s needs an access token in %s", host, ENV_WEB_TOKEN)
    else:
        routes.append(Mount("", app=create_app(app, token=token)))
    return Starlette(routes=routes)


class Service:
    """The HTTP endpoint in a thread of its own (uvicorn); start() binds, close() stops and joins."""

    def __init__(self, app: App, host: str | None = None, port: int | None = None) -> None:
        self.app = app
        self.host = host if host is not None else app.settings.daemon.http_host
        self._port = port if port is not None else app.settings.daemon.http_port or 0
        self._server: Server | None = None

    def start(self) -> Service:
        self._server = Server(build_asgi(self.app, self.host), self.host, self._port).start()
        return self

    @property
    def port(self) -> int:
        assert self._server is not None, "service not started"
        return self._server.port

    @property
    def url(self) -> str:
        assert self._server is not None, "service not started"
        return self._server.url

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def __enter__(self) -> Service:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
