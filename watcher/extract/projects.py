"""Project mentions: what a project's name looks like, lists of them, and the last one named.

    惠州仲恺智能终端产业园项目      a name: its own words before a suffix of the lexicon (项目, 大桥 …)
    A、B、C等一批重点项目          a closed list: every item is a project, suffix or not
    …项目3个,分别是:A、B,C        a list announced after its count
    重点项目, 百亿项目, 19宗项目    no name: generic words, a count
    (记者张三 李四)江门…项目        a byline is cut off at its closing bracket

Pure and typed, like the rest of `extract`.
"""

from __future__ import annotations

import re
from functools import lru_cache

from watcher.extract.lexicon import Lexicon
from watcher.extract.numbers import parse_chinese
from watcher.extract.phrases import is_phrase_char

_NUM = r"(?:\d+|[零一二两三四五六七八九十百千万余多]+)"
_COUNTER = "个项宗家批所座条栋"
_COUNTED = re.compile(r"\d[" + _COUNTER + r"]|^[一二三四五六七八九十两]+[" + _COUNTER + "]")
# …A、B、C等(213个)(一批)(重要交通基础设施)项目: the list before 等 names the projects.
_GROUP_TAIL = re.compile(rf"等(?:{_NUM}[{_COUNTER}])?[^、，,；;。等]{{0,16}}?(?:项目|工程|企业)$")
# 新开工建设A、B、C等164个项目: the verb's object is a closed list.
_OBJECT_LIST = re.compile(
    rf"[:：]?(?P<items>[^，,；;。:：等]{{2,400}}?)等(?:{_NUM}[{_COUNTER}])?[^、，,；;。等]{{0,16}}?(?:项目|工程)"
)
# 开工项目5个,分别是:A、B、C / 签约的3个项目包括A、B: the list follows its count.
_LIST_AFTER = re.compile(
    rf"的?(?:(?P<n1>{_NUM})[{_COUNTER}])?[^，,；;。:：、]{{0,10}}?(?:项目|工程)(?:(?P<n2>{_NUM})[{_COUNTER}])?"
    r"(?:[,，]?(?:分别是|分别为|分别有|包括|主要有|主要包括|具体是|具体为|即|有)[:：]?|[:：])"
)
# 一批项目集中开工：A、B、C / 集中签约，包括A、B: the list right after the verb.
_LIST_AFTER_BARE = re.compile(r"[,，]?(?:分别是|分别为|包括|主要包括|主要有)[:：]?|[:：]")
_LIST_END = "；;。"
# After one of these the rest of a name is a description (江门首个…项目, 2024年一季度重大项目).
_DETERMINER = re.compile(
    r"首个|首批|一批|一大批|大批|多个|多项|这些|上述|系列|这样的?|这类"
    r"|\d{4}年度?|第?[一二三四1-4]季度|[上下]半年|\d{1,2}月份?"
)
# Words a name never starts with: references, determiners, 项目 itself (项目已于…在…产业园).
_NAMELESS = (
    "已",
    "该",
    "这",
    "此",
    "其",
    "项目",
    "一批",
    "一个",
    "多个",
    "各",
    "首批",
    "所有",
    "部分",
    "有关",
    "相关",
)
# X的主厂房, X首批产品: a part of project X, or what it made first.
_PARTS = ("主厂房", "主体结构", "主体工程", "主体", "生产线", "厂房", "产品", "整车", "设备", "样机", "车辆")
_COMPONENT = re.compile(r"(.+?)的?(?:所有|全部|首条|首批|首台|首辆|第一批)?(?:" + "|".join(_PARTS) + ")$")
_BUILDING_PART = re.compile(r"的(?:所有|全部)?(?:主厂房|厂房|主体结构|主体工程|主体)$")
_LEAD_VERBS = re.compile(
    r".*(?:引进|吸引|位于|随着|其中|目前|如今|已有|共有|推动|带动|促成|包括|分别是|分别为|推进|加快|全年|当天|其后|举行|举办|见证|迎来|标志着|就|出席|参加|参观|考察|调研|视察)"
)
_PARTY = re.compile(r"(?:管委会|政府|集团|公司|企业|银行|委员会|局|办|区|市|县|镇|省)与")
_PHASE = re.compile(r"^(?:其|该项目|项目)?[一二三四五六七八九首]期(?:工程|项目)?$")
_NUMBERING = re.compile(
    r"^(?:[(（][一二三四五六七八九十\d]{1,3}[)）]|[一二三四五六七八九十]{1,3}、|\d{1,3}[.、．])"
)
_BYLINE = re.compile(r"讯\(|记者|通讯员|报道\)|摄\)")
_LEAD_WORDS = ("包括", "以及", "及", "和", "与", "如", "有", "在", "于")
_LEADING_TIME = re.compile(
    r"^(?:(?:今年|去年|明年|上年|前年|当前|目前|近日|日前|近期|\d{4}年)(?:\d{1,2}月)?(?:\d{1,2}日)?|\d{1,2}月(?:\d{1,2}日)?)"
    r"(?:上午|下午|晚间?)?"
)
# 梅龙高速梅州东联络线(简称:梅州东线): a short name the text uses afterwards.
ALIAS = re.compile(r"[(（](?:以下)?简称[:：]?[“\"]?(?P<alias>[^()（）“”\"]{2,15})[”\"]?[)）]")
# Digits followed by these belong to a name: 2号, 10万吨, 3月10日 (a leading date is cut later).
_IN_NAME_AFTER = frozenset("号#万千亿吨兆瓦期米辆台套片年月日")
_CN_NUMERAL = frozenset("0123456789零一二两三四五六七八九十百千万多余")


