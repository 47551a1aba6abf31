"""Noun phrases without a word segmenter: walks over characters that stop at the lexicon's stop words.

Chinese has no spaces, so a phrase is bounded by punctuation, digits and the verbs, prepositions and
time words listed in `config/lexicon/cues.toml`. Good enough for the noun phrases of economic
reporting (规上工业增加值, 江门大型产业集聚区, 保障性租赁住房) and much faster than a segmenter.
"""

from __future__ import annotations

import re

from watcher.extract.lexicon import Lexicon

BOUNDARY = frozenset("，,；;。！？!?：:、\"'‘’《》<>【】[]\n\t ·…—-~～|/")
CONNECTORS = ("及", "和", "与", "、")


def is_phrase_char(ch: str) -> bool:
    if 0x4E00 <= ord(ch) <= 0x9FFF:
        return True  # an ideograph, the common case (none is in BOUNDARY)
    return ((ch.isascii() and ch.isalpha()) or ch in "()（）&“”「」") and ch not in BOUNDARY


NUMERAL_CHARS = frozenset("0123456789零〇一二两三四五六七八九十百千万亿多余")


def _in_compound(text: str, start: int, end: int, lex: Lexicon) -> bool:
    """Is text[start:end] part of a longer word that must not be split (共享, 比重, 年均)?"""
    lo = max(0, start - 3)
    for m in lex.keep_re.finditer(text, lo, min(len(text), end + 3)):
        if m.start() < end and m.end() > start and (m.start() < start or m.end() > end):
            return True
    return False


def stop_word_ending_at(text: str, end: int, lex: Lexicon, stops: frozenset[str] | None = None) -> int:
    """Length of the longest stop word that ends at `end` (0 if none)."""
    if stops is None:
        if end == 0 or text[end - 1] not in lex.stop_ends:
            return 0
        stops = lex.stop_words
    for size in range(min(lex.stop_max, end), 0, -1):
        if text[end - size : end] in stops and not _in_compound(text, end - size, end, lex):
            return size
    return 0


def stop_word_starting_at(text: str, start: int, lex: Lexicon, stops: frozenset[str] | None = None) -> int:
    """Length of the longest stop word that starts at `start` (0 if none)."""
    stops = lex.stop_words if stops is None else stops
    for size in range(min(lex.stop_max, len(text) - start), 0, -1):
        if text[start : start + size] in stops and not _in_compound(text, start, start + size, lex):
            return size
    return 0


def is_counted(text: str, i: int, lex: Lexicon) -> bool:
    """Is text[i] a counter right after a number (65个, 15条)?"""
    return text[i] in lex.counters and i > 0 and text[i - 1] in NUMERAL_CHARS


def phrase_before(text: str, end: int, lex: Lexicon, max_len: int = 16) -> int:
    """Start of the noun phrase that ends at `end`."""
    i = end
    while i > 0 and end - i < max_len:
        ch = text[i - 1]
        if (
            ch == "的"
            or not is_phrase_char(ch)
            or is_counted(text, i - 1, lex)
            or stop_word_ending_at(text, i, lex)
        ):
            break
        i -= 1
    return i


def phrase_after(text: str, start: int, lex: Lexicon, max_len: int = 16) -> int:
    """End of the noun phrase that starts at `start`; 及/和/与/、 join nouns inside it."""
    i = start
    while i < len(text) and i - start < max_len:
        ch = text[i]
        if ch in CONNECTORS and i > start and i + 1 < len(text) and is_phrase_char(text[i + 1]):
            i += 1
            continue
        if ch == "的" or not is_phrase_char(ch) or stop_word_starting_at(text, i, lex, lex.after_stop):
            break
        i += 1
    while i > start and text[i - 1] in CONNECTORS:
        i -= 1
    return i


def strip_words(
    text: str,
    words: tuple[str, ...] | frozenset[str],
    *,
    lead: bool = True,
    trail: bool = True,
    allow_empty: bool = False,
) -> str:
    """Remove any of `words` from the ends of `text`, repeatedly (never to nothing unless allowed)."""
    keep = 0 if allow_empty else 1
    ordered = sorted(words, key=len, reverse=True) if isinstance(words, frozenset) else words
    changed = True
    while changed and text:
        changed = False
        for w in ordered:
            if lead and text.startswith(w) and len(text) >= len(w) + keep:
                text, changed = text[len(w) :], True
                break
            if trail and text.endswith(w) and len(text) >= len(w) + keep:
                text, changed = text[: -len(w)], True
                break
    return text


def last_clean_phrase(text: str, lex: Lexicon) -> str:
    """The last stretch of `text` that holds no stop word (the noun phrase nearest the number)."""
    end = len(text)
    while end > 0 and not is_phrase_char(text[end - 1]):
        end -= 1
    # trailing stop words (达到, 为, 超过 …) belong to the predicate, not the noun
    while end > 0:
        size = stop_word_ending_at(text, end, lex)
        if not size:
            break
        end -= size
    start = phrase_before(text, end, lex, max_len=20)
    return text[start:end]


_ENUMERATION = re.compile(r"^[(（][一二三四五六七八九十\d]{1,3}[)）]")


def tidy(name: str) -> str:
    """Drop unpaired quotes and brackets left at the edges of a phrase (“小巨人”企业 stays whole)."""
    name = name.strip(" ，,、").lstrip("和及与")
    if name[:1] in "(（":
        name = _ENUMERATION.sub("", name)  # （三）高端装备工程 → 高端装备工程
    for left, right in (("“", "”"), ("(", ")"), ("（", "）"), ("「", "」")):
        if name.count(left) != name.count(right):
            name = name.replace(left, "").replace(right, "")
        while name.startswith(left) and name.endswith(right) and name.count(left) == 1:
            name = name[1:-1]
    return name
