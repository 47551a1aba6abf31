"""canonicalize and host_of: one spelling per page."""

from __future__ import annotations

import pytest

from watcher.fetch.urls import canonicalize, host_of, is_http_url, origin_of

BASE = "http://www.jiangmen.gov.cn/zwgk/tzgg/index.html"

# (url, base, canonical)
CASES = [
    ("http://www.jiangmen.gov.cn/a.html", None, "http://www.jiangmen.gov.cn/a.html"),
    ("HTTP://WWW.JIANGMEN.GOV.CN/Zwgk/A.html", None, "http://www.jiangmen.gov.cn/Zwgk/A.html"),
    ("http://www.jiangmen.gov.cn:80/a.html", None, "http://www.jiangmen.gov.cn/a.html"),
    ("https://www.jiangmen.gov.cn:443/a.html", None, "https://www.jiangmen.gov.cn/a.html"),
    ("http://www.jiangmen.gov.cn:8080/a.html", None, "http://www.jiangmen.gov.cn:8080/a.html"),
    ("https://www.jiangmen.gov.cn:80/a.html", None, "https://www.jiangmen.gov.cn:80/a.html"),
    ("http://www.jiangmen.gov.cn", None, "http://www.jiangmen.gov.cn/"),
    ("http://www.jiangmen.gov.cn/a.html#top", None, "http://www.jiangmen.gov.cn/a.html"),
    ("http://www.jiangmen.gov.cn/a.html?", None, "http://www.jiangmen.gov.cn/a.html"),
    ("http://www.jiangmen.gov.cn/a/./b/../c.html", None, "http://www.jiangmen.gov.cn/a/c.html"),
    ("http://www.jiangmen.gov.cn/../../c.html", None, "http://www.jiangmen.gov.cn/c.html"),
    ("http://www.jiangmen.gov.cn/a/b/..", None, "http://www.jiangmen.gov.cn/a/"),
    ("post_1.html", BASE, "http://www.jiangmen.gov.cn/zwgk/tzgg/post_1.html"),
    ("../xxgk/post_2.html", BASE, "http://www.jiangmen.gov.cn/zwgk/xxgk/post_2.html"),
    ("./index_2.html", BASE, "http://www.jiangmen.gov.cn/zwgk/tzgg/index_2.html"),
    ("/home/jmyw/", BASE, "http://www.jiangmen.gov.cn/home/jmyw/"),
    ("//dzb.jmrb.com/html/2024-05/01/node_1.htm", BASE, "http://dzb.jmrb.com/html/2024-05/01/node_1.htm"),
    ("?page=2", BASE, "http://www.jiangmen.gov.cn/zwgk/tzgg/index.html?page=2"),
    ("#content", BASE, "http://www.jiangmen.gov.cn/zwgk/tzgg/index.html"),
    ("  post_1.html\n", BASE, "http://www.jiangmen.gov.cn/zwgk/tzgg/post_1.html"),
    ("http://x.cn/a?utm_source=wx&utm_medium=s&id=3", None, "http://x.cn/a?id=3"),
    ("http://x.cn/a?id=3&spm=a2c4g.11186623", None, "http://x.cn/a?id=3"),
    ("http://x.cn/a?from=singlemessage&isappinstalled=0", None, "http://x.cn/a"),
    ("http://x.cn/a?share_token=abc&shareId=9&b=1", None, "http://x.cn/a?b=1"),
    ("http://x.cn/a?fbclid=IwAR&gclid=Cj0&msclkid=1", None, "http://x.cn/a"),
    ("http://x.cn/a?b=2&a=1", None, "http://x.cn/a?b=2&a=1"),  # order kept
    ("http://x.cn/a?b=2&&a=1&", None, "http://x.cn/a?b=2&a=1"),
    ("http://x.cn/a?q=&x", None, "http://x.cn/a?q=&x"),  # blank values kept
    ("http://x.cn/a?q=a+b", None, "http://x.cn/a?q=a+b"),
    ("http://x.cn/新闻/江门.html", None, "http://x.cn/%E6%96%B0%E9%97%BB/%E6%B1%9F%E9%97%A8.html"),
    ("http://x.cn/%e6%96%b0%e9%97%bb.html", None, "http://x.cn/%E6%96%B0%E9%97%BB.html"),
    ("http://x.cn/search?kw=江门", None, "http://x.cn/search?kw=%E6%B1%9F%E9%97%A8"),
    ("http://x.cn/search?kw=%bd%ad%c3%c5", None, "http://x.cn/search?kw=%BD%AD%C3%C5"),  # GBK stays GBK
    ("http://x.cn/%7Euser/%41.html", None, "http://x.cn/~user/A.html"),
    ("http://x.cn/a%2Fb", None, "http://x.cn/a%2Fb"),
    ("http://x.cn/a b.html", None, "http://x.cn/a%20b.html"),
    ("http://x.cn/100%", None, "http://x.cn/100%25"),
    ("http://江门.中国/a", None, "http://xn--9sw099f.xn--fiqs8s/a"),
    ("http://www.jiangmen.gov.cn./a", None, "http://www.jiangmen.gov.cn/a"),
    ("mailto:office@jiangmen.gov.cn", BASE, "mailto:office@jiangmen.gov.cn"),
    ("javascript:void(0)", BASE, "javascript:void(0)"),
]


@pytest.mark.parametrize(("url", "base", "expected"), CASES, ids=[c[0][:60] for c in CASES])
def test_canonicalize(url: str, base: str | None, expected: str) -> None:
    assert canonicalize(url, base) == expected


@pytest.mark.parametrize(("url", "base", "expected"), CASES, ids=[c[0][:60] for c in CASES])
def test_canonicalize_is_idempotent(url: str, base: str | None, expected: str) -> None:
    assert canonicalize(canonicalize(url, base)) == canonicalize(url, base)


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://WWW.Jiangmen.gov.cn/a", "www.jiangmen.gov.cn"),
        ("https://www.jiangmen.gov.cn:443/a", "www.jiangmen.gov.cn"),
        ("http://127.0.0.1:8080/a", "127.0.0.1:8080"),
        ("http://user:pw@x.cn/a", "x.cn"),
    ],
)
def test_host_of(url: str, host: str) -> None:
    assert host_of(url) == host


def test_origin_and_scheme_checks() -> None:
    assert origin_of("HTTPS://X.cn:443/a/b?c") == "https://x.cn"
    assert origin_of("http://127.0.0.1:8080/a") == "http://127.0.0.1:8080"
    assert is_http_url("http://x.cn/a")
    assert not is_http_url("mailto:a@x.cn")
    assert not is_http_url("/relative/path")