@lru_cache(maxsize=16)
def _word_set(words: tuple[str, ...]) -> tuple[frozenset[str], int, frozenset[str], frozenset[str]]:
    """The words as a set, the longest length, and the characters they start and end with."""
    found = frozenset(words)
    longest = max((len(w) for w in words), default=0)
    return found, longest, frozenset(w[0] for w in words if w), frozenset(w[-1] for w in words if w)


def strip_ends(text: str, words: tuple[str, ...], *, lead: bool = True) -> str:
    """`text` without any of `words` at its end (and start), repeatedly, possibly to nothing: a set
    lookup per length, not a scan of the list (it runs on every stage verb)."""
    found, longest, firsts, lasts = _word_set(words)
    changed = True
    while changed and text:
        changed = False
        at_end = text[-1] in lasts
        at_start = lead and text[0] in firsts
        if not at_end and not at_start:
            break
        for size in range(min(longest, len(text)), 0, -1):
            if at_end and text[-size:] in found:
                text, changed = text[:-size], True
                break
            if at_start and text[:size] in found:
                text, changed = text[size:], True
                break
    return text


def project_start(pre: str) -> int:
    """Start of the project phrase that ends `pre` (X的主厂房 → X: the building is part of the project)."""
    m = _BUILDING_PART.search(pre)
    if m:
        pre = pre[: m.start()]
    i = len(pre)
    while i > 0:
        ch = pre[i - 1]
        if ch.isdigit() and ch.isascii():
            j = _digits_in_name(pre, i)
            if j == i:
                break
            i = j
            continue
        if ch == "的" or not (is_phrase_char(ch) or ch in "·“”、()（）#"):
            break
        i -= 1
    m = _LEAD_VERBS.match(pre, i, len(pre))
    return m.end() if m else i


def _digits_in_name(pre: str, end: int) -> int:
    """Start of the digits ending at `end` when they are part of a name (2号高炉, G228, 5G), else `end`."""
    j = end
    while j > 0 and pre[j - 1].isdigit() and pre[j - 1].isascii():
        j -= 1
    after = pre[end] if end < len(pre) else ""
    before = pre[j - 1] if j > 0 else ""
    if after and after in _COUNTER:
        return end  # 19宗项目: a count, not a name
    is_part = after in _IN_NAME_AFTER or _is_letter(after) or _is_letter(before)
    return j if is_part else end


