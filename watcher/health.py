"""Source health: a source that keeps failing, or goes quiet, is news — once per episode.

    assess(state, spec, settings, now) → SourceHealth       pure: failing? quiet? since when?
    decide(health, open_failing, open_quiet) → [SourceEvent]   pure: what to raise now
    check_sources(app, now=None, names=None) → [SourceEvent]    reads the store, records what decide says
    source_health(app, now) / health_report(app, now)       what /healthz and /metrics show

`app` is anything with a store, settings and a clock (`Host`; an App is one): no import of the App.

An episode of *failing* starts with the first failed run of a streak that reaches
`daemon.failing_after_runs` runs (the episode is that run's id) and ends with a good run. An episode of
*quiet* starts when the newest article (its `first_seen`; before any, the first run) is older than the
source's `expected_period` (else `daemon.quiet_after`) and ends when a newer article arrives; a failing
source is not also reported quiet. Each start raises `source_failing` / `source_quiet`, each end
`source_recovered`, with the key sha256(kind|source|dimension|episode): recorded at most once, whichever
process sees it first. Closed episodes older than `daemon.keep_health_days` are pruned (their counts
kept for /metrics); an open one stays however old.

Health changes are immediate and go to the configured alert channels (operators, not subscribers). The
change's `new` side has the shape of a value observation (kind "health": 3 次 failed runs, 15 天 without
news), so alert rendering, the codec and digests handle it like any other change; `new["health"]` holds
{source, dimension, episode}.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from watcher.config import DaemonSettings, Settings, SourceSpec
from watcher.schedule import Duration
from watcher.store import Store
from watcher.store.health import HealthEventRow, SourceState, episode_key

logger = logging.getLogger(__name__)

_INDICATOR = {"failing": "连续抓取失败", "quiet": "无新文章天数"}
_UNIT = {"failing": "次", "quiet": "天"}
_UNIT_ZH = {"s": "秒", "m": "分钟", "h": "小时", "d": "天"}
_UNIT_EN = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
MAX_ERROR_CHARS = 160  # of the last error, in a summary (the whole of it goes into the evidence)


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """One source as the health check sees it at `now`."""

    name: str
    url: str  # its first start URL
    period: Duration  # how long it may stay quiet: expected_period, else daemon.quiet_after
    last_run: datetime | None
    last_success: datetime | None
    last_error: str | None
    consecutive_failures: int
    failing: bool
    failing_episode: str | None  # the first failed run of the current streak (even below the threshold)
    quiet: bool
    quiet_episode: str | None  # since when nothing new (ISO), once the source has been crawled
    quiet_days: float


@dataclass(frozen=True, slots=True)
class SourceEvent:
    """A health change to record: source_failing, source_quiet or source_recovered."""

    kind: str
    source: str
    dimension: str  # failing | quiet
    episode: str
    value: float  # failed runs, or days without news (0 on recovery)
    url: str
    summary_zh: str
    summary_en: str
    detail: str  # the last error, or what came back

    @property
    def key(self) -> str:
        return episode_key(self.kind, self.source, self.dimension, self.episode)

    def new(self, day: str) -> dict[str, Any]:
        """The change's new side: a value observation of kind "health", plus the episode."""
        return {
            "type": "value",
            "indicator": _INDICATOR[self.dimension],
            "subject": self.source,
            "measure": "level",
            "kind": "health",
            "when": None,
            "value": self.value,
            "unit": _UNIT[self.dimension],
            "qualifier": "=",
            "raw": "",
            "evidence": {"url": self.url, "outlet": self.source, "published": day, "sentence": self.detail},
            "health": {"source": self.source, "dimension": self.dimension, "episode": self.episode},
        }


def quiet_period(spec: SourceSpec, settings: DaemonSettings) -> Duration:
    return spec.expected_period or settings.quiet_after


def assess(
    state: SourceState | None, spec: SourceSpec, settings: DaemonSettings, now: datetime
) -> SourceHealth:
    """Failing: `failing_after_runs` failed runs in a row. Quiet: nothing new for longer than the period."""
    state = state or SourceState(spec.name)
    period = quiet_period(spec, settings)
    since = state.last_new_article or state.first_run
    quiet_s = (now - since).total_seconds() if since else 0.0
    streak = state.consecutive_failures
    return SourceHealth(
        name=spec.name,
        url=spec.start_urls[0],
        period=period,
        last_run=state.last_run,
        last_success=state.last_success,
        last_error=state.last_error,
        consecutive_failures=streak,
        failing=streak >= settings.failing_after_runs,
        failing_episode=str(state.failing_since_run) if streak and state.failing_since_run else None,
        quiet=since is not None and quiet_s > period.seconds,
        quiet_episode=since.isoformat() if since else None,
        quiet_days=round(quiet_s / 86400, 1),
    )


def decide(health: SourceHealth, open_failing: str | None, open_quiet: str | None) -> list[SourceEvent]:
    """What to raise, given the episodes already raised and not yet recovered (None: none open)."""
    events = []
    if open_failing is not None and open_failing != health.failing_episode:
        events.append(_recovered(health, "failing", open_failing))
    if health.failing and health.failing_episode and health.failing_episode != open_failing:
        events.append(_failing(health, health.failing_episode))
    if open_quiet is not None and open_quiet != health.quiet_episode:
        events.append(_recovered(health, "quiet", open_quiet))
    if health.quiet and not health.failing and health.quiet_episode and health.quiet_episode != open_quiet:
        events.append(_quiet(health, health.quiet_episode))
    return events


