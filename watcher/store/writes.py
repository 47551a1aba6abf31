"""The write path at database speed: one article's rows in a few multi-row statements (SQLAlchemy Core).

    store_pages(conn, [FetchedArticle…]) → [SaveResult…]   a crawl's batch of fetched pages: articles,
                                                snapshots, band index, facts, URL states and pending
                                                observations, each table in ONE multi-row statement
    save_article_rows(conn, …) → SaveResult     one article, snapshot, near-duplicate link and band index
    replace_fact_rows(conn, …) → int            the snapshot's facts replace the article's old ones
    upsert_url_state(conn, …)                   the validators of a fetch, in one statement

No ORM object is built on this path: each statement sends plain rows (the issue measured 6,092 SQLModel
objects, 83,862 validated attribute sets and 2,510 flushes for 220 articles). The caller gives the
connection of its transaction, so everything of a batch commits together or not at all.

A batch costs the same statements as one article: one look-up of its URLs and content hashes, one probe
of the band index for all its signatures, then one insert per table. That holds for the pages that are
plainly new (an unknown URL, no stored copy, exact or near, and nothing alike in the batch): the rest —
a changed article, a copy, two pages of the batch alike — are stored one by one first, exactly as
`save_article_rows` stores a single page, so a batch stores what its pages stored in turn would. On
PostgreSQL each statement is a round trip: 8.1 an article before, about 1 after.

What costs CPU and needs no database (hashes, SimHash, zlib) is computed when the `FetchedArticle` is
built, before the transaction and the store lock (`Store.writing`) are taken.

Near-duplicates: an earlier article with the same content hash is the copy's first copy, found by an
index look-up; otherwise the SimHash probes (neardup.probe_keys) read the band index, which holds each
article's whole SimHash, so only candidates within MAX_DISTANCE are read further; at most MAX_CANDIDATES
band matches, the newest, are read.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import (
    Connection,
    Integer,
    Row,
    Select,
    bindparam,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)

from watcher.models import Article, Fact, Validators, ValueFact
from watcher.store import arrays, neardup
from watcher.store.latest import returning, statement, write_rows
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


def _probe(dialect: str) -> Select[Any]:
    """The newest MAX_CANDIDATES band matches under the probe keys of one signature, before an article."""
    return (
        select(BANDS.c.article_id, BANDS.c.simhash)
        .where(arrays.one_of(BANDS.c.band_key, "keys", dialect), _BEFORE < bindparam("before"))  # noqa: SIM300
        .order_by(_BEFORE.desc())
        .limit(MAX_CANDIDATES)
    )


def _lookup_many(dialect: str) -> Select[Any]:
    """A batch's look-up: the rows of its URLs and of its texts' copies (both indexed)."""
    a = ARTICLES.c
    return (
        select(a.id, a.url, a.content_hash, a.duplicate_of_id)
        .where(or_(arrays.one_of(a.url, "urls", dialect), arrays.one_of(a.content_hash, "hashes", dialect)))
        .order_by(a.id)
    )


def _probe_many(dialect: str) -> Select[Any]:
    """The band index under all the probe keys of a batch, newest first, at most `most` rows."""
    return (
        select(BANDS.c.band_key, BANDS.c.article_id, BANDS.c.simhash)
        .where(arrays.one_of(BANDS.c.band_key, "keys", dialect))
        .order_by(_BEFORE.desc())
        .limit(bindparam("most", type_=Integer))
    )


def _query(conn: Connection, build: Callable[[str], Select[Any]]) -> Select[Any]:
    """The query `build` makes for this connection's dialect, built once (`latest.statement`)."""
    found: Select[Any] = statement(conn, build.__name__, lambda _: build(conn.dialect.name))
    return found


