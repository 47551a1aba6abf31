"""Table-driven tests of the pieces the extractor is built from: numbers and periods."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from tests.conftest import DATA
from watcher.extract.numbers import parse_number
from watcher.extract.periods import find_times, resolve_period


def _table(name: str) -> list:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize(("text", "value"), _table("numbers.yaml"), ids=lambda v: str(v))
def test_parse_number(text, value):
    got = parse_number(text)
    if value is None:
        assert got is None
    else:
        assert got == pytest.approx(value)


@pytest.mark.parametrize(("text", "published", "period"), _table("periods.yaml"), ids=lambda v: str(v))
def test_resolve_period(text, published, period):
    assert resolve_period(text, published) == (str(period) if period is not None else None)


@pytest.mark.parametrize(
    ("text", "published", "day"),
    [
        ("今年7月9日", date(2022, 11, 30), "2022-07-09"),
        ("7月9日上午", date(2022, 11, 30), "2022-07-09"),
        ("12月26日", date(2023, 12, 28), "2023-12-26"),
        ("12月26日", date(2024, 1, 3), "2023-12-26"),
        ("昨日", date(2023, 5, 16), "2023-05-15"),
        ("2022 年 11 月 30 日", None, "2022-11-30"),
    ],
)
def test_dates_for_milestones(text, published, day):
    assert [t.date for t in find_times(text, published) if t.date] == [day]


@pytest.mark.parametrize(
    ("text", "published", "deadline"),
    [
        ("到2026年", date(2024, 5, 3), "2026"),
        ("力争到2027年", date(2024, 3, 1), "2027"),
        ("3年内", date(2022, 11, 30), "2025"),
        ("三年内", date(2024, 5, 3), "2027"),
        ("“十四五”期间", date(2023, 1, 1), "2025"),
    ],
)
def test_deadlines(text, published, deadline):
    assert [t.deadline for t in find_times(text, published) if t.deadline] == [deadline]
