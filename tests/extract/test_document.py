"""The document frame on its own: genre, reference period, headings. Phrases written for these tests."""

from __future__ import annotations

from datetime import date

import pytest

from watcher.extract.document import Frame, genre_of, is_heading, read_frame, refine


@pytest.mark.parametrize(
    ("head", "genre"),
    [
        ("2024年市政府工作报告", "work_report"),
        ("各位代表：\n现在，我代表市人民政府向大会报告工作", "work_report"),
        ("关于2023年国民经济和社会发展计划执行情况的报告", "work_report"),
        ("2022年某县国民经济和社会发展统计公报", "bulletin"),
        ("上半年全市经济运行情况", "bulletin"),
        ("2024年市重点项目计划公布", "plan"),
        ("今年全市年度计划投资680亿元", "plan"),
        ("全区一批重大项目集中开工", "news"),
        ("", "news"),
    ],
)
def test_genre(lexicon, head, genre):
    assert genre_of(head, lexicon) == genre


@pytest.mark.parametrize(
    ("title", "text", "published", "genre", "period"),
    [
        ("2024年政府工作报告", "各位代表：", date(2024, 1, 20), "work_report", "2023"),
        ("政府工作报告", "各位代表：\n2023年工作回顾", date(2024, 2, 27), "work_report", "2023"),
        ("2022年统计公报", "全年全县地区生产总值312.5亿元。", date(2023, 4, 10), "bulletin", "2022"),
        ("1—2月经济运行情况", "工业增长8.2%。", date(2024, 3, 20), "bulletin", "2024-01/2024-02"),
        ("一季度我市经济良好开局", "全市生产总值802.6亿元。", date(2024, 4, 22), "news", "2024-01/2024-03"),
        ("", "前三季度，全市经济稳中有进。", date(2023, 10, 25), "news", "2023-01/2023-09"),
        ("", "5月16日，招商推介会在深圳举行。", date(2023, 5, 17), "news", "2023-05-16"),
        ("", "到2026年，全市规上工业总产值力争突破6000亿元。", date(2024, 5, 3), "news", None),
        ("", "项目预计2027年建成投产。", date(2024, 5, 3), "news", None),
        ("", "近年来，全市产业发展加快。", date(2024, 5, 3), "news", None),
    ],
)
def test_read_frame(lexicon, title, text, published, genre, period):
    frame = read_frame(title, text, published, lexicon)
    assert (frame.genre, frame.period, frame.kind) == (genre, period, "actual")


@pytest.mark.parametrize(
    ("line", "heading"),
    [
        ("一、2024年工作回顾", True),
        ("（二）主要目标", True),
        ("2017年工作回顾", True),
        ("3.推进重点项目建设", True),
        ("二、持续优化营商环境", True),
        ("全市规上工业增加值增长8.2%。", False),
        ("实现地区生产总值744.94亿元,同比增长6.3%", False),
        ("湛江日报 2019-02-26 09:03", False),
        ("一年来，我们主要做了以下工作：", False),
    ],
)
def test_is_heading(lexicon, line, heading):
    assert is_heading(line, lexicon) is heading


@pytest.mark.parametrize(
    ("heading", "period", "kind"),
    [
        ("一、2023年国民经济和社会发展计划执行情况", "2023", "actual"),
        ("二、2024年国民经济和社会发展计划草案", "2024", "target"),
        ("二、2024年工作安排", "2024", "target"),
        ("（一）主要指标完成情况", "2022", "actual"),  # no year: the enclosing section's
        ("（二）产业发展", "2022", "actual"),
        ("三、主要目标", None, "target"),  # targets, but not of the review's year
        ("一、“十三五”时期工作回顾", "2016/2020", "actual"),
    ],
)
def test_refine(lexicon, heading, period, kind):
    section = Frame("work_report", "2022")
    refined = refine(section, heading, date(2023, 2, 1), lexicon)
    assert (refined.period, refined.kind) == (period, kind)
