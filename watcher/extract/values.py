"""Value facts of one sentence: each figure with its indicator, subject, measure, kind and period.

The sentence is read left to right. A figure takes its indicator from `indicators`, its measure, kind
and period from `framing`, and its subject from a `…的X项目` after it, else the last subject mention
before it, else the region. Figures joined by 、/和 form a run: a bare 增长5.5% carries the previous
figure's indicator, and 分别 pairs a run with the names, places, periods or figures listed before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from watcher.extract.document import Frame, in_frame
from watcher.extract.framing import (
    PERCENT_UNITS,
    Cues,
    average_span,
    kind_at,
    left_edge,
    mark_plan,
    measure_of,
    period_of,
    time_before,
)
from watcher.extract.indicators import (
    indicator_before,
    lead_indicator,
    list_names,
    noun_after,
    rank_basis,
    share_after,
)
from watcher.extract.lexicon import Lexicon
from watcher.extract.periods import TimeRef, end_year, find_times
from watcher.extract.phrases import BOUNDARY, is_phrase_char, phrase_after, stop_word_ending_at, tidy
from watcher.extract.quantities import Quantity, find_quantities
from watcher.extract.subjects import Mention, SubjectMemory, find_subjects, subject_before
from watcher.models import ValueFact

_DELTA_CUES = ("增加", "增长", "减少", "下降", "提高", "降低", "多出", "多", "少", "净增")
_JOINERS = ("、", "和", "及", "与")
_RUN_JOINERS = (*_JOINERS, "，和")
_PROJECT_NOUN = re.compile(r".*?(?:项目|工程)(?:[一二三四]期)?")


@dataclass
class Context:
    """What carries from one sentence to the next within a document."""

    published: date | None
    region: str
    memory: SubjectMemory
    section: Frame  # the document's frame, refined by headings (一、2024年工作回顾)
    period: str | None = None  # carried within a paragraph
    paragraph: int = -1


@dataclass(init=False)  # __init__ by hand: native once compiled, 20× faster
class Reading:
    quantity: Quantity
    indicator: str
    subject: str
    measure: str
    kind: str
    period: str | None
    deadline: str | None
    raw_start: int
    value: float

    def __init__(
        self,
        quantity: Quantity,
        indicator: str,
        subject: str,
        measure: str,
        kind: str,
        period: str | None,
        deadline: str | None,
        raw_start: int,
        value: float,
    ) -> None:
        self.quantity = quantity
        self.indicator = indicator
        self.subject = subject
        self.measure = measure
        self.kind = kind
        self.period = period
        self.deadline = deadline
        self.raw_start = raw_start
        self.value = value


# （三）高端装备制造工程97项，年度计划投资118亿元: the header names whose figures the item gives.
_ITEM = re.compile(
    r"\s*(?:[(（][一二三四五六七八九十]{1,3}[)）]|[一二三四五六七八九十]{1,3}[、.．]|\d{1,2}[、.．])\s*"
    r"(?P<name>[\u4e00-\u9fff]{2,14}?)(?:类项目|项目|工程|专项)(?=\d)"
)


@dataclass(init=False)  # __init__ by hand: native once compiled, 20× faster
class _Sentence:
    """One sentence being read, with what was found in it."""

    text: str
    times: list[TimeRef]
    mentions: list[Mention]
    carried: str | None
    item: str  # the subject a list item's header names (（三）高端装备制造工程97项 → 高端装备制造), or ""
    item_end: int

    def __init__(self, text: str, times: list[TimeRef], mentions: list[Mention], carried: str | None) -> None:
        self.text = text
        self.times = times
        self.mentions = mentions
        self.carried = carried
        m = _ITEM.match(text)
        self.item = m.group("name") if m else ""
        self.item_end = m.end() if m else 0


def read_sentence(sentence: str, ctx: Context, lex: Lexicon, cues: Cues) -> list[Reading]:
    """Every value reading of one normalised sentence."""
    quantities = find_quantities(sentence, lex, cues.quantity)
    times = find_times(sentence, ctx.published) if any(c in sentence for c in "年月季五日天") else []
    times = [mark_plan(sentence, t, cues, lex) for t in in_frame(times, sentence, ctx.section)]
    carried = ctx.period
    last = time_before([t for t in times if not t.in_plan], len(sentence))
    if last is not None and not last.deadline:
        ctx.period = ctx.section.period if last.vague else last.period  # 近年来…: back to the frame after
    quantities = [q for q in quantities if not any(t.start <= q.num_start < t.end for t in times)]
    if not quantities:
        return []
    found = find_subjects(sentence, ctx.region, lex, ctx.memory)
    mentions = [m for m in found if not _is_example(sentence, m)] if "等" in sentence else found
    s = _Sentence(sentence, times, mentions, carried)
    readings: list[Reading] = []
    for run in _runs(quantities, sentence):
        readings.extend(_read_run(s, run, readings, ctx, lex, cues))
    return readings


_EXAMPLES_END = re.compile(r"[^，,；;：:。]*?等(?:\d|[一二两三四五六七八九十]|一批|重点|项目|工程)")


def _is_example(sentence: str, mention: Mention) -> bool:
    """江海区新材料产业园项目、鹤山市…等8个项目: an example of what is counted, not whose figures follow."""
    return _EXAMPLES_END.match(sentence, mention.end) is not None


def _runs(quantities: list[Quantity], sentence: str) -> list[list[Quantity]]:
    """Figures joined only by 、/和/及 (58.6%、32.9%) form a run."""
    runs: list[list[Quantity]] = []
    for q in quantities:
        if runs and sentence[runs[-1][-1].end : q.start] in _RUN_JOINERS:
            runs[-1].append(q)
        else:
            runs.append([q])
    return runs


def _read_run(
    s: _Sentence, run: list[Quantity], before: list[Reading], ctx: Context, lex: Lexicon, cues: Cues
) -> list[Reading]:
    floor = before[-1].quantity.end if before else 0
    listed = None
    if len(run) > 1:
        listed = list_names(
            s.text, run, floor, s.mentions, s.times, left_edge(s.text, run[0].start, 0, "，,；;：:。")
        )
    names, role = listed if listed else (None, "")
    earlier = [r for r in before if r.measure == "level"][-len(run) :] if len(run) > 1 else []
    paired = len(run) > 1 and names is None and len(earlier) == len(run) and "分别" in s.text[: run[0].start]
    out: list[Reading] = []
    for i, q in enumerate(run):
        reading = _read_one(s, q, before + out, ctx, lex, cues)
        if reading is None:
            continue
        joined = i > 0 and out and s.text[out[-1].quantity.end : q.start] in _JOINERS
        if joined and reading.measure in ("share", "level") and out[-1].measure in ("yoy", "progress"):
            reading.measure = out[-1].measure  # 增长58.6%、32.9%: the second is a growth rate too
        if names and role == "subject":
            reading.subject = names[i]
            if i > 0:
                reading.indicator = out[0].indicator
        elif names and role == "period":
            reading.period = names[i]
            reading.indicator = lead_indicator(
                s.text[left_edge(s.text, run[0].start, 0, "，,；;：:。") :], lex
            )
        elif names:
            reading.indicator = names[i]
        elif paired:
            source = earlier[i]
            reading.indicator, reading.subject = source.indicator, source.subject
            reading.period = reading.period or source.period
        elif i > 0 and out and not reading.indicator:
            reading.indicator = out[-1].indicator
        out.append(reading)
    return out


def _subject_after(sentence: str, q: Quantity, lex: Lexicon, ctx: Context) -> str | None:
    """总投资200亿元的中创新航项目 → 中创新航项目; 66平方公里的深江经济合作区 → 深江经济合作区."""
    i = q.end
    while i < len(sentence) and i - q.end < 30 and sentence[i] not in "，,；;：:。" and sentence[i] != "的":
        i += 1
    if i + 1 >= len(sentence) or sentence[i] != "的" or not is_phrase_char(sentence[i + 1]):
        return None
    noun = sentence[i + 1 : phrase_after(sentence, i + 1, lex, max_len=20)]
    m = _PROJECT_NOUN.match(noun)
    if m:
        return m.group()
    mentions = find_subjects(noun, ctx.region, lex, ctx.memory)
    return mentions[-1].name if mentions else None


def _is_object_modifier(sentence: str, mention: Mention, q: Quantity, lex: Lexicon) -> bool:
    """已落户硅能源产业链项目28个: the chain names the projects counted; it is not whose figure it is."""
    between = sentence[mention.end : q.start]
    if not between or not all(is_phrase_char(c) for c in between) or mention.start == 0:
        return False
    if any(stop_word_ending_at(sentence, i, lex) for i in range(mention.end + 1, q.start + 1)):
        return False  # a predicate follows the mention: it is the subject (江海区实现利润总额…)
    prev = sentence[mention.start - 1]
    if prev in BOUNDARY or prev.isdigit() or prev in lex.counters:
        return False  # 20个战略性产业集群规上工业增加值: counted clusters are the subject
    size = stop_word_ending_at(sentence, mention.start, lex)
    word = sentence[mention.start - size : mention.start]
    if word in lex.target_cues or word in lex.forecast_cues or word in lex.weak_target_cues:
        return False  # 力争全区高新技术企业突破80家: the cue frames the clause, the place leads it
    return size > 0 and word not in lex.time_words and word not in ("该", "这", "此", "其")


def _same_family(a: str, b: str, lex: Lexicon) -> bool:
    fa = next((lex.family_of.get(s, s) for s in lex.subject_suffixes if a.endswith(s)), None)
    fb = next((lex.family_of.get(s, s) for s in lex.subject_suffixes if b.endswith(s)), None)
    return fa is not None and fa == fb


def _pick_subject(s: _Sentence, q: Quantity, lex: Lexicon, noun: str) -> tuple[Mention | None, str]:
    """The subject mention before a figure, and an indicator if the mention turns out to be one."""
    mention = subject_before(s.mentions, q.start)
    if mention is None:
        return None, ""
    between = s.text[mention.end : q.start]
    if q.unit == "%" and mention.name and mention.end <= q.start and not between.strip("约近超逾达"):
        return subject_before(s.mentions, mention.start), ""  # 全市近20%的工业产值: the whole, not whose
    if noun and q.is_counter and _same_family(mention.name, noun, lex):
        return subject_before(
            s.mentions, mention.start
        ), ""  # …鹤山先行启动区3个先行启动区: members, not owner
    written = s.text[mention.start : mention.end]
    is_place = written in lex.region_words or written in lex.places
    if not noun and q.is_counter and not is_place and not between.strip("超逾近约达到为共计有新建"):
        return subject_before(s.mentions, mention.start), s.text[
            mention.start : mention.end
        ]  # 新建产业园15个
    if _is_object_modifier(s.text, mention, q, lex):
        return subject_before(s.mentions, mention.start), ""
    return mention, ""


def _read_one(
    s: _Sentence, q: Quantity, before: list[Reading], ctx: Context, lex: Lexicon, cues: Cues
) -> Reading | None:
    if q.unit == "个百分点":
        return None  # 比全省高4.9个百分点, 拉动…8.5个百分点: a gap between two rates, not a value
    sentence = s.text
    floor = before[-1].quantity.end if before else 0
    left = left_edge(sentence, q.start, floor)
    prefix = sentence[left : q.start]
    delta = q.unit not in PERCENT_UNITS and not q.is_rank and prefix.endswith(_DELTA_CUES)
    noun = noun_after(sentence, q, lex) or share_after(sentence, q, lex)
    mention, counted = _pick_subject(s, q, lex, noun)
    if noun and sentence[q.end + len(noun) : q.end + len(noun) + 1] == "+":
        return None  # 1个行动方案+3个专项方案: a formula, not figures
    if noun in lex.vague:
        return None  # 两项指标分别增长…: a reference to figures, not one
    if _is_rate_or_reference(sentence, q):
        return None
    if _is_band(sentence, q, noun):
        return None  # 超10亿元项目10个, 100亿元及以上项目3个: the money describes the projects counted next
    indicator = (
        counted or noun or indicator_before(sentence, left, q, lex, cues.yoy, cues.progress, mention, s.times)
    )
    measure, sign = measure_of(prefix, q, cues, lex, indicator)
    indicator = _clean_indicator(indicator, measure)
    if not indicator:
        indicator = _implied_indicator(sentence, left, q, before, lex) or _share_of(prefix)
    elif indicator == "贡献率" and before:
        indicator = before[-1].indicator + indicator  # …增长5.1%，对经济增长的贡献率为41.2%
    if q.is_rank and (
        indicator in lex.vague
        or indicator.startswith(("多项", "各项", "重点指标"))
        or (indicator.endswith("指标") and len(indicator) <= 4)
    ):
        return None  # 额度位列全省第一: a rank of nothing in particular
    if delta:  # 比上年增加0.8万人: a change, filed apart from the level
        indicator = (indicator or "") + "增量"
        sign = -1 if prefix.endswith(("减少", "下降", "降低", "少")) else 1
    subject = _subject_after(sentence, q, lex, ctx) if not q.is_counter or not noun else None
    if subject is None:
        subject = _whose(s, q, mention, ctx)
    kind, period, deadline = _framing(s, q, ctx, lex, cues, is_average=measure == "yoy" and "年均" in prefix)
    if (
        period is not None
        and period == ctx.section.period
        and len(period) == 10
        and _PROJECT_NOUN.fullmatch(subject)
    ):
        period = None  # a project's total investment is not the day of the event the report is about
    raw_start = left if not noun else q.start
    return Reading(q, indicator, subject, measure, kind, period, deadline, raw_start, sign * q.value)


def _framing(
    s: _Sentence, q: Quantity, ctx: Context, lex: Lexicon, cues: Cues, *, is_average: bool
) -> tuple[str, str | None, str | None]:
    """Kind, period and deadline of a figure: its own cues and times, else the section's frame."""
    kind = kind_at(s.text, q, s.times, cues, lex, ctx.published, s.carried)
    if kind == "actual" and ctx.section.kind == "target":
        kind = "target"
    period, deadline = period_of(q, s.times, kind, s.carried, ctx.published)
    if is_average:
        period = average_span(s.times, q) or period
        if kind == "target" and _is_past_span(period, ctx.published):
            kind, deadline = "actual", None  # a review's 年均增长 beside a target sentence is what was done
    if kind == "actual" and _is_future(period, ctx.published):
        kind, deadline = "target", end_year(period or "")  # “十四五”时期…年均增长6%: not done yet
    return kind, period, deadline


