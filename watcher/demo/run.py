"""Two rounds of crawling the bundled site into a database, then the digest a subscriber would receive."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from watcher.app import App, build_app
from watcher.config import Settings
from watcher.demo.server import DemoSite
from watcher.errors import WatcherError
from watcher.pipeline import CrawlSummary
from watcher.store.tracking import ChangeRow

SUBSCRIBER = "demo@example.invalid"
ROUND_2 = "a target raised, a project topped out, a new monthly figure, an old article put online late"
_LOOPBACK = {"min_delay_s": 0, "per_host_concurrency": 4}  # our own server: no need to pace it


@dataclass
class DemoResult:
    settings: Settings  # the demo's: its sources and database (for the dashboard)
    folder: Path
    config: Path  # a config file for the other commands: `watcher --config CONFIG alerts --all`
    database: str
    digest: Path
    summaries: list[list[CrawlSummary]] = field(default_factory=list)  # per round
    changes: list[ChangeRow] = field(default_factory=list)  # found in round 2


def demo_settings(settings: Settings, site: DemoSite, folder: Path, database_url: str | None) -> Settings:
    """The user's (or the bundled) settings with the demo's three sources and its own database."""
    urls = site.urls
    sources = [
        {"name": "江门市政府 江门要闻", "start_urls": [urls["gov"] + "zwgk/jmyw/index.html"]},
        {"name": "江门日报 数字报", "start_urls": [urls["epaper"]]},
        {"name": "侨乡资讯网 本地新闻", "start_urls": [urls["portal"] + "news/"]},
    ]
    data = settings.model_dump(exclude={"sources", "sources_file", "channels"})  # paths stay relative
    data |= {  # to the same config file: the same lexicon
        "sources": [{**s, "region": "江门", "politeness": _LOOPBACK} for s in sources],
        "storage_dir": str(folder),
        "database_url": database_url or f"sqlite:///{folder / 'watcher.db'}",
        "alerts": settings.alerts.model_copy(update={"channels": None}),
    }
    return Settings.model_validate(data)


def write_config(settings: Settings, folder: Path) -> Path:
    """A config file naming the demo's database, lexicon and sources, for the other commands."""
    lines = [f"storage_dir = {json.dumps(str(settings.storage_dir), ensure_ascii=False)}"]
    if settings.database_url and make_url(settings.database_url).password is None:
        lines.append(f"database_url = {json.dumps(settings.database_url)}")
    else:  # secrets only from the environment
        lines.append("# the database: set WATCHER_DATABASE_URL (its password is not written here)")
    lexicon = settings.lexicon_dir
    if lexicon is not None:  # the user's own lexicon: where the demo's config can find it
        if not lexicon.is_absolute() and settings.config_path is not None:
            lexicon = (settings.config_path.parent / lexicon).resolve()
        lines.append(f"lexicon_dir = {json.dumps(str(lexicon), ensure_ascii=False)}")
        lines.append(f"lexicon_mode = {json.dumps(settings.lexicon_mode)}")
    lines.append(f"region = {json.dumps(settings.region, ensure_ascii=False)}")
    for spec in settings.sources:
        lines += ["", "[[sources]]", f"name = {json.dumps(spec.name, ensure_ascii=False)}"]
        lines.append(f"start_urls = {json.dumps(spec.start_urls)}")
        lines.append(f"region = {json.dumps(spec.region, ensure_ascii=False)}")
    path = folder / "watcher.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_demo(
    settings: Settings,
    folder: Path,
    site: DemoSite,
    *,
    database_url: str | None = None,
    say: Callable[[str], None] = print,
    progress: Callable[[str], None] | None = None,
) -> DemoResult:
    """Crawl the site (served by the caller), publish round 2, crawl again, render the digest."""
    from watcher.delivery import preview_digest

    folder.mkdir(parents=True, exist_ok=True)
    demo = demo_settings(settings, site, folder, database_url)
    app = build_app(demo)
    try:
        if app.store.change_rows():
            raise WatcherError(f"{_safe(demo)} already holds a demo's data: choose an empty --dir")
        subscriber, _ = app.store.add_subscriber(SUBSCRIBER, now=app.clock())
        result = _crawl_rounds(app, site, folder, say, progress)
        message = preview_digest(app.store, app.settings, subscriber, app.clock())
    finally:
        app.close()
    result.digest.write_text(message.html or "", encoding="utf-8")
    result.digest.with_suffix(".txt").write_text(message.text, encoding="utf-8")
    result.config = write_config(demo, folder)
    return result


def _safe(settings: Settings) -> str:
    return make_url(settings.database).render_as_string(hide_password=True)


def _crawl_rounds(
    app: App, site: DemoSite, folder: Path, say: Callable[[str], None], progress: Callable[[str], None] | None
) -> DemoResult:
    result = DemoResult(
        app.settings, folder, folder / "watcher.toml", _safe(app.settings), folder / "digest.html"
    )
    for round_, what in ((1, "the site as first published"), (2, ROUND_2)):
        site.publish(round_)
        say(f"round {round_}: {what}")
        started = app.clock()
        summaries = asyncio.run(app.crawl(app.settings.sources, progress=progress))
        result.summaries.append(summaries)
        for summary in summaries:
            say("  " + summary.line())
    result.changes = app.store.change_rows(since=started)
    return result
