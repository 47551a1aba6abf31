"""The dashboard and JSON API: `watcher serve`; `watcher run` too, beside /healthz, with `daemon.http_port`.

app.py        create_app(app, token) → the ASGI application (FastAPI): pages, API, feed, exports
pages.py      HTML pages (Jinja2 templates in templates/, CSS in static/)
api.py        JSON API (documented at /api/openapi.json), Atom feed, CSV exports
views.py      what a page or answer holds, and the URLs of pages
queries.py    the store reads behind them (read-only, indexed)
articles.py   articles found by title; one with its text, facts and observations
standing.py   met / on track / behind / missed (pure)
chart.py      a series as SVG (pure)
spans.py      where each fact stands in its article's text (pure)
server.py     uvicorn on a socket bound first: in the foreground, or in a thread for the daemon
"""

from watcher.web.app import create_app

__all__ = ["create_app"]
