"""Milestones: a named project reaching a stage (签约, 开工, 封顶, 竣工, 投产 …) and when.

    今年7月9日，XX加速器项目一期工程顺利封顶 → (XX加速器项目一期工程, topped_out, 2022-07-09)

Each stage verb of the lexicon is read for the projects it is said of (see `projects` for names):
- the project just before it (dates, places and adverbs between are skipped);
- a closed list before it (A、B、C等一批项目集中开工) or after it (开工建设A、B等164个项目;
  开工项目5个,分别是:A、B、C): every named item reaches the stage;
- 今年1月签约、3月动工的XX项目: the project named after 的;
- no subject, or 该项目 / 项目 / 其: the project of the sentence's earlier clause, else the last one
  named before in the paragraph, else the document's last milestone.
Only what happened counts: a future, planned or negated stage (将于年底竣工, 计划明年开工, 迟迟未能落地,
推动项目开工 outside a review) is not a milestone, nor is a group without names (一批项目相继落户,
19宗项目集中动工), a generic phrase (重点项目), a partial stage (分段建成) or a verb with an object
(开工改造65个老旧小区) — except 开通, which takes its service.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from datetime import date

from watcher.extract.clauses import (
    CLAUSE_MARK,
    SIGNING,
    clause_start,
    date_before,
    is_future,
    is_reached_verb,
    paragraph_before,
    stage_verbs,
    trim,
)
from watcher.extract.lexicon import Lexicon, alternation, trie
from watcher.extract.periods import iter_times
from watcher.extract.phrases import is_phrase_char
from watcher.extract.projects import (
    ALIAS,
    ProjectMemory,
    is_counted_before,
    last_mention,
    list_after,
    list_before,
    name_of,
    names_in,
    object_list,
    object_names,
    owner_of,
    project_start,
)
from watcher.models import STAGE_ORDER, Milestone

_GROUPED = re.compile("项目|工程")  # 一批项目集中开工: the clause speaks of projects
_BUILDING = "under_construction"  # 加快建设A、B等项目 is a task in a plan as often as a report: no objects
_NO_OBJECT = (
    "建成",
    "完成",
    "落成",
    "贯通",
    "开放",
)  # their object is a goal (建成国际消费中心), not a project
# 开工仪式在X项目现场举行: the project named where the ceremony is held.
_CEREMONY_AT = re.compile(
    r"(?:仪式|活动|典礼)(?:主会场)?(?:设|暨[^，,。；;]{0,12})?在(?P<name>[^，,。；;在]{2,40}?)"
    r"(?:建设现场|施工现场|现场|工地)?(?:隆重)?(?:举行|举办|$|[，,。；;])"
)
# 签订X项目投资协议: the project named in the agreement.
_AGREEMENT = re.compile(r"了?(?P<name>[^，,。；;]{2,40}?)(?:投资|合作|框架|战略合作|招商)?(?:协议书?|合同)")
_AT_PLACE = re.compile(r"(?<=[\u4e00-\u9fff)）])(?:在|于)[\u4e00-\u9fff]{2,12}$")
# Between a verb and the 的 of the project it modifies: more verbs (、3月动工) or a size (投资达100亿元级).
_MODIFIER = re.compile(
    r"(?:、[^，。；的]{0,12}?)+|[^，。；的]{0,12}?(?:投资|占地|面积|规模|年产|产值)[^，。；的]{0,16}"
)
_PROJECT_HEAD = re.compile(
    r"[^，。；]*(?:项目|工程|学院|校区|产业园|基地|中心|工厂|铁路|站)(?:[一二三四五]期)?(?:工程)?"
)
_LEADING_TIME = re.compile(r"^(?:今年|去年|目前|近日|日前)?(?:\d{1,2}月(?:\d{1,2}日)?)?(?:上午|下午)?")
_ANAPHORA = (
    "该项目",
    "该工程",
    "项目方",
    "这个项目",
    "这一项目",
    "此项目",
    "该基地",
    "该园区",
    "该线路",
    "该路段",
    "该企业",
    "该公司",
)
_BARE_ANAPHORA = ("项目", "工程", "其", "项目工程", "项目一期", "其一期")
_PHASE = re.compile(r"(?:其|该项目|项目)?[一二三四五六七八九首]期(?:工程|项目)?")
_NAMED, _ELLIPSIS, _ANAPHOR = 0, 1, 2
_AS_FIRST = re.compile(r"作为(?:首批|首家|第一批|第一家|首个|首批次)?$")
_BREAK = re.compile(r"[是为由的于在已将和与及、0-9]|位于|总投资|占地")  # where a leading name stops


class MilestoneReader:
    """The lexicon's stage vocabulary, compiled once; `read` is pure and thread-safe."""

    def __init__(self, lex: Lexicon) -> None:
        self.lex = lex
        # 要 wants, 重要/主要/需要 do not: the look-behind only on it keeps the scan fast for the rest
        words = [w for w in lex.not_reached if w != "要"]
        wants = "|(?<![主重需只紧必])要" if "要" in lex.not_reached else ""
        self.not_reached = re.compile((trie(words) or "(?!)") + wants)
        self.unless_past = re.compile(alternation(lex.unless_past) or "(?!)")
        self.past = re.compile(alternation(lex.past) or "(?!)")
        self.partial = re.compile(alternation(lex.partial) or "(?!)")
        self.successive = re.compile(alternation(lex.successive) or "(?!)")
        self.mention_re = re.compile(lex.project_suffix_re.pattern.removesuffix("$"))

    def note_title(self, title: str, memory: ProjectMemory) -> None:
        """The project a headline names is what 该项目 means until the text names another."""
        named = last_mention(title, self.lex, self.mention_re) if title else None
        if named is not None:
            memory.recent.append(named)

    def is_reached(self, pre: str, sentence: str, clause: int) -> bool:
        """No word of the verb's clause says it is planned, wanted or denied; 推动 only in a review (a
        past word in the clause or the sentence before it: 过去一年，我们推动…开工)."""
        if self.not_reached.search(pre):
            return False
        if self.unless_past.search(pre) is None:
            return True
        return self.past.search(pre) is not None or self.past.search(sentence, 0, clause) is not None

    def _is_background(self, pre: str, document: str, offset: int, head: str, published: date | None) -> bool:
        """近年来…A、B等项目相继落户: projects arriving one after another, with no date in the paragraph."""
        if self.successive.search(pre) is None:
            return False
        text = paragraph_before(document, offset) + head
        return not any(t.date and not t.comparison for t in iter_times(text, published))

    def read(
        self,
        sentence: str,
        original: str,
        published: date | None,
        document: str,
        offset: int,
        memory: ProjectMemory,
    ) -> list[Milestone]:
        """Milestones of one normalised sentence, found at `offset` in the normalised `document`,
        quoting the original; `memory` holds what the document said of its projects before it."""
        lex = self.lex
        found: list[Milestone] = []
        last: list[str] = []  # the projects of the sentence's previous stage verb
        last_end = 0
        verbs = stage_verbs(sentence, lex)
        starts = [0] + [m.end() for m in CLAUSE_MARK.finditer(sentence, 0, verbs[-1][0] if verbs else 0)]
        for verb_start, verb_end, stage in verbs:
            clause = starts[bisect_right(starts, verb_start) - 1]
            pre = sentence[clause:verb_start]
            if not self.is_reached(pre, sentence, clause) or self._is_background(
                pre, document, offset, sentence[:verb_start], published
            ):
                continue
            projects, start, reference = self._subjects(sentence, clause, verb_start, verb_end)
            inherited = reference != _NAMED
            if inherited:
                before = paragraph_before(document, offset)
                projects = last or self._antecedent(sentence, clause, reference, before, memory.recent)
            if not projects:
                continue
            projects = memory.canonical(projects)
            between = sentence[last_end:verb_start]
            if inherited and last and _is_one_event(found, last, stage, between, published):
                _advance(found, projects, stage)  # 先后签约,正式落户X区: one event, its latest stage
            else:
                when = date_before(sentence, clause, verb_start, published, lex)
                if is_future(when, published):
                    continue  # 明年6月建成: a date after the article's is a plan
                quoted, raw = original.strip(), original[clause + start : verb_end]
                found.extend(Milestone(p, stage, when, quoted, raw) for p in projects)  # type: ignore[arg-type]
            memory.recent.extend(projects)
            last, last_end = projects, verb_end
        return found

    def _subjects(
        self, sentence: str, clause: int, verb_start: int, verb_end: int
    ) -> tuple[list[str], int, int]:
        """The projects the verb is said of, where its phrase starts in the clause, and whether they
        are named there (_NAMED), left out (_ELLIPSIS: 迎来首批新生，正式开学) or referred to
        (_ANAPHOR: 该项目)."""
        lex = self.lex
        after = sentence[verb_end:]
        listed = (
            list_after(after, lex, grouped=_GROUPED.search(sentence, clause, verb_start) is not None)
            or (
                object_list(after, lex)
                if lex.stage_of.get(sentence[verb_start:verb_end]) != _BUILDING
                else []
            )
            or _named_in_object(sentence, verb_start, after, lex)
        )
        if listed:
            return listed, 0, _NAMED
        if not is_reached_verb(sentence, verb_start, verb_end):
            return self._object(sentence, verb_start, verb_end), 0, _NAMED
        raw_pre = sentence[clause:verb_start]
        if raw_pre.endswith("的"):
            return [], 0, _NAMED  # 项目的落地, 随着…的开通: the stage as a noun, not an event
        pre = trim(ALIAS.sub("", raw_pre) if "简称" in raw_pre else raw_pre, lex)
        if pre.endswith("、"):
            pre = ""  # 1月签约、3月动工的XX项目: one of a list of verbs before the project
        group = list_before(pre, lex)
        if group is not None:
            return group, 0, _NAMED
        if self.partial.search(raw_pre):
            return [], 0, _NAMED
        start = project_start(pre)
        if is_counted_before(pre, start):
            return [], 0, _NAMED  # 155个欧资项目落户: a count of projects, not a project
        phrase = pre[start:]
        if "在" in phrase or "于" in phrase:
            phrase = _AT_PLACE.sub("", phrase)  # X项目在广州 / 于江门: the place is not the name
        projects = names_in(phrase, lex) or _named_after(sentence, verb_end, lex)
        return projects, start, _NAMED if projects else _reference(phrase)

    def _object(self, sentence: str, verb_start: int, verb_end: int) -> list[str]:
        """A verb that does not end its clause: 动工的X项目, or 建成投用X、Y (not 在建设中谋划项目,
        建成…中心城市)."""
        named = _named_after(sentence, verb_end, self.lex) or self._first_of_kind(
            sentence, verb_start, verb_end
        )
        verb = sentence[verb_start:verb_end]
        if not named and verb not in _NO_OBJECT and self.lex.stage_of.get(verb) != _BUILDING:
            named = object_names(sentence[verb_end:], self.lex)
        return named

    def _first_of_kind(self, sentence: str, verb_start: int, verb_end: int) -> list[str]:
        """X公司作为首批进驻企业: X is among those that reached the stage."""
        if "作为" not in sentence or not sentence.startswith(("企业", "项目", "单位"), verb_end):
            return []
        m = _AS_FIRST.search(sentence, clause_start(sentence, verb_start), verb_start)
        if m is None:
            return []
        head = sentence[clause_start(sentence, verb_start) : m.start()]
        return names_in(head[project_start(head) :], self.lex)

    def _antecedent(
        self, sentence: str, clause: int, reference: int, before: str, recent: list[str]
    ) -> list[str]:
        """What a subjectless clause or 该项目 refers to: the sentence's earlier clause, else (for an
        anaphor) the last project named before in the paragraph, else the document's last one."""
        earlier, refers = _named_earlier(sentence, clause, self.lex, self.mention_re)
        if earlier or (reference != _ANAPHOR and not refers):
            return earlier
        named = last_mention(before + sentence[:clause], self.lex, self.mention_re)
        return [named] if named else recent[-1:]


