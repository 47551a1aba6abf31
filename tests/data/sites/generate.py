# ruff: noqa: E501
"""Writes the fixture sites gov/, epaper/ and portal/ beside this file from the stories in texts.py.

    .venv/bin/python tests/data/sites/generate.py

The output is committed; run this after editing a story or a template and update README.md. Links
between pages are relative (./content/…, ../../), so a site works served at / or under a prefix; only
the navigation bars use root-relative links, as real sites do.
"""

from __future__ import annotations

import html
import posixpath
import shutil
from datetime import date
from pathlib import Path

from texts import EPAPER, FGJ, HOT, JMYW, PORTAL, REPOST_OF, TJJ, Story

HERE = Path(__file__).resolve().parent
_WEEKDAYS = "一二三四五六日"

# A minimal PDF (an empty page) for the 相关附件 links.
_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def write(path: str, text: str, encoding: str = "utf-8") -> None:
    target = HERE / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(text.encode(encoding))


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def short(title: str, limit: int = 20) -> str:
    """Listing text as CMS templates cut it: at most `limit` characters, then '...'."""
    return title if len(title) <= limit else title[: limit - 1] + "..."


# --- gov ------------------------------------------------------------------------------------------

GOV_HEAD = """<!DOCTYPE html>
<html>
<head>
<meta charset="gb2312">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<title>{title}</title>
<meta name="SiteName" content="江门市人民政府门户网站">
<meta name="SiteDomain" content="www.jiangmen.gov.cn">
<meta name="SiteIDCode" content="4407000005">
<meta name="ColumnName" content="{column}">
{metas}<link rel="stylesheet" type="text/css" href="/images/common.css">
<script type="text/javascript" src="/images/jquery.min.js"></script>
</head>
<body>
<div class="topbar"><div class="wrap">
  <span class="welcome">欢迎访问江门市人民政府门户网站！</span>
  <a href="javascript:void(0)" id="wza">无障碍浏览</a> | <a href="javascript:void(0)">长者模式</a> | <a href="/">简体</a> | <a href="javascript:void(0)">繁體</a> | <a href="http://english.jiangmen.gov.cn/">English</a>
</div></div>
<div class="header"><div class="wrap">
  <div class="logo"><a href="/"><img src="/images/logo.png" alt="江门市人民政府门户网站"></a></div>
  <div class="search"><form action="/search/" method="get" target="_blank"><input type="text" name="q" placeholder="请输入关键词"><button type="submit">搜索</button></form></div>
</div></div>
<div class="nav"><ul class="wrap">
  <li><a href="/">首页</a></li>
  <li><a href="/newzwgk/">政务公开</a></li>
  <li><a href="/zwfw/">政务服务</a></li>
  <li><a href="/hdjl/">互动交流</a></li>
  <li><a href="/zjjm/">走进江门</a></li>
  <li><a href="/ztzl/">专题专栏</a></li>
  <li><a href="/sjfb/">数据发布</a></li>
</ul></div>
"""

GOV_FOOT = """<div class="links"><div class="wrap">
  <span>相关链接：</span>
  <select onchange="window.open(this.value)">
    <option value="">国务院部门网站</option>
    <option value="http://www.gov.cn/">中国政府网</option>
    <option value="http://www.gd.gov.cn/">广东省人民政府</option>
  </select>
  <a href="http://www.gov.cn/" target="_blank">中华人民共和国中央人民政府门户网站</a>
  <a href="http://www.gd.gov.cn/" target="_blank">广东省人民政府门户网站</a>
  <a href="http://www.jmrd.gov.cn/" target="_blank">江门市人民代表大会常务委员会</a>
</div></div>
<div class="footer"><div class="wrap">
  <p><a href="/wzdt/">网站地图</a> | <a href="/lxwm/">联系我们</a> | <a href="/smsm/">使用帮助</a> | <a href="/bqsm/">版权声明</a></p>
  <p>主办：江门市人民政府办公室　承办：江门市政务服务数据管理局</p>
  <p>版权所有：江门市人民政府　网站标识码：4407000005　<a href="https://beian.miit.gov.cn/" target="_blank">粤ICP备05086489号</a></p>
  <p><img src="/images/gaba.png" alt="">粤公网安备 44070302000123号　联系电话：0750-3503100</p>
</div></div>
</body>
</html>
"""

