"""How a figure is framed: its measure (level, yoy, share, progress, rank), its kind (actual, target,
forecast) and the period or deadline it is about.

    同比增长5.5%            → yoy                 占全市比重60.4%    → share
    完成年度目标任务的77%    → progress            全省第7            → rank
    力争…到2026年…超1600亿元 → target, 2026        预计全年…3000亿元  → forecast, the publication year
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from watcher.extract.lexicon import Lexicon, alternation
from watcher.extract.periods import TimeRef, end_year
from watcher.extract.quantities import Quantity

_CLAUSE_END = "，,；;：:。!?！？"
_SEGMENT_END = "；;。"
_NEGATIVE = ("下降", "减少", "回落", "降低", "下滑", "下跌")
_RATE_YOY = ("增长率", "增速", "增幅", "涨幅", "降幅")
# What may stand between a growth word and its number (增长目标为7%, 增幅达到15.7%, 增长仅为2.8%).
_AFTER_GROWTH = re.compile(
    r"(?:均|同比|分别|为|达到|达|了|已|仅|只|约|近|目标|预期|将|要|可|控制在|保持在|在|，|,|\s"
    r"|下调至|上调至|调整为|调整至|调低至|调高至|定为|设定为|确定为)*"
)
PERCENT_UNITS = ("%", "个百分点", "‰")
_FIRST_CLAUSE_END = re.compile(f"[{_CLAUSE_END}]")


@dataclass(frozen=True)
class Cues:
    """Regexes built once per lexicon."""

    kind: re.Pattern[str]
    yoy: re.Pattern[str]
    share: re.Pattern[str]
    progress: re.Pattern[str]
    quantity: re.Pattern[str]


def compile_cues(lex: Lexicon, quantity: re.Pattern[str]) -> Cues:
    kind_words = lex.not_cues + lex.target_cues + lex.forecast_cues + lex.weak_target_cues
    return Cues(
        kind=re.compile(alternation(kind_words)),
        yoy=re.compile(alternation(lex.not_yoy + lex.yoy + lex.yoy_negative)),
        share=re.compile(alternation(lex.share)),
        progress=re.compile(alternation(lex.progress)),
        quantity=quantity,
    )


def left_edge(sentence: str, pos: int, floor: int, chars: str = _CLAUSE_END + "、") -> int:
    """Start of the clause (or list item) that `pos` is in, not before `floor`."""
    # One rfind per mark, each looking only after the latest mark found so far: compiled, indexing the
    # sentence character by character makes a new string for each (a segment can be the whole sentence).
    last = floor - 1
    for ch in chars:
        i = sentence.rfind(ch, last + 1, pos)
        if i > last:
            last = i
    return last + 1


def measure_of(prefix: str, q: Quantity, cues: Cues, lex: Lexicon, indicator: str) -> tuple[str, int]:
    """Measure and the sign to apply (-1 for 下降)."""
    if q.is_rank:
        return "rank", 1
    if q.unit not in PERCENT_UNITS:
        return "level", 1
    if cues.progress.search(prefix):
        return "progress", 1
    growth = [m for m in cues.yoy.finditer(prefix) if m.group() not in lex.not_yoy]
    if growth:
        grow = growth[-1]
        rest = prefix[grow.end() :]
        if _AFTER_GROWTH.fullmatch(rest) or not indicator:
            return "yoy", -1 if any(w in grow.group() for w in _NEGATIVE) else 1
    if indicator.endswith(_RATE_YOY):
        return "yoy", 1
    bare = prefix.rstrip()
    if bare.endswith("增") and not bare.endswith(("新增", "净增")):
        return "yoy", 1  # 规上工业增加值增 4.5%: a headline's 增 for 增长
    return "share", 1


def kind_at(
    sentence: str,
    q: Quantity,
    times: list[TimeRef],
    cues: Cues,
    lex: Lexicon,
    published: date | None,
    carried: str | None = None,
) -> str:
    """actual, target or forecast: the cues earlier in the figure's clause group decide."""
    seg = left_edge(sentence, q.start, 0, _SEGMENT_END)
    colon = max(sentence.rfind("：", 0, seg), sentence.rfind(":", 0, seg))
    if colon >= 0:  # 主要预期目标是：A增长5%；B增长6%；… — the cue before the colon covers the list
        seg = left_edge(sentence, colon, 0, _SEGMENT_END)
    if seg > 0 and _opens_with_cue(sentence, cues, lex):
        seg = 0  # 预计实现A 9549.6亿元；B 661.4亿元；…: the opening cue covers the whole list
    kind = "actual"
    for m in cues.kind.finditer(sentence, seg, q.num_start):
        word = m.group()
        if word in lex.not_cues or kind == "forecast":
            continue
        if word.endswith("投资") and _has_figure(sentence, m.end(), q.num_start):
            continue  # 年度计划投资328.7亿元，1-5月完成投资…: the planned amount alone is a target
        if word in lex.weak_target_cues:
            if kind == "actual" and _is_current(times, q, published, carried):
                kind = "target"
            continue
        kind = "forecast" if word in lex.forecast_cues else "target"
    if kind == "actual" and any(
        seg <= t.start < q.start and t.deadline and (not t.period or t.period == t.deadline) for t in times
    ):
        kind = "target"  # 到2026年 …, 3年内 …: a deadline makes it a target
    return kind


