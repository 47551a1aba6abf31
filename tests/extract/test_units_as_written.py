"""Counters keep the article's script (個 in a Hong Kong or Macao text, 个 in the mainland's), as the
indicator does; tracking files both spellings under one series."""

from __future__ import annotations

from datetime import date

import pytest

from watcher.extract.values import written_unit
from watcher.models import Article, Evidence, ValueFact
from watcher.track.series import observe_value


@pytest.mark.parametrize(
    ("unit", "written", "expected"),
    [
        ("个", "40多個", "個"),
        ("个", "40多个", "个"),
        ("项", "12項", "項"),
        ("元", "35億元", "元"),
        ("%", "5.5%", "%"),
        ("", "3", ""),
    ],
)
def test_written_unit(unit: str, written: str, expected: str) -> None:
    assert written_unit(unit, written) == expected


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("澳門今年共推動重點項目37個，總投資逾900億元。", "個"),
        ("江门今年共推动重点项目37个，总投资超900亿元。", "个"),
    ],
)
def test_a_counter_is_written_in_the_articles_script(extractor, text: str, unit: str) -> None:
    article = Article(url="file:x.txt", title="", text=text, published=date(2024, 3, 1))
    counts = [
        f for f in extractor.extract(article, region="江门") if isinstance(f, ValueFact) and f.value == 37
    ]
    assert [f.unit for f in counts] == [unit]


def test_tracking_files_both_scripts_under_one_unit(lexicon) -> None:
    evidence = Evidence("http://127.0.0.1/a.html", None, date(2024, 3, 1), "")
    fact = ValueFact(
        indicator="重点项目", subject="江门", measure="level", kind="actual", value=37.0, unit="個",
        qualifier="=", period="2024", deadline=None, raw="重點項目37個", sentence="", quantity="37個",
    )  # fmt: skip
    assert observe_value(fact, evidence, lexicon).unit == "个"
