"""What change detection reads: each series' and project's observations in brief, kept as they are written.

    latest_histories(conn, keys, figures) → {SeriesKey: [Observation]}   per series, span and distinct
                                   figure: the observation published last (the first crawled of those) and
                                   the one published first; of each span's figures the RECENT_FIGURES
                                   published last, and those equal to a new one
    latest_project_histories(conn, projects) → {project: [MilestoneObservation]}   per project, stage
                                   and date: the one published last
    upsert_series(conn, briefs) / upsert_milestones(conn, briefs)   fold new observations in, one statement
    write_rows(conn, name, table, rows, finish)   a tracking batch's rows in one statement (PostgreSQL:
                                   one array a column, watcher.store.arrays); finishes `returning(…)`,
                                   `once_a_key`

Why this is enough for `watcher.track.changes`: every question it asks of a history is "is there one like
this" (same or compatible value, same span, same stage and date) or "which is the latest / the greatest
period", and the latest of a set is the latest of its groups' latest ones; a target moved to a new
deadline asks for the latest same value published no later than the new one, which the earliest of each
group answers whenever any does. So a figure repeated by a thousand articles costs two rows to read, and
the cost of an article does not grow with the store. One bound departs from the whole history: of a
span stated with many different figures (outlets disagreeing, or revising again and again), only the
RECENT_FIGURES latest and the equals of the new figure are compared — an old figure within 5% or
beyond a stated bound of the new one, but not equal to it, no longer counts as the same figure.
`watcher series` still reads every observation.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, CursorResult, Row, and_, bindparam, case, func, or_, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from watcher.models import Evidence, MilestoneObservation, Observation, SeriesKey
from watcher.store import arrays
from watcher.store.tables import MilestoneLatest, MilestoneObservationRecord, ObservationRecord, SeriesLatest

LOOKUP_CHUNK = 500  # series or projects a look-up query names at most (bound parameters stay few)
RECENT_FIGURES = 4  # distinct figures of one series and span read, the latest published first
Figure = tuple[str, float, str, str]  # series text, value, unit, qualifier
OBSERVATIONS = ObservationRecord.__table__  # type: ignore[attr-defined]
MILESTONES = MilestoneObservationRecord.__table__  # type: ignore[attr-defined]
SERIES_LATEST = SeriesLatest.__table__  # type: ignore[attr-defined]
MILESTONE_LATEST = MilestoneLatest.__table__  # type: ignore[attr-defined]


def day_number(published: date | str | None) -> int:
    """A publication date as a comparable number; 0 when undated (as `date.min` in change detection)."""
    if published is None:
        return 0
    return (date.fromisoformat(published) if isinstance(published, str) else published).toordinal()


def series_text(key: SeriesKey) -> str:
    return f"{key.indicator}|{key.subject}|{key.measure}|{key.kind}"


@dataclass(slots=True)
class SeriesBrief:
    """One series' observations of one span and value: the latest published and the earliest."""

    series: str
    span: str
    value: float
    unit: str
    qualifier: str
    latest_id: int = 0
    latest_day: int = -1
    earliest_id: int = 0
    earliest_day: int = 1 << 30

    def add(self, observation_id: int, day: int) -> None:
        """Fold in an observation; among equal days the first added (crawled) stays."""
        if day > self.latest_day:
            self.latest_id, self.latest_day = observation_id, day
        if day < self.earliest_day:
            self.earliest_id, self.earliest_day = observation_id, day

    def row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(slots=True)
class MilestoneBrief:
    project: str
    stage: str
    date: str
    latest_id: int = 0
    latest_day: int = -1

    def add(self, observation_id: int, day: int) -> None:
        if day > self.latest_day:
            self.latest_id, self.latest_day = observation_id, day

    def row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def observation_from_row(r: Row[Any], key: SeriesKey | None = None) -> Observation:
    """An observation of a row of `observations`; `key`: its series' key when the caller has it (then
    the row need not hold indicator, subject, measure and kind)."""
    m = r._mapping
    key = key or SeriesKey(m["indicator"], m["subject"], m["measure"], m["kind"])
    evidence = Evidence(m["url"], m["outlet"], m["published"], m["sentence"])
    return Observation(key, m["span"], m["value"], m["unit"], m["qualifier"], evidence, m["raw"])


def milestone_from_row(r: Row[Any]) -> MilestoneObservation:
    return MilestoneObservation(
        r.project, r.name, r.stage, r.date, Evidence(r.url, r.outlet, r.published, r.sentence)
    )


