"""The articles the dashboard shows: found by title, and one with its latest text, facts and observations.

articles(s, q=, region=, limit=) → [ArticleRef]     newest first seen first
article(s, id) → ArticleItem | None                  the latest snapshot's text, every fact, and what the
                                                     tracker filed from it (observations, milestones)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select as select_rows
from sqlmodel import Session, col, select

from watcher.store.tables import (
    ArticleRecord,
    FactRecord,
    MilestoneObservationRecord,
    ObservationRecord,
    SnapshotRecord,
    SourceRecord,
)
from watcher.web.queries import (
    MAX_LIMIT,
    MilestoneItem,
    ObservationItem,
    milestone_item,
    observation_item,
)


@dataclass(frozen=True, slots=True)
class FactItem:
    id: int
    type: str
    indicator: str | None
    subject: str | None
    measure: str | None
    kind: str | None
    value: float | None
    unit: str | None
    qualifier: str | None
    period: str | None
    deadline: str | None
    quantity: str | None
    project: str | None
    stage: str | None
    date: str | None
    raw: str | None
    sentence: str


@dataclass(frozen=True, slots=True)
class ArticleItem:
    id: int
    url: str
    title: str
    published: date | None
    outlet: str | None
    source: str
    region: str | None
    first_seen: datetime
    text: str
    facts: list[FactItem] = field(default_factory=list)
    observations: list[ObservationItem] = field(default_factory=list)
    milestones: list[MilestoneItem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ArticleRef:
    id: int
    url: str
    title: str
    published: date | None
    outlet: str | None
    source: str


def articles(
    s: Session, *, q: str | None = None, region: str | None = None, limit: int = 50
) -> list[ArticleRef]:
    a = ArticleRecord
    query = select_rows(a.id, a.url, a.title, a.published, a.outlet, SourceRecord.name).join(
        SourceRecord, col(SourceRecord.id) == a.source_id
    )
    if q:
        query = query.where(col(a.title).contains(q.strip(), autoescape=True))
    if region:
        query = query.where(SourceRecord.region == region)
    query = query.order_by(col(a.first_seen).desc(), col(a.id).desc()).limit(min(limit, MAX_LIMIT))
    return [ArticleRef(*row) for row in s.execute(query)]


def article(s: Session, article_id: int) -> ArticleItem | None:
    """One article with its latest text, its facts and what the tracker filed from it."""
    a = s.get(ArticleRecord, article_id)
    if a is None:
        return None
    source = s.get(SourceRecord, a.source_id)
    snap = s.exec(
        select(SnapshotRecord.text)
        .where(SnapshotRecord.article_id == article_id)
        .order_by(col(SnapshotRecord.id).desc())
        .limit(1)
    ).first()
    facts = s.exec(select(FactRecord).where(FactRecord.article_id == article_id).order_by(col(FactRecord.id)))
    o, m = ObservationRecord, MilestoneObservationRecord
    observations = s.exec(select(o).where(o.article_id == article_id).order_by(col(o.id)))
    milestones = s.exec(select(m).where(m.article_id == article_id).order_by(col(m.id)))
    return ArticleItem(
        id=article_id,
        url=a.url,
        title=a.title,
        published=a.published,
        outlet=a.outlet,
        source=source.name if source else "?",
        region=source.region if source else None,
        first_seen=a.first_seen,
        text=snap or "",
        facts=[_fact_item(f) for f in facts],
        observations=[observation_item(r) for r in observations],
        milestones=[milestone_item(r) for r in milestones],
    )


def _fact_item(f: FactRecord) -> FactItem:
    return FactItem(
        f.id or 0,
        f.type,
        f.indicator,
        f.subject,
        f.measure,
        f.kind,
        f.value,
        f.unit,
        f.qualifier,
        f.period,
        f.deadline,
        f.quantity,
        f.project,
        f.stage,
        f.date,
        f.raw,
        f.sentence,
    )
