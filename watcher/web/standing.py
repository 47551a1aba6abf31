"""How the latest actual stands against a target: met, on track, behind, missed — or not known yet. Pure.

    standings(targets, actuals, today) → [Standing]    one per target series and deadline, the latest word

The rules, in order:
1. A whole-year actual for the deadline year decides: met or missed.
2. No actual at all, or the deadline has passed without a whole-year figure: unknown.
3. Levels (产值, GDP): an actual that already meets the target → met (early). A year-to-date figure of the
   deadline year (1—9月) is scaled to twelve months; else the growth of the last two whole years is carried
   forward to the deadline. Either meets the target → on track, else behind; with neither, unknown.
4. Rates, shares, progress (增速 6%): the latest actual meets the target → on track, else behind.
   Ranks count down: 第3位 meets 前5.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

STATUS_ZH = {
    "met": "已实现",
    "on_track": "进度正常",
    "behind": "落后",
    "missed": "未实现",
    "unknown": "待观察",
}
STATUS_EN = {
    "met": "met",
    "on_track": "on track",
    "behind": "behind",
    "missed": "missed",
    "unknown": "unknown",
}
_YTD = re.compile(r"^(\d{4})-01/(\d{4})-(\d{2})$")


class Observed(Protocol):
    @property
    def indicator(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def measure(self) -> str: ...
    @property
    def when(self) -> str | None: ...
    @property
    def value(self) -> float: ...
    @property
    def unit(self) -> str: ...
    @property
    def qualifier(self) -> str: ...
    @property
    def published(self) -> date | None: ...
    @property
    def id(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Standing:
    target: Observed
    actual: Observed | None  # the latest actual, if any
    status: str  # met | on_track | behind | missed | unknown
    projected: float | None = None  # what the rule compared (a scaled or carried-forward figure)

    @property
    def deadline(self) -> str:
        return deadline_year(self.target.when)

    @property
    def status_zh(self) -> str:
        return STATUS_ZH[self.status]

    @property
    def status_en(self) -> str:
        return STATUS_EN[self.status]


def deadline_year(when: str | None) -> str:
    """2026 → 2026; 2021/2025 → 2025."""
    return (when or "").split("/")[-1][:4]


def period_end(when: str | None) -> str:
    """2022-01/2022-10 → 2022-10; 2023 → 2023-12 (comparable as text)."""
    last = (when or "").split("/")[-1]
    return last if len(last) == 7 else f"{last[:4]}-12"


def _newest(items: Iterable[Observed]) -> Observed:
    return max(items, key=lambda o: (o.published or date.min, o.id))


def meets(value: float, target: Observed) -> bool:
    if target.measure == "rank":
        return value <= target.value
    if target.qualifier == "<":
        return value <= target.value
    return value >= target.value


def standings(targets: Iterable[Observed], actuals: Iterable[Observed], today: date) -> list[Standing]:
    """The latest target of each series and deadline, with how the actuals stand against it."""
    latest: dict[tuple[str, str, str, str], list[Observed]] = {}
    for t in targets:
        latest.setdefault((t.indicator, t.subject, t.measure, deadline_year(t.when)), []).append(t)
    by_series: dict[tuple[str, str, str], list[Observed]] = {}
    for a in actuals:
        if a.when:
            by_series.setdefault((a.indicator, a.subject, a.measure), []).append(a)
    found = []
    for (indicator, subject, measure, _), group in sorted(latest.items()):
        target = _newest(group)
        same_unit = [a for a in by_series.get((indicator, subject, measure), []) if a.unit == target.unit]
        found.append(stand(target, same_unit, today))
    return found


def stand(target: Observed, actuals: list[Observed], today: date) -> Standing:
    year = deadline_year(target.when)
    whole = [a for a in actuals if a.when == year]
    if whole:
        actual = _newest(whole)
        return Standing(target, actual, "met" if meets(actual.value, target) else "missed", actual.value)
    if not actuals:
        return Standing(target, None, "unknown")
    last = max(actuals, key=lambda a: (period_end(a.when), a.published or date.min, a.id))
    if year.isdigit() and int(year) < today.year:
        return Standing(target, last, "unknown")
    if target.measure != "level":
        return Standing(target, last, "on_track" if meets(last.value, target) else "behind", last.value)
    if meets(last.value, target) and last.qualifier != "<":
        return Standing(target, last, "met", last.value)
    projected = _projected(actuals, year)
    if projected is None:
        return Standing(target, last, "unknown")
    return Standing(target, last, "on_track" if meets(projected, target) else "behind", projected)


def _projected(actuals: list[Observed], year: str) -> float | None:
    """The deadline year's figure as the actuals suggest: a year-to-date figure scaled, or recent growth."""
    ytd = [a for a in actuals if (m := _YTD.match(a.when or "")) and m.group(1) == m.group(2) == year]
    if ytd:
        a = max(ytd, key=lambda a: (period_end(a.when), a.published or date.min))
        months = int(period_end(a.when)[5:])
        return a.value * 12 / months
    yearly = sorted((int(a.when), a.value) for a in actuals if a.when and re.fullmatch(r"\d{4}", a.when))
    if len(yearly) < 2 or not year.isdigit():
        return None
    (y1, v1), (y2, v2) = yearly[-2], yearly[-1]
    if v1 <= 0 or v2 <= 0 or y2 == y1:
        return None
    growth = (v2 / v1) ** (1 / (y2 - y1))
    return v2 * growth ** (int(year) - y2)
