"""Source health: the decision table (pure, time given), then the same rules through the store — once per
episode, recovered once, rendered and delivered like any alert. Time is moved, not waited for."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import ROOT
from watcher.app import App, build_app
from watcher.config import DaemonSettings, Settings, SourceSpec
from watcher.health import assess, check_sources, decide, health_report, open_episodes
from watcher.models import Article
from watcher.store import health as store_health
from watcher.store.health import HealthEventRow, SourceState

NOW = datetime(2024, 10, 1, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)
SETTINGS = DaemonSettings(failing_after_runs=3, quiet_after="14d")


def spec(expected_period: str | None = None) -> SourceSpec:
    return SourceSpec(
        name="bureau", start_urls=["https://example.invalid/news/"], expected_period=expected_period
    )


def state(**kw) -> SourceState:
    base = {"first_run": NOW - 60 * DAY, "last_new_article": NOW - DAY, "last_run": NOW, "last_success": NOW}
    return SourceState("bureau", **(base | kw))


OLD = (NOW - 20 * DAY).isoformat()
FAILING_7 = {"consecutive_failures": 3, "failing_since_run": 7, "last_error": "HTTP 503"}

# id, state (None: never crawled), expected_period, open failing episode, open quiet episode, expected
TABLE = [
    ("healthy", state(), None, None, None, []),
    ("never crawled", None, None, None, None, []),
    (
        "two failures: below the threshold",
        state(consecutive_failures=2, failing_since_run=7),
        None,
        None,
        None,
        [],
    ),
    ("third failure raises failing", state(**FAILING_7), None, None, None, [("source_failing", "7")]),
    ("still failing: raised once", state(**FAILING_7 | {"consecutive_failures": 9}), None, "7", None, []),
    ("a good run recovers", state(), None, "7", None, [("source_recovered", "7")]),
    (
        "a new streak means the old one ended",
        state(consecutive_failures=1, failing_since_run=12),
        None,
        "7",
        None,
        [("source_recovered", "7")],
    ),
    (
        "a new streak past the threshold, its recovery unseen",
        state(consecutive_failures=3, failing_since_run=12),
        None,
        "7",
        None,
        [("source_recovered", "7"), ("source_failing", "12")],
    ),
    ("nothing new for 15 days: quiet", state(last_new_article=NOW - 15 * DAY), None, None, None, ["quiet"]),
    ("14 days is not longer than 14d", state(last_new_article=NOW - 14 * DAY), None, None, None, []),
    (
        "expected_period 2d: 3 days is quiet",
        state(last_new_article=NOW - 3 * DAY),
        "2d",
        None,
        None,
        ["quiet"],
    ),
    ("expected_period 7d: 3 days is fine", state(last_new_article=NOW - 3 * DAY), "7d", None, None, []),
    ("quiet: raised once", state(last_new_article=NOW - 20 * DAY), None, None, OLD, []),
    ("a new article recovers quiet", state(), None, None, OLD, [("source_recovered", OLD)]),
    ("no article ever: quiet since the first run", state(last_new_article=None), None, None, None, ["quiet"]),
    (
        "failing is not also quiet",
        state(**FAILING_7 | {"last_new_article": NOW - 20 * DAY}),
        None,
        None,
        None,
        [("source_failing", "7")],
    ),
]


@pytest.mark.parametrize(
    ("st", "period", "failing", "quiet", "expected"), [t[1:] for t in TABLE], ids=[t[0] for t in TABLE]
)
def test_decision_table(st, period, failing, quiet, expected):
    health = assess(st, spec(period), SETTINGS, NOW)
    events = decide(health, failing, quiet)
    got = [("quiet" if e.kind == "source_quiet" else (e.kind, e.episode)) for e in events]
    assert got == expected
    for event in events:
        assert event.summary_zh.startswith("信息源「bureau」") and event.summary_en.startswith(
            "Source bureau"
        )
        assert event.key == decide(health, failing, quiet)[events.index(event)].key, "keys are stable"


def test_quiet_episode_is_the_newest_article_and_summaries_say_how_long():
    newest = NOW - 15 * DAY
    (event,) = decide(assess(state(last_new_article=newest), spec(), SETTINGS, NOW), None, None)
    assert event.episode == newest.isoformat() and event.value == 15
    assert "15天没有新文章" in event.summary_zh and "14天" in event.summary_zh
    assert "nothing new for 15 days (expected within 14 days)" in event.summary_en


def test_open_episodes_fold_the_history():
    rows = [
        HealthEventRow("a", "source_failing", "failing", "7"),
        HealthEventRow("a", "source_recovered", "failing", "7"),
        HealthEventRow("a", "source_failing", "failing", "12"),
        HealthEventRow("b", "source_quiet", "quiet", OLD),
    ]
    assert open_episodes(rows) == {("a", "failing"): "12", ("b", "quiet"): OLD}


# --- through the store: once per episode ---------------------------------------------------------------


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def move(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def make_app(db_url: str, tmp_path: Path, clock: Clock) -> Iterator[Callable[..., App]]:
    apps: list[App] = []

    def make(channels: list[dict] | None = None, **daemon) -> App:
        settings = Settings.model_validate(
            {
                "database_url": db_url,
                "storage_dir": str(tmp_path),
                "lexicon_dir": str(ROOT / "config" / "lexicon"),
                "sources": [
                    {"name": "bureau", "start_urls": ["http://127.0.0.1:9/news/"], "expected_period": "2d"}
                ],
                "channels": channels
                or [{"type": "webhook", "name": "ops", "url": "http://127.0.0.1:9/hook"}],
                "daemon": {"failing_after_runs": 2} | daemon,
            }
        )
        app = build_app(settings, clock=clock)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()


def run(app: App, *, ok: bool) -> None:
    """A finished crawl run of the source at the app's time."""
    source_id = app.store.ensure_source("bureau", region=None, outlet=None)
    run_id = app.store.start_run(source_id, app.clock())
    app.store.finish_run(
        run_id, finished_at=app.clock(), stats={"errors": int(not ok)}, error=None if ok else "HTTP 503"
    )


