"""Change detection, table-driven: feed observations in order, assert the exact change events."""

from __future__ import annotations

from datetime import date

import pytest

from watcher.track import Evidence, MilestoneObservation, Observation, SeriesKey, diff_milestone, diff_value

GDP = "地区生产总值"
TARGET = SeriesKey("规上工业总产值", "八镇", "level", "target")
ACTUAL = SeriesKey("规上工业总产值", "八镇", "level", "actual")
YOY = SeriesKey(GDP, "江门", "yoy", "actual")
FORECAST = SeriesKey(GDP, "江门", "level", "forecast")
PROGRESS = SeriesKey("亿元以上项目", "江门", "progress", "actual")


def obs(key, when, value, *, unit="元", q="=", outlet="江门日报", day="2024-05-03", url=None):
    url = url or f"http://example.test/{outlet}/{day}/{when}/{value}"
    return Observation(key, when, value, unit, q, Evidence(url, outlet, date.fromisoformat(day), "…"))


def run(observations, targets=()):
    """Feed observations one by one; return the kinds of change each produced."""
    history, out = [], []
    for o in observations:
        out.append([c.kind for c in diff_value(history, o, targets)])
        history.append(o)
    return out


YI = 1e8
CASES = [
    ("target first sighting", [obs(TARGET, "2026", 1600 * YI, q=">")], [["target_set"]]),
    (
        "target raised",
        [obs(TARGET, "2026", 1600 * YI, q=">"), obs(TARGET, "2026", 1800 * YI, q=">", day="2024-09-01")],
        [["target_set"], ["target_changed"]],
    ),
    (
        "target repeated by a repost",
        [
            obs(TARGET, "2026", 1600 * YI, q=">"),
            obs(TARGET, "2026", 1600 * YI, q=">", outlet="南方日报", day="2024-05-04"),
        ],
        [["target_set"], []],
    ),
    (
        "older article does not lower a raised target",
        [
            obs(TARGET, "2026", 1800 * YI, q=">", day="2024-09-01"),
            obs(TARGET, "2026", 1600 * YI, q=">", day="2024-05-03"),
        ],
        [["target_set"], []],
    ),
    (
        "deadline moved",
        [obs(TARGET, "2026", 1600 * YI, q=">"), obs(TARGET, "2027", 1600 * YI, q=">", day="2024-10-01")],
        [["target_set"], ["target_changed"]],
    ),
    (
        "qualifier changed",
        [obs(TARGET, "2026", 1600 * YI, q="~"), obs(TARGET, "2026", 1600 * YI, q=">", day="2024-06-01")],
        [["target_set"], ["target_changed"]],
    ),
    (
        "a second, different target",
        [obs(TARGET, "2026", 1600 * YI, q=">"), obs(TARGET, "2030", 3000 * YI, q=">")],
        [["target_set"], ["target_set"]],
    ),
    (
        "first actual, then the next cumulative period",
        [
            obs(ACTUAL, "2024-01/2024-05", 500 * YI, day="2024-06-20"),
            obs(ACTUAL, "2024-01/2024-06", 620 * YI, day="2024-07-20"),
        ],
        [["new_actual"], ["new_actual"]],
    ),
    (
        "same figure from two outlets is one observation",
        [obs(YOY, "2023", 5.5, unit="%"), obs(YOY, "2023", 5.5, unit="%", outlet="南方日报")],
        [["new_actual"], []],
    ),
    (
        "two outlets disagree",
        [obs(YOY, "2023", 5.1, unit="%"), obs(YOY, "2023", 5.2, unit="%", outlet="南方日报")],
        [["new_actual"], ["figure_conflict"]],
    ),
    (
        "the same outlet revises",
        [
            obs(YOY, "2023", 5.1, unit="%", day="2024-01-20"),
            obs(YOY, "2023", 5.2, unit="%", day="2024-03-01"),
        ],
        [["new_actual"], ["figure_revised"]],
    ),
    (
        "the outlet's older figure arrives late",
        [
            obs(YOY, "2023", 5.2, unit="%", day="2024-03-01"),
            obs(YOY, "2023", 5.1, unit="%", day="2024-01-20"),
        ],
        [["new_actual"], []],
    ),
    (
        "a bound agrees with an exact figure",
        [obs(ACTUAL, "2023", 1052 * YI), obs(ACTUAL, "2023", 1000 * YI, q=">", outlet="x")],
        [["new_actual"], []],
    ),
    (
        "an older period arriving late is filed quietly",
        [
            obs(ACTUAL, "2024-01/2024-06", 620 * YI, day="2024-07-20"),
            obs(ACTUAL, "2024-01/2024-05", 500 * YI, day="2024-06-20"),
        ],
        [["new_actual"], []],
    ),
    (
        "forecast first is background, then revised",
        [
            obs(FORECAST, "2024", 4200 * YI, q=">", day="2024-07-01"),
            obs(FORECAST, "2024", 4300 * YI, q=">", day="2024-10-01"),
        ],
        [[], ["forecast_revised"]],
    ),
    (
        "forecast repeated",
        [obs(FORECAST, "2024", 4200 * YI, q=">"), obs(FORECAST, "2024", 4200 * YI, q=">", day="2024-06-01")],
        [[], []],
    ),
    (
        "progress reported twice in a year",
        [
            obs(PROGRESS, "2022-01/2022-10", 77, unit="%", day="2022-11-30"),
            obs(PROGRESS, "2022-01/2022-11", 88, unit="%", day="2022-12-20"),
            obs(PROGRESS, "2022-01/2022-11", 88, unit="%", day="2022-12-21", outlet="南方日报"),
        ],
        [["progress_reported"], ["progress_reported"], []],
    ),
]


