"""The HTTP endpoint on a real socket (port 0): /healthz, /metrics, /unsubscribe."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT
from watcher.app import App, build_app
from watcher.config import Settings
from watcher.health import check_sources
from watcher.service import Service

NOW = datetime(2024, 10, 1, 8, 0, tzinfo=UTC)
SAMPLE = re.compile(
    r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+]+)$'
)


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> Iterator[App]:
    settings = Settings.model_validate(
        {
            "database_url": db_url,
            "storage_dir": str(tmp_path),
            "lexicon_dir": str(ROOT / "config" / "lexicon"),
            "sources": [
                {"name": "江门要闻", "start_urls": ["http://127.0.0.1:9/a/"]},
                {"name": "epaper", "start_urls": ["http://127.0.0.1:9/b/"], "expected_period": "2d"},
            ],
            "channels": [{"type": "webhook", "name": "ops", "url": "http://127.0.0.1:9/hook"}],
            "daemon": {"failing_after_runs": 2},
        }
    )
    app = build_app(settings, clock=lambda: NOW)
    yield app
    app.close()


@pytest.fixture
def client(app: App) -> Iterator[httpx.Client]:
    with Service(app, port=0) as service, httpx.Client(base_url=service.url, timeout=5) as client:
        assert service.port > 0
        yield client


def run(app: App, source: str, *, error: str | None = None, **stats: int) -> None:
    source_id = app.store.ensure_source(source, region=None, outlet=None)
    run_id = app.store.start_run(source_id, NOW - timedelta(minutes=5))
    app.store.finish_run(run_id, finished_at=NOW - timedelta(minutes=4), stats=stats, error=error)


def test_healthz_is_ok_with_every_source_listed(app, client):
    run(app, "江门要闻", new=3)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status"] == "ok" and body["failing"] == []
    assert body["sources"]["江门要闻"] == {
        "last_success": (NOW - timedelta(minutes=4)).isoformat(),
        "last_run": (NOW - timedelta(minutes=4)).isoformat(),
        "consecutive_failures": 0,
        "failing": False,
        "quiet": False,
    }
    assert body["sources"]["epaper"] == {
        "last_success": None,
        "last_run": None,
        "consecutive_failures": 0,
        "failing": False,
        "quiet": False,
    }


def test_healthz_is_503_while_a_source_fails(app, client):
    run(app, "epaper")
    run(app, "epaper", error="HTTP 503")
    assert client.get("/healthz").status_code == 200, "one failure is not failing yet"
    run(app, "epaper", error="HTTP 503")
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded" and body["failing"] == ["epaper"]
    assert body["sources"]["epaper"]["consecutive_failures"] == 2
    assert body["sources"]["epaper"]["last_success"] is not None
    run(app, "epaper")
    assert client.get("/healthz").status_code == 200


def parse_metrics(text: str) -> dict[str, float]:
    """Every line a sample or a # HELP / # TYPE line; samples keyed by name{labels}."""
    samples: dict[str, float] = {}
    typed: set[str] = set()
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            name, kind = line.split()[2:4]
            assert kind in ("counter", "gauge")
            typed.add(name)
            continue
        m = SAMPLE.match(line)
        assert m, f"not a Prometheus sample: {line!r}"
        assert m.group(1) in typed, f"{m.group(1)} has no # TYPE line before it"
        samples[line.rsplit(" ", 1)[0]] = float(m.group(4))
    return samples


