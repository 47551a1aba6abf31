"""Tests of watcher.fetch, against the real server in tests/server.py."""

from __future__ import annotations

import asyncio


class FakeTime:
    """A clock and a sleep for injection: sleeping moves the clock instead of waiting, and is recorded.

    Concurrent sleepers share the clock: each moves it to its own wake-up time, so parallel sleeps
    overlap instead of adding up.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        wake_at = self.now + seconds
        await asyncio.sleep(0)  # let the other tasks that are due now run (and sleep) first
        self.now = max(self.now, wake_at)
