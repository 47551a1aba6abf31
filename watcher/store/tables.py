"""SQLModel tables: everything watcher keeps between runs.

    sources ─┬─ url_states      one row per fetched URL: the validators of its last conditional GET
             ├─ crawl_runs      one row per run of a source: when, ok or the error, counters
             ├─ pruned_runs     what its runs older than daemon.keep_runs_days counted, summed
             └─ articles ─┬─ snapshots       one per distinct text (raw HTML compressed beside it)
                  │       ├─ facts           the facts of the latest snapshot
                  │       ├─ simhash_bands   near-duplicate index: 4 band keys per article
                  │       └─ pending_tracking  stored, not yet tracked (a run tracks its articles last)
                  └─ duplicate_of → articles (the first copy of a reposted text)
    observations → series_latest, milestone_observations → milestone_latest: what change detection reads
    changes ── deliveries; pruned_changes, pruned_deliveries: what the health episodes older than
               daemon.keep_health_days counted, by kind and by (channel, status)

Timestamps are timezone-aware UTC on every backend (`UTCDateTime`); JSON and binary columns use portable
types, so one schema serves SQLite and PostgreSQL. The migrations in `migrations/versions/` create exactly
this metadata; a test compares the two.
"""

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Dialect,
    Index,
    LargeBinary,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out (SQLite keeps no zone; it stores UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()}: watcher stores aware UTC times")
        utc = value.astimezone(dt.UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _utc(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class SourceRecord(SQLModel, table=True):
    __tablename__ = "sources"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    region: str | None = None
    outlet: str | None = None
    created_at: dt.datetime = _utc()


class UrlState(SQLModel, table=True):
    """The last fetch of one URL: what the next conditional GET sends."""

    __tablename__ = "url_states"

    url: str = Field(sa_type=Text, primary_key=True)
    source_id: int = Field(foreign_key="sources.id", index=True)
    kind: str  # listing | article | feed
    status: int
    etag: str | None = Field(default=None, sa_type=Text)
    last_modified: str | None = None
    fetched_at: dt.datetime = _utc()


class ArticleRecord(SQLModel, table=True):
    __tablename__ = "articles"
    __table_args__ = (Index("ix_articles_source_first_seen", "source_id", "first_seen"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="sources.id", index=True)
    url: str = Field(sa_type=Text, unique=True, index=True)
    title: str = Field(default="", sa_type=Text)
    published: dt.date | None = Field(default=None, index=True)
    outlet: str | None = None
    first_seen: dt.datetime = _utc(index=True)
    last_changed: dt.datetime = _utc()
    content_hash: str = Field(index=True)  # sha256 of the whitespace-collapsed text: exact copies first
    simhash: int | None = Field(default=None, sa_type=BigInteger)  # signed 64-bit; None: too short to compare
    duplicate_of_id: int | None = Field(default=None, foreign_key="articles.id", index=True)
    attachments: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class SimhashBand(SQLModel, table=True):
    """Band key (band number × 65,536 + those 16 bits of the SimHash) → article and its whole SimHash:
    the near-duplicate index, read without touching `articles`."""

    __tablename__ = "simhash_bands"

    band_key: int = Field(primary_key=True)
    article_id: int = Field(foreign_key="articles.id", primary_key=True, index=True)
    simhash: int = Field(sa_type=BigInteger)  # signed, as articles.simhash


class SnapshotRecord(SQLModel, table=True):
    __tablename__ = "snapshots"

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="articles.id", index=True)
    fetched_at: dt.datetime = _utc()
    content_hash: str
    text: str = Field(sa_type=Text)
    raw_compressed: bytes = Field(sa_type=LargeBinary)
    raw_codec: str = "zlib"
    raw_hash: str  # sha256 of the raw bytes as fetched


class FactRecord(SQLModel, table=True):
    """A ValueFact or a Milestone; the columns of the other type stay NULL."""

    __tablename__ = "facts"
    __table_args__ = (
        Index("ix_facts_series", "indicator", "subject", "period"),
        Index("ix_facts_project_stage", "project", "stage"),
    )

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="articles.id", index=True)
    snapshot_id: int = Field(foreign_key="snapshots.id", index=True)
    type: str  # value | milestone
    indicator: str | None = None
    subject: str | None = None
    measure: str | None = None
    kind: str | None = None
    value: float | None = None
    unit: str | None = None
    qualifier: str | None = None
    period: str | None = None
    deadline: str | None = None
    quantity: str | None = None
    project: str | None = None
    stage: str | None = None
    date: str | None = None
    raw: str | None = Field(default=None, sa_type=Text)
    sentence: str = Field(default="", sa_type=Text)
    created_at: dt.datetime = _utc(index=True)


class CrawlRun(SQLModel, table=True):
    __tablename__ = "crawl_runs"
    __table_args__ = (Index("ix_crawl_runs_source_ok", "source_id", "ok", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="sources.id", index=True)
    started_at: dt.datetime = _utc()
    finished_at: dt.datetime | None = _utc(nullable=True)
    ok: bool | None = None  # None while running
    error: str | None = Field(default=None, sa_type=Text)
    stats: dict[str, int | list[str]] = Field(  # counts, and "warnings" when a run had any
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )


class PrunedRuns(SQLModel, table=True):
    """What a source's pruned runs counted (daemon.keep_runs_days): /metrics adds it to the runs kept, so
    its counters never go down."""

    __tablename__ = "pruned_runs"

    source_id: int = Field(foreign_key="sources.id", primary_key=True)
    runs_ok: int = 0
    runs_failed: int = 0
    stats: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


# --- tracking: observations, changes and the alert outbox -------------------------------------------


class ObservationRecord(SQLModel, table=True):
    """A value fact filed under its series: one row per article that stated it (the evidence)."""

    __tablename__ = "observations"
    __table_args__ = (Index("ix_observations_series_span", "series", "span"),)

    id: int | None = Field(default=None, primary_key=True)
    series: str = Field(sa_type=Text)  # indicator|subject|measure|kind, canonical
    indicator: str
    subject: str
    measure: str
    kind: str
    span: str | None = None  # the period of an actual, the deadline of a target or forecast
    value: float
    unit: str
    qualifier: str
    raw: str = Field(default="", sa_type=Text)
    article_id: int | None = Field(default=None, foreign_key="articles.id", index=True)
    url: str = Field(sa_type=Text)
    outlet: str | None = None
    published: dt.date | None = None
    sentence: str = Field(default="", sa_type=Text)
    seen_at: dt.datetime = _utc()


class MilestoneObservationRecord(SQLModel, table=True):
    __tablename__ = "milestone_observations"

    id: int | None = Field(default=None, primary_key=True)
    project: str = Field(index=True)  # canonical
    name: str  # as written
    stage: str
    date: str | None = None
    article_id: int | None = Field(default=None, foreign_key="articles.id", index=True)
    url: str = Field(sa_type=Text)
    outlet: str | None = None
    published: dt.date | None = None
    sentence: str = Field(default="", sa_type=Text)
    seen_at: dt.datetime = _utc()


class ChangeRecord(SQLModel, table=True):
    """A change event: what moved, old and new with their sources, in two languages."""

    __tablename__ = "changes"
    __table_args__ = (
        Index("ix_changes_kind_subject", "kind", "subject"),
        Index("ix_changes_kind_created_at", "kind", "created_at"),  # old health changes, for pruning
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)  # the same evidence never makes two changes
    kind: str = Field(index=True)
    subject: str = Field(sa_type=Text)
    summary_zh: str = Field(sa_type=Text)
    summary_en: str = Field(sa_type=Text)
    old: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    new: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    immediate: bool = False  # alert now (else only in digests)
    article_id: int | None = Field(default=None, foreign_key="articles.id", index=True)
    created_at: dt.datetime = _utc(index=True)


class SeriesLatest(SQLModel, table=True):
    """One series' observations of one span and value, in brief: the one published last (the first
    crawled of those) and the one published first. Change detection reads these two per distinct value,
    never the whole history: a figure repeated by a thousand articles is still two rows."""

    __tablename__ = "series_latest"
    __table_args__ = (UniqueConstraint("series", "span", "value", "unit", "qualifier"),)

    id: int | None = Field(default=None, primary_key=True)
    series: str = Field(sa_type=Text)  # as observations.series
    span: str = ""  # observations.span, "" for none
    value: float
    unit: str
    qualifier: str
    latest_id: int = Field(foreign_key="observations.id")
    latest_day: int  # its publication date as a day number (0: undated)
    earliest_id: int = Field(foreign_key="observations.id")
    earliest_day: int


class MilestoneLatest(SQLModel, table=True):
    """One project's observations of one stage and date: the one published last (the first crawled)."""

    __tablename__ = "milestone_latest"
    __table_args__ = (UniqueConstraint("project", "stage", "date"),)

    id: int | None = Field(default=None, primary_key=True)
    project: str
    stage: str
    date: str = ""  # "" for none
    latest_id: int = Field(foreign_key="milestone_observations.id")
    latest_day: int


class PendingTracking(SQLModel, table=True):
    """An article stored and not yet tracked: its observations wait here, written with the article. A run
    tracks its articles oldest first once it has fetched them; a run that died first leaves these for the
    next run of the source."""

    __tablename__ = "pending_tracking"

    article_id: int = Field(foreign_key="articles.id", primary_key=True)
    source_id: int = Field(foreign_key="sources.id", index=True)
    published: dt.date | None = None
    observations: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))


