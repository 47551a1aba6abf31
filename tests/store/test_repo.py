"""The Store API on every backend: sources, URL state, articles and snapshots, near-duplicates, facts,
runs, queries, and what an error leaves behind."""

from __future__ import annotations

import hashlib
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import event, text

from tests.store.conftest import T0, dev_text
from tests.store.test_neardup import body, renumbered, repost
from watcher.errors import StoreError
from watcher.models import Article, Milestone, ValueFact, fact_to_dict
from watcher.store import Store, Validators, repo, writes
from watcher.store.db import open_engine

GDP = ValueFact(
    indicator="规上工业增加值", subject="江门", measure="yoy", kind="actual", value=5.2, unit="%",
    qualifier="=", period="2023-01/2023-10", deadline=None, raw="同比增长5.2%", sentence="……同比增长5.2%。",
)  # fmt: skip
OUTPUT = ValueFact(
    indicator="规上工业总产值", subject="江门大型产业集聚区", measure="level", kind="actual", value=2740.45e8,
    unit="元", qualifier="=", period="2022-01/2022-10", deadline=None, raw="2740.45亿元", sentence="……",
    quantity="2740.45亿元",
)  # fmt: skip
TOPPED = Milestone(
    project="华南光电显示模组项目", stage="topped_out", date="2024-06", sentence="……已于6月底封顶"
)


def save(store: Store, source_id: int, url: str, text_: str, *, at: int = 0, raw: bytes = b"<html/>"):
    article = Article(url=url, text=text_, title=text_[:10], published=date(2024, 7, 25), outlet="江门日报")
    return store.save_article(
        source_id=source_id, url=url, article=article, raw=raw, fetched_at=T0 + timedelta(hours=at)
    )


def test_ensure_source_is_idempotent(store: Store) -> None:
    first = store.ensure_source("tjj", region="江门", outlet=None)
    assert store.ensure_source("tjj", region="江门", outlet=None) == first
    assert store.ensure_source("tjj", region="台山", outlet="台山市统计局") == first  # config changed
    assert store.ensure_source("fgj", region=None, outlet=None) != first


def test_url_state_roundtrip(store: Store, source_id: int) -> None:
    url = "http://www.jiangmen.gov.cn/list/index.html"
    assert store.validators(url) is None
    sent = Validators(etag='W/"5f-1a"', last_modified="Mon, 22 Jul 2024 08:00:00 GMT")
    store.save_url_state(url, source_id=source_id, kind="listing", status=200, validators=sent, fetched_at=T0)
    assert store.validators(url) == sent
    store.save_url_state(
        url,
        source_id=source_id,
        kind="listing",
        status=304,
        validators=Validators(),
        fetched_at=T0 + timedelta(hours=6),
    )
    assert store.validators(url) == sent  # a bare 304 confirms what was sent
    newer = Validators(etag='"v2"', last_modified=None)
    store.save_url_state(
        url, source_id=source_id, kind="listing", status=200, validators=newer, fetched_at=T0
    )
    assert store.validators(url) == newer
    store.save_url_state(
        url, source_id=source_id, kind="listing", status=404, validators=Validators(), fetched_at=T0
    )
    assert store.validators(url) is None


def test_new_unchanged_changed(store: Store, source_id: int) -> None:
    url = "http://www.jmnews.com.cn/a/1.html"
    text_ = body(dev_text("001"))
    new = save(store, source_id, url, text_)
    assert new.status == "new" and new.snapshot_id is not None and new.duplicate_of is None
    same = save(store, source_id, url, text_.replace("\n", "\n\n  "), at=6)  # whitespace only
    assert same == repo.SaveResult("unchanged", new.article_id, None, None)
    changed = save(store, source_id, url, text_.replace("5.2%", "5.3%"), at=12)
    assert changed.status == "changed" and changed.article_id == new.article_id
    assert changed.snapshot_id not in (None, new.snapshot_id)
    assert save(store, source_id, url, text_.replace("5.2%", "5.3%"), at=18).status == "unchanged"
    [row] = store.articles()
    assert row.snapshots == 2
    assert (row.first_seen, row.last_changed) == (T0, T0 + timedelta(hours=12))
    assert store.known_article_urls(source_id) == {url}
    assert store.known_article_urls(store.ensure_source("other", region=None, outlet=None)) == set()


