"""The bars, over HTTP: a site crawled in two rounds, then `watcher serve` on the same config and database."""

from __future__ import annotations

import csv
import io
import os
import socket
import subprocess
import sys
from xml.etree import ElementTree as ET

import httpx
import pytest

from tests.web.conftest import Served
from watcher.cli import main

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def client(served: str):
    with httpx.Client(base_url=served, timeout=10) as c:
        yield c


def test_changes_hold_the_raised_target_with_its_new_value(client):
    body = client.get("/api/changes", params={"kind": "target_changed"}).json()
    (change,) = body["changes"]
    assert change["subject"] == "八镇" and change["indicator"] == "规上工业总产值"
    assert change["new"]["value"] == 1.8e11 and change["old"]["value"] == 1.6e11
    assert "超1800亿元" in change["summary_zh"] and "over 1800亿元" in change["summary_en"]
    assert [s["published"] for s in change["sources"]] == ["2024-09-01", "2024-05-03"]
    assert (
        change["url"]
        == "/series/%E5%85%AB%E9%95%87/%E8%A7%84%E4%B8%8A%E5%B7%A5%E4%B8%9A%E6%80%BB%E4%BA%A7%E5%80%BC"
    )


def test_changes_filter_and_page_with_a_cursor(client):
    everything = client.get("/api/changes").json()["changes"]
    assert len(everything) == 5 and everything == sorted(everything, key=lambda c: -c["id"])
    first = client.get("/api/changes", params={"limit": 4}).json()
    rest = client.get("/api/changes", params={"limit": 4, "cursor": first["next_cursor"]}).json()
    assert [c["id"] for c in first["changes"] + rest["changes"]] == [c["id"] for c in everything]
    assert rest["next_cursor"] is None
    kinds = {c["kind"] for c in client.get("/api/changes", params={"subject": "储能"}).json()["changes"]}
    assert kinds == {"milestone_reached"}
    assert client.get("/api/changes", params={"since": "2999-01-01"}).json()["changes"] == []
    assert client.get("/api/changes", params={"limit": 0}).status_code == 422


def test_series_of_a_subject_each_with_observations_and_a_url(client):
    series = client.get("/api/series", params={"subject": "八镇"}).json()["series"]
    assert {(s["indicator"], s["kind"]) for s in series} == {
        ("规上工业总产值", "actual"),
        ("规上工业总产值", "target"),
    }
    target = next(s for s in series if s["kind"] == "target")
    assert [o["quantity_zh"] for o in target["observations"]] == ["超1600亿元", "超1800亿元"]
    for s in series:
        assert s["url"].startswith("/series/") and client.get(s["url"]).status_code == 200
    assert client.get("/api/series", params={"subject": "八镇", "kind": "forecast"}).json()["series"] == []


def test_milestones_hold_the_project_with_its_stages(client):
    (project,) = client.get("/api/milestones", params={"project": "储能"}).json()["projects"]
    assert project["project"] == "江门储能电池产业园项目" and project["stage"] == "topped_out"
    reached = {s["stage"]: s["date"] for s in project["stages"] if s["reached"]}
    assert reached == {"started": "2024-05-30", "topped_out": "2024-09-08"}
    assert client.get(project["url"]).status_code == 200


def test_sources_with_their_health(client):
    (source,) = client.get("/api/sources").json()["sources"]
    assert source["name"] == "江门新闻" and source["region"] == "江门"
    assert source["health"]["status"] == "ok" and source["health"]["consecutive_failures"] == 0


def test_an_article_has_its_facts_at_their_spans(client):
    target = client.get("/api/changes", params={"kind": "target_changed"}).json()["changes"][0]
    article = client.get("/api" + target["article_url"]).json()
    (fact,) = article["facts"]
    start, end = fact["span"]
    assert article["text"][start:end] == fact["raw"] == "八镇规上工业总产值力争超1800亿元"
    assert fact["url"] == target["url"]
    assert client.get("/api/articles/9999").status_code == 404


