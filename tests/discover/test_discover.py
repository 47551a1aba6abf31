"""Link discovery on the fixture sites (tests/data/sites, described in its README) and on small pages."""

from __future__ import annotations

import gzip
import logging
from datetime import date

import httpx
import pytest

from tests.conftest import DATA
from watcher.config import SourceSpec
from watcher.discover import (
    Link,
    article_links,
    epaper_page_indexes,
    expand_start_urls,
    feed_links,
    is_article_url,
    is_headline,
    next_pages,
    sitemap_links,
)
from watcher.fetch.decode import decode_body

SITES = DATA / "sites"
GOV = "https://www.jiangmen.gov.cn/"
EPAPER = "https://dzb.jmrb.com/"
PORTAL = "https://www.qxzx.example/"
JMYW = GOV + "newzwgk/zwdt/jmyw/"


def spec(**options: object) -> SourceSpec:
    return SourceSpec.model_validate({"name": "test", "start_urls": ["https://www.example.cn/"], **options})


def page(site: str, path: str) -> str:
    return decode_body((SITES / site / path).read_bytes(), None)


# --- is_article_url -----------------------------------------------------------------------------

ARTICLE_URLS = [
    "https://www.jiangmen.gov.cn/newzwgk/zwdt/jmyw/content/post_1771340.html",
    "./content/post_2910236.html",
    "content/post_2910236.html",
    "http://www.gd.gov.cn/gdywdt/gdyw/content/post_4212345.html#top",
    "http://tjj.gz.gov.cn/stats_newtjyw/sjjd/content/post_9264451.html",
    "http://www.jiangmen.gov.cn/zwgk/tzgg/202308/t20230817_856008.html",
    "./202308/t20230817_856008.html",
    "http://english.jiangmen.gov.cn/jmxw/202102/t20210201_2196231.htm",
    "http://www.example.gov.cn/xwzx/t856008.html",
    "content_664964.htm",
    "http://dzb.jmrb.com/jmrb/html/2023-01/17/content_664964.htm",
    "https://zjzd.stats.gov.cn/art/2023/8/21/art_123_456.html",
    "http://www.news.cn/2023-08/21/c_1129814046.htm",
    "https://static.nfapp.southcn.com/content/201805/28/c1203765.html?enterColumnId=7583",
    "https://www.news.cn/20250124/4a7d51aece054002ac1edc66d125884e/c.html",
    "https://www.example.com/2023/08/21/jiangmen-investment-12345",
    "https://fjwzy.cn/info/1041/31887.htm",
    "https://www.example.cn/article/1234567",
    "https://www.example.cn/news/show.asp?id=123",
    "https://www.example.cn/detail.aspx?NewsId=5521&cat=2",
    "https://finance.sina.com.cn/china/doc-imzrkeck1234567.shtml",
    "/news/2023-08/24/c_856020.html",
    "//www.jiangmen.gov.cn/home/sqdt/pkzx/content/post_3245984.html",
]
NOT_ARTICLE_URLS = [
    "https://www.jiangmen.gov.cn/newzwgk/zwdt/jmyw/index.html",
    "index_1.html",
    "https://www.jiangmen.gov.cn/newzwgk/zwdt/jmyw/",
    "https://www.jiangmen.gov.cn/",
    "http://dzb.jmrb.com/jmrb/html/2023-01/17/node_2.htm",
    "node_3.htm",
    "../../2022-11/29/node_1.htm",
    "javascript:void(0)",
    "javascript:window.print()",
    "mailto:jmzf@jiangmen.gov.cn",
    "tel:0750-3503100",
    "#top",
    "",
    "https://www.jiangmen.gov.cn/newzwgk/zwdt/jmyw/content/P020230821356118.pdf",
    "./W020221130356.jpg",
    "https://beian.miit.gov.cn/",
    "http://www.gov.cn/",
    "/zwgk/col12/index.html",
    "/search/?q=江门",
    "https://www.example.cn/news/list.aspx?page=2",
    "https://www.example.cn/news/show.asp?page=2",
    "https://www.jiangmen.gov.cn/newzwgk/zwdt/jmyw/index.html?page=3",
    "ftp://ftp.example.cn/2023-08/21/file.html",
    "/user/login",
    "https://www.example.cn/2023/",
    "https://dzb.jmrb.com/jmrb/html/2023-01/17/default.htm",
]


