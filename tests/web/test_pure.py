"""The dashboard's pure parts: target standings, the SVG chart, fact spans."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from watcher.web.chart import series_chart, when_x
from watcher.web.spans import Mark, locate, pieces
from watcher.web.standing import stand

TODAY = date(2024, 10, 1)


@dataclass(frozen=True)
class Obs:
    when: str | None
    value: float
    qualifier: str = "="
    measure: str = "level"
    unit: str = "元"
    indicator: str = "规上工业总产值"
    subject: str = "八镇"
    published: date | None = date(2024, 5, 1)
    id: int = 1
    outlet: str | None = "江门日报"


YI = 1e8
CASES = [
    # (target, actuals, status, why)
    (Obs("2026", 1800 * YI, ">"), [], "unknown", "no actual yet"),
    (Obs("2023", 1000 * YI, ">"), [Obs("2023", 1180 * YI)], "met", "the deadline year's figure meets it"),
    (
        Obs("2023", 1200 * YI, ">"),
        [Obs("2023", 1180 * YI)],
        "missed",
        "the deadline year's figure falls short",
    ),
    (Obs("2026", 1100 * YI, ">"), [Obs("2023", 1180 * YI)], "met", "met early"),
    (
        Obs("2026", 1800 * YI, ">"),
        [Obs("2022", 1050 * YI), Obs("2023", 1180 * YI)],
        "behind",
        "12% a year is short",
    ),
    (
        Obs("2026", 1600 * YI, ">"),
        [Obs("2022", 1050 * YI), Obs("2023", 1180 * YI)],
        "on_track",
        "12% a year does",
    ),
    (Obs("2024", 1400 * YI), [Obs("2024-01/2024-09", 1080 * YI)], "on_track", "1080 in 9 months → 1440"),
    (Obs("2024", 1500 * YI), [Obs("2024-01/2024-09", 1080 * YI)], "behind", "1080 in 9 months → 1440"),
    (Obs("2023", 1500 * YI), [Obs("2022", 1050 * YI)], "unknown", "deadline passed without its figure"),
    (
        Obs("2024", 6.0, measure="yoy", unit="%"),
        [Obs("2024-01/2024-06", 5.2, measure="yoy", unit="%")],
        "behind",
        "",
    ),
    (
        Obs("2024", 5.0, measure="yoy", unit="%"),
        [Obs("2024-01/2024-06", 5.2, measure="yoy", unit="%")],
        "on_track",
        "",
    ),
    (
        Obs("2025", 5, "<", measure="rank", unit="位"),
        [Obs("2023", 3, measure="rank", unit="位")],
        "on_track",
        "",
    ),
]


@pytest.mark.parametrize(("target", "actuals", "status", "why"), CASES, ids=[c[3] or c[2] for c in CASES])
def test_standing(target, actuals, status, why):
    assert stand(target, actuals, TODAY).status == status


def test_the_chart_draws_actuals_targets_and_forecasts():
    actuals = [Obs("2022", 1050 * YI), Obs("2023", 1180 * YI), Obs("2024-01/2024-09", 1000 * YI)]
    targets = [
        Obs("2026", 1600 * YI, ">", id=1),
        Obs("2026", 1800 * YI, ">", published=date(2024, 9, 1), id=2),
    ]
    forecasts = [Obs("2024", 1400 * YI, "~")]
    svg = str(series_chart(actuals, targets, forecasts))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count('class="actual"') == 2 and svg.count('class="actual partial"') == 1
    assert ">2026年目标 超1800亿元</text>" in svg and svg.count('class="target-old"') == 1
    assert svg.count('class="forecast"') == 1 and "预计 2024年 约1400亿元" in svg
    assert '<polyline class="actual-line"' in svg
    assert str(series_chart([], [], [])) == ""
    assert when_x("2023") == 2023.5 and round(when_x("2024-01/2024-09"), 2) == 2024.71


def test_a_span_is_found_through_full_width_digits():
    text = "一、总体情况\n按照方案，到２０２６年，八镇规上工业总产值超１６００亿元。其他内容。"
    sentence = "按照方案，到２０２６年，八镇规上工业总产值超１６００亿元。"
    start, end = locate(text, sentence, "八镇规上工业总产值超1600亿元")
    assert text[start:end] == "八镇规上工业总产值超１６００亿元"
    start, end = locate(text, sentence, None)
    assert text[start:end] == sentence
    assert locate(text, "不在文中的句子。", "不在") is None


def test_pieces_keep_every_character_and_skip_overlaps():
    text = "甲乙丙丁戊己"
    marks = [
        Mark(1, 3, 1, "value", "a", "/a"),
        Mark(2, 4, 2, "value", "b", "/b"),
        Mark(4, 5, 3, "milestone", "c", "/c"),
    ]
    cut = pieces(text, marks)
    assert "".join(p.text for p in cut) == text
    assert [(p.text, p.mark.fact_id if p.mark else None) for p in cut] == [
        ("甲", None),
        ("乙丙", 1),
        ("丁", None),
        ("戊", 3),
        ("己", None),
    ]
