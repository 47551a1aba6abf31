"""Facts → series → changes. Pure: no I/O; the store feeds it history and keeps what it returns."""

from watcher.track.changes import CHANGE_KINDS, Change, diff_milestone, diff_value
from watcher.track.rules import Filters, is_immediate
from watcher.track.series import (
    Evidence,
    MilestoneObservation,
    Observation,
    SeriesKey,
    canonical_indicator,
    canonical_project,
    canonical_subject,
    observe_milestone,
    observe_value,
)

__all__ = [
    "CHANGE_KINDS",
    "Change",
    "Evidence",
    "Filters",
    "MilestoneObservation",
    "Observation",
    "SeriesKey",
    "canonical_indicator",
    "canonical_project",
    "canonical_subject",
    "diff_milestone",
    "diff_value",
    "is_immediate",
    "observe_milestone",
    "observe_value",
]
