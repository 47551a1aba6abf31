"""Whose figure is it: the place, zone, cluster or project mentions of a sentence.

A mention is a region word (全市 → the region), a known place (八镇, 蓬江区) or a noun phrase ending in
a subject suffix (江门大型产业集聚区, 15条重点产业链). Mentions after 对/占/以/向 are the other side of
a comparison (对全市…贡献60.4%) and are not subjects. A mention made only of generic words (集聚区,
大型产业集聚区) refers back to the last named subject with the same suffix in the document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from watcher.extract.lexicon import Lexicon
from watcher.extract.phrases import phrase_before, strip_words, tidy

_NOT_SUBJECT_AFTER = (
    "对",
    "占",
    "以",
    "向",
    "投向",
    "与",
    "比",
    "较",
    "同",
    "跟",
    "和",
    "为",
    "到",
    "至",
    "赴",
    "从",
    "高于",
    "低于",
    "快于",
    "慢于",
    "高出",
    "领先",
    "居",
    "列",
    "排",
)


_ORGANISATION = re.compile(
    r"[\u4e00-\u9fff()（）]{0,14}?(?:有限公司|公司|研究院|设计院|集团|协会|委员会|管委会|银行|商会)"
)


@dataclass(init=False, slots=True)  # __init__ by hand: native once compiled, 20× faster
class Mention:
    start: int
    end: int
    name: str

    def __init__(self, start: int, end: int, name: str) -> None:
        self.start = start
        self.end = end
        self.name = name


@dataclass
class SubjectMemory:
    """Named subjects seen so far in a document, by suffix, for generic back-references."""

    by_suffix: dict[str, str] = field(default_factory=dict)


def _suffix_of(name: str, lex: Lexicon) -> str | None:
    return next((s for s in lex.subject_suffixes if name.endswith(s)), None)


def _resolve(name: str, lex: Lexicon, memory: SubjectMemory, *, leads: bool) -> str | None:
    """The subject a suffix-phrase names, remembering named ones and resolving generic ones.

    A generic one (该产业园, 集聚区) is the last named one of its family; with none, it stands for
    itself when it leads its clause (集聚区全年…) and is dropped otherwise (园区内的…).
    """
    suffix = _suffix_of(name, lex)
    if suffix is None:
        return name
    core = strip_words(name[: -len(suffix)], lex.generic_words)
    family = lex.family_of.get(suffix, suffix)
    if core and core not in lex.generic_words:
        memory.by_suffix[family] = name  # 江门大型产业集聚区 answers a later bare 集聚区
        return name
    known = memory.by_suffix.get(family)
    if known is None and leads:
        return name.removeprefix("该").removeprefix("这")
    return known


def find_subjects(sentence: str, region: str, lex: Lexicon, memory: SubjectMemory) -> list[Mention]:
    """Subject mentions of a normalised sentence, in order."""
    found: list[Mention] = []
    indicators = [(m.start(), m.end()) for m in lex.indicator_re.finditer(sentence)]
    for m in lex.subject_re.finditer(sentence):
        word = m.group()
        start, end = m.start(), m.end()
        if any(a < end and start < b for a, b in indicators) or sentence[end : end + 1] == "化":
            continue  # 地区 of 地区生产总值, 镇 of 城镇化: part of another word
        if word in lex.region_words and found and found[-1].end == start:
            continue  # 蓬江区全区: the place just named, as a whole
        if word in lex.region_words:
            name: str | None = region
        elif word in lex.places and not _suffix_of(word, lex):
            name = word
        else:
            start = phrase_before(sentence, start, lex, max_len=14) if word not in lex.places else start
            if sentence[start] in "“「":
                continue  # “园区再造”: a slogan, not a place
            phrase = strip_words(tidy(sentence[start:end]), lex.region_words, trail=False)
            if phrase in lex.not_subjects:
                continue
            lead_in = sentence[max(0, start - 3) : start].lstrip("，,；;：:。 ")
            prev = sentence[start - 1] if start else "，"
            leads = (
                prev in "，,；;：:。 "
                or prev in lex.counters
                or lead_in in ("该", "这", "此", "其", "这个", "该市")
                or start <= 1
            ) and sentence[end : end + 1] not in "内外中里"
            name = _resolve(phrase, lex, memory, leads=leads)
        before = sentence[max(0, start - 2) : start]
        if _ORGANISATION.match(sentence, end):
            continue  # 苏州工业园区新艺元规划顾问有限公司: part of an organisation's name
        if name is None or before.endswith(_NOT_SUBJECT_AFTER) or _is_quoted(sentence, start, end):
            continue  # 对全市…: the other side of a comparison; “园区再造”: a slogan
        if before.endswith(("(", "（")) and found and found[-1].end == start - 1:
            continue  # 江门高新区（江海区）: an alias of the mention before
        if found and found[-1].end > start:  # a longer phrase swallowed the previous place name
            found.pop()
        found.append(Mention(start, end, name))
    return found


def _is_quoted(sentence: str, start: int, end: int) -> bool:
    return start > 0 and sentence[start - 1] in '“「"' and sentence[end : end + 1] in '”」"'


def subject_before(mentions: list[Mention], position: int) -> Mention | None:
    """The last mention that ends at or before `position`."""
    best = None
    for mention in mentions:
        if mention.end <= position:
            best = mention
        else:
            break
    return best
