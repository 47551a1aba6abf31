"""Digest emails: what changed since a subscriber's last digest, sent once per period.

    send_due_digests(app, now, frequency=None) → DigestStats    every due digest, each sent exactly once
    render_digest(app, subscriber, now) → Message                what the next digest would say (preview)
    due_period(now, settings, frequency) → Period               the latest period whose send time passed

A period is a local date (daily, sent at `digests.daily_at`) or an ISO week (weekly, on `weekly_on` at
`weekly_at`), in `digests.timezone`. Its digest covers the changes recorded after the subscriber's last
digest up to the period's send time, those their filters want: alerts first, then the other changes
grouped by subject and indicator, each with old → new, its period and links to the source articles; a
footer names the sources whose latest crawl failed. It is rendered with `templates/digest.html.j2` and
`digest.txt.j2`, and goes through the email channel named by `digests.channel`.

Exactly once: the period is claimed in the store (a `digests` row, unique per subscriber and period,
leased) before sending and marked sent after; a process that dies in between leaves the lease to run
out, and the next run sends the same digest with the same Message-ID (`digest.<subscriber>.<period>`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from watcher.config import DigestSettings, Settings
from watcher.errors import ConfigError, DeliveryError
from watcher.notify.email import EmailSender
from watcher.notify.message import SUBJECT_PREFIX, Message, template_environment
from watcher.notify.outbox import retry_delay_s, unsubscribe_headers, unsubscribe_url
from watcher.store.subscribers import DigestClaim, FailingSource, FoundChange, Subscriber
from watcher.track import Change, MilestoneObservation, Observation
from watcher.track.changes import label_zh
from watcher.track.wording import period_zh, quantity_zh, stage_zh

if TYPE_CHECKING:
    from watcher.app import App

logger = logging.getLogger(__name__)

DigestFrequency = Literal["daily", "weekly"]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_ERROR_CHARS = 160
_NAMES = {"daily": ("每日摘要", "Daily digest"), "weekly": ("每周摘要", "Weekly digest")}
KIND_ZH = {
    "target_set": "设定目标",
    "target_changed": "目标调整",
    "forecast_revised": "预计修正",
    "progress_reported": "进度",
    "milestone_reached": "项目节点",
    "milestone_date_changed": "节点日期变化",
    "milestone_regressed": "进度存疑",
    "figure_conflict": "数据不一致",
    "new_actual": "新数据",
    "figure_revised": "数据修订",
    "target_met": "目标实现",
    "target_missed": "目标未实现",
}


@dataclass
class DigestStats:
    sent: int = 0
    skipped_empty: int = 0
    failed: int = 0  # attempts that failed (retried later while the channel allows)

    def line(self) -> str:
        return f"digests: {self.sent} sent, {self.skipped_empty} empty (not sent), {self.failed} failed"


@dataclass(frozen=True, slots=True)
class Period:
    frequency: DigestFrequency
    key: str  # 2024-10-01 (daily) or 2024-W40 (weekly)
    due_at: datetime  # its send time, UTC: the digest covers changes up to here


@dataclass(frozen=True, slots=True)
class _Link:
    label: str
    url: str
    is_link: bool  # only http(s) URLs become links


@dataclass(frozen=True, slots=True)
class _Item:
    kind: str
    kind_zh: str
    summary_zh: str
    summary_en: str
    period: str
    old: str | None
    new: str
    sources: tuple[_Link, ...]


@dataclass(frozen=True, slots=True)
class _Group:
    subject: str
    indicator: str
    items: tuple[_Item, ...]


def due_period(now: datetime, settings: DigestSettings, frequency: DigestFrequency) -> Period:
    """The latest period whose send time is at or before `now`."""
    zone = ZoneInfo(settings.timezone)
    local = now.astimezone(zone)
    at = time.fromisoformat(settings.daily_at if frequency == "daily" else settings.weekly_at)
    day = local.date()
    if frequency == "weekly":
        day -= timedelta(days=(day.weekday() - WEEKDAYS.index(settings.weekly_on)) % 7)
    if day == local.date() and local.time() < at:
        day -= timedelta(days=1 if frequency == "daily" else 7)
    due_at = datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
    return Period(frequency, _period_key(day, frequency), due_at)


def _period_key(day: date, frequency: DigestFrequency) -> str:
    if frequency == "daily":
        return day.isoformat()
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def digest_channel(app: App) -> EmailSender:
    """The email channel digests go through; ConfigError when `digests.channel` names none."""
    name = app.settings.digests.channel
    channels = app.channels()
    channel = channels.get(name)
    if channel is None:
        known = ", ".join(channels) or "none"
        raise ConfigError(f"digests.channel names no channel {name!r} (configured: {known})")
    if not isinstance(channel, EmailSender):
        raise ConfigError(f"digests.channel {name!r} is not an email channel")
    return channel


def send_due_digests(app: App, now: datetime, *, frequency: DigestFrequency | None = None) -> DigestStats:
    """Send every digest that is due at `now` and not sent yet (and retry the ones that failed)."""
    stats = DigestStats()
    if not app.settings.digests.enabled:
        logger.info("digests are disabled (digests.enabled = false)")
        return stats
    sending = _Sending(app, digest_channel(app), now, stats)
    frequencies: list[DigestFrequency] = [frequency] if frequency else ["daily", "weekly"]
    for freq in frequencies:
        due = due_period(now, app.settings.digests, freq)
        for subscriber in app.store.subscribers(active=True, digest=freq):
            # earlier periods not sent yet (a crash, a retry) first, in order, then the one due now
            periods = {
                key: cutoff for key, f, cutoff in app.store.open_digest_periods(subscriber.id) if f == freq
            }
            periods.setdefault(due.key, due.due_at)
            for key, cutoff in periods.items():
                if cutoff <= subscriber.created_at:
                    continue  # the period was due before they subscribed
                claim = app.store.claim_digest(subscriber, key, freq, cutoff=cutoff, now=now)
                if claim is not None:
                    sending.send(subscriber, claim)
    return stats


class _Sending:
    """One run of `send_due_digests`: the changes of each window are read once."""

    def __init__(self, app: App, channel: EmailSender, now: datetime, stats: DigestStats) -> None:
        self.app, self.store, self.channel, self.now, self.stats = app, app.store, channel, now, stats
        self.failing = self.store.failing_sources()
        self._changes: dict[tuple[datetime, datetime], list[FoundChange]] = {}

    def send(self, subscriber: Subscriber, claim: DigestClaim) -> None:
        window = (claim.since, claim.cutoff)
        if window not in self._changes:
            self._changes[window] = self.store.changes_between(*window)
        picked = [f for f in self._changes[window] if subscriber.wants(f.change)]
        if not picked and not self.app.settings.digests.send_empty:
            self.store.digest_empty(claim.id, self.now)
            self.stats.skipped_empty += 1
            return
        frequency: DigestFrequency = "weekly" if claim.frequency == "weekly" else "daily"
        period = Period(frequency, claim.period_key, claim.cutoff)
        message = compose_digest(self.app.settings, subscriber, period, claim.since, picked, self.failing)
        try:
            self.channel.send(message)
        except DeliveryError as exc:
            self._failed(claim, exc)
            return
        alerts = sum(f.immediate for f in picked)
        self.store.digest_sent(claim.id, self.now, alerts=alerts, updates=len(picked) - alerts)
        self.stats.sent += 1

    def _failed(self, claim: DigestClaim, exc: DeliveryError) -> None:
        alerts = self.app.settings.alerts
        attempts = claim.attempts + 1
        retry = exc.retryable and attempts < alerts.max_attempts
        retry_at = self.now + timedelta(seconds=retry_delay_s(attempts, alerts)) if retry else None
        self.store.digest_failed(claim.id, self.now, str(exc), retry_at)
        self.stats.failed += 1
        logger.warning("digest %s of subscriber %d: %s", claim.period_key, claim.subscriber_id, exc)


def render_digest(app: App, subscriber: Subscriber, now: datetime) -> Message:
    """The subscriber's next digest as it stands at `now`: what changed since their last one."""
    frequency: DigestFrequency = "weekly" if subscriber.digest == "weekly" else "daily"
    ahead = timedelta(days=7 if frequency == "weekly" else 1)
    period = replace(due_period(now + ahead, app.settings.digests, frequency), due_at=now)
    since = min(app.store.digest_start(subscriber), now)
    found = [f for f in app.store.changes_between(since, now) if subscriber.wants(f.change)]
    return compose_digest(app.settings, subscriber, period, since, found, app.store.failing_sources())