def _has_figure(sentence: str, start: int, end: int) -> bool:
    return any(c.isdigit() for c in sentence[start:end])


def _opens_with_cue(sentence: str, cues: Cues, lex: Lexicon) -> bool:
    """Does the sentence's first clause hold a target or forecast cue?"""
    first = _FIRST_CLAUSE_END.search(sentence)
    end = first.start() if first else len(sentence)
    return any(
        m.group() not in lex.not_cues and m.group() not in lex.weak_target_cues
        for m in cues.kind.finditer(sentence, 0, end)
    )


def _is_current(times: list[TimeRef], q: Quantity, published: date | None, carried: str | None) -> bool:
    """Is the figure about this year or later (争取 then means a target, not what was won)?"""
    if published is None:
        return False
    t = time_before(times, q.start)
    period = t.period if t is not None else carried
    return period is None or int(period[:4]) >= published.year


def time_before(times: list[TimeRef], pos: int) -> TimeRef | None:
    best = None
    for t in times:
        if t.end <= pos and not t.comparison and (t.period or t.vague or t.deadline):
            best = t
    return best


def mark_plan(sentence: str, t: TimeRef, cues: Cues, lex: Lexicon) -> TimeRef:
    """A time word inside a target or forecast clause (预计全年…) is not the period of later actuals."""
    seg = left_edge(sentence, t.start, 0, _SEGMENT_END)
    for m in cues.kind.finditer(sentence, seg, t.start):
        if m.group() not in lex.not_cues and m.group() not in lex.weak_target_cues:
            return replace(t, in_plan=True)
    return t


def period_of(
    q: Quantity, times: list[TimeRef], kind: str, carried: str | None, published: date | None
) -> tuple[str | None, str | None]:
    """(period, deadline) of a figure."""
    if kind == "actual":
        t = time_before([t for t in times if not t.in_plan], q.start)
        if t is None:
            return carried, None
        return (None if t.vague else t.period), None
    t = time_before(times, q.start)
    if kind == "forecast":  # 预计全年… in January: the year just ended, as 全年 of results means
        period = t.period if t else carried
        return period, (t.deadline if t and t.deadline else end_year(period) if period else None)
    period = (t.plan_period or t.period) if t else None
    if t is None and carried and len(carried) == 4 and published and int(carried) >= published.year:
        period = carried  # a plan year carried from a heading (二、2025年工作安排)
    deadline = t.deadline if t and t.deadline else None
    if deadline is None and period and kind == "target":
        deadline = end_year(period)
    if deadline is None and kind == "target" and published is not None and period is None:
        deadline = str(published.year)
    return period, deadline


def average_span(times: list[TimeRef], q: Quantity) -> str | None:
    """The years an average growth rate (年均增长) covers: a span named before it (十三五时期, 过去五年),
    else the years after the first of two named (从2015年的A增加到2020年的B → 2016/2020)."""
    before = [t for t in times if t.end <= q.start and t.period and not t.comparison]
    spans = [t.period for t in before if t.period and "/" in t.period]
    if spans:
        return spans[-1]
    years = [int(t.period[:4]) for t in before if t.period and len(t.period) == 4]
    if len(years) >= 2 and years[0] < years[-1]:
        return f"{years[0] + 1}/{years[-1]}"
    return None
