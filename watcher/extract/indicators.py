"""What a figure measures: the indicator noun phrase around it.

65个老旧小区          → 老旧小区 (the counted noun after the counter)
近20%的工业成果        → 工业成果 (a share of the noun after 的)
规上工业增加值682.97亿元 → 规上工业增加值 (the phrase before, cleaned of subject, time and predicate)
为4022.25亿元、增长5.5% → (nothing: the caller carries the previous figure's indicator)
"""

from __future__ import annotations

import re
from functools import lru_cache

from watcher.extract.lexicon import Lexicon, longest_first
from watcher.extract.periods import TimeRef
from watcher.extract.phrases import (
    is_phrase_char,
    last_clean_phrase,
    phrase_after,
    phrase_before,
    stop_word_starting_at,
    strip_words,
)
from watcher.extract.quantities import Quantity
from watcher.extract.subjects import Mention

PERCENT_UNITS = ("%", "个百分点", "‰")
_ORDINAL_LIST = re.compile(r"第(?P<ns>[一二三四五六](?:[、和及与][一二三四五六])+)(?P<noun>产业)")
_CONTRIBUTION = re.compile(r"(?P<who>[\u4e00-\u9fff]{2,12}?|^|(?<=[，,；;]))对[^，,；;。]{0,12}?贡献率")
_CLAUSE_END = "，,；;：:。!?！？"
_RANK_BASIS = re.compile(r"按(.{2,10}?)(?:计|计算|排名)")


def noun_after(sentence: str, q: Quantity, lex: Lexicon) -> str:
    """The counted or measured noun right after a figure (65个老旧小区 → 老旧小区)."""
    if q.is_rank or q.unit in PERCENT_UNITS or q.end >= len(sentence):
        return ""
    if sentence[q.end] in "(（":
        return ""  # 8.6万亿元(人民币，下同): a note on the unit, not what is counted
    end = phrase_after(sentence, q.end, lex)
    noun = sentence[q.end : end]
    if noun in lex.threshold_nouns:
        return ""  # 突破千亿元大关: a threshold passed, not what is counted
    m = lex.indicator_re.search(noun, 1)
    if m:  # 20个战略性产业集群规上工业增加值…: the cluster is counted, the indicator follows
        noun = noun[: m.start()]
    return noun if len(noun) >= 2 else ""


def share_after(sentence: str, q: Quantity, lex: Lexicon) -> str:
    """近20%的工业成果 → 工业成果."""
    if q.unit != "%" or sentence[q.end : q.end + 1] != "的":
        return ""
    return sentence[q.end + 1 : phrase_after(sentence, q.end + 1, lex)]


def _cut_cues(
    prefix: str, lex: Lexicon, cues_yoy: re.Pattern[str], cues_progress: re.Pattern[str], *, keep_growth: bool
) -> str:
    share_at = prefix.find("占")
    if share_at == 0:
        return ""  # 占一般公共预算支出的78.2%: a share of the figure before
    if share_at > 0:
        prefix = prefix[:share_at]
    m = cues_progress.search(prefix)
    if m and m.start() > 0:  # 完成年度计划的77% → cut; 投资完成率 is the indicator's own name
        prefix = prefix[: m.end()] if m.group().endswith("率") else prefix[: m.start()]
    if not keep_growth:
        growth = [g for g in cues_yoy.finditer(prefix) if g.group() not in lex.not_yoy]
        if growth:
            prefix = prefix[: growth[0].start()]
    if prefix.endswith(("贡献", "贡献率")) or (prefix.startswith("对") and "贡献" in prefix):
        prefix = strip_words(prefix.removeprefix("对"), lex.region_words, trail=False)
    return prefix


def _name_in(prefix: str, lex: Lexicon) -> str:
    """A known indicator widened to the phrase around it, else the last clean noun phrase."""
    found = None
    for m in lex.indicator_re.finditer(prefix):
        found = m
    if found is None:
        return last_clean_phrase(prefix, lex)
    end = found.end()
    while (
        end < len(prefix)
        and prefix[end] != "的"
        and is_phrase_char(prefix[end])
        and not stop_word_starting_at(prefix, end, lex)
    ):
        end += 1
    start = phrase_before(prefix, found.start(), lex, max_len=8)
    if any(prefix[start : found.start()].endswith(s) for s in lex.subject_suffixes):
        start = found.start()  # 大型产业集聚区规上工业增加值: the zone is the subject, not part of the name
    return prefix[start:end]


def indicator_before(
    sentence: str,
    start: int,
    q: Quantity,
    lex: Lexicon,
    cues_yoy: re.Pattern[str],
    cues_progress: re.Pattern[str],
    mention: Mention | None,
    times: list[TimeRef],
) -> str:
    """The noun phrase before a figure, cleaned of subject, time words, cue words and predicate."""
    if mention and start <= mention.start < q.start:
        start = max(start, mention.end)
    cut = start
    for t in times:  # time words end the phrase (…到2026年要超过): the name is after them, or before
        if start <= t.start and t.end <= q.start and not t.comparison:
            cut = t.end
    across = _known_across(sentence, start, q.start, lex)
    if across:
        return across
    contribution = _CONTRIBUTION.search(sentence, start, q.start) if "贡献率" in sentence else None
    if contribution:  # 第一产业对经济增长的贡献率为 → 第一产业贡献率
        return strip_words(contribution.group("who"), lex.region_words, trail=False) + "贡献率"
    keep_growth = q.is_rank
    name = _name_in(
        _cut_cues(sentence[cut : q.start], lex, cues_yoy, cues_progress, keep_growth=keep_growth), lex
    )
    if not name and cut > start:
        before_time = next(t.start for t in times if t.end == cut)
        name = _name_in(
            _cut_cues(sentence[start:before_time], lex, cues_yoy, cues_progress, keep_growth=keep_growth), lex
        )
    for cue in lex.target_cues + lex.forecast_cues:
        if cue in name and len(name) > len(cue) and not any(cue in w and w in name for w in lex.not_cues):
            name = name.replace(cue, "")  # 地区生产总值预期 → 地区生产总值, but 计划总投资 stays
    return widen(sentence, name, start, q.start, lex)