SECTIONS = {
    "jmyw": ("newzwgk/zwdt/jmyw", "江门要闻", ("政务公开", "/newzwgk/"), ("政务动态", "../")),
    "fgj": ("fgj/gzdt", "工作动态", ("江门市发展和改革局", "../"), ("工作动态", "./")),
    "tjj": ("tjj/tjsj", "统计数据", ("江门市统计局", "../"), ("统计数据", "./")),
}
SIDE_NAV = {
    "jmyw": (
        ("江门要闻", "./"),
        ("部门动态", "../bmdt/"),
        ("区市动态", "../sqdt/"),
        ("通知公告", "../tzgg/"),
    ),
    "fgj": (("工作动态", "./"), ("通知公告", "../tzgg/"), ("政策文件", "../zcwj/"), ("规划计划", "../ghjh/")),
    "tjj": (("统计数据", "./"), ("统计分析", "../tjfx/"), ("统计公报", "../tjgb/"), ("数据解读", "../sjjd/")),
}


def gov_metas(story: Story, column: str) -> str:
    return (
        f'<meta name="ArticleTitle" content="{esc(story.title)}">\n'
        f'<meta name="PubDate" content="{story.published}">\n'
        f'<meta name="ContentSource" content="{esc(story.source)}">\n'
        f'<meta name="Keywords" content="{esc(column)}">\n'
    )


def location(key: str, depth_to_section: str, leaf: str) -> str:
    _, _name, first, second = SECTIONS[key]
    return (
        '<div class="location">您现在所在位置：<a href="/">首页</a> &gt; '
        f'<a href="{first[1] if first[1].startswith("/") else depth_to_section + first[1]}">{first[0]}</a> &gt; '
        f'<a href="{depth_to_section + second[1]}">{second[0]}</a> &gt; {leaf}</div>\n'
    )


def hot_box(prefix: str) -> str:
    titles = {s.id: s.title for s in JMYW}
    items = "\n".join(
        f'    <li><a href="{prefix}content/{sid}.html" target="_blank">{esc(titles[sid])}</a></li>'
        for sid in HOT
    )
    return f'<div class="side-box hot">\n  <h3>热点推荐</h3>\n  <ul>\n{items}\n  </ul>\n</div>\n'


def gov_listing(key: str, stories: tuple[Story, ...], page: int, pages: int, js_pager: bool) -> str:
    _path, name, *_ = SECTIONS[key]
    items = "\n".join(
        f'      <li><a href="./content/{s.id}.html" target="_blank" title="{esc(s.title)}">{esc(short(s.title))}</a>'
        f"<span>{s.published[:10]}</span></li>"
        for s in stories
    )
    side = "\n".join(f'    <li><a href="{href}">{text}</a></li>' for text, href in SIDE_NAV[key])
    focus = ""
    if key == "jmyw" and page == 0:  # the picture slider repeats the two newest stories
        focus = "".join(
            f'    <div class="focus-item"><a href="./content/{s.id}.html"><img src="./images/{s.id}.jpg" alt=""></a>'
            f'<p><a href="./content/{s.id}.html">{esc(s.title)}</a></p></div>\n'
            for s in stories[:2]
        )
        focus = f'  <div class="focus">\n{focus}  </div>\n'
    body = (
        '<div class="main wrap">\n'
        + location(key, "", f"<span>{name}</span>")
        + f'<div class="col-left">\n  <div class="left-nav"><h3>{esc(SECTIONS[key][3][0])}</h3><ul>\n{side}\n  </ul></div>\n</div>\n'
        + '<div class="col-right">\n'
        + focus
        + f'  <div class="list-title"><h2>{name}</h2></div>\n'
        + f'  <div class="list-box">\n    <ul class="infoList">\n{items}\n    </ul>\n  </div>\n'
        + pager(page, pages, js_pager)
        + "</div>\n"
        + (hot_box("./") if key == "jmyw" else side_notices(key))
        + "</div>\n"
    )
    title = f"{name}_江门市人民政府门户网站"
    return GOV_HEAD.format(title=title, column=name, metas="") + body + GOV_FOOT