@pytest.mark.parametrize("url", ARTICLE_URLS)
def test_article_urls(url):
    assert is_article_url(url)


@pytest.mark.parametrize("url", NOT_ARTICLE_URLS)
def test_not_article_urls(url):
    assert not is_article_url(url)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("中创新航江门基地二期项目主厂房封顶", True),
        ("前7个月全市规上工业增加值同比增长5.8%", True),
        ("2023年1—7月江门市主要经济指标", True),
        ("以产促城 江门加快建设国际一流产业集聚区", True),
        ("首页", False),
        ("下一页", False),
        ("更多>>", False),
        ("English", False),
        ("Jiangmen Daily Press All Rights Reserved", False),
        ("政务公开", False),  # too short
        ("2023-08-21", False),
        ("江" * 61, False),
        ("【打印本页】【关闭窗口】", False),
        ("上一篇：江门大道南东线全线建成通车", True),
    ],
)
def test_headlines(text, expected):
    assert is_headline(text) is expected


# --- article_links on the fixture sites ---------------------------------------------------------

LISTINGS = [
    (
        "gov",
        "newzwgk/zwdt/jmyw/index.html",
        GOV,
        [
            f"{JMYW}content/post_{n}.html"
            for n in (2910236, 2910219, 2910198, 2910177, 2910160, 2910143, 2910121, 2910105)
        ],
    ),
    (
        "gov",
        "newzwgk/zwdt/jmyw/index_1.html",
        GOV,
        [
            f"{JMYW}content/post_{n}.html"
            for n in (2910088, 2910071, 2910054, 2910037, 2910020, 2910003, 2909986, 2909969)
        ],
    ),
    (
        "gov",
        "newzwgk/zwdt/jmyw/index_2.html",
        GOV,
        [f"{JMYW}content/post_{n}.html" for n in (2909952, 2909935, 2909918, 2909901)],
    ),
    (
        "gov",
        "fgj/gzdt/index.html",
        GOV,
        [f"{GOV}fgj/gzdt/content/post_{n}.html" for n in (2910205, 2910152, 2910110, 2910066)],
    ),
    ("gov", "fgj/gzdt/index_1.html", GOV, [f"{GOV}fgj/gzdt/content/post_2909995.html"]),
    (
        "gov",
        "tjj/tjsj/index.html",
        GOV,
        [f"{GOV}tjj/tjsj/content/post_{n}.html" for n in (2910190, 2910115, 2909975)],
    ),
    ("gov", "index.html", GOV, []),
    *[
        (
            "epaper",
            f"jmrb/html/{day}/node_{node}.htm",
            EPAPER,
            [f"{EPAPER}jmrb/html/{day}/content_{n}.htm" for n in ids],
        )
        for day, node, ids in (
            ("2023-01/17", 2, range(664964, 664968)),
            ("2023-01/17", 3, range(664968, 664971)),
            ("2023-01/17", 4, range(664971, 664974)),
            ("2023-01/16", 2, range(664940, 664943)),
            ("2023-01/16", 3, range(664943, 664946)),
            ("2023-01/16", 4, range(664946, 664949)),
        )
    ],
    (
        "portal",
        "news/index.html",
        PORTAL,
        [
            f"{PORTAL}news/2023-08/24/c_856020.html",
            f"{PORTAL}news/202308/t20230822_856011.html",
            f"{PORTAL}news/202308/t856015.html",
            f"{PORTAL}news/202308/t20230821_856008.html",
        ],
    ),
]


@pytest.mark.parametrize(
    ("site", "path", "host", "expected"), LISTINGS, ids=[f"{s}/{p}" for s, p, _, _ in LISTINGS]
)
def test_article_links_on_fixture_listings(site, path, host, expected):
    links = article_links(page(site, path), host + path, spec())
    assert [link.url for link in links] == expected
    assert all(is_headline(link.title) for link in links)


def test_titles_cut_short_come_from_the_title_attribute():
    links = article_links(page("gov", "newzwgk/zwdt/jmyw/index.html"), JMYW + "index.html", spec())
    assert links[2] == Link(f"{JMYW}content/post_2910198.html", "前7个月全市规上工业增加值同比增长5.8%")
    assert links[3].title == "全市“百县千镇万村高质量发展工程”推进会召开"


