"""A crawled site for the dashboard: a local news site published and crawled in two rounds.

Round 1: the 八镇 2026 target (超1600亿元), two actuals and a project breaking ground.
Round 2: the target raised to 超1800亿元, a year-to-date actual, the project topping out.
Then the dashboard serves the same config and database.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.server import FixtureServer
from tests.test_tracking import LEXICON, NewsSite
from watcher.cli import main

ROUND_1 = [
    (
        "w1",
        "八镇联动发展行动方案印发",
        "2024-05-03",
        "江门日报",
        "方案提出，到2026年，八镇规上工业总产值超1600亿元。",
        "2023年，八镇完成规上工业总产值1180亿元，比上年有所增长。",
    ),
    ("w2", "八镇工业经济回顾", "2024-05-20", "江门日报", "2022年，八镇规上工业总产值达1050亿元。"),
    (
        "w3",
        "江门储能电池产业园项目开工",
        "2024-06-02",
        "江门日报",
        "5月30日，江门储能电池产业园项目正式开工。",
    ),
]
ROUND_2 = [
    (
        "w4",
        "八镇联动发展目标上调",
        "2024-09-01",
        "江门日报",
        "按照修订后的方案，到2026年，八镇规上工业总产值力争超1800亿元。",
    ),
    (
        "w5",
        "江门储能电池产业园项目封顶",
        "2024-09-10",
        "江门日报",
        "9月8日，江门储能电池产业园项目主体结构封顶。",
    ),
]


@dataclass(frozen=True)
class Crawled:
    config: Path
    database: str
    workdir: Path


def _config(tmp: Path, start: str) -> Path:
    path = tmp / "watcher.toml"
    path.write_text(
        f"""database_url = "sqlite:///{tmp / "watcher.db"}"
storage_dir = "{tmp}"
lexicon_dir = "{LEXICON}"

[fetch]
timeout_s = 5
retries = 0
[fetch.politeness]
min_delay_s = 0
per_host_concurrency = 4

[[sources]]
name = "江门新闻"
start_urls = ["{start}"]
region = "江门"
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="session")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    """The site crawled in two rounds with `watcher crawl`, on a config file of its own."""
    tmp = tmp_path_factory.mktemp("crawled")
    with FixtureServer() as server:
        site = NewsSite(server)
        config = _config(tmp, site.start)
        for batch in (ROUND_1, ROUND_2):
            for slug, title, published, outlet, *sentences in batch:
                site.publish(slug, title, published, outlet, *sentences)
            assert main(["--config", str(config), "crawl"]) == 0
        yield Crawled(config, f"sqlite:///{tmp / 'watcher.db'}", tmp)


class Served:
    """`watcher serve --port 0` in a subprocess; `url` is where it listens."""

    def __init__(self, config: Path, *args: str, env: dict[str, str] | None = None) -> None:
        command = [sys.executable, "-m", "watcher", "--config", str(config), "serve", "--port", "0", *args]
        self.process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
        assert self.process.stderr is not None
        line = self.process.stderr.readline()
        assert "serving http://" in line, line + self.process.stderr.read()
        self.url = line.split("serving ", 1)[1].split()[0].rstrip("/")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        if self.process.stderr is not None:
            self.process.stderr.close()


@pytest.fixture(scope="session")
def served(crawled: Crawled) -> Iterator[str]:
    server = Served(crawled.config)
    try:
        yield server.url
    finally:
        server.close()
