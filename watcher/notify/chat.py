"""Enterprise chat robots (WeCom 企业微信, DingTalk 钉钉, Feishu 飞书 …) through Apprise.

    ChatSender(spec).send(message)

Each URL of the channel is an Apprise URL (`wecombot://KEY`, `dingtalk://TOKEN`, `feishu://TOKEN`,
or `json://host/path` for anything that takes a JSON POST). The message goes out as its subject (the
title) and a Markdown rendering of its plain-text body. Apprise only says whether a service failed,
not whether a retry could help, so every failure is a retryable `DeliveryError` naming the first
problem Apprise logged. The channel's `timeout_s` becomes Apprise's `cto`/`rto` (connect and read
timeouts) on every URL that does not set its own. The URLs hold the robots' tokens: keep them out of
the config file with `urls_env` (an environment variable holding them, separated by spaces or commas);
errors show URLs without their tokens.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Mapping
from urllib.parse import parse_qs, urlsplit

import apprise

from watcher import __version__
from watcher.config import AppriseChannel
from watcher.errors import ConfigError, DeliveryError
from watcher.notify.message import Message
from watcher.notify.secrets import redact, urls_from_env

logger = logging.getLogger(__name__)

_PROBLEM_LEVELS = frozenset({"WARNING", "ERROR", "CRITICAL"})


def with_timeouts(url: str, timeout_s: float) -> str:
    """The URL with `cto` and `rto` query arguments added, unless it already has them."""
    query = parse_qs(urlsplit(url).query)
    extra = [f"{name}={timeout_s:g}" for name in ("cto", "rto") if name not in query]
    if not extra:
        return url
    fragment = ""
    if "#" in url:
        url, fragment = url.split("#", 1)
        fragment = "#" + fragment
    separator = "&" if "?" in url else "?"
    return url + separator + "&".join(extra) + fragment


def to_markdown(text: str) -> str:
    """Plain text → Markdown that reads the same: each line kept as a line, indentation dropped
    (four leading spaces would make a code block), quoted sentences as block quotes."""
    lines: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            lines.append("")
        elif stripped.startswith("「"):
            lines.append(f"> {stripped}\n")
        elif stripped == "--":
            lines.append("\n---")  # after a blank line: a rule, not a heading underline
        else:
            lines.append(stripped + "  ")  # a hard line break
    return "\n".join(lines).strip() + "\n"


def _scheme(url: str) -> str:
    """The part of an Apprise URL that is safe to show (the rest often holds a token)."""
    return url.split("://", 1)[0] + "://…" if "://" in url else "…"


class ChatSender:
    """One configured Apprise channel: its URLs are parsed once, here (a bad URL is a ConfigError)."""

    def __init__(self, spec: AppriseChannel, env: Mapping[str, str] = os.environ) -> None:
        self.name = spec.name
        self.spec = spec
        asset = apprise.AppriseAsset(app_id="watcher", app_desc=f"watcher {__version__}")
        self._apprise = apprise.Apprise(asset=asset)
        from_env = urls_from_env(env, spec.urls_env) if spec.urls_env else []
        self._problem = from_env if isinstance(from_env, str) else None
        self.urls = list(spec.urls) + (from_env if isinstance(from_env, list) else [])
        for url in self.urls:
            with warnings.catch_warnings():
                # Apprise's first URL loads its plugins; one imports imghdr, deprecated in 3.11
                warnings.filterwarnings("ignore", "'imghdr' is deprecated", DeprecationWarning)
                service = apprise.Apprise.instantiate(with_timeouts(url, spec.timeout_s), asset=asset)
            if service is None:
                raise ConfigError(f"channel {spec.name!r}: not a usable Apprise URL: {_scheme(url)}")
            self._apprise.add(service)

    def __repr__(self) -> str:
        return f"ChatSender({self.name!r}, {', '.join(_scheme(u) for u in self.urls)})"

    def send(self, message: Message) -> None:
        if self._problem:
            raise DeliveryError(f"{self.name}: {self._problem}", retryable=False, channel=self.name)
        with self._apprise.notify(
            body=to_markdown(message.text),
            title=message.subject,
            body_format=apprise.NotifyFormat.MARKDOWN,
        ) as result:
            if result:
                logger.info(
                    "%s: delivered %s to %d service(s)",
                    self.name,
                    message.idempotency_key,
                    len(self.urls),
                    extra={"channel": self.name, "idempotency_key": message.idempotency_key},
                )
                return
            failed, total = result.failed_count, len(self.urls)
            problems = [entry.message for entry in result.logs() if entry.level in _PROBLEM_LEVELS]
        cause = problems[0] if problems else f"status {result.status.name}"
        raise DeliveryError(
            f"{self.name}: {failed} of {total} service(s) failed: {redact(' '.join(cause.split()))}",
            retryable=True,
            channel=self.name,
        )