def test_sidebar_with_more_links_than_the_list_loses():
    # index_2.html lists 4 articles; its 热点推荐 sidebar links 5 others
    links = article_links(page("gov", "newzwgk/zwdt/jmyw/index_2.html"), JMYW + "index_2.html", spec())
    assert f"{JMYW}content/post_2910219.html" not in {link.url for link in links}


def test_list_split_over_several_blocks():
    def group(g: int) -> str:
        items = (f"<li><a href=t2023082{g}_{n}.html>江门市重点项目第{g}{n}号通报</a></li>" for n in range(3))
        return f'<ul class="list">{"".join(items)}</ul>'

    hot = '<div class="hot"><a href="t20230801_9.html">热点新闻标题一二三四</a></div>'
    html = f'<div class="main">{"".join(group(g) for g in range(3))}</div>{hot}'
    links = article_links(html, "https://www.example.cn/xw/index.html", spec())
    assert len(links) == 9


def test_div_list_without_ul():
    item = (
        '<div class="item"><h3><a href="/a/{n}.html?x">x</a>'
        '<a href="/article/{n}0000">江门新闻第{n}篇报道</a></h3></div>'
    )
    html = f'<div class="news">{"".join(item.format(n=n) for n in range(4))}</div>'
    links = article_links(html, "https://www.example.cn/", spec())
    assert [link.url for link in links] == [f"https://www.example.cn/article/{n}0000" for n in range(4)]


def test_duplicate_links_once_in_page_order():
    html = """<ul>
      <li><a href="content/post_2.html"><img src="a.jpg"></a>
        <a href="content/post_2.html">江门市第二篇新闻标题</a></li>
      <li><a href="content/post_1.html">江门市第一篇新闻标题</a></li>
      <li><a href="content/post_2.html#comments">江门市第二篇新闻标题</a></li>
    </ul>"""
    links = article_links(html, "https://www.example.cn/xw/", spec())
    assert [link.url.rsplit("/", 1)[1] for link in links] == ["post_2.html", "post_1.html"]


# --- overrides ----------------------------------------------------------------------------------


def test_article_selector_takes_what_it_selects():
    html = page("gov", "newzwgk/zwdt/jmyw/index.html")
    links = article_links(html, JMYW + "index.html", spec(article_selector=".side-box.hot li"))
    assert [link.url.rsplit("_", 1)[1] for link in links] == [
        "2910219.html",
        "2910054.html",
        "2910143.html",
        "2910088.html",
        "2910003.html",
    ]


def test_article_selector_with_pattern():
    html = page("gov", "newzwgk/zwdt/jmyw/index.html")
    options = {"article_selector": "ul.infoList a", "article_pattern": r"post_29101[5-9]\d\.html$"}
    links = article_links(html, JMYW + "index.html", spec(**options))
    assert [link.url.rsplit("_", 1)[1] for link in links] == ["2910198.html", "2910177.html", "2910160.html"]
    assert links[0].title == "前7个月全市规上工业增加值同比增长5.8%"


def test_article_pattern_alone_matches_every_link():
    html = page("gov", "newzwgk/zwdt/jmyw/index_2.html")
    links = article_links(html, JMYW + "index_2.html", spec(article_pattern=r"/content/post_\d+\.html$"))
    assert len(links) == 9  # the 4 of the list and the 5 of the sidebar


def test_pattern_finds_links_automatic_discovery_would_not():
    html = '<p><a href="/Web/Article.jsp?Id=77">Annual report</a> <a href="/Web/Other.jsp?Id=78">x</a></p>'
    assert article_links(html, "https://www.example.cn/", spec()) == []
    links = article_links(html, "https://www.example.cn/", spec(article_pattern=r"Article\.jsp\?Id=\d+"))
    assert links == [Link("https://www.example.cn/Web/Article.jsp?Id=77", "Annual report")]


