"""Time as the config writes it: durations ("30m", "14d") and schedules (an interval or a cron line).

    Duration.parse("14d") → Duration(14, "d")       .seconds, str() → "14d"
    schedule_trigger(text, jitter_s=…, timezone=…)  the APScheduler trigger; ValueError when unreadable

Both are built while the settings are validated (config.py), so `watcher check-config` rejects a bad
duration or a cron line APScheduler cannot read, as `watcher run` would; the daemon builds the same
triggers again with its time zone and jitter.

Cron lines have five fields, weekdays numbered as crontab does (0 or 7 = Sunday), in local time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

# APScheduler 3 ships no type information; mypyc's build checks this module (config imports it)
from apscheduler.triggers.base import BaseTrigger  # type: ignore[import-untyped,unused-ignore]
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped,unused-ignore]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped,unused-ignore]

UTC_ZONE = ZoneInfo("UTC")
_INTERVAL = re.compile(r"^(\d+)\s*(s|m|h|d)$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")  # crontab numbers, 7 = Sunday too


@dataclass(frozen=True, slots=True)
class Duration:
    """A length of time as written in the config ("30m", "14d"), parsed once, at load."""

    count: int
    unit: Literal["s", "m", "h", "d"]

    @classmethod
    def parse(cls, value: object) -> object:
        """ "14d" → Duration(14, "d"); a value that is not text is left for pydantic to judge."""
        if isinstance(value, str):
            m = _INTERVAL.match(value.strip())
            if not m:
                raise ValueError(f"not a duration (30m, 6h, 14d): {value!r}")
            return cls(int(m.group(1)), m.group(2))  # type: ignore[arg-type]
        return value

    @property
    def seconds(self) -> float:
        return float(self.count * _UNIT_S[self.unit])

    def __str__(self) -> str:
        return f"{self.count}{self.unit}"


def is_interval(text: str) -> bool:
    return _INTERVAL.match(text.strip()) is not None


def _crontab_weekdays(field: str) -> str:
    """A crontab day-of-week field (0 or 7 = Sunday) as APScheduler names: 1-5 → mon,tue,wed,thu,fri."""
    names: list[str] = []
    for part in field.lower().split(","):
        what, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if what == "*":
            first, last = 0, 6
        elif what.replace("-", "").isdigit():
            low, _, high = what.partition("-")
            first, last = int(low), int(high or (low if not step_text else 7))
        else:
            names.append(part)  # names (mon-fri) mean the same to both
            continue
        if not 0 <= first <= last <= 7:
            raise ValueError(f"day of week {what!r} is not within 0-7")
        names.extend(_WEEKDAYS[d] for d in range(first, last + 1, step))
    return ",".join(dict.fromkeys(names))


def schedule_trigger(text: str, *, jitter_s: float, timezone: ZoneInfo) -> BaseTrigger:
    """ "30m" / "6h" → every so often (jitter at most half the interval); five fields → cron.
    ValueError naming the problem when neither reads."""
    fields = text.split()
    if len(fields) != 5:
        every = Duration.parse(text)
        assert isinstance(every, Duration)
        seconds = every.seconds
        return IntervalTrigger(seconds=seconds, timezone=timezone, jitter=min(jitter_s, seconds / 2) or None)
    minute, hour, day, month, weekday = fields
    dow = None if weekday == "*" else _crontab_weekdays(weekday)
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=dow,
        timezone=timezone,
        jitter=jitter_s or None,
    )