def side_notices(key: str) -> str:
    """The 最新发布 box of the bureau sections: links to the other bureau's articles (furniture)."""
    other = TJJ if key == "fgj" else FGJ
    other_path = SECTIONS["tjj" if key == "fgj" else "fgj"][0]
    items = "\n".join(
        f'    <li><a href="../../{other_path}/content/{s.id}.html">{esc(s.title)}</a><span>{s.published[5:10]}</span></li>'
        for s in other[:3]
    )
    return f'<div class="sidebar">\n  <h3>最新发布</h3>\n  <ul>\n{items}\n  </ul>\n</div>\n'


def pager(page: int, pages: int, js: bool) -> str:
    def name(n: int) -> str:
        return "index.html" if n == 0 else f"index_{n}.html"

    if js:  # TRS WCM: the pager is written by a script
        return (
            '  <div class="page">\n  <script type="text/javascript">\n'
            f"    var currentPage = {page};var countPage = {pages};\n"
            f'    createPageHTML({pages}, {page}, "index", "html");\n'
            "  </script>\n  </div>\n"
        )
    parts = [f'<a href="{name(0)}">首页</a>']
    if page > 0:
        parts.append(f'<a href="{name(page - 1)}">上一页</a>')
    for n in range(pages):
        parts.append(
            f'<span class="current">{n + 1}</span>' if n == page else f'<a href="{name(n)}">{n + 1}</a>'
        )
    if page < pages - 1:
        parts.append(f'<a href="{name(page + 1)}">下一页</a>')
    parts.append(f'<a href="{name(pages - 1)}">尾页</a>')
    parts.append(f"<span>共{pages}页</span>")
    return '  <div class="page">' + " ".join(parts) + "</div>\n"


def gov_article(key: str, story: Story, prev: Story | None, next_: Story | None) -> str:
    _, name, *_ = SECTIONS[key]
    paragraphs = "\n".join(f"<p>{esc(p)}</p>" for p in story.paragraphs)
    attachment = ""
    if story.attachment:
        attachment = f'<div class="fujian"><p>相关附件：</p><p><a href="./{story.attachment[0]}">{esc(story.attachment[1])}</a></p></div>\n'
    neighbours = ""
    if prev:
        neighbours += f'<p>上一篇：<a href="./{prev.id}.html">{esc(prev.title)}</a></p>\n'
    if next_:
        neighbours += f'<p>下一篇：<a href="./{next_.id}.html">{esc(next_.title)}</a></p>\n'
    body = (
        '<div class="main wrap">\n'
        + location(key, "../", f'<a href="../">{name}</a>')
        + '<div class="article">\n'
        + f'<h1 class="article-title">{esc(story.title)}</h1>\n'
        + f'<div class="article-info"><span>发布时间：{story.published}:00</span>　<span>文档来源：{esc(story.source)}</span>　'
        '<span>浏览次数：<script type="text/javascript">document.write("1024")</script></span>　'
        '【字体：<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(14)">小</a>】</div>\n'
        + '<div class="article-content" id="zoom"><div class="TRS_Editor">\n'
        + paragraphs
        + "\n"
        + story.extra_html
        + "</div></div>\n"
        + attachment
        + '<div class="share-bar">分享到：<a href="javascript:void(0)" class="wx">微信</a> <a href="javascript:void(0)" class="wb">微博</a>'
        '　<a href="javascript:window.print()">【打印本页】</a> <a href="javascript:window.close()">【关闭窗口】</a></div>\n'
        + f'<div class="prev-next">\n{neighbours}</div>\n'
        + "</div>\n</div>\n"
    )
    title = f"{story.title}_江门市人民政府门户网站"
    return GOV_HEAD.format(title=esc(title), column=name, metas=gov_metas(story, name)) + body + GOV_FOOT


