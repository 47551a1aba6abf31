"""Value facts of one sentence: each figure with its indicator, subject, measure, kind and period.

The sentence is read left to right. A figure takes
- its indicator from the noun after it (65个老旧小区, 1.2亿元专项资金), from a `%的` phrase (近20%的工业成果),
  or from the noun phrase before it (规上工业增加值682.97亿元); a bare 增长5.5% or 为4022.25亿元 carries the
  previous figure's indicator; 分别 lists pair rates with the figures or names listed before;
- its subject from a `…的X项目/合作区` after it, else the last subject mention before it, else the region;
- its measure from the cue words before it (增长 → yoy, 占/比重/率 → share, 完成…目标的 → progress);
- its kind from target/forecast cues earlier in the same clause group (力争, 到2026年, 预计 …);
- its period from the last time expression before it, carried over from earlier sentences of the
  paragraph when the sentence has none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from watcher.extract.lexicon import Lexicon, alternation
from watcher.extract.periods import TimeRef, find_times
from watcher.extract.phrases import (
    BOUNDARY,
    is_phrase_char,
    last_clean_phrase,
    phrase_after,
    phrase_before,
    stop_word_ending_at,
    strip_words,
    tidy,
)
from watcher.extract.quantities import Quantity, find_quantities
from watcher.extract.subjects import Mention, SubjectMemory, find_subjects, subject_before
from watcher.models import ValueFact

_CLAUSE_END = "，,；;：:。!?！？"
_SEGMENT_END = "；;。"
_DELTA_CUES = ("增加", "增长", "减少", "下降", "提高", "降低", "增收", "多")  # 增加300亿元: a change, not a level
_RATE_YOY = ("增长率", "增速", "增幅", "涨幅", "降幅")


@dataclass(frozen=True)
class Cues:
    """Regexes built once per lexicon."""

    kind: re.Pattern[str]
    yoy: re.Pattern[str]
    share: re.Pattern[str]
    progress: re.Pattern[str]
    quantity: re.Pattern[str]


def compile_cues(lex: Lexicon, quantity: re.Pattern[str]) -> Cues:
    return Cues(
        kind=re.compile(alternation(lex.not_cues + lex.target_cues + lex.forecast_cues)),
        yoy=re.compile(alternation(lex.not_yoy + lex.yoy + lex.yoy_negative)),
        share=re.compile(alternation(lex.share)),
        progress=re.compile(alternation(lex.progress)),
        quantity=quantity,
    )


@dataclass
class Context:
    """What carries from one sentence to the next within a document."""

    published: date | None
    region: str
    memory: SubjectMemory
    period: str | None = None  # carried within a paragraph
    section: str | None = None  # set by a heading such as 一、2024年工作回顾; carried across paragraphs
    paragraph: int = -1


@dataclass
class _Reading:
    quantity: Quantity
    indicator: str
    subject: str
    measure: str
    kind: str
    period: str | None
    deadline: str | None
    raw_start: int
    value: float


def _left_edge(sentence: str, pos: int, floor: int, chars: str = _CLAUSE_END + "、") -> int:
    i = pos
    while i > floor and sentence[i - 1] not in chars:
        i -= 1
    return i


def _kind_at(sentence: str, q: Quantity, times: list[TimeRef], cues: Cues, lex: Lexicon) -> tuple[str, int]:
    """actual/target/forecast for a figure, and where the deciding cue stands (-1: none)."""
    seg = _left_edge(sentence, q.start, 0, _SEGMENT_END)
    colon = max(sentence.rfind("：", 0, seg), sentence.rfind(":", 0, seg))
    if colon >= 0:  # 主要预期目标是：A增长5%；B增长6%；… — the cue before the colon covers the list
        seg = _left_edge(sentence, colon, 0, _SEGMENT_END)
    kind, where = "actual", -1
    for m in cues.kind.finditer(sentence, seg, q.num_start):
        word = m.group()
        if word in lex.not_cues or kind == "forecast":
            continue
        kind, where = ("forecast" if word in lex.forecast_cues else "target"), m.start()
    for t in times:
        if seg <= t.start < q.start and t.deadline and not t.period and where < t.start and kind == "actual":
            kind, where = "target", t.start  # 3年内 alone still sets a deadline
        elif seg <= t.start < q.start and t.deadline and t.period and t.period == t.deadline and kind == "actual":
            kind, where = "target", t.start  # 到2026年
    return kind, where


def _time_before(times: list[TimeRef], pos: int, floor: int = 0) -> TimeRef | None:
    best = None
    for t in times:
        if t.end <= pos and t.start >= floor and not t.comparison and (t.period or t.vague or t.deadline):
            best = t
    return best


def _growth_cues(text: str, cues: Cues, lex: Lexicon) -> list[re.Match[str]]:
    return [m for m in cues.yoy.finditer(text) if m.group() not in lex.not_yoy]


def _measure(prefix: str, q: Quantity, cues: Cues, lex: Lexicon, indicator: str) -> tuple[str, int]:
    """Measure and the sign to apply (-1 for 下降)."""
    if q.is_rank:
        return "rank", 1
    pct = q.unit in ("%", "个百分点", "‰")
    if pct and cues.progress.search(prefix):
        return "progress", 1
    growth = _growth_cues(prefix, cues, lex)
    grow = growth[-1] if growth else None
    if pct and grow is not None and not prefix[grow.end():].strip("均同比分别为达到了已，,"):
        negative = any(w in grow.group() for w in ("下降", "减少", "回落", "降低", "下滑"))
        return "yoy", -1 if negative else 1
    if pct and indicator.endswith(_RATE_YOY):
        return "yoy", 1
    if pct and grow is not None and indicator == "":
        negative = any(w in grow.group() for w in ("下降", "减少", "回落", "降低", "下滑"))
        return "yoy", -1 if negative else 1
    if pct:
        return "share", 1
    return "level", 1


def _noun_after(sentence: str, q: Quantity, lex: Lexicon) -> str:
    """The counted or measured noun right after a figure (65个老旧小区 → 老旧小区)."""
    if q.is_rank or q.unit in ("%", "个百分点", "‰") or q.end >= len(sentence):
        return ""
    end = phrase_after(sentence, q.end, lex)
    noun = sentence[q.end:end]
    m = lex.indicator_re.search(noun, 1)
    if m:  # 20个战略性产业集群规上工业增加值…: the cluster is counted, the indicator follows
        noun = noun[: m.start()]
    return noun if len(noun) >= 2 else ""


def _share_after(sentence: str, q: Quantity, lex: Lexicon) -> str:
    """近20%的工业成果 → 工业成果."""
    if q.unit != "%" or sentence[q.end:q.end + 1] != "的":
        return ""
    return sentence[q.end + 1:phrase_after(sentence, q.end + 1, lex)]


def _subject_after(sentence: str, q: Quantity, lex: Lexicon, ctx: Context) -> str | None:
    """总投资200亿元的中创新航项目 → 中创新航项目; 66平方公里的深江经济合作区 → 深江经济合作区."""
    i = q.end
    while i < len(sentence) and i - q.end < 30 and sentence[i] not in _CLAUSE_END and sentence[i] != "的":
        i += 1
    if i >= len(sentence) or sentence[i] != "的" or i + 1 >= len(sentence) or not is_phrase_char(sentence[i + 1]):
        return None
    end = phrase_after(sentence, i + 1, lex, max_len=20)
    noun = sentence[i + 1:end]
    m = re.search(r".*?(?:项目|工程)(?:[一二三四]期)?", noun)
    if m:
        return m.group()
    mentions = find_subjects(noun, ctx.region, lex, ctx.memory)
    return mentions[-1].name if mentions else None


def _indicator_before(sentence: str, start: int, q: Quantity, lex: Lexicon, cues: Cues,
                      mention: Mention | None, times: list[TimeRef]) -> str:
    """The noun phrase before a figure, cleaned of subject, time words, cue words and predicate."""
    for t in times:
        if start <= t.end <= q.start:
            start = t.end
    if mention and start <= mention.start < q.start:
        start = max(start, mention.end)
    prefix = sentence[start:q.start]
    share_at = prefix.find("占")
    if share_at == 0:
        return ""  # 占一般公共预算支出的78.2%: a share of the figure before
    if share_at > 0:
        prefix = prefix[:share_at]
    m = cues.progress.search(prefix)
    if m and m.start() > 0:
        prefix = prefix[: m.start()]
    growth = _growth_cues(prefix, cues, lex)
    if growth:
        prefix = prefix[: growth[0].start()]
    if prefix.endswith(("贡献", "贡献率")) or (prefix.startswith("对") and "贡献" in prefix):
        prefix = prefix.removeprefix("对")
        prefix = strip_words(prefix, lex.region_words, trail=False)
    found = None
    for m in lex.indicator_re.finditer(prefix):
        found = m
    if found:  # a known indicator, widened to the phrase around it (制造业中长期贷款余额)
        end = found.end()
        while end < len(prefix) and is_phrase_char(prefix[end]) and not _stops_at(prefix, end, lex):
            end += 1
        name = prefix[phrase_before(prefix, found.start(), lex):end]
    else:
        name = last_clean_phrase(prefix, lex)
    for cue in lex.target_cues + lex.forecast_cues:
        if cue in name and len(name) > len(cue):
            name = name.replace(cue, "")
    return name


def _stops_at(text: str, i: int, lex: Lexicon) -> bool:
    from watcher.extract.phrases import stop_word_starting_at

    return bool(stop_word_starting_at(text, i, lex))


def _list_names(sentence: str, run: list[Quantity], floor: int, mentions: list[Mention],
                lex: Lexicon) -> tuple[list[str], str] | None:
    """A、B分别为x、y → ([A, B], "indicator"); 新会区、鹤山市新引进项目分别为x、y → ([新会区, 鹤山市], "subject")."""
    at = sentence.rfind("分别", floor, run[0].start)
    if at < 0:
        return None
    left = _left_edge(sentence, at, 0, _CLAUSE_END)
    parts = [n for n in re.split(r"[、和及与]", sentence[left:at]) if n]
    if len(parts) != len(run):
        return None
    places = [m for m in mentions if left <= m.start < at]
    if len(places) == len(run) and all(p.start == sentence.find(part, left) for p, part in
                                       zip(places, parts, strict=True)):
        return [p.name for p in places], "subject"
    return parts, "indicator"


def _runs(quantities: list[Quantity], sentence: str) -> list[list[Quantity]]:
    """Figures joined only by 、/和/及 (58.6%、32.9%) form a run."""
    runs: list[list[Quantity]] = []
    for q in quantities:
        if runs and sentence[runs[-1][-1].end:q.start] in ("、", "和", "及", "与", "，和"):
            runs[-1].append(q)
        else:
            runs.append([q])
    return runs


def _is_heading(sentence: str) -> bool:
    """一、2024年工作回顾 / 二、2025年工作安排: short, no sentence punctuation."""
    return len(sentence) <= 30 and not any(c in sentence for c in "。，,；;")


def _mark_plan(sentence: str, t: TimeRef, cues: Cues, lex: Lexicon) -> TimeRef:
    seg = _left_edge(sentence, t.start, 0, _SEGMENT_END)
    for m in cues.kind.finditer(sentence, seg, t.start):
        if m.group() not in lex.not_cues:
            return replace(t, in_plan=True)
    return t


def read_sentence(sentence: str, ctx: Context, lex: Lexicon, cues: Cues) -> list[_Reading]:
    """Every value reading of one normalised sentence."""
    quantities = find_quantities(sentence, lex, cues.quantity)
    times = find_times(sentence, ctx.published) if any(c in sentence for c in "年月季五") else []
    times = [_mark_plan(sentence, t, cues, lex) for t in times]
    carried = ctx.period
    last = _time_before([t for t in times if not t.in_plan], len(sentence))
    if last is not None and not last.deadline:
        ctx.period = last.period
        if _is_heading(sentence):
            ctx.section = last.period
    if not quantities:
        return []
    mentions = find_subjects(sentence, ctx.region, lex, ctx.memory)
    readings: list[_Reading] = []
    for run in _runs(quantities, sentence):
        readings.extend(_read_run(sentence, run, readings, times, mentions, carried, ctx, lex, cues))
    return readings


def _read_run(sentence: str, run: list[Quantity], before: list[_Reading], times: list[TimeRef],
              mentions: list[Mention], carried: str | None, ctx: Context, lex: Lexicon,
              cues: Cues) -> list[_Reading]:
    floor = before[-1].quantity.end if before else 0
    listed = _list_names(sentence, run, floor, mentions, lex) if len(run) > 1 else None
    names, role = listed if listed else (None, "")
    earlier = [r for r in before if r.measure == "level"][-len(run):] if len(run) > 1 else []
    paired = len(run) > 1 and names is None and len(earlier) == len(run) and "分别" in sentence[:run[0].start]
    out: list[_Reading] = []
    for i, q in enumerate(run):
        reading = _read_one(sentence, q, before + out, times, mentions, carried, ctx, lex, cues)
        if reading is None:
            continue
        if i > 0 and out and sentence[out[-1].quantity.end:q.start] in ("、", "和", "及", "与"):
            if reading.measure in ("share", "level") and out[-1].measure in ("yoy", "progress"):
                reading.measure = out[-1].measure
                reading.value = abs(reading.value) * (-1 if out[-1].value < 0 else 1)
        if names and role == "subject":
            reading.subject = names[i]
            if i > 0:
                reading.indicator = out[0].indicator
        elif names:
            reading.indicator = names[i]
        elif paired:
            source = earlier[i]
            reading.indicator, reading.subject = source.indicator, source.subject
            reading.period = reading.period or source.period
        elif i > 0 and out and not reading.indicator:
            reading.indicator = out[-1].indicator
            if reading.measure == "share" and out[-1].measure == "yoy":
                reading.measure = "yoy"
        out.append(reading)
    return out


def _read_one(sentence: str, q: Quantity, before: list[_Reading], times: list[TimeRef],
              mentions: list[Mention], carried: str | None, ctx: Context, lex: Lexicon,
              cues: Cues) -> _Reading | None:
    floor = before[-1].quantity.end if before else 0
    left = _left_edge(sentence, q.start, floor)
    prefix = sentence[left:q.start]
    if any(prefix.endswith(w) for w in _DELTA_CUES) and q.unit not in ("%", "个百分点", "‰") and not q.is_rank:
        return None  # 比上年增加300亿元 is a change, not a level of the indicator
    mention = subject_before(mentions, q.num_start)
    if mention is not None and _is_object_modifier(sentence, mention, q, lex):
        mention = subject_before(mentions, mention.start)
    noun = _noun_after(sentence, q, lex) or _share_after(sentence, q, lex)
    if noun and sentence[q.end + len(noun):q.end + len(noun) + 1] == "+":
        return None  # 1个行动方案+3个专项方案: a formula, not figures
    indicator = noun or _indicator_before(sentence, left, q, lex, cues, mention, times)
    measure, sign = _measure(prefix, q, cues, lex, indicator)
    if not indicator and before:
        indicator = before[-1].indicator
    if q.is_rank and (not indicator or indicator in lex.vague or indicator.startswith(("多项", "各项"))):
        return None  # 额度位列全省第一: a rank of nothing in particular
    subject = _subject_after(sentence, q, lex, ctx) if not q.is_counter or not noun else None
    if subject is None:
        subject = mention.name if mention else ctx.region
    kind, cue_at = _kind_at(sentence, q, times, cues, lex)
    period, deadline = _period(q, times, kind, cue_at, carried, ctx)
    raw_start = left if not noun else q.start
    return _Reading(q, indicator, subject, measure, kind, period, deadline, raw_start, sign * q.value)


def _is_object_modifier(sentence: str, mention: Mention, q: Quantity, lex: Lexicon) -> bool:
    """已落户硅能源产业链项目28个: the chain names the projects counted; it is not whose figure it is."""
    between = sentence[mention.end:q.start]
    if not between or not all(is_phrase_char(c) for c in between) or mention.start == 0:
        return False
    prev = sentence[mention.start - 1]
    if prev in BOUNDARY or prev.isdigit() or prev in lex.counters:
        return False  # 20个战略性产业集群规上工业增加值: counted clusters are the subject
    return stop_word_ending_at(sentence, mention.start, lex) > 0


def _period(q: Quantity, times: list[TimeRef], kind: str, cue_at: int, carried: str | None,
            ctx: Context) -> tuple[str | None, str | None]:
    if kind == "actual":
        t = _time_before([t for t in times if not t.in_plan], q.start)
        if t is None:
            return carried, None
        return (None if t.vague else t.period), None
    # targets and forecasts: time words of their own sentence, else a plan year carried from a heading
    seg_t = _time_before(times, q.start)
    period = seg_t.period if seg_t else None
    if seg_t is None and carried and len(carried) == 4 and ctx.published and int(carried) >= ctx.published.year:
        period = carried
    deadline = seg_t.deadline if seg_t and seg_t.deadline else None
    if deadline is None and period and kind == "target":
        deadline = period[-4:]
    if deadline is None and kind == "target" and ctx.published is not None and period is None:
        deadline = str(ctx.published.year)
    return period, deadline


def to_facts(sentence_text: str, original: str, readings: list[_Reading]) -> list[ValueFact]:
    """Readings → ValueFacts quoting the original (not normalised) sentence."""
    facts = []
    for r in readings:
        q = r.quantity
        raw = original[r.raw_start:q.end].strip("，,、；; ")
        facts.append(ValueFact(
            indicator=tidy(r.indicator) or _default_indicator(q),
            subject=r.subject,
            measure=r.measure,  # type: ignore[arg-type]
            kind=r.kind,  # type: ignore[arg-type]
            value=r.value,
            unit=q.unit,
            qualifier=q.qualifier,  # type: ignore[arg-type]
            period=r.period,
            deadline=r.deadline,
            raw=raw,
            sentence=original.strip(),
            quantity=q.text(original),
        ))
    return facts


def _default_indicator(q: Quantity) -> str:
    if q.unit in ("平方公里", "亩", "平方米", "公顷"):
        return "面积"
    return ""


__all__ = ["BOUNDARY", "Context", "compile_cues", "read_sentence", "to_facts"]
