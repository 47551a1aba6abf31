# ruff: noqa: E501
"""Writes the demo site watcher/demo/site/ (package data of `watcher demo`) from demo_texts.py, with the
fixture sites' templates (generate.py):

    .venv/bin/python tests/data/sites/demo.py

round1/{gov,epaper,portal}/ is the site as first crawled; round2/ holds only the pages that change or
appear in the second round (served over round 1's). The output is committed; README.md describes it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import generate as g
from demo_texts import (
    EPAPER_ROUND1,
    EPAPER_ROUND2,
    GOV_PRIVATE,
    GOV_ROUND1_PAGE1,
    GOV_ROUND1_PAGE2,
    GOV_ROUND2_NEW,
    PORTAL,
    PORTAL_REPOST_OF,
)
from texts import Story

SITE = Path(__file__).resolve().parents[3] / "watcher" / "demo" / "site"
SECTION = "zwgk/jmyw"
g.SECTIONS["demo"] = (SECTION, "江门要闻", ("政务公开", "/zwgk/"), ("江门要闻", "./"))
g.SECTIONS["nbzl"] = ("zwgk/nbzl", "内部资料", ("政务公开", "/zwgk/"), ("内部资料", "./"))


def write(round_: int, path: str, text: str, encoding: str = "utf-8") -> None:
    target = SITE / f"round{round_}" / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(text.encode(encoding))


# --- gov ------------------------------------------------------------------------------------------


def gov_listing(stories: tuple[Story, ...], page: int, pages: int) -> str:
    items = "\n".join(
        f'      <li><a href="{href}" target="_blank" title="{g.esc(s.title)}">{g.esc(g.short(s.title))}</a>'
        f"<span>{s.published[:10]}</span></li>"
        for s, href in ((s, gov_href(s)) for s in stories)
    )
    body = (
        '<div class="main wrap">\n'
        + g.location("demo", "", "<span>江门要闻</span>")
        + '<div class="col-right">\n'
        + '  <div class="list-title"><h2>江门要闻</h2></div>\n'
        + f'  <div class="list-box">\n    <ul class="infoList">\n{items}\n    </ul>\n  </div>\n'
        + g.pager(page, pages, js=False)
        + "</div>\n</div>\n"
    )
    return (
        g.GOV_HEAD.format(title="江门要闻_江门市人民政府门户网站", column="江门要闻", metas="")
        + body
        + g.GOV_FOOT
    )


def gov_href(story: Story) -> str:
    return f"../nbzl/content/{story.id}.html" if story is GOV_PRIVATE else f"./content/{story.id}.html"


def write_gov(
    round_: int, page1: tuple[Story, ...], page2: tuple[Story, ...], articles: tuple[Story, ...]
) -> None:
    write(round_, f"gov/{SECTION}/index.html", gov_listing(page1, 0, 2), "gbk")
    if round_ == 1:
        write(round_, f"gov/{SECTION}/index_1.html", gov_listing(page2, 1, 2), "gbk")
    for story in articles:
        write(
            round_, f"gov/{SECTION}/content/{story.id}.html", g.gov_article("demo", story, None, None), "gbk"
        )


def write_gov_extras() -> None:
    home = (
        g.GOV_HEAD.format(title="江门市人民政府门户网站", column="首页", metas="")
        + f'<div class="main wrap"><ul class="columns">\n  <li><a href="{SECTION}/index.html">江门要闻</a></li>\n</ul></div>\n'
        + g.GOV_FOOT
    )
    write(1, "gov/index.html", home, "gbk")
    write(1, "gov/robots.txt", "User-agent: *\nDisallow: /zwgk/nbzl/\n")
    write(
        1,
        f"gov/zwgk/nbzl/content/{GOV_PRIVATE.id}.html",
        g.gov_article("nbzl", GOV_PRIVATE, None, None),
        "gbk",
    )


# --- e-paper --------------------------------------------------------------------------------------


def epaper_home(issue: str, pages: tuple[tuple[str, str, tuple[Story, ...]], ...]) -> str:
    folder = f"jmrb/html/{issue[:7]}/{issue[8:]}"
    nav = "\n".join(f'<li><a href="{folder}/{node}.htm">{name}</a></li>' for node, name, _ in pages)
    return (
        '<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
        "<title>江门日报数字报</title>\n</head>\n<body>\n"
        '<div class="banner"><img src="images/banner.jpg" alt="江门日报"></div>\n'
        f'<div class="today">{g.dateline(issue, False)}　<a href="{folder}/{pages[0][0]}.htm">今日报纸</a>　'
        '<a href="history.htm">往期回顾</a></div>\n'
        f'<ul class="pages">\n{nav}\n</ul>\n'
        '<div class="copyright">江门日报社主办 版权所有 未经授权许可不得复制或转载</div>\n</body>\n</html>\n'
    )


def write_epaper(round_: int, issues: dict[str, tuple[tuple[str, str, tuple[Story, ...]], ...]]) -> None:
    for issue, pages in issues.items():
        folder = f"epaper/jmrb/html/{issue[:7]}/{issue[8:]}"
        for index, (node, _, stories) in enumerate(pages):
            write(round_, f"{folder}/{node}.htm", g.epaper_node(issue, pages, index))
            for at, story in enumerate(stories):
                write(round_, f"{folder}/{story.id}.htm", g.epaper_article(issue, pages, index, at))
        write(round_, "epaper/index.html", epaper_home(issue, pages))


# --- portal ---------------------------------------------------------------------------------------


def portal_paragraphs(story: Story) -> tuple[str, ...]:
    if story.paragraphs:
        return story.paragraphs
    return next(s.paragraphs for s in GOV_ROUND1_PAGE1 if s.id == PORTAL_REPOST_OF)


def portal_listing() -> str:
    items = "\n".join(
        f'  <li><a href="{s.id}.html" target="_blank">{g.esc(s.title)}</a> <span class="date">{s.published[:10]}</span></li>'
        for s in PORTAL
    )
    body = (
        '<main class="container">\n<div class="crumb"><a href="/">首页</a> &gt; 本地新闻</div>\n'
        + f'<ul class="list">\n{items}\n</ul>\n</main>\n'
    )
    return g.PORTAL_HEAD.format(title="本地新闻 - 侨乡资讯网", metas="") + body + g.PORTAL_FOOT


def portal_article(story: Story) -> str:
    repost = not story.paragraphs
    paragraphs = "\n".join(f"<p>{g.esc(p)}</p>" for p in portal_paragraphs(story))
    transfer = f'<p class="transfer">本文转自：{g.esc(story.source)}</p>\n' if repost else ""
    body = (
        '<main class="container">\n<div class="crumb"><a href="/">首页</a> &gt; <a href="index.html">本地新闻</a> &gt; 正文</div>\n'
        + f'<article class="detail">\n<h1>{g.esc(story.title)}</h1>\n'
        + f'<div class="meta"><span>发布时间：{story.published}:00</span> <span>来源：{"侨乡资讯网" if repost else g.esc(story.source)}</span></div>\n'
        + f'<div class="article-body">\n{transfer}{paragraphs}\n</div>\n</article>\n</main>\n'
    )
    metas = (
        f'<meta property="og:title" content="{g.esc(story.title)}">\n'
        f'<meta property="article:published_time" content="{story.published[:10]}T{story.published[11:]}:00+08:00">\n'
    )
    return (
        g.PORTAL_HEAD.format(title=f"{g.esc(story.title)} - 侨乡资讯网", metas=metas) + body + g.PORTAL_FOOT
    )


def write_portal() -> None:
    write(1, "portal/news/index.html", portal_listing())
    for story in PORTAL:
        write(1, f"portal/news/{story.id}.html", portal_article(story))


def main() -> None:
    shutil.rmtree(SITE, ignore_errors=True)
    write_gov(1, GOV_ROUND1_PAGE1, (*GOV_ROUND1_PAGE2, GOV_PRIVATE), GOV_ROUND1_PAGE1 + GOV_ROUND1_PAGE2)
    write_gov(2, GOV_ROUND2_NEW + GOV_ROUND1_PAGE1, (), GOV_ROUND2_NEW)
    write_gov_extras()
    write_epaper(1, EPAPER_ROUND1)
    write_epaper(2, EPAPER_ROUND2)
    write_portal()


if __name__ == "__main__":
    main()
