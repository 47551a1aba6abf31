"""The cost of storing an article does not grow with the store: rows read per article, counted at the
driver, as a crawl of 2,000 articles goes on.

The crawl's store side runs for real (watcher.ingest: decode, parse, extract, observe, store, track) on
generated GBK pages handed over as fetched, so 2,000 articles take seconds, not a site's worth of HTTP.
The figures come from a fixed set (places, a two-month cycle of dates, forty fixture paragraphs), so
after the first few hundred articles every series and figure is known, and what an article reads could
only grow with the store itself. Around the figures, each article has paragraphs of four fixture stories
(tests/data/sites/texts.py), as bench/bench_crawl.py builds its site: articles alike in kind, not copies
of one template. The articles repeat figures the way news does (the same quarter's growth in many
reports, targets restated, projects advancing), so each series and project is touched again and again as
the store grows.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, event

from tests.data.sites.texts import FGJ, JMYW, PORTAL
from watcher.config import FetchSettings, SourceSpec
from watcher.extract import Extractor
from watcher.fetch.client import Fetcher, FetchResult
from watcher.ingest import Ingest
from watcher.models import Validators
from watcher.pipeline import Crawl, CrawlSummary
from watcher.store import Store, db, writes

PARAGRAPHS = [p for story in (*JMYW, *FGJ, *PORTAL) for p in story.paragraphs][
    :40
]  # their series known early
PLACES = ["江门", "蓬江", "江海", "新会", "台山", "开平", "鹤山", "恩平"]
PROJECTS = [f"{p}{n}号智能制造产业园项目" for p in PLACES for n in range(1, 4)]
STAGES = ["正式开工", "主体结构封顶", "建成投产"]
WHO = [
    "市发展改革局",
    "市工业和信息化局",
    "各镇街",
    "高新区管委会",
    "市住建局",
    "市商务局",
    "园区企业",
    "市交通运输局",
    "市农业农村局",
    "市科技局",
    "市市场监管局",
    "侨乡文旅部门",
]
DOES = [
    "加快推进",
    "统筹谋划",
    "持续优化",
    "大力实施",
    "认真落实",
    "着力破解",
    "深入开展",
    "全面提升",
    "扎实做好",
    "积极探索",
    "有序推动",
    "重点保障",
]
WHAT = [
    "营商环境改革",
    "重大项目建设",
    "城市更新行动",
    "乡村振兴示范带",
    "产业链招商",
    "数字政府建设",
    "绿色低碳转型",
    "民生实事工程",
    "科技创新平台",
    "港口物流枢纽",
    "文旅融合发展",
    "人才引育计划",
]
SYLLABLES = (
    "安宝北昌成大德东丰福富港广海和恒华汇佳江金锦京康蓝乐利联隆美"
    "明南宁鹏平启仁瑞盛泰天通万伟祥新信兴旭阳怡永裕远粤云泽正志中众卓"
)
HOW = [
    "，确保年底前取得明显成效。",
    "，形成一批可复制可推广的经验。",
    "，切实增强群众获得感。",
    "，为高质量发展注入新动能。",
    "，推动各项工作落地见效。",
    "，不断提升服务质量和水平。",
]


class CountingCursor(sqlite3.Cursor):
    """Counts the rows fetched; those of near-duplicate probes apart (`probing`, set per statement)."""

    rows = 0
    probe_rows = 0
    probing = False

    def _count(self, n: int) -> None:
        if CountingCursor.probing:
            CountingCursor.probe_rows += n
        else:
            CountingCursor.rows += n

    def fetchone(self) -> Any:
        row = super().fetchone()
        self._count(row is not None)
        return row

    def fetchmany(self, size: int | None = None) -> list[Any]:
        rows = super().fetchmany(size) if size is not None else super().fetchmany()
        self._count(len(rows))
        return rows

    def fetchall(self) -> list[Any]:
        rows = super().fetchall()
        self._count(len(rows))
        return rows


def _statement(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
    CountingCursor.probing = "FROM simhash_bands" in statement


class CountingConnection(sqlite3.Connection):
    def cursor(self, factory: Any = CountingCursor) -> Any:
        return super().cursor(factory)


def counting_store(path: str) -> Store:
    url = f"sqlite:///{path}"
    engine = create_engine(db.parse_url(url), connect_args={"factory": CountingConnection})
    event.listen(engine, "connect", db._sqlite_pragmas)
    event.listen(engine, "before_cursor_execute", _statement)
    db.upgrade(engine)
    return Store(engine, url)


def sentence(rng: random.Random) -> str:
    """A sentence of the kind around the figures, with a company of its own: no two articles alike."""
    company = "".join(rng.choices(SYLLABLES, k=4)) + "公司"
    return rng.choice(WHO) + "联合" + company + rng.choice(DOES) + rng.choice(WHAT) + rng.choice(HOW)


def page(n: int, rng: random.Random) -> tuple[str, bytes]:
    day = date(2024, 1, 1) + timedelta(days=n % 60)  # every 60 articles span the same periods
    month = min(12, max(2, day.month))
    place, other = rng.sample(PLACES, 2)
    growth = 3 + PLACES.index(place) * 0.3 + month * 0.1  # the same for a place and period, any article
    target = 1000 + 100 * PLACES.index(other)
    project = rng.choice(PROJECTS)
    text = [
        f"{day.year}年1-{month}月，{place}规上工业增加值同比增长{growth:.1f}%。",
        f"按照行动方案，到2026年，{other}规上工业总产值超{target}亿元。",
        f"{project}{STAGES[(n // 400 + PROJECTS.index(project)) % 3]}。",
        *rng.sample(PARAGRAPHS, 4),
        *(sentence(rng) for _ in range(2)),
        f"本报讯 第{n}期 编号{rng.getrandbits(40):x}。",
    ]
    body = "".join(f"<p>{line}</p>" for line in text)
    html = (
        f"<html><head><meta charset='gbk'><title>{place}经济运行情况{n}</title></head><body>"
        f"<h1>{place}经济运行情况{n}</h1><div class='date'>发布时间：{day.isoformat()} 09:00</div>"
        f"<div class='content'>{body}</div></body></html>"
    )
    return f"http://127.0.0.1/news/content/post_{n}.html", html.encode("gbk")


def crawl_into(store: Store, extractor: Extractor, first: int, count: int) -> CrawlSummary:
    """Hand `count` generated pages to the store side of a source run, as a fetcher would."""
    spec = SourceSpec(name="新闻", start_urls=["http://127.0.0.1/news/"])
    summary = CrawlSummary(spec.name)
    clock = lambda: datetime(2025, 1, 1, tzinfo=UTC)  # noqa: E731
    rng = random.Random(first)

    async def run() -> None:
        async with Fetcher(FetchSettings()) as fetcher:
            crawl = Crawl(spec, fetcher, store, extractor, "江门", clock=clock)
            source_id = store.ensure_source(spec.name, region=None, outlet=None)
            ingest = Ingest(crawl, source_id, summary)
            for n in range(first, first + count):
                url, body = page(n, rng)
                result = FetchResult(
                    url, url, 200, body, "text/html; charset=gbk", Validators(), False, 1, 0.0
                )
                await ingest.put(url, result)
            await ingest.finish()

    asyncio.run(run())
    assert summary.errors == 0 and summary.new == count, summary
    return summary


def rows_read(store: Store, extractor: Extractor, first: int, count: int) -> tuple[float, float]:
    """Rows read an article: (all but the near-duplicate probes', the probes')."""
    rows, probes = CountingCursor.rows, CountingCursor.probe_rows
    crawl_into(store, extractor, first, count)
    return (CountingCursor.rows - rows) / count, (CountingCursor.probe_rows - probes) / count


def test_rows_read_per_article_do_not_grow_with_the_store(tmp_path, extractor):
    """Rows read an article by the crawl of 200 articles into a store of 800, and of 200 more into a store
    of 1,800 (a crawl of 2,000 in all): the series and projects the articles name are all known by then,
    so what is left to grow is what grows with the store."""
    store = counting_store(str(tmp_path / "watcher.db"))
    try:
        first_200, _ = rows_read(store, extractor, 0, 200)
        rows_read(store, extractor, 200, 600)
        at_1000, probes_1000 = rows_read(store, extractor, 800, 200)
        rows_read(store, extractor, 1000, 800)
        at_2000, probes_2000 = rows_read(store, extractor, 1800, 200)
        changes = len(store.change_rows())
    finally:
        store.close()
    print(f"rows read an article: {first_200:.1f} (first 200), {at_1000:.1f} (200 after 800), "
          f"{at_2000:.1f} (200 after 1,800); probes {probes_1000:.1f}, {probes_2000:.1f}")  # fmt: skip
    assert changes > 50, "the articles move their series and projects: tracking has work to do"
    assert at_1000 > 5, "the count counts"
    assert at_2000 <= at_1000 * 1.1, (at_1000, at_2000)
    assert probes_2000 <= writes.MAX_CANDIDATES, "look-alike texts match each other's bands: capped"
