"""Normalisation: width folding, traditional → simplified, offsets kept; sentence splitting."""

from __future__ import annotations

import pytest

from watcher.extract.text import is_traditional, normalize, split_sentences

LONG_SIMPLIFIED = "今年以来，全市规上工业增加值保持平稳增长——产业集群发展势头良好。" * 40


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("今年前三季度，江門市地區生產總值增長5.1%。", True),
        ("據統計，全市規上工業增加值增長百分之六。", True),
        ("台山市經濟發展穩中向好", True),  # a short headline
        ("經濟", True),  # one traditional character is enough under 200 characters
        ("全市规上工业增加值增长5.5%。", False),
        ("项目一期·主厂房——于今年7月封顶。", False),  # — and · are not in GB2312: still simplified
        ("显著增长，于2023年建成。", False),  # 著 and 於-like characters that simplified text uses
        (LONG_SIMPLIFIED + "張", False),  # one stray traditional character in a long simplified text
        ("此後" + LONG_SIMPLIFIED, False),  # 後 is also in GB2312: one alone is not evidence
        ("此後" + LONG_SIMPLIFIED[:100] + "其後", True),  # twice, in the first 1000 characters
        ("珺" * 3 + "，增长较快", False),  # a name character outside GB2312, not traditional
        ("", False),
    ],
)
def test_is_traditional(text: str, expected: bool) -> None:
    assert is_traditional(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("增长５．５％", "增长5.5%"),
        ("（一）主要指标：", "(一)主要指标:"),
        ("全市，同比增长。", "全市，同比增长。"),  # the Chinese comma and full stop stay
        ("总投资\u3000100亿元\xa0以上", "总投资 100亿元 以上"),
        ("地區生產總值增長５％", "地区生产总值增长5%"),
        ("1—10月", "1—10月"),
        ("", ""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    got = normalize(text)
    assert got == expected
    assert len(got) == len(text)  # offsets in the normalised text point at the original


def test_split_sentences_keeps_offsets_and_paragraphs() -> None:
    text = normalize("第一句。第二句！\n\n第三段，没有句号\n“引号内。”之后")
    got = [(s.start, s.text, s.paragraph) for s in split_sentences(text)]
    assert got == [
        (0, "第一句。", 0),
        (4, "第二句!", 0),  # full-width ！ folded
        (10, "第三段，没有句号", 1),
        (19, "“引号内。”", 2),
        (25, "之后", 2),
    ]
    for start, sentence, _ in got:
        assert text[start : start + len(sentence)] == sentence
