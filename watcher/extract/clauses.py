"""Stage verbs in a sentence: where they are, whether one ends its clause, what may stand between a
project and its verb, and the date it was reached. Used by `milestones`; pure, like the rest of
`extract`.

    今年1月签约、3月动工的XX项目 → 签约 (2024-01), 动工 (2024-03): each verb its own date
    XX项目于去年12月在蓬江区正式开工 → what lies between XX项目 and 开工 is trimmed
"""

from __future__ import annotations

import re
from datetime import date

from watcher.extract.lexicon import Lexicon
from watcher.extract.periods import find_times, iter_times
from watcher.extract.projects import strip_ends
from watcher.models import STAGE_ORDER

_CLAUSE_END = "，,；;：:。!?！？"
_CLAUSE_MARKS = "，,；;。:："
CLAUSE_MARK = re.compile("[" + _CLAUSE_MARKS + "]")
_TRAILERS = (
    "建设",
    "仪式",
    "了",
    "运营",
    "投用",
    "使用",
    "并",
    "投产",
    "以来",
    "活动",
    "发电",
    "运行",
    "生产",
)
_TAKES_OBJECT = ("开通",)
_JOINERS = ("", "并", "并正式", "并顺利", "并已", "并全面", "并成功", "及", "暨")
SIGNING = ("签订", "签署", "签约")
_DEAL = re.compile(r"了?(?:正式|投资|合作|框架|战略|招商|项目)*(?:协议书?|合同)(?:$|[，,。；;])")
# 落户江门, 签约落地鹤山工业城, 开工于蓬江区: a place after the verb ends the clause (入驻企业 is no
# place: a bare object is a short name that is not a kind of thing).
_TAKES_PLACE = re.compile(
    r"(?:(?:签约)?(?:落户|落地|签约|入驻|进驻|落子)(?:在|于|到)?"
    r"(?:[\u4e00-\u9fff()]{1,12}?(?:区|市|县|镇|省|州|园|园区|基地|新城|工业城|智慧区|湾|岛)"
    r"|[\u4e00-\u9fff]{2,3}(?<![企业项目家人户个址点面]))"
    r"|(?:开工|投产)(?:在|于|到)?[\u4e00-\u9fff]{1,10}?"
    r"(?:区|市|县|镇|园|园区|基地|合作区|开发区|新城|工业城|智慧区))(?=$|[，,。；;、!！])"
)
# 竞得滨海新区238亩工业用地: buying land takes the plot as its object.
_TAKES_LAND = re.compile(
    r"(?:拍下|竞得|摘得|拿下|购得|摘牌|拍得)[^，,。；;]{0,20}?(?:用地|地块|土地|宗地)(?=$|[，,。；;])"
)
_TAIL_MAX = 48  # characters: no time or place between a project and its verb is longer
_TAIL_ENDS = frozenset("月日旬初底末份午晚年周前期天区市县镇园地城场已经于在自元")  # how a _TAIL ends
# Between a project and its verb: dates, places and adverbs (…项目于今年4月在蓬江区正式…).
_TAIL = re.compile(
    r"(?:(?:已|已经|于|在|自|从)?(?:(?:今年|去年|明年|上年|\d{4}年)?"
    r"(?:(?:\d{1,2}|[一二三四五六七八九十]{1,2})月(?:\d{1,2}日)?[、和])*(?:\d{1,2}|[一二三四五六七八九十]{1,2})月"
    r"(?:\d{1,2}日|上旬|中旬|下旬|初|底|末|份)?(?:上午|下午|晚)?|\d{1,2}日(?:上午|下午|晚)?|"
    r"(?:今年|去年|上年|\d{4}年)年?(?:底|末|初)|今年|去年|上月|本月|上周|日前|近日|近期|昨日|昨天|今日|年初|年底|年末|月初|月底|目前)"
    r"|(?:在|于)[\u4e00-\u9fff()（）]{1,24}?(?:区|市|县|镇|园|园区|基地|合作区|开发区|新城|工业城|现场)"
    r"|以[0-9.]+[万亿]*(?:元|美元)|已|已经|于|在|自)$"
)
_OWN_TIME = ("目前", "如今", "现已", "至今", "近日", "日前", "近期", "前不久", "不久前")
_REPORTED = re.compile("获悉|了解到|据悉|获知|得知|采访|透露")


