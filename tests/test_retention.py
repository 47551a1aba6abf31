"""Retention of health episodes: a source that flaps for months, its old closed episodes pruned by the
health check (daemon.keep_health_days) — the open one kept however old, one an alert still waits for
kept whole, /metrics unchanged to the byte, and what `watcher alerts`, /healthz and the dashboard show of
the kept episodes unchanged. A prune with nothing to do is two statements answered from indexes.

Real parts throughout: the store on SQLite and PostgreSQL, alerts sent over HTTP to a real receiver (and
given up on a closed port), the dashboard's ASGI app. Time is moved, not waited for."""

from __future__ import annotations

import asyncio
import re
import socket
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, event

from tests.conftest import ROOT
from tests.test_health import Clock, publish, run
from watcher.app import App, build_app
from watcher.config import Settings
from watcher.health import check_sources, health_report, open_episodes
from watcher.service import metrics_text
from watcher.web import create_app

START = datetime(2024, 1, 1, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)
WEEKS = 26  # half a year of a source failing once a week
KEEP_DAYS = 30


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def make_app(db_url: str, tmp_path: Path, clock: Clock, webhook_receiver) -> Iterator[Callable[..., App]]:
    """Apps on one database: alerts go to `ops` (a receiver that takes them) and `dead` (a closed port,
    given up at the first attempt); `extra` channels are added for one app only."""
    receiver = webhook_receiver()
    dead = f"http://127.0.0.1:{_closed_port()}/hook"
    apps: list[App] = []

    def make(extra: tuple[str, ...] = (), **daemon: Any) -> App:
        channels = [
            {"type": "webhook", "name": "ops", "url": receiver.url},
            {"type": "webhook", "name": "dead", "url": dead},
            *({"type": "webhook", "name": name, "url": dead} for name in extra),
        ]
        settings = Settings.model_validate(
            {
                "database_url": db_url,
                "storage_dir": str(tmp_path),
                "lexicon_dir": str(ROOT / "config" / "lexicon"),
                "sources": [
                    {"name": "bureau", "start_urls": ["http://127.0.0.1:9/news/"], "expected_period": "2d"}
                ],
                "channels": channels,
                "alerts": {"max_attempts": 1},
                "daemon": {"failing_after_runs": 2, "keep_health_days": 10_000} | daemon,
            }
        )
        app = build_app(settings, clock=clock)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()


def check(app: App, by: App | None = None) -> list[str]:
    """A check of every source (by another replica, when given), the alerts sent: the kinds it raised."""
    events = [e.kind for e in check_sources(by or app)]
    app.deliver()
    return events


def flap_for_a_week(
    app: App, clock: Clock, *, raised_by: App | None = None, recovered_by: App | None = None
) -> None:
    """Two failed runs (failing), a good one a day later (recovered), then quiet days."""
    clock.move(DAY)
    run(app, ok=False)
    run(app, ok=False)
    assert check(app, by=raised_by) == ["source_failing"]
    clock.move(DAY)
    run(app, ok=True)
    assert check(app, by=recovered_by) == ["source_recovered"]
    clock.move(5 * DAY)


def months_of_flapping(make_app: Callable[..., App], clock: Clock) -> App:
    """One article at the start, never another (a quiet episode opened in the first week, still open),
    and a failing episode each week. In week 2 the recovery, in week 4 the change that opens the
    episode, is recorded by a replica with a `pager` channel the others lack: that alert waits, pending,
    for good."""
    app = make_app()
    publish(app, 1)
    run(app, ok=True)
    assert check(app) == []
    for week in range(WEEKS):
        pager = make_app(extra=("pager",)) if week in (2, 4) else None
        flap_for_a_week(
            app, clock, raised_by=pager if week == 4 else None, recovered_by=pager if week == 2 else None
        )
        if week == 0:
            assert check(app) == ["source_quiet"]
    return app


def dashboard(app: App, *paths: str) -> list[Any]:
    async def get_all() -> list[Any]:
        transport = httpx.ASGITransport(app=create_app(app))
        async with httpx.AsyncClient(transport=transport, base_url="http://watcher.test") as client:
            answers = [await client.get(path) for path in paths]
        assert all(a.status_code == 200 for a in answers)
        return [a.json() if "/api/" in str(a.url) else a.text for a in answers]

    return asyncio.run(get_all())


def seen_by_a_user(app: App) -> dict[str, Any]:
    """What `watcher alerts`, /healthz, /metrics and the dashboard show, by change id where per change."""
    changes, sources, overview = dashboard(app, "/api/changes?limit=500", "/api/sources", "/")
    now = app.clock()
    return {
        "alerts": {r.id: r for r in app.store.change_rows()},
        "dead letters": {(f.key, f.channel): f for f in app.store.failed_deliveries()},
        "api changes": {c["id"]: c for c in changes["changes"]},
        "api sources": sources,
        "overview": overview,
        "healthz": health_report(app, now),
        "metrics": metrics_text(app, now),
        "open": open_episodes(app.store.health_events()),
    }


CHANGE_ITEM = re.compile(r'<li class="change.*?</li>', re.S)


