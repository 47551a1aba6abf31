"""Alert delivery: render a message once, send it through any configured channel.

    alert_message(changes, idempotency_key=…) → Message      message.py (+ templates/)
    build_channel(spec, env) → Channel                      one of:
        EmailSender     email.py     SMTP: STARTTLS / SSL / plain, optional login
        WebhookSender   webhook.py   JSON POST, HMAC-SHA256 signed when a secret is set
        ChatSender      chat.py      WeCom, DingTalk, Feishu … robots through Apprise
    Channel.send(message) → None, or raises DeliveryError(retryable=…)

Channels are synchronous and keep no connection open between sends; an asynchronous caller runs
`send` in a thread. Secrets are read from `env` once, when the channel is built; a missing one fails
every send with a non-retryable DeliveryError naming the variable.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Protocol

from watcher.config import AppriseChannel, EmailChannel, WebhookChannel
from watcher.errors import DeliveryError
from watcher.notify.chat import ChatSender
from watcher.notify.email import EmailSender
from watcher.notify.message import Message, alert_message
from watcher.notify.webhook import WebhookSender

logger = logging.getLogger(__name__)

__all__ = [
    "Channel",
    "ChatSender",
    "DeliveryError",
    "EmailSender",
    "Message",
    "WebhookSender",
    "alert_message",
    "build_channel",
]


class Channel(Protocol):
    name: str

    def send(self, message: Message) -> None:
        """Deliver `message`, or raise DeliveryError with one line naming the channel and the cause."""
        ...


def build_channel(
    spec: EmailChannel | WebhookChannel | AppriseChannel, env: Mapping[str, str] = os.environ
) -> Channel:
    """The sender for one `[[channels]]` entry. An unusable Apprise URL raises ConfigError."""
    if isinstance(spec, EmailChannel):
        return EmailSender(spec, env)
    if isinstance(spec, WebhookChannel):
        return WebhookSender(spec, env)
    if isinstance(spec, AppriseChannel):
        return ChatSender(spec, env)
    raise TypeError(f"not a channel setting: {type(spec).__name__}")
