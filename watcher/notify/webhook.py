"""Webhook delivery: one JSON POST of the message's payload (httpx, synchronous).

    WebhookSender(spec, env).send(message)

Request:

    POST <url>
    Content-Type: application/json
    Idempotency-Key: <key>                  one per alert and channel; the same on every retry
    X-Watcher-Timestamp: 1767225600         Unix seconds when signed        ┐ only when `secret_env`
    X-Watcher-Signature: sha256=<hex>       (name from `signature_header`)  ┘ is set

    body: the payload as compact UTF-8 JSON

Signature, GitHub-style (X-Hub-Signature-256) with the timestamp signed too, as Stripe does, so a
captured request cannot be replayed later with a new timestamp:

    hex = HMAC-SHA256(key=secret, msg=timestamp + "." + body).hexdigest()

where `secret` is the UTF-8 value of the environment variable named by `secret_env` and `body` the exact
bytes received. A receiver verifies it so:

    expected = "sha256=" + hmac.new(secret, f"{ts}.".encode() + raw_body, hashlib.sha256).hexdigest()
    ok = hmac.compare_digest(expected, request.headers["X-Watcher-Signature"])
    fresh = abs(time.time() - int(ts)) < 300

Outcome: 2xx is delivered. Timeouts, connection errors, 5xx and 429 are retryable `DeliveryError`s
(carrying the receiver's Retry-After, if any); redirects and other 4xx are not, nor is a missing secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Mapping

import httpx

from watcher import __version__
from watcher.config import WebhookChannel
from watcher.errors import DeliveryError
from watcher.notify.message import Message
from watcher.notify.secrets import redact, redact_url

logger = logging.getLogger(__name__)

TIMESTAMP_HEADER = "X-Watcher-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
USER_AGENT = f"watcher/{__version__} (webhook)"


def encode_body(payload: Mapping[str, object]) -> bytes:
    """The exact bytes sent (and signed): compact JSON, UTF-8, Chinese left as is."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256 over `timestamp.body`, the value of the signature header."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def signed_headers(
    message: Message, body: bytes, *, secret: str | None, signature_header: str, now: float
) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        IDEMPOTENCY_HEADER: message.idempotency_key,
        "User-Agent": USER_AGENT,
    }
    if secret is not None:
        timestamp = str(int(now))
        headers[TIMESTAMP_HEADER] = timestamp
        headers[signature_header] = sign(secret, timestamp, body)
    return headers


class WebhookSender:
    """One configured webhook; the secret is read from `env[spec.secret_env]` once, here."""

    def __init__(
        self,
        spec: WebhookChannel,
        env: Mapping[str, str],
        *,
        clock: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.name = spec.name
        self.spec = spec
        self._clock = clock
        self._transport = transport
        self._secret = env.get(spec.secret_env) if spec.secret_env else None
        self.url = spec.url or (env.get(spec.url_env) or "" if spec.url_env else "")
        self._problem = (
            f"the webhook secret variable {spec.secret_env} is not set"
            if spec.secret_env and self._secret is None
            else f"the webhook URL variable {spec.url_env} is not set"
            if not self.url
            else None
        )

    def __repr__(self) -> str:
        return f"WebhookSender({self.name!r}, signed={self._secret is not None})"

    def send(self, message: Message) -> None:
        if self._problem:
            raise self._error(self._problem, retryable=False)
        body = encode_body(message.payload)
        headers = signed_headers(
            message,
            body,
            secret=self._secret,
            signature_header=self.spec.signature_header,
            now=self._clock(),
        )
        response = self._post(body, headers)
        self._check(response)
        logger.info(
            "%s: delivered %s (%d)",
            self.name,
            message.idempotency_key,
            response.status_code,
            extra={"channel": self.name, "idempotency_key": message.idempotency_key},
        )

    def _post(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        timeout = self.spec.timeout_s
        try:
            with httpx.Client(timeout=timeout, follow_redirects=False, transport=self._transport) as client:
                return client.post(self.url, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise self._error(
                f"timed out after {timeout:g} s ({type(exc).__name__})", retryable=True
            ) from exc
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise self._error(
                f"invalid URL {redact_url(self.url)!r}: {redact(str(exc))}", retryable=False
            ) from exc
        except httpx.TransportError as exc:
            raise self._error(f"{type(exc).__name__}: {redact(str(exc))}", retryable=True) from exc

    def _check(self, response: httpx.Response) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        reason = f"HTTP {status} {response.reason_phrase}".rstrip()
        snippet = " ".join(response.text[:200].split())
        cause = f"{reason}: {snippet}" if snippet else reason
        if status == 429 or status >= 500:
            raise self._error(cause, retryable=True, retry_after_s=_retry_after(response))
        if 300 <= status < 400:
            location = response.headers.get("Location", "?")
            raise self._error(
                f"{reason}, redirected to {redact_url(location)} (not followed)", retryable=False
            )
        raise self._error(cause, retryable=False)

    def _error(self, cause: str, *, retryable: bool, retry_after_s: float | None = None) -> DeliveryError:
        return DeliveryError(
            f"{self.name}: {cause}", retryable=retryable, channel=self.name, retry_after_s=retry_after_s
        )


def _retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds, when given as a number (the HTTP-date form is ignored)."""
    value = response.headers.get("Retry-After", "").strip()
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
