"""Where each fact stands in its article's text: character spans, and the text cut into highlighted pieces.

    locate(text, sentence, raw) → (start, end) | None    the raw match inside its sentence, else the sentence
    pieces(text, marks) → [Piece]                         the text, each mark's span its own piece

The store keeps a fact's sentence (as the article wrote it) and its raw match; the span is found by looking
for them in the article's latest text. `normalize` is length-preserving, so the search runs on normalised
text (half-width digits, simplified characters) and the offsets hold for the original. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from watcher.extract.text import normalize


@dataclass(frozen=True, slots=True)
class Mark:
    start: int
    end: int
    fact_id: int
    type: str  # value | milestone
    label: str  # what the fact says, in words
    href: str  # its series or project page


@dataclass(frozen=True, slots=True)
class Piece:
    text: str
    mark: Mark | None = None


def locate(
    text: str, sentence: str, raw: str | None, *, normalized: str | None = None
) -> tuple[int, int] | None:
    """The span of `raw` within the first occurrence of `sentence` in `text` (else the sentence's span)."""
    haystack = normalized if normalized is not None else normalize(text)
    needle = normalize(sentence.strip())
    start = haystack.find(needle) if needle else -1
    if start < 0:
        if raw and (at := haystack.find(normalize(raw))) >= 0:
            return at, at + len(raw)
        return None
    if raw:
        inner = needle.find(normalize(raw))
        if inner >= 0:
            return start + inner, start + inner + len(raw)
    return start, start + len(needle)


def pieces(text: str, marks: Sequence[Mark]) -> list[Piece]:
    """Text and marks in reading order; a mark overlapping an earlier one is left out (it stays listed)."""
    out: list[Piece] = []
    at = 0
    for mark in sorted(marks, key=lambda m: (m.start, -m.end)):
        if mark.start < at:
            continue
        if mark.start > at:
            out.append(Piece(text[at : mark.start]))
        out.append(Piece(text[mark.start : mark.end], mark))
        at = mark.end
    if at < len(text):
        out.append(Piece(text[at:]))
    return out