def latest_histories(
    conn: Connection, keys: Iterable[SeriesKey], new: Iterable[Observation] = ()
) -> dict[SeriesKey, list[Observation]]:
    """Each series in brief, oldest crawled first ([] when unknown): of each span the figure published
    last; of the spans the `new` observations state, the RECENT_FIGURES published last; and any figure
    equal to a new one (a repeat is known as one however old). Two queries per LOOKUP_CHUNK series."""
    found: dict[SeriesKey, list[Observation]] = {k: [] for k in keys}
    wanted: dict[str, list[SeriesKey]] = {}
    for key in found:
        wanted.setdefault(series_text(key), []).append(key)
    stated = list(new)
    equal = list(dict.fromkeys(map(figure_of, stated)))
    spans = list(dict.fromkeys((series_text(o.key), o.when or "") for o in stated))
    for chunk in _chunks(list(wanted), LOOKUP_CHUNK):
        inside = set(chunk)
        mine = [f for f in equal if f[0] in inside], [s for s in spans if s[0] in inside]
        ids = _brief_ids(conn, chunk, *mine)
        for r in _observations(conn, sorted(ids)) if ids else ():
            for key in wanted[r.series]:  # the series text names the key: not built again a row
                found[key].append(observation_from_row(r, key))
    return found


FIGURE = ("series", "value", "unit", "qualifier")  # series_latest's columns a Figure holds
SPAN = ("series", "span")


def _observations(conn: Connection, ids: list[int]) -> Any:
    """The observations of those ids, oldest first, the ids in one parameter (`arrays.one_of`), fetched
    at once: psycopg hands rows over one by one at a cost each."""
    by_id = statement(conn, "observations_by_id", lambda _: _by_ids(conn.dialect.name))
    return conn.execute(by_id, {"ids": arrays.listed(conn, OBSERVATIONS.c.id, ids)}).all()


# what an observation of a known series needs (observation_from_row with its key): not the series' parts
# again, nor when it was seen (a time zone to attach a row)
_BRIEF = (
    "id",
    "series",
    "span",
    "value",
    "unit",
    "qualifier",
    "raw",
    "url",
    "outlet",
    "published",
    "sentence",
)


def _by_ids(dialect: str) -> Any:
    t = OBSERVATIONS
    return (
        select(*(t.c[name] for name in _BRIEF)).where(arrays.one_of(t.c.id, "ids", dialect)).order_by(t.c.id)
    )


def _brief_ids(
    conn: Connection, series: list[str], equal: list[Figure], spans: list[tuple[str, str]]
) -> set[int]:
    """The ids of the briefs `latest_histories` reads. The lists go as one parameter each: on PostgreSQL
    arrays (a figure list written out as literals was an OR of a thousand tuple tests against every
    row), on SQLite JSON (an expanding IN bound a parameter an item)."""
    if conn.dialect.name == "postgresql":
        params = _column_params(conn, FIGURE, equal, "f_") | _column_params(conn, SPAN, spans, "s_")
        build = _brief_ids_arrays
    else:
        tuples = {"figures": equal, "spans": spans}
        params = {name: json.dumps(items, ensure_ascii=False) for name, items in tuples.items()}
        build = _brief_ids_json
    params["series"] = arrays.listed(conn, SERIES_LATEST.c.series, series)
    found = conn.execute(statement(conn, "brief_ids", build), params)
    ids: set[int] = set()
    for latest_id, earliest_id in found.all():
        ids.update((latest_id, earliest_id))
    return ids


def _column_params(
    conn: Connection, columns: tuple[str, ...], rows: list[Any], prefix: str
) -> dict[str, Any]:
    """Tuples as one array a column (named prefix + column), for `arrays.rows_source`."""
    values = list(zip(*rows, strict=True)) or [()] * len(columns)
    return {
        prefix + name: arrays.array(conn, SERIES_LATEST.c[name], list(v))
        for name, v in zip(columns, values, strict=True)
    }


def _wanted(r: Any, equal: Any, stated: Any) -> Any:
    """Of each span its latest figure, of the new observations' spans the RECENT_FIGURES latest, and the
    equals of the new figures. Why the latest of the other spans is enough: change detection asks them
    only which is latest, or which ends last before a new period (watcher.track.changes)."""
    recent = and_(r.c.rank <= RECENT_FIGURES, tuple_(r.c.series, r.c.span).in_(stated))
    return or_(r.c.rank == 1, recent, tuple_(r.c.series, r.c.value, r.c.unit, r.c.qualifier).in_(equal))


def _ranked(where: Any) -> Any:
    """series_latest's rows that match, each with its rank among its span's by day published, latest
    first."""
    t = SERIES_LATEST
    recent = func.row_number().over(
        partition_by=(t.c.series, t.c.span), order_by=(t.c.latest_day.desc(), t.c.latest_id)
    )
    ranked = select(
        t.c.latest_id,
        t.c.earliest_id,
        t.c.series,
        t.c.span,
        t.c.value,
        t.c.unit,
        t.c.qualifier,
        recent.label("rank"),
    )
    return ranked.where(where).subquery()


def _brief_ids_arrays(_: Any) -> Any:
    t = SERIES_LATEST
    r = _ranked(arrays.one_of(t.c.series, "series", "postgresql"))
    equal = arrays.rows_source(t, FIGURE, "f_")  # a hashed look-up, not a test a figure
    wanted = _wanted(r, equal, arrays.rows_source(t, SPAN, "s_"))
    return select(r.c.latest_id, r.c.earliest_id).where(wanted)


