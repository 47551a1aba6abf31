"""The HTML pages: overview, changes, series, projects, articles. Server-rendered Jinja2, no scripts.

/                         latest changes (alerts first), targets and their standing, milestones, sources
/changes                  every change, filtered (kind, subject, indicator, region, date, text)
/series, /series/{subject}/{indicator}?measure=…   the series found; one series: chart, table, changes
/projects, /projects/{project}                      the stage timeline 签约 → 开工 → 封顶 → 投产
/articles, /articles/{id}                           titles found; one article with its facts highlighted
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlmodel import Session
from starlette.exceptions import HTTPException

from watcher.web import queries as q
from watcher.web import views
from watcher.web.articles import article, articles
from watcher.web.context import reader, web_app
from watcher.web.spans import pieces
from watcher.wording import KIND_ZH, period_zh, quantity_en, quantity_zh, stage_en, stage_zh

router = APIRouter(include_in_schema=False)
Read = Annotated[Session, Depends(reader)]
KIND_LABELS = {
    **KIND_ZH,
    "source_failing": "来源抓取失败",
    "source_quiet": "来源无更新",
    "source_recovered": "来源恢复",
}
SERIES_SHOWN = 300  # series keys listed at most: narrow the rest down with the filters
STATUS_ORDER = {"missed": 0, "behind": 1, "unknown": 2, "on_track": 3, "met": 4}


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("watcher.web", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        series_url=views.series_url,
        project_url=views.project_url,
        article_url=views.article_url,
        change_url=views.change_url,
        quantity=views.quantity,
        quantity_zh=quantity_zh,
        quantity_en=quantity_en,
        period_zh=period_zh,
        stage_zh=stage_zh,
        stage_en=stage_en,
        measure_zh=views.measure_zh,
        kind_zh=lambda kind: KIND_LABELS.get(kind, kind),
        kinds=views.KINDS,
    )
    return env


ENV = _environment()


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("query", dict(request.query_params))
    html = ENV.get_template(name).render(request=request, **context)
    return HTMLResponse(html, status_code=status_code)


async def http_error(request: Request, exc: Exception) -> Response:
    """404 and friends: a page for people, JSON for the API."""
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith(("/api/", "/feeds/", "/export/")):
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
    return render(request, "error.html.j2", exc.status_code, status=exc.status_code, detail=exc.detail)


async def bad_request(request: Request, exc: Exception) -> Response:
    """A query or path value of the wrong form: FastAPI's 422 for the API, one line on a page for people."""
    assert isinstance(exc, RequestValidationError)
    if request.url.path.startswith(("/api/", "/feeds/", "/export/")):
        return JSONResponse({"detail": jsonable_encoder(exc.errors())}, status_code=422)
    where = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors())
    return render(request, "error.html.j2", 400, status=400, detail=f"请求有误 / bad request: {where}")


def _today(request: Request) -> date:
    app = web_app(request)
    return app.clock().astimezone(ZoneInfo(app.settings.digests.timezone)).date()


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, s: Read) -> HTMLResponse:
    data = views.overview(s, web_app(request), _today(request))
    ranked = sorted(data.standings, key=lambda st: (STATUS_ORDER[st.status], st.deadline))
    return render(request, "overview.html.j2", o=data, standings=ranked)


