"""What a page or an API answer holds, put together from queries: shared by the HTML pages and the JSON API.

    overview(s, app, today) → Overview
    series_view(s, indicator, subject, measure) → SeriesView | None
    project_view(s, project) → ProjectView | None
    article_marks(item) → [Mark]                 every fact of an article at its span, linking to its page
    change_json / observation_json / …          the API's JSON shapes

URLs of pages are made here (`series_url`, `project_url`, `article_url`), so pages and API agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from sqlmodel import Session

from watcher.models import CHANGE_KINDS, STAGE_ORDER
from watcher.web import queries as q
from watcher.web.articles import ArticleItem, FactItem
from watcher.web.chart import series_chart
from watcher.web.spans import Mark, locate
from watcher.web.standing import Standing, standings
from watcher.wording import period_zh, quantity_en, quantity_zh, stage_en, stage_zh

if TYPE_CHECKING:
    from markupsafe import Markup

    from watcher.app import App
    from watcher.health import SourceHealth

MAIN_STAGES = ("signed", "started", "topped_out", "operational")  # 签约 → 开工 → 封顶 → 投产
KINDS = (*CHANGE_KINDS, "health")
_MEASURE_ZH = {"level": "总量", "yoy": "增速", "share": "占比", "progress": "完成进度", "rank": "排名"}


def measure_zh(measure: str) -> str:
    return _MEASURE_ZH.get(measure, measure)


def series_url(subject: str, indicator: str, measure: str = "level") -> str:
    url = f"/series/{quote(subject, safe='')}/{quote(indicator, safe='')}"
    return url if measure == "level" else f"{url}?{urlencode({'measure': measure})}"


def project_url(project: str) -> str:
    return f"/projects/{quote(project, safe='')}"


def article_url(article_id: int | None) -> str | None:
    return f"/articles/{article_id}" if article_id else None


def change_url(c: q.ChangeItem) -> str | None:
    """The page of what changed: its series or its project."""
    if c.project:
        return project_url(c.project)
    if c.indicator and c.series_subject and c.new.get("kind") in ("actual", "target", "forecast"):
        return series_url(c.series_subject, c.indicator, c.new.get("measure") or "level")
    return None


def quantity(o: q.ObservationItem) -> str:
    return quantity_zh(o.value, o.unit, o.qualifier)


# --- overview -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Overview:
    changes: list[q.ChangeItem]
    standings: list[Standing]
    milestones: list[q.ChangeItem]
    sources: list[SourceHealth]
    regions: dict[str, str | None]  # source → region


def target_standings(s: Session, today: date, *, limit: int = 20) -> list[Standing]:
    """How the actuals stand against the targets stated most lately (`limit` target series)."""
    keys = q.latest_target_series(s, limit=limit)
    actual_keys = [key.rsplit("|", 1)[0] + "|actual" for key in keys]
    found = q.observations_of_series(s, keys + actual_keys) if keys else []
    targets = [o for o in found if o.kind == "target"]
    actuals = [o for o in found if o.kind == "actual"]
    return standings(targets, actuals, today)


def overview(s: Session, app: App, today: date, *, limit: int = 20) -> Overview:
    from watcher.health import source_health

    return Overview(
        changes=q.alerts_first(s, limit=limit),
        standings=target_standings(s, today),
        milestones=q.recent_milestones(s, limit=10),
        sources=source_health(app, app.clock()),
        regions={spec.name: app.region_of(spec) for spec in app.settings.sources},
    )


# --- series ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SeriesView:
    indicator: str
    subject: str
    measure: str
    actuals: list[q.ObservationItem]
    targets: list[q.ObservationItem]
    forecasts: list[q.ObservationItem]
    changes: list[q.ChangeItem]
    standings: list[Standing]
    chart: Markup

    @property
    def observations(self) -> list[q.ObservationItem]:
        return [*self.actuals, *self.targets, *self.forecasts]


def series_view(s: Session, indicator: str, subject: str, measure: str, today: date) -> SeriesView | None:
    found = q.series_observations(s, indicator, subject, measure)
    if not found:
        return None
    by_kind: dict[str, list[q.ObservationItem]] = {"actual": [], "target": [], "forecast": []}
    for o in found:
        by_kind[o.kind].append(o)
    actuals, targets, forecasts = by_kind["actual"], by_kind["target"], by_kind["forecast"]
    return SeriesView(
        indicator,
        subject,
        measure,
        actuals,
        targets,
        forecasts,
        q.series_changes(s, indicator, subject, measure),
        standings(targets, actuals, today),
        series_chart(actuals, targets, forecasts),
    )


# --- projects -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StageView:
    stage: str
    reached: bool
    dates: list[str]  # every date said for it, oldest word first
    evidence: list[q.MilestoneItem]

    @property
    def label_zh(self) -> str:
        return stage_zh(self.stage)

    @property
    def label_en(self) -> str:
        return stage_en(self.stage)

    @property
    def date(self) -> str | None:
        return self.dates[-1] if self.dates else None


@dataclass(frozen=True, slots=True)
class ProjectView:
    project: str
    name: str
    stages: list[StageView]

    @property
    def current(self) -> StageView | None:
        reached = [st for st in self.stages if st.reached]
        return reached[-1] if reached else None


def project_views(items: list[q.MilestoneItem]) -> list[ProjectView]:
    by_project: dict[str, list[q.MilestoneItem]] = {}
    for m in items:
        by_project.setdefault(m.project, []).append(m)
    return [_project_view(p, ms) for p, ms in by_project.items()]


def _project_view(project: str, items: list[q.MilestoneItem]) -> ProjectView:
    stages = []
    for stage in STAGE_ORDER:
        evidence = sorted(
            (m for m in items if m.stage == stage), key=lambda m: (m.published or date.min, m.id)
        )
        if not evidence and stage not in MAIN_STAGES:
            continue
        dates = list(dict.fromkeys(m.date for m in evidence if m.date))
        stages.append(StageView(stage, bool(evidence), dates, evidence))
    return ProjectView(project, items[-1].name, stages)


# --- articles -------------------------------------------------------------------------------------


def article_marks(item: ArticleItem) -> list[Mark]:
    """Every fact of the article at its span in the text, with the page it links to."""
    from watcher.extract.text import normalize

    normalized = normalize(item.text)
    series_of = {(o.sentence, o.raw): o for o in item.observations}
    project_of = {m.sentence: m for m in item.milestones}
    marks = []
    for f in item.facts:
        span = locate(item.text, f.sentence, f.raw, normalized=normalized)
        if span is None:
            continue
        marks.append(
            Mark(span[0], span[1], f.id, f.type, fact_label(f), _fact_href(f, series_of, project_of))
        )
    return marks


def _fact_href(
    f: FactItem,
    series_of: dict[tuple[str, str], q.ObservationItem],
    project_of: dict[str, q.MilestoneItem],
) -> str:
    if f.type == "milestone":
        m = project_of.get(f.sentence)
        return project_url(m.project if m else f.project or "")
    o = series_of.get((f.sentence, f.raw or ""))
    if o is not None:
        return series_url(o.subject, o.indicator, o.measure)
    return "/series?" + urlencode({"indicator": f.indicator or "", "subject": f.subject or ""})


def fact_label(f: FactItem) -> str:
    if f.type == "milestone":
        return f"{f.project}: {stage_zh(f.stage or '')}" + (f"（{f.date}）" if f.date else "")
    kind = {"target": "目标", "forecast": "预计", "actual": ""}.get(f.kind or "", "")
    when = period_zh(f.deadline if f.kind in ("target", "forecast") else f.period)
    what = quantity_zh(f.value or 0.0, f.unit or "", f.qualifier or "=")
    return f"{f.subject} {f.indicator}{measure_suffix(f.measure)} {when}{kind} {what}".replace("  ", " ")


def measure_suffix(measure: str | None) -> str:
    return {"yoy": "增速", "share": "占比", "progress": "完成进度", "rank": "排名"}.get(measure or "", "")


# --- JSON -----------------------------------------------------------------------------------------


def change_json(c: q.ChangeItem) -> dict[str, Any]:
    return {
        "id": c.id,
        "kind": c.kind,
        "subject": c.series_subject or c.project or c.subject,
        "indicator": c.indicator,
        "project": c.project,
        "series": c.subject,
        "summary_zh": c.summary_zh,
        "summary_en": c.summary_en,
        "alert": c.immediate,
        "created_at": c.created_at.isoformat(),
        "old": c.old,
        "new": c.new,
        "sources": c.sources(),
        "url": change_url(c),
        "article_url": article_url(c.article_id),
    }


def observation_json(o: q.ObservationItem) -> dict[str, Any]:
    return {
        "when": o.when,
        "value": o.value,
        "unit": o.unit,
        "qualifier": o.qualifier,
        "quantity_zh": quantity_zh(o.value, o.unit, o.qualifier),
        "quantity_en": quantity_en(o.value, o.unit, o.qualifier),
        "raw": o.raw,
        "source": {
            "url": o.url,
            "outlet": o.outlet,
            "published": o.published.isoformat() if o.published else None,
            "sentence": o.sentence,
            "article_url": article_url(o.article_id),
        },
    }


def project_json(p: ProjectView) -> dict[str, Any]:
    current = p.current
    return {
        "project": p.project,
        "name": p.name,
        "stage": current.stage if current else None,
        "url": project_url(p.project),
        "stages": [
            {
                "stage": st.stage,
                "stage_zh": st.label_zh,
                "reached": st.reached,
                "date": st.date,
                "dates": st.dates,
                "sources": [
                    {
                        "url": m.url,
                        "outlet": m.outlet,
                        "published": m.published.isoformat() if m.published else None,
                        "date": m.date,
                        "sentence": m.sentence,
                        "article_url": article_url(m.article_id),
                    }
                    for m in st.evidence
                ],
            }
            for st in p.stages
        ],
    }
