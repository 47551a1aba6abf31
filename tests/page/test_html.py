"""parse_article and article_from_bytes on the layouts of Chinese government, e-paper and portal sites."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from watcher.errors import InputError
from watcher.page import article_from_bytes, is_html, parse_article

PAGES = Path(__file__).resolve().parent.parent / "data" / "pages"
GOV_URL = "http://www.jiangmen.gov.cn/home/jmyw/content/post_2760001.html"

# Furniture that must never reach the article text, whatever the layout.
FURNITURE = (
    "您现在所在位置",
    "您現在的位置",
    "版权所有",
    "版權所有",
    "ICP备",
    "Copyright",
    "联系电话",
    "打印本页",
    "关闭窗口",
    "分享到",
    "版面导航",
    "上一篇",
    "下一篇",
    "第A01版",
    "放大",
    "相关附件",
    "相关新闻",
    "摄",
    "攝",
    "江门市人民政府门户网站",
    "快照",
    "信息原文地址",
    "更多关于",
    "发布时间",
    "發布時間",
    "来源：",
    "字体",
    "浏览次数",
    "热点新闻",
)


@dataclass(frozen=True)
class PageCase:
    file: str
    url: str
    title: str
    published: date | None
    outlet: str | None
    present: tuple[str, ...]
    absent: tuple[str, ...] = ()
    attachments: tuple[str, ...] = ()
    content_type: str | None = None
    first_line: str = ""
    lines: int | None = None
    extra: dict[str, str] = field(default_factory=dict)


CASES = [
    PageCase(
        file="gov_gbk.html",
        url=GOV_URL,
        title="江门大型产业集聚区前10月规上工业总产值突破2700亿元",
        published=date(2022, 11, 30),
        outlet="江门日报",
        present=("规上工业总产值2740.45亿元", "负责人张喆介绍", "计划总投资1062.3亿元"),
        absent=("相关新闻", "集聚区北组团又有一批项目动工", "江门要闻", "政务公开", "2019"),
        attachments=(
            "http://www.jiangmen.gov.cn/home/jmyw/content/P020221130389.pdf",
            "http://www.jiangmen.gov.cn/home/jmyw/content/P020221130390.docx",
            "http://www.jiangmen.gov.cn/attach/2022/11/30/summary.XLS?version=2",
        ),
        first_line="记者从市工业和信息化局获悉",
        lines=4,
    ),
    PageCase(
        file="gov_gbk.html",
        url=GOV_URL,
        content_type="text/html; charset=utf-8",  # wrong header: the body is GBK
        title="江门大型产业集聚区前10月规上工业总产值突破2700亿元",
        published=date(2022, 11, 30),
        outlet="江门日报",
        present=("负责人张喆介绍", "今年1—10月"),
        lines=4,
    ),
    PageCase(
        file="gov_gbk_nometa.html",
        url=GOV_URL,
        title="江门大型产业集聚区前10月规上工业总产值突破2700亿元",
        published=date(2022, 11, 30),
        outlet="江门日报",
        present=("负责人张喆介绍",),
        lines=4,
    ),
    PageCase(
        file="gov_br_gbk.html",
        url="http://www.jiangmen.gov.cn/rmzx/t856008.html",
        title="江门高水平建设国际一流产业集聚区",
        published=date(2023, 8, 21),
        outlet="江门日报",
        present=("全市引进超亿元项目241个、总投资1296亿元", "1395平方公里"),
        absent=(".wps", "热门资讯"),
        attachments=("http://www.jiangmen.gov.cn/rmzx/P020230821512.wps",),
        first_line="河道两岸绿树成荫",
        lines=3,
    ),
    PageCase(
        file="epaper.html",
        url="http://dzb.jmrb.com/jmrb/html/2022-11/30/content_23455.htm",
        title="我市21个项目获省级立项",
        published=date(2022, 11, 30),
        outlet="江门日报",
        present=(
            "我市共有21个项目获得立项",
            "计划总投资合计约1296亿元",
            "推动项目早日开工建设、早日投产见效",
        ),
        absent=("养鱼告别", "神舟十五号", "上一期", "李华", "全市立项数量创近年新高"),
        first_line="日前，省发展改革委公布",
        lines=3,
    ),
    PageCase(
        file="epaper.html",
        url="",  # no date in the URL: the e-paper's date line gives it
        title="我市21个项目获省级立项",
        published=date(2022, 11, 30),
        outlet="江门日报",
        present=("我市共有21个项目获得立项",),
    ),
    PageCase(
        file="portal.html",
        url="https://www.meirikandian.example/guonei/123.html",
        title="打破镇域行政边界 撬动区域平衡发展",
        published=date(2024, 5, 3),
        outlet="南方日报",  # 本文转自 beats the aggregator's 来源
        present=("2023年八镇规上工业总产值超1000亿元", "到2026年规上工业总产值超1600亿元"),
        absent=(
            "税务部门推出十五项举措",
            "2024-01-09",
            "417亿元",
            "热门排行",
            "多地出台促消费新举措",
            "本文转自",
        ),
        first_line="江门推进中部八镇联动",
        lines=5,
    ),
    PageCase(
        file="traditional_big5.html",
        url="https://www.macaunews.example/gba/88.html",
        title="江門八鎮聯動發展 工業總產值逾千億元",
        published=date(2024, 5, 6),
        outlet="澳門日報",
        present=("2023年八鎮規模以上工業總產值超過一千億元", "矽能源"),
        absent=("大灣區 |", "陳大文 攝", "未經許可"),
        lines=3,
    ),
    PageCase(
        file="truncated.html",
        url="http://www.jmnews.example/opinion/55.html",
        title="现代化海洋牧场建设为江门带来新机遇",
        published=date(2023, 4, 18),
        outlet="江门新闻网",
        present=("发展现代化海洋牧场具备良好的自然条件", "专家们普遍认为应当加快配套设施建"),
        absent=("首页", "视频"),
        lines=3,
    ),
]


@pytest.mark.parametrize(
    "case",
    CASES,
    ids=[
        f"{case.file}{'-' + case.content_type.split('=')[-1] if case.content_type else ''}"
        f"{'-no-url' if not case.url else ''}"
        for case in CASES
    ],
)
def test_fixture_pages(case: PageCase) -> None:
    article = article_from_bytes((PAGES / case.file).read_bytes(), case.url, case.content_type)
    assert article.url == case.url
    assert article.title == case.title
    assert article.published == case.published
    assert article.outlet == case.outlet
    for phrase in case.present:
        assert phrase in article.text
    for phrase in (*FURNITURE, *case.absent):
        assert phrase not in article.text, phrase
    if case.attachments:
        assert article.attachments == case.attachments
    lines = article.text.split("\n")
    assert all(line == line.strip() and line for line in lines)
    if case.first_line:
        assert lines[0].startswith(case.first_line)
    if case.lines is not None:
        assert len(lines) == case.lines


def page(body: str, head: str = "") -> str:
    return f"<html><head>{head}</head><body>{body}</body></html>"


PARAGRAPHS = (
    "<p>今年上半年，全市引进超亿元项目241个，总投资1296亿元，同比分别增长58.6%和32.9%。</p>"
    "<p>全市加快建设大型产业集聚区，多项重点指标位居全省第一，园区承载能力不断增强。</p>"
)


@pytest.mark.parametrize(
    ("html", "title"),
    [
        pytest.param(
            page(
                f"<h1>江门市人民政府</h1><div>{PARAGRAPHS}</div>",
                "<title>产业集聚区建设提速_江门市人民政府</title>",
            ),
            "产业集聚区建设提速",
            id="title-site-suffix-stripped",
        ),
        pytest.param(
            page(
                f"<h1>网站标志文字</h1><h2>产业集聚区建设提速</h2><div>{PARAGRAPHS}</div>",
                "<title>产业集聚区建设提速 - 江门新闻网</title>",
            ),
            "产业集聚区建设提速",
            id="headline-repeated-by-title",
        ),
        pytest.param(
            page(
                f"<h1>产业集聚区建设提速</h1><div>{PARAGRAPHS}</div>",
                '<title>江门新闻网</title><meta property="og:title" content="集聚区建设提速了 | 江门新闻网">',
            ),
            "集聚区建设提速了",
            id="og-title-wins",
        ),
        pytest.param(
            page(
                f'<div class="detail-title">江門八鎮聯動發展</div><div>{PARAGRAPHS}</div>',
                "<title>江門八鎮聯動發展｜大灣區｜澳門新聞網</title>",
            ),
            "江門八鎮聯動發展",
            id="title-class-fullwidth-bar",
        ),
        pytest.param(
            page(f"<h1>产业集聚区建设提速</h1><div>{PARAGRAPHS}</div>", "<title>江门新闻网</title>"),
            "产业集聚区建设提速",
            id="h1-when-title-is-site-name",
        ),
        pytest.param(
            page(f"<div>{PARAGRAPHS}</div>", "<title>江门日报数字报-我市21个项目获省级立项</title>"),
            "我市21个项目获省级立项",
            id="site-name-first",
        ),
        pytest.param(
            page(f"<div>{PARAGRAPHS}</div>", "<title>2023-2025年江门市产业发展行动方案</title>"),
            "2023-2025年江门市产业发展行动方案",
            id="hyphen-between-digits-kept",
        ),
        pytest.param(
            page(
                f"<h1>产业集聚区建设提速</h1><div>{PARAGRAPHS}</div>",
                '<meta property="og:title" content="江门新闻网">'
                '<meta property="og:site_name" content="江门新闻网">',
            ),
            "产业集聚区建设提速",
            id="og-title-that-is-the-site-name",
        ),
        pytest.param(
            page(
                f"<h1>江门出台“十条措施”支持民营经济</h1><div>{PARAGRAPHS}</div>",
                '<meta property="og:title" content="江门出台"十条措施"支持民营经济_江门市人民政府门户网站">',
            ),
            "江门出台“十条措施”支持民营经济",
            id="og-title-cut-by-quotes",
        ),
        pytest.param(
            page(
                f"<h1>江门“五大产业集群”加速成型</h1><div>{PARAGRAPHS}</div>",
                '<meta property="og:title" content="江门"五大产业集群"加速成型">'
                '<meta name="apub:time" content="2025-10-21 19:06:33">'
                "<title>江门“五大产业集群”加速成型</title>",
            ),
            "江门“五大产业集群”加速成型",
            id="og-title-cut-on-a-dated-page",
        ),
        pytest.param(
            page(
                f"<h1>国产碳化硅模块实现批量装车</h1><div>{PARAGRAPHS}</div>",
                '<meta property="og:title" content="国产碳化硅模块实现批量装车-EDN 电子技术设计">',
            ),
            "国产碳化硅模块实现批量装车",
            id="og-title-latin-site-suffix",
        ),
        pytest.param(
            page(
                '<h2 class="column-title">工作动态</h2>'
                f"<h1>市发展改革局召开项目推进会</h1><div>{PARAGRAPHS}</div>",
                '<title>工作动态_江门市发展和改革局</title><meta name="ColumnName" content="工作动态">',
            ),
            "市发展改革局召开项目推进会",
            id="title-is-the-column-meta",
        ),
        pytest.param(
            page(
                '<div class="menu"><a href="/gzdt/">工作动态</a><a href="/zcfg/">政策法规</a></div>'
                f'<div class="lm-title">工作动态</div><div class="bt-title">市发展改革局召开项目推进会</div>'
                f"<div>{PARAGRAPHS}</div>",
                "<title>工作动态_江门市发展和改革局</title>",
            ),
            "市发展改革局召开项目推进会",
            id="title-is-the-column-linked-in-the-menu",
        ),
        pytest.param(
            page(
                '<h1><a href="/">台山市融媒体中心</a></h1>'
                '<h2><a href="/news/1.html">台山端午假期接待游客逾40万人次</a></h2>'
                '<ul><li><a href="/news/2.html">台山上半年新增市场主体超六千户</a></li></ul>'
                f'<h2 class="detail-tit">台山端午假期接待游客逾40万人次</h2><div>{PARAGRAPHS}</div>',
                "<title>台山市融媒体中心</title>",
            ),
            "台山端午假期接待游客逾40万人次",
            id="headline-list-and-logo-links-skipped",
        ),
        pytest.param(
            page(
                f"<h1>从“制造”到“智造”<br>江门家电产业加速转型升级</h1><div>{PARAGRAPHS}</div>",
                "<title>从“制造”到“智造” 江门家电产业加速转型升级_江门新闻网</title>",
            ),
            "从“制造”到“智造” 江门家电产业加速转型升级",
            id="headline-broken-by-br",
        ),
        pytest.param(page(f"<div>{PARAGRAPHS}</div>"), "", id="no-title"),
    ],
)
def test_title(html: str, title: str) -> None:
    assert parse_article(html).title == title


@pytest.mark.parametrize(
    ("html", "url", "published"),
    [
        pytest.param(
            page(PARAGRAPHS, '<meta name="PubDate" content="2023-08-21 09:00">'),
            "",
            date(2023, 8, 21),
            id="meta-pubdate",
        ),
        pytest.param(
            page(PARAGRAPHS, '<meta name="publishdate" content="2022-11-30">'),
            "",
            date(2022, 11, 30),
            id="meta-publishdate",
        ),
        pytest.param(
            page(PARAGRAPHS, '<meta property="article:published_time" content="2024-05-03T06:58:00+08:00">'),
            "",
            date(2024, 5, 3),
            id="meta-article-published-time",
        ),
        pytest.param(
            page(f"<h1>集聚区建设提速</h1><div>发布时间：2023-08-21 09:00</div>{PARAGRAPHS}"),
            "",
            date(2023, 8, 21),
            id="label-fabu-shijian",
        ),
        pytest.param(
            page(f"<h1>集聚区建设提速</h1><span>时间: </span><span>2023-08-21</span>{PARAGRAPHS}"),
            "",
            date(2023, 8, 21),
            id="label-shijian-split-span",
        ),
        pytest.param(
            page(f"<h1>集聚区建设提速</h1><p>日期：2022年11月30日</p>{PARAGRAPHS}"),
            "",
            date(2022, 11, 30),
            id="label-riqi-chinese",
        ),
        pytest.param(
            page(f"<h1>集聚区建设提速</h1><p>2022 年 11 月 30 日</p>{PARAGRAPHS}"),
            "",
            date(2022, 11, 30),
            id="spaced-date-after-title",
        ),
        pytest.param(
            page(f"<h1>集聚区建设提速</h1><p>2022-11-30</p>{PARAGRAPHS}"),
            "",
            date(2022, 11, 30),
            id="iso-date-after-title",
        ),
        pytest.param(
            page(PARAGRAPHS),
            "http://www.jiangmen.gov.cn/zwgk/t20230821_2893479.html",
            date(2023, 8, 21),
            id="trs-url",
        ),
        pytest.param(
            page(PARAGRAPHS),
            "http://dzb.jmrb.com/jmrb/html/2022-11/30/content_1.htm",
            date(2022, 11, 30),
            id="epaper-url",
        ),
        pytest.param(
            page(f"<h1>集聚区建设提速</h1>{PARAGRAPHS}<p>报名时间：2023年9月1日</p>"),
            "",
            None,
            id="other-labels-ignored",
        ),
        pytest.param(
            page(PARAGRAPHS, '<meta name="apub:time" content="2025-10-21 19:06:33">'),
            "",
            date(2025, 10, 21),
            id="meta-apub-time",
        ),
        pytest.param(
            page(PARAGRAPHS, '<meta itemprop="datePublished" content="2025-05-12 10:31">'),
            "",
            date(2025, 5, 12),
            id="meta-itemprop-date-published",
        ),
        pytest.param(
            page(PARAGRAPHS, '<meta name="publishdate" content="20250305">'),
            "",
            date(2025, 3, 5),
            id="meta-compact-date",
        ),
        pytest.param(
            page(
                PARAGRAPHS,
                '<script type="application/ld+json">{"@type":"NewsArticle",'
                '"datePublished":"2025-01-08T09:12:40+08:00"}</script>',
            ),
            "",
            date(2025, 1, 8),
            id="json-ld-date-published",
        ),
        pytest.param(
            page(f"<h1>集聚区建设提速</h1><div><span>2019</span><span>09/07</span> 08:15</div>{PARAGRAPHS}"),
            "",
            date(2019, 9, 7),
            id="split-year-and-month-day",
        ),
        pytest.param(
            page(
                f"<h1>集聚区建设提速</h1><div>发布日期：<span>2019</span>-<span>09</span>-<span>07</span></div>{PARAGRAPHS}"
            ),
            "",
            date(2019, 9, 7),
            id="date-in-pieces",
        ),
        pytest.param(
            page(
                '<div class="header"><div class="time"><span class="year"><em>2025</em></span>'
                '<span class="day"><em>09</em>/<em>26</em></span></div>'
                '<div class="head-line"><h1>集聚区建设提速</h1></div></div>'
                f'<div class="body">{PARAGRAPHS}</div>'
            ),
            "",
            date(2025, 9, 26),
            id="date-above-the-headline",
        ),
        pytest.param(
            page(
                "<h1>集聚区建设提速</h1><h2>预计今年产值超千亿元</h2><div>分享到：<a>微信</a><a>微博</a></div>"
                "<div>字号：<a>大</a> <a>中</a> <a>小</a></div><div>\n\n\n</div><div>\n</div>"
                "<div><span>江门市融媒体中心</span><span>记者 冯志坚</span>"
                "<span>2025-11-06 18:40</span></div>"
                f"{PARAGRAPHS}"
            ),
            "",
            date(2025, 11, 6),
            id="date-below-widgets-and-blank-lines",
        ),
        pytest.param(
            page(
                f"<h1>集聚区建设提速</h1><div>{PARAGRAPHS}</div>"
                "<div>发布时间：2025-02-19 来源：应急管理局</div>"
            ),
            "",
            date(2025, 2, 19),
            id="labelled-date-after-the-text",
        ),
        pytest.param(
            page(
                '<div class="top"><ul><li><a href="/1.html">江门新闻标题其一</a><span>2024-01-09</span></li>'
                '<li><a href="/2.html">江门新闻标题其二</a><span>2024-01-08</span></li></ul>'
                f"<h1>集聚区建设提速</h1></div><div>{PARAGRAPHS}</div>"
                '<ul><li><a href="/3.html">相关报道标题</a><span>发布时间：2024-01-07</span></li></ul>'
                "<div>Copyright © 2018-2025 江门新闻网 版权所有</div>"
            ),
            "",
            None,
            id="no-date-from-lists-or-copyright",
        ),
        pytest.param(
            page(
                '<h2><a href="/a.html">集聚区建设提速</a></h2><ul><li><a href="/b.html">另一条新闻的标题</a>'
                f"<span>2025-06-10</span></li></ul><h2>集聚区建设提速</h2><div><span>2025-06-03 17:25</span>"
                f"<span>来源：台山市融媒体中心</span></div>{PARAGRAPHS}"
            ),
            "",
            date(2025, 6, 3),
            id="headline-first-in-a-dated-list",
        ),
        pytest.param(
            page(
                "<table><tr><td>成文日期：</td><td>2025年05月20日</td></tr>"
                "<tr><td>发布日期：</td><td>2025年06月03日</td></tr></table>"
                f"<h1>关于加快推进县域商业体系建设的意见</h1>{PARAGRAPHS}"
            ),
            "",
            date(2025, 6, 3),
            id="publication-not-written-date",
        ),
        pytest.param(
            page(
                '<table><tr><td class="paper">台山侨报</td><td class="date">2025年9月10日</td></tr></table>'
                f'<div class="art-title">台山海上风电项目全容量并网</div><div id="ozoom">{PARAGRAPHS}</div>'
            ),
            "",
            date(2025, 9, 10),
            id="epaper-date-cell-without-weekday",
        ),
        pytest.param(
            page(f'<time datetime="2025-03-09T10:00:00+08:00"></time><h1>集聚区建设提速</h1>{PARAGRAPHS}'),
            "",
            date(2025, 3, 9),
            id="time-element",
        ),
        pytest.param(
            page(
                '<div class="item"><a href="/1.html">另一篇文章的标题</a>'
                '<span class="time">2024-01-09</span></div><ul><li class="date">2024-01-07</li></ul>'
                f"<h1>集聚区建设提速</h1><div>{PARAGRAPHS}</div>"
                '<div class="side"><span class="date">2024-01-06</span></div>'
            ),
            "",
            None,
            id="dated-elements-in-lists-skipped",
        ),
        pytest.param(
            page(
                '<div class="top"><span class="date">今天是：2025年12月5日 星期五</span></div>'
                f"<h1>新会陈皮产业园介绍</h1><div>{PARAGRAPHS}</div>"
            ),
            "",
            None,
            id="not-the-header-clock",
        ),
        pytest.param(
            page(
                '<h3>政务动态</h3><h2>江门要闻</h2><ul><li><a href="/1.html">江门加快建设产业集聚区</a>'
                '<span>2023-08-21</span></li><li><a href="/2.html">江门基地二期项目主厂房封顶</a>'
                "<span>2023-08-18</span></li></ul>",
                "<title>江门要闻_江门市人民政府门户网站</title>",
            ),
            "",
            None,
            id="listing-page-has-no-date",
        ),
        pytest.param(
            page(PARAGRAPHS, '<meta name="PubDate" content="2023-02-30">'), "", None, id="impossible-date"
        ),
    ],
)
def test_published(html: str, url: str, published: date | None) -> None:
    assert parse_article(html, url).published == published


@pytest.mark.parametrize(
    ("html", "outlet"),
    [
        pytest.param(
            page(f"<h1>集聚区建设提速</h1><div>来源：江门日报</div>{PARAGRAPHS}"), "江门日报", id="laiyuan"
        ),
        pytest.param(
            page(f"<h1>集聚区建设提速</h1><div>文档来源:江门日报</div>{PARAGRAPHS}"),
            "江门日报",
            id="wendang-laiyuan",
        ),
        pytest.param(
            page(f"<h1>集聚区建设提速</h1><div>信息来源：<a>江门市发展和改革局</a></div>{PARAGRAPHS}"),
            "江门市发展和改革局",
            id="xinxi-laiyuan-link",
        ),
        pytest.param(
            page(f"<h1>集聚区建设提速</h1><div>来源：【南方日报】 作者：李华</div>{PARAGRAPHS}"),
            "南方日报",
            id="bracketed",
        ),
        pytest.param(
            page(f"<h1>集聚区建设提速</h1><div>来源：<span></span> 作者：李华</div>{PARAGRAPHS}"),
            None,
            id="empty-source-not-author",
        ),
        pytest.param(
            page(PARAGRAPHS, '<meta name="ContentSource" content="江门日报">'),
            "江门日报",
            id="meta-contentsource",
        ),
        pytest.param(
            page(PARAGRAPHS, '<meta name="source" content="南方日报">'), "南方日报", id="meta-source"
        ),
        pytest.param(
            page(f"<h1>集聚区建设提速</h1><p>南方日报讯 记者从市发改局获悉，{PARAGRAPHS}</p>"),
            "南方日报",
            id="dateline",
        ),
        pytest.param(page(PARAGRAPHS), None, id="none"),
    ],
)
def test_outlet(html: str, outlet: str | None) -> None:
    assert parse_article(html).outlet == outlet


def test_content_selector_overrides_choice() -> None:
    notice = "本站将于周六凌晨进行系统维护，暂停部分服务。"
    html = page(f'<div id="main">{PARAGRAPHS}</div><div id="notice"><p>{notice}</p></div>')
    assert parse_article(html).text.startswith("今年上半年")
    assert parse_article(html, content_selector="#notice").text == notice
    assert parse_article(html, content_selector="#missing").text.startswith("今年上半年")


def test_paragraph_breaks_from_br_div_and_inline_tags() -> None:
    html = page(
        '<div class="nr">第一段<strong>加粗</strong>文字，说明集聚区的规划面积与产业定位。<br><br>'
        "第二段文字，介绍全市引进超亿元项目的数量和总投资额。"
        "<div>第三段文字，位于一个单独的块元素里面，讲述下一步工作。</div>"
        "第四段文字，跟在块元素后面，需要另起一行显示出来。</div>"
    )
    assert parse_article(html).text.split("\n") == [
        "第一段加粗文字，说明集聚区的规划面积与产业定位。",
        "第二段文字，介绍全市引进超亿元项目的数量和总投资额。",
        "第三段文字，位于一个单独的块元素里面，讲述下一步工作。",
        "第四段文字，跟在块元素后面，需要另起一行显示出来。",
    ]


def test_page_wrapped_in_one_form_keeps_its_text() -> None:
    html = page(f'<form id="form1" method="post"><div class="content">{PARAGRAPHS}</div></form>')
    assert "总投资1296亿元" in parse_article(html).text


def test_link_list_inside_article_is_dropped() -> None:
    links = "".join(f'<li><a href="/{i}.html">相关报道标题第{i}条</a></li>' for i in range(5))
    html = page(f'<div class="content">{PARAGRAPHS}<ul>{links}</ul></div>')
    article = parse_article(html)
    assert "相关报道标题" not in article.text
    assert "总投资1296亿元" in article.text


def test_navigation_heavy_block_loses_to_prose() -> None:
    nav = "".join(f'<p><a href="/{i}.html">江门新闻频道栏目导航链接第{i}条</a></p>' for i in range(40))
    html = page(f'<div class="nav">{nav}</div><div class="content">{PARAGRAPHS}</div>')
    assert parse_article(html).text.startswith("今年上半年")


@pytest.mark.parametrize(
    ("text", "url", "content_type", "expected"),
    [
        pytest.param("<p>正文</p>", "a.txt", "text/html; charset=utf-8", True, id="content-type-html"),
        pytest.param("<p>正文</p>", "a.html", "text/plain", False, id="content-type-plain"),
        pytest.param("<p>正文</p>", "seeds/a.txt", None, False, id="txt-suffix"),
        pytest.param("正文", "http://x.example/a/b.shtml", None, True, id="shtml-suffix"),
        pytest.param("<!DOCTYPE html><html>", "", None, True, id="sniff-doctype"),
        pytest.param("<div>正文</div>", "", None, True, id="sniff-div"),
        pytest.param("江门日报讯 正文 <在前面>", "", None, False, id="plain-text"),
    ],
)
def test_is_html(text: str, url: str, content_type: str | None, expected: bool) -> None:
    assert is_html(text, url, content_type) is expected


def test_article_from_bytes_text_input() -> None:
    body = "江门一季度外贸增长明显\n发布日期：2024-04-20\n据海关统计，一季度江门外贸进出口总值突破400亿元。\n"
    article = article_from_bytes(body.encode("gbk"), "notes/trade.txt")
    assert (article.title, article.published) == ("江门一季度外贸增长明显", date(2024, 4, 20))
    assert article.text == "据海关统计，一季度江门外贸进出口总值突破400亿元。"


def test_article_from_bytes_published_overrides_page() -> None:
    body = (PAGES / "portal.html").read_bytes()
    assert article_from_bytes(body, "p.html", published=date(2024, 5, 4)).published == date(2024, 5, 4)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"   \n\n", id="blank"),
        pytest.param(
            b"<html><body><div>\xe6\x89\x93\xe5\x8d\xb0\xe6\x9c\xac\xe9\xa1\xb5</div></body></html>",
            id="only-furniture",
        ),
    ],
)
def test_article_from_bytes_without_text_raises(body: bytes) -> None:
    with pytest.raises(InputError, match=r"^no article text found in http://x\.example/a\.html$"):
        article_from_bytes(body, "http://x.example/a.html")