def _is_future(period: str | None, published: date | None) -> bool:
    if period is None or published is None:
        return False
    return int(period[:4]) > published.year or int(end_year(period)) > published.year


def _is_past_span(period: str | None, published: date | None) -> bool:
    if period is None or published is None:
        return False
    return "/" in period and int(end_year(period)) < published.year


_PER = re.compile(r"每(?:平方米|平方公里|亩|人|户|吨|千瓦时|公顷)$")
_BACK_REFERENCE = ("该", "这", "上述", "以上", "此")


def _is_rate_or_reference(sentence: str, q: Quantity) -> bool:
    """每平方米10000元 is an intensity, not a level; 该4个项目 counts projects already counted."""
    before = sentence[max(0, q.num_start - 6) : q.num_start]
    if "每" in before and _PER.search(before):
        return True
    return q.is_counter and before.endswith(_BACK_REFERENCE)


_BAND_END = re.compile(r"至\d+(?:\.\d+)?[万亿]*元[\u4e00-\u9fff]{1,6}\d")


def _is_band(sentence: str, q: Quantity, noun: str) -> bool:
    """A class of projects by size: 超10亿元项目10个, 100亿元及以上项目3个, 50亿元至100亿元项目3个."""
    if noun and (q.qualifier != "=" or sentence[q.start - 1 : q.start] == "至"):
        return sentence[q.end + len(noun) : q.end + len(noun) + 3].lstrip("超逾近约")[:1].isdigit()
    return _BAND_END.match(sentence, q.end) is not None


