"""Delivery tests. `target_raised()`, `milestone_reached()` and `message()` build realistic alerts."""

from __future__ import annotations

import socket
from dataclasses import replace
from datetime import date
from typing import Any

from watcher.notify import Message, alert_message
from watcher.track import (
    Change,
    Evidence,
    MilestoneObservation,
    Observation,
    SeriesKey,
    diff_milestone,
    diff_value,
)

TARGET = SeriesKey("规上工业总产值", "八镇", "level", "target")
OLD_URL = "https://www.jiangmen.gov.cn/zwgk/2024-05/03/content_1.html"
NEW_URL = "https://www.jmnews.cn/2024-09/01/content_2.html?from=rss&id=2"
MILESTONE_URL = "http://www.pengjiang.gov.cn/xw/2025-03/01/content_3.html"


def target_raised() -> list[Change]:
    """八镇 规上工业总产值 2026年目标: 超1600亿元 → 超1800亿元 (上调)."""
    old = Observation(
        TARGET, "2026", 1600e8, "元", ">",
        Evidence(OLD_URL, "江门日报", date(2024, 5, 3), "到2026年，八镇规上工业总产值超1600亿元。"),
    )  # fmt: skip
    new = Observation(
        TARGET, "2026", 1800e8, "元", ">",
        Evidence(NEW_URL, "南方日报", date(2024, 9, 1), "力争八镇规上工业总产值超1800亿元 <“双倍”> & 更多。"),
    )  # fmt: skip
    return diff_value([old], new)


def milestone_reached() -> list[Change]:
    """中创新航项目一期: 开工 → 封顶."""
    started = MilestoneObservation(
        "中创新航项目一期", "中创新航项目一期", "started", "2024-03",
        Evidence("https://www.jiangmen.gov.cn/a.html", "江门日报", date(2024, 3, 5), "项目一期开工。"),
    )  # fmt: skip
    topped = MilestoneObservation(
        "中创新航项目一期", "中创新航项目一期", "topped_out", "2025-02",
        Evidence(MILESTONE_URL, None, None, "中创新航项目一期主体结构封顶。"),
    )  # fmt: skip
    return diff_milestone([started], topped)


def message(key: str = "alert-1.email", **overrides: Any) -> Message:
    """The target-raised alert as a channel receives it."""
    return replace(alert_message(target_raised(), idempotency_key=key), **overrides)


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (it was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
