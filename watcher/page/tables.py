"""Statistics tables in HTML → ValueFacts, with the same contract as the facts read from text.

    指标 | 单位 | 1—10月 | 比上年同期增长(%)          one header row, a unit column
    规模以上工业增加值 | 亿元 | 1234.56 | 5.1       → level 1.23456e11 元 and yoy 5.1 %, 2023-01/2023-10

The table is laid out on a grid first (rowspan and colspan copied into every cell they cover), so two
header rows (1—6月 over 绝对值 | 增长) read as one header per column. Header rows are the rows above
the first one with a number. A column is a growth column (measure yoy) when its header says 增长,
增速, 同比 …, a share column when it says 比重 or 占比, otherwise a level column; the unit comes from
the unit column, else from the header or the row name in brackets (亿元). The period comes from the
column header (1—7月), else from the table's title (its caption, or the short line above it) or the
`sentence_prefix`; 本月 and 累计 columns take the month and the year-to-date of that title period.

Rows that name a place (蓬江区, 台山市) are about that place, the indicator then being the column's;
columns that name a place likewise. Tables without a numeric column, without indicator-like names
in the first column, or holding other tables (page layout) are passed over.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from selectolax.lexbor import LexborHTMLParser, LexborNode

from watcher.extract.numbers import MAGNITUDES, parse_number
from watcher.extract.periods import resolve_period
from watcher.models import Measure, ValueFact

_CJK = re.compile(r"[\u4e00-\u9fff]")
_TABLE_TAG = re.compile(r"<table[\s>]", re.IGNORECASE)  # most pages have none: no second parse for them
_GROWTH = re.compile(r"增长|增速|增减|同比|比上年|比去年|涨跌|升降|增幅|±")
_SHARE = re.compile(r"比重|占比|占全")
_SKIP_COLUMN = re.compile(r"^(?:上年同期|去年同期|上年|去年)(?:数|值)?$|位次|排名|排位|序号")
_UNIT_HEADER = re.compile(r"单位")
_BRACKETED = re.compile(r"[（(]\s*(?:单位\s*[:：]\s*)?([^()（）]{1,8}?)\s*[)）]")
_NAME_PREFIX = re.compile(
    r"^(?:其中\s*[:：]?|#|＃|[一二三四五六七八九十]+[、.．]|\d+[、.．]|[（(][一二三四五六七八九十\d]+[)）])\s*"
)
_PLACE = re.compile(r"^[\u4e00-\u9fff]{1,8}?(?:新区|高新区|开发区|区|县|市|镇|街道)$")
_REGION_WORDS = frozenset({"全市", "全县", "全区", "合计", "总计", "全省"})
# Header words that are not an indicator's name: periods, measures, comparisons.
_NOT_NAME = re.compile(
    r"本月|当月|累计|本年|绝对值|数值|金额|总量|比?(?:上年|去年)?同期|比上年|比去年|上年|去年"
    r"|增长|增速|增减|同比|涨跌|升降|增幅|比重|占比|[±%％]"
)
_THIS_MONTH = re.compile(r"本月|当月")
_YEAR_TO_DATE = re.compile(r"累计|本年")
_TITLE_UNIT = re.compile(r"单位\s*[:：]\s*([^\s,，、;；)）]+)")
_EMPTY_CELL = re.compile(r"^[-—–－…/／\s]*$")
_BASE_UNITS = frozenset(
    {
        *("元", "美元", "港元", "欧元", "千瓦时", "千瓦", "吨", "标箱", "人", "人次", "户", "家", "个", "项"),
        *("辆", "套", "件", "台", "平方米", "平方公里", "亩", "公里", "吨标准煤", "%", "‰", "个百分点"),
    }
)
_MAGNITUDE_PREFIXES = sorted(MAGNITUDES, key=len, reverse=True)


@dataclass(frozen=True, slots=True)
class _Column:
    index: int
    header: str
    measure: Measure
    unit: str | None  # from the header: 绝对值（亿元）, 增长（%）
    period: str | None
    place: str | None
    indicator: str  # what the header names (for place rows), else ""


def table_facts(
    html: str, *, published: date | None, region: str, sentence_prefix: str = ""
) -> list[ValueFact]:
    """The facts of every statistics table in a page, each once, in table and row order."""
    if _TABLE_TAG.search(html) is None:
        return []
    tree = LexborHTMLParser(html)
    facts: dict[tuple[object, ...], ValueFact] = {}
    for table in tree.css("table"):
        if any(inner.mem_id != table.mem_id for inner in table.css("table")):
            continue  # a layout table holding others
        grid = _grid(table)
        title = _title_of(table)
        for fact in _facts_of(grid, title, published, region, sentence_prefix):
            key = (fact.indicator, fact.subject, fact.measure, fact.value, fact.unit, fact.period)
            facts.setdefault(key, fact)
    return list(facts.values())


def _cell_text(cell: LexborNode) -> str:
    return " ".join(cell.text(separator=" ").replace("\u3000", " ").split())


def _grid(table: LexborNode) -> list[list[str]]:
    """The table's cell texts on a rectangular grid, spanned cells repeated in every slot they cover."""
    grid: list[list[str]] = []
    pending: dict[tuple[int, int], str] = {}  # (row, column) → text of a rowspan from above
    for r, row in enumerate(table.css("tr")):
        cells: list[str] = []
        for cell in row.css("td, th"):
            while (r, len(cells)) in pending:
                cells.append(pending.pop((r, len(cells))))
            text = _cell_text(cell)
            rows, start = _span(cell, "rowspan"), len(cells)
            cells.extend([text] * _span(cell, "colspan"))
            for c in range(start, len(cells)):
                for below in range(r + 1, r + rows):
                    pending[(below, c)] = text
        while (r, len(cells)) in pending:
            cells.append(pending.pop((r, len(cells))))
        grid.append(cells)
    width = max((len(row) for row in grid), default=0)
    return [row + [""] * (width - len(row)) for row in grid]


