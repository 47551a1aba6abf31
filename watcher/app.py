"""Composition root: `build_app(settings)` wires the extractor, the store and the crawl runs.

Nothing here does work of its own; the daemon and the CLI both start from an `App`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from watcher.config import Settings, SourceSpec
from watcher.delivery import DeliveryStats, DigestStats, deliver_due, send_due_digests
from watcher.extract import Extractor, load_lexicon
from watcher.fetch.client import Fetcher
from watcher.fetch.guard import guard_for
from watcher.fetch.pacing import SharedPacer
from watcher.fetch.robots import RobotsCache
from watcher.notify import Channel, build_channel
from watcher.notify.digest import DigestFrequency
from watcher.pipeline import Crawl, CrawlSummary, crawl_all
from watcher.store import Store
from watcher.store.db import make_storage_folder


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class App:
    settings: Settings
    extractor: Extractor
    clock: Callable[[], datetime] = utc_now
    robots: RobotsCache = field(default_factory=RobotsCache)  # robots.txt is read once a day, not once a run
    _store: Store | None = field(default=None, repr=False)
    _channels: dict[str, Channel] | None = field(default=None, repr=False)
    _shared: bool | None = field(default=None, repr=False)

    @property
    def store(self) -> Store:
        if self._store is None:
            make_storage_folder(self.settings.storage_path)
            self._store = Store.open(self.settings.database)
        return self._store

    @property
    def is_shared(self) -> bool:
        """Several processes may use this database (PostgreSQL): pacing and work are coordinated in it."""
        if self._shared is None:
            self._shared = self.store.is_shared
        return self._shared

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def region_of(self, spec: SourceSpec) -> str:
        return spec.region or self.settings.region

    async def crawl(
        self,
        specs: list[SourceSpec],
        *,
        max_pages: int | None = None,
        refresh: bool = False,
        progress: Callable[[str], None] | None = None,
    ) -> list[CrawlSummary]:
        """One run of each source, side by side, sharing one polite fetcher."""
        store = self.store
        pacer = SharedPacer(store.reserve_host_slot, store.defer_host) if self.is_shared else None
        guard = guard_for(specs, self.settings.fetch)  # the sources' own hosts may be private; no other
        async with Fetcher(self.settings.fetch, robots=self.robots, pacer=pacer, guard=guard) as fetcher:
            channels = self.settings.alerts.channels or [c.name for c in self.settings.channels]
            crawls = [
                Crawl(
                    spec,
                    fetcher,
                    self.store,
                    self.extractor,
                    self.region_of(spec),
                    clock=self.clock,
                    alerts=self.settings.alerts,
                    channels=channels,
                    max_pages=max_pages,
                    refresh=refresh,
                    progress=progress,
                )
                for spec in specs
            ]
            return await crawl_all(crawls)

    def channels(self) -> dict[str, Channel]:
        """The configured alert channels, built once (secrets read from the environment now)."""
        if self._channels is None:
            self._channels = {c.name: build_channel(c) for c in self.settings.channels}
        return self._channels

    def deliver(
        self, only: list[str] | None = None, stopping: Callable[[], bool] = lambda: False
    ) -> DeliveryStats:
        """Send the alerts that are due (on the channels named in `only`, else on every channel); stop
        claiming more once `stopping()`."""
        return deliver_due(
            self.store, self.channels(), self.settings, self.clock, only=only, stopping=stopping
        )

    def send_digests(self, frequency: DigestFrequency | None = None) -> DigestStats:
        """Send the digests that are due, missed or waiting for their retry."""
        return send_due_digests(self.store, self.channels(), self.settings, self.clock, frequency=frequency)


def build_app(settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> App:
    return App(settings=settings, extractor=Extractor(load_lexicon(*settings.lexicon_paths)), clock=clock)