def test_selector_matching_nothing_falls_back_to_automatic(caplog):
    html = page("gov", "tjj/tjsj/index.html")
    with caplog.at_level(logging.WARNING, logger="watcher.discover"):
        links = article_links(html, GOV + "tjj/tjsj/index.html", spec(article_selector="#no-such-list a"))
    assert len(links) == 3
    assert "matches nothing" in caplog.text


# --- pagination ---------------------------------------------------------------------------------

PAGINATION = [
    ("gov CMS pager, first page", ("gov", "newzwgk/zwdt/jmyw/index.html"), {}, 1, [JMYW + "index_1.html"]),
    ("gov CMS pager, middle page", ("gov", "newzwgk/zwdt/jmyw/index_1.html"), {}, 2, [JMYW + "index_2.html"]),
    ("gov CMS pager, last page", ("gov", "newzwgk/zwdt/jmyw/index_2.html"), {"max_listing_pages": 9}, 3, []),
    ("max_listing_pages stops", ("gov", "newzwgk/zwdt/jmyw/index_1.html"), {"max_listing_pages": 2}, 2, []),
    ("createPageHTML", ("gov", "fgj/gzdt/index.html"), {}, 1, [GOV + "fgj/gzdt/index_1.html"]),
    ("createPageHTML, last page", ("gov", "fgj/gzdt/index_1.html"), {}, 2, []),
    ("single page", ("gov", "tjj/tjsj/index.html"), {}, 1, []),
    ("e-paper 版面 is not a next page", ("epaper", "jmrb/html/2023-01/17/node_2.htm"), {}, 1, []),
    (
        "page_pattern {n}",
        ("gov", "tjj/tjsj/index.html"),
        {"page_pattern": "index_{n}.html"},
        1,
        [GOV + "tjj/tjsj/index_1.html"],
    ),
    (
        "page_pattern {page}",
        ("gov", "tjj/tjsj/index.html"),
        {"page_pattern": "?page={page}"},
        2,
        [GOV + "tjj/tjsj/index.html?page=3"],
    ),
    (
        "next_selector",
        ("gov", "newzwgk/zwdt/jmyw/index_1.html"),
        {"next_selector": ".page a:first-child"},
        2,
        [JMYW + "index.html"],
    ),
]


@pytest.mark.parametrize(
    ("fixture", "options", "page_no", "expected"), [p[1:] for p in PAGINATION], ids=[p[0] for p in PAGINATION]
)
def test_next_pages_on_fixture_listings(fixture, options, page_no, expected):
    site, path = fixture
    host = GOV if site == "gov" else EPAPER
    assert next_pages(page(site, path), host + path, spec(**options), page_no) == expected


NEXT_LINKS = [
    ("下一页", '<a href="list_2.htm">下一页</a>', "https://x.cn/a/list_1.htm", "https://x.cn/a/list_2.htm"),
    ("下页 with arrows", '<a href="?p=2">下页&gt;&gt;</a>', "https://x.cn/a/", "https://x.cn/a/?p=2"),
    (
        "bare >",
        '<a href="index_3.html">&gt;</a>',
        "https://x.cn/a/index_2.html",
        "https://x.cn/a/index_3.html",
    ),
    ("rel=next", '<link rel="next" href="/a/page/2/">', "https://x.cn/a/", "https://x.cn/a/page/2/"),
    (
        "index_N link",
        '<a href="index_1.html">2</a><a href="index_2.html">3</a>',
        "https://x.cn/a/",
        "https://x.cn/a/index_1.html",
    ),
    (
        "page=N link",
        '<a href="list.php?page=2">2</a><a href="list.php?page=3">3</a>',
        "https://x.cn/list.php",
        "https://x.cn/list.php?page=2",
    ),
    (
        "page=N+1",
        '<a href="list.php?page=2">2</a><a href="list.php?page=4">4</a>',
        "https://x.cn/list.php?page=3",
        "https://x.cn/list.php?page=4",
    ),
]


@pytest.mark.parametrize(
    ("html", "base", "expected"), [n[1:] for n in NEXT_LINKS], ids=[n[0] for n in NEXT_LINKS]
)
def test_next_page_links(html, base, expected):
    assert next_pages(f"<html><body>{html}</body></html>", base, spec(max_listing_pages=10), 1) == [expected]


