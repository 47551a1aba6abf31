"""Client CPU per request: watcher's Fetcher over the aiohttp transport against httpx's own, same run.

    .venv/bin/python bench/bench_fetch.py [-n 500] [--in-flight 50] [--rounds 3]

A local aiohttp server runs in a child process (so its CPU is not counted) on 127.0.0.1, answering
every path with the same ~20 kB HTML page over keep-alive. Each transport then fetches N pages, 50 in
flight, once through watcher's Fetcher (politeness off: no robots.txt, no delay) and once with a bare
httpx.AsyncClient, to show what the transport alone costs. CPU is this process's time.process_time();
each figure is the median of --rounds rounds, after a warm-up. The httpx-aiohttp package is measured too
when it is installed. Loopback only: nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

import httpx

from watcher.config import FetchSettings, Politeness
from watcher.fetch.client import Fetcher
from watcher.fetch.transport import make_transport

PAGE = (
    "<html><head><meta charset='utf-8'><title>江门市政府</title></head><body>"
    + "<p>江门市推进项目建设。</p>" * 700
).encode()

TransportFactory = Callable[[], httpx.AsyncBaseTransport]


def serve() -> None:
    """Child process: an aiohttp server on 127.0.0.1:0; prints its port, runs until stdin closes."""
    from aiohttp import web

    async def page(request: web.Request) -> web.Response:
        return web.Response(body=PAGE, content_type="text/html", charset="utf-8")

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", page)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        print(port, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        await runner.cleanup()

    asyncio.run(main())


def transports() -> dict[str, TransportFactory]:
    found: dict[str, TransportFactory] = {
        "httpx (default httpcore)": lambda: make_transport("httpx"),
        "aiohttp (watcher.fetch.transport)": lambda: make_transport("aiohttp"),
    }
    try:
        from httpx_aiohttp import AiohttpTransport as PackageTransport
    except ImportError:
        return found
    found["aiohttp (httpx-aiohttp package)"] = lambda: PackageTransport()
    return found


async def cpu_per_request(run: Callable[[int], Awaitable[None]], n: int) -> float:
    await run(50)  # warm-up: connections opened, code paths hot
    start = time.process_time()
    await run(n)
    return (time.process_time() - start) * 1000 / n


async def with_fetcher(factory: TransportFactory, base: str, n: int, in_flight: int) -> float:
    polite = Politeness(min_delay_s=0, per_host_concurrency=in_flight, respect_robots=False)
    settings = FetchSettings(
        global_concurrency=in_flight, retries=0, politeness=polite, allow_hosts=["127.0.0.1"]
    )
    async with Fetcher(settings, transport=factory()) as fetcher:

        async def run(count: int) -> None:
            results = await asyncio.gather(*(fetcher.fetch(f"{base}/p/{i}.html") for i in range(count)))
            assert all(len(r.body) == len(PAGE) for r in results)

        return await cpu_per_request(run, n)


async def with_client(factory: TransportFactory, base: str, n: int, in_flight: int) -> float:
    gate = asyncio.Semaphore(in_flight)
    async with httpx.AsyncClient(transport=factory()) as client:

        async def one(i: int) -> None:
            async with gate:
                response = await client.get(f"{base}/p/{i}.html")
                assert len(response.content) == len(PAGE)

        async def run(count: int) -> None:
            await asyncio.gather(*(one(i) for i in range(count)))

        return await cpu_per_request(run, n)


def measure(args: argparse.Namespace, base: str) -> dict[str, tuple[float, float]]:
    figures: dict[str, tuple[float, float]] = {}
    for name, factory in transports().items():
        fetcher_ms = [
            asyncio.run(with_fetcher(factory, base, args.n, args.in_flight)) for _ in range(args.rounds)
        ]
        client_ms = [
            asyncio.run(with_client(factory, base, args.n, args.in_flight)) for _ in range(args.rounds)
        ]
        figures[name] = (statistics.median(fetcher_ms), statistics.median(client_ms))
    return figures


def report(figures: dict[str, tuple[float, float]], args: argparse.Namespace) -> None:
    print(f"N={args.n} requests, {args.in_flight} in flight, {len(PAGE)} B page, median of {args.rounds}")
    print(f"{'transport':36} {'Fetcher ms/req':>15} {'bare client ms/req':>19}")
    for name, (fetcher_ms, client_ms) in figures.items():
        print(f"{name:36} {fetcher_ms:15.3f} {client_ms:19.3f}")
    httpx_f, httpx_c = figures["httpx (default httpcore)"]
    ours_f, ours_c = figures["aiohttp (watcher.fetch.transport)"]
    print(f"ratio httpx / aiohttp: Fetcher {httpx_f / ours_f:.2f}x, bare client {httpx_c / ours_c:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=500)
    parser.add_argument("--in-flight", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve()
        return
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        base = f"http://127.0.0.1:{int(server.stdout.readline())}"
        report(measure(args, base), args)
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
