"""Text views of the tracker's state: a series with its observations and sources, targets beside actuals;
projects with the stages they reached."""

from __future__ import annotations

from collections import defaultdict
from itertools import groupby

from watcher.models import MilestoneObservation, Observation
from watcher.render import aligned
from watcher.wording import label_zh, period_zh, quantity_zh, stage_zh

_KIND_ORDER = {"actual": 0, "target": 1, "forecast": 2}


def _sources(observations: list[Observation | MilestoneObservation]) -> str:
    seen: dict[str, None] = {}
    for o in observations:
        ev = o.evidence
        seen[f"{ev.outlet or '?'} {ev.published or ''} {ev.url}".strip()] = None
    return " | ".join(seen)


def series_view(observations: list[Observation]) -> str:
    """One block per indicator and subject: each period's (or deadline's) value, with every source."""
    if not observations:
        return "(no series)\n"
    blocks: dict[tuple[str, str, str], list[Observation]] = defaultdict(list)
    for o in observations:
        blocks[(o.key.indicator, o.key.subject, o.key.measure)].append(o)
    out = []
    for (_indicator, _subject, _measure), rows in sorted(blocks.items()):
        rows.sort(key=lambda o: (_KIND_ORDER.get(o.key.kind, 9), o.when or "", o.evidence.published or ""))
        body = []
        for (kind, when, value, unit, qualifier), same in groupby(
            rows, key=lambda o: (o.key.kind, o.when, o.value, o.unit, o.qualifier)
        ):
            group = list(same)
            label = (
                period_zh(when)
                if kind == "actual"
                else (f"{when}年目标" if kind == "target" else f"{when}预计")
            )
            body.append([kind, label, quantity_zh(value, unit, qualifier), str(len(group)), _sources(group)])
        out.append(
            f"{label_zh(rows[0].key)}\n"
            + aligned(["kind", "period", "value", "sources", "from"], body, last=100)
        )
    return "\n".join(out)


def milestones_view(observations: list[MilestoneObservation]) -> str:
    if not observations:
        return "(no milestones)\n"
    body = []
    ordered = sorted(observations, key=lambda m: (m.project, m.evidence.published or "", m.stage))
    for (project, stage, day), same in groupby(ordered, key=lambda m: (m.project, m.stage, m.date)):
        group = list(same)
        body.append([project, stage_zh(stage), day or "", str(len(group)), _sources(group)])
    return aligned(["project", "stage", "date", "sources", "from"], body, last=100)