def _reference(phrase: str) -> int:
    """A phrase that names no project: nothing (or a part: 主体结构已封顶) leaves the subject unsaid,
    该项目 / 项目 / 其 / 二期 refer back; anything else is no project at all."""
    owner = owner_of(phrase)
    if not owner:
        return _ELLIPSIS
    if owner.endswith(_ANAPHORA) or owner in _BARE_ANAPHORA or _PHASE.fullmatch(owner):
        return _ANAPHOR
    return _NAMED


def _advance(found: list[Milestone], projects: list[str], stage: str) -> None:
    """The sentence's milestones of `projects` move on to `stage` when it is later."""
    for i, m in enumerate(found):
        if m.project in projects and STAGE_ORDER.index(stage) > STAGE_ORDER.index(m.stage):  # type: ignore[arg-type]
            found[i] = Milestone(m.project, stage, m.date, m.sentence, m.raw)  # type: ignore[arg-type]


def _is_one_event(
    found: list[Milestone], last: list[str], stage: str, between: str, published: date | None
) -> bool:
    """签约, 落户 or 建成, 投产 of the same projects with no date between: one event told in two verbs."""
    step = STAGE_ORDER.index(stage)  # type: ignore[arg-type]
    if not any(m.project in last and STAGE_ORDER.index(m.stage) == step - 1 for m in found):
        return False
    return not any(t.date for t in iter_times(between, published))


