"""Change detection: pure functions from what is known plus one new observation to change events.

    diff_value(history, new, targets=())  → [Change]   history: every observation of new.key so far
    diff_milestone(history, new)          → [Change]   history: every observation of new.project so far

Nothing is reported twice: a repeat of a known value (a repost, a follow-up) is evidence, not news.
Nothing is reported "back": an article published before what is already known does not undo it.
Order is by publication date, not by the order articles were crawled.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from urllib.parse import urlsplit

from watcher.models import CHANGE_KINDS, STAGE_ORDER, Change, ChangeKind, MilestoneObservation, Observation
from watcher.wording import (
    direction,
    label_en,
    label_zh,
    period_zh,
    quantity_en,
    quantity_zh,
    stage_en,
    stage_zh,
)

__all__ = ["CHANGE_KINDS", "Change", "diff_milestone", "diff_value"]


def _day(o: Observation | MilestoneObservation) -> date:
    return o.evidence.published or date.min


def _latest(observations: Sequence[Observation]) -> Observation:
    return max(observations, key=_day)  # max keeps the first of equals: the earliest crawled


def _same(a: Observation, b: Observation) -> bool:
    close = abs(a.value - b.value) <= 1e-9 + 1e-6 * max(abs(a.value), abs(b.value))
    return close and a.unit == b.unit and a.qualifier == b.qualifier


def _compatible(a: Observation, b: Observation) -> bool:
    """超1000亿 and 1052亿 agree; 5.1% and 5.2% do not."""
    if _same(a, b):
        return True
    exact, bound = (a, b) if a.qualifier == "=" else (b, a)
    if exact.qualifier != "=" or exact.unit != bound.unit:
        return False
    return (
        (bound.qualifier == ">" and exact.value >= bound.value)
        or (bound.qualifier == "<" and exact.value <= bound.value)
        or (bound.qualifier == "~" and abs(exact.value - bound.value) <= 0.05 * abs(bound.value))
    )


def _change(kind: ChangeKind, old: Observation | None, new: Observation, zh: str, en: str) -> Change:
    return Change(kind, new.key.text(), old, new, zh, en)


def _qty(o: Observation) -> tuple[str, str]:
    return quantity_zh(o.value, o.unit, o.qualifier), quantity_en(o.value, o.unit, o.qualifier)


def diff_value(
    history: Sequence[Observation], new: Observation, targets: Sequence[Observation] = ()
) -> list[Change]:
    """Changes that `new` makes to a series whose observations so far are `history`."""
    same_when = [o for o in history if o.when == new.when]
    if new.key.kind == "target":
        return _target(history, same_when, new)
    if new.key.kind == "forecast":
        return _forecast(same_when, new)
    if new.key.measure == "progress":
        return _progress(history, same_when, new)
    return _actual(history, same_when, new, targets)


def _target(history: Sequence[Observation], same_when: list[Observation], new: Observation) -> list[Change]:
    label, (zh, en) = label_zh(new.key), _qty(new)
    if same_when:
        latest = _latest(same_when)
        if any(_same(o, new) for o in same_when) or _day(new) < _day(latest):
            return []  # a repeat, or an older article: not a change back
        (ozh, oen), (dzh, den) = _qty(latest), direction(latest.value, new.value)
        if latest.value == new.value:
            dzh, den = "表述调整", "wording changed"
        return [
            _change(
                "target_changed",
                latest,
                new,
                f"{label} {new.when}年目标: {ozh} → {zh} ({dzh})",
                f"{label_en(new.key)} target for {new.when}: {oen} → {en} ({den})",
            )
        ]
    others = [o for o in history if o.when != new.when and _day(o) <= _day(new)]
    moved = [o for o in others if _same(o, new)]
    if moved:
        old = _latest(moved)
        later = (new.when or "") > (old.when or "")
        return [
            _change(
                "target_changed",
                old,
                new,
                f"{label} 目标{zh}: 期限 {old.when}年 → {new.when}年 ({'推迟' if later else '提前'})",
                f"{label_en(new.key)} target {en}: deadline {old.when} → {new.when} "
                f"({'postponed' if later else 'brought forward'})",
            )
        ]
    if any(o.when == new.when for o in history):
        return []
    return [
        _change(
            "target_set",
            None,
            new,
            f"{label} {new.when}年目标: {zh}",
            f"{label_en(new.key)} target for {new.when}: {en}",
        )
    ]


def _forecast(same_when: list[Observation], new: Observation) -> list[Change]:
    if not same_when:
        return []  # a first forecast is background; only its revisions are news
    latest = _latest(same_when)
    if any(_compatible(o, new) for o in same_when) or _day(new) <= _day(latest):
        return []
    (ozh, oen), (zh, en) = _qty(latest), _qty(new)
    dzh, den = direction(latest.value, new.value)
    when = period_zh(new.when)
    return [
        _change(
            "forecast_revised",
            latest,
            new,
            f"{label_zh(new.key)} {when}预计: {ozh} → {zh} ({dzh})",
            f"{label_en(new.key)} forecast for {new.when}: {oen} → {en} ({den})",
        )
    ]


def _progress(history: Sequence[Observation], same_when: list[Observation], new: Observation) -> list[Change]:
    if any(_same(o, new) for o in same_when) or (history and _day(new) < _day(_latest(history))):
        return []
    old = _latest(same_when) if same_when else None
    return [
        _change(
            "progress_reported",
            old,
            new,
            f"{label_zh(new.key)} {period_zh(new.when)}: 完成目标的{new.value:g}%",
            f"{label_en(new.key)} {new.when}: {new.value:g}% of the target done",
        )
    ]


def _actual(
    history: Sequence[Observation],
    same_when: list[Observation],
    new: Observation,
    targets: Sequence[Observation],
) -> list[Change]:
    label, (zh, en) = label_zh(new.key), _qty(new)
    when = period_zh(new.when)
    if same_when:
        if any(_compatible(o, new) for o in same_when):
            return []  # the same figure again: another source for it
        latest = _latest(same_when)
        (ozh, oen) = _qty(latest)
        if latest.evidence.outlet and latest.evidence.outlet == new.evidence.outlet:
            if _day(new) < _day(latest):
                return []  # the outlet's own older figure: it has been revised since
            return [
                _change(
                    "figure_revised",
                    latest,
                    new,
                    f"{label} {when}: {ozh} → {zh} (修订)",
                    f"{label_en(new.key)} {new.when}: {oen} → {en} (revised)",
                )
            ]
        return [
            _change(
                "figure_conflict",
                latest,
                new,
                f"{label} {when}: {_who(latest)} {ozh} ≠ {_who(new)} {zh}",
                f"{label_en(new.key)} {new.when}: {_who(latest)} says {oen}, {_who(new)} says {en}",
            )
        ]
    if new.when is None or any(_end(o.when) > _end(new.when) for o in history if o.when):
        return _met(new, targets)  # an older period arriving late is filed quietly
    earlier = [o for o in history if o.when and _end(o.when) < _end(new.when)]
    if earlier:
        prev = max(earlier, key=lambda o: (_end(o.when), _day(o)))
        pzh, pen = _qty(prev)
        changes = [
            _change(
                "new_actual",
                prev,
                new,
                f"{label} {when}: {zh}（上期 {period_zh(prev.when)}: {pzh}）",
                f"{label_en(new.key)} {new.when}: {en} (previously {prev.when}: {pen})",
            )
        ]
    else:
        changes = [
            _change("new_actual", None, new, f"{label} {when}: {zh}", f"{label_en(new.key)} {new.when}: {en}")
        ]
    return changes + _met(new, targets)


def _end(when: str | None) -> str:
    """The last month a period covers, comparable as text: 2022-01/2022-10 → 2022-10; 2023 → 2023-12."""
    if not when:
        return ""
    last = when.split("/")[-1]
    return last if len(last) == 7 else f"{last[:4]}-12"


def _met(actual: Observation, targets: Sequence[Observation]) -> list[Change]:
    """An actual for a whole year that a target is due in says whether the target was met."""
    if not actual.when or _end(actual.when)[5:] != "12" or "-" in actual.when.split("/")[0][4:]:
        return []
    year = _end(actual.when)[:4]
    due = [t for t in targets if t.when == year and t.unit == actual.unit]
    if not due:
        return []
    target = _latest(due)
    met = (
        actual.value > target.value
        if target.qualifier == ">"
        else actual.value < target.value
        if target.qualifier == "<"
        else actual.value >= target.value
    )
    tzh, ten = _qty(target)
    azh, aen = _qty(actual)
    label = label_zh(actual.key)
    if met:
        return [
            _change(
                "target_met",
                target,
                actual,
                f"{label} {year}年目标{tzh}已实现: {azh}",
                f"{label_en(actual.key)} {year} target {ten} met: {aen}",
            )
        ]
    return [
        _change(
            "target_missed",
            target,
            actual,
            f"{label} {year}年目标{tzh}未实现: {azh}",
            f"{label_en(actual.key)} {year} target {ten} missed: {aen}",
        )
    ]


def _rank(stage: str) -> int:
    return STAGE_ORDER.index(stage)  # type: ignore[arg-type]


def diff_milestone(history: Sequence[MilestoneObservation], new: MilestoneObservation) -> list[Change]:
    """Changes that `new` makes to what is known of its project."""

    def change(kind: ChangeKind, old: MilestoneObservation | None, zh: str, en: str) -> list[Change]:
        return [Change(kind, new.project, old, new, zh, en)]

    when = f"（{new.date}）" if new.date else ""
    if not history:
        return change(
            "milestone_reached",
            None,
            f"{new.name}: {stage_zh(new.stage)}{when}",
            f"{new.name}: {stage_en(new.stage)}" + (f" ({new.date})" if new.date else ""),
        )
    if any(o.stage == new.stage and (o.date == new.date or new.date is None) for o in history):
        return []
    current = max(history, key=lambda o: (_rank(o.stage), _day(o)))
    same = [o for o in history if o.stage == new.stage and o.date]
    if same and new.date:
        old = max(same, key=_day)
        if _day(new) < _day(old):
            return []
        earlier = new.date < (old.date or "")
        return change(
            "milestone_date_changed",
            old,
            f"{new.name} {stage_zh(new.stage)}: {old.date} → {new.date} ({'提前' if earlier else '推迟'})",
            f"{new.name} {stage_en(new.stage)}: {old.date} → {new.date} "
            f"({'earlier' if earlier else 'later'})",
        )
    if _rank(new.stage) > _rank(current.stage):
        return change(
            "milestone_reached",
            current,
            f"{new.name}: {stage_zh(current.stage)} → {stage_zh(new.stage)}{when}",
            f"{new.name}: {stage_en(current.stage)} → {stage_en(new.stage)}"
            + (f" ({new.date})" if new.date else ""),
        )
    if _rank(new.stage) < _rank(current.stage) and _day(new) > _day(current):
        return change(
            "milestone_regressed",
            current,
            f"{new.name}: 已报{stage_zh(current.stage)}，{new.evidence.published or '新'}文章仍称"
            f"{stage_zh(new.stage)}（可能为旧闻或进度倒退）",
            f"{new.name}: reported {stage_en(current.stage)}, but a newer article says "
            f"{stage_en(new.stage)} (likely an old article, or a setback)",
        )
    return []


def _who(observation: Observation) -> str:
    """Who said it: the outlet, else the site's host name."""
    evidence = observation.evidence
    return evidence.outlet or urlsplit(evidence.url).hostname or evidence.url
