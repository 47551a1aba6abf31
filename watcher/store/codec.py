"""Observations and changes from the JSON-ready dicts the store keeps a change's old and new as (written by
`models.observation_to_dict`)."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from watcher.models import Change, ChangeKind, Evidence, MilestoneObservation, Observation, SeriesKey


def evidence_from_dict(data: dict[str, Any]) -> Evidence:
    published = data.get("published")
    return Evidence(
        data["url"],
        data.get("outlet"),
        date.fromisoformat(published) if published else None,
        data.get("sentence") or "",
    )


def from_dict(data: dict[str, Any]) -> Observation | MilestoneObservation:
    ev = evidence_from_dict(data["evidence"])
    if data["type"] == "milestone":
        return MilestoneObservation(data["project"], data["name"], data["stage"], data.get("date"), ev)
    key = SeriesKey(data["indicator"], data["subject"], data["measure"], data["kind"])
    return Observation(
        key,
        data.get("when"),
        float(data["value"]),
        data["unit"],
        data["qualifier"],
        ev,
        data.get("raw") or "",
    )


def change_from_record(
    kind: str, subject: str, old: dict[str, Any] | None, new: dict[str, Any], zh: str, en: str
) -> Change:
    """A change as the `changes` table holds it (its kind is one we wrote)."""
    return Change(cast(ChangeKind, kind), subject, from_dict(old) if old else None, from_dict(new), zh, en)
