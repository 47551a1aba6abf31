"""Chat robots through Apprise, tested with its generic json:// service against a local receiver."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from tests.notify import NEW_URL, OLD_URL, closed_port, message
from watcher.config import AppriseChannel
from watcher.errors import ConfigError, DeliveryError
from watcher.notify import ChatSender, build_channel
from watcher.notify.chat import to_markdown, with_timeouts

if TYPE_CHECKING:
    from tests.receivers import WebhookReceiver

pytest_plugins = ["tests.receivers"]  # the webhook_receiver fixture

Start = Callable[..., "WebhookReceiver"]


def json_url(receiver: WebhookReceiver, path: str = "/robot") -> str:
    return receiver.base_url.replace("http://", "json://") + path


def channel(*urls: str, **settings: Any) -> AppriseChannel:
    options: dict[str, Any] = {"urls": list(urls), "timeout_s": 2.0}
    return AppriseChannel(**(options | settings))


def test_title_and_markdown_body_arrive(webhook_receiver: Start) -> None:
    receiver = webhook_receiver()
    sent = message()
    build_channel(channel(json_url(receiver))).send(sent)
    [request] = receiver.requests
    assert request.path == "/robot"
    body = request.json()
    assert body["title"] == sent.subject
    text = body["message"]
    assert "超1600亿元 → 超1800亿元 (上调)" in text and "(raised)" in text
    assert OLD_URL in text and NEW_URL in text
    assert "> 「到2026年，八镇规上工业总产值超1600亿元。」" in text
    assert request.headers["user-agent"] == "watcher"


def test_failure_is_retryable_and_names_the_channel(webhook_receiver: Start) -> None:
    receiver = webhook_receiver(status=500)
    with pytest.raises(DeliveryError, match=r"^wecom: 1 of 1 service\(s\) failed: .*500") as caught:
        build_channel(channel(json_url(receiver), name="wecom")).send(message())
    assert caught.value.retryable and caught.value.channel == "wecom"


def test_one_of_two_services_failing_fails_the_send(webhook_receiver: Start) -> None:
    receiver = webhook_receiver()
    down = f"json://127.0.0.1:{closed_port()}/robot"
    with pytest.raises(DeliveryError, match="1 of 2 service") as caught:
        build_channel(channel(json_url(receiver), down)).send(message())
    assert caught.value.retryable
    assert len(receiver.requests) == 1


def test_never_answering_times_out_within_the_channel_timeout(webhook_receiver: Start) -> None:
    receiver = webhook_receiver(hang=True)
    started = time.monotonic()
    with pytest.raises(DeliveryError) as caught:
        build_channel(channel(json_url(receiver), timeout_s=0.3)).send(message())
    assert caught.value.retryable
    assert time.monotonic() - started < 2


def test_unusable_url_is_a_config_error_that_hides_the_token() -> None:
    with pytest.raises(ConfigError, match=r"'chat': not a usable Apprise URL: nosuchrobot://…$"):
        ChatSender(channel("nosuchrobot://SECRET-TOKEN"))


def test_chinese_robot_urls_are_understood() -> None:
    sender = ChatSender(
        channel("wecombot://0123456789abcdef", "dingtalk://abcdef0123456789", "feishu://abc123")
    )
    assert "wecombot://…" in repr(sender) and "SECRET" not in repr(sender)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("wecombot://KEY", "wecombot://KEY?cto=2.5&rto=2.5"),
        ("json://h/p?x=1", "json://h/p?x=1&cto=2.5&rto=2.5"),
        ("json://h/p?rto=9", "json://h/p?rto=9&cto=2.5"),
        ("json://h/p?cto=1&rto=9", "json://h/p?cto=1&rto=9"),
    ],
)
def test_timeouts_are_added_to_urls(url: str, expected: str) -> None:
    assert with_timeouts(url, 2.5) == expected


def test_markdown_keeps_lines_and_never_makes_code_blocks() -> None:
    markdown = to_markdown("标题\n\n此前: 1\n    江门日报, 2024-05-03\n  「原句」\n\n-- \nwatcher")
    assert markdown == "标题  \n\n此前: 1  \n江门日报, 2024-05-03  \n> 「原句」\n\n\n\n---\nwatcher\n"
