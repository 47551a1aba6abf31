"""Text normalisation and sentence splitting.

`normalize` is length-preserving (one character in, one out), so offsets found in the normalised
text point at the same characters of the original: the extractor matches on simplified, half-width
text and still quotes the sentence as the article wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

# Full-width ASCII (！ … ～) → ASCII, except the Chinese comma and the ideographic full stop, which stay
# sentence punctuation. ％ → %, ０-９ → 0-9, （）→ (), ；→ ;, ：→ :. Folded with one regex substitution:
# a page has a few dozen such characters in thousands, and `str.translate` with a dict looks up every
# character (10× slower on article text, bench/bench_extract.py).
_HALF = {chr(cp): chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F) if cp != 0xFF0C}
_HALF.update({"\u3000": " ", "\xa0": " "})
_FULL_WIDTH = re.compile("[\uff01-\uff0b\uff0d-\uff5e\u3000\xa0]")

# Traditional characters that also occur in simplified text (显著, 乾隆, 于/於 in names): not evidence.
_AMBIGUOUS = frozenset("著乾於隻餘麼藉瞭夥纔範穀醜鬆麪喫裏係")
_SAMPLE = 1000  # characters looked at to tell traditional from simplified text

SENTENCE_END = "。！？!?"
_SENTENCE = re.compile(r"[^。！？!?\n]*(?:[。！？!?]+[”’」』\"]?|\n|$)")


@cache
def _t2s_table() -> dict[int, int]:
    table: dict[int, int] = {}
    text = resources.files("watcher").joinpath("data/t2s.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        if len(line) == 2:
            table[ord(line[0])] = ord(line[1])
    return table


@cache
def _traditional_chars() -> frozenset[str]:
    return frozenset(chr(c) for c in _t2s_table()) - _AMBIGUOUS


@cache
def _traditional_in_gb2312() -> tuple[str, ...]:
    """The few traditional characters GB2312 also encodes (後, 徵 …)."""
    return tuple(sorted(ch for ch in _traditional_chars() if ch.encode("gb2312", "ignore")))


def _half(m: re.Match[str]) -> str:
    return _HALF[m.group()]


def is_traditional(text: str) -> bool:
    """True when the text is written in traditional characters: two of them in the first 1000 characters,
    or one in a text shorter than 200."""
    sample = text[:_SAMPLE]
    present: Collection[str]
    try:  # the common case, and 2× faster: simplified text encodes in GB2312 but for a few characters
        sample.replace("—", "").replace("·", "").encode("gb2312")
        present = [ch for ch in _traditional_in_gb2312() if ch in sample]
    except UnicodeEncodeError:
        present = _traditional_chars().intersection(sample)
    if not present:
        return False
    hits = sum(map(sample.count, present))
    return hits >= 2 or (hits == 1 and len(sample) < 200)


def simplified(text: str) -> str:
    """The text with traditional characters made simplified (nothing else changed)."""
    return text.translate(_t2s_table())


def normalize(text: str) -> str:
    """Simplified, half-width text of exactly the same length."""
    text = _FULL_WIDTH.sub(_half, text)
    if is_traditional(text):
        text = text.translate(_t2s_table())
    return text


@dataclass(init=False, slots=True)  # __init__ by hand: native once compiled, 20× faster
class Sentence:
    start: int  # offset in the document text
    text: str  # normalised
    paragraph: int  # index of the paragraph it belongs to

    def __init__(self, start: int, text: str, paragraph: int) -> None:
        self.start = start
        self.text = text
        self.paragraph = paragraph


def split_sentences(text: str) -> Iterator[Sentence]:
    """Sentences of a normalised document, with their paragraph index; blank ones skipped."""
    paragraph = 0
    offset = 0
    for line in text.split("\n"):
        if line.strip():
            for m in _SENTENCE.finditer(line):
                s = m.group()
                if s.strip():
                    yield Sentence(offset + m.start(), s.rstrip("\n"), paragraph)
            paragraph += 1
        offset += len(line) + 1


def has_digit(text: str) -> bool:
    """Cheap pre-test: can this sentence hold a number at all?"""
    return _ANY_NUMBER.search(text) is not None


# A digit or numeral, 第一, or 一 before a counter. Written to start with one character class (the
# lookbehinds then say which of the three it is), so that the regex engine skips every other character
# at once instead of trying three branches at each position.
_ANY_NUMBER = re.compile(
    r"[0-9零〇二两三四五六七八九十百千万亿第一]"
    r"(?:(?<=[0-9零〇二两三四五六七八九十百千万亿])|(?<=第)一|(?<=一)[个项家套所名条座])"
)
