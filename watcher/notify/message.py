"""What a channel sends: `Message`, and `alert_message(changes)` that renders one alert.

An alert is one article's changes (usually one). It is rendered once, with the Jinja2 templates beside
this module (`templates/alert.txt.j2`, `templates/alert.html.j2`), into every form a channel needs: a
subject, a plain-text body, an HTML body without external resources, and a JSON payload for webhooks:

    {"kind", "subject", "summary_zh", "summary_en", "old", "new", "key",   ← the first (main) change
     "changes": [{same fields}, …]}                                        ← every change of the alert

`old` / `new` are {"type": "value", indicator, subject, measure, kind, when, value, unit, qualifier,
"text_zh", raw, evidence} or {"type": "milestone", project, name, stage, date, evidence}, with evidence
{url, outlet, published (ISO date or null), sentence}; `old` is null for a first sighting.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from watcher.models import Change, MilestoneObservation, Observation, observation_to_dict
from watcher.wording import period_zh, quantity_zh, stage_en, stage_zh

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "templates"
SUBJECT_PREFIX = "[watcher] "
MAX_SUBJECT_CHARS = 200
_SPACE = re.compile(r"\s+")
# how the two sides of a change are labelled, when "before / now" would mislead
_SIDE_LABELS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "target_met": (("目标", "Target"), ("实际", "Actual")),
    "target_missed": (("目标", "Target"), ("实际", "Actual")),
    "figure_conflict": (("先报", "Reported first"), ("后报", "Reported later")),
}
_DEFAULT_LABELS = (("此前", "Before"), ("现在", "Now"))


@dataclass(frozen=True, slots=True)
class Message:
    subject: str
    text: str  # plain-text body
    html: str | None  # HTML body (no external resources)
    payload: dict[str, object]  # the JSON a webhook receives
    idempotency_key: str  # one per alert and channel; sent as Message-ID / Idempotency-Key header
    to: tuple[str, ...] = ()  # email recipients (empty: the channel's `to`)
    headers: tuple[tuple[str, str], ...] = ()  # extra email headers, e.g. List-Unsubscribe


@dataclass(frozen=True, slots=True)
class _Side:
    """One side of a change (before or now) as the templates show it."""

    label_zh: str
    label_en: str
    value: str
    outlet: str | None
    published: str | None
    url: str
    is_link: bool  # only http(s) URLs become links
    sentence: str


@dataclass(frozen=True, slots=True)
class _ChangeView:
    kind: str
    subject: str
    summary_zh: str
    summary_en: str
    key: str
    sides: tuple[_Side, ...]
    link: str | None  # watcher's own page about the change, when base_url is known


def alert_message(changes: list[Change], *, idempotency_key: str, base_url: str | None = None) -> Message:
    """One alert about `changes` (one article's): subject, text, HTML and webhook payload.

    `base_url` is where watcher's own pages are served; when given, each change links to
    `{base_url}/changes/{change.key}`.
    """
    if not changes:
        raise ValueError("an alert needs at least one change")
    views = [_view(change, base_url) for change in changes]
    env = template_environment()
    context = {"changes": views, "first": views[0], "more": len(views) - 1}
    payload = _change_payload(changes[0]) | {"changes": [_change_payload(c) for c in changes]}
    return Message(
        subject=_subject(changes),
        text=env.get_template("alert.txt.j2").render(context),
        html=env.get_template("alert.html.j2").render(context),
        payload=payload,
        idempotency_key=idempotency_key,
    )


def unsubscribe_url(base_url: str | None, token: str) -> str | None:
    """`{base_url}/unsubscribe?token=…`; None when the service's public URL is not configured."""
    return f"{base_url.rstrip('/')}/unsubscribe?token={token}" if base_url else None


def unsubscribe_headers(base_url: str | None, token: str) -> tuple[tuple[str, str], ...]:
    """List-Unsubscribe with one-click POST (RFC 8058); none without a public URL to point at."""
    url = unsubscribe_url(base_url, token)
    if url is None:
        return ()
    return (("List-Unsubscribe", f"<{url}>"), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))


def _subject(changes: list[Change]) -> str:
    """[watcher] 八镇 规上工业总产值 2026年目标: 超1600亿元 → 超1800亿元 (上调)（另2项）, on one line."""
    text = SUBJECT_PREFIX + _SPACE.sub(" ", changes[0].summary_zh).strip()
    more = f"（另{len(changes) - 1}项）" if len(changes) > 1 else ""
    if len(text) + len(more) > MAX_SUBJECT_CHARS:
        text = text[: MAX_SUBJECT_CHARS - len(more) - 1] + "…"
    return text + more


@lru_cache(maxsize=1)
def template_environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _view(change: Change, base_url: str | None) -> _ChangeView:
    (old_zh, old_en), (new_zh, new_en) = _SIDE_LABELS.get(change.kind, _DEFAULT_LABELS)
    sides = [_side(change.new, new_zh, new_en)]
    if change.old is not None:
        sides.insert(0, _side(change.old, old_zh, old_en))
    link = f"{base_url.rstrip('/')}/changes/{change.key}" if base_url else None
    return _ChangeView(
        change.kind, change.subject, change.summary_zh, change.summary_en, change.key, tuple(sides), link
    )


def _side(o: Observation | MilestoneObservation, label_zh: str, label_en: str) -> _Side:
    if isinstance(o, Observation):
        value = f"{period_zh(o.when)} {quantity_zh(o.value, o.unit, o.qualifier)}".strip()
    else:
        value = f"{o.name} {stage_zh(o.stage)} ({stage_en(o.stage)})" + (f" {o.date}" if o.date else "")
    ev = o.evidence
    return _Side(
        label_zh=label_zh,
        label_en=label_en,
        value=value,
        outlet=ev.outlet,
        published=ev.published.isoformat() if ev.published else None,
        url=ev.url,
        is_link=ev.url.startswith(("http://", "https://")),
        sentence=_SPACE.sub(" ", ev.sentence).strip(),
    )


def _change_payload(change: Change) -> dict[str, object]:
    return {
        "kind": change.kind,
        "subject": change.subject,
        "summary_zh": change.summary_zh,
        "summary_en": change.summary_en,
        "old": _observation_payload(change.old) if change.old is not None else None,
        "new": _observation_payload(change.new),
        "key": change.key,
    }


def _observation_payload(o: Observation | MilestoneObservation) -> dict[str, object]:
    """The observation as the store encodes it; a value also carries its amount in words (超1600亿元)."""
    payload = observation_to_dict(o)
    if isinstance(o, Observation):
        payload["text_zh"] = quantity_zh(o.value, o.unit, o.qualifier)
    return payload
