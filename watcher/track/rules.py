"""Which changes alert at once: the configured kinds, threshold rules, and filters. Pure."""

from __future__ import annotations

from watcher.config import AlertSettings, ThresholdRule
from watcher.track.changes import Change
from watcher.track.series import Observation


def _crosses(rule: ThresholdRule, o: Observation) -> bool:
    k = o.key
    if rule.indicator not in k.indicator or (rule.subject and rule.subject not in k.subject):
        return False
    if k.measure != rule.measure or k.kind != "actual":
        return False
    return (rule.below is not None and o.value < rule.below) or (
        rule.above is not None and o.value > rule.above
    )


def _passes_filters(change: Change, settings: AlertSettings) -> bool:
    new = change.new
    if isinstance(new, Observation):
        if settings.indicators and not any(i in new.key.indicator for i in settings.indicators):
            return False
        if settings.subjects and not any(s in new.key.subject for s in settings.subjects):
            return False
    elif settings.indicators or settings.subjects:
        names = settings.indicators + settings.subjects
        if not any(n in new.project for n in names):
            return False
    if settings.keywords:
        text = change.summary_zh + change.summary_en + new.evidence.sentence
        return any(k in text for k in settings.keywords)
    return True


def is_immediate(change: Change, settings: AlertSettings) -> bool:
    """Alert now (True) or keep for the digests (False)."""
    if not _passes_filters(change, settings):
        return False
    if change.kind in settings.immediate:
        return True
    new = change.new
    return isinstance(new, Observation) and any(_crosses(rule, new) for rule in settings.thresholds)
