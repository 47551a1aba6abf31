"""Milestones: a named project reaching a stage (签约, 开工, 封顶, 竣工, 投产 …) and when.

    今年7月9日，XX加速器项目一期工程顺利封顶 → (XX加速器项目一期工程, topped_out, 2022-07-09)

Only what happened counts: a future, planned or negated stage (将于年底竣工, 推动项目开工, 迟迟未能落地)
is not a milestone, nor is a group (一批项目相继落户), an anonymous one (该项目), a partial one (分段建成)
or a verb with an object (开工改造65个老旧小区, 建成…示范区) — except 开通, which takes its service.
"""

from __future__ import annotations

import re
from datetime import date

from watcher.extract.lexicon import Lexicon, alternation
from watcher.extract.periods import find_times
from watcher.extract.phrases import is_phrase_char, strip_words
from watcher.models import STAGE_ORDER, Milestone

_CLAUSE_END = "，,；;：:。!?！？"
_TRAILERS = ("建设", "仪式", "了", "运营", "投用", "使用", "并", "投产", "后", "以来", "活动")
_TAKES_OBJECT = ("开通",)
_TAKES_PLACE = re.compile(
    r"(?:落户|落地|签约|入驻|进驻|落子|开工|投产)(?:在|于|到)?[\u4e00-\u9fff]{1,10}?"
    r"(?:区|市|县|镇|园|园区|基地|合作区|开发区|新城|工业城)(?=$|[，,。；;、])"
)
# Between a project and its verb: dates, places and adverbs (…项目于今年4月在蓬江区正式…).
_TAIL = re.compile(
    r"(?:(?:已|已经|于|在|自|从)?(?:(?:今年|去年|明年|上年|\d{4}年)?(?:\d{1,2}|[一二三四五六七八九十]{1,2})月"
    r"(?:\d{1,2}日|上旬|中旬|下旬|初|底|末|份)?(?:上午|下午|晚)?|今年|去年|上月|本月|上周|日前|近日|昨日|昨天|今日|"
    r"年初|年底|年末|月初|月底|目前)"
    r"|(?:在|于)[\u4e00-\u9fff()（）]{1,10}?(?:区|市|县|镇|园|园区|基地|合作区|开发区|新城|工业城|现场)"
    r"|已|已经|于|在|自)$"
)
_LEAD_VERBS = re.compile(r".*(?:引进|吸引|位于|随着|其中|目前|如今|已有|共有|推动|带动|促成)")
_COUNTED = re.compile(r"\d[个家栋座条项批所]|^[一二三四五六七八九十两]+[个家栋座条项批所]")
_BUILDING_PART = re.compile(r"的(?:所有|全部)?(?:主厂房|厂房|主体结构|主体工程|主体)$")
_MODIFIER_CHAIN = re.compile(r"(?:、[^，。；的]{0,12}?)*的")
_PROJECT_HEAD = re.compile(
    r"[^，。；]*(?:项目|工程|学院|校区|产业园|基地|中心|工厂|铁路|站)(?:[一二三四五]期)?(?:工程)?"
)
_LEADING_TIME = re.compile(r"^(?:今年|去年|目前|近日|日前)?(?:\d{1,2}月(?:\d{1,2}日)?)?(?:上午|下午)?")
_ANAPHORA = ("该项目", "该工程", "项目方", "这个项目", "此项目", "该基地", "该园区")
_NAMELESS = ("该", "这", "此", "其", "一批", "一个", "多个", "各", "首批", "所有", "部分")
_COMPONENT = re.compile(r"(.+?)(?:所有|全部|首条|首批)?(?:主厂房|主体结构|主体工程|主体|生产线|厂房)$")


def compile_not_reached(lex: Lexicon) -> re.Pattern[str]:
    return re.compile(r"(?<![主重需只紧必])(?:" + alternation(lex.not_reached) + ")")


def _is_reached_verb(sentence: str, start: int, end: int) -> bool:
    """The verb ends its clause (or is followed by an allowed trailer, or is 开通 + service)."""
    after = sentence[end : end + 2]
    if not after or after[0] in _CLAUSE_END or after[0] in "、”)）\n 的":
        return True
    if after.startswith(_TRAILERS):
        return True
    return sentence[start:end] in _TAKES_OBJECT or _TAKES_PLACE.match(sentence, start) is not None


def _trim(pre: str, lex: Lexicon) -> str:
    """Strip adverbs, dates and places between the project and its verb."""
    while True:
        shorter = strip_words(pre, lex.adverbs, lead=False, allow_empty=True)
        m = _TAIL.search(shorter)
        if m and m.end() > m.start():
            shorter = shorter[: m.start()]
        if shorter == pre:
            return pre
        pre = shorter


def _project_start(pre: str) -> int:
    """Start of the project phrase that ends `pre` (X的主厂房 → X: the building is part of the project)."""
    m = _BUILDING_PART.search(pre)
    if m:
        pre = pre[: m.start()]
    i = len(pre)
    while i > 0:
        ch = pre[i - 1]
        if ch == "的" or not (is_phrase_char(ch) or ch in "·“”、()（）"):
            break
        i -= 1
    m = _LEAD_VERBS.match(pre, i, len(pre))
    return m.end() if m else i