def publish(app: App, n: int) -> None:
    source_id = app.store.ensure_source("bureau", region=None, outlet=None)
    article = Article(url=f"http://127.0.0.1:9/news/{n}.html", text=f"第{n}篇文章。" * 20, title=f"文章{n}")
    app.store.save_article(
        source_id=source_id, url=article.url, article=article, raw=b"", fetched_at=app.clock()
    )


def kinds(app: App) -> list[str]:
    return [r.kind for r in app.store.change_rows(immediate=True)]


def test_failing_is_raised_once_per_episode_and_recovered_once(make_app, clock):
    app = make_app()
    publish(app, 1)
    run(app, ok=True)
    run(app, ok=False)
    assert check_sources(app) == [] and kinds(app) == []
    clock.move(timedelta(hours=6))
    run(app, ok=False)
    (event,) = check_sources(app)
    assert event.kind == "source_failing" and event.value == 2
    run(app, ok=False)
    assert check_sources(app) == [], "still the same episode"
    assert kinds(app) == ["source_failing"]
    run(app, ok=True)
    assert [e.kind for e in check_sources(app)] == ["source_recovered"]
    assert check_sources(app) == []
    run(app, ok=False)
    run(app, ok=False)
    assert [e.kind for e in check_sources(app)] == ["source_failing"], "a new episode"
    assert kinds(app) == ["source_failing", "source_recovered", "source_failing"]
    rows = app.store.change_rows()
    assert all(r.deliveries == {"ops": "pending"} for r in rows), "one alert per change and channel"
    assert "连续2次抓取失败: HTTP 503" in rows[0].summary_zh


def test_quiet_after_the_expected_period_then_back(make_app, clock):
    app = make_app()
    publish(app, 1)
    run(app, ok=True)
    clock.move(timedelta(days=2))
    assert check_sources(app) == [], "exactly the expected period is not yet quiet"
    clock.move(timedelta(hours=1))
    run(app, ok=True)
    (event,) = check_sources(app)
    assert event.kind == "source_quiet" and "2.0" not in event.summary_zh
    clock.move(timedelta(days=5))
    assert check_sources(app) == [], "raised once"
    assert health_report(app, clock())["quiet"] == ["bureau"]
    publish(app, 2)
    assert [(e.kind, e.dimension) for e in check_sources(app)] == [("source_recovered", "quiet")]
    assert check_sources(app) == []
    assert health_report(app, clock())["quiet"] == []


