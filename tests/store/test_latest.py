"""What change detection reads and what a tracking batch writes, on every backend: the briefs of a series
(its latest figures, and a new figure's equal however old), and many rows in one statement (on
PostgreSQL one array a column) stored exactly as one row at a time stores them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, select

from tests.store.conftest import T0
from watcher.store import Store, latest
from watcher.store.tables import ChangeRecord
from watcher.track import Evidence, Observation, SeriesKey

EXPORTS = SeriesKey("出口总额", "江门", "level", "actual")
CHANGES = ChangeRecord.__table__


def figure(value: float, day: int, span: str = "2024-01/2024-06") -> Observation:
    published = date(2024, 7, 1) + timedelta(days=day)
    evidence = Evidence(f"http://a/{day}.html", "江门日报", published, f"出口总额{value}亿元")
    return Observation(EXPORTS, span, value * 1e8, "元", "=", evidence, f"{value}亿元")


def test_briefs_hold_the_latest_figures_and_any_equal_of_a_new_one(store: Store) -> None:
    """Ten outlets disagree on one span: the RECENT_FIGURES published last are read, the older ones
    only when a new observation states the same figure (a repeat is known as one however old)."""
    stated = [figure(100.0 + n, day=n) for n in range(10)]
    store.record_tracking(
        article_id=None, seen_at=T0, observations=stated, milestones=[], changes=[], channels=[]
    )
    recent = stated[-latest.RECENT_FIGURES :]
    newer = figure(120.0, day=31)  # a new figure for that span: its recent figures are compared with it
    assert store.latest_histories([EXPORTS], [newer])[EXPORTS] == recent
    repeat = figure(101.0, day=30)  # the second oldest figure, stated again
    assert store.latest_histories([EXPORTS], [repeat])[EXPORTS] == [stated[1], *recent]
    other_unit = Observation(EXPORTS, repeat.when, repeat.value, "美元", "=", repeat.evidence, repeat.raw)
    assert store.latest_histories([EXPORTS], [other_unit])[EXPORTS] == recent, "equal means every part"


def test_of_a_span_no_new_figure_states_only_its_latest_is_read(store: Store) -> None:
    """Five monthly spans, four outlets' figures each: a new figure for June reads June's recent figures
    and the latest of every other month (change detection asks those only which is latest, or which ends
    last before June) — a series read grows by a row a span, not RECENT_FIGURES."""
    months = [f"2024-01/2024-0{m}" for m in range(1, 6)]
    stated = [
        figure(100.0 + 10 * m + n, day=10 * m + n, span=span)
        for m, span in enumerate(months)
        for n in range(4)
    ]
    store.record_tracking(
        article_id=None, seen_at=T0, observations=stated, milestones=[], changes=[], channels=[]
    )
    june = figure(200.0, day=60, span="2024-01/2024-06")
    assert store.latest_histories([EXPORTS], [june])[EXPORTS] == [stated[4 * m + 3] for m in range(5)]
    may = figure(201.0, day=61, span=months[-1])
    found = store.latest_histories([EXPORTS], [may])[EXPORTS]
    assert found == [stated[4 * m + 3] for m in range(4)] + stated[-4:]
    assert store.latest_histories([EXPORTS])[EXPORTS] == [stated[4 * m + 3] for m in range(5)]


def change_row(n: int, old: dict[str, Any] | None) -> dict[str, Any]:
    """A change row whose texts hold what array encodings must carry through: quotes, backslashes,
    braces, commas, non-ASCII, and a column that is NULL on every row."""
    return {
        "key": f"k{n}",
        "kind": "revised",
        "subject": f'江门 "出口" \\ {{{n}}}, NULL',
        "summary_zh": "出口总额：1.5万亿元（此前 1.4万亿元）",
        "summary_en": 'exports "revised"',
        "old": old,
        "new": {"value": 1.5e12 + n, "text": '引号"和\\反斜杠', "none": None},
        "immediate": n % 2 == 0,
        "article_id": None,
        "created_at": T0,
    }


def stored_changes(store: Store, keys: list[str]) -> list[tuple[Any, ...]]:
    with store._engine.connect() as conn:
        query = select(CHANGES).where(CHANGES.c.key.in_(keys)).order_by(CHANGES.c.id)
        return [tuple(r)[2:] for r in conn.execute(query)]  # not the id nor the key


def test_rows_written_at_once_are_stored_as_one_at_a_time(store: Store) -> None:
    many = [change_row(n, {"was": n} if n % 3 else None) for n in range(50)]
    once = [{**row, "key": f"one-{row['key']}"} for row in many]
    with store._engine.begin() as conn:
        for row in once:
            conn.execute(insert(CHANGES), row)
        written = latest.write_rows(conn, "test_changes", CHANGES, many, lambda s: s.returning(CHANGES.c.id))
        ids = [r.id for r in written]
    assert ids == sorted(ids), "ids are drawn in the rows' order"
    assert stored_changes(store, [r["key"] for r in many]) == stored_changes(store, [r["key"] for r in once])


def test_rows_already_there_are_skipped_and_not_returned(store: Store) -> None:
    def new_changes(stmt: Any) -> Any:
        return stmt.on_conflict_do_nothing(index_elements=["key"]).returning(CHANGES.c.key)

    with store._engine.begin() as conn:
        first = latest.write_rows(conn, "test_new_changes", CHANGES, [change_row(1, None)], new_changes)
        assert [r.key for r in first] == ["k1"]
        again = [change_row(1, None), change_row(2, None)]
        assert [r.key for r in latest.write_rows(conn, "test_new_changes", CHANGES, again, new_changes)] == [
            "k2"
        ]


def test_whole_and_fractional_figures_go_in_one_batch(store: Store) -> None:
    """A figure may come as an int (1400) beside floats (14.5): one column's array takes both."""
    whole = replace(figure(1.0, day=1), value=1400)
    fractional = figure(14.5, day=2, span="2024")
    store.record_tracking(
        article_id=None, seen_at=T0, observations=[whole, fractional], milestones=[], changes=[], channels=[]
    )
    found = store.latest_histories([EXPORTS], [whole, fractional])[EXPORTS]
    assert [(o.when, o.value) for o in found] == [(whole.when, 1400.0), (fractional.when, fractional.value)]


def test_a_batch_statement_stays_the_same_size_however_many_rows_on_postgresql(store: Store) -> None:
    """Rows as arrays: the statement text does not grow with the batch (a VALUES list of thousands of
    placeholders was re-parsed by psycopg and planned anew by the server on every batch)."""
    if store._engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps its multi-row VALUES")

    def longest(count: int) -> int:
        stated = [figure(100.0 + n, day=n % 28, span=f"2024-{n:03d}") for n in range(count)]
        with sent(store) as statements:
            store.record_tracking(
                article_id=None, seen_at=T0, observations=stated, milestones=[], changes=[], channels=[]
            )
            store.latest_histories([EXPORTS], stated)
        return max(map(len, statements))

    assert longest(300) == longest(3)


@contextmanager
def sent(store: Store) -> Iterator[list[str]]:
    """The statements the store sends meanwhile."""
    statements: list[str] = []

    def capture(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(store._engine, "before_cursor_execute", capture)
    try:
        yield statements
    finally:
        event.remove(store._engine, "before_cursor_execute", capture)
