"""The dashboard's ASGI application: pages, JSON API, feed and exports over one watcher App.

    create_app(app, token=None) → FastAPI

Read-only: no route writes to the store. With a token, every route asks for it — as a bearer token
(`Authorization: Bearer …`), or once as `?token=…`, which sets a cookie for the pages that follow.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from watcher import __version__
from watcher.web import api, pages

if TYPE_CHECKING:
    from watcher.app import App

logger = logging.getLogger(__name__)
COOKIE = "watcher_token"
OPEN_PATHS = ("/static/",)


def create_app(app: App, *, token: str | None = None) -> FastAPI:
    web = FastAPI(
        title="watcher",
        version=__version__,
        summary="Indicators, targets, milestones and their changes, read from government and news sites.",
        openapi_url="/api/openapi.json",
        docs_url=None,  # the interactive docs load scripts from a CDN: not here
        redoc_url=None,
    )
    web.state.watcher = app
    static = resources.files("watcher.web").joinpath("static")
    web.mount("/static", StaticFiles(directory=str(static)), name="static")
    web.include_router(api.router)
    web.include_router(pages.router)
    web.add_exception_handler(StarletteHTTPException, pages.http_error)
    web.add_exception_handler(RequestValidationError, pages.bad_request)
    web.add_exception_handler(Exception, _internal_error)
    if token:
        web.middleware("http")(_token_check(token))
    web.middleware("http")(_server_timing)
    return web


async def _server_timing(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """`Server-Timing: app;dur=…` (ms) on every answer: what the browser's tools and bench_web.py read."""
    start = time.perf_counter()
    response = await call_next(request)
    response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - start) * 1000:.1f}"
    return response


async def _internal_error(request: Request, exc: Exception) -> Response:
    logger.error("%s %s failed: %s", request.method, request.url.path, exc, exc_info=exc)
    return PlainTextResponse("internal error\n", status_code=500)


def _token_check(
    token: str,
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    def is_valid(given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), token.encode())

    async def check(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if request.url.path.startswith(OPEN_PATHS):
            return await call_next(request)
        header = request.headers.get("authorization", "")
        bearer = header[7:] if header.lower().startswith("bearer ") else None
        if is_valid(bearer) or is_valid(request.cookies.get(COOKIE)):
            return await call_next(request)
        if is_valid(request.query_params.get("token")):
            rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            query = urlencode(rest)
            response = RedirectResponse(request.url.path + (f"?{query}" if query else ""), 303)
            response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
            return response
        return JSONResponse({"detail": "an access token is required"}, status_code=401)

    return check