def test_a_second_checker_records_nothing_twice(make_app):
    first, second = make_app(), make_app()
    run(first, ok=False)
    run(first, ok=False)
    assert len(check_sources(first)) == 1
    assert check_sources(second) == []
    assert kinds(first) == ["source_failing"]


def test_health_alerts_are_rendered_and_delivered_like_any_alert(make_app, webhook_receiver, clock):
    receiver = webhook_receiver()
    app = make_app(channels=[{"type": "webhook", "name": "ops", "url": receiver.url}])
    run(app, ok=False)
    run(app, ok=False)
    check_sources(app)
    stats = app.deliver()
    assert (stats.sent, stats.failed) == (1, 0)
    (request,) = receiver.requests
    payload = request.json()
    assert payload["kind"] == "source_failing" and payload["subject"] == "bureau"
    assert payload["summary_en"] == "Source bureau: 2 runs in a row failed: HTTP 503"
    assert payload["new"]["evidence"]["sentence"] == "HTTP 503"
    assert payload["new"]["evidence"]["url"] == "http://127.0.0.1:9/news/"
    assert app.deliver().sent == 0, "sent once"


def test_a_change_another_checker_recorded_meanwhile_is_no_error(make_app, monkeypatch):
    app = make_app()
    run(app, ok=False)
    run(app, ok=False)
    (event,) = check_sources(app)
    real, calls = store_health._has_change, []

    def not_yet(s, key: str) -> bool:  # the other process commits between our check and our insert
        calls.append(key)
        return len(calls) > 1 and real(s, key)

    monkeypatch.setattr(store_health, "_has_change", not_yet)
    recorded = app.store.record_health_change(
        key=event.key,
        kind=event.kind,
        subject=event.source,
        summary_zh=event.summary_zh,
        summary_en=event.summary_en,
        new=event.new("2024-10-01"),
        created_at=NOW,
        channels=["ops"],
    )
    assert recorded is False and kinds(app) == ["source_failing"]
    assert len(calls) == 2, "checked, failed to insert, checked again"


def test_old_runs_are_pruned_with_their_counts_kept_and_the_health_unchanged(make_app, clock):
    app = make_app(keep_runs_days=30)
    run(app, ok=True)  # the first run: kept, whatever its age
    for _ in range(5):
        clock.move(timedelta(days=10))
        run(app, ok=True)
    clock.move(timedelta(days=10))
    run(app, ok=False)  # the last good run and the streak since: kept
    before = app.store.crawl_totals()["bureau"]
    states = app.store.source_states()
    check_sources(app)  # a check of every source prunes
    source_id = app.store.ensure_source("bureau", region=None, outlet=None)
    # the runs of 50 and 40 days ago go; the first (60 days ago), the last good one and the streak stay
    assert app.store.consecutive_failures(source_id) == 1
    after = app.store.crawl_totals()["bureau"]
    assert (after.runs_ok, after.runs_failed, after.stats) == (
        before.runs_ok,
        before.runs_failed,
        before.stats,
    )
    assert app.store.source_states() == states, "what the health check reads is kept"
    assert app.store.prune_runs(clock()) == 2, "only what is older than the cutoff and not kept"
    assert app.store.crawl_totals()["bureau"].runs_ok == before.runs_ok, "counts kept again"
    assert app.store.source_states() == states


def test_a_check_of_one_source_reads_only_its_rows(make_app, clock):
    app = make_app()
    for n in range(30):  # other sources' runs and health changes
        other = app.store.ensure_source(f"other{n}", region=None, outlet=None)
        app.store.finish_run(app.store.start_run(other, clock()), finished_at=clock(), stats={}, error="x")
    run(app, ok=False)
    run(app, ok=False)
    assert set(app.store.source_states({"bureau"})) == {"bureau"}
    (event,) = check_sources(app, names={"bureau"})
    assert event.kind == "source_failing"
    assert [r.source for r in app.store.health_events({"bureau"})] == ["bureau"]
    assert app.store.health_events({"other1"}) == []