def test_metrics_are_prometheus_text_counted_from_the_database(app, client):
    run(app, "江门要闻", listing_fetched=3, listing_not_modified=1, new=20, unchanged=2, facts=40, errors=1)
    run(app, "江门要闻", listing_not_modified=1)
    run(app, "epaper", error="HTTP 503", errors=1)
    run(app, "epaper", error="HTTP 503", errors=1)
    check_sources(app)  # records a source_failing change, with its alert for channel ops
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    m = parse_metrics(response.text)
    assert m['watcher_pages_fetched_total{source="江门要闻",kind="listing"}'] == 5
    assert m['watcher_pages_fetched_total{source="江门要闻",kind="article"}'] == 22
    assert m['watcher_articles_total{source="江门要闻",status="new"}'] == 20
    assert m['watcher_facts_total{source="江门要闻"}'] == 40
    assert m['watcher_fetch_errors_total{source="epaper"}'] == 2
    assert m['watcher_crawl_runs_total{source="江门要闻",result="ok"}'] == 2
    assert m['watcher_crawl_runs_total{source="epaper",result="failed"}'] == 2
    assert m['watcher_changes_total{kind="source_failing"}'] == 1
    assert m['watcher_alerts_pending{channel="ops"}'] == 1
    assert m['watcher_alerts_delivered_total{channel="ops"}'] == 0
    assert m['watcher_source_failing{source="epaper"}'] == 1
    assert m['watcher_source_failing{source="江门要闻"}'] == 0
    assert m['watcher_source_consecutive_failures{source="epaper"}'] == 2
    last = m['watcher_source_last_success_timestamp_seconds{source="江门要闻"}']
    assert last == (NOW - timedelta(minutes=4)).timestamp()


def test_metrics_escape_label_values(app, client):
    run(app, 'a "quoted" \\ name', new=1)
    m = parse_metrics(client.get("/metrics").text)
    assert m['watcher_articles_total{source="a \\"quoted\\" \\\\ name",status="new"}'] == 1


def test_unsubscribe_link_asks_first_and_a_post_unsubscribes(app, client):
    nia, _ = app.store.add_subscriber("nia@example.test", now=NOW)
    page = client.get("/unsubscribe", params={"token": nia.token})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "nia@example.test" in page.text and 'method="post"' in page.text and nia.token in page.text
    assert app.store.subscriber(nia.id).is_active, "a GET (a mail scanner following the link) changes nothing"
    one_click = client.post(
        f"/unsubscribe?token={nia.token}",
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert one_click.status_code == 200 and "已退订" in one_click.text and "no more email" in one_click.text
    gone = app.store.subscriber(nia.id)
    assert not gone.is_active and gone.unsubscribed_at == NOW


def test_the_confirmation_form_unsubscribes_and_unknown_tokens_are_refused(app, client):
    ivy, _ = app.store.add_subscriber("ivy@example.test", now=NOW)
    form = client.post("/unsubscribe", data={"token": ivy.token})
    assert form.status_code == 200 and not app.store.subscriber(ivy.id).is_active
    again = client.get("/unsubscribe", params={"token": ivy.token})
    assert again.status_code == 200, "the link still answers (a second click is harmless)"
    unknown = client.get("/unsubscribe", params={"token": "<script>"})
    assert unknown.status_code == 404 and "<script>" not in unknown.text
    assert client.post("/unsubscribe", data={"token": "nope"}).status_code == 404
    assert client.get("/unsubscribe").status_code == 400


def test_unknown_paths_and_methods(client):
    assert client.get("/nothing").status_code == 404
    assert client.post("/healthz").status_code == 405


def test_an_error_is_a_500_and_the_endpoint_stays_up(app, client, monkeypatch, caplog):
    def broken() -> dict:
        raise RuntimeError("database gone")

    monkeypatch.setattr(app.store, "change_counts", broken)
    assert client.get("/metrics").status_code == 500
    assert "database gone" in caplog.text
    assert client.get("/healthz").status_code == 200


def test_subscribers_alerts_are_one_series(app, client):
    for n in (1, 2):
        app.store.record_health_change(
            key=f"k{n}",
            kind="source_failing",
            subject="epaper",
            summary_zh="…",
            summary_en="…",
            new={"evidence": {"url": "http://127.0.0.1:9/b/"}},
            created_at=NOW,
            channels=["ops", "subscriber:1", "subscriber:2"],
        )
    m = parse_metrics(client.get("/metrics").text)
    assert m['watcher_alerts_pending{channel="subscribers"}'] == 4
    assert m['watcher_alerts_pending{channel="ops"}'] == 2
    assert not any("subscriber:" in key for key in m)