def test_raw_is_stored_compressed_and_read_back(store: Store, source_id: int, db_url: str) -> None:
    raw = ("<html><meta charset=gbk>" + body(dev_text("002"))).encode("gbk", "replace") + bytes(range(256))
    saved = save(store, source_id, "http://www.jiangmen.gov.cn/fgj/1.html", body(dev_text("002")), raw=raw)
    assert saved.snapshot_id is not None
    snapshot = store.snapshot(saved.snapshot_id)
    assert snapshot is not None
    assert snapshot.raw == raw and snapshot.raw_hash == hashlib.sha256(raw).hexdigest()
    assert snapshot.text == body(dev_text("002")) and snapshot.fetched_at == T0
    engine = open_engine(db_url)
    try:
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT raw_compressed FROM snapshots")).scalar_one()
    finally:
        engine.dispose()
    assert len(stored) < len(raw)
    assert store.snapshot(saved.snapshot_id + 100) is None


def test_near_duplicates_link_to_the_first_copy(store: Store) -> None:
    paper, portal, bureau = (
        store.ensure_source(n, region="江门", outlet=None) for n in ("paper", "portal", "gov")
    )
    original = body(dev_text("007"))
    first = save(store, paper, "http://epaper.jmnews.com.cn/1.html", original)
    copy = save(store, portal, "http://kuaibao.example.com/9.html", repost(original), at=1)
    again = save(store, bureau, "http://www.jiangmen.gov.cn/tzcj/5.html", dev_text("007"), at=2)
    assert first.duplicate_of is None
    assert copy.status == "new" and copy.snapshot_id is not None
    assert copy.duplicate_of == first.article_id
    assert again.duplicate_of == first.article_id
    rows = {r.url: r for r in store.articles()}
    assert rows["http://kuaibao.example.com/9.html"].duplicate_of == "http://epaper.jmnews.com.cn/1.html"
    assert rows["http://epaper.jmnews.com.cn/1.html"].duplicate_of is None


def test_different_articles_on_the_same_topic_are_not_linked(store: Store, source_id: int) -> None:
    results = [
        save(store, source_id, f"http://www.jiangmen.gov.cn/{doc}.html", body(dev_text(doc)))
        for doc in ("001", "002", "004", "005", "007", "008")
    ]
    monthly = body(dev_text("001"))
    results.append(save(store, source_id, "http://www.jiangmen.gov.cn/001-next.html", renumbered(monthly)))
    assert [r.duplicate_of for r in results] == [None] * len(results)


def test_an_article_that_becomes_a_copy_loses_its_facts(store: Store, source_id: int) -> None:
    first = save(store, source_id, "http://a/1.html", body(dev_text("003")))
    later = save(store, source_id, "http://b/1.html", body(dev_text("004")))
    assert later.snapshot_id is not None
    store.replace_facts(later.article_id, later.snapshot_id, [GDP])
    now_copy = save(store, source_id, "http://b/1.html", repost(body(dev_text("003"))), at=3)
    assert (now_copy.status, now_copy.duplicate_of) == ("changed", first.article_id)
    assert store.facts() == []


def test_replace_facts_replaces(store: Store, source_id: int) -> None:
    saved = save(store, source_id, "http://a/1.html", body(dev_text("001")))
    assert saved.snapshot_id is not None
    assert store.replace_facts(saved.article_id, saved.snapshot_id, [GDP, OUTPUT, GDP, TOPPED]) == 3
    assert [(f.type, f.indicator or f.project) for f in store.facts()] == [
        ("value", "规上工业增加值"),
        ("value", "规上工业总产值"),
        ("milestone", "华南光电显示模组项目"),
    ]
    changed = save(store, source_id, "http://a/1.html", body(dev_text("001")) + "\n补充一段。", at=1)
    assert changed.snapshot_id is not None
    assert store.replace_facts(changed.article_id, changed.snapshot_id, [OUTPUT]) == 1
    [fact] = store.facts()
    assert fact.value == 274045000000 and isinstance(fact.value, int)
    assert (fact.quantity, fact.seen_at, fact.duplicate) == ("2740.45亿元", T0 + timedelta(hours=1), False)
    with pytest.raises(ValueError, match="not a snapshot of article"):
        store.replace_facts(changed.article_id + 1, changed.snapshot_id, [GDP])