def _span(cell: LexborNode, name: str) -> int:
    value = (cell.attributes.get(name) or "1").strip()
    return max(1, min(int(value), 50)) if value.isdigit() else 1


def _title_of(table: LexborNode) -> str:
    """The table's caption, else the short text just above it (a bold title line)."""
    caption = table.css_first("caption")
    if caption is not None:
        return _cell_text(caption)
    previous = table.prev
    while previous is not None and (previous.tag == "-text" and not (previous.text_content or "").strip()):
        previous = previous.prev
    if previous is not None and previous.tag not in ("table", "-text"):
        text = _cell_text(previous)
        if 0 < len(text) <= 60:
            return text
    return ""


def _number(text: str) -> float | None:
    """A table cell as a number: 1,234.56, -2.4, －12.0, 5.8*; None for blanks and dashes."""
    text = text.replace(" ", "").rstrip("*％%")
    if not text or _EMPTY_CELL.match(text):
        return None
    sign = 1.0
    if text[0] in "-－−–":
        sign, text = -1.0, text[1:]
    elif text[0] == "+":
        text = text[1:]
    if not text[:1].isdigit():
        return None
    value = parse_number(text)
    return None if value is None else sign * value


def _header_rows(grid: list[list[str]]) -> int:
    """How many rows on top are headers: those above the first row with a number after its name."""
    for r, row in enumerate(grid):
        if any(_number(cell) is not None for cell in row[1:]):
            return r
    return len(grid)


def _facts_of(
    grid: list[list[str]], title: str, published: date | None, region: str, prefix: str
) -> list[ValueFact]:
    heads = _header_rows(grid)
    if not 0 < heads < len(grid) or not grid[0] or len(grid[0]) < 2:
        return []
    body = [row for row in grid[heads:] if any(cell for cell in row)]
    names = [row[0] for row in body if row[0]]
    if not names or sum(1 for name in names if len(_CJK.findall(name)) >= 2) * 2 < len(names):
        return []  # not indicator names: a layout or calendar table
    context = resolve_period(title, published) or resolve_period(prefix, published)
    headers = [_join_header([row[c] for row in grid[:heads]]) for c in range(len(grid[0]))]
    unit_column = next((c for c, h in enumerate(headers) if c and _UNIT_HEADER.search(h)), None)
    columns = _columns(headers, unit_column, title, context, published)
    place_rows = sum(1 for name in names if _is_place(name)) * 2 > len(names)
    facts = []
    for row in body:
        facts.extend(_row_facts(row, headers, columns, unit_column, place_rows, region, prefix))
    return facts


def _join_header(cells: list[str]) -> str:
    """The header of a column from its header cells, top to bottom, repeats (spans) once."""
    parts: list[str] = []
    for cell in cells:
        if cell and cell not in parts:
            parts.append(cell)
    return " ".join(parts)