class DeliveryRecord(SQLModel, table=True):
    """The outbox: one row per alert and channel, written with its change, sent after."""

    __tablename__ = "deliveries"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)  # change key + channel: the idempotency key the receiver sees
    change_id: int = Field(foreign_key="changes.id", index=True)
    channel: str
    status: str = Field(default="pending", index=True)  # pending | sending | sent | failed
    attempts: int = 0
    next_attempt_at: dt.datetime = _utc(index=True)
    lease_until: dt.datetime | None = _utc(nullable=True)
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: dt.datetime = _utc()
    sent_at: dt.datetime | None = _utc(nullable=True)


class PrunedChanges(SQLModel, table=True):
    """How many changes of a kind were pruned (old health episodes, daemon.keep_health_days): /metrics
    adds it to the changes kept, so its counters never go down."""

    __tablename__ = "pruned_changes"

    kind: str = Field(primary_key=True)
    changes: int = 0


class PrunedDeliveries(SQLModel, table=True):
    """How many deliveries of a channel and final status were pruned with their changes."""

    __tablename__ = "pruned_deliveries"

    channel: str = Field(primary_key=True)
    status: str = Field(primary_key=True)  # sent | failed | cancelled
    deliveries: int = 0


# --- subscribers and their digests -----------------------------------------------------------------


