"""Changes as an Atom feed (RFC 4287), so a feed reader can follow them without email. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from watcher.web.queries import ChangeItem
from watcher.web.views import change_url

ATOM = "http://www.w3.org/2005/Atom"


def changes_atom(changes: Sequence[ChangeItem], self_url: str, base_url: str) -> bytes:
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "title", "watcher: 指标变化 / changes")
    _text(feed, "id", self_url)
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=self_url)
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", href=base_url + "/")
    updated = max((c.created_at for c in changes), default=datetime(1970, 1, 1, tzinfo=UTC))
    _text(feed, "updated", updated.isoformat())
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "watcher")
    for c in changes:
        feed.append(_entry(c, base_url))
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8")


def _entry(c: ChangeItem, base_url: str) -> ET.Element:
    entry = ET.Element(f"{{{ATOM}}}entry")
    _text(entry, "id", f"{base_url}/api/changes#{c.id}")
    _text(entry, "title", c.summary_zh)
    _text(entry, "updated", c.created_at.isoformat())
    page = change_url(c)
    if page:
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=base_url + page)
    for ev in c.sources():
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="related", href=ev["url"], title=ev.get("outlet") or "")
    ET.SubElement(entry, f"{{{ATOM}}}category", term=c.kind)
    lines = [
        c.summary_zh,
        c.summary_en,
        *(f"{ev.get('outlet') or ''}: {ev.get('sentence') or ''}" for ev in c.sources()),
    ]
    _text(entry, "content", "\n".join(lines)).set("type", "text")
    return entry


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{ATOM}}}{tag}")
    el.text = text
    return el
