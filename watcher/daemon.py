"""`watcher run`: APScheduler wiring only — which job runs when.

    crawl:<source>    each enabled source on its `schedule`: an interval (IntervalTrigger) or a five-field
                      cron expression (CronTrigger; weekdays numbered as crontab does, 0 = Sunday; local
                      time of `digests.timezone`), with `daemon.jitter_s` of jitter (at most half the
                      interval); never two runs of a source at once, late runs coalesced into one;
                      sources of one host take turns (each crawl has a fetcher, and so a pace, of its own)
    health            the source health check, at start, every HEALTH_EVERY_S, and after each crawl run
    deliver:<channel> the alert outbox of each channel (`app.deliver([channel])`), at start and every
                      `daemon.deliver_every_s`, and right after each crawl: one job per channel, so a
                      hanging channel delays only itself
    digests           digests due, missed while the daemon was down, or waiting for a retry
                      (`app.send_digests()`), at start and every `daemon.deliver_every_s`
    digest:daily      `app.send_digests(frequency)` at `digests.daily_at`, and on
    digest:weekly     `digests.weekly_on` at `digests.weekly_at`, in `digests.timezone`

One AsyncIOScheduler on one event loop. Crawls are coroutines, so they run side by side on that loop,
sharing the app's robots cache, and can be cancelled when a shutdown runs out of time. Blocking work —
sending alerts and digests, the health check — runs in a daemon thread per job, so a slow SMTP server
never stalls a crawl, and a stuck send cannot keep the process from exiting.

SIGTERM / SIGINT: the scheduler is paused (no new job starts), running jobs get
`daemon.shutdown_timeout_s` (less a second) to finish their writes, what is left is cancelled — each store
write is one transaction, so an interrupted run leaves nothing half-written — and the process exits 0.

Jobs are kept in memory; what was done is in the database. After a restart a source's next run is due
one interval after its last run, and the outbox and the digest table say what was already sent, so
nothing is sent twice. "Now" for deliveries, digests and health is `app.clock()`; APScheduler keeps real
time.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import random
import secrets
import signal
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from watcher.app import App
from watcher.config import SourceSpec, interval_seconds
from watcher.errors import ConfigError, WatcherError
from watcher.fetch.urls import host_of
from watcher.health import alert_channels, check_sources
from watcher.notify.digest import DigestFrequency
from watcher.schedule import schedule_trigger
from watcher.service import Service
from watcher.store.db import safe_url
from watcher.store.health import SourceState

logger = logging.getLogger(__name__)

T = TypeVar("T")
HEALTH_EVERY_S = 600.0
CRAWL_GRACE_S = 3600  # a run late by up to an hour (a suspended machine, a busy loop) still happens, once
DIGEST_GRACE_S = 6 * 3600
_ONE_AT_A_TIME: dict[str, Any] = {"max_instances": 1, "coalesce": True}  # and late runs coalesced
SHUTDOWN_MARGIN_S = 1.0  # of shutdown_timeout_s, kept for cancelling and closing


def source_trigger(spec: SourceSpec, *, jitter_s: float, timezone: ZoneInfo) -> BaseTrigger:
    """The trigger of a source's schedule (`watcher.schedule`), in the daemon's time zone and jitter.
    ConfigError naming the source when APScheduler cannot read it (validation has already tried)."""
    try:
        return schedule_trigger(spec.schedule.strip(), jitter_s=jitter_s, timezone=timezone)
    except ValueError as exc:
        raise ConfigError(f"sources {spec.name}: schedule {spec.schedule!r}: {exc}") from exc


def _succeed(future: asyncio.Future[T], result: T) -> None:
    if not future.done():
        future.set_result(result)


def _fail(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)


async def in_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run blocking `fn` in a daemon thread of its own and await its result (cancelling stops waiting)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(outcome: Callable[[], None]) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits any more
            loop.call_soon_threadsafe(outcome)

    def work() -> None:
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            settle(functools.partial(_fail, future, exc))
        else:
            settle(functools.partial(_succeed, future, result))

    threading.Thread(target=work, name=f"watcher-{getattr(fn, '__name__', 'job')}", daemon=True).start()
    return await future


class Daemon:
    """The scheduler and its jobs around one App. `await Daemon(app).run()` until SIGTERM or stop()."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.settings = app.settings
        self.service: Service | None = None
        self._stopping = asyncio.Event()
        self._active: set[asyncio.Task[Any]] = set()
        self._host_locks: dict[str, asyncio.Lock] = {}
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"  # this replica
        self._digests_quiet_until = datetime.min.replace(tzinfo=UTC)  # nothing due before (app clock)
        self._scheduler: AsyncIOScheduler | None = None

    @property
    def sources(self) -> list[SourceSpec]:
        return [s for s in self.settings.sources if s.enabled]

    # --- which job runs when ---

    def build_scheduler(self, now: datetime | None = None) -> AsyncIOScheduler:
        now = now or datetime.now(UTC)
        zone = ZoneInfo(self.settings.digests.timezone)
        daemon = self.settings.daemon
        scheduler = AsyncIOScheduler(timezone=zone)
        states = self.app.store.source_states()
        for spec in self.sources:
            trigger = source_trigger(spec, jitter_s=daemon.jitter_s, timezone=zone)
            first = (
                {"next_run_time": self._first_run(spec, states.get(spec.name), now)}
                if isinstance(trigger, IntervalTrigger)
                else {}  # a cron source waits for its next time
            )
            job = {"id": f"crawl:{spec.name}", "args": [spec.name], "misfire_grace_time": CRAWL_GRACE_S}
            scheduler.add_job(self.crawl_job, trigger, **job, **first, **_ONE_AT_A_TIME)
        every = {"next_run_time": now, "misfire_grace_time": max(1, int(daemon.deliver_every_s))}
        deliver = IntervalTrigger(seconds=daemon.deliver_every_s, timezone=zone)
        for channel in self.app.channels():
            job = {"id": f"deliver:{channel}", "args": [channel]}
            scheduler.add_job(self.deliver_job, deliver, **job, **every, **_ONE_AT_A_TIME)
        health = IntervalTrigger(seconds=HEALTH_EVERY_S, timezone=zone)
        scheduler.add_job(self.health_job, health, id="health", **every, **_ONE_AT_A_TIME)
        if self.settings.digests.enabled:
            scheduler.add_job(self.digest_job, deliver, id="digests", args=[None], **every, **_ONE_AT_A_TIME)
            self._add_digest_jobs(scheduler, zone)
        return scheduler

    def _first_run(self, spec: SourceSpec, state: SourceState | None, now: datetime) -> datetime:
        """One interval after the source's last run (now if that has passed), plus some jitter."""
        every = interval_seconds(spec.schedule)
        due = state.last_run + timedelta(seconds=every) if state and state.last_run else now
        spread = random.uniform(0, min(self.settings.daemon.jitter_s, every / 2))
        return max(due, now) + timedelta(seconds=spread)

    def _add_digest_jobs(self, scheduler: AsyncIOScheduler, zone: ZoneInfo) -> None:
        digests = self.settings.digests
        (hour, minute), (weekly_hour, weekly_minute) = (
            digests.daily_at.split(":"),
            digests.weekly_at.split(":"),
        )
        triggers = {
            "daily": CronTrigger(hour=hour, minute=minute, timezone=zone),
            "weekly": CronTrigger(
                day_of_week=digests.weekly_on, hour=weekly_hour, minute=weekly_minute, timezone=zone
            ),
        }
        for frequency, trigger in triggers.items():
            job = {"id": f"digest:{frequency}", "args": [frequency], "misfire_grace_time": DIGEST_GRACE_S}
            scheduler.add_job(self.digest_job, trigger, **job, **_ONE_AT_A_TIME)

    # --- the jobs: thin calls into the app ---

    @contextlib.contextmanager
    def _running(self, job: str) -> Iterator[None]:
        """Count the job as running (shutdown waits for it); log its failure, once, with its name."""
        task = asyncio.current_task()
        if task is not None:
            self._active.add(task)
        try:
            yield
        except asyncio.CancelledError:  # only a shutdown that ran out of time cancels: a clean end
            logger.warning("job %s cancelled: still running at the shutdown timeout", job, extra={"job": job})
        except WatcherError as exc:  # a database, channel or configuration problem: one line
            logger.error("job %s failed: %s", job, exc, extra={"job": job})
        except Exception:
            logger.exception("job %s failed", job, extra={"job": job})
        finally:
            if task is not None:
                self._active.discard(task)

    async def crawl_job(self, name: str) -> None:
        if self._stopping.is_set():
            return
        spec = self.settings.source(name)
        with self._running(f"crawl {name}"):
            async with self._host_lock(spec):  # sources of one site take turns: one fetcher's pace each
                if self._stopping.is_set():
                    return
                async with self._lease(f"source:{name}") as claimed:
                    if not claimed:
                        logger.debug("source %s: another replica runs it", name, extra={"source": name})
                        return
                    await self.app.crawl([spec])  # the pipeline logs the run's line
                    self._deliver_now()
            await in_thread(check_sources, self.app, None, {name})

    def _deliver_now(self) -> None:
        """After a crawl, the alerts it raised go out now rather than at the next delivery round (a
        channel still sending skips this turn: its sender takes them on anyway)."""
        if self._scheduler is None or not self._scheduler.running:
            return
        for channel in self.app.channels():
            job = self._scheduler.get_job(f"deliver:{channel}")
            if job is not None:
                job.modify(next_run_time=datetime.now(UTC))

    @contextlib.asynccontextmanager
    async def _lease(self, name: str) -> AsyncIterator[bool]:
        """Hold the database lease `name` while the block runs; yield False when another replica holds
        it. A thread renews it every third of its term — not the event loop, which a run blocks while it
        stores its articles — so it lasts exactly as long as this process; a replica that dies stops
        renewing, and the lease passes on when it expires."""
        ttl = self.settings.daemon.lease_s
        store = self.app.store
        if not await in_thread(store.claim, name, self.holder, self.app.clock(), ttl):
            yield False
            return
        done = threading.Event()

        def renew() -> None:
            while not done.wait(ttl / 3):
                try:
                    store.claim(name, self.holder, self.app.clock(), ttl)
                except WatcherError as exc:  # the next renewal tries again; the term leaves room for it
                    logger.warning("lease %s: renewal failed: %s", name, exc, extra={"lease": name})

        keeper = threading.Thread(target=renew, name=f"lease {name}", daemon=True)
        keeper.start()
        try:
            yield True
        finally:
            done.set()
            await in_thread(keeper.join)
            await in_thread(store.release, name, self.holder)

    def _host_lock(self, spec: SourceSpec) -> asyncio.Lock:
        return self._host_locks.setdefault(host_of(spec.start_urls[0]), asyncio.Lock())

    async def deliver_job(self, channel: str) -> None:
        if self._stopping.is_set():
            return
        with self._running(f"deliver {channel}"):
            stats = await in_thread(self.app.deliver, [channel], self._stopping.is_set)
            if stats.sent or stats.retrying or stats.failed or stats.cancelled:
                logger.info("%s: %s", channel, stats.line(), extra={"channel": channel})

    async def health_job(self) -> None:
        if self._stopping.is_set():
            return
        with self._running("health"):
            await in_thread(check_sources, self.app)

    async def digest_job(self, frequency: DigestFrequency | None) -> None:
        """At a digest time (`frequency`), or on the delivery interval (None): then only once the last
        round's `quiet_until` has come — nothing can be due before the next period or retry."""
        if self._stopping.is_set() or (frequency is None and self._digests_quiet_until > self.app.clock()):
            return
        with self._running(f"digest {frequency or 'due'}"):
            stats = await in_thread(self.app.send_digests, frequency)
            if frequency is None:
                self._digests_quiet_until = stats.quiet_until or datetime.min.replace(tzinfo=UTC)
            if frequency or stats.sent or stats.failed:
                logger.info("%s", stats.line(), extra={"frequency": frequency})

    # --- start, run, stop ---

    def stop(self) -> None:
        """Stop scheduling and shut down (what SIGTERM and SIGINT do)."""
        if not self._stopping.is_set():
            logger.info("Stopping: finishing running jobs (%d)", len(self._active))
        self._stopping.set()

    async def run(self) -> int:
        """Run until stop() or a signal; 0 on a clean stop."""
        loop = asyncio.get_running_loop()
        self.app.channels()  # built now: a broken channel setting fails the start, not the first alert
        scheduler = self._scheduler = self.build_scheduler()
        self.service = self._start_service()
        installed: list[int] = []
        try:
            self._log_enabled()
            installed = _install_signal_handlers(loop, self.stop)
            scheduler.start()
            await self._stopping.wait()
        finally:
            await self._drain(scheduler)
            if self.service is not None:
                self.service.close()
            for sig in installed:
                loop.remove_signal_handler(sig)
        logger.info("Stopped")
        return 0

    def _start_service(self) -> Service | None:
        daemon = self.settings.daemon
        if daemon.http_port is None:
            return None
        try:
            return Service(self.app).start()
        except OSError as exc:
            raise WatcherError(f"cannot listen on {daemon.http_host}:{daemon.http_port}: {exc}") from exc

    async def _drain(self, scheduler: AsyncIOScheduler) -> None:
        """Start nothing new; let running jobs finish within the timeout; cancel the rest."""
        self._stopping.set()
        if scheduler.running:
            scheduler.pause()
        await asyncio.sleep(0)  # a job submitted just before the pause sees `stopping`, or registers
        running = {t for t in self._active if not t.done()}
        timeout = max(0.0, self.settings.daemon.shutdown_timeout_s - SHUTDOWN_MARGIN_S)
        if running:
            _, late = await asyncio.wait(running, timeout=timeout)
            if late:
                logger.warning("Cancelling %d jobs still running after %.0f s", len(late), timeout)
                for task in late:
                    task.cancel()
                await asyncio.wait(late, timeout=SHUTDOWN_MARGIN_S / 2)
        if scheduler.running:
            scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # AsyncIOScheduler shuts down on its loop

    def _log_enabled(self) -> None:
        sources = ", ".join(f"{s.name} [{s.schedule}]" for s in self.sources)
        logger.info("Enabled sources (%d): %s", len(self.sources), sources or "none")
        kinds = {c.name: c.type for c in self.settings.channels}
        channels = ", ".join(f"{n} ({kinds.get(n, '?')})" for n in alert_channels(self.settings))
        logger.info(
            "Enabled channels: %s", channels or "none (alerts are recorded, not sent: `watcher alerts`)"
        )
        digests = self.settings.digests
        if not digests.enabled:
            logger.info("Digests: off")
        else:
            logger.info(
                "Digests: daily at %s, weekly on %s at %s (%s)",
                digests.daily_at,
                digests.weekly_on,
                digests.weekly_at,
                digests.timezone,
            )
        logger.info("Database: %s", safe_url(self.settings.database))
        if self.service is not None:
            logger.info("HTTP endpoint: %s (/healthz, /metrics, /unsubscribe, dashboard /)", self.service.url)


def _install_signal_handlers(loop: asyncio.AbstractEventLoop, stop: Callable[[], None]) -> list[int]:
    """SIGTERM and SIGINT call `stop` (only possible in the main thread; elsewhere, call stop yourself)."""
    if threading.current_thread() is not threading.main_thread():
        return []
    installed = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop)
            installed.append(sig)
    return installed


def run_once(app: App) -> int:
    """Every enabled source once, then the health check, the alerts and any digests due; 1 if a source
    or a page failed."""
    specs = [s for s in app.settings.sources if s.enabled]
    summaries = asyncio.run(app.crawl(specs))
    check_sources(app)
    stats = app.deliver()
    logger.info("%s", stats.line())
    failed = any(s.error or s.errors for s in summaries)
    if app.settings.digests.enabled:
        try:
            logger.info("%s", app.send_digests().line())
        except WatcherError as exc:  # the crawl and the alerts are done: say so, and fail the run
            logger.error("digests: %s", exc)
            failed = True
    return 1 if failed else 0