def test_fact_rows_carry_the_jsonl_contract(store: Store, source_id: int) -> None:
    saved = save(store, source_id, "http://a/1.html", body(dev_text("001")))
    assert saved.snapshot_id is not None
    store.replace_facts(saved.article_id, saved.snapshot_id, [OUTPUT, TOPPED])
    value, milestone = store.facts()
    for row, fact in ((value, OUTPUT), (milestone, TOPPED)):
        contract = fact_to_dict(fact, "http://a/1.html")
        assert {k: getattr(row, k) for k in contract} == contract
    assert (value.outlet, value.published, value.source) == ("江门日报", date(2024, 7, 25), "jmnews")


def test_runs_and_consecutive_failures(store: Store, source_id: int, db_url: str) -> None:
    assert store.consecutive_failures(source_id) == 0
    outcomes = [None, "timeout", "HTTP 503", None, "blocked", "blocked"]
    for hour, error in enumerate(outcomes):
        run = store.start_run(source_id, T0 + timedelta(hours=hour))
        store.finish_run(
            run, finished_at=T0 + timedelta(hours=hour, minutes=5), stats={"new": hour}, error=error
        )
    store.start_run(source_id, T0 + timedelta(hours=9))  # still running: not a failure yet
    assert store.consecutive_failures(source_id) == 2
    other = store.ensure_source("other", region=None, outlet=None)
    store.finish_run(store.start_run(other, T0), finished_at=T0, stats={}, error="DNS")
    assert store.consecutive_failures(other) == 1
    engine = open_engine(db_url)
    try:
        with engine.connect() as conn:
            runs = conn.execute(text("SELECT ok, error, stats FROM crawl_runs ORDER BY id")).all()
    finally:
        engine.dispose()
    assert [r[0] for r in runs[:3]] == [True, False, False]
    assert runs[1][1] == "timeout"
    assert runs[5][2] in ({"new": 5}, '{"new": 5}')  # JSON comes back decoded on PostgreSQL only


def test_queries_filter_by_source_time_and_indicator(store: Store) -> None:
    tjj = store.ensure_source("tjj", region=None, outlet=None)
    fgj = store.ensure_source("fgj", region=None, outlet=None)
    a = save(store, tjj, "http://tjj/1.html", body(dev_text("001")), at=0)
    b = save(store, fgj, "http://fgj/1.html", body(dev_text("002")), at=24)
    c = save(store, tjj, "http://tjj/2.html", body(dev_text("005")), at=48)
    for saved, facts in ((a, [GDP]), (b, [OUTPUT]), (c, [GDP, TOPPED])):
        assert saved.snapshot_id is not None
        store.replace_facts(saved.article_id, saved.snapshot_id, facts)
    assert [r.url for r in store.articles()] == [
        "http://tjj/2.html",
        "http://fgj/1.html",
        "http://tjj/1.html",
    ]
    assert [r.url for r in store.articles(source="tjj")] == ["http://tjj/2.html", "http://tjj/1.html"]
    recent = store.articles(since=T0 + timedelta(hours=24))
    assert [r.url for r in recent] == ["http://tjj/2.html", "http://fgj/1.html"]
    assert [r.url for r in store.articles(limit=1)] == ["http://tjj/2.html"]
    assert store.articles(source="nobody") == []
    assert [r.facts for r in store.articles()] == [2, 1, 1]
    assert [f.url for f in store.facts(indicator="增加值")] == ["http://tjj/1.html", "http://tjj/2.html"]
    assert [f.url for f in store.facts(source="fgj")] == ["http://fgj/1.html"]
    assert len(store.facts(since=T0 + timedelta(hours=48))) == 2
    assert store.facts(indicator="%") == []  # LIKE wildcards are literal


def test_a_failed_save_stores_nothing(store: Store, source_id: int) -> None:
    with pytest.raises(StoreError):
        save(store, source_id + 99, "http://a/1.html", body(dev_text("001")))  # no such source
    assert store.articles() == [] and store.known_article_urls(source_id + 99) == set()
    assert save(store, source_id, "http://a/1.html", body(dev_text("001"))).status == "new"