def paragraph_before(document: str, offset: int) -> str:
    """The paragraph's text before `offset` (only read when a reference or a date needs it)."""
    return document[document.rfind("\n", 0, offset) + 1 : offset]


def is_future(when: str | None, published: date | None) -> bool:
    """Is the date (2025, 2024-06, 2024-06-01) later than the publication, at its own precision?"""
    return when is not None and published is not None and when > published.isoformat()[: len(when)]


def is_reached_verb(sentence: str, start: int, end: int) -> bool:
    """The verb ends its clause (or is followed by an allowed trailer, or is 开通 + service)."""
    after = sentence[end : end + 2]
    if not after or after[0] in _CLAUSE_END or after[0] in "、”)）\n 的":
        return True
    if after.startswith(_TRAILERS):
        return True
    if sentence[start:end] in _TAKES_OBJECT:
        return True
    if sentence.startswith(SIGNING, start) and _DEAL.match(sentence, end):
        return True  # 就X项目签订投资合作协议: the agreement completes the verb
    return _TAKES_PLACE.match(sentence, start) is not None or _TAKES_LAND.match(sentence, start) is not None


def trim(pre: str, lex: Lexicon) -> str:
    """Strip adverbs, dates and places between the project and its verb."""
    while True:
        shorter = strip_ends(pre, lex.adverbs, lead=False)
        m = _TAIL.search(shorter, max(0, len(shorter) - _TAIL_MAX)) if shorter[-1:] in _TAIL_ENDS else None
        if m and m.end() > m.start():
            shorter = shorter[: m.start()]
        if shorter == pre:
            return pre
        pre = shorter


def stage_verbs(sentence: str, lex: Lexicon) -> list[tuple[int, int, str]]:
    """(start, end, stage) of each stage verb; a cluster (摘牌进驻, 建成投用, 建成并投产) counts once,
    at its latest stage."""
    out: list[tuple[int, int, str]] = []
    for m in lex.stage_re.finditer(sentence):
        if out and sentence[out[-1][1] : m.start()] in _JOINERS:
            start, _, stage = out[-1]
            later = max(stage, lex.stage_of[m.group()], key=STAGE_ORDER.index)
            out[-1] = (start, m.end(), later)
        else:
            out.append((m.start(), m.end(), lex.stage_of[m.group()]))
    return out


def clause_start(sentence: str, pos: int) -> int:
    last = -1
    for ch in _CLAUSE_MARKS:
        i = sentence.rfind(ch, 0, pos)
        if i > last:
            last = i
    return last + 1


def _other_stage_between(sentence: str, start: int, pos: int, lex: Lexicon) -> bool:
    """Is there a verb of another stage between a date and the verb at `pos` (1月签约、3月动工)? One of
    the same stage is the same event (昨日举行开工活动，…16个项目集中开工)."""
    verb = lex.stage_re.match(sentence, pos)
    stage = lex.stage_of.get(verb.group()) if verb else None
    return any(lex.stage_of[o.group()] != stage for o in lex.stage_re.finditer(sentence, start, pos))


def date_before(sentence: str, clause: int, pos: int, published: date | None, lex: Lexicon) -> str | None:
    """The last date before the verb with no other stage verb between (1月签约、3月动工: 3月 is 动工's)
    and not the date of a report (记者昨日从…获悉); none when the verb's clause says 目前 or 近日."""
    best = None
    for t in find_times(sentence[:pos], published):
        if not t.date or t.comparison or _other_stage_between(sentence, t.end, pos, lex):
            continue
        start = clause_start(sentence, t.start)
        end = CLAUSE_MARK.search(sentence, t.end)
        if _REPORTED.search(sentence, start, end.start() if end else len(sentence)) is None:
            best = t.date
            if len(best) == 4 and sentence[t.start : t.end].endswith(("年底", "年末")):
                best += "-12"  # 去年底: December, as precise as the text says
    if best is not None and any(w in sentence[clause:pos] for w in _OWN_TIME):
        return (
            None
            if not any(t.start >= clause and t.date for t in iter_times(sentence[clause:pos], published))
            else best
        )
    return best
