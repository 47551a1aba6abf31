"""The tracker's side of the store: observations by series, change events and the alert outbox.

    history(series) / targets(indicator, subject, measure) / project_history(project)   what is known
    histories(series…) / project_histories(projects…)   the same for many at once, in one query
    record_tracking(...)          observations, changes and deliveries of one article, in ONE transaction:
                                  an alert is written with the change that caused it, or not at all —
                                  one per channel, and one per subscriber whose filters want it
                                  (channel `subscriber:<id>`, key `<change key>:subscriber:<id>`)
    (the outbox's other side — claiming and recording deliveries — is store/outbox.py)
    change_rows(since=…) / series_rows(…) / milestone_rows(…)   what the CLI shows

Delivery is at least once with an idempotency key per alert and channel: a process that dies after
sending but before recording leaves a lease that expires, and the alert is sent again with the same key
(the email's Message-ID, the webhook's Idempotency-Key), so a receiver can drop the repeat.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, inspect
from sqlalchemy import select as select_rows
from sqlmodel import Session, SQLModel, col, select

from watcher.models import Change, Evidence, MilestoneObservation, Observation, SeriesKey
from watcher.store.codec import to_dict
from watcher.store.subscribers import immediate_subscribers
from watcher.store.tables import ChangeRecord, DeliveryRecord, MilestoneObservationRecord, ObservationRecord

LOOKUP_CHUNK = 500  # series or projects a look-up query names at most (bound parameters stay few)


def series_text(key: SeriesKey) -> str:
    return f"{key.indicator}|{key.subject}|{key.measure}|{key.kind}"


@dataclass(frozen=True, slots=True)
class ChangeRow:
    id: int
    key: str
    kind: str
    subject: str
    summary_zh: str
    summary_en: str
    immediate: bool
    created_at: datetime
    url: str
    old: dict[str, Any] | None
    new: dict[str, Any]
    deliveries: dict[str, str]  # channel → status


def _plain_rows(model: type[SQLModel]) -> Select[Any]:
    """A query of the model's columns as plain rows, no ORM objects to build: a tracked article reads the
    whole history of every series it names, several rows a fact."""
    return select_rows(*inspect(model).columns)


_OBSERVATIONS = _plain_rows(ObservationRecord)
_MILESTONES = _plain_rows(MilestoneObservationRecord)


def _observation(r: Row[Any]) -> Observation:
    key = SeriesKey(r.indicator, r.subject, r.measure, r.kind)
    return Observation(
        key, r.span, r.value, r.unit, r.qualifier, Evidence(r.url, r.outlet, r.published, r.sentence), r.raw
    )


def _milestone(r: Row[Any]) -> MilestoneObservation:
    return MilestoneObservation(
        r.project, r.name, r.stage, r.date, Evidence(r.url, r.outlet, r.published, r.sentence)
    )


class TrackingStore:
    """Mixed into `Store`: the methods below use its `_session()`."""

    def _session(self) -> AbstractContextManager[Session]:  # provided by Store
        raise NotImplementedError

    def history(self, key: SeriesKey) -> list[Observation]:
        return self.histories([key])[key]

    def histories(self, keys: Iterable[SeriesKey]) -> dict[SeriesKey, list[Observation]]:
        """Every observation of each series, oldest first ([] when none), in one query per LOOKUP_CHUNK."""
        found: dict[SeriesKey, list[Observation]] = {k: [] for k in keys}
        wanted: dict[str, list[SeriesKey]] = {}
        for key in found:
            wanted.setdefault(series_text(key), []).append(key)
        if not wanted:
            return found
        with self._session() as s:
            for chunk in _chunks(list(wanted), LOOKUP_CHUNK):
                query = _OBSERVATIONS.where(col(ObservationRecord.series).in_(chunk))
                rows = s.exec(query.order_by(col(ObservationRecord.id)))
                for r in rows:
                    for key in wanted[r.series]:
                        found[key].append(_observation(r))
        return found

    def targets(self, indicator: str, subject: str, measure: str) -> list[Observation]:
        return self.history(SeriesKey(indicator, subject, measure, "target"))

    def project_history(self, project: str) -> list[MilestoneObservation]:
        return self.project_histories([project])[project]

    def project_histories(self, projects: Iterable[str]) -> dict[str, list[MilestoneObservation]]:
        """Every milestone observation of each project, oldest first ([] when none), like `histories`."""
        found: dict[str, list[MilestoneObservation]] = {p: [] for p in projects}
        if not found:
            return found
        with self._session() as s:
            for chunk in _chunks(list(found), LOOKUP_CHUNK):
                query = _MILESTONES.where(col(MilestoneObservationRecord.project).in_(chunk))
                rows = s.exec(query.order_by(col(MilestoneObservationRecord.id)))
                for r in rows:
                    found[r.project].append(_milestone(r))
        return found

    def record_tracking(
        self,
        *,
        article_id: int | None,
        seen_at: datetime,
        observations: list[Observation],
        milestones: list[MilestoneObservation],
        changes: list[tuple[Change, bool]],
        channels: list[str],
    ) -> int:
        """Store one article's observations and changes, and an outbox row per immediate change and channel.
        Returns how many changes were new (a change already recorded — same key — is skipped)."""
        with self._session() as s:
            s.add_all([_observation_record(o, article_id, seen_at) for o in observations])
            s.add_all([_milestone_record(m, article_id, seen_at) for m in milestones])
            new = _unrecorded(s, changes)
            records = [_change_record(change, immediate, article_id, seen_at) for change, immediate in new]
            s.add_all(records)
            s.flush()  # the changes' ids, for their outbox rows
            alerts = [(change, r) for (change, immediate), r in zip(new, records, strict=True) if immediate]
            subscribers = immediate_subscribers(s) if alerts else []
            for change, record in alerts:
                wanted = [x.channel for x in subscribers if x.wants(change)]
                s.add_all(_delivery(change.key, record.id or 0, c, seen_at) for c in channels + wanted)
            return len(new)

    def change_rows(self, *, since: datetime | None = None, immediate: bool | None = None) -> list[ChangeRow]:
        with self._session() as s:
            query = select(ChangeRecord).order_by(col(ChangeRecord.id))
            if since is not None:
                query = query.where(ChangeRecord.created_at >= since)
            if immediate is not None:
                query = query.where(ChangeRecord.immediate == immediate)
            rows = s.exec(query).all()
            status: dict[int, dict[str, str]] = {}
            ids = [r.id for r in rows]
            for d in s.exec(select(DeliveryRecord).where(col(DeliveryRecord.change_id).in_(ids))):
                status.setdefault(d.change_id, {})[d.channel] = d.status
            return [
                ChangeRow(
                    r.id or 0,
                    r.key,
                    r.kind,
                    r.subject,
                    r.summary_zh,
                    r.summary_en,
                    r.immediate,
                    r.created_at,
                    r.new["evidence"]["url"],
                    r.old,
                    r.new,
                    status.get(r.id or 0, {}),
                )
                for r in rows
            ]

    def series_observations(
        self, *, indicator: str | None = None, subject: str | None = None
    ) -> list[Observation]:
        with self._session() as s:
            query = _OBSERVATIONS.order_by(
                col(ObservationRecord.series), col(ObservationRecord.span), col(ObservationRecord.id)
            )
            if indicator:
                query = query.where(col(ObservationRecord.indicator).contains(indicator))
            if subject:
                query = query.where(col(ObservationRecord.subject).contains(subject))
            return [_observation(r) for r in s.exec(query)]

    def milestone_observations(self, *, project: str | None = None) -> list[MilestoneObservation]:
        with self._session() as s:
            query = _MILESTONES.order_by(
                col(MilestoneObservationRecord.project), col(MilestoneObservationRecord.id)
            )
            if project:
                query = query.where(col(MilestoneObservationRecord.project).contains(project))
            return [_milestone(r) for r in s.exec(query)]


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _unrecorded(s: Session, changes: list[tuple[Change, bool]]) -> list[tuple[Change, bool]]:
    """The changes not recorded yet, each key once, in their order."""
    if not changes:
        return []
    keys = [change.key for change, _ in changes]
    known = set(s.exec(select(ChangeRecord.key).where(col(ChangeRecord.key).in_(keys))))
    new = []
    for change, immediate in changes:
        if change.key not in known:
            known.add(change.key)
            new.append((change, immediate))
    return new


def _change_record(
    change: Change, immediate: bool, article_id: int | None, seen_at: datetime
) -> ChangeRecord:
    return ChangeRecord(
        key=change.key,
        kind=change.kind,
        subject=change.subject,
        summary_zh=change.summary_zh,
        summary_en=change.summary_en,
        old=to_dict(change.old) if change.old else None,
        new=to_dict(change.new),
        immediate=immediate,
        article_id=article_id,
        created_at=seen_at,
    )


def _delivery(change_key: str, change_id: int, channel: str, now: datetime) -> DeliveryRecord:
    return DeliveryRecord(
        key=f"{change_key}:{channel}",
        change_id=change_id,
        channel=channel,
        next_attempt_at=now,
        created_at=now,
    )


def _observation_record(o: Observation, article_id: int | None, seen_at: datetime) -> ObservationRecord:
    k = o.key
    return ObservationRecord(
        series=series_text(k),
        indicator=k.indicator,
        subject=k.subject,
        measure=k.measure,
        kind=k.kind,
        span=o.when,
        value=o.value,
        unit=o.unit,
        qualifier=o.qualifier,
        raw=o.raw,
        article_id=article_id,
        url=o.evidence.url,
        outlet=o.evidence.outlet,
        published=o.evidence.published,
        sentence=o.evidence.sentence,
        seen_at=seen_at,
    )


def _milestone_record(
    m: MilestoneObservation, article_id: int | None, seen_at: datetime
) -> MilestoneObservationRecord:
    return MilestoneObservationRecord(
        project=m.project,
        name=m.name,
        stage=m.stage,
        date=m.date,
        article_id=article_id,
        url=m.evidence.url,
        outlet=m.evidence.outlet,
        published=m.evidence.published,
        sentence=m.evidence.sentence,
        seen_at=seen_at,
    )