_COUNTED = ("项目", "工程", "企业")
_BEFORE_STAGE = "新已"
_DONE = ("累计完成", "完成", "实现")
_DONE_WHAT = ("投资", "产值", "营业收入", "增加值")


@lru_cache(maxsize=8)
def _stage_verbs(lex: Lexicon) -> tuple[str, ...]:
    return longest_first(list(lex.stage_of))


def widen(sentence: str, name: str, floor: int, end: int, lex: Lexicon) -> str:
    """The whole indicator a bare noun stands for in its sentence.

    新开工项目28个 → 新开工项目 (the stage of counted projects, not 项目);
    固定资产完成投资494亿元 → 固定资产投资 (the known indicator the verb splits).
    """
    at = sentence.rfind(name, floor, end) if name else -1
    if at <= floor:
        return name
    if name in _COUNTED or name[0] in "和及与、":  # 新开工和续建项目: the first kind of the pair too
        verb = next((v for v in _stage_verbs(lex) if sentence.endswith(v, floor, at)), "")
        if not verb:
            return name
        start = at - len(verb)
        if start > floor and sentence[start - 1] in _BEFORE_STAGE:
            start -= 1
        return sentence[start : at + len(name)]
    done = next((d for d in _DONE if sentence.endswith(d, floor, at)), "")
    if done and name in _DONE_WHAT:
        head = sentence[max(floor, phrase_before(sentence, at - len(done), lex)) : at - len(done)]
        for i in range(len(head)):
            if head[i:] + name in lex.indicator_names:
                return head[i:] + name  # 茂名市固定资产完成投资 → 固定资产投资
        if len(head) >= 2:
            return head + name  # 第三产业完成投资 → 第三产业投资: each sector its own series
    return name


def _known_across(sentence: str, start: int, end: int, lex: Lexicon) -> str:
    """交通运输、仓储和邮政业增长6.7%: a known indicator whose name holds the 、 the clause began after."""
    if start == 0 or sentence[start - 1] != "、":
        return ""
    for m in lex.indicator_re.finditer(sentence, max(0, start - 12), min(end, start + 16)):
        if m.start() < start < m.end():
            return m.group()
    return ""


def rank_basis(sentence: str) -> str:
    """按经济总量计，江门跃居全省第7 → 经济总量."""
    m = _RANK_BASIS.search(sentence)
    return m.group(1) if m else ""


def list_names(
    sentence: str,
    run: list[Quantity],
    floor: int,
    mentions: list[Mention],
    times: list[TimeRef],
    left_edge: int,
) -> tuple[list[str], str] | None:
    """The names a 分别 list pairs its figures with, and their role.

    A、B分别为x、y → ([A, B], "indicator"); 新会区、鹤山市…分别为x、y → ([新会区, 鹤山市], "subject");
    一季度、上半年分别增长x、y → ([2023-01/2023-03, 2023-01/2023-06], "period").
    """
    at = sentence.rfind("分别", floor, run[0].start)
    if at < 0:
        return None
    stems = [t for t in times if left_edge <= t.start < at and t.period]
    if len(stems) == len(run):
        return [t.period or "" for t in stems], "period"
    text = sentence[left_edge:at]
    share_at = text.find("占")
    if share_at > 0:
        text = text[:share_at]
    ordinals = _ORDINAL_LIST.search(text)
    if ordinals:  # 第一、二、三产业 → 第一产业, 第二产业, 第三产业
        parts = [f"第{n}{ordinals.group('noun')}" for n in re.split(r"[、和及与]", ordinals.group("ns"))]
        return (parts, "indicator") if len(parts) == len(run) else None
    parts = [n for n in re.split(r"[、和及与]", text) if n]
    if len(parts) != len(run):
        return None
    places = [m for m in mentions if left_edge <= m.start < at]
    if len(places) == len(run) and all(
        p.start == sentence.find(part, left_edge) for p, part in zip(places, parts, strict=True)
    ):
        return [p.name for p in places], "subject"
    return parts, "indicator"


def lead_indicator(text: str, lex: Lexicon) -> str:
    """The indicator a list sentence opens with (全市规上工业增加值一季度、上半年分别… → 规上工业增加值)."""
    head = re.split(
        r"[、，,]|今年|去年|\d{4}年|[一二三四]季度|上半年|下半年|前三季度|\d{1,2}[—\-至]\d{1,2}月",
        text,
        maxsplit=1,
    )[0]
    return _name_in(strip_words(head, lex.region_words, trail=False), lex)
