"""The fixture server itself: static files, content types, validators, the request log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server import FailThenOk, FixtureServer, guess_content_type

GBK_PAGE = (
    '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head>'
    "<body>江门</body></html>"
)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "gbk.html").write_bytes(GBK_PAGE.encode("gbk"))
    (tmp_path / "news" / "utf8.html").write_text("<html><meta charset='utf-8'>江门</html>", encoding="utf-8")
    (tmp_path / "news" / "index.html").write_text("<html>index</html>", encoding="utf-8")
    (tmp_path / "feed.xml").write_text("<rss/>", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("text", encoding="utf-8")
    return tmp_path


@pytest.fixture
def server(site: Path) -> Iterator[FixtureServer]:
    with FixtureServer(root=site) as server:
        yield server


def test_static_files_and_content_types(server: FixtureServer) -> None:
    with httpx.Client() as client:
        gbk = client.get(server.url("/news/gbk.html"))
        assert gbk.status_code == 200
        assert gbk.headers["content-type"] == "text/html"  # no charset, like the real sites
        assert gbk.content == GBK_PAGE.encode("gbk")
        assert client.get(server.url("/news/utf8.html")).headers["content-type"] == "text/html; charset=utf-8"
        assert client.get(server.url("/news/")).text == "<html>index</html>"
        assert client.get(server.url("/notes.txt")).headers["content-type"] == "text/plain; charset=utf-8"
        assert client.get(server.url("/missing.html")).status_code == 404
        assert client.get(server.url("/../etc/passwd")).status_code == 404


def test_etag_last_modified_and_304(server: FixtureServer) -> None:
    with httpx.Client() as client:
        first = client.get(server.url("/news/utf8.html"))
        etag, last_modified = first.headers["etag"], first.headers["last-modified"]
        assert client.get(server.url("/news/utf8.html"), headers={"If-None-Match": etag}).status_code == 304
        since = client.get(server.url("/news/utf8.html"), headers={"If-Modified-Since": last_modified})
        assert since.status_code == 304
        assert (
            client.get(server.url("/news/utf8.html"), headers={"If-None-Match": '"other"'}).status_code == 200
        )


def test_set_file_changes_a_page_and_its_etag(server: FixtureServer) -> None:
    with httpx.Client() as client:
        server.set_file("/live.html", b"<p>one</p>")
        etag = client.get(server.url("/live.html")).headers["etag"]
        server.set_file("/live.html", b"<p>two</p>")
        changed = client.get(server.url("/live.html"), headers={"If-None-Match": etag})
        assert changed.status_code == 200
        assert changed.text == "<p>two</p>"


def test_routes_and_request_log(server: FixtureServer) -> None:
    flaky = FailThenOk(failures=1)
    server.route("/flaky", flaky)
    with httpx.Client() as client:
        assert client.get(server.url("/flaky?x=1")).status_code == 500
        assert client.get(server.url("/flaky"), headers={"X-Test": "yes"}).status_code == 200
    assert flaky.calls == 2
    assert server.count("/flaky") == 2
    first, second = server.requests_to("/flaky")
    assert (first.method, first.query, second.headers["x-test"]) == ("GET", "x=1", "yes")
    assert first.time <= second.time
    assert first.end is not None


def test_broken_handler_answers_500(server: FixtureServer) -> None:
    server.route("/bug", lambda request: 1 / 0)  # type: ignore[arg-type, return-value]
    with httpx.Client() as client:
        assert client.get(server.url("/bug")).status_code == 500
    assert isinstance(server.errors[0], ZeroDivisionError)


@pytest.mark.parametrize(
    ("name", "body", "expected"),
    [
        ("a.htm", b"<meta charset=GBK>", "text/html"),
        ("a.html", b"<meta charset='utf-8'>", "text/html; charset=utf-8"),
        ("a.txt", b"text", "text/plain; charset=utf-8"),
        ("a.pdf", b"%PDF", "application/pdf"),
        ("a.bin", b"\x00", "application/octet-stream"),
    ],
)
def test_guess_content_type(name: str, body: bytes, expected: str) -> None:
    assert guess_content_type(name, body) == expected
