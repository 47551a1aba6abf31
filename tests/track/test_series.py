"""Series keys: lexicon aliases give one canonical indicator, subject and project name."""

from __future__ import annotations

from datetime import date

import pytest

from watcher.models import Milestone, ValueFact
from watcher.track import (
    Evidence,
    canonical_indicator,
    canonical_project,
    canonical_subject,
    observe_milestone,
    observe_value,
)


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("GDP", "地区生产总值"),
        ("地区生产总值", "地区生产总值"),
        ("GDP总量", "地区生产总值"),
        ("规模以上工业增加值", "规上工业增加值"),
        ("規模以上工業增加值", "规上工业增加值"),
        ("规上工业增加值", "规上工业增加值"),
        ("规模以上工业总产值", "规上工业总产值"),
        ("社零总额", "社会消费品零售总额"),
        ("制造业中长期贷款余额", "制造业中长期贷款余额"),
        ("保障性租赁住房", "保障性租赁住房"),
    ],
)
def test_canonical_indicator(lexicon, name, canonical):
    assert canonical_indicator(name, lexicon) == canonical


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("江门市", "江门"),
        ("江门", "江门"),
        ("蓬江区", "蓬江"),
        ("台山市", "台山"),
        ("江门大型产业集聚区", "江门大型产业集聚区"),
        ("八镇", "八镇"),
    ],
)
def test_canonical_subject(lexicon, name, canonical):
    assert canonical_subject(name, lexicon) == canonical


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("中创新航项目一期", "中创新航项目一期"),
        ("中创新航项目二期", "中创新航项目二期"),
        ("水暖卫浴“共性工厂”项目", "水暖卫浴共性工厂项目"),
        ("广州华立学院（江门校区）", "广州华立学院(江门校区)"),
    ],
)
def test_canonical_project(name, canonical):
    assert canonical_project(name) == canonical


def test_observations_file_actuals_by_period_and_targets_by_deadline(lexicon):
    ev = Evidence("http://example.test/a", "江门日报", date(2024, 5, 3), "…")
    actual = ValueFact("GDP", "江门市", "level", "actual", 4.02225e11, "元", "=", "2023", None, "r", "s")
    target = ValueFact(
        "规模以上工业总产值", "八镇", "level", "target", 1.6e11, "元", ">", "2026", "2026", "r", "s"
    )
    a, t = observe_value(actual, ev, lexicon), observe_value(target, ev, lexicon)
    assert (a.key.indicator, a.key.subject, a.when) == ("地区生产总值", "江门", "2023")
    assert (t.key.indicator, t.key.kind, t.when) == ("规上工业总产值", "target", "2026")
    m = observe_milestone(Milestone("中创新航项目一期", "topped_out", "2022-07-09", "s"), ev)
    assert (m.project, m.stage, m.date) == ("中创新航项目一期", "topped_out", "2022-07-09")
