"""The `check-config` command: validates the config, its sources, lexicon and channels, and says where
everything is (wired into cli/commands.py beside the other commands).

    watcher [--config FILE] check-config

Prints what it checked, one line each: the sources, the lexicon folders, where the database and the
storage folder are and why there, the alert channels and where digests go. Exit 2 with one line per
problem (a selector that does not parse, a digest channel that does not exist …), 0 otherwise.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from watcher.config import Settings
from watcher.extract import load_lexicon


def add_parsers(subparsers: Any) -> None:
    """Add `check-config` to the subparsers of the CLI."""
    subparsers.add_parser(
        "check-config",
        help="validate the config, its sources, lexicon and channels; show where data is stored",
        description="Reads the config as every command does, checks the sources' selectors and patterns, "
        "the lexicon files and the channel names, and prints where the database and the storage folder "
        "are. Exit status 2 when something is wrong, each problem on one line.",
    )


def channel_problems(settings: Settings) -> list[str]:
    """Channel names the config uses that no [[channels]] table defines, or that cannot do the job."""
    digests = settings.digests
    kinds = {c.name: c.type for c in settings.channels}
    known = ", ".join(kinds) or "none"
    if not digests.enabled or digests.channel in kinds:
        if digests.enabled and kinds[digests.channel] != "email":
            return [f"digests.channel {digests.channel!r} is a {kinds[digests.channel]} channel, not email"]
        return []
    if "channel" in digests.model_fields_set or kinds:  # named on purpose, or channels exist but not it
        return [f"digests.channel names no channel {digests.channel!r} (configured: {known})"]
    return []


def describe_channels(settings: Settings) -> list[str]:
    from watcher.health import alert_channels

    kinds = {c.name: c.type for c in settings.channels}
    names = alert_channels(settings)
    alerts = (
        ", ".join(f"{n} ({kinds[n]})" for n in names)
        if names
        else "none: alerts are recorded (`watcher alerts`), not sent; a channel added later gets "
        "the alerts raised after it is added"
    )
    digests = settings.digests
    if not digests.enabled:
        digest_line = "off (digests.enabled = false)"
    elif digests.channel in kinds:
        digest_line = f"through {digests.channel!r}, daily at {digests.daily_at} ({digests.timezone})"
    else:
        digest_line = f"not sent: no email channel named {digests.channel!r}"
    return [f"  alerts to  {alerts}", f"  digests    {digest_line}"]


def cmd_check_config(args: argparse.Namespace, settings: Settings) -> int:
    from watcher.discover import check_selectors
    from watcher.store.db import safe_url

    problems = [
        f"sources[{i}] {s.name}: {p}" for i, s in enumerate(settings.sources) for p in check_selectors(s)
    ]
    problems += channel_problems(settings)
    load_lexicon(*settings.lexicon_paths)
    for problem in problems:
        print(f"watcher: {settings.config_path}: {problem}", file=sys.stderr)
    if problems:
        return 2
    enabled = [s.name for s in settings.sources if s.enabled]
    storage, why = settings.storage_where
    lines = [
        f"{settings.config_path}: ok",
        f"  sources    {len(settings.sources)} ({len(enabled)} enabled){': ' if enabled else ''}"
        + ", ".join(enabled[:8])
        + (" …" if len(enabled) > 8 else ""),
        f"  lexicon    {' + '.join(str(folder) for folder in settings.lexicon_paths)}",
        f"  database   {safe_url(settings.database)}",
        f"  storage    {storage} ({why})",
        *describe_channels(settings),
    ]
    print("\n".join(lines))
    return 0


COMMANDS = {"check-config": cmd_check_config}
