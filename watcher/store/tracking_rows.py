"""The rows a tracking batch writes, as multi-row statements (SQLAlchemy Core): observations with the
briefs they update, changes once per key, and their outbox rows.

    TrackedArticle                 one article's share of a batch
    add_observations / add_milestones(conn, articles, seen_at)   rows in, briefs folded (store.latest)
    add_changes(conn, articles, seen_at) → [(change, id, immediate)]   the changes not recorded before
    delivery_row(change key, change id, channel, now)          an outbox row
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from watcher.models import Change, MilestoneObservation, Observation, observation_to_dict
from watcher.store import latest
from watcher.store.latest import series_text
from watcher.store.tables import ChangeRecord

CHANGES = ChangeRecord.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class TrackedArticle:
    """One article's share of a tracking batch: what it observed and the changes found."""

    article_id: int | None
    observations: list[Observation]
    milestones: list[MilestoneObservation]
    changes: list[tuple[Change, bool]]  # (change, immediate)


def add_observations(conn: Connection, articles: list[TrackedArticle], seen_at: datetime) -> None:
    rows = [_observation_row(o, a.article_id, seen_at) for a in articles for o in a.observations]
    if not rows:
        return
    c = latest.OBSERVATIONS.c  # what a brief needs comes back with each id: no order to keep
    back = (c.id, c.series, c.span, c.value, c.unit, c.qualifier, c.published)
    briefs: dict[tuple[Any, ...], latest.SeriesBrief] = {}
    written = latest.write_rows(conn, "observations", latest.OBSERVATIONS, rows, latest.returning(*back))
    for r in sorted(written.all()):
        key = (r.series, r.span or "", r.value, r.unit, r.qualifier)
        briefs.setdefault(key, latest.SeriesBrief(*key)).add(r.id, latest.day_number(r.published))
    latest.upsert_series(conn, briefs.values())


def add_milestones(conn: Connection, articles: list[TrackedArticle], seen_at: datetime) -> None:
    rows = [_milestone_row(m, a.article_id, seen_at) for a in articles for m in a.milestones]
    if not rows:
        return
    c = latest.MILESTONES.c
    back = (c.id, c.project, c.stage, c.date, c.published)
    briefs: dict[tuple[str, str, str], latest.MilestoneBrief] = {}
    for r in sorted(
        latest.write_rows(conn, "milestones", latest.MILESTONES, rows, latest.returning(*back)).all()
    ):
        key = (r.project, r.stage, r.date or "")
        briefs.setdefault(key, latest.MilestoneBrief(*key)).add(r.id, latest.day_number(r.published))
    latest.upsert_milestones(conn, briefs.values())


def add_changes(
    conn: Connection, articles: list[TrackedArticle], seen_at: datetime
) -> list[tuple[Change, int, bool]]:
    """Insert the changes not recorded yet (each key once, in their order): (change, id, immediate)."""
    wanted: dict[str, tuple[Change, bool, int | None]] = {}
    for a in articles:
        for change, immediate in a.changes:
            wanted.setdefault(change.key, (change, immediate, a.article_id))
    if not wanted:
        return []
    rows = [_change_row(c, immediate, aid, seen_at) for c, immediate, aid in wanted.values()]
    written = latest.write_rows(conn, "changes", CHANGES, rows, _new_changes)
    ids = {r.key: r.id for r in written.all()}
    return [(c, ids[key], immediate) for key, (c, immediate, _) in wanted.items() if key in ids]


def _new_changes(stmt: Any) -> Any:
    """Each change once: a key recorded before is skipped, and only the new ones come back."""
    return latest.once_a_key(stmt).returning(CHANGES.c.key, CHANGES.c.id)


def _change_row(change: Change, immediate: bool, article_id: int | None, seen_at: datetime) -> dict[str, Any]:
    return {
        "key": change.key,
        "kind": change.kind,
        "subject": change.subject,
        "summary_zh": change.summary_zh,
        "summary_en": change.summary_en,
        "old": observation_to_dict(change.old) if change.old else None,
        "new": observation_to_dict(change.new),
        "immediate": immediate,
        "article_id": article_id,
        "created_at": seen_at,
    }


def delivery_row(change_key: str, change_id: int, channel: str, now: datetime) -> dict[str, Any]:
    return {
        "key": f"{change_key}:{channel}",
        "change_id": change_id,
        "channel": channel,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "lease_until": None,
        "last_error": None,
        "created_at": now,
        "sent_at": None,
    }


def _observation_row(o: Observation, article_id: int | None, seen_at: datetime) -> dict[str, Any]:
    k = o.key
    return {
        "series": series_text(k),
        "indicator": k.indicator,
        "subject": k.subject,
        "measure": k.measure,
        "kind": k.kind,
        "span": o.when,
        "value": o.value,
        "unit": o.unit,
        "qualifier": o.qualifier,
        "raw": o.raw,
        "article_id": article_id,
        "url": o.evidence.url,
        "outlet": o.evidence.outlet,
        "published": o.evidence.published,
        "sentence": o.evidence.sentence,
        "seen_at": seen_at,
    }


def _milestone_row(m: MilestoneObservation, article_id: int | None, seen_at: datetime) -> dict[str, Any]:
    return {
        "project": m.project,
        "name": m.name,
        "stage": m.stage,
        "date": m.date,
        "article_id": article_id,
        "url": m.evidence.url,
        "outlet": m.evidence.outlet,
        "published": m.evidence.published,
        "sentence": m.evidence.sentence,
        "seen_at": seen_at,
    }