def test_no_next_page_from_javascript_or_self_links():
    html = '<a href="javascript:goPage(2)">下一页</a> <a href="index_4.html">下一页</a>'
    assert next_pages(html, "https://x.cn/a/index_4.html", spec(max_listing_pages=10), 5) == []


# --- e-paper ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "node", "expected"),
    [("2023-01/17", 2, (3, 4)), ("2023-01/17", 3, (2, 4)), ("2023-01/16", 4, (3, 2))],  # page order
)
def test_epaper_page_indexes(day, node, expected):
    base = f"{EPAPER}jmrb/html/{day}/node_{node}.htm"
    found = epaper_page_indexes(page("epaper", f"jmrb/html/{day}/node_{node}.htm"), base)
    assert found == [f"{EPAPER}jmrb/html/{day}/node_{n}.htm" for n in expected]


def test_epaper_indexes_stay_in_the_issue():
    html = (
        '<a href="node_1.htm">第A01版</a><a href="../16/node_2.htm">上一期</a><a href="colA02.html">A02</a>'
    )
    assert epaper_page_indexes(html, "http://p.cn/html/2023-01/17/node_2.htm") == [
        "http://p.cn/html/2023-01/17/node_1.htm",
        "http://p.cn/html/2023-01/17/colA02.html",
    ]


# --- start URLs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start_urls", "days_back", "today", "expected"),
    [
        (
            ["https://dzb.jmrb.com/jmrb/html/{date:%Y-%m/%d}/node_2.htm"],
            2,
            date(2023, 1, 17),
            [
                "https://dzb.jmrb.com/jmrb/html/2023-01/17/node_2.htm",
                "https://dzb.jmrb.com/jmrb/html/2023-01/16/node_2.htm",
            ],
        ),
        (
            ["https://p.cn/{date:%Y%m%d}/index.html"],
            3,
            date(2024, 3, 1),
            [
                "https://p.cn/20240301/index.html",
                "https://p.cn/20240229/index.html",
                "https://p.cn/20240228/index.html",
            ],
        ),
        (
            ["https://p.cn/{date:%Y-%m}/{date:%d}/node_1.htm", "https://www.jiangmen.gov.cn/home/zwyw/"],
            1,
            date(2023, 8, 21),
            ["https://p.cn/2023-08/21/node_1.htm", "https://www.jiangmen.gov.cn/home/zwyw/"],
        ),
        (
            ["https://www.jiangmen.gov.cn/home/zwyw/"],
            5,
            date(2023, 8, 21),
            ["https://www.jiangmen.gov.cn/home/zwyw/"],
        ),
    ],
)
def test_expand_start_urls(start_urls, days_back, today, expected):
    assert expand_start_urls(spec(start_urls=start_urls, days_back=days_back), today) == expected


# --- feeds and sitemaps -------------------------------------------------------------------------


def test_rss_feed_of_the_gov_site():
    links = feed_links((SITES / "gov" / "rss.xml").read_bytes(), GOV + "rss.xml")
    assert len(links) == 8
    assert links[0] == Link(f"{JMYW}content/post_2910236.html", "以产促城 江门加快建设国际一流产业集聚区")
    assert links[-1].url == f"{JMYW}content/post_2910105.html"


ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>江门日报</title>
  <entry><title>江门港去年集装箱吞吐量160.3万标箱</title><link rel="alternate" href="/jmrb/a/1.html"/>
    <id>urn:1</id><updated>2023-01-17T08:00:00+08:00</updated></entry>
  <entry><title>全市高新技术企业总数达2550家</title><link href="https://dzb.jmrb.com/jmrb/a/2.html#x"/>
    <id>urn:2</id><updated>2023-01-17T08:00:00+08:00</updated></entry>