def _day(text: str | None, *, end: bool = False) -> datetime | None:
    """A date from a form (2024-09-01) as the UTC start of that day (or of the next, for `until`)."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError as exc:
        raise HTTPException(400, f"not a date (YYYY-MM-DD): {text!r}") from exc
    return datetime.combine(day + timedelta(days=1) if end else day, time(0), tzinfo=UTC)


@router.get("/changes", response_class=HTMLResponse)
def changes(
    request: Request,
    s: Read,
    kind: str | None = None,
    subject: str | None = None,
    indicator: str | None = None,
    region: str | None = None,
    since: str | None = None,
    until: str | None = None,
    text: Annotated[str | None, Query(alias="q")] = None,
    cursor: int | None = None,
) -> HTMLResponse:
    f = q.ChangeFilter(_day(since), _day(until, end=True), kind, subject, indicator, region, text)
    found = q.changes(s, f, limit=50, before=cursor)
    params = {k: v for k, v in request.query_params.items() if v and k != "cursor"}
    more = f"/changes?{urlencode({**params, 'cursor': found[-1].id})}" if len(found) == 50 else None
    return render(
        request,
        "changes.html.j2",
        changes=found,
        regions=q.regions(s),
        more=more,
        csv_url="/export/changes.csv?" + urlencode(_api_filter(params)),
        atom_url="/feeds/changes.atom?" + urlencode(_api_filter(params)),
    )


def _api_filter(params: dict[str, str]) -> dict[str, str]:
    """The page's form as the API's filter (dates become ISO times)."""
    out = dict(params)
    if "until" in out:
        until = _day(out["until"], end=True)
        out["until"] = until.isoformat() if until else ""
    return out


@router.get("/series", response_class=HTMLResponse)
def series_list(
    request: Request,
    s: Read,
    indicator: str | None = None,
    subject: str | None = None,
    measure: str | None = None,
    kind: str | None = None,
) -> HTMLResponse:
    refs = q.series_index(
        s,
        indicator=indicator,
        subject=subject,
        measure=measure or None,
        kind=kind or None,
        limit=SERIES_SHOWN + 1,
    )
    grouped: dict[tuple[str, str, str], dict[str, int]] = {}
    for r in refs[:SERIES_SHOWN]:
        grouped.setdefault((r.subject, r.indicator, r.measure), {})[r.kind] = r.observations
    return render(request, "series_list.html.j2", series=grouped, more=len(refs) > SERIES_SHOWN)


@router.get("/series/{subject}/{indicator:path}", response_class=HTMLResponse)
def series_page(
    request: Request, s: Read, subject: str, indicator: str, measure: str = "level"
) -> HTMLResponse:
    view = views.series_view(s, indicator, subject, measure, _today(request))
    if view is None:
        raise HTTPException(404, f"没有这个指标序列 / no such series: {subject} {indicator} ({measure})")
    csv_url = "/export/series.csv?" + urlencode(
        {"indicator": indicator, "subject": subject, "measure": measure}
    )
    return render(request, "series.html.j2", v=view, csv_url=csv_url)


@router.get("/projects", response_class=HTMLResponse)
def project_list(request: Request, s: Read, project: str | None = None) -> HTMLResponse:
    names = q.project_names(s, project)
    projects = views.project_views(q.project_observations(s, names)) if names else []
    return render(request, "projects.html.j2", projects=projects)


@router.get("/projects/{project:path}", response_class=HTMLResponse)
def project_page(request: Request, s: Read, project: str) -> HTMLResponse:
    found = views.project_views(q.project_observations(s, [project]))
    if not found:
        raise HTTPException(404, f"没有这个项目 / no such project: {project}")
    changes = q.project_changes(s, project)
    return render(request, "project.html.j2", p=found[0], changes=changes)


@router.get("/articles", response_class=HTMLResponse)
def article_list(
    request: Request, s: Read, text: Annotated[str | None, Query(alias="q")] = None, region: str | None = None
) -> HTMLResponse:
    return render(
        request, "articles.html.j2", articles=articles(s, q=text, region=region), regions=q.regions(s)
    )


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article_page(request: Request, s: Read, article_id: int) -> HTMLResponse:
    item = article(s, article_id)
    if item is None:
        raise HTTPException(404, f"没有这篇文章 / no article {article_id}")
    marks = views.article_marks(item)
    placed = {m.fact_id for m in marks}
    labels = {f.id: views.fact_label(f) for f in item.facts}
    return render(
        request,
        "article.html.j2",
        a=item,
        pieces=pieces(item.text, marks),
        marks=marks,
        unplaced=[f for f in item.facts if f.id not in placed],
        labels=labels,
    )