class SubscriberRecord(SQLModel, table=True):
    """Someone who gets digests and/or immediate alerts by email, about the changes their filters pick."""

    __tablename__ = "subscribers"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True)  # lower case
    digest: str = "daily"  # daily | weekly | off
    immediate: bool = False  # immediate alerts by email too
    indicators: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    subjects: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    keywords: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    kinds: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    paused: bool = False
    token: str = Field(unique=True)  # the unsubscribe token (url-safe, random)
    created_at: dt.datetime = _utc()  # subscribed at: the first digest covers what changed since
    unsubscribed_at: dt.datetime | None = _utc(nullable=True)


class DigestRecord(SQLModel, table=True):
    """One digest period of one subscriber: claimed with a lease, sent once, covering (since, cutoff]."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("subscriber_id", "period_key"),)

    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int = Field(foreign_key="subscribers.id")  # indexed by the unique constraint
    period_key: str  # daily: the local date 2024-10-01; weekly: the ISO week 2024-W40
    frequency: str  # daily | weekly
    since: dt.datetime = _utc()  # changes created after this…
    cutoff: dt.datetime = _utc()  # …and up to this
    status: str = Field(default="sending", index=True)  # pending|sending|sent|empty|failed|superseded
    attempts: int = 0
    next_attempt_at: dt.datetime = _utc()
    lease_until: dt.datetime | None = _utc(nullable=True)
    last_error: str | None = Field(default=None, sa_type=Text)
    alerts: int = 0  # what the digest held, once composed
    updates: int = 0
    created_at: dt.datetime = _utc()
    sent_at: dt.datetime | None = _utc(nullable=True)