def compose_digest(
    settings: Settings,
    subscriber: Subscriber,
    period: Period,
    since: datetime,
    found: list[FoundChange],
    failing: list[FailingSource],
) -> Message:
    """The digest email: subject, text and HTML, to the subscriber, with its unsubscribe header."""
    digests = settings.digests
    zone = ZoneInfo(digests.timezone)
    alerts = [_item(f.change) for f in found if f.immediate]
    groups = _groups([f.change for f in found if not f.immediate])
    updates = sum(len(g.items) for g in groups)
    name_zh, name_en = _NAMES[period.frequency]
    title = f"{settings.region} {name_zh} {period.key}"
    summary = f"{len(alerts)} 项提醒，{updates} 项更新" if found else "没有新变化"
    context = {
        "title": title,
        "title_en": f"{name_en} {period.key}",
        "window": f"{_local(since, zone)} — {_local(period.due_at, zone)} ({digests.timezone})",
        "alerts": alerts,
        "groups": groups,
        "updates": updates,
        "failing": [_failing(f, zone) for f in failing],
        "email": subscriber.email,
        "filters": _filters(subscriber),
        "unsubscribe_url": unsubscribe_url(digests.base_url, subscriber.token),
    }
    env = template_environment()
    return Message(
        subject=f"{SUBJECT_PREFIX}{title}：{summary}",
        text=env.get_template("digest.txt.j2").render(context),
        html=env.get_template("digest.html.j2").render(context),
        payload={
            "type": "digest",
            "period": period.key,
            "frequency": period.frequency,
            "alerts": len(alerts),
            "updates": updates,
            "changes": [f.change.key for f in found],
        },
        idempotency_key=f"digest.{subscriber.id}.{period.key}",
        to=(subscriber.email,),
        headers=unsubscribe_headers(digests.base_url, subscriber.token),
    )


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _failing(source: FailingSource, zone: ZoneInfo) -> dict[str, str]:
    first = next((line.strip() for line in source.error.splitlines() if line.strip()), "")
    if len(first) > MAX_ERROR_CHARS:
        first = first[: MAX_ERROR_CHARS - 1] + "…"
    return {"name": source.name, "when": _local(source.finished_at, zone), "error": first}