def write_gov_section(key: str, stories: tuple[Story, ...], per_page: int, js_pager: bool) -> None:
    path = SECTIONS[key][0]
    pages = -(-len(stories) // per_page)
    for page in range(pages):
        chunk = stories[page * per_page : (page + 1) * per_page]
        name = "index.html" if page == 0 else f"index_{page}.html"
        write(f"gov/{path}/{name}", gov_listing(key, chunk, page, pages, js_pager), "gbk")
    for i, story in enumerate(stories):
        prev = stories[i + 1] if i + 1 < len(stories) else None
        next_ = stories[i - 1] if i > 0 else None
        write(f"gov/{path}/content/{story.id}.html", gov_article(key, story, prev, next_), "gbk")
        if story.attachment:
            (HERE / f"gov/{path}/content/{story.attachment[0]}").write_bytes(_PDF)


def write_gov_extras() -> None:
    home_links = "\n".join(
        f'  <li><a href="{path}/index.html">{name}</a></li>' for path, name, *_ in SECTIONS.values()
    )
    home = (
        GOV_HEAD.format(title="江门市人民政府门户网站", column="首页", metas="")
        + f'<div class="main wrap"><ul class="columns">\n{home_links}\n</ul></div>\n'
        + GOV_FOOT
    )
    write("gov/index.html", home, "gbk")
    write("gov/robots.txt", "User-agent: *\nDisallow: /private/\n\nUser-agent: BadBot\nDisallow: /\n")
    draft = Story(
        "post_1000001",
        "2023-08-20 12:00",
        "内部资料（未公开）",
        "江门市人民政府办公室",
        ("本页面不对外公开。",),
    )
    write("gov/private/content/post_1000001.html", gov_article("jmyw", draft, None, None), "gbk")
    write("gov/rss.xml", gov_rss())
    write("gov/sitemap.xml", gov_sitemap_index())
    write("gov/sitemap_news.xml", gov_sitemap(["newzwgk/zwdt/jmyw/"], [("newzwgk/zwdt/jmyw", JMYW)]))
    write(
        "gov/sitemap_data.xml",
        gov_sitemap(["fgj/gzdt/index.html", "tjj/tjsj/index.html"], [("fgj/gzdt", FGJ), ("tjj/tjsj", TJJ)]),
    )


def rfc822(published: str) -> str:
    day = date.fromisoformat(published[:10])
    names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    return f"{names[day.weekday()]}, {day.day:02d} {months[day.month - 1]} {day.year} {published[11:16]}:00 +0800"


def gov_rss() -> str:
    items = "".join(
        f"<item>\n  <title>{esc(s.title)}</title>\n  <link>newzwgk/zwdt/jmyw/content/{s.id}.html</link>\n"
        f"  <pubDate>{rfc822(s.published)}</pubDate>\n  <description><![CDATA[{s.paragraphs[0]}]]></description>\n</item>\n"
        for s in JMYW[:8]
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0">\n<channel>\n'
        "<title>江门市人民政府门户网站 - 江门要闻</title>\n<link>newzwgk/zwdt/jmyw/index.html</link>\n"
        "<description>江门要闻</description>\n<language>zh-cn</language>\n" + items + "</channel>\n</rss>\n"
    )


def gov_sitemap_index() -> str:
    entries = "".join(
        f"  <sitemap><loc>{name}</loc><lastmod>2023-08-21</lastmod></sitemap>\n"
        for name in ("sitemap_news.xml", "sitemap_data.xml")
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + entries + "</sitemapindex>\n"
    )


def gov_sitemap(listings: list[str], sections: list[tuple[str, tuple[Story, ...]]]) -> str:
    urls = [f"  <url><loc>{loc}</loc><changefreq>daily</changefreq></url>\n" for loc in listings]
    for path, stories in sections:
        urls += [
            f"  <url><loc>{path}/content/{s.id}.html</loc><lastmod>{s.published[:10]}</lastmod></url>\n"
            for s in stories
        ]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + "".join(urls) + "</urlset>\n"
    )


# --- epaper ---------------------------------------------------------------------------------------

EPAPER_HEAD = """<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{title}</title>
<link type="text/css" rel="stylesheet" href="../../../style/style.css">
<script language="javascript" src="../../../script/prototype.js"></script>
</head>
<body>
<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0">
<tr><td class="banner"><a href="../../../index.htm"><img src="../../../images/banner.jpg" border="0"></a></td></tr>
<tr><td class="toolbar">{dateline}　<a href="{previous}">上一期</a>{following}　<a href="../../../history.htm">往期回顾</a>　<a href="http://www.jmnews.com.cn/" target="_blank">江门新闻网</a></td></tr>
</table>
"""

EPAPER_FOOT = """<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0" class="copyright">
<tr><td align="center">
Copyright©2003-2023 jmnews.com.cn, JiangMen Daily Press. All Rights Reserved.<br>
江门日报社主办 江门新闻网版权所有 未经授权许可不得复制或转载<br>
网络新闻编辑部制作及维护 联系电话:86-0750-3502626<br>
<a href="https://beian.miit.gov.cn/" target="_blank">粤ICP备05079094号</a> 经营许可证编号:粤B2-20050439
</td></tr>
</table>
</body>
</html>
"""