def _projects(name: str, lex: Lexicon) -> list[str]:
    """The project names of a phrase (split on 、), each checked to look like a project."""
    out = []
    for part in name.split("、"):
        part = part.strip("“”")
        if not part or _COUNTED.search(part) or part.startswith(_NAMELESS):
            continue
        m = _COMPONENT.match(part)
        if m and lex.project_suffix_re.search(m.group(1)):
            part = m.group(1)  # 中创新航项目一期所有主厂房 → 中创新航项目一期
        suffix = lex.project_suffix_re.search(part)
        if suffix is None or suffix.start() < 2:
            continue  # 项目, 园区: no name in front of the suffix
        out.append(part)
    return out


def _stage_verbs(sentence: str, lex: Lexicon) -> list[tuple[int, int, str]]:
    """(start, end, stage) of each stage verb; a cluster (摘牌进驻, 建成投用) counts once, at its
    latest stage."""
    out: list[tuple[int, int, str]] = []
    for m in lex.stage_re.finditer(sentence):
        if out and m.start() == out[-1][1]:
            start, _, stage = out[-1]
            later = max(stage, lex.stage_of[m.group()], key=STAGE_ORDER.index)
            out[-1] = (start, m.end(), later)
        else:
            out.append((m.start(), m.end(), lex.stage_of[m.group()]))
    return out


def _clause_start(sentence: str, pos: int) -> int:
    return max(sentence.rfind(ch, 0, pos) for ch in "，,；;。:：") + 1


def _named_after(sentence: str, end: int, lex: Lexicon) -> list[str]:
    """今年1月签约、3月动工的XX项目: the verbs modify the project named after 的."""
    m = _MODIFIER_CHAIN.match(sentence, end)
    if m is None:
        return []
    i = m.end()
    j = i
    while j < len(sentence) and (is_phrase_char(sentence[j]) or sentence[j] in "·“”") and j - i < 30:
        j += 1
    head = _PROJECT_HEAD.match(sentence[i:j])
    return _projects(head.group() if head else "", lex)


def _named_earlier(sentence: str, clause: int, lex: Lexicon) -> list[str]:
    """华立学院江门校区迎来首批新生，正式开学: the project leads an earlier clause of the sentence."""
    end = clause - 1
    while end > 0:
        start = _clause_start(sentence, end)
        text = _LEADING_TIME.sub("", sentence[start:end])
        head = _PROJECT_HEAD.match(text)
        if head:
            projects = _projects(head.group().rsplit("的", 1)[-1], lex)
            if projects:
                return projects[:1]
        end = start - 1
    return []


def read_milestones(
    sentence: str,
    original: str,
    published: date | None,
    lex: Lexicon,
    not_reached: re.Pattern[str],
    recent: list[str],
) -> list[Milestone]:
    """Milestones of one normalised sentence, quoting the original; `recent` holds the document's projects."""
    found: list[Milestone] = []
    for verb_start, verb_end, stage in _stage_verbs(sentence, lex):
        if not _is_reached_verb(sentence, verb_start, verb_end):
            continue
        clause = _clause_start(sentence, verb_start)
        pre = sentence[clause:verb_start]
        if not_reached.search(pre) or any(w in pre for w in lex.partial):
            continue
        pre = _trim(pre, lex)
        if pre.endswith("、"):
            pre = ""  # 1月签约、3月动工的XX项目: one of a list of verbs before the project
        start = _project_start(pre)
        if start > 0 and pre[start - 1] in "0123456789零一二两三四五六七八九十百千万多余":
            continue  # 155个欧资项目落户: a count of projects, not a project
        projects = _projects(pre[start:], lex)
        if not projects:
            projects = _named_after(sentence, verb_end, lex)
        if not projects and (not pre[start:] or pre.endswith(_ANAPHORA)):
            projects = _named_earlier(sentence, clause, lex) or recent[-1:] * pre.endswith(_ANAPHORA)
        for project in projects:
            recent.append(project)
            found.append(
                Milestone(
                    project=project,
                    stage=stage,  # type: ignore[arg-type]
                    date=_date_before(sentence, clause, verb_start, published, lex),
                    sentence=original.strip(),
                    raw=original[clause + start : verb_end],
                )
            )
    return found


def _date_before(sentence: str, clause: int, pos: int, published: date | None, lex: Lexicon) -> str | None:
    """The last date before the verb that is not another verb's (1月签约、3月动工: 3月 is 动工's), unless
    the verb's own clause says 目前 (then it is undated)."""
    best = None
    for t in find_times(sentence[:pos], published):
        other = lex.stage_re.match(sentence, t.end)
        if t.date and not t.comparison and (other is None or other.start() == pos):
            best = t.date
    if best is not None and any(w in sentence[clause:pos] for w in ("目前", "如今", "现已", "至今")):
        return (
            None
            if not any(t.start >= clause and t.date for t in find_times(sentence[clause:pos], published))
            else best
        )
    return best
