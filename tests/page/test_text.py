"""article_from_text and the shared pieces: furniture lines, tail cuts, dates, outlets."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from watcher.page import article_from_text
from watcher.page.dates import date_from_url, find_head_date, parse_date
from watcher.page.furniture import (
    clean_lines,
    cut_dated_list,
    cut_tail,
    find_outlet,
    is_furniture,
    split_lines,
)

PAGES = Path(__file__).resolve().parent.parent / "data" / "pages"


@pytest.mark.parametrize(
    ("file", "title", "published", "outlet", "present", "absent"),
    [
        pytest.param(
            "gov_copy.txt",
            "以产兴城 江门加快建设高水平产业集聚区",
            date(2023, 8, 21),
            "江门日报",
            ("园区是产业的载体", "全市引进超亿元项目241个、总投资1296亿元", "1395平方公里"),
            ("您现在所在位置", "文档来源", "郭永乐 摄", "相关附件", "t856008_mo.html"),
            id="gov-copy",
        ),
        pytest.param(
            "epaper_copy.txt",
            "园区再造撑起发展大舞台",
            date(2022, 11, 30),
            "江门日报",
            ("规上工业总产值2740.45亿元", "三大组团各有分工", "累计投资总额151亿美元"),
            (
                "第A01版",
                "养鱼告别",
                "我市21个项目获省级立项",
                "版面导航",
                "上一篇",
                "放大",
                "李华",
                "Copyright",
                "版权所有",
                "ICP",
                "联系电话",
                "制作及维护",
                "全市深入推进",
            ),
            id="epaper-copy",
        ),
        pytest.param(
            "snapshot_copy.txt",
            "打破镇域行政边界 撬动区域平衡发展",
            date(2024, 5, 3),
            "南方日报",
            ("南方日报讯", "2023年八镇规上工业总产值超1000亿元"),
            (
                "我的订阅",
                "类别",
                "本文转自",
                "快照",
                "侵权",
                "信息原文地址",
                "税务部门",
                "2024-01-09",
                "更多关于",
            ),
            id="snapshot-copy",
        ),
        pytest.param(
            "teaser_copy.txt",
            "在全市产城融合工作会议上的讲话",
            None,
            None,
            ("产业产值年均增长15%以上", "共享率达到80%以上", "(一)科学编制产城融合发展规划"),
            ("目录", "二、客观看待", "新文秘网", "省略", "……", "未完", "一是", "收藏"),
            id="teaser-copy",
        ),
        pytest.param(
            "dated_list.txt",
            "江门一季度外贸进出口增长明显",
            date(2024, 4, 20),
            None,
            ("外贸进出口总值突破400亿元", "机电产品占比超过一半。"),
            ("新能源电池产业链加速成形", "鹤山工业城", "2024-04-18"),
            id="trailing-dated-list",
        ),
    ],
)
def test_text_fixtures(
    file: str,
    title: str,
    published: date | None,
    outlet: str | None,
    present: tuple[str, ...],
    absent: tuple[str, ...],
) -> None:
    article = article_from_text((PAGES / file).read_text(encoding="utf-8"), f"docs/{file}")
    assert article.url == f"docs/{file}"
    assert (article.title, article.published, article.outlet) == (title, published, outlet)
    for phrase in present:
        assert phrase in article.text
    for phrase in absent:
        assert phrase not in article.text, phrase
    assert title not in article.text.split("\n")


def test_given_date_wins() -> None:
    text = "江门外贸增长明显\n时间: 2023-08-21 09:00:00\n据海关统计，江门外贸进出口总值突破400亿元。"
    assert article_from_text(text, "a.txt", published=date(2024, 1, 2)).published == date(2024, 1, 2)


def test_text_starting_with_a_paragraph_has_no_title() -> None:
    text = (
        "2023年，全市经济运行回升向好，地区生产总值为4022.25亿元、增长5.5%。\n推动两岸融合发展\n正文第二段。"
    )
    article = article_from_text(text, "a.txt")
    assert article.title == ""
    assert article.text.startswith("2023年，全市经济运行回升向好")


def test_split_lines_normalises_whitespace() -> None:
    text = "\ufeff　　第一段\u3000文字\xa0有空格。\r\n\r\n\t第二段\u200b文字 \n   \n"
    assert split_lines(text) == ["第一段 文字 有空格。", "第二段文字"]


@pytest.mark.parametrize(
    "line",
    [
        "第A01版:要闻",
        "第01版：要闻",
        "版面导航 |",
        "上一期",
        "4下一版",
        "3上一篇 下一篇4",
        "上一篇：江门召开产业集聚区建设推进会",
        "2022 年 11 月 30 日 星期 放大 缩小 默认",
        "放大 缩小 默认",
        "您现在所在位置: 首页 > 热门资讯",
        "当前位置：首页 > 新闻中心 > 江门要闻",
        "您現在的位置：首頁 > 大灣區",
        "首页 > 江门要闻",
        "粤ICP备05079094号 经营许可证编号:粤B2-20050439",
        "Copyright©2003-2006 jmnews.com.cn, JiangMen Daily Press. All Rights Reserved.",
        "江门日报社主办 江门新闻网版权所有 未经授权许可不得复制或转载",
        "版權所有 未經許可不得轉載",
        "网络新闻编辑部制作及维护 联系电话:86-0750-3502626",
        "联系电话：0750-3502626",
        "主办：江门市人民政府办公室 承办：江门市政务服务数据管理局",
        "主办单位：江门市人民政府办公室，承办单位：江门市政务服务数据管理局",
        "您的位置：网站首页 > 政务公开",
        "当前位置：新闻中心 > 江门要闻",
        "粤公网安备 44070302000123号",
        "网站标识码：4407000001",
        "……(新文秘网http://www.wm114.cn省略1145字,正式会员可完整阅读)……",
        "(未完,全文共10026字,当前仅显示3214字,请阅读下面提示信息。",
        "以上内容为资讯信息快照,由某爬虫进行采集并收录,本站未对信息做任何修改,信息内容不代表本站立场。",
        "快照生成时间:2024-05-03 08:45:09",
        "本站信息快照查询为非营利公共服务,如有侵权请联系我们进行删除。",
        "信息原文地址:",
        "江门日报记者 郭永乐 摄",
        "记者 陳大文 攝",
        "江门日报记者 皇智尧、李华 摄",
        "□文/江门日报记者 皇智尧",
        "文/图 陈敏锐 袁辉",
        "图/江门日报资料图",
        "责任编辑：李华",
        "【打印本页】 【关闭窗口】",
        "打印本页 关闭窗口",
        "分享到：微信 微博",
        "【字体：大 中 小】",
        "浏览次数：",
        "相关附件:",
        "附件：江门大型产业集聚区主要指标完成情况.pdf",
        "集聚区重点项目清单.docx",
        "时间: 2023-08-21 09:00:00 文档来源:江门日报",
        "类别:国内 发布时间:2024-05-03 06:58:00 来源:每日看点快看",
        "发布时间：2022-11-30 09:15 来源：江门日报",
        "發布時間：2024年05月06日 10:20 來源：澳門日報",
        "本文转自:南方日报",
        "2024-01-09 16:40:00",
        "2022 年 11 月 30 日 星期三",
        "./t856008_mo.html",
        "• 我的订阅",
        "目录/提纲:……",
        "收藏《在全市产城融合发展推进会议上的讲话》)",
        "……",
        "------",
        "《 人民日报 》（ 2025年07月14日 18 版）",
        "（本文来自澎湃新闻，更多原创资讯请下载“澎湃新闻”APP）",
        "返回搜狐，查看更多",
        "江门市融媒体中心记者 冯志坚2025-11-06 18:40",
    ],
)
def test_furniture_lines(line: str) -> None:
    assert is_furniture(line)


@pytest.mark.parametrize(
    "line",
    [
        "以制造业为牵引 以园区为载体",
        "三大组团吹响“再造”号角",
        "一、深刻认识产城融合发展的重大意义，增强推进工作的责任感与紧迫感",
        "同志们:",
        "南方日报讯 (记者/李霭莹 通讯员/肖艳霞)一场面向纺织服装企业的产业对接会近日在佛山举行。",
        "上半年，全市引进超亿元项目241个、总投资1296亿元，同比分别增长58.6%、32.9%，均创历史新高。",
        "江门日报社主办的论坛上，与会专家认为版权保护和数据安全同样重要，需要同步推进。",
        "截至去年底，全市共设立便民服务点120个，居民可拨打服务热线咨询办理进度，平均响应时间缩短一半。",
        "新会成为首个千亿GDP强区",
        "项目位置：江海区高新区内",
        "会议由市发改局主办，承办单位为江海区人民政府。",
        "2023年，江门大型产业集聚区规上工业产值3888.59亿元。",
        "《江门市促进产业发展若干措施》自2025年3月1日起施行，有效期5年。",
        "会议定于2025年3月5日 09:30召开，请各单位提前十分钟到场签到。",
    ],
)
def test_article_lines_are_not_furniture(line: str) -> None:
    assert not is_furniture(line)


@pytest.mark.parametrize(
    ("lines", "kept"),
    [
        pytest.param(["正文第一段。", "正文第二段。", "相关阅读", "另一篇文章"], 2, id="related-heading"),
        pytest.param(["正文第一段。", "相關新聞：", "另一篇文章"], 1, id="traditional-heading"),
        pytest.param(["正文第一段。", "更多关于国内的资讯:"], 1, id="more-about"),
        pytest.param(["正文第一段。", "信息原文地址: http://example.com/a", "标题"], 1, id="snapshot-source"),
        pytest.param(["相关新闻", "正文第一段。"], 2, id="marker-on-first-line-ignored"),
        pytest.param(["正文第一段。", "正文讲到相关新闻的处理办法。"], 2, id="marker-inside-sentence"),
    ],
)
def test_cut_tail(lines: list[str], kept: int) -> None:
    assert cut_tail(lines) == lines[:kept]


def test_cut_tail_keeps_text_before_paywall_cut() -> None:
    lines = ["第一段。", "二是加快基础设施建设，提升城市承载能力 ……(未完,全文共10026字,当前仅显示3214字"]
    assert cut_tail(lines) == ["第一段。", "二是加快基础设施建设，提升城市承载能力"]


@pytest.mark.parametrize(
    ("lines", "kept"),
    [
        pytest.param(
            [
                "正文第一段。",
                "正文最后一段。",
                "标题一",
                "...摘要一",
                "2024-01-09 16:40:00",
                "标题二",
                "2023-12-19",
                "粤ICP备05079094号",
            ],
            2,
            id="two-entries-and-footer",
        ),
        pytest.param(["正文第一段。", "江门市发展和改革局", "2023年5月6日"], 3, id="signature-date-stays"),
        pytest.param(
            [
                "正文第一段。",
                "全市投资增长明显。",
                "2024-01-09",
                "标题二",
                "2023-12-19",
                "标题三",
                "2023-12-18",
            ],
            3,
            id="finished-sentence-stays",
        ),
        pytest.param(["正文第一段。", "标题一", "2024-01-09"], 3, id="one-entry-stays"),
        pytest.param(["正文第一段。"], 1, id="no-list"),
    ],
)
def test_cut_dated_list(lines: list[str], kept: int) -> None:
    assert cut_dated_list(lines) == lines[:kept]


def test_clean_lines_drops_inline_cut_and_empty_rest() -> None:
    lines = [
        "城市就会成……(新文秘网http://www.wm114.cn省略1145字,正式会员可完整阅读)……",
        "公里，形成综合交通体系。",
    ]
    assert clean_lines(lines) == ["城市就会成……", "公里，形成综合交通体系。"]


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        pytest.param(
            ["标题", "时间: 2023-08-21 09:00:00 文档来源:江门日报"], date(2023, 8, 21), id="shijian"
        ),
        pytest.param(["类别:国内 发布时间:2024-05-03 06:58:00"], date(2024, 5, 3), id="fabu-shijian"),
        pytest.param(["發布時間：2024年05月06日 10:20"], date(2024, 5, 6), id="traditional"),
        pytest.param(
            ["版面导航", "2022 年 11 月 30 日 星期 放大 缩小 默认"], date(2022, 11, 30), id="epaper-line"
        ),
        pytest.param(["日期：2022/11/30"], date(2022, 11, 30), id="riqi-slash"),
        pytest.param(["报名时间：2023年9月1日"], None, id="other-label"),
        pytest.param(["截至2024年底，共享率达到80%以上。"], None, id="year-only"),
        pytest.param(["时间: 2023-13-01"], None, id="impossible"),
    ],
)
def test_find_head_date(lines: list[str], expected: date | None) -> None:
    assert find_head_date(lines) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://dzb.jmrb.com/jmrb/html/2022-11/30/content_23455.htm", date(2022, 11, 30)),
        ("http://www.jiangmen.gov.cn/zwgk/t20230821_2893479.html", date(2023, 8, 21)),
        ("http://news.example.cn/2024/05/03/123.html", date(2024, 5, 3)),
        ("http://news.example.cn/202405/03/123.html", date(2024, 5, 3)),
        ("http://news.example.cn/a/20240503/123.html", date(2024, 5, 3)),
        ("http://www.jiangmen.gov.cn/home/jmyw/content/post_2760001.html", None),
        ("docs/000_ef152b05ffcc908a.txt", None),
    ],
)
def test_date_from_url(url: str, expected: date | None) -> None:
    assert date_from_url(url) == expected


def test_parse_date_skips_impossible_dates() -> None:
    assert parse_date("2023-02-30 改为 2023-03-01") == date(2023, 3, 1)


@pytest.mark.parametrize(
    ("text", "outlet"),
    [
        ("时间: 2023-08-21 09:00:00 文档来源:江门日报", "江门日报"),
        ("来源：江门日报 作者：李华", "江门日报"),
        ("信息来源：江门市发展和改革局", "江门市发展和改革局"),
        ("來源：澳門日報", "澳門日報"),
        ("类别:国内 发布时间:2024-05-03 来源:每日看点快看\n本文转自:南方日报", "南方日报"),
        ("来源：\n浏览次数：12", None),
        ("南方日报讯 (记者/李霭莹)一场对接会近日举行", "南方日报"),
        ("□文/江门日报记者 皇智尧", "江门日报"),
        ("资金来源：财政拨款", None),
        ("来源：http://www.jiangmen.gov.cn/", None),
        ("正文没有来源信息。", None),
    ],
)
def test_find_outlet(text: str, outlet: str | None) -> None:
    assert find_outlet(text) == outlet
