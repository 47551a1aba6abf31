"""The dashboard's server time per page with 100,000 facts stored, against the same pages on 1,000 facts.

    .venv/bin/python bench/bench_web.py [--facts 100000] [--peer-facts 1000] [--rounds 5] [--postgres URL]
                                        [--json]

Two stores are filled directly (no crawl: the tables as the pipeline leaves them), deterministically from
a seeded random.Random: sources with runs, articles with a snapshot each, five facts an article (nine in
ten values, one in ten milestones), an observation per fact filed under its series (60 subjects × 30
indicators × level/yoy, actuals by year and year-to-date, targets, forecasts), and a change for one
observation in six, an eighth of them alerts. Both are served by `watcher.service.Service` (uvicorn on
127.0.0.1, the daemon's endpoint) and asked for every page type; the server time is the `Server-Timing`
header the dashboard sets (request in, answer rendered), the wall time is the client's.

Rounds interleave the two stores page by page; the ratio is the median of the per-round ratios of server
times (big / peer). The budget is 200 ms server time per page on the big store: the run says which pages
(median of rounds) stay within it. SQLite by default (a file in a temporary directory); --postgres URL
(or $WATCHER_TEST_POSTGRES_URL with --postgres "") uses a schema of its own, dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import create_engine, insert, text

sys.path.append(str(Path(__file__).resolve().parent.parent))  # after PYTHONPATH (scripts/bench: compiled)

from watcher.app import build_app
from watcher.config import ROOT, Settings
from watcher.service import Service
from watcher.store import Store
from watcher.store.db import parse_url
from watcher.store.tables import (
    ArticleRecord,
    ChangeRecord,
    CrawlRun,
    FactRecord,
    MilestoneObservationRecord,
    ObservationRecord,
    SnapshotRecord,
    SourceRecord,
)

BUDGET_MS = 200.0
T0 = datetime(2024, 10, 1, 9, 0, tzinfo=UTC)
PLACES = ["江门", "蓬江", "江海", "新会", "台山", "开平", "鹤山", "恩平", "八镇", "银湖湾"]
TOWNS = [
    "沙塘",
    "杜阮",
    "会城",
    "睦洲",
    "崖门",
    "双水",
    "古井",
    "三江",
    "大泽",
    "司前",
    "罗坑",
    "大鳌",
    "水口",
    "龙胜",
    "月山",
    "宅梧",
    "址山",
    "共和",
    "雅瑶",
    "桃源",
    "古劳",
    "沙坪",
    "斗山",
    "都斛",
    "赤溪",
    "端芬",
    "广海",
    "海宴",
    "汶村",
    "深井",
    "川岛",
    "水步",
    "苍城",
    "赤坎",
    "百合",
    "塘口",
    "大沙",
    "马冈",
    "金鸡",
    "蚬冈",
    "赤水",
    "东成",
    "君堂",
    "良西",
    "大槐",
    "圣堂",
    "牛江",
    "沙湖",
    "那吉",
    "横陂",
    "大田",
    "荻海",
    "棠下",
    "荷塘",
    "外海",
    "礼乐",
]
SUBJECTS = (PLACES + [f"{t}镇" for t in TOWNS])[:60]
INDICATORS = [
    "地区生产总值",
    "规上工业总产值",
    "规上工业增加值",
    "固定资产投资",
    "社会消费品零售总额",
    "一般公共预算收入",
    "外贸进出口总额",
    "实际利用外资",
    "工业投资",
    "技改投资",
    "高新技术企业数",
    "专精特新企业数",
    "研发经费投入",
    "城镇居民人均可支配收入",
    "农村居民人均可支配收入",
    "新能源汽车产量",
    "储能电池产值",
    "港口货物吞吐量",
    "旅游总收入",
    "接待游客人次",
    "金融机构存款余额",
    "金融机构贷款余额",
    "民间投资",
    "基础设施投资",
    "房地产开发投资",
    "出口总额",
    "进口总额",
    "税收收入",
    "规上服务业营业收入",
    "数字经济核心产业增加值",
]
STAGE_ZH = {
    "signed": "签约",
    "started": "开工",
    "topped_out": "封顶",
    "completed": "竣工",
    "operational": "投产",
}
STAGES = list(STAGE_ZH)
KINDS = [
    "new_actual",
    "target_set",
    "target_changed",
    "forecast_revised",
    "figure_conflict",
    "milestone_reached",
]


def _series(rng: random.Random) -> tuple[str, str, str]:
    return rng.choice(SUBJECTS), rng.choice(INDICATORS), rng.choice(["level", "level", "yoy"])


def _observation(rng: random.Random, subject: str, indicator: str, measure: str) -> dict[str, Any]:
    roll = rng.random()
    kind = "actual" if roll < 0.8 else "target" if roll < 0.93 else "forecast"
    year = rng.randint(2016, 2024) if kind == "actual" else rng.randint(2024, 2030)
    span = (
        str(year) if kind != "actual" or rng.random() < 0.5 else f"{year}-01/{year}-{rng.randint(1, 11):02d}"
    )
    level = measure == "level"
    value = round(rng.uniform(50, 3000), 2) * 1e8 if level else round(rng.uniform(-3, 15), 1)
    return {
        "series": f"{indicator}|{subject}|{measure}|{kind}",
        "indicator": indicator,
        "subject": subject,
        "measure": measure,
        "kind": kind,
        "span": span,
        "value": value,
        "unit": "元" if level else "%",
        "qualifier": rng.choice("=" * 6 + ">~"),
    }


def _article(rng: random.Random, n: int, source_id: int) -> tuple[dict[str, Any], list[dict[str, Any]], str]:
    """An article row, its five facts (as observation-ready dicts) and its text."""
    published = date(2023, 1, 1) + timedelta(days=rng.randint(0, 640))
    facts, sentences = [], []
    for _ in range(5):
        if rng.random() < 0.1:
            park = rng.choice(["新材料", "储能", "智能装备", "物流"])
            project = f"{rng.choice(PLACES)}{park}产业园{n % 400}号项目"
            stage = rng.choice(STAGES)
            sentence = f"{published.month}月{published.day}日，{project}{STAGE_ZH[stage]}。"
            facts.append({"type": "milestone", "project": project, "stage": stage, "sentence": sentence})
        else:
            subject, indicator, measure = _series(rng)
            obs = _observation(rng, subject, indicator, measure)
            raw = f"{subject}{indicator}{obs['value']:g}{obs['unit']}"
            sentence = f"{obs['span']}，{raw}，同比保持增长。"
            facts.append({"type": "value", **obs, "raw": raw, "sentence": sentence})
        sentences.append(facts[-1]["sentence"])
    title = f"{rng.choice(PLACES)}经济运行情况通报（第{n}期）"
    body = "\n".join(sentences + ["全市上下将继续推动高质量发展，确保完成全年目标任务。"] * 2)
    row = {
        "id": n,
        "source_id": source_id,
        "url": f"https://news.example.invalid/{source_id}/{n}.html",
        "title": title,
        "published": published,
        "outlet": "江门日报",
        "first_seen": T0 - timedelta(minutes=n),
        "last_changed": T0 - timedelta(minutes=n),
        "content_hash": f"{n:064x}",
        "attachments": [],
    }
    return row, facts, body


def fill(url: str, facts: int, seed: int = 7) -> None:
    """A store with `facts` facts, as the pipeline leaves it; tables written in bulk."""
    Store.open(url).close()  # the schema, by the migrations
    rng = random.Random(seed)
    engine = create_engine(parse_url(url))
    sources = [{"id": i, "name": f"来源{i}", "region": PLACES[i % 3], "created_at": T0} for i in range(1, 11)]
    rows: dict[str, list[dict[str, Any]]] = {k: [] for k in ("a", "s", "f", "o", "m", "c")}
    for n in range(1, facts // 5 + 1):
        article, found, body = _article(rng, n, 1 + n % 10)
        rows["a"].append(article)
        rows["s"].append(
            {
                "id": n,
                "article_id": n,
                "fetched_at": T0,
                "content_hash": article["content_hash"],
                "text": body,
            }
            | {"raw_compressed": b"", "raw_hash": ""}
        )
        for fact in found:
            _file(rows, rng, n, article, fact)
    with engine.begin() as conn:
        conn.execute(insert(SourceRecord), sources)
        runs = [
            {"source_id": s["id"], "started_at": T0, "finished_at": T0, "ok": True, "stats": {}}
            for s in sources
        ]
        conn.execute(insert(CrawlRun), runs)
        for table, key in (
            (ArticleRecord, "a"),
            (SnapshotRecord, "s"),
            (FactRecord, "f"),
            (ObservationRecord, "o"),
            (MilestoneObservationRecord, "m"),
            (ChangeRecord, "c"),
        ):
            for start in range(0, len(rows[key]), 5000):
                conn.execute(insert(table), rows[key][start : start + 5000])
    if engine.dialect.name == "postgresql":  # what autovacuum does after a bulk load: planner statistics
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


FACT_COLUMNS = [c.name for c in FactRecord.__table__.columns if c.name != "id"]


def _fact_row(**values: Any) -> dict[str, Any]:
    return dict.fromkeys(FACT_COLUMNS) | values


def _file(
    rows: dict[str, list[dict[str, Any]]], rng: random.Random, n: int, article: dict[str, Any], fact: dict
) -> None:
    where = {
        "article_id": n,
        "url": article["url"],
        "outlet": article["outlet"],
        "published": article["published"],
    }
    seen = {"sentence": fact["sentence"], "seen_at": T0}
    if fact["type"] == "milestone":
        rows["f"].append(
            _fact_row(article_id=n, snapshot_id=n, type="milestone", project=fact["project"])
            | {"stage": fact["stage"], "raw": "", "sentence": fact["sentence"], "created_at": T0}
        )
        rows["m"].append(
            {"project": fact["project"], "name": fact["project"], "stage": fact["stage"]} | where | seen
        )
        new = {
            "type": "milestone",
            "project": fact["project"],
            "name": fact["project"],
            "stage": fact["stage"],
        }
    else:
        obs = {k: fact[k] for k in ("indicator", "subject", "measure", "kind", "value", "unit", "qualifier")}
        period = fact["span"] if fact["kind"] == "actual" else None
        deadline = None if period else fact["span"]
        rows["f"].append(
            _fact_row(article_id=n, snapshot_id=n, type="value", period=period, **obs)
            | {"deadline": deadline, "raw": fact["raw"], "sentence": fact["sentence"], "created_at": T0}
        )
        rows["o"].append(
            {"series": fact["series"], "span": fact["span"], "raw": fact["raw"], **obs} | where | seen
        )
        new = {"type": "value", **obs, "when": fact["span"], "raw": fact["raw"]}
    if rng.random() < 1 / 6:
        new["evidence"] = {
            "url": article["url"],
            "outlet": article["outlet"],
            "published": str(article["published"]),
        }
        new["evidence"]["sentence"] = fact["sentence"]
        kind = "milestone_reached" if fact["type"] == "milestone" else rng.choice(KINDS[:5])
        subject = (
            fact.get("project") or f"{fact['subject']} {fact['indicator']} {fact['measure']} {fact['kind']}"
        )
        rows["c"].append(
            {"key": secrets.token_hex(16), "kind": kind, "subject": subject, "summary_zh": fact["sentence"]}
            | {
                "summary_en": fact.get("raw") or fact["sentence"],
                "old": None,
                "new": new,
                "immediate": rng.random() < 0.125,
            }
            | {"article_id": n, "created_at": T0 - timedelta(minutes=n)}
        )


def pages(client: httpx.Client) -> dict[str, str]:
    """One URL per page type, found through the API as a user would click to it."""
    series = client.get("/api/series", params={"subject": "八镇", "kind": "target"}).json()["series"]
    project = client.get("/api/milestones", params={"limit": 1}).json()["projects"][0]["url"]
    article = client.get("/api/changes", params={"limit": 1}).json()["changes"][0]["article_url"]
    return {
        "overview /": "/",
        "changes": "/changes",
        "changes filtered": "/changes?" + f"kind=new_actual&subject={quote('蓬江')}&since=2023-01-01",
        "changes by region": f"/changes?region={quote('江门')}",
        "series list": "/series",
        "series search": f"/series?indicator={quote('投资')}",
        "series page": series[0]["url"],
        "projects": "/projects",
        "project page": project,
        "articles search": f"/articles?q={quote('通报')}",
        "article page": article,
        "api changes": "/api/changes?limit=100",
        "api series": f"/api/series?subject={quote('八镇')}",
        "api milestones": "/api/milestones",
        "api sources": "/api/sources",
        "api article": "/api" + article,
        "feed atom": "/feeds/changes.atom",
        "csv changes": "/export/changes.csv",
    }


def _time(client: httpx.Client, url: str) -> tuple[float, float]:
    start = time.perf_counter()
    response = client.get(url)
    wall = (time.perf_counter() - start) * 1000
    response.raise_for_status()
    server = float(response.headers["server-timing"].split("dur=")[1])
    return server, wall


def _settings(url: str, tmp: Path) -> Settings:
    sources = [
        {"name": f"来源{i}", "start_urls": [f"https://news.example.invalid/{i}/"]} for i in range(1, 11)
    ]
    return Settings.model_validate(
        {
            "database_url": url,
            "storage_dir": str(tmp),
            "lexicon_dir": str(ROOT / "config" / "lexicon"),
            "sources": sources,
        }
    )


def run(big_url: str, peer_url: str, tmp: Path, rounds: int) -> dict[str, dict[str, float]]:
    apps = [build_app(_settings(u, tmp), clock=lambda: T0) for u in (big_url, peer_url)]
    services = [Service(app, host="127.0.0.1", port=0).start() for app in apps]
    clients = [httpx.Client(base_url=s.url, timeout=60) for s in services]
    try:
        urls = [pages(c) for c in clients]
        for c, u in zip(clients, urls, strict=True):  # warm up: templates compiled, caches filled
            for url in u.values():
                _time(c, url)
        times: dict[str, list[tuple[float, float, float]]] = {name: [] for name in urls[0]}
        for _ in range(rounds):
            for name in urls[0]:
                big, wall = _time(clients[0], urls[0][name])
                peer, _ = _time(clients[1], urls[1][name])
                times[name].append((big, wall, peer))
        return {
            name: {
                "server_ms": statistics.median(t[0] for t in ts),
                "server_max_ms": max(t[0] for t in ts),
                "wall_ms": statistics.median(t[1] for t in ts),
                "peer_server_ms": statistics.median(t[2] for t in ts),
                "ratio": statistics.median(t[0] / max(t[2], 0.01) for t in ts),
            }
            for name, ts in times.items()
        }
    finally:
        for c in clients:
            c.close()
        for s in services:
            s.close()
        for app in apps:
            app.close()


def _postgres_urls(base: str) -> tuple[list[str], Any]:
    admin = create_engine(parse_url(base))
    names = [f"watcher_bench_{secrets.token_hex(4)}" for _ in range(2)]
    urls = [parse_url(base).update_query_dict({"options": f"-csearch_path={n}"}) for n in names]
    with admin.begin() as conn:
        for n in names:
            conn.execute(text(f'CREATE SCHEMA "{n}"'))

    def drop() -> None:
        with admin.begin() as conn:
            for n in names:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{n}" CASCADE'))
        admin.dispose()

    return [u.render_as_string(hide_password=False) for u in urls], drop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facts", type=int, default=100_000)
    parser.add_argument("--peer-facts", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--postgres", nargs="?", const="", help="PostgreSQL URL (empty: $WATCHER_TEST_POSTGRES_URL)"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_web_") as tmp_dir:
        tmp = Path(tmp_dir)
        drop = None
        if args.postgres is not None:
            (big, peer), drop = _postgres_urls(args.postgres or os.environ["WATCHER_TEST_POSTGRES_URL"])
        else:
            big, peer = f"sqlite:///{tmp / 'big.db'}", f"sqlite:///{tmp / 'peer.db'}"
        try:
            start = time.perf_counter()
            fill(big, args.facts)
            fill(peer, args.peer_facts)
            filled = time.perf_counter() - start
            results = run(big, peer, tmp, args.rounds)
        finally:
            if drop is not None:
                drop()
    backend = "postgresql" if args.postgres is not None else "sqlite"
    if args.json:
        print(json.dumps({"backend": backend, "facts": args.facts, "results": results}, ensure_ascii=False))
        return 0
    print(f"bench_web: {backend}, {args.facts:,} facts vs {args.peer_facts:,}, {args.rounds} rounds")
    print(f"python {platform.python_version()}, {os.cpu_count()} cores; stores filled in {filled:.1f} s")
    print(f"{'page':<20} {'server ms':>10} {'max':>8} {'wall ms':>8} {'peer ms':>8} {'ratio':>6}")
    for name, r in results.items():
        flag = "" if r["server_ms"] < BUDGET_MS else "  over budget"
        print(
            f"{name:<20} {r['server_ms']:>10.1f} {r['server_max_ms']:>8.1f} {r['wall_ms']:>8.1f} "
            f"{r['peer_server_ms']:>8.1f} {r['ratio']:>6.1f}{flag}"
        )
    worst = max(results, key=lambda n: results[n]["server_ms"])
    within = sum(r["server_ms"] < BUDGET_MS for r in results.values())
    print(
        f"{within}/{len(results)} pages within {BUDGET_MS:.0f} ms; "
        f"slowest: {worst} {results[worst]['server_ms']:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