def overview_items(seen: dict[str, Any]) -> tuple[str, list[str]]:
    """The overview page without its list of latest changes (and the blank lines between them), and
    that list's items."""
    html = seen["overview"]
    return re.sub(r"\s+", " ", CHANGE_ITEM.sub("", html)), CHANGE_ITEM.findall(html)


def closed_before(app: App, cutoff: datetime, waiting: set[int]) -> set[int]:
    """The change ids of the episodes recovered before `cutoff` whose alerts do not wait (by the rows
    `watcher alerts` lists, independently of the store's pruning)."""
    rows = app.store.change_rows()
    by_episode: dict[tuple[str, str, str], list[Any]] = {}
    for r in rows:
        health = r.new["health"]
        by_episode.setdefault((health["source"], health["dimension"], health["episode"]), []).append(r)
    doomed: set[int] = set()
    for episode in by_episode.values():
        ids = {r.id for r in episode}
        ended = [r for r in episode if r.kind == "source_recovered" and r.created_at < cutoff]
        if ended and ids.isdisjoint(waiting):
            doomed |= ids
    return doomed


def waiting_episode(app: App) -> set[int]:
    """The changes of the episodes whose alert waits (weeks 2 and 4, on `pager`)."""
    pending = {r.id for r in app.store.change_rows() if "pending" in r.deliveries.values()}
    assert len(pending) == 2
    recoveries = {r.id for r in app.store.change_rows() if r.id in pending and r.kind == "source_recovered"}
    return pending | opened_by(app, recoveries) | closed_by(app, pending - recoveries)


def opened_by(app: App, recoveries: set[int]) -> set[int]:
    """The ids of the changes that opened the episodes these recoveries closed."""
    return _same_episode(app, recoveries, want_recovery=False)


def closed_by(app: App, openings: set[int]) -> set[int]:
    """The ids of the recoveries that closed the episodes these changes opened."""
    return _same_episode(app, openings, want_recovery=True)


def _same_episode(app: App, ids: set[int], *, want_recovery: bool) -> set[int]:
    rows = app.store.change_rows()
    episode = {r.id: tuple(r.new["health"][k] for k in ("source", "dimension", "episode")) for r in rows}
    wanted = {episode[i] for i in ids}
    return {r.id for r in rows if (r.kind == "source_recovered") == want_recovery and episode[r.id] in wanted}


def test_months_of_flapping_pruned_keep_the_open_episode_the_metrics_and_what_users_see(make_app, clock):
    app = months_of_flapping(make_app, clock)
    before = seen_by_a_user(app)
    assert len(before["alerts"]) == 2 * WEEKS + 1
    assert before["open"] == {("bureau", "quiet"): START.isoformat()}, "silent since the first week"
    waiting = waiting_episode(app)
    assert (
        sorted(before["alerts"][i].kind for i in waiting) == ["source_failing"] * 2 + ["source_recovered"] * 2
    )
    cutoff = clock() - timedelta(days=KEEP_DAYS)
    doomed = closed_before(app, cutoff, waiting)
    recovered = [w for w in range(WEEKS) if START + (7 * w + 2) * DAY < cutoff]  # week w: days 7w+1, 7w+2
    assert len(doomed) == 2 * (len(recovered) - 2), "all but the waiting ones (weeks 2 and 4)"

    pruning = make_app(keep_health_days=KEEP_DAYS)
    assert check(pruning) == [], "the check that prunes raises nothing"
    after = seen_by_a_user(app)

    assert set(after["alerts"]) == set(before["alerts"]) - doomed
    assert after["open"] == before["open"], "the open episode is kept, however old"
    assert after["metrics"] == before["metrics"], "every counter /metrics shows is unchanged"
    assert app.store.change_counts()["source_failing"] == WEEKS
    assert app.store.delivery_counts()[("ops", "sent")] == 2 * WEEKS + 1
    for seen in ("alerts", "api changes"):
        assert after[seen] == {i: v for i, v in before[seen].items() if i not in doomed}, seen
    assert after["dead letters"] == {
        k: f for k, f in before["dead letters"].items() if k in after["dead letters"]
    }
    assert len(before["dead letters"]) - len(after["dead letters"]) == len(doomed), "one on `dead` each"
    for seen in ("api sources", "healthz"):
        assert after[seen] == before[seen], seen
    # the overview lists the latest changes: those of the kept episodes as they were, older kept ones
    # moving up where pruned ones were, and the rest of the page unchanged
    (page_before, shown_before), (page_after, shown_after) = map(overview_items, (before, after))
    assert page_after == page_before
    newest_first = sorted(before["api changes"], reverse=True)
    still_shown = [item for item, i in zip(shown_before, newest_first, strict=False) if i not in doomed]
    assert 0 < len(still_shown) < len(shown_before) == 20
    assert len(shown_after) == min(20, len(after["alerts"]))
    assert shown_after[: len(still_shown)] == still_shown
    assert pruning.store.prune_health(cutoff) == 0, "pruned once"

    # and so on: the check keeps pruning as the weeks go by, the counters go on counting
    for _ in range(8):
        flap_for_a_week(pruning, clock)
    kept = [r for r in pruning.store.change_rows() if r.id not in waiting]
    assert all(
        r.created_at >= clock() - timedelta(days=KEEP_DAYS + 7) for r in kept if r.kind != "source_quiet"
    )
    closed = [r for r in kept if r.kind == "source_failing"]
    assert len(closed) == KEEP_DAYS // 7 + 1, "a flapping source keeps a month of episodes, not all"
    assert pruning.store.change_counts()["source_failing"] == WEEKS + 8
    assert pruning.store.delivery_counts()[("dead", "failed")] == 2 * (WEEKS + 8) + 1
    assert open_episodes(pruning.store.health_events()) == before["open"]


