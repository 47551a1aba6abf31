"""Secrets stay out of the config file, the errors and the logs: chat-robot URLs and webhook URLs from
the environment (`urls_env`, `url_env`), and URLs that carry tokens redacted wherever they are shown."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from tests.notify import closed_port, message
from watcher.config import AppriseChannel, Settings, WebhookChannel
from watcher.errors import DeliveryError
from watcher.notify import build_channel
from watcher.notify.secrets import redact, redact_url

if TYPE_CHECKING:
    from tests.receivers import WebhookReceiver

Start = Callable[..., "WebhookReceiver"]
TOKEN = "a1b2c3d4e5f6a7b8c9d0e1f2"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={TOKEN}",
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…",
        ),
        (f"https://hooks.example.test/services/{TOKEN}/x", "https://hooks.example.test/services/…/x"),
        (f"https://user:{TOKEN}@example.test:8443/hook#{TOKEN}", "https://example.test:8443/hook"),
        (f"wecombot://{TOKEN}", "wecombot://…"),
        (f"dingtalk://{TOKEN}/?secret=x", "dingtalk://…"),
        ("https://example.test/news/index.html", "https://example.test/news/index.html"),
    ],
)
def test_urls_are_shown_without_their_tokens(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    assert redact(f"POST {url} failed: refused") == f"POST {shown} failed: refused"


def test_a_chat_channel_reads_its_urls_from_the_environment(webhook_receiver: Start) -> None:
    receiver = webhook_receiver()
    url = receiver.base_url.replace("http://", "json://") + f"/robot/{TOKEN}"
    spec = AppriseChannel(name="wecom", urls_env="WATCHER_WECOM_URLS", timeout_s=2)
    build_channel(spec, {"WATCHER_WECOM_URLS": url}).send(message())
    assert [r.path for r in receiver.requests] == [f"/robot/{TOKEN}"]
    assert TOKEN not in repr(build_channel(spec, {"WATCHER_WECOM_URLS": url}))


def test_a_missing_url_variable_fails_every_send_naming_it() -> None:
    spec = AppriseChannel(name="wecom", urls_env="WATCHER_WECOM_URLS")
    with pytest.raises(
        DeliveryError, match=r"^wecom: the URL variable WATCHER_WECOM_URLS is not set$"
    ) as caught:
        build_channel(spec, {}).send(message())
    assert not caught.value.retryable
    hook = WebhookChannel(name="hook", url_env="WATCHER_HOOK_URL")
    with pytest.raises(DeliveryError, match=r"^hook: the webhook URL variable WATCHER_HOOK_URL is not set$"):
        build_channel(hook, {}).send(message())


def test_a_webhook_url_from_the_environment_is_redacted_in_its_errors(caplog) -> None:
    url = f"http://127.0.0.1:{closed_port()}/hook/{TOKEN}?key={TOKEN}"
    hook = WebhookChannel(name="hook", url_env="WATCHER_HOOK_URL", timeout_s=1)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(DeliveryError) as caught:
        build_channel(hook, {"WATCHER_HOOK_URL": url}).send(message())
    assert caught.value.retryable and TOKEN not in str(caught.value) and TOKEN not in caplog.text
    invalid = WebhookChannel(name="hook", url=f"ftp://127.0.0.1/{TOKEN}")
    with pytest.raises(DeliveryError, match="invalid URL") as caught:
        build_channel(invalid, {}).send(message())
    assert TOKEN not in str(caught.value)


def test_a_chat_failure_names_no_token() -> None:
    down = f"json://127.0.0.1:{closed_port()}/robot/{TOKEN}"
    spec = AppriseChannel(name="wecom", urls_env="WATCHER_WECOM_URLS", timeout_s=1)
    with pytest.raises(DeliveryError) as caught:
        build_channel(spec, {"WATCHER_WECOM_URLS": down}).send(message())
    assert caught.value.retryable and TOKEN not in str(caught.value)


def test_a_channel_needs_its_urls_in_one_place() -> None:
    with pytest.raises(ValueError, match="needs `urls` or `urls_env`"):
        Settings.model_validate({"channels": [{"type": "apprise", "name": "chat"}]})
    with pytest.raises(ValueError, match="needs `url` or `url_env`"):
        Settings.model_validate({"channels": [{"type": "webhook", "url": "http://x", "url_env": "X"}]})
