"""Human views of facts: aligned text tables that count CJK characters as two columns."""

from __future__ import annotations

import unicodedata
from typing import Protocol

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


class StoredFact(Protocol):
    """What `watcher facts` shows of a stored fact (store.queries.FactRow has these and more)."""

    indicator: str | None
    subject: str | None
    measure: str | None
    kind: str | None
    value: float | int | None
    unit: str | None
    qualifier: str | None
    quantity: str | None
    period: str | None
    deadline: str | None
    project: str | None
    stage: str | None
    date: str | None
    raw: str | None
    sentence: str


def value_cell(quantity: str | None, value: float, unit: str, qualifier: str, measure: str) -> str:
    """The value as the article wrote it (2740.45亿元), with its qualifier and measure: >1600亿元."""
    written = (quantity or f"{value:g}{unit}").removesuffix("以上").removesuffix("左右")
    cell = _QUAL.get(qualifier, "") + written.removesuffix("以下").removesuffix("以内")
    return cell if measure == "level" else f"{cell} ({measure})"


def when_cell(period: str | None, deadline: str | None, kind: str) -> str:
    """The period of an actual; `by 2026` for a target or forecast (and both when they differ)."""
    when = period or ""
    if deadline and kind != "actual":
        when = f"by {deadline}" if not when or when == deadline else f"{when} (by {deadline})"
    return when


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
    value = value_cell(fact.quantity, fact.value, fact.unit, fact.qualifier, fact.measure)
    when = when_cell(fact.period, fact.deadline, fact.kind)
    return [fact.indicator, fact.subject, when, value, fact.kind, fact.raw or fact.sentence]


def stored_fact_row(row: StoredFact) -> list[str]:
    """A stored fact in the columns of `watcher extract`'s table (indicator … kind, excerpt)."""
    if row.stage is not None:
        return [
            row.project or "",
            "",
            row.date or "",
            stage_zh(row.stage),
            "milestone",
            row.raw or row.sentence,
        ]
    value = (
        ""
        if row.value is None
        else value_cell(row.quantity, row.value, row.unit or "", row.qualifier or "=", row.measure or "level")
    )
    when = when_cell(row.period, row.deadline, row.kind or "actual")
    return [row.indicator or "", row.subject or "", when, value, row.kind or "", row.raw or row.sentence]


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