def test_pruning_in_small_batches_deletes_the_same(make_app, clock):
    app = months_of_flapping(make_app, clock)
    cutoff = clock() - timedelta(days=KEEP_DAYS)
    doomed = closed_before(app, cutoff, waiting_episode(app))
    counts = (app.store.change_counts(), app.store.delivery_counts())
    assert app.store.prune_health(cutoff, batch=2) == len(doomed) > 0
    assert {r.id for r in app.store.change_rows()}.isdisjoint(doomed)
    assert (app.store.change_counts(), app.store.delivery_counts()) == counts


def test_a_digest_not_yet_sent_keeps_what_it_covers(make_app, clock):
    app = months_of_flapping(make_app, clock)
    subscribed = START + 100 * DAY
    subscriber, _ = app.store.add_subscriber("ops@example.org", now=subscribed)
    claim = app.store.claim_digest(subscriber, "2024-07-01", "daily", cutoff=clock(), now=clock())
    assert claim is not None and claim.since == subscribed  # sending: its window is read again on a retry
    doomed = closed_before(app, subscribed, waiting_episode(app))
    assert 0 < len(doomed) < len(closed_before(app, clock() - timedelta(days=KEEP_DAYS), set()))
    assert app.store.prune_health(clock() - timedelta(days=KEEP_DAYS)) == len(doomed)
    assert not {r.id for r in app.store.change_rows()} & doomed


def _statements(engine: Engine, call: Callable[[], object]) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def test_a_prune_with_nothing_to_do_is_two_index_probes(make_app, clock, db_url):
    app = months_of_flapping(make_app, clock)
    cutoff = clock() - timedelta(days=KEEP_DAYS)
    assert app.store.prune_health(cutoff) > 0
    engine = app.store._engine
    waiting = _statements(engine, lambda: app.store.prune_health(cutoff))
    # week 4's episode, its opening alert waiting, is looked at again: the change that opened it and their
    # deliveries read, nothing deleted
    assert len(waiting) == 4 and all(s.lstrip().startswith("SELECT") for s, _ in waiting), waiting
    make_app(extra=("pager",)).deliver()  # the waiting alerts are given up at last…
    assert app.store.prune_health(cutoff) == 4, "…and their episodes go at the next prune"
    statements = _statements(engine, lambda: app.store.prune_health(cutoff))
    assert [s.split()[:2] for s, _ in statements] == [
        ["SELECT", "min(digests.since)"],  # the oldest digest to be sent
        ["SELECT", "changes.id,"],  # the old recoveries: none
    ]
    if not db_url.startswith("sqlite"):
        return
    db = sqlite3.connect(db_url.removeprefix("sqlite:///"))
    try:
        for statement, parameters in statements:
            plan = [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)]
            reads = [step for step in plan if step.startswith(("SCAN", "SEARCH"))]
            assert reads and all(step.startswith("SEARCH") and " INDEX " in step for step in reads), plan
            if "FROM changes" in statement:  # only the recoveries older than the cutoff, not all of them
                assert (
                    "SEARCH changes USING INDEX ix_changes_kind_created_at (kind=? AND created_at<?)" in plan
                )
    finally:
        db.close()


def test_closed_quiet_episodes_are_pruned_too(make_app, clock):
    app = make_app()
    for n in range(5):  # an article, then three days of silence (quiet), then the next one (recovered)
        publish(app, n)
        run(app, ok=True)
        assert check(app) == ([] if n == 0 else ["source_recovered"])
        clock.move(3 * DAY)
        assert check(app) == ["source_quiet"]
    publish(app, 5)
    assert check(app) == ["source_recovered"]
    counts = (app.store.change_counts(), app.store.delivery_counts(), metrics_text(app, clock()))
    assert counts[0] == {"source_quiet": 5, "source_recovered": 5}
    clock.move((KEEP_DAYS - 4) * DAY)  # episodes ended on days 3, 6, 9, 12 and 15: now day 41
    publish(app, 6)
    assert check(make_app(keep_health_days=KEEP_DAYS)) == []
    kept = app.store.change_rows()
    assert [r.kind for r in kept] == ["source_quiet", "source_recovered"] * 2, "those after day 11"
    assert min(r.created_at for r in kept) >= clock() - KEEP_DAYS * DAY
    assert (app.store.change_counts(), app.store.delivery_counts()) == counts[:2]
    assert open_episodes(app.store.health_events()) == {}