def _filters(subscriber: Subscriber) -> str:
    parts = [
        f"{label}: {', '.join(values)}"
        for label, values in (
            ("指标", subscriber.indicators),
            ("地区/对象", subscriber.subjects),
            ("关键词", subscriber.keywords),
            ("类型", subscriber.kinds),
        )
        if values
    ]
    return "；".join(parts) or "全部变化 / everything"


def _groups(changes: list[Change]) -> list[_Group]:
    """Changes by (subject, indicator) — a project's milestones under the project — in reading order."""
    grouped: dict[tuple[str, str], list[_Item]] = {}
    for change in changes:
        new = change.new
        if isinstance(new, Observation):
            key = (new.key.subject, label_zh(replace(new.key, subject="")).strip())
        else:
            key = (new.name, "项目进展")
        grouped.setdefault(key, []).append(_item(change))
    return [
        _Group(subject, indicator, tuple(items)) for (subject, indicator), items in sorted(grouped.items())
    ]


def _item(change: Change) -> _Item:
    new = change.new
    period = period_zh(new.when) if isinstance(new, Observation) else (new.date or "")
    sides = [new] if change.old is None else [new, change.old]
    sources: dict[str, _Link] = {}
    for side in sides:
        ev = side.evidence
        label = " ".join(x for x in (ev.outlet or "来源不详", ev.published and ev.published.isoformat()) if x)
        sources.setdefault(ev.url, _Link(label, ev.url, ev.url.startswith(("http://", "https://"))))
    return _Item(
        change.kind,
        KIND_ZH.get(change.kind, change.kind),
        change.summary_zh,
        change.summary_en,
        period,
        _value(change.old) if change.old is not None else None,
        _value(new),
        tuple(sources.values()),
    )


def _value(o: Observation | MilestoneObservation) -> str:
    if isinstance(o, Observation):
        return f"{period_zh(o.when)} {quantity_zh(o.value, o.unit, o.qualifier)}".strip()
    return stage_zh(o.stage) + (f" {o.date}" if o.date else "")