def test_a_transaction_stores_everything_or_nothing(store: Store, source_id: int) -> None:
    url = "http://a/1.html"
    with pytest.raises(RuntimeError, match="crash"), store.transaction():
        saved = save(store, source_id, url, body(dev_text("001")))
        assert saved.snapshot_id is not None
        with store.transaction():  # an inner transaction joins the outer one: nothing is committed here
            store.replace_facts(saved.article_id, saved.snapshot_id, [GDP, TOPPED])
        store.save_url_state(
            url, source_id=source_id, kind="article", status=200, validators=Validators('"v1"'), fetched_at=T0
        )
        assert [r.url for r in store.articles()] == [url], "the transaction sees its own writes"
        raise RuntimeError("crash after the facts and the URL state")
    assert store.articles() == [] and store.facts() == [] and store.validators(url) is None
    with store.transaction():
        saved = save(store, source_id, url, body(dev_text("001")))
        assert saved.status == "new" and saved.snapshot_id is not None
        store.replace_facts(saved.article_id, saved.snapshot_id, [GDP, TOPPED])
        store.save_url_state(
            url, source_id=source_id, kind="article", status=200, validators=Validators('"v1"'), fetched_at=T0
        )
    assert [r.facts for r in store.articles()] == [2] and store.validators(url) == Validators('"v1"')


def test_a_database_error_in_a_transaction_undoes_all_of_it(store: Store, source_id: int) -> None:
    with pytest.raises(StoreError), store.transaction():
        save(store, source_id, "http://a/1.html", body(dev_text("001")))
        store.save_url_state(  # no such source: the foreign key fails
            "http://a/1.html", source_id=source_id + 99, kind="article", status=200,
            validators=Validators(), fetched_at=T0,
        )  # fmt: skip
    assert store.articles() == [] and store.known_article_urls(source_id) == set()


def test_another_thread_does_not_join_a_transaction(store: Store, source_id: int) -> None:
    seen: list[int] = []
    with store.transaction():
        save(store, source_id, "http://a/1.html", body(dev_text("001")))
        reader = threading.Thread(target=lambda: seen.append(len(store.articles())))
        reader.start()
        reader.join()
    assert seen == [0], "another thread (the lease keeper, the delivery job) sees only what is committed"
    assert len(store.articles()) == 1


def test_replace_facts_failing_midway_keeps_the_old_facts(
    store: Store, source_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = save(store, source_id, "http://a/1.html", body(dev_text("001")))
    assert saved.snapshot_id is not None
    store.replace_facts(saved.article_id, saved.snapshot_id, [GDP, OUTPUT])
    real = writes.fact_row

    def failing(fact, *args):
        if fact is TOPPED:
            raise RuntimeError("extractor bug")
        return real(fact, *args)

    monkeypatch.setattr(writes, "fact_row", failing)
    with pytest.raises(RuntimeError):
        store.replace_facts(saved.article_id, saved.snapshot_id, [OUTPUT, TOPPED])
    assert [f.indicator for f in store.facts()] == ["规上工业增加值", "规上工业总产值"]


def test_naive_datetimes_are_refused(store: Store, source_id: int) -> None:
    with pytest.raises(StoreError, match="naive datetime"):
        store.start_run(source_id, T0.replace(tzinfo=None))


def test_candidates_are_found_through_the_band_index(store: Store, source_id: int, db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("query plans are checked on SQLite")
    for doc in ("001", "002", "003"):
        save(store, source_id, f"http://a/{doc}.html", body(dev_text(doc)))
    seen: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("SELECT") and "simhash_bands" in statement:
            seen.append((statement, parameters))

    event.listen(store._engine, "before_cursor_execute", capture)
    save(store, source_id, "http://b/1.html", repost(body(dev_text("001"))))
    event.remove(store._engine, "before_cursor_execute", capture)
    [(statement, parameters)] = seen
    with store._engine.connect() as conn:
        plan = [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
    # the probe keys come as one JSON array, scanned as a virtual table; no stored table is scanned
    assert any(step.startswith("SEARCH simhash_bands USING") for step in plan), plan
    assert not [step for step in plan if step.startswith("SCAN") and "VIRTUAL TABLE" not in step], plan
