"""What the tracker reads of the store, on every backend: the history of many series and projects at once,
in one query each, exactly as one look-up per series would read it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import event

from tests.store.conftest import T0
from watcher.store import Store, tracking
from watcher.track import Evidence, MilestoneObservation, Observation, SeriesKey

GDP = SeriesKey("地区生产总值", "江门", "yoy", "actual")
GDP_TARGET = replace(GDP, kind="target")
OUTPUT = SeriesKey("规上工业总产值", "八镇", "level", "target")
NEVER = SeriesKey("社会消费品零售总额", "台山", "yoy", "actual")


def seen(url: str, day: int) -> Evidence:
    return Evidence(url, "江门日报", date(2024, 1, day), f"……{url}……")


OBSERVATIONS = [
    Observation(GDP, "2023", 5.1, "%", "=", seen("http://a/1.html", 20), "增长5.1%"),
    Observation(OUTPUT, "2026", 1600e8, "元", ">", seen("http://a/2.html", 21), "超1600亿元"),
    Observation(GDP, "2024-01/2024-03", 4.2, "%", "=", seen("http://a/3.html", 22), "增长4.2%"),
]
STARTED = MilestoneObservation(
    "中创新航江门基地二期项目", "中创新航江门基地二期项目", "started", "2023-02", seen("http://a/4.html", 23)
)
TOPPED = replace(STARTED, stage="topped_out", date="2023-08", evidence=seen("http://a/5.html", 24))
OPENED = MilestoneObservation("江门站", "江门站", "opened", None, seen("http://a/6.html", 25))


@contextmanager
def selects(store: Store) -> Iterator[list[str]]:
    """The SELECT statements the store sends meanwhile."""
    sent: list[str] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append(statement)

    event.listen(store._engine, "before_cursor_execute", capture)
    try:
        yield sent
    finally:
        event.remove(store._engine, "before_cursor_execute", capture)


@pytest.fixture
def tracked(store: Store) -> Store:
    store.record_tracking(
        article_id=None,
        seen_at=T0,
        observations=OBSERVATIONS,
        milestones=[STARTED, OPENED, TOPPED],
        changes=[],
        channels=[],
    )
    return store


def test_histories_of_many_series_in_one_query(tracked: Store) -> None:
    with selects(tracked) as sent:
        found = tracked.histories([GDP, GDP_TARGET, OUTPUT, NEVER])
    assert len(sent) == 1
    assert found == {
        GDP: [OBSERVATIONS[0], OBSERVATIONS[2]],  # oldest first
        GDP_TARGET: [],
        OUTPUT: [OBSERVATIONS[1]],
        NEVER: [],
    }
    assert all(tracked.history(key) == found[key] for key in found), "as one look-up per series reads"
    assert tracked.targets("规上工业总产值", "八镇", "level") == [OBSERVATIONS[1]]


def test_project_histories_in_one_query(tracked: Store) -> None:
    with selects(tracked) as sent:
        found = tracked.project_histories(["中创新航江门基地二期项目", "江门站", "没有的项目"])
    assert len(sent) == 1
    assert found == {"中创新航江门基地二期项目": [STARTED, TOPPED], "江门站": [OPENED], "没有的项目": []}
    assert tracked.project_history("江门站") == [OPENED]


def test_nothing_to_look_up_sends_nothing(tracked: Store) -> None:
    with selects(tracked) as sent:
        assert tracked.histories([]) == {} and tracked.project_histories([]) == {}
    assert sent == []


def test_long_look_ups_are_split(tracked: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracking, "LOOKUP_CHUNK", 2)
    with selects(tracked) as sent:
        found = tracked.histories([GDP, GDP_TARGET, OUTPUT, NEVER])
    assert len(sent) == 2
    assert found[GDP] == [OBSERVATIONS[0], OBSERVATIONS[2]] and found[OUTPUT] == [OBSERVATIONS[1]]
