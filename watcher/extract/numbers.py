"""Chinese and Arabic numbers as written in news text → floats.

    parse_number("2,740.45")  == 2740.45      parse_number("一百二十") == 120
    parse_number("1.05万")    == 10500        parse_number("两")       == 2
    parse_number("千亿")      == 1e11         parse_number("三千亿")   == 3e11

Written by hand rather than taken from a library: the extractor calls it for every candidate number,
and the forms that matter here (magnitude suffixes on Arabic numbers, bare 千亿/百亿) are few.
"""

from __future__ import annotations

import re

DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
BIG_UNITS = {"万": 10_000, "亿": 100_000_000}

# Magnitude words that may follow an Arabic number (longest first).
MAGNITUDES = {
    "万亿": 1e12,
    "千亿": 1e11,
    "百亿": 1e10,
    "十亿": 1e9,
    "亿": 1e8,
    "千万": 1e7,
    "百万": 1e6,
    "万": 1e4,
}

CN_NUMERAL_CHARS = "零〇一二两三四五六七八九十百千万亿"
_ARABIC = re.compile(r"(\d+(?:,\d{3})*(?:\.\d+)?)(万亿|千亿|百亿|十亿|亿|千万|百万|万)?")


def parse_chinese(text: str) -> float | None:
    """A Chinese numeral (十一, 一百二十, 三千亿, 两) → its value; None if it is not one."""
    if not text or any(ch not in CN_NUMERAL_CHARS for ch in text):
        return None
    total = 0.0  # finished 亿/万 sections
    section = 0.0  # the current section below 万
    digit: int | None = None
    for ch in text:
        if ch in DIGITS:
            if digit is not None and not (digit == 0 or DIGITS[ch] == 0):
                return None  # 一二三, 唯一一: not a number (but 一百零五 is)
            digit = DIGITS[ch] if digit is None or digit == 0 else digit
        elif ch in SMALL_UNITS:
            section += (1 if digit is None else digit) * SMALL_UNITS[ch]
            digit = None
        else:  # 万 or 亿
            section += digit or 0
            if section == 0:
                section = 1.0
            if ch == "亿":
                total = (total + section) * BIG_UNITS[ch]
            else:
                total += section * BIG_UNITS[ch]
            section = 0.0
            digit = None
    return total + section + (digit or 0)


def parse_number(text: str) -> float | None:
    """Any number form used in the articles → its value, or None."""
    text = text.strip()
    if not text:
        return None
    m = _ARABIC.fullmatch(text)
    if m:
        value = float(m.group(1).replace(",", ""))
        return value * MAGNITUDES[m.group(2)] if m.group(2) else value
    if text in MAGNITUDES:  # bare 千亿, 百亿, 万亿
        return MAGNITUDES[text]
    return parse_chinese(text)
