"""`watcher run` with `daemon.http_port`: the dashboard is served beside /healthz and /metrics."""

from __future__ import annotations

import asyncio

import httpx

from watcher.app import build_app
from watcher.config import load_settings
from watcher.service import Service, build_asgi


def test_the_daemon_endpoint_serves_the_dashboard_beside_healthz(crawled):
    app = build_app(load_settings(crawled.config))
    try:
        with Service(app, host="127.0.0.1", port=0) as service, httpx.Client(base_url=service.url) as client:
            assert client.get("/healthz").json()["status"] == "ok"
            assert "watcher_changes_total" in client.get("/metrics").text
            overview = client.get("/")
            assert overview.status_code == 200 and "超1600亿元 → 超1800亿元" in overview.text
            assert client.get("/api/changes", params={"kind": "target_changed"}).json()["changes"]
            assert client.post("/healthz").status_code == 405
    finally:
        app.close()


def _statuses(asgi, *requests: tuple[str, dict[str, str]]) -> list[int]:
    """Requests straight to the ASGI app (nothing listens beyond the loopback in a test)."""

    async def run() -> list[int]:
        transport = httpx.ASGITransport(app=asgi)
        async with httpx.AsyncClient(transport=transport, base_url="http://watcher.test") as client:
            return [(await client.get(path, headers=headers)).status_code for path, headers in requests]

    return asyncio.run(run())


def test_beyond_the_loopback_without_a_token_only_the_operators_endpoints_answer(
    crawled, monkeypatch, caplog
):
    monkeypatch.delenv("WATCHER_WEB_TOKEN", raising=False)
    app = build_app(load_settings(crawled.config))
    try:
        without = build_asgi(app, "0.0.0.0")
        assert _statuses(without, ("/healthz", {}), ("/", {}), ("/api/changes", {})) == [200, 404, 404]
        assert (
            "Dashboard off: serving it on 0.0.0.0 needs an access token in WATCHER_WEB_TOKEN" in caplog.text
        )
        monkeypatch.setenv("WATCHER_WEB_TOKEN", "t0ken")
        with_token = build_asgi(app, "0.0.0.0")
        bearer = {"Authorization": "Bearer t0ken"}
        requests = (("/api/changes", {}), ("/api/changes", bearer), ("/healthz", {}))
        assert _statuses(with_token, *requests) == [401, 200, 200]
    finally:
        app.close()
