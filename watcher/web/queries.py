"""What the dashboard reads: plain rows from the store, each query on an index.

    changes(s, ChangeFilter, limit, before) → [ChangeItem]     newest first (alerts first on the overview)
    series_index(s, …) → [SeriesRef]                           one row per series key, from the series index
    series_observations(s, indicator, subject, measure) → [ObservationItem]   actual, target and forecast
    target_observations(s) → [ObservationItem]                 every target (the overview's standings)
    projects(s, q) / project_observations(s, project)          milestones, by project
    article(s, id) → ArticleItem | None                        with its latest text, facts and observations

Read-only: nothing here writes. Each function takes a session, so one page reads in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, Select, func, inspect, or_
from sqlalchemy import select as select_rows
from sqlmodel import Session, SQLModel, col

from watcher.store.tables import (
    ArticleRecord,
    ChangeRecord,
    MilestoneObservationRecord,
    ObservationRecord,
    SourceRecord,
)

Day = date  # MilestoneItem has a field named date
MAX_LIMIT = 500
LATEST_SCAN = 20  # × the series wanted: target observations read back at most to find them


@dataclass(frozen=True, slots=True)
class ChangeFilter:
    since: datetime | None = None
    until: datetime | None = None
    kind: str | None = None
    subject: str | None = None
    indicator: str | None = None
    region: str | None = None
    q: str | None = None  # text in the summaries

    def is_empty(self) -> bool:
        return not any((self.since, self.until, self.kind, self.subject, self.indicator, self.region, self.q))


@dataclass(frozen=True, slots=True)
class ChangeItem:
    id: int
    kind: str
    subject: str
    summary_zh: str
    summary_en: str
    immediate: bool
    created_at: datetime
    old: dict[str, Any] | None
    new: dict[str, Any]
    article_id: int | None

    @property
    def indicator(self) -> str | None:
        return self.new.get("indicator")

    @property
    def series_subject(self) -> str | None:
        return self.new.get("subject")

    @property
    def project(self) -> str | None:
        return self.new.get("project")

    def sources(self) -> list[dict[str, Any]]:
        """The evidence of the new side, then of the old: url, outlet, published, sentence."""
        return [side["evidence"] for side in (self.new, self.old) if side and side.get("evidence")]


@dataclass(frozen=True, slots=True)
class SeriesRef:
    indicator: str
    subject: str
    measure: str
    kind: str
    observations: int


@dataclass(frozen=True, slots=True)
class ObservationItem:
    id: int
    indicator: str
    subject: str
    measure: str
    kind: str
    when: str | None
    value: float
    unit: str
    qualifier: str
    raw: str
    article_id: int | None
    url: str
    outlet: str | None
    published: date | None
    sentence: str


@dataclass(frozen=True, slots=True)
class MilestoneItem:
    id: int
    project: str
    name: str
    stage: str
    date: str | None
    article_id: int | None
    url: str
    outlet: str | None
    published: Day | None
    sentence: str


def _plain(model: type[SQLModel]) -> Select[Any]:
    """The model's columns as plain rows: no ORM objects to build (a page reads hundreds of rows)."""
    return select_rows(*inspect(model).columns)


_CHANGES = _plain(ChangeRecord)
_OBSERVATIONS = _plain(ObservationRecord)
_MILESTONES = _plain(MilestoneObservationRecord)


def _like(text: str) -> str:
    return text.strip()


def changes(s: Session, f: ChangeFilter, *, limit: int, before: int | None = None) -> list[ChangeItem]:
    """Changes matching the filter, newest first; `before` is the cursor (an id: older than it)."""
    c = ChangeRecord
    query = _CHANGES
    if f.since is not None:
        query = query.where(c.created_at >= f.since)
    if f.until is not None:
        query = query.where(c.created_at < f.until)
    if f.kind:
        query = query.where(col(c.kind).in_([k.strip() for k in f.kind.split(",") if k.strip()]))
    for text in (f.subject, f.indicator):
        if text:
            query = query.where(col(c.subject).contains(_like(text), autoescape=True))
    if f.q:
        q = _like(f.q)
        query = query.where(
            or_(
                col(c.summary_zh).contains(q, autoescape=True), col(c.summary_en).contains(q, autoescape=True)
            )
        )
    if f.region:
        in_region = (
            select_rows(ArticleRecord.id)
            .join(SourceRecord, col(SourceRecord.id) == ArticleRecord.source_id)
            .where(SourceRecord.region == f.region)
        )
        query = query.where(col(c.article_id).in_(in_region))
    if before is not None:
        query = query.where(col(c.id) < before)
    query = query.order_by(col(c.id).desc()).limit(min(limit, MAX_LIMIT))
    return [_change_item(r) for r in s.execute(query)]


def alerts_first(s: Session, *, limit: int) -> list[ChangeItem]:
    """The overview's latest changes: the latest alerts, then the latest of the rest."""
    c = ChangeRecord
    alerts = s.execute(_CHANGES.where(c.immediate == True).order_by(col(c.id).desc()).limit(limit))  # noqa: E712
    rest = s.execute(_CHANGES.where(c.immediate == False).order_by(col(c.id).desc()).limit(limit))  # noqa: E712
    found = [_change_item(r) for r in alerts] + [_change_item(r) for r in rest]
    return found[:limit]


def recent_milestones(s: Session, *, limit: int) -> list[ChangeItem]:
    c = ChangeRecord
    query = _CHANGES.where(c.kind == "milestone_reached").order_by(col(c.id).desc()).limit(limit)
    return [_change_item(r) for r in s.execute(query)]