</feed>"""


def test_atom_feed_with_relative_links():
    assert feed_links(ATOM.encode(), "https://dzb.jmrb.com/feed.xml") == [
        Link("https://dzb.jmrb.com/jmrb/a/1.html", "江门港去年集装箱吞吐量160.3万标箱"),
        Link("https://dzb.jmrb.com/jmrb/a/2.html", "全市高新技术企业总数达2550家"),
    ]


def test_gbk_feed_and_garbage():
    rss = '<?xml version="1.0" encoding="gbk"?><rss version="2.0"><channel><title>江门</title><item><title>江门要闻</title><link>http://x.cn/t20230801_1.html</link></item></channel></rss>'
    assert feed_links(rss.encode("gbk"), "http://x.cn/rss.xml") == [
        Link("http://x.cn/t20230801_1.html", "江门要闻")
    ]
    assert feed_links(b"<html><body>not a feed</body></html>", "http://x.cn/rss.xml") == []
    assert feed_links(b"", "http://x.cn/rss.xml") == []


def test_sitemap_index_of_the_gov_site():
    links, nested = sitemap_links((SITES / "gov" / "sitemap.xml").read_bytes(), GOV + "sitemap.xml")
    assert links == []
    assert nested == [GOV + "sitemap_news.xml", GOV + "sitemap_data.xml"]


@pytest.mark.parametrize(("name", "count"), [("sitemap_news.xml", 20), ("sitemap_data.xml", 8)])
def test_sitemaps_of_the_gov_site_leave_listing_pages_out(name, count):
    links, nested = sitemap_links((SITES / "gov" / name).read_bytes(), GOV + name)
    assert nested == []
    assert len(links) == count
    assert all(is_article_url(link.url) for link in links)


SITEMAP = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>https://x.cn/a/t20230821_1.html</loc>
    <news:news><news:publication><news:name>江门日报</news:name></news:publication>
    <news:title>江门大道南东线全线建成通车</news:title></news:news></url>
  <url><loc> https://x.cn/a/t20230822_2.html </loc></url>
  <url><loc>https://x.cn/a/</loc></url>
</urlset>"""


def test_news_sitemap_gzipped():
    links, _ = sitemap_links(gzip.compress(SITEMAP.encode()), "https://x.cn/sitemap.xml.gz")
    assert links == [
        Link("https://x.cn/a/t20230821_1.html", "江门大道南东线全线建成通车"),
        Link("https://x.cn/a/t20230822_2.html", ""),
    ]


def test_broken_and_plain_text_sitemaps():
    broken = b"<urlset><url><loc>https://x.cn/a/t1_1.html</loc></url><url><loc>https://x.cn/b/2.html</loc>"
    assert [link.url for link in sitemap_links(broken, "https://x.cn/s.xml")[0]] == [
        "https://x.cn/a/t1_1.html",
        "https://x.cn/b/2.html",
    ]
    text = b"https://x.cn/a/1.html\n\nhttps://x.cn/a/index.html\n"
    assert sitemap_links(text, "https://x.cn/s.txt") == ([Link("https://x.cn/a/1.html", "")], [])
    assert sitemap_links(b"\x1f\x8bnot gzip", "https://x.cn/s.xml.gz") == ([], [])


# --- a crawl over HTTP --------------------------------------------------------------------------


def crawl_listing(client: httpx.Client, start: str, source: SourceSpec) -> list[str]:
    """What a crawler does with a listing: read it, follow next_pages up to max_listing_pages."""
    urls: list[str] = []
    url, page_no = start, 1
    while True:
        response = client.get(url)
        response.raise_for_status()
        html = decode_body(response.content, response.headers.get("content-type"))
        urls += [link.url for link in article_links(html, str(response.url), source)]
        following = next_pages(html, str(response.url), source, page_no)
        if not following:
            return urls
        url, page_no = following[0], page_no + 1


def test_crawl_the_gov_news_section(http_server):
    base = f"{http_server}/sites/gov/newzwgk/zwdt/jmyw/"
    with httpx.Client() as client:
        urls = crawl_listing(client, base + "index.html", spec(max_listing_pages=5))
        pages = [client.get(url) for url in urls]
    assert len(urls) == len(set(urls)) == 20
    assert all(response.status_code == 200 for response in pages)


def test_crawl_two_epaper_issues(http_server):
    template = http_server + "/sites/epaper/jmrb/html/{date:%Y-%m/%d}/node_2.htm"
    source = spec(start_urls=[template], days_back=2)
    found: list[str] = []
    with httpx.Client() as client:
        for start in expand_start_urls(source, date(2023, 1, 17)):
            html = client.get(start).text
            for index in [start, *epaper_page_indexes(html, start)]:
                found += [link.url for link in article_links(client.get(index).text, index, source)]
    assert len(found) == len(set(found)) == 19