def dateline(issue: str, spaced: bool) -> str:
    day = date.fromisoformat(issue)
    if spaced:
        return f"{day.year} 年 {day.month:02d} 月 {day.day:02d} 日 星期{_WEEKDAYS[day.weekday()]}"
    return f"{day.year}年{day.month:02d}月{day.day:02d}日 星期{_WEEKDAYS[day.weekday()]}"


def issue_links(issue: str) -> tuple[str, str]:
    """(上一期 href, 下一期 link html) relative to an issue's directory."""
    day = date.fromisoformat(issue)
    before = date.fromordinal(day.toordinal() - 1)
    after = date.fromordinal(day.toordinal() + 1)
    previous = f"../../{before:%Y-%m}/{before:%d}/node_2.htm"
    following = (
        f'　<a href="../../{after:%Y-%m}/{after:%d}/node_2.htm">下一期</a>' if issue != "2023-01-17" else ""
    )
    return previous, following


def page_nav(pages: tuple[tuple[str, str, tuple[Story, ...]], ...], issue: str) -> str:
    rows = "\n".join(
        f'<tr><td class="default"><a id="pageLink" href="{node}.htm">{name}</a></td>'
        f'<td><a href="../../../page/1/{issue[:7]}/{issue[8:]}/A0{i + 1}/{issue.replace("-", "")}A0{i + 1}_pdf.pdf" target="_blank">'
        '<img src="../../../images/pdf.gif" border="0"></a></td></tr>'
        for i, (node, name, _) in enumerate(pages)
    )
    return f'<table class="bmdh" width="100%" border="0">\n<tr><td colspan="2"><strong>版面导航</strong></td></tr>\n{rows}\n</table>\n'


def epaper_node(issue: str, pages: tuple[tuple[str, str, tuple[Story, ...]], ...], index: int) -> str:
    _node, name, stories = pages[index]
    previous, following = issue_links(issue)
    titles = "\n".join(
        f'<tr><td><img src="../../../images/dot.gif"><a href="{s.id}.htm"><div style="display:inline" id="mp{s.id[8:]}">{esc(s.title)}</div></a></td></tr>'
        for s in stories
    )
    areas = "".join(
        f'<area shape="polygon" coords="10,{40 * i},300,{40 * i},300,{40 * i + 30}" href="{s.id}.htm">'
        for i, s in enumerate(stories)
    )
    turn = ""
    if index > 0:
        turn += f'<a href="{pages[index - 1][0]}.htm">上一版</a> '
    if index < len(pages) - 1:
        turn += f'<a href="{pages[index + 1][0]}.htm">下一版</a>'
    return (
        EPAPER_HEAD.format(
            title="江门日报数字报", dateline=dateline(issue, False), previous=previous, following=following
        )
        + '<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0">\n<tr>\n'
        + '<td width="500" valign="top" class="left">\n'
        + f'<table width="100%"><tr><td><strong>{name}</strong></td><td align="right">{turn}</td></tr></table>\n'
        + f'<img src="../../../page/1/{issue[:7]}/{issue[8:]}/A0{index + 1}/{issue.replace("-", "")}A0{index + 1}.jpg" usemap="#PagePicMap" border="0">\n'
        + f'<map name="PagePicMap">{areas}</map>\n'
        + "</td>\n"
        + '<td width="500" valign="top" class="right">\n'
        + page_nav(pages, issue)
        + f'<table class="titlelist" width="100%" border="0">\n<tr><td><strong>本版标题导航</strong></td></tr>\n{titles}\n</table>\n'
        + "</td>\n</tr>\n</table>\n"
        + EPAPER_FOOT
    )