def _columns(
    headers: list[str], unit_column: int | None, title: str, context: str | None, published: date | None
) -> list[_Column]:
    """The value columns; growth and share columns take the indicator and period of the level column
    to their left when their header names neither."""
    columns = []
    title_unit = _TITLE_UNIT.search(title)
    level_indicator, level_period = "", context
    for c, header in enumerate(headers):
        if c == 0 or c == unit_column or _SKIP_COLUMN.search(header.replace(" ", "")):
            continue
        measure: Measure = "yoy" if _GROWTH.search(header) else "share" if _SHARE.search(header) else "level"
        bracket = _BRACKETED.search(header)
        unit = bracket.group(1).strip() if bracket else (title_unit.group(1) if title_unit else None)
        indicator = _header_indicator(header)
        if measure == "level":
            period = _column_period(header, context, published)
            level_indicator, level_period = indicator, period
        else:
            unit = "个百分点" if "百分点" in header else "%"
            period = _column_period(header, None, published) or level_period
        place = header if _is_place(header) else None
        columns.append(_Column(c, header, measure, unit, period, place, indicator or level_indicator))
    return columns


def _header_indicator(header: str) -> str:
    """What a column header names besides period, measure and unit: 地区生产总值（亿元） → 地区生产总值."""
    name = _NOT_NAME.sub(" ", _BRACKETED.sub("", header))
    for token in name.split():
        if len(_CJK.findall(token)) >= 2 and not resolve_period(token, None) and not _is_place(token):
            return token.strip("(（)）%")
    return ""


def _column_period(header: str, context: str | None, published: date | None) -> str | None:
    """A column's period: written in its header; 本月/累计 of the table's period; else that period."""
    if _THIS_MONTH.search(header):
        return context.rsplit("/", 1)[-1] if context else None
    if _YEAR_TO_DATE.search(header):
        return _year_to_date(context) if context else None
    return resolve_period(header, published) or context


def _year_to_date(period: str) -> str:
    """2023-05 → 2023-01/2023-05; ranges and years stay."""
    if re.fullmatch(r"\d{4}-\d\d", period) and not period.endswith("-01"):
        return f"{period[:4]}-01/{period}"
    return period


def _is_place(name: str) -> bool:
    return name in _REGION_WORDS or bool(_PLACE.match(name))


def _base_unit(unit: str) -> tuple[str, float]:
    """亿元 → (元, 1e8); 万千瓦时 → (千瓦时, 1e4); 千瓦时 → (千瓦时, 1); 家 → (家, 1)."""
    unit = unit.strip()
    if unit in _BASE_UNITS:
        return unit, 1.0
    for magnitude in _MAGNITUDE_PREFIXES:
        if unit.startswith(magnitude) and len(unit) > len(magnitude):
            return unit[len(magnitude) :], MAGNITUDES[magnitude]
    return unit, 1.0


def _scaled(value: float, factor: float) -> float:
    """value × factor without binary noise: 301.22 × 1e8 → 30122000000.0, not 30122000000.000004."""
    return float(Decimal(repr(value)) * Decimal(repr(factor))) if factor != 1 else value


def _row_name(cell: str) -> tuple[str, str | None]:
    """A row's indicator and the unit written in it: '其中：出口（亿元）' → ('出口', '亿元')."""
    name = cell.replace(" ", "")
    while (m := _NAME_PREFIX.match(name)) and m.end():
        name = name[m.end() :]
    bracket = _BRACKETED.search(name)
    if bracket and bracket.end() == len(name):
        return name[: bracket.start()], bracket.group(1).strip()
    return name, None


def _row_facts(
    row: list[str],
    headers: list[str],
    columns: list[_Column],
    unit_column: int | None,
    place_rows: bool,
    region: str,
    prefix: str,
) -> list[ValueFact]:
    name, name_unit = _row_name(row[0])
    if not name:
        return []
    row_unit = (row[unit_column] if unit_column is not None else "") or name_unit
    sentence = prefix + " | ".join(cell for cell in row if cell)
    facts = []
    for column in columns:
        value = _number(row[column.index])
        if value is None:
            continue
        written = (column.unit or "") if column.measure != "level" else (row_unit or column.unit or "")
        if not written and column.measure == "level":
            continue  # a number without a unit: an index or a code, not a figure to track
        subject = region
        indicator = name
        if place_rows:
            subject = region if name in _REGION_WORDS else name
            indicator = column.indicator
        elif column.place:
            subject = region if column.place in _REGION_WORDS else column.place
        if not indicator:
            continue
        base, factor = _base_unit(written)
        facts.append(
            ValueFact(
                indicator=indicator,
                subject=subject,
                measure=column.measure,
                kind="actual",
                value=_scaled(value, factor),
                unit=base,
                qualifier="=",
                period=column.period,
                deadline=None,
                raw=f"{row[0].strip()} | {written} | {row[column.index]}",
                sentence=sentence,
                quantity=f"{row[column.index]}{written}",
            )
        )
    return facts