def _brief_ids_json(_: Any) -> Any:
    t = SERIES_LATEST
    r = _ranked(arrays.one_of(t.c.series, "series", "sqlite"))
    wanted = _wanted(r, _json_rows("figures", len(FIGURE)), _json_rows("spans", len(SPAN)))
    return select(r.c.latest_id, r.c.earliest_id).where(wanted)


def _json_rows(name: str, width: int) -> Any:
    """SQLite: the rows of a JSON array of arrays bound as `name`."""
    given = func.json_each(bindparam(name)).table_valued("value")
    return select(*(func.json_extract(given.c.value, f"$[{n}]") for n in range(width)))


def figure_of(o: Observation) -> Figure:
    return (series_text(o.key), o.value, o.unit, o.qualifier)


def latest_project_histories(
    conn: Connection, projects: Iterable[str]
) -> dict[str, list[MilestoneObservation]]:
    """Each project in brief, oldest crawled first ([] when unknown)."""
    found: dict[str, list[MilestoneObservation]] = {p: [] for p in projects}
    t = MILESTONE_LATEST
    for chunk in _chunks(list(found), LOOKUP_CHUNK):
        ids = select(t.c.latest_id).where(t.c.project.in_(chunk))
        query = select(MILESTONES).where(MILESTONES.c.id.in_(ids)).order_by(MILESTONES.c.id)
        for r in conn.execute(query):
            found[r.project].append(milestone_from_row(r))
    return found


def upsert(conn: Connection, table: Any) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT."""
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


_BUILT: dict[tuple[str, str], Any] = {}


def _as_is(stmt: Any) -> Any:
    return stmt


def statement(conn: Connection, name: str, build: Callable[[Any], Any]) -> Any:
    """A statement built once per dialect: `build(insert)` gets the dialect's INSERT. Building an upsert
    (its `excluded` columns) cost more than running it."""
    key = (conn.dialect.name, name)
    found = _BUILT.get(key)
    if found is None:
        found = _BUILT[key] = build(postgresql.insert if key[0] == "postgresql" else sqlite.insert)
    return found


def write_rows(
    conn: Connection, name: str, table: Any, rows: list[dict[str, Any]], finish: Callable[[Any], Any] = _as_is
) -> CursorResult[Any]:
    """Execute `finish(INSERT INTO table)` (ON CONFLICT, RETURNING…) for rows of the same keys, in one
    statement: on PostgreSQL one array a column (watcher.store.arrays), elsewhere a multi-row VALUES."""
    columns = tuple(rows[0])
    key = f"{name}({','.join(columns)})"
    if conn.dialect.name != "postgresql":
        return conn.execute(statement(conn, key, lambda insert: finish(insert(table))), rows)
    found = statement(conn, key, lambda insert: finish(arrays.insert_rows(insert, table, columns)))
    return conn.execute(found, arrays.column_arrays(conn, table, columns, rows))


def returning(*columns: Any) -> Callable[[Any], Any]:
    """A `write_rows` finish: those columns of each row written come back. An INSERT … SELECT returns
    its rows in no promised order: name a column to match them by."""
    return lambda stmt: stmt.returning(*columns)


def once_a_key(stmt: Any) -> Any:
    """A `write_rows` finish: a row whose key is stored already is skipped."""
    return stmt.on_conflict_do_nothing(index_elements=["key"])


def upsert_series(conn: Connection, briefs: Iterable[SeriesBrief]) -> None:
    """Fold each brief (one per series, span and value) into the stored one: a later day replaces the
    latest, an earlier one the earliest; equal days keep what is stored (it was crawled first)."""
    rows = [b.row() for b in briefs]
    if rows:
        write_rows(conn, "series_latest", SERIES_LATEST, rows, _series_upsert)


def _series_upsert(stmt: Any) -> Any:
    t = SERIES_LATEST
    new = stmt.excluded
    later, earlier = new.latest_day > t.c.latest_day, new.earliest_day < t.c.earliest_day
    return stmt.on_conflict_do_update(
        index_elements=["series", "span", "value", "unit", "qualifier"],
        set_={
            "latest_id": case((later, new.latest_id), else_=t.c.latest_id),
            "latest_day": case((later, new.latest_day), else_=t.c.latest_day),
            "earliest_id": case((earlier, new.earliest_id), else_=t.c.earliest_id),
            "earliest_day": case((earlier, new.earliest_day), else_=t.c.earliest_day),
        },
    )


def upsert_milestones(conn: Connection, briefs: Iterable[MilestoneBrief]) -> None:
    rows = [b.row() for b in briefs]
    if rows:
        write_rows(conn, "milestone_latest", MILESTONE_LATEST, rows, _milestone_upsert)


def _milestone_upsert(stmt: Any) -> Any:
    t = MILESTONE_LATEST
    new = stmt.excluded
    later = new.latest_day > t.c.latest_day
    return stmt.on_conflict_do_update(
        index_elements=["project", "stage", "date"],
        set_={
            "latest_id": case((later, new.latest_id), else_=t.c.latest_id),
            "latest_day": case((later, new.latest_day), else_=t.c.latest_day),
        },
    )


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