@pytest.mark.parametrize(("observations", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_value_changes(observations, expected):
    assert run(observations) == expected


@pytest.mark.parametrize(("actual", "kind"), [(1700 * YI, "target_met"), (1500 * YI, "target_missed")])
def test_target_met_or_missed_when_the_deadline_year_arrives(actual, kind):
    target = obs(TARGET, "2026", 1600 * YI, q=">")
    changes = diff_value([], obs(ACTUAL, "2026", actual, day="2027-02-01"), targets=[target])
    assert [c.kind for c in changes] == ["new_actual", kind]
    assert changes[1].old == target


def test_part_of_a_year_says_nothing_about_a_yearly_target():
    target = obs(TARGET, "2026", 1600 * YI, q=">")
    changes = diff_value([], obs(ACTUAL, "2026-01/2026-06", 900 * YI, day="2026-07-20"), targets=[target])
    assert [c.kind for c in changes] == ["new_actual"]


def test_summaries_say_old_and_new_in_both_languages():
    (change,) = diff_value(
        [obs(TARGET, "2026", 1600 * YI, q=">")], obs(TARGET, "2026", 1800 * YI, q=">", day="2024-09-01")
    )
    assert change.summary_zh == "八镇 规上工业总产值 2026年目标: 超1600亿元 → 超1800亿元 (上调)"
    assert change.summary_en == "八镇 规上工业总产值 target for 2026: over 1600亿元 → over 1800亿元 (raised)"
    assert change.old is not None and change.old.value == 1600 * YI


def test_new_actual_carries_the_previous_period():
    prev = obs(ACTUAL, "2024-01/2024-05", 500 * YI, day="2024-06-20")
    (change,) = diff_value([prev], obs(ACTUAL, "2024-01/2024-06", 620 * YI, day="2024-07-20"))
    assert change.old == prev
    assert change.summary_zh == "八镇 规上工业总产值 2024年1—6月: 620亿元（上期 2024年1—5月: 500亿元）"


def test_change_keys_are_stable_and_distinct():
    a = diff_value([], obs(YOY, "2023", 5.5, unit="%"))[0]
    b = diff_value([], obs(YOY, "2023", 5.5, unit="%"))[0]
    c = diff_value([], obs(YOY, "2024", 5.5, unit="%"))[0]
    assert a.key == b.key != c.key


def ms(stage, day, *, date_=None, project="中创新航项目一期"):
    ev = Evidence(f"http://example.test/{project}/{stage}/{day}", "江门日报", date.fromisoformat(day), "…")
    return MilestoneObservation(project, project, stage, date_, ev)


def run_ms(observations):
    history, out = [], []
    for o in observations:
        out.append([c.kind for c in diff_milestone(history, o)])
        history.append(o)
    return out


MILESTONES = [
    ("first sighting", [ms("signed", "2022-03-01")], [["milestone_reached"]]),
    (
        "advances signed → started → topped out",
        [ms("signed", "2022-03-01"), ms("started", "2022-04-20"), ms("topped_out", "2022-07-10")],
        [["milestone_reached"], ["milestone_reached"], ["milestone_reached"]],
    ),
    (
        "repeat of a known stage",
        [ms("started", "2022-04-20"), ms("started", "2022-04-22")],
        [["milestone_reached"], []],
    ),
    (
        "old article arrives late",
        [ms("topped_out", "2022-07-10"), ms("started", "2022-04-20")],
        [["milestone_reached"], []],
    ),
    (
        "newer article says still under construction after completion",
        [ms("completed", "2023-01-10"), ms("under_construction", "2023-02-01")],
        [["milestone_reached"], ["milestone_regressed"]],
    ),
    (
        "date brought forward",
        [ms("operational", "2023-01-10", date_="2023-12"), ms("operational", "2023-03-10", date_="2023-10")],
        [["milestone_reached"], ["milestone_date_changed"]],
    ),
    (
        "a date learned later is no change",
        [ms("topped_out", "2022-07-10"), ms("topped_out", "2022-07-12", date_="2022-07-09")],
        [["milestone_reached"], []],
    ),
]


@pytest.mark.parametrize(
    ("observations", "expected"), [c[1:] for c in MILESTONES], ids=[c[0] for c in MILESTONES]
)
def test_milestone_changes(observations, expected):
    assert run_ms(observations) == expected


def test_phases_are_different_projects():
    first = ms("topped_out", "2022-07-10", project="中创新航项目一期")
    second = ms("started", "2022-08-01", project="中创新航项目二期")
    assert [c.kind for c in diff_milestone([], second)] == ["milestone_reached"]
    assert first.project != second.project
