"""What a user reads: stored facts as the article wrote them, alerts with old → new in full, help on
every command and option, one short line per fetch problem, and where alerts go without a channel.

A local news site (tests/test_tracking.py's NewsSite) is crawled by the real pipeline; the commands
run through the CLI's main().
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.server import FixtureServer
from tests.test_tracking import LEXICON, NewsSite
from watcher.app import App, build_app
from watcher.cli import build_parser, main
from watcher.config import load_settings

TARGET = "按照行动方案，到2026年，八镇规上工业总产值超1600亿元。"
RAISED = "方案提出，到2026年，八镇规上工业总产值超1800亿元。"


@pytest.fixture
def site() -> Iterator[NewsSite]:
    with FixtureServer() as server:
        yield NewsSite(server)


@pytest.fixture
def config(tmp_path: Path, site: NewsSite, db_url: str) -> Path:
    path = tmp_path / "watcher.toml"
    path.write_text(
        f'database_url = "{db_url}"\nlexicon_dir = "{LEXICON}"\n'
        "[fetch]\nretries = 0\n[fetch.politeness]\nmin_delay_s = 0\n"
        f'[[sources]]\nname = "新闻"\nstart_urls = ["{site.start}"]\n',
        encoding="utf-8",
    )
    return path


def app_of(config: Path, *, channels: str = "") -> App:
    if channels:
        config.write_text(config.read_text(encoding="utf-8") + channels, encoding="utf-8")
    return build_app(load_settings(config), clock=lambda: datetime(2024, 10, 1, 9, 0, tzinfo=UTC))


def crawl(app: App) -> None:
    try:
        (summary,) = asyncio.run(app.crawl(app.settings.sources))
    finally:
        app.close()
    assert summary.error is None and summary.errors == 0, summary.line()


def test_facts_show_the_value_as_the_article_wrote_it(site, config, capsys):
    site.publish("t1", "八镇联动发展行动方案出台", "2024-05-03", "江门日报", TARGET)
    site.publish(
        "a1",
        "前三季度全市经济运行情况",
        "2024-10-20",
        "江门市统计局",
        "前三季度，全市规上工业总产值2740.45亿元，同比增长5.1%。年末常住人口约482.2万人。",
    )
    crawl(app_of(config))
    assert main(["--config", str(config), "facts"]) == 0
    out = capsys.readouterr().out
    (target,) = [line for line in out.splitlines() if ">1600亿元" in line]
    assert target.split()[:5] == ["规上工业总产值", "八镇", "by", "2026", ">1600亿元"]
    (actual,) = [line for line in out.splitlines() if " 2740.45亿元 " in line]
    assert actual.split()[:4] == ["规上工业总产值", "江门", "2024-01/2024-09", "2740.45亿元"]
    assert "5.1% (yoy)" in out and "~482.2万人" in out
    assert "e+" not in out  # never 2.74045e+11元


def test_alerts_show_old_and_new_in_full(site, config, capsys):
    site.publish("t1", "八镇联动发展行动方案出台", "2024-05-03", "江门日报", TARGET)
    crawl(app_of(config))
    url = site.publish("t2", "八镇联动发展行动方案修订", "2024-08-03", "江门日报", RAISED)
    crawl(app_of(config))
    assert main(["--config", str(config), "alerts"]) == 0
    lines = capsys.readouterr().out.splitlines()
    (changed,) = [n for n, line in enumerate(lines) if "target_changed" in line]
    assert lines[changed].endswith("八镇 规上工业总产值 2026年目标: 超1600亿元 → 超1800亿元 (上调)")
    assert lines[changed + 1].strip() == url


def test_alerts_raised_without_a_channel_are_kept_but_not_sent_to_one_added_later(
    site, config, webhook_receiver, capsys
):
    site.publish("t1", "八镇联动发展行动方案出台", "2024-05-03", "江门日报", TARGET)
    crawl(app_of(config))  # no channel: the target_set alert is recorded
    assert main(["--config", str(config), "alerts"]) == 0
    assert "target_set" in capsys.readouterr().out

    receiver = webhook_receiver()
    app = app_of(config, channels=f'[[channels]]\ntype = "webhook"\nname = "ops"\nurl = "{receiver.url}"\n')
    try:
        assert app.deliver().sent == 0 and receiver.requests == []  # the earlier alert is not sent now
    finally:
        app.close()
    site.publish("t2", "八镇联动发展行动方案修订", "2024-08-03", "江门日报", RAISED)
    crawl(app)
    try:
        assert app.deliver().sent == 1
    finally:
        app.close()
    (request,) = receiver.requests
    assert "超1800亿元" in request.body.decode("utf-8")


def _commands(
    parser: argparse.ArgumentParser, path: str = "watcher"
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands(sub, f"{path} {name}")


def test_every_command_and_option_has_help():
    commands = dict(_commands(build_parser()))
    assert {"watcher extract", "watcher check-config", "watcher run", "watcher subscribers add"} <= set(
        commands
    )
    for path, parser in commands.items():
        assert parser.description, f"{path}: no description"
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                continue
            assert action.help, f"{path} {'/'.join(action.option_strings) or action.dest}: no help"


def test_the_top_help_names_the_first_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "figures, targets and" in out and "watcher extract docs/examples/sample_article.html" in out
    assert "check-config" in out and "where data goes" in out


def test_a_document_that_is_not_html_is_one_line_naming_it(site, config, caplog):
    site.server.set_file("/news/content/post_1999999.html", b"%PDF-1.4", "application/pdf")
    site.items.insert(
        0, '<li><a href="content/post_1999999.html">2024年统计公报附表下载</a><span>2024-06-01</span></li>'
    )
    site.publish("t1", "八镇联动发展行动方案出台", "2024-05-03", "江门日报", TARGET)
    app = app_of(config)
    try:
        (summary,) = asyncio.run(app.crawl(app.settings.sources))
    finally:
        app.close()
    pdf = site.server.url("/news/content/post_1999999.html")
    # named in the log, counted apart: a PDF linked from a listing is not an error of the run
    assert summary.failures == [] and summary.errors == 0 and summary.skipped == 1
    assert f"{pdf}: not HTML (application/pdf), skipped" in caplog.messages
    assert summary.line().startswith(f"{summary.source}: ok ") and ", 1 not HTML skipped (" in summary.line()


def test_an_unreachable_robots_txt_is_one_short_line(tmp_path, capsys, caplog):
    with FixtureServer() as server:
        closed = server.url("/news/index.html")  # nothing listens here once the server is closed
    config = tmp_path / "watcher.toml"
    config.write_text(
        f'[fetch]\nretries = 0\n[[sources]]\nname = "gone"\nstart_urls = ["{closed}"]\n', encoding="utf-8"
    )
    assert main(["--config", str(config), "crawl"]) == 1
    problem = f"{closed}: robots.txt unavailable (connection failed): not fetched, asked again in 15 min"
    assert caplog.messages == [problem]
    line = capsys.readouterr().out.strip()
    assert line.startswith("gone: FAILED") and line.endswith(
        f"no start URL of gone could be fetched ({problem})"
    )


def test_extract_names_a_url_that_is_not_html(http_server, capsys):
    url = f"{http_server}/pages/gov_gbk.html?ct=application/pdf"
    assert main(["extract", url]) == 1
    assert capsys.readouterr().err.strip() == f"watcher: {url}: not HTML (application/pdf), skipped"
