"""The tracker's side of the store: observations by series, change events and the alert outbox.

    history(series) / targets(indicator, subject, measure) / project_history(project)   what is known
    histories(series…) / project_histories(projects…)   the same for many at once, in one query
    latest_histories(series…) / latest_project_histories(projects…)   what change detection reads: a
                                  brief of each (watcher.store.latest), the same size however much is stored
    record_tracked([TrackedArticle…])   observations, changes and deliveries of a batch of articles, in
                                  ONE transaction of multi-row statements (record_tracking: one article):
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

from sqlalchemy import Select, delete, inspect
from sqlalchemy import select as select_rows
from sqlmodel import Session, SQLModel, col, select

from watcher.models import Change, MilestoneObservation, Observation, SeriesKey
from watcher.store import latest
from watcher.store import tracking_rows as rows
from watcher.store.latest import milestone_from_row as _milestone
from watcher.store.latest import observation_from_row as _observation
from watcher.store.latest import series_text
from watcher.store.subscribers import immediate_subscribers
from watcher.store.tables import (
    ChangeRecord,
    DeliveryRecord,
    MilestoneObservationRecord,
    ObservationRecord,
    PendingTracking,
)
from watcher.store.tracking_rows import TrackedArticle

__all__ = ["LOOKUP_CHUNK", "ChangeRow", "TrackedArticle", "TrackingStore", "series_text"]

LOOKUP_CHUNK = 500  # series or projects a look-up query names at most (bound parameters stay few)
DELIVERIES = DeliveryRecord.__table__  # type: ignore[attr-defined]
PENDING = PendingTracking.__table__  # type: ignore[attr-defined]


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
        tracked = TrackedArticle(article_id, observations, milestones, changes)
        return self.record_tracked([tracked], seen_at=seen_at, channels=channels)

    def record_tracked(
        self, articles: list[TrackedArticle], *, seen_at: datetime, channels: list[str]
    ) -> int:
        """`record_tracking` for several articles in ONE transaction and a few multi-row statements; their
        pending_tracking rows go with it. Returns how many changes were new."""
        with self._session() as s:
            conn = s.connection()
            rows.add_observations(conn, articles, seen_at)
            rows.add_milestones(conn, articles, seen_at)
            new = rows.add_changes(conn, articles, seen_at)
            alerts = [(change, change_id) for change, change_id, immediate in new if immediate]
            subscribers = immediate_subscribers(s) if alerts else []
            outbox = [
                rows.delivery_row(change.key, change_id, channel, seen_at)
                for change, change_id in alerts
                for channel in channels + [x.channel for x in subscribers if x.wants(change)]
            ]
            if outbox:
                latest.write_rows(conn, "deliveries", DELIVERIES, outbox, latest.once_a_key)
            done = [a.article_id for a in articles if a.article_id is not None]
            if done:
                conn.execute(delete(PENDING).where(PENDING.c.article_id.in_(done)))
            return len(new)

    def latest_histories(
        self, keys: Iterable[SeriesKey], new: Iterable[Observation] = ()
    ) -> dict[SeriesKey, list[Observation]]:
        """What change detection needs of each series (see `watcher.store.latest`) to diff the `new`
        observations, oldest first."""
        with self._session() as s:
            return latest.latest_histories(s.connection(), keys, new)

    def latest_project_histories(self, projects: Iterable[str]) -> dict[str, list[MilestoneObservation]]:
        with self._session() as s:
            return latest.latest_project_histories(s.connection(), projects)

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
