"""Digest emails, rendered: what changed in a period, for one subscriber.

    due_period(now, settings, frequency) → Period        the latest period whose send time passed
    compose_digest(settings, reader, period, since, found, failing) → Message

A period is a local date (daily, sent at `digests.daily_at`) or an ISO week (weekly, on `weekly_on` at
`weekly_at`), in `digests.timezone`. Its digest holds the changes the subscriber's filters want: alerts
first, then the other changes grouped by subject and indicator, each with old → new, its period and links
to the source articles; a footer names the sources whose latest crawl failed. It is rendered with
`templates/digest.html.j2` and `digest.txt.j2`; its Message-ID is `digest.<subscriber>.<period>`, the
same for every attempt. Which digests are due, and sending each exactly once, is `watcher.delivery`'s.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from watcher.config import DigestSettings, Settings
from watcher.models import Change, FailingSource, FoundChange, MilestoneObservation, Observation
from watcher.notify.message import (
    SUBJECT_PREFIX,
    Message,
    template_environment,
    unsubscribe_headers,
    unsubscribe_url,
)
from watcher.wording import kind_zh, label_zh, period_zh, quantity_zh, stage_zh

logger = logging.getLogger(__name__)

DigestFrequency = Literal["daily", "weekly"]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_ERROR_CHARS = 160
_NAMES = {"daily": ("每日摘要", "Daily digest"), "weekly": ("每周摘要", "Weekly digest")}


class Reader(Protocol):
    """Who a digest is for (a store's Subscriber): their address, unsubscribe token and filters."""

    @property
    def id(self) -> int: ...
    @property
    def email(self) -> str: ...
    @property
    def token(self) -> str: ...
    @property
    def indicators(self) -> tuple[str, ...]: ...
    @property
    def subjects(self) -> tuple[str, ...]: ...
    @property
    def keywords(self) -> tuple[str, ...]: ...
    @property
    def kinds(self) -> tuple[str, ...]: ...


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


def compose_digest(
    settings: Settings,
    subscriber: Reader,
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


def _filters(subscriber: Reader) -> str:
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
        kind_zh(change.kind),
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
