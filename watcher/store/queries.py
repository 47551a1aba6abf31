"""Read side of the store: the rows `watcher articles` and `watcher facts` print, and their queries.

    article_rows(session, source=, since=, limit=) → [ArticleRow]   newest first seen first
    fact_rows(session, source=, since=, indicator=) → [FactRow]      in article order

Rows are frozen dataclasses of plain values: the CLI renders them as a table or, through
`dataclasses.asdict`, as JSON lines (a FactRow carries every field of the fact contract).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from watcher.store.tables import ArticleRecord, FactRecord, SnapshotRecord, SourceRecord

VALUE_FIELDS = (
    "indicator",
    "subject",
    "measure",
    "kind",
    "value",
    "unit",
    "qualifier",
    "period",
    "deadline",
)
MILESTONE_FIELDS = ("project", "stage", "date")


@dataclass(frozen=True, slots=True)
class ArticleRow:
    """One stored article, as `watcher articles` shows it."""

    id: int
    url: str
    title: str
    published: date | None
    outlet: str | None
    source: str
    first_seen: datetime
    last_changed: datetime
    snapshots: int
    facts: int
    duplicate_of: str | None  # the first copy's URL
    attachments: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FactRow:
    """One stored fact: the JSON-lines fact contract (models.fact_to_dict) plus where it was read."""

    doc: str  # the article URL, as `doc` in the contract
    type: str
    indicator: str | None
    subject: str | None
    measure: str | None
    kind: str | None
    value: float | int | None  # whole numbers as int, as in the contract
    unit: str | None
    qualifier: str | None
    period: str | None
    deadline: str | None
    project: str | None
    stage: str | None
    date: str | None
    raw: str | None
    sentence: str
    quantity: str | None
    url: str
    title: str
    outlet: str | None
    published: date | None
    source: str
    duplicate: bool  # the article is a near-duplicate of an earlier one
    seen_at: datetime  # when the snapshot it was read from was fetched


def article_rows(
    s: Session, *, source: str | None, since: datetime | None, limit: int | None
) -> list[ArticleRow]:
    first = aliased(ArticleRecord)
    a = ArticleRecord
    snapshots = select(func.count()).where(SnapshotRecord.article_id == a.id).correlate(a).scalar_subquery()
    facts = select(func.count()).where(FactRecord.article_id == a.id).correlate(a).scalar_subquery()
    query = (
        select(a, SourceRecord.name, first.url, snapshots, facts)
        .join(SourceRecord, col(SourceRecord.id) == a.source_id)
        .outerjoin(first, col(first.id) == a.duplicate_of_id)
    )
    if source is not None:
        query = query.where(SourceRecord.name == source)
    if since is not None:
        query = query.where(col(a.first_seen) >= since)
    query = query.order_by(col(a.first_seen).desc(), col(a.id).desc()).limit(limit)
    return [_article_row(*row) for row in s.exec(query)]


def _article_row(
    r: ArticleRecord, source: str, first_url: str | None, snapshots: int, facts: int
) -> ArticleRow:
    own = {
        name: getattr(r, name)
        for name in ("url", "title", "published", "outlet", "first_seen", "last_changed")
    }
    return ArticleRow(
        id=r.id or 0,
        source=source,
        snapshots=snapshots,
        facts=facts,
        duplicate_of=first_url,
        attachments=tuple(r.attachments),
        **own,
    )


def fact_rows(
    s: Session, *, source: str | None, since: datetime | None, indicator: str | None
) -> list[FactRow]:
    a, f = ArticleRecord, FactRecord
    query = (
        select(f, a, SourceRecord.name)
        .join(a, col(a.id) == f.article_id)
        .join(SourceRecord, col(SourceRecord.id) == a.source_id)
    )
    if source is not None:
        query = query.where(SourceRecord.name == source)
    if since is not None:
        query = query.where(col(f.created_at) >= since)
    if indicator:
        query = query.where(col(f.indicator).contains(indicator, autoescape=True))
    query = query.order_by(col(a.id), col(f.id))
    return [_fact_row(fact, article, name) for fact, article, name in s.exec(query)]


def _fact_row(f: FactRecord, a: ArticleRecord, source: str) -> FactRow:
    own = {name: getattr(f, name) for name in (*VALUE_FIELDS, *MILESTONE_FIELDS, "type", "raw", "sentence")}
    if f.value is not None and f.value.is_integer() and abs(f.value) < 1e15:
        own["value"] = int(f.value)
    return FactRow(
        **own,
        quantity=f.quantity,
        doc=a.url,
        url=a.url,
        title=a.title,
        outlet=a.outlet,
        published=a.published,
        source=source,
        duplicate=a.duplicate_of_id is not None,
        seen_at=f.created_at,
    )
