"""The write path at database speed: one article's rows in a few multi-row statements (SQLAlchemy Core).

    save_article_rows(conn, …) → SaveResult     article, snapshot, near-duplicate link and band index
    replace_fact_rows(conn, …) → int            the snapshot's facts replace the article's old ones
    upsert_url_state(conn, …)                   the validators of a fetch, in one statement
    add_pending(conn, …)                        the article's observations, to be tracked

No ORM object is built on this path: each statement sends plain rows (the issue measured 6,092 SQLModel
objects, 83,862 validated attribute sets and 2,510 flushes for 220 articles). The caller gives the
connection of its transaction, so everything of one article commits together or not at all.

Near-duplicates: an earlier article with the same content hash is the copy's first copy, found by an
index look-up; otherwise the SimHash probes (neardup.probe_keys) read the band index, which holds each
article's whole SimHash, so only candidates within MAX_DISTANCE are read further; at most MAX_CANDIDATES
band matches, the newest, are read.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import Connection, Row, bindparam, case, delete, func, insert, or_, select, update

from watcher.models import Article, Fact, Validators, ValueFact
from watcher.store import neardup
from watcher.store.latest import statement
from watcher.store.queries import MILESTONE_FIELDS, VALUE_FIELDS
from watcher.store.tables import (
    ArticleRecord,
    FactRecord,
    PendingTracking,
    SimhashBand,
    SnapshotRecord,
    UrlState,
)

SaveStatus = Literal["new", "changed", "unchanged"]
MAX_VERIFIED = 5  # near candidates whose figures are compared, earliest first copy first
MAX_CANDIDATES = 64  # band matches read at most, newest first: a family of look-alike texts (one template,
# shared paragraphs) all match each other's bands; past this many, a repost of an old member may be missed
ARTICLES = ArticleRecord.__table__  # type: ignore[attr-defined]
SNAPSHOTS = SnapshotRecord.__table__  # type: ignore[attr-defined]
BANDS = SimhashBand.__table__  # type: ignore[attr-defined]
FACTS = FactRecord.__table__  # type: ignore[attr-defined]
URL_STATES = UrlState.__table__  # type: ignore[attr-defined]
PENDING = PendingTracking.__table__  # type: ignore[attr-defined]
_FACT_COLUMNS = tuple(c.name for c in FACTS.columns if c.name != "id")
# built once: the URL's own row and the articles with the same text, in one look-up (both indexed)
_LOOKUP = (
    select(ARTICLES.c.id, ARTICLES.c.url, ARTICLES.c.content_hash, ARTICLES.c.duplicate_of_id)
    .where(or_(ARTICLES.c.url == bindparam("url"), ARTICLES.c.content_hash == bindparam("hash")))
    .order_by(ARTICLES.c.id)
)
# `article_id + 0`: compared and ordered as an expression, not the column, so that no planner reads the
# article_id index (PostgreSQL did, walking it backwards or bitmap-scanning `article_id < before`, and
# filtering on band_key: every row of the index read when few match, a look-up growing with the store).
# The band keys' own index finds the few matches; they are sorted after.
_BEFORE = BANDS.c.article_id + 0
_PROBE = (
    select(BANDS.c.article_id, BANDS.c.simhash)
    .where(BANDS.c.band_key.in_(bindparam("keys", expanding=True)), _BEFORE < bindparam("before"))  # noqa: SIM300
    .order_by(_BEFORE.desc())
    .limit(MAX_CANDIDATES)
)
_INSERT_ARTICLE = insert(ARTICLES).returning(ARTICLES.c.id)
_INSERT_SNAPSHOT = insert(SNAPSHOTS).returning(SNAPSHOTS.c.id)
_INSERT_BANDS = insert(BANDS)
_INSERT_FACTS = insert(FACTS)


@dataclass(frozen=True, slots=True)
class SaveResult:
    status: SaveStatus
    article_id: int
    snapshot_id: int | None  # None when unchanged
    duplicate_of: int | None  # the first copy's article id, when this text is a near-duplicate


@dataclass(frozen=True, slots=True)
class FetchedArticle:
    """What a crawl stores of one fetched article page, in one transaction (`Store.store_fetched`)."""

    source_id: int
    url: str
    article: Article
    raw: bytes  # the body as fetched
    status: int  # HTTP status
    validators: Validators
    fetched_at: datetime
    facts: list[Fact]
    observations: list[dict[str, Any]]  # what tracking will file, as models.observation_to_dict


def save_article_rows(
    conn: Connection, *, source_id: int, url: str, article: Article, raw: bytes, fetched_at: datetime
) -> SaveResult:
    """Store a fetched article: a snapshot when its text is new or changed, near-duplicates linked."""
    text_hash = neardup.content_hash(article.text)
    a = ARTICLES.c
    rows = conn.execute(_LOOKUP, {"url": url, "hash": text_hash}).all()
    known = next((r for r in rows if r.url == url), None)
    if known is not None and known.content_hash == text_hash:
        return SaveResult("unchanged", known.id, None, known.duplicate_of_id)
    sig = neardup.signature(article.text)
    before = None if known is None else known.id  # a changed article's copies come before it
    exact = [r for r in rows if r.url != url and (before is None or r.id < before)]
    first = _first_copy(conn, sig, exact[0] if exact else None, article.text, before)
    values = {
        "title": article.title,
        "published": article.published,
        "outlet": article.outlet,
        "attachments": list(article.attachments),
        "content_hash": text_hash,
        "last_changed": fetched_at,
        "simhash": None if sig is None else neardup.to_signed(sig),
        "duplicate_of_id": first,
    }
    if known is None:
        row = {"source_id": source_id, "url": url, "first_seen": fetched_at, **values}
        article_id = conn.execute(_INSERT_ARTICLE, row).scalar_one()
    else:
        article_id = known.id
        conn.execute(update(ARTICLES).where(a.id == article_id).values(**values))
        conn.execute(delete(BANDS).where(BANDS.c.article_id == article_id))
        if first is not None:  # the copy's facts are the first copy's now
            conn.execute(delete(FACTS).where(FACTS.c.article_id == article_id))
    snapshot_id = conn.execute(
        _INSERT_SNAPSHOT,
        {
            "article_id": article_id,
            "fetched_at": fetched_at,
            "content_hash": text_hash,
            "text": article.text,
            "raw_compressed": zlib.compress(raw, 6),
            "raw_codec": "zlib",
            "raw_hash": hashlib.sha256(raw).hexdigest(),
        },
    ).scalar_one()
    if sig is not None:
        signed = neardup.to_signed(sig)
        bands = [{"band_key": k, "article_id": article_id, "simhash": signed} for k in neardup.band_keys(sig)]
        conn.execute(_INSERT_BANDS, bands)
    return SaveResult("new" if known is None else "changed", article_id, snapshot_id, first)


def _first_copy(
    conn: Connection, sig: int | None, exact: Row[Any] | None, text: str, before: int | None
) -> int | None:
    """The first stored copy of this text among earlier articles: the earliest exact copy, else a near
    one."""
    if sig is None:
        return None
    if exact is not None:
        return int(exact.duplicate_of_id or exact.id)
    a = ARTICLES.c
    keys = {"keys": neardup.probe_keys(sig), "before": before if before is not None else 2**31 - 1}
    found = conn.execute(_PROBE, keys)
    near = [aid for aid, simhash in found if neardup.is_near(neardup.to_unsigned(simhash), sig)]
    if not near:
        return None
    rows = conn.execute(select(a.id, a.duplicate_of_id).where(a.id.in_(near))).all()
    for root, candidate in sorted((dup or aid, aid) for aid, dup in rows)[:MAX_VERIFIED]:
        if neardup.has_same_figures(text, _latest_text(conn, candidate)):
            return int(root)
    return None


def _latest_text(conn: Connection, article_id: int) -> str:
    s = SNAPSHOTS.c
    latest = select(s.text).where(s.article_id == article_id).order_by(s.id.desc()).limit(1)
    return conn.execute(latest).scalar() or ""


def replace_fact_rows(
    conn: Connection, article_id: int, snapshot_id: int, facts: list[Fact], seen_at: datetime, *, fresh: bool
) -> int:
    """The snapshot's facts replace the article's old ones (repeats stored once); returns how many.
    `fresh`: the article is new, it has no old facts to delete."""
    unique = list(dict.fromkeys(facts))
    if not fresh:
        conn.execute(delete(FACTS).where(FACTS.c.article_id == article_id))
    if unique:
        conn.execute(_INSERT_FACTS, [fact_row(f, article_id, snapshot_id, seen_at) for f in unique])
    return len(unique)


def fact_row(fact: Fact, article_id: int, snapshot_id: int, seen_at: datetime) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(_FACT_COLUMNS)
    fields = VALUE_FIELDS if isinstance(fact, ValueFact) else MILESTONE_FIELDS
    row.update((name, getattr(fact, name)) for name in fields)
    if isinstance(fact, ValueFact):
        row["quantity"] = fact.quantity or None
    row.update(
        article_id=article_id,
        snapshot_id=snapshot_id,
        type=fact.type,
        raw=fact.raw or None,
        sentence=fact.sentence,
        created_at=seen_at,
    )
    return row


def upsert_url_state(
    conn: Connection,
    url: str,
    *,
    source_id: int,
    kind: str,
    status: int,
    validators: Validators,
    fetched_at: datetime,
) -> None:
    """Record a fetch. A 304 without validators of its own keeps the ones it confirmed."""
    row = {
        "url": url,
        "source_id": source_id,
        "kind": kind,
        "status": status,
        "etag": validators.etag,
        "last_modified": validators.last_modified,
        "fetched_at": fetched_at,
    }
    conn.execute(statement(conn, "url_states", _url_state_upsert), row)


def _url_state_upsert(insert: Any) -> Any:
    stmt = insert(URL_STATES)
    new, old = stmt.excluded, URL_STATES.c
    confirmed = new.status == 304  # a 304 without validators of its own keeps the ones it confirmed
    return stmt.on_conflict_do_update(
        index_elements=["url"],
        set_={
            "source_id": new.source_id,
            "kind": new.kind,
            "status": new.status,
            "fetched_at": new.fetched_at,
            "etag": case((confirmed, func.coalesce(new.etag, old.etag)), else_=new.etag),
            "last_modified": case(
                (confirmed, func.coalesce(new.last_modified, old.last_modified)), else_=new.last_modified
            ),
        },
    )


def add_pending(
    conn: Connection,
    article_id: int,
    source_id: int,
    published: date | None,
    observations: list[dict[str, Any]],
) -> None:
    """The article's observations wait for its run to track them (replacing any it was waiting with)."""
    row = {
        "article_id": article_id,
        "source_id": source_id,
        "published": published,
        "observations": observations,
    }
    conn.execute(statement(conn, "pending_tracking", _pending_upsert), row)


def _pending_upsert(insert: Any) -> Any:
    stmt = insert(PENDING)
    new = stmt.excluded
    replace = {"source_id": new.source_id, "published": new.published, "observations": new.observations}
    return stmt.on_conflict_do_update(index_elements=["article_id"], set_=replace)
