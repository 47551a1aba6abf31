"""Email through a real aiosmtpd server: what arrives, and which failures may be retried."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.notify import NEW_URL, OLD_URL, closed_port, message
from watcher.config import EmailChannel
from watcher.errors import DeliveryError
from watcher.notify import EmailSender, build_channel
from watcher.notify.email import message_id

if TYPE_CHECKING:
    from tests.receivers import SmtpServer, TLSPair

pytest_plugins = ["tests.receivers"]  # the smtp_server and tls_pair fixtures

FROM = "watcher@example.test"
TO = "ops@example.test"
SUBJECT = "[watcher] 八镇 规上工业总产值 2026年目标: 超1600亿元 → 超1800亿元 (上调)"


def channel(port: int, **settings: Any) -> EmailChannel:
    defaults: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "from_addr": FROM,
        "to": [TO],
        "timeout_s": 2.0,
    }
    return EmailChannel(**(defaults | settings))


def send(spec: EmailChannel, env: dict[str, str] | None = None, **overrides: Any) -> None:
    build_channel(spec, env or {}).send(message(**overrides))


def test_delivers_subject_recipients_and_both_parts(smtp_server: SmtpServer) -> None:
    send(channel(smtp_server.port))
    [mail] = smtp_server.messages
    assert smtp_server.envelopes[0].mail_from == FROM
    assert smtp_server.envelopes[0].rcpt_tos == (TO,)
    assert mail["Subject"] == SUBJECT
    assert mail["From"] == FROM and mail["To"] == TO
    assert mail["Message-ID"] == "<alert-1.email@watcher>"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail.get_content_type() == "multipart/alternative"
    text, html = (part for part in mail.iter_parts())
    assert text.get_content_type() == "text/plain" and text.get_content_charset() == "utf-8"
    assert html.get_content_type() == "text/html" and html.get_content_charset() == "utf-8"
    assert "超1600亿元 → 超1800亿元" in text.get_content() and OLD_URL in text.get_content()
    assert "(raised)" in html.get_content() and f'href="{OLD_URL}"' in html.get_content()
    assert NEW_URL.replace("&", "&amp;") in html.get_content()


def test_headers_are_ascii_with_an_encoded_utf8_subject(smtp_server: SmtpServer) -> None:
    send(channel(smtp_server.port))
    head = smtp_server.raw[0].split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    assert b"=?utf-8?b?5YWr6ZWH" in head  # 八镇, base64


def test_message_recipients_and_extra_headers(smtp_server: SmtpServer) -> None:
    unsubscribe = ("List-Unsubscribe", "<https://watcher.example/unsubscribe/1>")
    send(channel(smtp_server.port), to=("a@example.test", "b@example.test"), headers=(unsubscribe,))
    assert smtp_server.envelopes[0].rcpt_tos == ("a@example.test", "b@example.test")
    assert smtp_server.messages[0]["To"] == "a@example.test, b@example.test"
    assert smtp_server.messages[0]["List-Unsubscribe"] == unsubscribe[1]


def test_text_only_message_is_not_multipart(smtp_server: SmtpServer) -> None:
    send(channel(smtp_server.port), html=None)
    [mail] = smtp_server.messages
    assert mail.get_content_type() == "text/plain"
    assert "超1800亿元" in mail.get_content()


def test_login_with_the_password_from_the_environment(smtp_server_factory: Callable[..., SmtpServer]) -> None:
    server = smtp_server_factory(auth={"alerts": "s3cret"})
    send(channel(server.port, username="alerts", password_env="SMTP_PW"), {"SMTP_PW": "s3cret"})
    assert server.logins == ["alerts"]
    assert len(server.messages) == 1


def test_wrong_password_is_not_retryable(smtp_server_factory: Callable[..., SmtpServer]) -> None:
    server = smtp_server_factory(auth={"alerts": "s3cret"})
    with pytest.raises(DeliveryError, match=r"^email: login failed: 535") as caught:
        send(channel(server.port, username="alerts", password_env="SMTP_PW"), {"SMTP_PW": "wrong"})
    assert not caught.value.retryable
    assert caught.value.channel == "email"
    assert server.messages == []


def test_missing_password_variable_is_named(smtp_server: SmtpServer) -> None:
    with pytest.raises(DeliveryError, match="SMTP_PW is not set") as caught:
        send(channel(smtp_server.port, username="alerts", password_env="SMTP_PW"), {})
    assert not caught.value.retryable


def test_server_requiring_a_login_rejects_an_anonymous_sender(
    smtp_server_factory: Callable[..., SmtpServer],
) -> None:
    server = smtp_server_factory(auth={"alerts": "s3cret"})
    with pytest.raises(DeliveryError, match="rejected: 530") as caught:
        send(channel(server.port))
    assert not caught.value.retryable


@pytest.mark.parametrize(
    ("reject", "reject_at", "retryable"),
    [
        ("550 5.1.1 No such user", "RCPT", False),
        ("450 4.2.1 Mailbox busy", "RCPT", True),
        ("554 5.7.1 Rejected as spam", "DATA", False),
        ("451 4.3.0 Try again later", "DATA", True),
    ],
    ids=["550-rcpt", "450-rcpt", "554-data", "451-data"],
)
def test_rejections(
    smtp_server_factory: Callable[..., SmtpServer], reject: str, reject_at: str, retryable: bool
) -> None:
    server = smtp_server_factory(reject=reject, reject_at=reject_at)
    with pytest.raises(DeliveryError, match=reject.split()[0]) as caught:
        send(channel(server.port))
    assert caught.value.retryable is retryable
    assert server.messages == []


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never says a word (no SMTP greeting)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(4)
        yield sock.getsockname()[1]


def test_server_down_is_retryable() -> None:
    with pytest.raises(DeliveryError, match=r"^email: connection refused$") as caught:
        send(channel(closed_port()))
    assert caught.value.retryable


def test_silent_server_times_out_retryably(silent_port: int) -> None:
    with pytest.raises(DeliveryError, match="timed out") as caught:
        send(channel(silent_port, timeout_s=0.2))
    assert caught.value.retryable


def test_starttls(smtp_server_factory: Callable[..., SmtpServer], tls_pair: TLSPair) -> None:
    server = smtp_server_factory(tls=(tls_pair.server_context(), "starttls"), auth={"alerts": "pw"})
    spec = channel(server.port, security="starttls", username="alerts", password_env="PW")
    EmailSender(spec, {"PW": "pw"}, ssl_context=tls_pair.client_context()).send(message())
    assert server.logins == ["alerts"] and len(server.messages) == 1


def test_implicit_tls(smtp_server_factory: Callable[..., SmtpServer], tls_pair: TLSPair) -> None:
    server = smtp_server_factory(tls=(tls_pair.server_context(), "ssl"))
    spec = channel(server.port, security="ssl")
    EmailSender(spec, {}, ssl_context=tls_pair.client_context()).send(message())
    assert server.messages[0]["Subject"] == SUBJECT


def test_untrusted_certificate_is_not_retryable(
    smtp_server_factory: Callable[..., SmtpServer], tls_pair: TLSPair
) -> None:
    server = smtp_server_factory(tls=(tls_pair.server_context(), "ssl"))
    with pytest.raises(DeliveryError, match="certificate not trusted") as caught:
        send(channel(server.port, security="ssl"))  # the system's CAs do not know the test certificate
    assert not caught.value.retryable


def test_starttls_not_offered_is_not_retryable(smtp_server: SmtpServer) -> None:
    with pytest.raises(DeliveryError, match="STARTTLS") as caught:
        send(channel(smtp_server.port, security="starttls"))
    assert not caught.value.retryable


def test_no_recipients_is_not_retryable(smtp_server: SmtpServer) -> None:
    with pytest.raises(DeliveryError, match="no recipients") as caught:
        send(channel(smtp_server.port, to=[]))
    assert not caught.value.retryable


@pytest.mark.parametrize(
    ("key", "is_kept"),
    [("alert-1.email", True), ("3f2a9c_x+y=z", True), ("a b<c>@d", False), ("..x", False), ("x.", False)],
)
def test_message_id_from_the_idempotency_key(key: str, is_kept: bool) -> None:
    left = key if is_kept else hashlib.sha256(key.encode()).hexdigest()[:40]
    assert message_id(key) == f"<{left}@watcher>"