_STEP_VERBS = ("首次突破", "迈上", "跨上", "站上", "登上", "跃上", "首次")


def _whose(s: _Sentence, q: Quantity, mention: Mention | None, ctx: Context) -> str:
    """The subject mention before a figure (not one in a list item's header), else the item's, else the
    region; a place that begins a project's name gives the project."""
    if mention is None or mention.start < s.item_end:
        return s.item or ctx.region
    return (_named_project(s.text, mention, q) if q.unit == "元" else "") or mention.name


_NAMED_PROJECT = re.compile(r"[\u4e00-\u9fffA-Za-z0-9()（）]{4,20}?(?:项目|工程)(?:[一二三四]期)?")
_GROUP_WORDS = ("重点", "重大", "一批", "项目", "工程", "产业", "续建", "新开工")


def _named_project(sentence: str, mention: Mention, q: Quantity) -> str:
    """广东茂名烷烃资源综合利用项目…总投资400亿元: the place begins the project's name; the project is
    whose amount it is (not 全市重点项目, a group)."""
    m = _NAMED_PROJECT.match(sentence, mention.end)
    if m is None or m.end() > q.start:
        return ""
    core = m.group().removesuffix("项目").removesuffix("工程")
    return "" if any(w in core for w in _GROUP_WORDS) else sentence[mention.start : m.end()]


