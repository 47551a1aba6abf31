"""A crawl's batch of pages (`Store.store_fetched_many`) stores exactly what the same pages stored one at a
time would: the same articles, copies linked to the same first copies, the same snapshots, band keys,
facts, URL states and pending observations — on every backend, whatever the batch boundaries."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from tests.store.conftest import T0, dev_text
from tests.store.test_neardup import DEV, body, renumbered, repost
from watcher.models import Article, Fact, Milestone, ValueFact
from watcher.store import Store, Validators
from watcher.store.repo import FetchedArticle, SaveResult

IDS = ("article_id", "duplicate_of_id")  # columns naming an article: shown as its URL
SITE = "http://www.jiangmen.gov.cn/zwgk/jmyw/content"


def fact(n: int) -> Fact:
    return ValueFact(
        indicator="规上工业增加值", subject="江门", measure="yoy", kind="actual", value=float(n), unit="%",
        qualifier="=", period="2024-01/2024-06", deadline=None, raw=f"增长{n}%", sentence=f"……增长{n}%。",
    )  # fmt: skip


def page(source_id: int, n: int, text_: str, *, at: int = 0, facts: int = 1) -> FetchedArticle:
    url = f"{SITE}/post_{n}.html"
    article = Article(
        url=url, text=text_, title=text_[:12], published=date(2024, 7, 1 + n % 28), outlet="江门日报"
    )
    made = [fact(n + k) for k in range(facts)] + [
        Milestone(project=f"项目{n}", stage="started", date=None, sentence="开工")
    ]
    observations = [{"kind": "note", "n": n, "at": at}]
    raw = f"<html>{n}:{at}</html>".encode()
    return FetchedArticle(
        source_id, url, article, raw, 200, Validators(etag=f'"{n}-{at}"'), T0 + timedelta(hours=at), made,
        observations,
    )  # fmt: skip


def crawl_pages(source_id: int) -> list[FetchedArticle]:
    """Two rounds of a site: new reports, their reposts and copies, an article edited, one unchanged."""
    texts = {int(d): body(dev_text(d)) for d in DEV}
    first = [page(source_id, n, t) for n, t in texts.items()]
    second = [
        page(source_id, 20, repost(texts[1]), at=1),  # a repost of a stored report
        page(source_id, 21, texts[2], at=1),  # an exact copy under another URL
        page(source_id, 22, renumbered(texts[1]), at=1),  # next month's report: near, other figures
        page(source_id, 23, "全市生产总值增长5%。", at=1),  # too short for a signature
        page(source_id, 3, texts[3] + "\n（本文有更新）", at=1, facts=2),  # an article edited
        page(source_id, 4, texts[4], at=1),  # unchanged
        page(source_id, 24, repost(texts[5]), at=1),  # alike in the batch: a repost and ...
        page(source_id, 25, repost(texts[5]) + "\n来源:侨乡资讯网", at=1),  # ... a repost of the repost
        page(source_id, 26, texts[6] + "\n（完）", at=1),
        page(source_id, 27, renumbered(texts[7]), at=1),
        page(source_id, 3, texts[3] + "\n（本文再次更新）", at=2),  # edited again, later in a batch
        page(source_id, 28, repost(texts[8]), at=2),
        page(source_id, 29, "全市生产总值增长5%。", at=2),  # the short one again: too short to link
    ]
    return first + second


def snapshot(store: Store) -> dict[str, Any]:
    """Everything the pages stored, with ids replaced by URLs (batches may number rows otherwise)."""
    engine: Engine = store._engine
    with engine.connect() as c:
        url = dict(c.execute(text("SELECT id, url FROM articles")).all())

        def rows(sql: str) -> list[tuple[Any, ...]]:
            found = [
                tuple(url.get(v, v) if k in IDS else v for k, v in r._mapping.items())
                for r in c.execute(text(sql))
            ]
            return sorted(found, key=repr)  # None beside strings: sorted by their text

        return {
            "articles": rows(
                "SELECT url, title, content_hash, simhash, duplicate_of_id, first_seen, last_changed"
                " FROM articles"
            ),
            "snapshots": rows("SELECT article_id, fetched_at, content_hash, raw_hash FROM snapshots"),
            "bands": rows("SELECT band_key, article_id, simhash FROM simhash_bands"),
            "facts": rows("SELECT article_id, indicator, value, project, stage, created_at FROM facts"),
            "url_states": rows("SELECT url, status, etag, fetched_at FROM url_states"),
            "pending": rows("SELECT article_id, published, observations FROM pending_tracking"),
        }


def named(store: Store, results: list[SaveResult]) -> list[tuple[str, str, str | None]]:
    with store._engine.connect() as c:
        url = dict(c.execute(text("SELECT id, url FROM articles")).all())
    return [(r.status, url[r.article_id], url.get(r.duplicate_of)) for r in results]


def emptied(db_url: str) -> Store:
    """The test's database opened with nothing crawled in it (the first store's rows deleted)."""
    store = Store.open(db_url)
    with store._engine.begin() as c:
        for table in ("pending_tracking", "facts", "simhash_bands", "snapshots", "url_states", "articles"):
            c.execute(text(f"DELETE FROM {table}"))
    return store


@pytest.mark.parametrize("sizes", [(8,), (3, 5, 1), (2,), (12,)], ids=["by8", "mixed", "by2", "all"])
def test_a_batch_stores_what_its_pages_stored_in_turn_would(db_url: str, sizes: tuple[int, ...]) -> None:
    with emptied(db_url) as alone:
        pages = crawl_pages(alone.ensure_source("jmnews", region="江门", outlet="江门日报"))
        one_by_one = named(alone, [alone.store_fetched(p) for p in pages])
        expected = snapshot(alone)
    with emptied(db_url) as batched:
        pages = crawl_pages(batched.ensure_source("jmnews", region="江门", outlet="江门日报"))
        results: list[SaveResult] = []
        start, n = 0, 0
        while start < len(pages):
            size = sizes[n % len(sizes)]
            with batched.transaction():
                results += batched.store_fetched_many(pages[start : start + size])
            start, n = start + size, n + 1
        assert named(batched, results) == one_by_one
        assert snapshot(batched) == expected
    statuses = [status for status, _, _ in one_by_one]
    assert statuses.count("unchanged") == 1 and statuses.count("changed") == 2
    copies = {u.rsplit("/", 1)[1]: d.rsplit("/", 1)[1] for _, u, d in one_by_one if d}
    assert copies == {
        "post_20.html": "post_1.html",
        "post_21.html": "post_2.html",
        "post_24.html": "post_5.html",
        "post_25.html": "post_5.html",
        "post_26.html": "post_6.html",
        "post_28.html": "post_8.html",
    }  # post_29 repeats post_23, too short to be judged a copy: stored as an article of its own


def test_a_batch_of_new_pages_costs_the_statements_of_one(db_url: str) -> None:
    """Eight plainly new pages: a look-up, a probe, then one insert per table — not eight of each."""
    with emptied(db_url) as store:
        sid = store.ensure_source("jmnews", region="江门", outlet="江门日报")
        pages = crawl_pages(sid)[:8]
        counted: list[str] = []
        engine = store._engine
        listener = lambda *args: counted.append(args[2].split()[0])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            with store.transaction():
                saved = store.store_fetched_many(pages)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
    assert [s.status for s in saved] == ["new"] * 8
    # look-up, probe, articles, snapshots, bands, url states, facts, pending (BEGIN/COMMIT are not sent
    # through the cursor); a driver may split a multi-row insert, never into one statement a page
    assert counted.count("SELECT") == 2
    assert 6 <= counted.count("INSERT") < 8 * 6
