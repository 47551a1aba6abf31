"""Human views of facts: aligned text tables that count CJK characters as two columns."""

from __future__ import annotations

import unicodedata

from watcher.models import Fact, Milestone
from watcher.wording import stage_zh

_QUAL = {"=": "", ">": ">", "<": "<", "~": "~"}


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def clip(text: str, cols: int) -> str:
    if width(text) <= cols:
        return text
    out, used = [], 0
    for ch in text:
        w = width(ch)
        if used + w > cols - 1:
            return "".join(out) + "…"
        out.append(ch)
        used += w
    return "".join(out)


def pad(text: str, cols: int) -> str:
    return text + " " * max(0, cols - width(text))


def fact_row(fact: Fact) -> list[str]:
    if isinstance(fact, Milestone):
        return [
            fact.project,
            "",
            fact.date or "",
            stage_zh(fact.stage),
            "milestone",
            fact.raw or fact.sentence,
        ]
    written = (fact.quantity or f"{fact.value:g}{fact.unit}").removesuffix("以上").removesuffix("左右")
    value = _QUAL[fact.qualifier] + written.removesuffix("以下").removesuffix("以内")
    if fact.measure not in ("level",):
        value += f" ({fact.measure})"
    when = fact.period or ""
    if fact.deadline and fact.kind != "actual":
        when = f"by {fact.deadline}" if not when or when == fact.deadline else f"{when} (by {fact.deadline})"
    return [fact.indicator, fact.subject, when, value, fact.kind, fact.raw or fact.sentence]


def aligned(
    header: list[str], body: list[list[str]], *, last: int = 40, other: int = 24, empty: str = "(nothing)"
) -> str:
    """Columns padded to the widest cell (CJK counted as two), long cells clipped with …."""
    limits = [other] * (len(header) - 1) + [last]
    table = [header, *body]
    cols = [min(limit, max(width(r[i]) for r in table)) for i, limit in enumerate(limits)]
    lines = ["  ".join(pad(clip(cell, cols[i]), cols[i]) for i, cell in enumerate(r)).rstrip() for r in table]
    if not body:
        lines.append(empty)
    return "\n".join(lines) + "\n"


def format_table(rows: list[tuple[str, Fact]], with_doc: bool = False) -> str:
    header = ["indicator", "subject", "period", "value", "kind", "excerpt"]
    body = [fact_row(f) for _, f in rows]
    if with_doc:
        header.insert(0, "doc")
        for row, (doc, _) in zip(body, rows, strict=True):
            row.insert(0, doc.rsplit("/", 1)[-1])
    return aligned(header, body, empty="(no facts)")
