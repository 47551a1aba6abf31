"""Webhooks through a real HTTP server: body, headers, signature, and which failures may be retried."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from tests.notify import closed_port, message
from watcher.config import WebhookChannel
from watcher.errors import DeliveryError
from watcher.notify import WebhookSender, build_channel
from watcher.notify.webhook import sign

if TYPE_CHECKING:
    from tests.receivers import WebhookReceiver

pytest_plugins = ["tests.receivers"]  # the webhook_receiver fixture

Start = Callable[..., "WebhookReceiver"]
SECRET = "s3cret-键"


def channel(url: str, **settings: Any) -> WebhookChannel:
    options: dict[str, Any] = {"url": url, "timeout_s": 2.0}
    return WebhookChannel(**(options | settings))


def test_posts_the_payload_as_json(webhook_receiver: Start) -> None:
    receiver = webhook_receiver()
    sent = message(key="alert-1.webhook")
    build_channel(channel(receiver.url), {}).send(sent)
    [request] = receiver.requests
    assert request.method == "POST" and request.path == "/hook"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["idempotency-key"] == "alert-1.webhook"
    assert request.json() == sent.payload
    assert "超1800亿元".encode() in request.body  # UTF-8, not \\u escapes
    assert "x-watcher-signature" not in request.headers


def test_signature_verifies_with_the_secret(webhook_receiver: Start) -> None:
    receiver = webhook_receiver()
    spec = channel(receiver.url, secret_env="HOOK_SECRET")
    build_channel(spec, {"HOOK_SECRET": SECRET}).send(message())
    [request] = receiver.requests
    timestamp = request.headers["x-watcher-timestamp"]
    assert abs(time.time() - int(timestamp)) < 60
    signed = timestamp.encode() + b"." + request.body
    expected = "sha256=" + hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["x-watcher-signature"], expected)
    wrong = "sha256=" + hmac.new(b"other", signed, hashlib.sha256).hexdigest()
    assert not hmac.compare_digest(request.headers["x-watcher-signature"], wrong)


def test_signature_header_name_and_clock_from_settings(webhook_receiver: Start) -> None:
    receiver = webhook_receiver()
    spec = channel(receiver.url, secret_env="K", signature_header="X-Hub-Signature-256")
    WebhookSender(spec, {"K": SECRET}, clock=lambda: 1767225600.9).send(message())
    [request] = receiver.requests
    assert request.headers["x-watcher-timestamp"] == "1767225600"
    assert request.headers["x-hub-signature-256"] == sign(SECRET, "1767225600", request.body)


def test_body_sent_is_the_body_signed(webhook_receiver: Start) -> None:
    receiver = webhook_receiver()
    WebhookSender(channel(receiver.url, secret_env="K"), {"K": SECRET}, clock=lambda: 5.0).send(message())
    body = json.dumps(message().payload, ensure_ascii=False, separators=(",", ":")).encode()
    assert receiver.requests[0].body == body
    assert receiver.requests[0].headers["x-watcher-signature"] == sign(SECRET, "5", body)


def test_missing_secret_variable_is_named(webhook_receiver: Start) -> None:
    receiver = webhook_receiver()
    with pytest.raises(DeliveryError, match="HOOK_SECRET is not set") as caught:
        build_channel(channel(receiver.url, secret_env="HOOK_SECRET"), {}).send(message())
    assert not caught.value.retryable
    assert receiver.requests == []


def test_server_error_is_retryable_then_succeeds_with_the_same_key(webhook_receiver: Start) -> None:
    receiver = webhook_receiver(fail_times=2)
    sender = build_channel(channel(receiver.url, name="ops-hook"), {})
    for _ in range(2):
        with pytest.raises(DeliveryError, match=r"^ops-hook: HTTP 500") as caught:
            sender.send(message())
        assert caught.value.retryable and caught.value.channel == "ops-hook"
    sender.send(message())
    assert [r.headers["idempotency-key"] for r in receiver.requests] == ["alert-1.email"] * 3


def test_too_many_requests_is_retryable_with_the_hint(webhook_receiver: Start) -> None:
    receiver = webhook_receiver(status=429, retry_after="7")
    with pytest.raises(DeliveryError, match="HTTP 429") as caught:
        build_channel(channel(receiver.url), {}).send(message())
    assert caught.value.retryable
    assert caught.value.retry_after_s == 7.0


@pytest.mark.parametrize("status", [400, 401, 404, 410])
def test_client_errors_are_not_retryable(webhook_receiver: Start, status: int) -> None:
    receiver = webhook_receiver(status=status)
    with pytest.raises(DeliveryError, match=f"HTTP {status}.*error {status}") as caught:
        build_channel(channel(receiver.url), {}).send(message())
    assert not caught.value.retryable


def test_redirect_is_not_followed(webhook_receiver: Start) -> None:
    receiver = webhook_receiver(status=301)
    with pytest.raises(DeliveryError, match=r"HTTP 301.*not followed") as caught:
        build_channel(channel(receiver.url), {}).send(message())
    assert not caught.value.retryable
    assert len(receiver.requests) == 1


def test_never_answering_times_out_retryably(webhook_receiver: Start) -> None:
    receiver = webhook_receiver(hang=True)
    started = time.monotonic()
    with pytest.raises(DeliveryError, match=r"timed out after 0\.3 s") as caught:
        build_channel(channel(receiver.url, timeout_s=0.3), {}).send(message())
    assert caught.value.retryable
    assert time.monotonic() - started < 2
    assert len(receiver.requests) == 1


def test_connection_refused_is_retryable() -> None:
    url = f"http://127.0.0.1:{closed_port()}/hook"
    with pytest.raises(DeliveryError, match="ConnectError") as caught:
        build_channel(channel(url), {}).send(message())
    assert caught.value.retryable


def test_unsupported_url_is_not_retryable() -> None:
    with pytest.raises(DeliveryError, match="invalid URL") as caught:
        build_channel(channel("ftp://127.0.0.1/hook"), {}).send(message())
    assert not caught.value.retryable
