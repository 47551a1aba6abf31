"""The JSON API, the Atom feed and the CSV exports; FastAPI documents the API at /api/openapi.json.

GET /api/changes      since, kind, subject, indicator, region, q, limit, cursor → changes, next_cursor
GET /api/series       indicator, subject, measure, kind, limit, cursor → series with observations, url
GET /api/milestones   project → projects with their stages, dates and sources
GET /api/sources      → sources with their health
GET /api/articles/{id} → the article with its facts and their character spans
GET /feeds/changes.atom               the changes as Atom, filtered like /api/changes
GET /export/changes.csv, /export/series.csv   the same as CSV (UTF-8 with BOM, for spreadsheets)
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from watcher.web import queries as q
from watcher.web import views
from watcher.web.articles import article
from watcher.web.context import reader, web_app
from watcher.web.feeds import changes_atom
from watcher.wording import period_zh

router = APIRouter()
Read = Annotated[Session, Depends(reader)]


def change_filter(
    since: Annotated[datetime | None, Query(description="changes recorded at or after (ISO 8601)")] = None,
    until: Annotated[datetime | None, Query(description="changes recorded before (ISO 8601)")] = None,
    kind: Annotated[str | None, Query(description="change kinds, comma separated (target_changed,…)")] = None,
    subject: Annotated[str | None, Query(description="text in the subject (八镇, a project)")] = None,
    indicator: Annotated[str | None, Query(description="text in the indicator (规上工业总产值)")] = None,
    region: Annotated[str | None, Query(description="the region of the source (江门)")] = None,
    text: Annotated[str | None, Query(alias="q", description="text in the summaries")] = None,
) -> q.ChangeFilter:
    return q.ChangeFilter(
        since=_aware(since),
        until=_aware(until),
        kind=kind,
        subject=subject,
        indicator=indicator,
        region=region,
        q=text,
    )


def _aware(when: datetime | None) -> datetime | None:
    return when.replace(tzinfo=UTC) if when is not None and when.tzinfo is None else when


Filter = Annotated[q.ChangeFilter, Depends(change_filter)]
Limit = Annotated[int, Query(ge=1, le=q.MAX_LIMIT, description="at most this many")]


@router.get("/api/changes", tags=["changes"], summary="Changes, newest first")
def api_changes(
    s: Read, f: Filter, limit: Limit = 50, cursor: Annotated[int | None, Query(ge=1)] = None
) -> dict[str, Any]:
    """Each change with its kind, subject, indicator, summaries (zh, en), old, new and sources. Pass
    `next_cursor` back as `cursor` for the next page."""
    found = q.changes(s, f, limit=limit, before=cursor)
    return {
        "changes": [views.change_json(c) for c in found],
        "next_cursor": found[-1].id if len(found) == limit else None,
    }


@router.get("/api/series", tags=["series"], summary="Series with their observations")
def api_series(
    s: Read,
    indicator: str | None = None,
    subject: str | None = None,
    measure: str | None = None,
    kind: Annotated[str | None, Query(description="actual | target | forecast")] = None,
    limit: Limit = 100,
    cursor: Annotated[int, Query(ge=0, description="series to skip")] = 0,
) -> dict[str, Any]:
    """One entry per series key (indicator, subject, measure, kind), each with its observations and the
    `url` of its page."""
    refs = q.series_index(s, indicator=indicator, subject=subject, measure=measure, kind=kind)
    page = refs[cursor : cursor + limit]
    keys = [q.series_text(r.indicator, r.subject, r.measure, r.kind) for r in page]
    observed: dict[str, list[q.ObservationItem]] = {}
    for o in q.observations_of_series(s, keys) if keys else []:
        observed.setdefault(q.series_text(o.indicator, o.subject, o.measure, o.kind), []).append(o)
    series = [
        {
            "indicator": r.indicator,
            "subject": r.subject,
            "measure": r.measure,
            "kind": r.kind,
            "url": views.series_url(r.subject, r.indicator, r.measure),
            "observations": [views.observation_json(o) for o in observed.get(key, [])],
        }
        for r, key in zip(page, keys, strict=True)
    ]
    more = cursor + limit < len(refs)
    return {"series": series, "next_cursor": cursor + limit if more else None}


@router.get("/api/milestones", tags=["projects"], summary="Projects and their stages")
def api_milestones(s: Read, project: str | None = None, limit: Limit = 200) -> dict[str, Any]:
    names = q.project_names(s, project, limit=limit)
    projects = views.project_views(q.project_observations(s, names)) if names else []
    return {"projects": [views.project_json(p) for p in projects]}


@router.get("/api/sources", tags=["sources"], summary="Sources and their health")
def api_sources(request: Request) -> dict[str, Any]:
    from watcher.health import source_health

    app = web_app(request)
    found = []
    for h in source_health(app, app.clock()):
        spec = app.settings.source(h.name)
        found.append(
            {
                "name": h.name,
                "url": h.url,
                "region": app.region_of(spec),
                "outlet": spec.outlet,
                "schedule": spec.schedule,
                "health": {
                    "status": "failing" if h.failing else "quiet" if h.quiet else "ok",
                    "last_run": h.last_run.isoformat() if h.last_run else None,
                    "last_success": h.last_success.isoformat() if h.last_success else None,
                    "last_error": h.last_error,
                    "consecutive_failures": h.consecutive_failures,
                    "quiet_days": h.quiet_days,
                },
            }
        )
    return {"sources": found}


@router.get(
    "/api/articles/{article_id}", tags=["articles"], summary="An article with its facts at their spans"
)
def api_article(s: Read, article_id: int) -> dict[str, Any]:
    """`span` is [start, end) in characters of `text` (null when the sentence is no longer in the text)."""
    item = article(s, article_id)
    if item is None:
        raise HTTPException(404, f"no article {article_id}")
    marks = {m.fact_id: m for m in views.article_marks(item)}
    facts = []
    for f in item.facts:
        mark = marks.get(f.id)
        fact = {k: getattr(f, k) for k in f.__slots__ if k != "id"}  # type: ignore[attr-defined]
        fact.update(label=views.fact_label(f), span=[mark.start, mark.end] if mark else None)
        fact["url"] = mark.href if mark else None
        facts.append(fact)
    return {
        "id": item.id,
        "url": item.url,
        "title": item.title,
        "outlet": item.outlet,
        "published": item.published.isoformat() if item.published else None,
        "source": item.source,
        "text": item.text,
        "facts": facts,
    }


@router.get("/feeds/changes.atom", tags=["changes"], summary="Changes as an Atom feed")
def feed_changes(request: Request, s: Read, f: Filter, limit: Limit = 50) -> Response:
    found = q.changes(s, f, limit=limit)
    body = changes_atom(found, str(request.url), str(request.base_url).rstrip("/"))
    return Response(body, media_type="application/atom+xml; charset=utf-8")


def _csv(rows: list[list[Any]], name: str) -> Response:
    out = io.StringIO()
    out.write("\ufeff")  # Excel reads UTF-8 Chinese only with the BOM
    csv.writer(out).writerows(rows)
    disposition = f"attachment; filename={name}"
    return Response(
        out.getvalue(), media_type="text/csv; charset=utf-8", headers={"Content-Disposition": disposition}
    )


@router.get("/export/changes.csv", tags=["export"], summary="Changes as CSV")
def export_changes(s: Read, f: Filter, limit: Limit = q.MAX_LIMIT) -> Response:
    rows: list[list[Any]] = [
        ["id", "created_at", "kind", "alert", "subject", "summary_zh", "summary_en", "url"]
    ]
    for c in q.changes(s, f, limit=limit):
        url = c.new.get("evidence", {}).get("url", "")
        rows.append(
            [c.id, c.created_at.isoformat(), c.kind, c.immediate, c.subject, c.summary_zh, c.summary_en, url]
        )
    return _csv(rows, "changes.csv")


@router.get("/export/series.csv", tags=["export"], summary="A series as CSV")
def export_series(s: Read, indicator: str, subject: str, measure: str = "level") -> Response:
    rows: list[list[Any]] = [
        [
            "kind",
            "when",
            "period_zh",
            "value",
            "unit",
            "qualifier",
            "raw",
            "outlet",
            "published",
            "url",
            "sentence",
        ]
    ]
    for o in q.series_observations(s, indicator, subject, measure):
        published = o.published.isoformat() if o.published else ""
        what = [o.kind, o.when or "", period_zh(o.when), o.value, o.unit, o.qualifier, o.raw]
        rows.append([*what, o.outlet or "", published, o.url, o.sentence])
    if len(rows) == 1:
        raise HTTPException(404, f"no series {subject} {indicator} ({measure})")
    return _csv(rows, "series.csv")