def _clean_indicator(indicator: str, measure: str) -> str:
    if measure == "yoy" and indicator.endswith("增") and not indicator.endswith("新增"):
        indicator = indicator[:-1]  # 规上工业增加值增 4.5%
    for verb in _STEP_VERBS:
        if indicator.endswith(verb):  # 迈上1.2万亿元新台阶: the verb, no name
            indicator = indicator.removesuffix(verb)
            break
    return "" if len(indicator) == 1 else indicator  # 比2018年计划增长11%: a stray 年 is no name


def _share_of(prefix: str) -> str:
    """占同期全国经济总量10.6%, with no figure before to be a share of: the share's own phrase."""
    at = prefix.find("占")
    return prefix[at:].rstrip("的达为约近超逾") if at >= 0 and len(prefix) - at > 2 else ""


def _implied_indicator(sentence: str, left: int, q: Quantity, before: list[Reading], lex: Lexicon) -> str:
    """The indicator of a figure that names none: the previous figure's; else the known indicator the
    sentence opened with (固定资产投资延续高位增长态势，首次突破千亿元); a rank's basis (按总量计…)."""
    if before:
        return before[-1].indicator
    if q.is_rank:
        return rank_basis(sentence)
    m = lex.indicator_re.search(sentence, 0, left)
    return m.group() if m else ""


def to_facts(original: str, readings: list[Reading]) -> list[ValueFact]:
    """Readings → ValueFacts quoting the original (not normalised) sentence."""
    facts = []
    for r in readings:
        q = r.quantity
        facts.append(
            ValueFact(
                indicator=tidy(r.indicator) or _default_indicator(q),
                subject=r.subject,
                measure=r.measure,  # type: ignore[arg-type]
                kind=r.kind,  # type: ignore[arg-type]
                value=r.value,
                unit=q.unit,
                qualifier=q.qualifier,  # type: ignore[arg-type]
                period=r.period,
                deadline=r.deadline,
                raw=original[r.raw_start : q.end].strip("，,、；; "),
                sentence=original.strip(),
                quantity=q.text(original),
            )
        )
    return facts


def _default_indicator(q: Quantity) -> str:
    if q.unit in ("平方公里", "亩", "平方米", "公顷"):
        return "面积"
    return "排名" if q.is_rank else ""