def series_changes(
    s: Session, indicator: str, subject: str, measure: str, *, limit: int = 100
) -> list[ChangeItem]:
    """The changes of one series (its actuals, targets and forecasts), found through the articles its
    observations came from: each step on an index."""
    kinds = ("actual", "target", "forecast")
    o = ObservationRecord
    keys = [series_text(indicator, subject, measure, k) for k in kinds]
    articles = select_rows(o.article_id).where(col(o.series).in_(keys))
    subjects = [f"{subject} {indicator} {measure} {k}" for k in kinds]
    return _changes_from(s, articles, subjects, limit)


def project_changes(s: Session, project: str, *, limit: int = 100) -> list[ChangeItem]:
    """The changes of one project, found through the articles its milestones came from."""
    m = MilestoneObservationRecord
    articles = select_rows(m.article_id).where(m.project == project)
    return _changes_from(s, articles, [project], limit)


def _changes_from(s: Session, articles: Select[Any], subjects: list[str], limit: int) -> list[ChangeItem]:
    c = ChangeRecord
    query = _CHANGES.where(col(c.article_id).in_(articles)).where(col(c.subject).in_(subjects))
    return [_change_item(r) for r in s.execute(query.order_by(col(c.id).desc()).limit(limit))]


def _change_item(r: Row[Any]) -> ChangeItem:
    return ChangeItem(
        r.id,
        r.kind,
        r.subject,
        r.summary_zh,
        r.summary_en,
        r.immediate,
        r.created_at,
        r.old,
        r.new,
        r.article_id,
    )


def series_index(
    s: Session,
    *,
    indicator: str | None = None,
    subject: str | None = None,
    measure: str | None = None,
    kind: str | None = None,
    limit: int | None = None,
) -> list[SeriesRef]:
    """Every series key with its count of observations, read off the (series, span) index alone (at most
    `limit`, in the order of their keys)."""
    o = ObservationRecord
    query = select_rows(o.series, func.count()).group_by(o.series).order_by(o.series)
    for text in (indicator, subject):
        if text:
            query = query.where(col(o.series).contains(_like(text), autoescape=True))
    found = []
    for series, count in s.execute(query):
        ind, subj, meas, knd = series.split("|", 3)
        if (indicator and indicator.strip() not in ind) or (subject and subject.strip() not in subj):
            continue
        if (measure and meas != measure) or (kind and knd != kind):
            continue
        found.append(SeriesRef(ind, subj, meas, knd, count))
        if limit is not None and len(found) >= limit:
            break
    return found


def series_text(indicator: str, subject: str, measure: str, kind: str) -> str:
    return f"{indicator}|{subject}|{measure}|{kind}"


def series_observations(
    s: Session,
    indicator: str,
    subject: str,
    measure: str,
    kinds: tuple[str, ...] = ("actual", "target", "forecast"),
) -> list[ObservationItem]:
    """The observations of one series' kinds, by series, period and id."""
    o = ObservationRecord
    keys = [series_text(indicator, subject, measure, k) for k in kinds]
    query = _OBSERVATIONS.where(col(o.series).in_(keys)).order_by(col(o.series), col(o.span), col(o.id))
    return [observation_item(r) for r in s.execute(query)]


def latest_target_series(s: Session, *, limit: int) -> list[str]:
    """The target series stated most lately, newest first: read back from the newest observation (by its
    primary key) until `limit` series are found, or LATEST_SCAN × `limit` targets were read."""
    o = ObservationRecord
    query = (
        select_rows(o.series).where(o.kind == "target").order_by(col(o.id).desc()).limit(LATEST_SCAN * limit)
    )
    found: dict[str, None] = {}
    for (series,) in s.execute(query):
        found.setdefault(series)
        if len(found) >= limit:
            break
    return list(found)


def observations_of_series(s: Session, keys: list[str]) -> list[ObservationItem]:
    o = ObservationRecord
    query = _OBSERVATIONS.where(col(o.series).in_(keys)).order_by(col(o.series), col(o.span), col(o.id))
    return [observation_item(r) for r in s.execute(query)]


def observation_item(r: Row[Any] | ObservationRecord) -> ObservationItem:
    return ObservationItem(
        r.id or 0,
        r.indicator,
        r.subject,
        r.measure,
        r.kind,
        r.span,
        r.value,
        r.unit,
        r.qualifier,
        r.raw,
        r.article_id,
        r.url,
        r.outlet,
        r.published,
        r.sentence,
    )


def milestone_item(r: Row[Any] | MilestoneObservationRecord) -> MilestoneItem:
    return MilestoneItem(
        r.id or 0,
        r.project,
        r.name,
        r.stage,
        r.date,
        r.article_id,
        r.url,
        r.outlet,
        r.published,
        r.sentence,
    )


def project_names(s: Session, q: str | None = None, *, limit: int = 200) -> list[str]:
    m = MilestoneObservationRecord
    query = select_rows(m.project).distinct().order_by(m.project).limit(limit)
    if q:
        query = query.where(col(m.project).contains(_like(q), autoescape=True))
    return [name for (name,) in s.execute(query)]


def project_observations(s: Session, projects: list[str]) -> list[MilestoneItem]:
    m = MilestoneObservationRecord
    query = _MILESTONES.where(col(m.project).in_(projects)).order_by(col(m.project), col(m.id))
    return [milestone_item(r) for r in s.execute(query)]


def regions(s: Session) -> list[str]:
    query = select_rows(SourceRecord.region).where(col(SourceRecord.region).is_not(None)).distinct()
    return sorted(r for (r,) in s.execute(query) if r)
