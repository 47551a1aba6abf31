"""Coordination of several `watcher run` replicas through the database itself — no broker, no leader.

    claim(name, holder, now, ttl_s) → bool   a named lease ("source:江门要闻"): one holder at a time, taken
                                             over by anyone once it expires (a replica that died)
    release(name, holder)
    reserve_host_slot(host, delay_s) → s     shared per-host pacing: seconds to wait before the request
    defer_host(host, delay_s)                no request to the host before now + delay (Retry-After)

A lease is one upsert that succeeds only when the row is free, expired or already ours, so two replicas
can never both hold it. Pacing reserves the host's next start time with one upsert on PostgreSQL's own
clock (`clock_timestamp()`), so replicas on different machines agree on time.

SQLite serves one process: `hold_sqlite_lock(path)` keeps a second daemon on the same file out.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy import Column, Float, text
from sqlmodel import Field, Session, SQLModel

from watcher.errors import StoreError
from watcher.store.tables import UTCDateTime


class LeaseRecord(SQLModel, table=True):
    """A named lease: who holds it, until when (epoch seconds, so both backends compare it alike)."""

    __tablename__ = "leases"

    name: str = Field(primary_key=True)
    holder: str
    until: float = Field(sa_column=Column(Float, nullable=False))


class HostPaceRecord(SQLModel, table=True):
    """Shared per-host pacing: the earliest start of the next request to the host (database clock)."""

    __tablename__ = "host_pacing"

    host: str = Field(primary_key=True)
    next_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


_CLAIM = text(
    "INSERT INTO leases AS l (name, holder, until) VALUES (:name, :holder, :until) "
    "ON CONFLICT (name) DO UPDATE SET holder = :holder, until = :until "
    "WHERE l.until < :now OR l.holder = :holder "
    "RETURNING holder"
)
_STEP = "make_interval(secs => :d)"
_RESERVE = text(
    f"INSERT INTO host_pacing AS p (host, next_at) VALUES (:host, clock_timestamp() + {_STEP}) "
    f"ON CONFLICT (host) DO UPDATE SET next_at = GREATEST(p.next_at, clock_timestamp()) + {_STEP} "
    f"RETURNING EXTRACT(EPOCH FROM (p.next_at - {_STEP} - clock_timestamp()))"
)
_DEFER = text(
    f"INSERT INTO host_pacing AS p (host, next_at) VALUES (:host, clock_timestamp() + {_STEP}) "
    f"ON CONFLICT (host) DO UPDATE SET next_at = GREATEST(p.next_at, clock_timestamp() + {_STEP})"
)


class CoordStore:
    """Mixed into `Store`: leases on both backends, shared pacing on PostgreSQL."""

    def _session(self) -> AbstractContextManager[Session]:  # provided by Store
        raise NotImplementedError

    @property
    def is_shared(self) -> bool:
        """Can several processes use this database at once (PostgreSQL), or one (SQLite)?"""
        with self._session() as s:
            return s.get_bind().dialect.name != "sqlite"

    def claim(self, name: str, holder: str, now: datetime, ttl_s: float) -> bool:
        """Take or renew the lease `name` until now + ttl; False when someone else holds it."""
        with self._session() as s:
            stamp = now.timestamp()
            row = s.execute(
                _CLAIM, {"name": name, "holder": holder, "now": stamp, "until": stamp + ttl_s}
            ).first()
            return row is not None

    def release(self, name: str, holder: str) -> None:
        with self._session() as s:
            s.execute(
                text("DELETE FROM leases WHERE name = :name AND holder = :holder"),
                {"name": name, "holder": holder},
            )

    def lease_holder(self, name: str, now: datetime) -> str | None:
        with self._session() as s:
            row = s.execute(
                text("SELECT holder, until FROM leases WHERE name = :name"), {"name": name}
            ).first()
            return row[0] if row is not None and row[1] >= now.timestamp() else None

    def reserve_host_slot(self, host: str, delay_s: float) -> float:
        """Seconds this caller must wait before its request to `host` may start (PostgreSQL only)."""
        with self._session() as s:
            wait = s.execute(_RESERVE, {"host": host, "d": delay_s}).scalar_one()
            return max(0.0, float(wait))

    def defer_host(self, host: str, delay_s: float) -> None:
        with self._session() as s:
            s.execute(_DEFER, {"host": host, "d": delay_s})


@contextmanager
def hold_sqlite_lock(db_path: Path) -> Iterator[None]:
    """One daemon per SQLite file: an exclusive lock on `<db>.lock`, held while the daemon runs."""
    lock_path = db_path.with_name(db_path.name + ".lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path, "a+")  # noqa: SIM115 - closed by the with block below
    except OSError as exc:
        raise StoreError(
            f"{db_path}: cannot take the daemon lock {lock_path}: {exc.strerror or exc}"
        ) from exc
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "unknown"
            raise StoreError(
                f"{db_path}: another watcher daemon is using this SQLite database (pid {owner}); "
                "SQLite serves one process — point several replicas at PostgreSQL instead"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