def test_openapi_documents_the_api(client):
    doc = client.get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    for path in (
        "/api/changes",
        "/api/series",
        "/api/milestones",
        "/api/sources",
        "/api/articles/{article_id}",
    ):
        assert "get" in doc["paths"][path], path
    names = {p["name"] for p in doc["paths"]["/api/changes"]["get"]["parameters"]}
    assert {"since", "kind", "subject", "indicator", "limit", "cursor"} <= names
    assert "/" not in doc["paths"], "pages are not part of the API"


def test_the_atom_feed_filters_like_the_api(client):
    response = client.get("/feeds/changes.atom", params={"indicator": "规上工业总产值"})
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    titles = [e.findtext(f"{ATOM}title") for e in feed.iter(f"{ATOM}entry")]
    assert len(titles) == 3 and any("超1800亿元" in t for t in titles)
    assert all(e.findtext(f"{ATOM}id") and e.findtext(f"{ATOM}updated") for e in feed.iter(f"{ATOM}entry"))


def test_csv_exports(client):
    text = client.get("/export/series.csv", params={"subject": "八镇", "indicator": "规上工业总产值"}).text
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [(r["kind"], r["when"], r["value"]) for r in rows][-1] == ("target", "2026", "180000000000.0")
    changes = list(csv.DictReader(io.StringIO(client.get("/export/changes.csv").text.lstrip("\ufeff"))))
    assert len(changes) == 5 and {"kind", "summary_zh", "summary_en", "url"} <= set(changes[0])
    missing = client.get("/export/series.csv", params={"subject": "无", "indicator": "无"})
    assert missing.status_code == 404


def test_pages_answer_and_unknown_ones_are_404(client):
    for path in (
        "/",
        "/changes?kind=target_changed&since=2024-01-01",
        "/series?subject=八镇",
        "/projects",
        "/articles?q=八镇",
    ):
        response = client.get(path)
        assert response.status_code == 200 and "text/html" in response.headers["content-type"], path
    assert "1800" in client.get("/changes", params={"q": "1800"}).text
    assert "八镇联动发展目标上调" in client.get("/articles", params={"q": "上调"}).text
    missing = client.get("/series/无/无")
    assert missing.status_code == 404 and "no such series" in missing.text
    assert client.get("/changes", params={"since": "yesterday"}).status_code == 400
    wrong = client.get("/articles/first")
    assert wrong.status_code == 400 and "bad request: article_id" in wrong.text
    assert client.get("/api/articles/first").status_code == 422
    assert client.get("/api/changes", params={"cursor": "x"}).json()["detail"][0]["loc"] == [
        "query",
        "cursor",
    ]


def test_a_port_in_use_is_one_clear_error(crawled, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["--config", str(crawled.config), "serve", "--port", str(port)]) == 1
    assert capsys.readouterr().err.startswith(f"watcher: cannot listen on 127.0.0.1:{port}: ")


def test_beyond_the_loopback_a_token_is_required(crawled):
    env = {k: v for k, v in os.environ.items() if k != "WATCHER_WEB_TOKEN"}
    command = [sys.executable, "-m", "watcher", "--config", str(crawled.config), "serve", "--host", "0.0.0.0"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == "watcher: serving on 0.0.0.0 needs an access token: set WATCHER_WEB_TOKEN"


def test_with_a_token_every_route_asks_for_it(crawled):
    server = Served(crawled.config, env={**os.environ, "WATCHER_WEB_TOKEN": "s3cret-token"})
    try:
        with httpx.Client(base_url=server.url, timeout=10) as c:
            assert c.get("/api/changes").status_code == 401
            assert c.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 401
            assert c.get("/api/changes", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
            first = c.get("/series", params={"subject": "八镇", "token": "s3cret-token"})
            assert (
                first.status_code == 303 and first.headers["location"] == "/series?subject=%E5%85%AB%E9%95%87"
            )
            assert c.get(first.headers["location"]).status_code == 200, "the cookie carries the token"
            assert c.get("/static/style.css").status_code == 200
    finally:
        server.close()