def epaper_article(
    issue: str, pages: tuple[tuple[str, str, tuple[Story, ...]], ...], index: int, at: int
) -> str:
    node, name, stories = pages[index]
    story = stories[at]
    previous, following = issue_links(issue)
    others = "\n".join(f'<tr><td><a href="{s.id}.htm">{esc(s.title)}</a></td></tr>' for s in stories)
    turn = f'<a href="{pages[index + 1][0]}.htm">下一版</a>' if index < len(pages) - 1 else ""
    steps = ""
    if at > 0:
        steps += f'<a href="{stories[at - 1].id}.htm">上一篇</a>　'
    if at < len(stories) - 1:
        steps += f'<a href="{stories[at + 1].id}.htm">下一篇</a>'
    heads = ""
    if story.kicker:
        heads += f"<h3>{esc(story.kicker)}</h3>\n"
    heads += f"<h1>{esc(story.title)}</h1>\n"
    if story.subtitle:
        heads += f"<h2>{esc(story.subtitle)}</h2>\n"
    paragraphs = "\n".join(
        f"<p>　　{esc(p)}</p>" for p in ((story.byline,) if story.byline else ()) + story.paragraphs
    )
    return (
        EPAPER_HEAD.format(
            title=f"江门日报数字报-{esc(story.title)}",
            dateline=dateline(issue, False),
            previous=previous,
            following=following,
        )
        + '<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0">\n<tr>\n'
        + '<td width="300" valign="top" class="left">\n'
        + f'<table width="100%"><tr><td><a href="{node}.htm">{name}</a></td><td>{turn}</td></tr></table>\n'
        + f'<table class="titlelist" width="100%">\n{others}\n</table>\n'
        + f'<div class="bmdh"><a href="{pages[0][0]}.htm">版面导航</a> | <a href="{previous}">上一期</a></div>\n'
        + "</td>\n"
        + '<td width="700" valign="top" class="right">\n'
        + f'<table width="100%"><tr><td class="date">{dateline(issue, True)}</td><td class="zoom"><a href="javascript:zoom(16)">放大</a> <a href="javascript:zoom(12)">缩小</a> <a href="javascript:zoom(14)">默认</a></td></tr></table>\n'
        + f'<table width="100%"><tr><td>{steps}</td></tr></table>\n'
        + '<table width="100%" class="article"><tr><td>\n'
        + heads
        + f'<div id="ozoom"><founder-content>\n{paragraphs}\n</founder-content></div>\n'
        + "</td></tr></table>\n"
        + f'<table width="100%"><tr><td>{steps}</td></tr></table>\n'
        + "</td>\n</tr>\n</table>\n"
        + EPAPER_FOOT
    )


def write_epaper() -> None:
    for issue, pages in EPAPER.items():
        folder = f"epaper/jmrb/html/{issue[:7]}/{issue[8:]}"
        for index, (node, _, stories) in enumerate(pages):
            write(f"{folder}/{node}.htm", epaper_node(issue, pages, index))
            for at, story in enumerate(stories):
                write(f"{folder}/{story.id}.htm", epaper_article(issue, pages, index, at))


# --- portal ---------------------------------------------------------------------------------------

PORTAL_HEAD = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
{metas}<link rel="stylesheet" href="/static/css/site.css">
</head>
<body>
<header class="site-header">
  <div class="brand"><a href="/"><img src="/static/img/logo.png" alt="侨乡资讯网"></a></div>
  <nav class="channels">
    <a href="/">首页</a> <a href="/news/index.html">本地新闻</a> <a href="/finance/">财经</a> <a href="/house/">房产</a>
    <a href="/auto/">汽车</a> <a href="/travel/">旅游</a> <a href="/video/">视频</a> <a href="/user/login">登录</a>
  </nav>
</header>
"""

PORTAL_FOOT = """<footer class="site-footer">
  <p><a href="/about/">关于我们</a> | <a href="/ad/">广告服务</a> | <a href="/contact/">联系我们</a> | <a href="/sitemap/">网站地图</a></p>
  <p>Copyright © 2015-2023 侨乡资讯网 版权所有　<a href="https://beian.miit.gov.cn/">粤ICP备15012345号-1</a></p>
  <p>违法和不良信息举报电话：0750-3000000</p>
