"""table_facts on the statistics releases of the gov fixture site and on small tables."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import DATA
from watcher.fetch.decode import decode_body
from watcher.models import ValueFact
from watcher.page.tables import table_facts

RELEASES = DATA / "sites" / "gov" / "tjj" / "tjsj" / "content"
YI = 1e8


def release(post: str) -> str:
    return decode_body((RELEASES / f"{post}.html").read_bytes(), None)


def rows(facts: list[ValueFact]) -> list[tuple[object, ...]]:
    return [(f.indicator, f.subject, f.measure, f.value, f.unit, f.period) for f in facts]


def approx(expected: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    return [(*row[:3], pytest.approx(row[3]), *row[4:]) for row in expected]


JULY = "2023-01/2023-07"
JULY_FACTS = [
    ("规模以上工业增加值", "江门", "level", 812.36 * YI, "元", JULY),
    ("规模以上工业增加值", "江门", "yoy", 5.8, "%", JULY),
    ("先进制造业增加值", "江门", "level", 301.22 * YI, "元", JULY),
    ("先进制造业增加值", "江门", "yoy", 7.4, "%", JULY),
    ("规模以上工业企业", "江门", "level", 3012, "家", JULY),
    ("固定资产投资", "江门", "yoy", 3.9, "%", JULY),
    ("社会消费品零售总额", "江门", "level", 701.25 * YI, "元", JULY),
    ("社会消费品零售总额", "江门", "yoy", 6.1, "%", JULY),
    ("进出口总额", "江门", "level", 902.11 * YI, "元", JULY),
    ("进出口总额", "江门", "yoy", -2.4, "%", JULY),
    ("出口", "江门", "level", 701.40 * YI, "元", JULY),
    ("出口", "江门", "yoy", 1.2, "%", JULY),
    ("进口", "江门", "level", 200.71 * YI, "元", JULY),
    ("进口", "江门", "yoy", -12.0, "%", JULY),
    ("一般公共预算收入", "江门", "level", 148.23 * YI, "元", JULY),
    ("一般公共预算收入", "江门", "yoy", 7.5, "%", JULY),
    ("全社会用电量", "江门", "level", 139.52 * YI, "千瓦时", JULY),
    ("全社会用电量", "江门", "yoy", 6.8, "%", JULY),
]

HALF = "2023-01/2023-06"
COUNTIES = [
    ("蓬江区", 395.12, 3.8),
    ("江海区", 190.33, 5.6),
    ("新会区", 480.05, 5.1),
    ("台山市", 262.70, 4.0),
    ("开平市", 196.44, 3.9),
    ("鹤山市", 214.86, 4.7),
    ("恩平市", 155.92, 2.8),
]
HALF_FACTS = [
    ("地区生产总值", "江门", "level", 1895.42 * YI, "元", HALF),
    ("地区生产总值", "江门", "yoy", 4.6, "%", HALF),
    ("第一产业", "江门", "level", 165.20 * YI, "元", HALF),
    ("第一产业", "江门", "yoy", 4.9, "%", HALF),
    ("第二产业", "江门", "level", 804.31 * YI, "元", HALF),
    ("第二产业", "江门", "yoy", 4.1, "%", HALF),
    ("工业", "江门", "level", 712.45 * YI, "元", HALF),
    ("工业", "江门", "yoy", 4.3, "%", HALF),
    ("第三产业", "江门", "level", 925.91 * YI, "元", HALF),
    ("第三产业", "江门", "yoy", 4.9, "%", HALF),
    # the county table's 全市 row repeats the first row of the first table: kept once
    *[
        fact
        for place, level, growth in COUNTIES
        for fact in (
            ("地区生产总值", place, "level", level * YI, "元", HALF),
            ("地区生产总值", place, "yoy", growth, "%", HALF),
        )
    ],
]

MAY, YTD = "2023-05", "2023-01/2023-05"
MAY_FACTS = [
    fact
    for name, unit, month, total, growth in (
        ("规模以上工业增加值", "元", 121.05, 573.80, 5.3),
        ("社会消费品零售总额", "元", 98.62, 495.10, 7.0),
        ("进出口总额", "元", 130.44, 652.97, -4.2),
        ("一般公共预算收入", "元", 18.31, 102.66, 6.9),
        ("全社会用电量", "千瓦时", 19.87, 95.12, 5.5),
    )
    for fact in (
        (name, "江门", "level", month * YI, unit, MAY),
        (name, "江门", "level", total * YI, unit, YTD),
        (name, "江门", "yoy", growth, "%", YTD),
    )
]


@pytest.mark.parametrize(
    ("post", "published", "expected"),
    [
        ("post_2910190", date(2023, 8, 17), JULY_FACTS),
        ("post_2910115", date(2023, 7, 21), HALF_FACTS),
        ("post_2909975", date(2023, 6, 20), MAY_FACTS),
    ],
    ids=["1-7月, one header row", "上半年, two header rows and a county table", "5月, 本月 and 累计 columns"],
)
def test_statistics_releases(post, published, expected):
    facts = table_facts(release(post), published=published, region="江门")
    assert rows(facts) == approx(expected)


def test_fact_text():
    facts = table_facts(release("post_2910190"), published=date(2023, 8, 17), region="江门")
    level, growth = facts[0], facts[1]
    assert level.raw == "规模以上工业增加值 | 亿元 | 812.36"
    assert level.quantity == "812.36亿元"
    assert level.value == 81236000000  # no binary noise
    assert growth.raw == "规模以上工业增加值 | % | 5.8"
    assert level.sentence == growth.sentence == "规模以上工业增加值 | 亿元 | 812.36 | 5.8"
    assert (level.kind, level.qualifier, level.deadline) == ("actual", "=", None)
    facts = table_facts(release("post_2910190"), published=None, region="江门", sentence_prefix="1—7月：")
    assert facts[0].sentence == "1—7月：规模以上工业增加值 | 亿元 | 812.36 | 5.8"


def table(body: str, before: str = "") -> str:
    return f"<html><body>{before}<table>{body}</table></body></html>"


def test_unit_in_the_row_name_and_a_share_column():
    html = table(
        "<tr><td>项目</td><td>2023年</td><td>占全市比重（%）</td><td>比上年增减（百分点）</td></tr>"
        "<tr><td>一、工业投资（亿元）</td><td>1,002.5</td><td>52.3</td><td>8.1</td></tr>"
    )
    assert rows(table_facts(html, published=date(2024, 2, 1), region="江门")) == approx(
        [
            ("工业投资", "江门", "level", 1002.5 * YI, "元", "2023"),
            ("工业投资", "江门", "share", 52.3, "%", "2023"),
            ("工业投资", "江门", "yoy", 8.1, "个百分点", "2023"),
        ]
    )


def test_places_as_columns_and_a_unit_in_the_title():
    html = table(
        "<tr><th>指标</th><th>全市</th><th>台山市</th><th>上年同期</th></tr>"
        "<tr><td>城镇新增就业人数</td><td>3.2</td><td>0.5</td><td>3.0</td></tr>",
        before="<p>2023年1—6月就业情况（单位：万人）</p>",
    )
    assert rows(table_facts(html, published=date(2023, 7, 20), region="江门")) == approx(
        [
            ("城镇新增就业人数", "江门", "level", 32000, "人", HALF),
            ("城镇新增就业人数", "台山市", "level", 5000, "人", HALF),
        ]
    )


@pytest.mark.parametrize(
    "html",
    [
        # navigation laid out as a table
        table('<tr><td><a href="/">首页</a></td><td><a href="/zwgk/">政务公开</a></td></tr>'),
        # an info bar: dates, no indicator names
        table("<tr><td>发布时间：2023-08-17</td><td>来源：江门市统计局</td><td>浏览次数：1024</td></tr>"),
        # a calendar
        table("<tr><th>一</th><th>二</th><th>三</th></tr><tr><td>1</td><td>2</td><td>3</td></tr>"),
        # a layout table holding the data table
        "<table><tr><td><table><tr><td>指标</td><td>1—7月</td></tr><tr><td>规模以上工业增加值（亿元）</td>"
        "<td>812.36</td></tr></table></td></tr></table>",
        # numbers without a unit anywhere: an index, not a figure
        table("<tr><td>指标</td><td>7月</td></tr><tr><td>制造业采购经理指数</td><td>49.3</td></tr>"),
        "<html><body><p>没有表格</p></body></html>",
    ],
    ids=["navigation", "info bar", "calendar", "outer layout table", "no unit", "no table"],
)
def test_tables_that_hold_no_facts(html):
    facts = table_facts(html, published=date(2023, 8, 17), region="江门")
    assert [f for f in facts if f.indicator != "规模以上工业增加值"] == []


def test_layout_table_around_a_data_table_yields_the_inner_facts_once():
    html = (
        "<table><tr><td><table><tr><td>指标</td><td>1—7月</td></tr><tr><td>规模以上工业增加值（亿元）</td>"
        "<td>812.36</td></tr></table></td></tr></table>"
    )
    assert rows(table_facts(html, published=date(2023, 8, 17), region="江门")) == approx(
        [("规模以上工业增加值", "江门", "level", 812.36 * YI, "元", JULY)]
    )


def test_without_a_publication_date_periods_need_a_year():
    html = table(
        "<tr><td>指标</td><td>单位</td><td>1—7月</td></tr><tr><td>出口</td><td>万元</td><td>12</td></tr>"
    )
    assert rows(table_facts(html, published=None, region="江门")) == [
        ("出口", "江门", "level", 120000, "元", None)
    ]
    titled = table(
        "<caption>2022年1—7月</caption><tr><td>指标</td><td>单位</td><td>累计</td></tr>"
        "<tr><td>出口</td><td>万元</td><td>12</td></tr>"
    )
    assert rows(table_facts(titled, published=None, region="江门"))[0][-1] == "2022-01/2022-07"