def _failing(h: SourceHealth, episode: str) -> SourceEvent:
    error = h.last_error or "?"
    short = error if len(error) <= MAX_ERROR_CHARS else error[: MAX_ERROR_CHARS - 1] + "…"
    n = h.consecutive_failures
    return SourceEvent(
        "source_failing",
        h.name,
        "failing",
        episode,
        float(n),
        h.url,
        f"信息源「{h.name}」连续{n}次抓取失败: {short}",
        f"Source {h.name}: {n} runs in a row failed: {short}",
        error,
    )


def _quiet(h: SourceHealth, episode: str) -> SourceEvent:
    days = f"{h.quiet_days:g}"
    count, unit = h.period.count, h.period.unit
    return SourceEvent(
        "source_quiet",
        h.name,
        "quiet",
        episode,
        h.quiet_days,
        h.url,
        f"信息源「{h.name}」已{days}天没有新文章（预期{count}{_UNIT_ZH[unit]}内有新文章）",
        f"Source {h.name}: nothing new for {days} days (expected within {count} {_UNIT_EN[unit]})",
        f"最新文章 / newest article: {episode}",
    )


def _recovered(h: SourceHealth, dimension: str, episode: str) -> SourceEvent:
    if dimension == "failing":
        zh, en = f"信息源「{h.name}」已恢复: 抓取成功", f"Source {h.name} recovered: a run succeeded again"
        detail = f"last success: {h.last_success.isoformat() if h.last_success else '?'}"
    else:
        zh, en = f"信息源「{h.name}」恢复更新: 有新文章", f"Source {h.name} is publishing again"
        detail = f"最新文章 / newest article: {h.quiet_episode}"
    return SourceEvent("source_recovered", h.name, dimension, episode, 0.0, h.url, zh, en, detail)


def open_episodes(rows: list[HealthEventRow]) -> dict[tuple[str, str], str]:
    """(source, dimension) → the episode raised and not yet recovered."""
    found: dict[tuple[str, str], str] = {}
    for row in rows:
        where = (row.source, row.dimension)
        if row.kind != "source_recovered":
            found[where] = row.episode
        elif found.get(where) == row.episode:
            del found[where]
    return found


def alert_channels(settings: Settings) -> list[str]:
    return settings.alerts.channels or [c.name for c in settings.channels]


class Host(Protocol):
    """What the health check asks of the app (an `App`): its store, its settings, its clock."""

    @property
    def settings(self) -> Settings: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...
    @property
    def store(self) -> Store: ...


def source_health(app: Host, now: datetime, names: set[str] | None = None) -> list[SourceHealth]:
    """The enabled sources (or those named), assessed at `now`."""
    states = app.store.source_states(names)  # named: only theirs are read
    daemon = app.settings.daemon
    specs = [s for s in app.settings.sources if s.enabled and (names is None or s.name in names)]
    return [assess(states.get(s.name), s, daemon, now) for s in specs]


def check_sources(app: Host, now: datetime | None = None, names: set[str] | None = None) -> list[SourceEvent]:
    """Assess the sources (the named ones: only their rows are read) and record what changed in their
    health; returns the events recorded. A check of all sources also prunes runs older than
    daemon.keep_runs_days and health episodes closed before daemon.keep_health_days."""
    now = now or app.clock()
    if names is None:
        app.store.prune_runs(now - timedelta(days=app.settings.daemon.keep_runs_days))
        app.store.prune_health(now - timedelta(days=app.settings.daemon.keep_health_days))
    day = now.astimezone(ZoneInfo(app.settings.digests.timezone)).date().isoformat()
    opened = open_episodes(app.store.health_events(names))
    channels = alert_channels(app.settings)
    recorded = []
    for health in source_health(app, now, names):
        failing, quiet = opened.get((health.name, "failing")), opened.get((health.name, "quiet"))
        for event in decide(health, failing, quiet):
            if app.store.record_health_change(
                key=event.key,
                kind=event.kind,
                subject=event.source,
                summary_zh=event.summary_zh,
                summary_en=event.summary_en,
                new=event.new(day),
                created_at=now,
                channels=channels,
            ):
                level = logging.INFO if event.kind == "source_recovered" else logging.WARNING
                logger.log(level, "%s", event.summary_en, extra={"source": event.source})
                recorded.append(event)
    return recorded


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def health_report(app: Host, now: datetime) -> dict[str, Any]:
    """What /healthz answers: status ok unless a source is failing."""
    found = source_health(app, now)
    failing = [h.name for h in found if h.failing]
    return {
        "status": "degraded" if failing else "ok",
        "time": now.isoformat(),
        "sources": {
            h.name: {
                "last_success": _iso(h.last_success),
                "last_run": _iso(h.last_run),
                "consecutive_failures": h.consecutive_failures,
                "failing": h.failing,
                "quiet": h.quiet,
            }
            for h in found
        },
        "failing": failing,
        "quiet": [h.name for h in found if h.quiet],
    }
