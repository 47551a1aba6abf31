"""Which changes alert at once, and who wants which: one `Filters` for alert rules and subscribers. Pure.

    Filters(indicators, subjects, keywords, kinds).matches(change) → bool
    is_immediate(change, settings) → bool      alert now, or keep for the digests

One meaning everywhere, case-insensitive (casefolded) and by containment: each list that is not empty
must match. An indicator or subject matches a value's series indicator or subject; for a project's
milestone, either list matches the project's name. A keyword matches the change's subject, either
summary or the evidence sentence, each read on its own (a keyword never spans two of them). A kind
matches the change's kind exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from watcher.config import AlertSettings, ThresholdRule
from watcher.models import Change, Observation


def _folded(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(v.casefold() for v in values if v.strip())


def _any_in(needles: tuple[str, ...], *haystacks: str) -> bool:
    return any(n in h.casefold() for h in haystacks for n in needles)


@dataclass(frozen=True, slots=True)
class Filters:
    """What a change must be about; an empty list asks nothing."""

    indicators: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        *,
        indicators: Iterable[str] = (),
        subjects: Iterable[str] = (),
        keywords: Iterable[str] = (),
        kinds: Iterable[str] = (),
    ) -> Filters:
        return cls(_folded(indicators), _folded(subjects), _folded(keywords), tuple(kinds))

    @property
    def is_empty(self) -> bool:
        return not (self.indicators or self.subjects or self.keywords or self.kinds)

    def matches(self, change: Change) -> bool:
        if self.kinds and change.kind not in self.kinds:
            return False
        new = change.new
        if isinstance(new, Observation):
            if self.indicators and not _any_in(self.indicators, new.key.indicator):
                return False
            if self.subjects and not _any_in(self.subjects, new.key.subject):
                return False
        elif (self.indicators or self.subjects) and not _any_in(
            self.indicators + self.subjects, new.project, new.name
        ):
            return False
        texts = (change.subject, change.summary_zh, change.summary_en, new.evidence.sentence)
        return not self.keywords or _any_in(self.keywords, *texts)


def alert_filters(settings: AlertSettings) -> Filters:
    return Filters.of(indicators=settings.indicators, subjects=settings.subjects, keywords=settings.keywords)


def _crosses(rule: ThresholdRule, o: Observation) -> bool:
    k = o.key
    if rule.indicator not in k.indicator or (rule.subject and rule.subject not in k.subject):
        return False
    if k.measure != rule.measure or k.kind != "actual":
        return False
    return (rule.below is not None and o.value < rule.below) or (
        rule.above is not None and o.value > rule.above
    )


def is_immediate(change: Change, settings: AlertSettings, filters: Filters | None = None) -> bool:
    """Alert now (True) or keep for the digests (False). `filters`: `alert_filters(settings)`, made once."""
    if not (filters or alert_filters(settings)).matches(change):
        return False
    if change.kind in settings.immediate:
        return True
    new = change.new
    return isinstance(new, Observation) and any(_crosses(rule, new) for rule in settings.thresholds)
