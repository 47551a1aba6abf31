"""Real receivers for delivery tests: an SMTP server (aiosmtpd) and a webhook HTTP server, on 127.0.0.1.

Fixtures (import them into a test module, or list this module in `pytest_plugins` of tests/conftest.py):

    smtp_server                       a plain SMTP server, running for the test
    smtp_server_factory(**options)    more servers: auth={"user": "pw"}, reject="550 …", reject_at="RCPT"
                                      or "DATA", tls=(ssl.SSLContext, "starttls" | "ssl"), port=N (a
                                      server coming back where one was down)
    tls_pair                          a self-signed certificate for 127.0.0.1 (server and client contexts)
    webhook_receiver(**options)       an HTTP server: status=200, fail_times=N (then fail_status=500
                                      first), hang=True (never answers), retry_after="1"

Each server binds port 0 and records what it received: `server.messages` (EmailMessage, with
`server.envelopes` beside them) and `receiver.requests` (method, path, headers, body). Everything is
stopped, and every thread joined, when the test ends.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"
HANG_LIMIT_S = 30.0  # a hanging handler gives up after this, should a test forget to stop it


# --- SMTP ---


@dataclass(frozen=True)
class Envelope:
    mail_from: str
    rcpt_tos: tuple[str, ...]


@dataclass
class SmtpServer:
    """A running aiosmtpd server and what it has received."""

    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)  # each message as it arrived
    envelopes: list[Envelope] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)  # the user names that authenticated


class _SmtpHandler:
    def __init__(self, server: SmtpServer, *, require_auth: bool, reject: str | None, reject_at: str) -> None:
        self.server = server
        self.require_auth = require_auth
        self.reject = reject
        self.reject_at = reject_at

    async def handle_MAIL(self, server, session, envelope, address, mail_options) -> str:
        if self.require_auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if self.reject and self.reject_at == "RCPT":
            return self.reject
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.reject and self.reject_at == "DATA":
            return self.reject
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.server.messages.append(message)
        self.server.raw.append(envelope.original_content)
        self.server.envelopes.append(Envelope(envelope.mail_from, tuple(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


class _Controller(Controller):
    """aiosmtpd's Controller on port 0: learns the port it was given before it checks the server."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def _authenticator(users: dict[str, str], server: SmtpServer) -> Callable[..., AuthResult]:
    def authenticate(smtp, session, envelope, mechanism, auth_data) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        if users.get(login) != password:
            return AuthResult(success=False, handled=False)
        server.logins.append(login)
        return AuthResult(success=True)

    return authenticate


def _start_smtp(
    *,
    auth: dict[str, str] | None = None,
    reject: str | None = None,
    reject_at: Literal["RCPT", "DATA"] = "RCPT",
    tls: tuple[ssl.SSLContext, Literal["starttls", "ssl"]] | None = None,
    port: int = 0,
) -> tuple[SmtpServer, _Controller]:
    server = SmtpServer(HOST, port)
    handler = _SmtpHandler(server, require_auth=auth is not None, reject=reject, reject_at=reject_at)
    options: dict[str, Any] = {}
    if auth is not None:
        # AUTH is offered over the plain test connection; MAIL FROM refuses the unauthenticated
        # (aiosmtpd's own auth_required=True would warn, and warnings are errors here)
        options |= {"authenticator": _authenticator(auth, server), "auth_require_tls": False}
    if tls is not None and tls[1] == "starttls":
        options |= {"tls_context": tls[0], "require_starttls": True}
    elif tls is not None:
        options |= {"ssl_context": tls[0]}
    controller = _Controller(handler, hostname=HOST, port=port, ready_timeout=5.0, **options)
    controller.start()
    server.port = controller.port
    return server, controller


@pytest.fixture
def smtp_server_factory() -> Iterator[Callable[..., SmtpServer]]:
    controllers: list[_Controller] = []

    def start(**options: Any) -> SmtpServer:
        server, controller = _start_smtp(**options)
        controllers.append(controller)
        return server

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def smtp_server(smtp_server_factory: Callable[..., SmtpServer]) -> SmtpServer:
    return smtp_server_factory()


# --- TLS ---


@dataclass(frozen=True)
class TLSPair:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


@pytest.fixture(scope="session")
def tls_pair(tmp_path_factory: pytest.TempPathFactory) -> TLSPair:
    """A self-signed EC certificate for 127.0.0.1, made with the openssl command."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed")
    folder = tmp_path_factory.mktemp("tls")
    pair = TLSPair(folder / "cert.pem", folder / "key.pem")
    command = [
        openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-days", "2", "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=IP:{HOST}",
        "-keyout", str(pair.key), "-out", str(pair.cert),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=30)
    return pair


# --- Webhook ---


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    at: float = field(default_factory=time.monotonic)  # when it arrived (time.monotonic)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """A running HTTP server and the requests it has received."""

    url: str  # http://127.0.0.1:PORT/hook
    base_url: str  # http://127.0.0.1:PORT
    requests: list[ReceivedRequest] = field(default_factory=list)


@dataclass
class _Behaviour:
    status: int = 200
    fail_times: int = 0
    fail_status: int = 500
    hang: bool = False
    retry_after: str | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_status(self) -> int:
        with self.lock:
            if self.fail_times > 0:
                self.fail_times -= 1
                return self.fail_status
        return self.status


class _WebhookHandler(BaseHTTPRequestHandler):
    receiver: WebhookReceiver
    behaviour: _Behaviour

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.receiver.requests.append(ReceivedRequest(self.command, self.path, headers, body))
        if self.behaviour.hang:
            self.behaviour.stop.wait(HANG_LIMIT_S)
            self.close_connection = True
            return  # never answers
        status = self.behaviour.next_status()
        reply = b"ok" if status < 400 else f"error {status}".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(reply)))
        if self.behaviour.retry_after is not None and status >= 400:
            self.send_header("Retry-After", self.behaviour.retry_after)
        self.end_headers()
        self.wfile.write(reply)

    do_PUT = do_POST


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up (a timeout test) is no news


@pytest.fixture
def webhook_receiver() -> Iterator[Callable[..., WebhookReceiver]]:
    running: list[tuple[_QuietServer, threading.Thread, _Behaviour]] = []

    def start(**options: Any) -> WebhookReceiver:
        behaviour = _Behaviour(**options)
        server = _QuietServer((HOST, 0), _WebhookHandler)
        base_url = f"http://{HOST}:{server.server_address[1]}"
        receiver = WebhookReceiver(url=f"{base_url}/hook", base_url=base_url)
        server.RequestHandlerClass = type(
            "Handler", (_WebhookHandler,), {"receiver": receiver, "behaviour": behaviour}
        )
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        thread.start()
        running.append((server, thread, behaviour))
        return receiver

    yield start
    for server, thread, behaviour in running:
        behaviour.stop.set()
        server.shutdown()
        server.server_close()  # joins the handler threads
        thread.join()