</footer>
</body>
</html>
"""


def portal_paragraphs(story: Story) -> tuple[str, ...]:
    if story.paragraphs:
        return story.paragraphs
    return next(s.paragraphs for s in JMYW if s.id == REPOST_OF)


def portal_related(story: Story) -> str:
    others = [s for s in PORTAL if s.id != story.id]
    items = "\n".join(
        f'    <li><a href="{posixpath.relpath(s.id, posixpath.dirname(story.id))}.html">{esc(s.title)}</a><p>{esc(portal_paragraphs(s)[0][:40])}</p><span>{s.published}:00</span></li>'
        for s in others
    )
    return f'<div class="related">\n  <h3>相关阅读</h3>\n  <ul>\n{items}\n  </ul>\n</div>\n'


def portal_article(story: Story) -> str:
    repost = not story.paragraphs
    paragraphs = "\n".join(f"<p>{esc(p)}</p>" for p in portal_paragraphs(story))
    transfer = f'<p class="transfer">本文转自：{esc(story.source)}</p>\n' if repost else ""
    snapshot = (
        '<div class="snapshot">\n<p>以上内容为资讯信息快照，由本站爬虫进行采集并收录，本站未对信息做任何修改，信息内容不代表本站立场。</p>\n'
        f"<p>快照生成时间：{story.published[:10]} 11:02:37</p>\n<p>本站信息快照查询为非营利公共服务，如有侵权请联系我们进行删除。</p>\n</div>\n"
        if repost
        else ""
    )
    source = "侨乡资讯网" if repost else story.source
    body = (
        '<main class="container">\n<div class="crumb"><a href="/">首页</a> &gt; <a href="/news/index.html">本地新闻</a> &gt; 正文</div>\n'
        + '<article class="detail">\n'
        + f"<h1>{esc(story.title)}</h1>\n"
        + f'<div class="meta"><span>类别：本地</span> <span>发布时间：{story.published}:00</span> <span>来源：{source}</span></div>\n'
        + '<div class="article-body">\n'
        + transfer
        + paragraphs
        + "\n</div>\n"
        + snapshot
        + '<div class="tools"><a href="javascript:void(0)">分享</a> <a href="javascript:void(0)">收藏</a> <a href="javascript:window.print()">打印</a></div>\n'
        + "</article>\n"
        + portal_related(story)
        + "</main>\n"
        + portal_hot()
    )
    metas = f'<meta property="og:title" content="{esc(story.title)}">\n<meta property="article:published_time" content="{story.published[:10]}T{story.published[11:]}:00+08:00">\n'
    return PORTAL_HEAD.format(title=f"{esc(story.title)} - 侨乡资讯网", metas=metas) + body + PORTAL_FOOT


def portal_hot() -> str:
    """A 24小时热闻 box linking to stories of other channels (article URLs, but a sidebar)."""
    items = [
        ("/finance/202308/t20230823_856013.html", "江门楼市八月成交回暖 刚需盘受青睐"),
        ("/travel/202308/t20230820_856001.html", "暑期亲子游升温 侨乡景区推出研学路线"),
        ("/auto/202308/t20230819_855990.html", "新能源汽车下乡活动走进恩平"),
    ]
    lis = "\n".join(
        f'    <li><em>{n + 1}</em><a href="{href}">{title}</a></li>' for n, (href, title) in enumerate(items)
    )
    return f'<aside class="sidebar">\n  <h3>24小时热闻</h3>\n  <ol class="rank">\n{lis}\n  </ol>\n</aside>\n'


def portal_listing() -> str:
    items = "\n".join(
        f'  <div class="item">\n    <h3><a href="{s.id}.html" target="_blank">{esc(s.title)}</a></h3>\n'
        f'    <p>{esc(portal_paragraphs(s)[0][:60])}……</p>\n    <span class="time">{s.published}</span>\n  </div>'
        for s in PORTAL
    )
    body = (
        '<main class="container">\n<div class="crumb"><a href="/">首页</a> &gt; 本地新闻</div>\n'
        + f'<div class="news-list">\n{items}\n</div>\n'
        + "</main>\n"
        + portal_hot()
    )
    return PORTAL_HEAD.format(title="本地新闻 - 侨乡资讯网", metas="") + body + PORTAL_FOOT


def write_portal() -> None:
    write("portal/news/index.html", portal_listing())
    for story in PORTAL:
        write(f"portal/news/{story.id}.html", portal_article(story))


def main() -> None:
    for site in ("gov", "epaper", "portal"):
        shutil.rmtree(HERE / site, ignore_errors=True)
    write_gov_section("jmyw", JMYW, 8, js_pager=False)
    write_gov_section("fgj", FGJ, 4, js_pager=True)
    write_gov_section("tjj", TJJ, 10, js_pager=False)
    write_gov_extras()
    write_epaper()
    write_portal()


if __name__ == "__main__":
    main()
