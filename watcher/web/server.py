"""uvicorn on a socket bound before it starts: a port in use is one clear error, port 0 is known at once.

serve(asgi, host, port)                       in the foreground until SIGINT/SIGTERM (`watcher serve`)
Server(asgi, host, port).start() … .close()   in a thread of its own (the daemon's HTTP endpoint)
"""

from __future__ import annotations

import logging
import socket
import threading
from typing import Any

import uvicorn

logger = logging.getLogger(__name__)
LOOPBACK = ("127.0.0.1", "::1", "localhost")


def is_loopback(host: str) -> bool:
    return host in LOOPBACK or host.startswith("127.")


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (IPv6 when the host has a colon); OSError when it cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _config(asgi: Any) -> uvicorn.Config:
    # log_config=None: the CLI configures logging; uvicorn's own loggers propagate to it
    return uvicorn.Config(
        asgi,
        log_config=None,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=2,
        server_header=False,
    )


def serve(asgi: Any, sock: socket.socket) -> None:
    """Serve on the bound socket until interrupted."""
    uvicorn.Server(_config(asgi)).run(sockets=[sock])


class Server:
    """uvicorn in a daemon thread; start() binds (raising OSError), close() stops and joins."""

    def __init__(self, asgi: Any, host: str, port: int) -> None:
        self.asgi, self.host, self._port = asgi, host, port
        self._sock: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Server:
        self._sock = bind(self.host, self._port)
        self._server = uvicorn.Server(_config(self.asgi))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, name="watcher-http", daemon=True
        )
        self._thread.start()
        return self

    @property
    def port(self) -> int:
        assert self._sock is not None, "server not started"
        return int(self._sock.getsockname()[1])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def close(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._server = None