def _named_in_object(sentence: str, verb_start: int, after: str, lex: Lexicon) -> list[str]:
    """开工仪式在X项目现场举行, 签订X项目投资协议: the project named after the verb."""
    m = _CEREMONY_AT.match(after)
    if m is None and sentence.startswith(SIGNING, verb_start):
        m = _AGREEMENT.match(after)
    if m is None:
        return []
    return names_in(m.group("name"), lex)


def _named_after(sentence: str, end: int, lex: Lexicon) -> list[str]:
    """今年1月签约、3月动工的XX项目, 已签约计划总投资2000亿元的XX项目: the verb modifies the project
    named after 的 (another verb or the project's size may come between)."""
    stop = len(sentence)
    for ch in "，,；;。:：":
        k = sentence.find(ch, end, stop)
        if k >= 0:
            stop = k
    i = end
    while True:
        k = sentence.find("的", i, stop)
        if k < 0 or (k > i and not _MODIFIER.fullmatch(sentence, i, k)):
            return []
        j = k + 1
        while j < stop and j - k <= 30 and (is_phrase_char(sentence[j]) or sentence[j] in "·“”#"):
            j += 1
        head = _PROJECT_HEAD.match(sentence[k + 1 : j])
        names = names_in(head.group() if head else "", lex)
        if names:
            return names
        i = k + 1


