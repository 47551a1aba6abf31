"""Numbers with their units and qualifiers, found in a normalised sentence.

    超1000亿元 → 1e11 元 ">"     1.05万个 → 10500 个     100多家 → 100 家 ">"
    50%以上 → 50 % ">"           全省第7 → rank 7         新增学位万个 → nothing (no number)

Not quantities: numbers without a unit (2009年, 1+3), ordinals (第四届, 第二批), a lone 一 before a
counter (一条线路, 一批项目), Chinese numerals inside slogans (“两个维护”), parts of formulas (1个+3个).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from watcher.extract.lexicon import Lexicon, alternation
from watcher.extract.numbers import MAGNITUDES, parse_chinese

_CN = "零〇一二两三四五六七八九十百千万亿"
_RANK_NUM = r"(?P<rank>\d{1,3}|[一二三四五六七八九十]{1,3})"
_RANK = re.compile(
    r"(?P<rcue>(?:排名|排行|位居|位列|居于|居|排|列|上升至|升至|跃居|跃升至|保持)?"
    r"(?:全省|全国|全市|全球|全区|全省地级市|珠三角|大湾区|同类城市)(?:排名|排行)?第"
    r"|排名第|排第|位列第|位居第|居第|列第|跃居第|(?<=[和、])第)"
    + _RANK_NUM
    + r"(?P<rsuffix>位|名)?(?!(?![和及与])[\u4e00-\u9fff])(?![、和及与][一二三四五六七八九十])"
)
_PERCENT_WORDS = re.compile(r"(?P<qb>超过|超|近|约|不到|不足)?百分之(?P<pct>[零一二两三四五六七八九十百点]+)")
_VAGUE_BEFORE = ("数", "几", "上", "好", "若干")  # 数十家, 几十个, 上百家: no figure


@dataclass(init=False, slots=True)  # __init__ by hand: native once compiled, 20× faster
class Quantity:
    """One figure in a sentence; offsets are into that sentence."""

    start: int  # first character, qualifier words included
    num_start: int  # first character of the number itself
    end: int  # one past the last character (unit and trailing qualifier included)
    value: float  # in the base unit, sign not yet applied
    unit: str  # base unit
    written_unit: str  # the unit as written, magnitude included (亿元)
    qualifier: str
    is_rank: bool = False
    is_counter: bool = False

    def __init__(
        self,
        start: int,
        num_start: int,
        end: int,
        value: float,
        unit: str,
        written_unit: str,
        qualifier: str,
        is_rank: bool = False,
        is_counter: bool = False,
    ) -> None:
        self.start = start
        self.num_start = num_start
        self.end = end
        self.value = value
        self.unit = unit
        self.written_unit = written_unit
        self.qualifier = qualifier
        self.is_rank = is_rank
        self.is_counter = is_counter

    def text(self, sentence: str) -> str:
        return sentence[self.num_start : self.end]


def compile_quantity_re(lex: Lexicon) -> re.Pattern[str]:
    """The one regex that finds candidate figures; built once per lexicon."""
    before = alternation(list(lex.qualifier_before))
    after = alternation(list(lex.qualifier_after))
    mags = alternation(list(MAGNITUDES))
    numerals = set("0123456789零〇一二两三四五六七八九十千百万-")
    starts = "".join(sorted({w[0] for w in lex.qualifier_before} | numerals))
    return re.compile(
        rf"(?=[{re.escape(starts)}])"  # a figure starts with one of these: other positions are skipped
        rf"(?:(?P<qb>{before})(?P<verb>有|达到|达|建设|新增|引进|完成|实现|占|全市的|全省的|全国的)?)?"
        rf"(?:(?P<neg>(?<=[\u4e00-\u9fff])-)?(?P<num>\d+(?:,\d{{3}})*(?:\.\d+)?)(?:\s*[—–\-~至到]\s*(?P<hi>\d+(?:\.\d+)?)(?=[%万亿\d.]|{lex.unit_alternation}))?"
        rf"|(?P<cn>[零〇一二两三四五六七八九十][{_CN}]*)"
        rf"|(?P<bare>千亿|百亿|万亿))"
        rf"(?P<more>多|余)?\s*(?P<mag>{mags})?(?P<more2>多|余)?\s*"
        rf"(?P<unit>{lex.unit_alternation})?"
        rf"(?P<qa>{after})?"
    )


def _reject(m: re.Match[str], g: dict[str, str | None], sentence: str, lex: Lexicon) -> bool:
    """Matches that look like figures but are not facts."""
    unit, cn = g["unit"], g["cn"]
    start = m.start("num") if g["num"] else m.start("cn") if cn else m.start("bare")
    before = sentence[start - 1] if start > 0 else " "
    after = sentence[m.end() : m.end() + 1]
    if before == "第" or (before in ".-/:" and not g["neg"]) or after in ("+", "-", "/") or before == "+":
        return True  # ordinals, decimals' tails, codes, phone numbers, formulas (1+3)
    if before.isascii() and before.isalnum():
        return True  # M1, 5G, B2-…: part of a code
    if cn is not None:
        if (
            cn == "一"
            or (cn[-1] in "万亿" and not unit)
            or sentence[max(0, start - 2) : start].endswith(_VAGUE_BEFORE)
        ):
            return True
        if unit in lex.arabic_only or before in '“‘"' or sentence[max(0, start - 2) : start].endswith("“"):
            return True
    if g["bare"] and (not g["qb"] or unit in lex.counters):
        return True  # 千亿级, 百亿元, 超百亿项目: a class, not a figure, unless 超/近 … says how much
    if unit == "个" and after == "月":
        return True  # 连续42个月: a streak, not a count
    return after == "级"  # 百亿元级, 千亿级


def _loose_qualifier(m: re.Match[str], g: dict[str, str | None], sentence: str, lex: Lexicon) -> bool:
    """签约81个, 节约3万吨: the qualifier word is the end of a compound, not 约 (about)."""
    qb = g["qb"]
    if not qb or m.start() == 0:
        return False
    compounds = lex.keep_re.finditer(sentence, m.start() - 1, m.start() + len(qb))
    return any(k.start() < m.start() < k.end() for k in compounds)


def _value(g: dict[str, str | None]) -> float | None:
    num, cn, mag = g["num"], g["cn"], g["mag"]
    value: float | None
    if num:
        value = float(num.replace(",", ""))
    elif cn:
        value = parse_chinese(cn)
    else:
        value = MAGNITUDES[g["bare"] or ""]
    if value is None:
        return None
    if mag:
        value *= MAGNITUDES[mag]
    return -value if g["neg"] else value


def _qualifier(g: dict[str, str | None], lex: Lexicon) -> str:
    if g["hi"]:
        return ">"
    if g["qa"]:
        return lex.qualifier_after[g["qa"]]
    if g["more"] or g["more2"]:
        return ">"
    if g["qb"]:
        return lex.qualifier_before[g["qb"]]
    return "="


def _unit(g: dict[str, str | None], lex: Lexicon) -> tuple[str, float, str] | None:
    """(base unit, factor, unit as written) or None when the figure has no unit."""
    unit, mag = g["unit"], g["mag"] or ""
    if unit:
        if unit in lex.counters:
            return unit, 1.0, mag + unit
        base, factor = lex.units[unit]
        return base, factor, mag + unit
    bare = g["bare"]
    if mag in ("亿", "万亿", "千亿", "百亿") or bare:
        return "元", 1.0, mag or bare or ""  # 4000亿 in an economy report is money
    return None


def _bare_numbers_sharing(matches: list[re.Match[str]], sentence: str) -> dict[int, dict[str, str | None]]:
    """分别为3.2、1.8亿元: a bare number takes the unit of the figure its list ends with."""
    shared: dict[int, dict[str, str | None]] = {}
    for i in range(len(matches) - 2, -1, -1):
        m, nxt = matches[i], matches[i + 1]
        if (
            m.group("num")
            and not (m.group("unit") or m.group("mag"))
            and sentence[m.end() : nxt.start()] in ("、", "和", "及", "，")
        ):
            donor = shared[i + 1] if i + 1 in shared else nxt.groupdict()
            if donor["unit"] or donor["mag"]:
                shared[i] = donor
    return shared


def find_quantities(sentence: str, lex: Lexicon, pattern: re.Pattern[str]) -> list[Quantity]:
    """Every figure of a normalised sentence, in order."""
    found: list[Quantity] = []
    matches = list(pattern.finditer(sentence))
    shared = _bare_numbers_sharing(matches, sentence)
    for i, m in enumerate(matches):
        if i in shared:
            q = _shared_unit(m, m.groupdict(), shared[i], lex)
            if q is not None:
                found.append(q)
            continue
        if not (m.group("unit") or m.group("mag") or m.group("bare")):
            continue  # a number without a unit (2009年): no groups read for it
        g = m.groupdict()
        if _reject(m, g, sentence, lex):
            continue
        unit = _unit(g, lex)
        value = _value(g)
        if unit is None or value is None:
            continue
        base, factor, written = unit
        qa = g["qa"]
        end = m.end() if qa else m.end("unit") if g["unit"] else m.end("mag") if g["mag"] else m.end()
        num_start = m.start("num") if g["num"] else m.start("cn") if g["cn"] else m.start("bare")
        start = m.start()
        if _loose_qualifier(m, g, sentence, lex):
            g["qb"], start = None, num_start
        found.append(
            Quantity(
                start=start,
                num_start=num_start,
                end=end,
                value=value * factor,
                unit=base,
                written_unit=written,
                qualifier=_qualifier(g, lex),
                is_counter=base in lex.counters,
            )
        )
    for m in _PERCENT_WORDS.finditer(sentence) if "百分之" in sentence else ():
        g = m.groupdict()
        value = parse_chinese(g["pct"].split("点")[0])
        if value is not None:
            qual = lex.qualifier_before.get(g["qb"] or "", "=")
            found.append(
                Quantity(
                    start=m.start(),
                    num_start=m.start() + len(g["qb"] or ""),
                    end=m.end(),
                    value=value,
                    unit="%",
                    written_unit="%",
                    qualifier=qual,
                )
            )
    for m in _RANK.finditer(sentence) if "第" in sentence else ():  # the regexes try every position
        g = m.groupdict()
        raw = g["rank"]
        value = float(raw) if raw.isdigit() else parse_chinese(raw)
        if value:
            found.append(
                Quantity(
                    start=m.start(),
                    num_start=m.start("rank"),
                    end=m.end(),
                    value=value,
                    unit="位",
                    written_unit="位",
                    qualifier="=",
                    is_rank=True,
                )
            )
    found.sort(key=lambda q: q.start)
    return found


def _shared_unit(
    m: re.Match[str], g: dict[str, str | None], donor: dict[str, str | None], lex: Lexicon
) -> Quantity | None:
    unit = _unit(donor, lex)
    if unit is None:
        return None
    base, factor, written = unit
    mag = donor["mag"]
    value = float((g["num"] or "").replace(",", "")) * (MAGNITUDES[mag] if mag else 1)
    if g["neg"]:
        value = -value
    return Quantity(
        start=m.start(),
        num_start=m.start("num"),
        end=m.end("num"),
        value=value * factor,
        unit=base,
        written_unit=written,
        qualifier=_qualifier(g, lex),
        is_counter=base in lex.counters,
    )