def _is_letter(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def is_counted_before(pre: str, start: int) -> bool:
    """155个欧资项目落户: the phrase follows a count of projects, it names none."""
    return start > 0 and pre[start - 1] in _CN_NUMERAL


def clean_name(part: str) -> str:
    """Quotes, a byline (…讯(记者…), …彭银湖)惠州…项目) and list words off the edges of a name."""
    part = _NUMBERING.sub("", part.strip('“”"「」 '))
    if ")" in part:
        close = part.rfind(")")
        if "(" not in part[:close] or _BYLINE.search(part, 0, close):
            part = part[close + 1 :]  # (记者… 通讯员…)X项目: the name starts after the byline
    m = _LEADING_TIME.match(part)
    if m and len(part) - m.end() >= 2:
        part = part[m.end() :]  # 去年宝钢湛江钢铁基地一号高炉
    if part.startswith(_LEAD_WORDS):
        for word in _LEAD_WORDS:
            if part.startswith(word) and len(part) > len(word) + 1:
                part = part[len(word) :]
                break
    return part.strip('“”"「」 ')


def is_generic(name: str, suffix_start: int, lex: Lexicon) -> bool:
    """重点项目, 大批重点项目, 惠州高新区首个超百亿项目: nothing but generic words before the suffix."""
    body = name[:suffix_start]
    ends = [m.end() for m in _DETERMINER.finditer(body)]
    if ends:
        body = body[ends[-1] :]  # 江门首个…: the determiner starts a description
    body = body.lstrip("0123456789.")
    return not strip_ends(body, lex.generic_names)


_SUFFIX_MAX = 24  # characters: the longest suffix with its 一期, 工程 and (…) after it


def suffix_of(name: str, lex: Lexicon) -> re.Match[str] | None:
    """The project suffix that ends `name` (项目, 大桥一期工程, 学院(江门校区)), if any; only the end
    is searched: the pattern is anchored there."""
    return lex.project_suffix_re.search(name, max(0, len(name) - _SUFFIX_MAX))


def owner_of(phrase: str) -> str:
    """The whole a part belongs to: 其主体结构 → 其, X项目首批产品 → X项目, 主体结构 → "" (unsaid)."""
    if phrase in _PARTS:
        return ""
    m = _COMPONENT.match(phrase) if phrase.endswith(_PARTS) else None
    return m.group(1) if m else phrase


def name_of(part: str, lex: Lexicon, *, closed: bool = False) -> str | None:
    """`part` as a project name, or None: a name ends in a project suffix with words of its own before
    it; in a closed list (A、B等项目) the suffix may be missing."""
    part = clean_name(part)
    if len(part) < 2 or _COUNTED.search(part) or part.startswith(_NAMELESS):
        return None
    m = _COMPONENT.match(part) if part.endswith(_PARTS) else None
    if m and _PHASE.match(m.group(1)):
        return None  # 一期厂房: a part of the project named before
    if m and suffix_of(m.group(1), lex):
        part = m.group(1)  # 中创新航项目一期所有主厂房 → 中创新航项目一期
    if "与" in part and _PARTY.search(part):
        return None  # 管委会与某公司: the parties to a deal, not a project
    if _PHASE.match(part):
        return None  # 二期工程: a part of the project named before, not a name
    suffix = suffix_of(part, lex)
    if suffix is None:
        return part if closed and not is_generic(part, len(part), lex) else None
    if suffix.start() < 2 or is_generic(part, suffix.start(), lex):
        return None  # 项目, 园区, 重点项目: no name in front of the suffix
    return part


def names_in(phrase: str, lex: Lexicon, *, closed: bool = False) -> list[str]:
    """The project names of a phrase split on 、 (a name each)."""
    out = []
    for part in phrase.split("、"):
        name = name_of(part, lex, closed=closed)
        pair = _pair(part, lex)
        if pair:
            out.extend(pair)
        elif name is not None:
            out.append(name)
    return out


def _pair(part: str, lex: Lexicon) -> list[str]:
    """江门站和江门东站: two names joined by 和/与, each with its own suffix (X站及配套工程 stays one)."""
    for joiner in ("和", "与"):
        left, sep, right = part.partition(joiner)
        if sep and suffix_of(left, lex) and suffix_of(right, lex):
            first, second = name_of(left, lex), name_of(right, lex)
            if first is not None and second is not None:
                return [first, second]
    return []


def list_before(pre: str, lex: Lexicon) -> list[str] | None:
    """A、B、C等一批项目: the named items (None when `pre` does not end in such a group)."""
    m = _GROUP_TAIL.search(pre)
    if m is None or m.start() == 0:
        return None
    head = pre[: m.start()]
    return names_in(head[project_start(head) :], lex, closed=True)


def object_list(after: str, lex: Lexicon) -> list[str]:
    """开工建设A、B、C等164个项目: the items of a closed list right after the verb."""
    m = _OBJECT_LIST.match(after) if "等" in after else None
    if m is None:
        return []
    items = m.group("items").removeprefix("了")
    if "、" not in items and suffix_of(items, lex) is None:
        return []  # 开工改造老旧小区等: a verb with an object, not a list of projects
    return names_in(items, lex, closed=True)


def object_names(after: str, lex: Lexicon) -> list[str]:
    """建成投用江门站综合枢纽、江门大道北延线: projects named as the verb's object, to the clause's end,
    each with its own suffix (开工改造老旧小区65个 names none)."""
    if not after or after.startswith(_NAMELESS) or not is_phrase_char(after[0]):
        return []  # 开工项目, 开工率, 建成后: no object named
    end = len(after)
    for ch in "，,；;。:：":
        i = after.find(ch, 0, end)
        if i >= 0:
            end = i
    text = after[:end].removesuffix("等").removeprefix("了")
    if not text or end > 80 or text.startswith(("后", "以后")) or "的" in text or "将" in text:
        return []  # 建成后将是…的基地: what follows the stage, not its object
    parts = text.split("、")
    names = [n for n in (name_of(p, lex) for p in parts) if n is not None]
    return names if len(names) == len(parts) else []


def list_after(after: str, lex: Lexicon, *, grouped: bool = False) -> list[str]:
    """已开工项目5个,分别是:A、B、C / 一批项目集中开工：A、B: the items announced after the verb, as
    many as the count says. Items need no suffix when the announcement (or, `grouped`, the clause
    before the verb) speaks of projects."""
    m = _LIST_AFTER.match(after)
    closed = m is not None
    if m is None:
        m = _LIST_AFTER_BARE.match(after)
        if m is None:
            return []
        closed = grouped
    end = len(after)
    for ch in _LIST_END:
        i = after.find(ch, m.end())
        if 0 <= i < end:
            end = i
    count = _count(m.groupdict().get("n1") or m.groupdict().get("n2"))
    out: list[str] = []
    for group_no, group in enumerate(re.split(r"[,，]", after[m.end() : end])):
        for item in group.split("、"):
            if count is not None and len(out) >= count:
                return out
            name = name_of(
                item.removesuffix("等"), lex, closed=closed and (group_no == 0 or count is not None)
            )
            if name is None:
                return out
            out.append(name)
    if m.re is _LIST_AFTER_BARE and not any(suffix_of(n, lex) for n in out):
        return []  # 开工：道路、桥梁同步推进: a bare list needs one item that looks like a project
    return out


def _count(text: str | None) -> int | None:
    if not text:
        return None
    if text.isdigit():
        return int(text)
    value = parse_chinese(text)
    return int(value) if value else None


def last_mention(text: str, lex: Lexicon, mention_re: re.Pattern[str]) -> str | None:
    """The last project named in `text` (for 该项目 / 项目 / 其 after it)."""
    best = None
    for m in mention_re.finditer(text):
        head = text[: m.end()]
        start = project_start(head)
        name = name_of(head[start:], lex)
        if name is not None and not is_counted_before(head, start):
            best = name
    return best


class ProjectMemory:
    """What one document has said about its projects so far: the milestone projects (latest last) and
    the short names it gave them (简称)."""

    def __init__(self) -> None:
        self.recent: list[str] = []
        self.aliases: dict[str, str] = {}

    def note_aliases(self, sentence: str, lex: Lexicon) -> None:
        """X(简称:Y): later mentions of Y are X."""
        for m in ALIAS.finditer(sentence):
            head = sentence[: m.start()]
            name = name_of(head[project_start(head) :], lex)
            if name is not None:
                self.aliases[m.group("alias")] = name

    def canonical(self, names: list[str]) -> list[str]:
        return [self.aliases.get(n, n) for n in names] if self.aliases else names