_INSERT_ARTICLE = insert(ARTICLES).returning(ARTICLES.c.id)
_INSERT_SNAPSHOT = insert(SNAPSHOTS).returning(SNAPSHOTS.c.id)
# many rows, their ids back in the rows' order


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
    # computed here, outside any transaction: the text's fingerprints and the raw body as stored
    text_hash: str = field(init=False)
    simhash: int | None = field(init=False)  # unsigned; None for a text too short to judge
    raw_compressed: bytes = field(init=False)
    raw_hash: str = field(init=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: the derived fields are set once, here
        set_(self, "text_hash", neardup.content_hash(self.article.text))
        set_(self, "simhash", neardup.signature(self.article.text))
        set_(self, "raw_compressed", zlib.compress(self.raw, 6))
        set_(self, "raw_hash", hashlib.sha256(self.raw).hexdigest())


def store_pages(conn: Connection, pages: list[FetchedArticle]) -> list[SaveResult]:
    """The hot path of a crawl: fetched article pages, their facts, URL states and observations (to be
    tracked), in the caller's transaction and a few multi-row statements. A near-duplicate's facts are
    its first copy's: not stored again, but its observations are evidence all the same."""
    saved = _save_articles(conn, pages)
    states = {  # a URL fetched twice in a batch: the last fetch wins
        p.url: _url_state_row(p.url, p.source_id, "article", p.status, p.validators, p.fetched_at)
        for p in pages
    }
    write_rows(conn, "url_states", URL_STATES, list(states.values()), _url_state_upsert)
    facts: dict[int, list[dict[str, Any]]] = {}  # article → its facts; a later page of it replaces them
    pending: dict[int, dict[str, Any]] = {}
    for page, s in zip(pages, saved, strict=True):
        if s.status == "unchanged":
            continue
        if s.duplicate_of is None and s.snapshot_id is not None:
            if s.status == "changed":
                conn.execute(delete(FACTS).where(FACTS.c.article_id == s.article_id))
            facts[s.article_id] = _fact_rows(page.facts, s.article_id, s.snapshot_id, page.fetched_at)
        if page.observations:
            pending[s.article_id] = _pending_row(
                s.article_id, page.source_id, page.article.published, page.observations
            )
    rows = [row for article_facts in facts.values() for row in article_facts]
    if rows:
        write_rows(conn, "facts", FACTS, rows)
    if pending:
        write_rows(conn, "pending_tracking", PENDING, list(pending.values()), _pending_upsert)
    return saved


def _save_articles(conn: Connection, pages: list[FetchedArticle]) -> list[SaveResult]:
    """Each page's article and snapshot: the plainly new ones in one insert per table, the others (a
    changed article, a copy, pages of the batch alike) one by one before them."""
    if len(pages) == 1 or _alike_in_batch(pages):
        return [_save_one(conn, page) for page in pages]
    rows = conn.execute(
        _query(conn, _lookup_many),
        {
            "urls": arrays.listed(conn, ARTICLES.c.url, [p.url for p in pages]),
            "hashes": arrays.listed(conn, ARTICLES.c.content_hash, [p.text_hash for p in pages]),
        },
    )
    stored: dict[str, Row[Any]] = {}
    copies: set[str] = set()
    for r in rows:
        stored.setdefault(r.url, r)
        copies.add(r.content_hash)
    found: dict[int, SaveResult] = {}
    fresh: list[int] = []  # unknown URL, no exact copy stored
    for n, page in enumerate(pages):
        known = stored.get(page.url)
        if known is not None and known.content_hash == page.text_hash:
            found[n] = SaveResult("unchanged", known.id, None, known.duplicate_of_id)
        elif known is None and page.text_hash not in copies:
            fresh.append(n)
    near = _with_near_copies(conn, [pages[n] for n in fresh])
    plain = [n for n, has_near in zip(fresh, near, strict=True) if not has_near]
    for n in range(len(pages)):  # in the batch's order, as they would be stored alone
        if n not in found and n not in plain:
            found[n] = _save_one(conn, pages[n])
    found.update(zip(plain, _insert_new(conn, [pages[n] for n in plain]), strict=True))
    return [found[n] for n in range(len(pages))]


def _alike_in_batch(pages: list[FetchedArticle]) -> bool:
    """Whether two pages of the batch share a URL or a text, or are near each other: then the later one
    must see the earlier stored, and the batch is stored page by page."""
    for i, a in enumerate(pages):
        for b in pages[:i]:
            if a.url == b.url or a.text_hash == b.text_hash:
                return True
            if a.simhash is not None and b.simhash is not None and neardup.is_near(a.simhash, b.simhash):
                return True
    return False


def _with_near_copies(conn: Connection, pages: list[FetchedArticle]) -> list[bool]:
    """For each page, whether the band index holds a signature near its own: one probe for all of them,
    each page getting what its own probe (`_probe`, newest MAX_CANDIDATES matches) would. When the joint
    probe reaches its limit, some page may have been cut short: then each page is probed on its own."""
    probes = [set(neardup.probe_keys(p.simhash)) if p.simhash is not None else set() for p in pages]
    keys = sorted(set().union(*probes))
    if not keys:
        return [False] * len(pages)
    most = MAX_CANDIDATES * len(pages)
    found = {"keys": arrays.listed(conn, BANDS.c.band_key, keys), "most": most}
    rows = conn.execute(_query(conn, _probe_many), found).all()
    out = []
    for page, mine in zip(pages, probes, strict=True):
        if page.simhash is None:
            out.append(False)
            continue
        if len(rows) < most:
            matches = [(aid, simhash) for key, aid, simhash in rows if key in mine][:MAX_CANDIDATES]
        else:
            probe = {"keys": arrays.listed(conn, BANDS.c.band_key, sorted(mine)), "before": 2**31 - 1}
            matches = list(conn.execute(_query(conn, _probe), probe))
        out.append(any(neardup.is_near(neardup.to_unsigned(simhash), page.simhash) for _, simhash in matches))
    return out


def _insert_new(conn: Connection, pages: list[FetchedArticle]) -> list[SaveResult]:
    """Plainly new pages: their articles, snapshots and band keys in one insert each."""
    if not pages:
        return []
    articles = [
        {"source_id": p.source_id, "url": p.url, "first_seen": p.fetched_at, **_article_values(p, None)}
        for p in pages
    ]
    by_url = dict(
        write_rows(conn, "articles", ARTICLES, articles, returning(ARTICLES.c.url, ARTICLES.c.id)).all()
    )
    article_ids = [by_url[p.url] for p in pages]  # no two of them share a URL (see _alike_in_batch)
    snapshots = [_snapshot_row(p, aid) for p, aid in zip(pages, article_ids, strict=True)]
    by_article = dict(
        write_rows(
            conn, "snapshots", SNAPSHOTS, snapshots, returning(SNAPSHOTS.c.article_id, SNAPSHOTS.c.id)
        ).all()
    )
    snapshot_ids = [by_article[aid] for aid in article_ids]
    bands = [row for p, aid in zip(pages, article_ids, strict=True) for row in _band_rows(p.simhash, aid)]
    if bands:
        write_rows(conn, "simhash_bands", BANDS, bands)
    return [SaveResult("new", aid, sid, None) for aid, sid in zip(article_ids, snapshot_ids, strict=True)]


def save_article_rows(
    conn: Connection, *, source_id: int, url: str, article: Article, raw: bytes, fetched_at: datetime
) -> SaveResult:
    """Store a fetched article: a snapshot when its text is new or changed, near-duplicates linked."""
    page = FetchedArticle(source_id, url, article, raw, 200, Validators(), fetched_at, [], [])
    return _save_one(conn, page)


def _save_one(conn: Connection, page: FetchedArticle) -> SaveResult:
    """One page's article: looked up by URL and text, linked to its first copy, snapshot and band keys."""
    url, text_hash, sig = page.url, page.text_hash, page.simhash
    rows = conn.execute(_LOOKUP, {"url": url, "hash": text_hash}).all()
    known = next((r for r in rows if r.url == url), None)
    if known is not None and known.content_hash == text_hash:
        return SaveResult("unchanged", known.id, None, known.duplicate_of_id)
    before = None if known is None else known.id  # a changed article's copies come before it
    exact = [r for r in rows if r.url != url and (before is None or r.id < before)]
    first = _first_copy(conn, sig, exact[0] if exact else None, page.article.text, before)
    values = _article_values(page, first)
    if known is None:
        row = {"source_id": page.source_id, "url": url, "first_seen": page.fetched_at, **values}
        article_id = conn.execute(_INSERT_ARTICLE, row).scalar_one()
    else:
        article_id = known.id
        conn.execute(update(ARTICLES).where(ARTICLES.c.id == article_id).values(**values))
        conn.execute(delete(BANDS).where(BANDS.c.article_id == article_id))
        if first is not None:  # the copy's facts are the first copy's now
            conn.execute(delete(FACTS).where(FACTS.c.article_id == article_id))
    snapshot_id = conn.execute(_INSERT_SNAPSHOT, _snapshot_row(page, article_id)).scalar_one()
    bands = _band_rows(sig, article_id)
    if bands:
        write_rows(conn, "simhash_bands", BANDS, bands)
    return SaveResult("new" if known is None else "changed", article_id, snapshot_id, first)


def _article_values(page: FetchedArticle, first: int | None) -> dict[str, Any]:
    article = page.article
    return {
        "title": article.title,
        "published": article.published,
        "outlet": article.outlet,
        "attachments": list(article.attachments),
        "content_hash": page.text_hash,
        "last_changed": page.fetched_at,
        "simhash": None if page.simhash is None else neardup.to_signed(page.simhash),
        "duplicate_of_id": first,
    }


def _snapshot_row(page: FetchedArticle, article_id: int) -> dict[str, Any]:
    return {
        "article_id": article_id,
        "fetched_at": page.fetched_at,
        "content_hash": page.text_hash,
        "text": page.article.text,
        "raw_compressed": page.raw_compressed,
        "raw_codec": "zlib",
        "raw_hash": page.raw_hash,
    }


def _band_rows(sig: int | None, article_id: int) -> list[dict[str, Any]]:
    if sig is None:
        return []
    signed = neardup.to_signed(sig)
    return [{"band_key": k, "article_id": article_id, "simhash": signed} for k in neardup.band_keys(sig)]


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
    keys = {
        "keys": arrays.listed(conn, BANDS.c.band_key, neardup.probe_keys(sig)),
        "before": before if before is not None else 2**31 - 1,
    }
    found = conn.execute(_query(conn, _probe), keys)
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
    if not fresh:
        conn.execute(delete(FACTS).where(FACTS.c.article_id == article_id))
    rows = _fact_rows(facts, article_id, snapshot_id, seen_at)
    if rows:
        write_rows(conn, "facts", FACTS, rows)
    return len(rows)


def _fact_rows(
    facts: list[Fact], article_id: int, snapshot_id: int, seen_at: datetime
) -> list[dict[str, Any]]:
    """A snapshot's facts as rows, repeats once."""
    return [fact_row(f, article_id, snapshot_id, seen_at) for f in dict.fromkeys(facts)]


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
    row = _url_state_row(url, source_id, kind, status, validators, fetched_at)
    write_rows(conn, "url_states", URL_STATES, [row], _url_state_upsert)


def _url_state_row(
    url: str, source_id: int, kind: str, status: int, validators: Validators, fetched_at: datetime
) -> dict[str, Any]:
    return {
        "url": url,
        "source_id": source_id,
        "kind": kind,
        "status": status,
        "etag": validators.etag,
        "last_modified": validators.last_modified,
        "fetched_at": fetched_at,
    }


def _url_state_upsert(stmt: Any) -> Any:
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


def _pending_row(
    article_id: int, source_id: int, published: date | None, observations: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "article_id": article_id,
        "source_id": source_id,
        "published": published,
        "observations": observations,
    }


def _pending_upsert(stmt: Any) -> Any:
    new = stmt.excluded
    replace = {"source_id": new.source_id, "published": new.published, "observations": new.observations}
    return stmt.on_conflict_do_update(index_elements=["article_id"], set_=replace)