def _named_earlier(
    sentence: str, clause: int, lex: Lexicon, mention_re: re.Pattern[str]
) -> tuple[list[str], bool]:
    """华立学院江门校区迎来首批新生，正式开学: the project that leads an earlier clause of the sentence
    (its shortest name from the clause start: X项目是…的重点项目 → X项目); or, when that clause starts
    with 该项目 / 项目, that it refers back (the flag)."""
    end = clause - 1
    while end > 0:
        start = clause_start(sentence, end)
        text = _LEADING_TIME.sub("", sentence[start:end])
        name = _leading_name(text, lex, mention_re)
        if name is not None:
            return [name], False
        head = _PROJECT_HEAD.match(text)
        if head:
            projects = names_in(head.group().rsplit("的", 1)[-1], lex)
            if projects:
                return projects, False
        if text.startswith(_ANAPHORA) or text.startswith(("项目", "其")):
            return [], True  # 该项目由…投资建设，…去年11月动工
        end = start - 1
    return [], False


def _leading_name(text: str, lex: Lexicon, mention_re: re.Pattern[str]) -> str | None:
    """The name that starts `text`, as long as it runs on (江门北站改造工程 in 江门北站改造工程总投资…,
    X项目 in X项目是省重点项目)."""
    best = None
    gap_from = 0
    for m in mention_re.finditer(text):
        if best is not None and _BREAK.search(text, gap_from, m.start()):
            break
        name = name_of(text[: m.end()], lex)
        if name is not None:
            best = name
        gap_from = m.end()
    return best
