"""HostPacer, HostLimiter, backoff and Retry-After, with time moved instead of waited for."""

from __future__ import annotations

import asyncio
import random
from email.utils import formatdate

import pytest

from tests.fetch import FakeTime
from watcher.fetch.pacing import HostLimiter, HostPacer, backoff_delay, parse_retry_after

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_pacer_spaces_request_starts_per_host() -> None:
    fake = FakeTime()
    pacer = HostPacer(clock=fake.clock, sleep=fake.sleep)
    assert await pacer.wait("a.cn", 2.0) == 0
    assert await pacer.wait("a.cn", 2.0) == 2.0
    assert await pacer.wait("b.cn", 2.0) == 0  # hosts are independent
    fake.now += 10
    assert await pacer.wait("a.cn", 2.0) == 0  # the delay has passed already


async def test_concurrent_callers_queue_up() -> None:
    fake = FakeTime()
    pacer = HostPacer(clock=fake.clock, sleep=fake.sleep)

    async def start() -> float:
        asked_at = fake.now
        return asked_at + await pacer.wait("a.cn", 1.5)

    starts = await asyncio.gather(*(start() for _ in range(4)))
    assert sorted(starts) == [1000, 1001.5, 1003, 1004.5]


async def test_defer_holds_a_host_back() -> None:
    fake = FakeTime()
    pacer = HostPacer(clock=fake.clock, sleep=fake.sleep)
    pacer.defer("a.cn", 30)
    assert await pacer.wait("a.cn", 1.0) == 30
    assert await pacer.wait("b.cn", 1.0) == 0


async def test_limiter_caps_in_flight_per_host() -> None:
    limiter = HostLimiter()
    peak = {"a.cn": 0, "b.cn": 0}

    async def work(host: str, limit: int) -> None:
        async with limiter.slot(host, limit):
            peak[host] = max(peak[host], limiter.in_flight(host))
            await asyncio.sleep(0.001)

    await asyncio.gather(*(work("a.cn", 2) for _ in range(8)), *(work("b.cn", 3) for _ in range(8)))
    assert peak == {"a.cn": 2, "b.cn": 3}
    assert limiter.in_flight("a.cn") == 0


async def test_limiter_releases_a_cancelled_slot() -> None:
    limiter = HostLimiter()
    entered = asyncio.Event()

    async def hold() -> None:
        async with limiter.slot("a.cn", 1):
            entered.set()
            await asyncio.sleep(10)

    holder = asyncio.create_task(hold())
    await entered.wait()
    second = limiter.slot("a.cn", 1)
    waiter = asyncio.create_task(second.__aenter__())
    await asyncio.sleep(0)
    assert not waiter.done()
    holder.cancel()
    await asyncio.wait_for(waiter, 1)
    assert limiter.in_flight("a.cn") == 1
    await second.__aexit__(None, None, None)
    assert limiter.in_flight("a.cn") == 0


async def test_limiter_wakes_one_waiter_a_release_in_order_and_passes_on_a_cancelled_wake_up() -> None:
    limiter = HostLimiter()
    holder = limiter.slot("a.cn", 1)
    await holder.__aenter__()
    entered: list[int] = []
    release = asyncio.Event()

    async def wait(n: int) -> None:
        async with limiter.slot("a.cn", 1):
            entered.append(n)
            await release.wait()

    tasks = [asyncio.create_task(wait(n)) for n in range(3)]
    await asyncio.sleep(0)
    await holder.__aexit__(None, None, None)  # wakes waiter 0 only …
    tasks[0].cancel()  # … which is cancelled before it runs: the wake-up goes to waiter 1
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert entered == [1] and limiter.in_flight("a.cn") == 1
    release.set()
    await asyncio.gather(*tasks[1:])
    assert entered == [1, 2] and limiter.in_flight("a.cn") == 0


@pytest.mark.parametrize("attempt", range(8))
def test_backoff_is_full_jitter_under_the_cap(attempt: int) -> None:
    rng = random.Random(attempt)
    delays = [backoff_delay(attempt, 1.0, 30.0, rng) for _ in range(200)]
    ceiling = min(30.0, 2.0**attempt)
    assert all(0 <= d <= ceiling for d in delays)
    assert max(delays) > ceiling * 0.8  # spread over the whole range, not a fixed delay


def test_retry_after_seconds_and_dates() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after("120") == 120
    assert parse_retry_after(" 7 ") == 7
    assert parse_retry_after(formatdate(now + 90, usegmt=True), now=now) == pytest.approx(90)
    assert parse_retry_after(formatdate(now - 90, usegmt=True), now=now) == 0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("") is None
    assert parse_retry_after(None) is None
