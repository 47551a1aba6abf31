"""Per-request access to the watcher App and a read session of its store (FastAPI dependencies)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, cast

from fastapi import Request
from sqlmodel import Session

if TYPE_CHECKING:
    from watcher.app import App


def web_app(request: Request) -> App:
    return cast("App", request.app.state.watcher)


def reader(request: Request) -> Iterator[Session]:
    """One session (one transaction) for the whole request: a page reads a consistent state."""
    with web_app(request).store._session() as s:  # the store's own session factory, read only here
        yield s
