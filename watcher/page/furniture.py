"""Page furniture: the lines around an article that are not the article.

E-paper navigation, breadcrumbs, copyright and ICP lines, phone numbers, paywall cuts, snapshot
notices, photo credits, share and print bars, info bars. The patterns are data: extend the tuples
below. Simplified and traditional spellings are both written out (来源 / 來源).

The info bar is furniture too, but it says who published the article: `find_outlet` reads it.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate

from watcher.page.dates import DATE_ONLY_LINE

# A line is furniture when one of these matches and the line is short: a real paragraph that
# mentions 版权所有 or a phone number stays.
MAX_FURNITURE_CHARS = 100

_C = r"[\u4e00-\u9fff]"  # one Chinese character

# Furniture written as sentences: tried on every short line. They run over whole articles, so
# each starts with a literal character (a fast scan), traditional variants after it.
FURNITURE_SENTENCES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern)
    for pattern in (
        # snapshot notices of aggregators: 以上内容为资讯信息快照…, 快照生成时间:
        r"快照",
        r"不代表本站",
        # portals' notes after a repost: （本文来自澎湃新闻，…）, 返回搜狐，查看更多
        r"[(（]本文来自",
        r"返回搜狐",
        r"如有侵[权權]",
        # paywall cuts: ……(新文秘网…省略1145字,正式会员可完整阅读)……
        r"省略\s*\d+\s*字",
        r"全文共\s*\d+\s*字",
        r"正式[会會][员員]",
        # copyright, ICP and licence lines, site footers
        r"版[权權]所有",
        r"未[经經][^，。\n]{0,8}(?:不得|禁止|严禁|嚴禁)",
        r"ICP\s*[备備证證]",
        r"©",
        r"opyright",  # Copyright, copyright
        r"COPYRIGHT",
        r"可[证證]\s*[编編]?[号號]?\s*[:：]",  # 经营许可证编号:
        r"制作[及和与]?[维維][护護]",
        r"製作[及和與]?[維维][護护]",
        r"公[网網]安[备備]",
        r"站[标標][识識][码碼]",  # 网站标识码
        r"主[办辦](?:[单單]位)?\s*[:：]",
        r"承[办辦](?:[单單]位)?\s*[:：]",
        # phone and fax lines: 联系电话:86-0750-3502626
        r"电话\s*[:：]\s*[\d+(（]",
        r"電話\s*[:：]\s*[\d+(（]",
        r"真\s*[:：]\s*[\d+(（]",  # 传真, 傳真
    )
)

# Furniture that never reads as prose: tried on short lines without a comma or full stop.
FURNITURE_LINES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern)
    for pattern in (
        # e-paper: 第A01版:要闻, 版面导航, 上一期, 4下一版, 3上一篇  下一篇4, 放大 缩小 默认
        r"^第\s*[A-Z]{0,2}\d{1,3}\s*版",
        r"^版面[导導]航",
        r"^(?:\d?\s*[上下]一(?:期|版|篇)\s*\d?\s*)+$",
        r"^[上下]一(?:篇|条|條)\s*[:：]",
        r"^放大\s*[缩縮]小",
        r"^(?:PDF|返回目[录錄]|本版[标標][题題]|[标標][题題][导導]航)",
        # breadcrumbs: 您现在所在位置: 首页 > …, 当前位置：, 首页 > 要闻
        r"^\D{0,8}位置\s*(?:是)?\s*[:：](?:.{0,6}首[页頁]|[^，。]*[>＞»›])",
        r"^首[页頁]\s*[>＞›»/]",
        r"^(?:首[页頁]|上一[页頁]|下一[页頁]|尾[页頁])(?:\s|$)",
        # site footers
        r"^(?:主[办辦]|承[办辦]|[协協][办辦]|技[术術]支持)(?:[单單]位)?\s*[:：]",
        r"[浏瀏][览覽]器|分辨率",
        r"^(?:[电電]子)?(?:[邮郵]箱|[邮郵]件|[Ee]-?mail)\s*[:：]",
        # teaser sites: 目录/提纲:……, 收藏《…》
        r"^目[录錄]\s*/?\s*提[纲綱]",
        r"^收藏《",
        r"^信息原文地址",
        # photo credits and bylines: 江门日报记者 郭永乐 摄, 文/图 陈敏锐 袁辉, □文/江门日报记者 皇智尧
        r"^\D{0,16}?(?:[记記]者|通[讯訊][员員]|[摄攝]影)\s*" + _C + r"{2,4}"
        r"(?:[\s、，,]+" + _C + r"{2,4})*\s*[摄攝]\s*$",
        r"^[(（]?\s*(?:[图圖]片?|[摄攝]影)\s*[/:：]",
        r"^[□■◎]?\s*(?:文\s*/\s*[图圖]|文[图圖]?|[图圖])\s*[/:：\s]\s*" + _C + r".{0,30}$",
        r"^[(（\[【]?\s*(?:[责責]任[编編][辑輯]|[责責][编編]|[编編][辑輯]|[审審][核校]|校[对對]|[签簽][发發]"
        r"|[初二三终終][审審])\s*[:：]",
        # share and print bars, font size switches, view counters
        r"^[【\[(（]?\s*(?:打印|[关關][闭閉]|分享|返回[顶頂]部|收藏|加入收藏|[设設][为為]首[页頁]|[扫掃]一[扫掃]"
        r"|字[体體号號])",
        r"打印本[页頁]",
        r"[关關][闭閉]窗口",
        r"字[号號体體]\s*[:：]?\s*[【\[]?\s*大",
        r"^[【\[]?\s*大\s*中\s*小\s*[】\]]?$",
        r"^(?:[浏瀏][览覽]|[阅閱][读讀]|[点點][击擊]|[访訪][问問])(?:次[数數]|量|[数數]|率)?\s*[:：]\s*\d*$",
        # attachment headers and file names
        r"^(?:相[关關])?附件\s*\d*\s*[:：]?",
        r"^\S.{0,80}\.(?:pdf|docx?|xlsx?|wps|et|ofd|zip|rar|7z|PDF|DOCX?|XLSX?)$",
        # info bars: 时间: 2023-08-21 09:00:00 文档来源:江门日报, 类别:国内 发布时间:2024-05-03
        r"^(?:[发發][布佈](?:[时時][间間]|日期)|[时時][间間]|日期|(?:文[档檔]|信息|[资資][讯訊]|稿件)?[来來]源"
        r"|作者|本文[转轉]自|[类類][别別])\s*[:：]",
        r"[发發][布佈](?:[时時][间間]|日期)\s*[:：]\s*\d{4}",
        r"[来來]源\s*[:：]",
        # a paper's print note: 《 人民日报 》（ 2025年07月14日 18 版）
        r"^《[^》]{2,12}》\s*[(（][^)）]{0,24}版\s*[)）]$",
        # date lines, info lines that end in a date and time, bare URLs, menu bullets
        DATE_ONLY_LINE.pattern,
        r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?\s*\d{1,2}:\d{2}(?::\d{2})?$",
        r"^(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*星期",
        r"^(?:https?://|\.{1,2}/)\S*$",
        r"^[•·●▪◆]\s*\S{1,8}$",
        r"^[…．.。·•\-—_=*~|｜ ]+$",  # nothing but dots, dashes or bars
    )
)

# Removed from inside a line: 新文秘网-style teaser cuts glued to the text.
INLINE_CUTS: tuple[re.Pattern[str], ...] = (
    re.compile(r"[(（][^()（）\n]{0,60}省略\s*\d+\s*字[^()（）\n]{0,30}[)）][…．.]*"),
)

# The article ends at a line that is one of these headings: a related-article list follows.
TAIL_HEADINGS: tuple[re.Pattern[str], ...] = (
    re.compile(
        r"(?:相[关關](?:[阅閱][读讀]|新[闻聞]|文章|[链鏈]接|[报報]道|推[荐薦]|[资資][讯訊])|延伸[阅閱][读讀]"
        r"|推[荐薦][阅閱][读讀]|[热熱][点點]推[荐薦]|更多[关關][于於].{0,20}[资資][讯訊]|猜你喜[欢歡])"
        r"\s*[:：]?$"
    ),
    re.compile(r"信息原文地址\s*[:：]"),
)
_MAX_HEADING_CHARS = 30
# The article ends where one of these starts, wherever it is: paywall tails.
TAIL_CUTS: tuple[re.Pattern[str], ...] = (re.compile(r"[(（]\s*未完\s*[,，]?\s*全文共\s*\d+\s*字"),)

_OUTLET_VALUE = r"\s*[:：]\s*[【\[]?\s*([^\s|｜:：,，;；【】\[\]()（）<>]{2,30})"
# In order of preference: where the article was copied from beats where it was read. A label
# glued to a Chinese word is not one (资金来源) unless the word is in OUTLET_LABEL_QUALIFIERS.
OUTLET_LABELS: tuple[re.Pattern[str], ...] = (
    re.compile(r"[转轉](?:自|[载載]自)" + _OUTLET_VALUE),  # 本文转自, 转载自
    re.compile(r"[来來]源" + _OUTLET_VALUE),  # 来源, 文档来源, 信息来源
)
OUTLET_LABEL_QUALIFIERS = frozenset(
    {"本文", "文档", "文檔", "信息", "资讯", "資訊", "稿件", "新闻", "新聞", "文章", "内容", "內容"}
)
# 南方日报讯, □文/江门日报记者 皇智尧: the outlet named by the dateline or the byline. The marker
# after the name is searched for (a fast scan), then the name is read backwards from it.
_OUTLET_MARK = re.compile(r"[讯訊记記]")  # 讯, 记者
_OUTLET_NAME = (
    r"(?:日[报報]|晚[报報]|早[报報]|商[报報]|[时時][报報]|新[闻聞][网網]|[电電][视視]台|融媒[体體]中心)"
)
_OUTLET_BEFORE_MARK = re.compile("(" + _C + "{2,8}?" + _OUTLET_NAME + r")(?:全?媒[体體])?$")
_NOT_OUTLET = re.compile(
    r"^(?:作者|[编編][辑輯]|[责責]任|[时時][间間]|日期|[发發][布佈]|[浏瀏][览覽]|[点點][击擊]|https?$|www\.)"
)

_MIN_PROSE_CHARS = 20
# What is left of a line cut by a tail marker is kept when it is more than a stub ("一是").
_MIN_KEPT_CHARS = 6
_SENTENCE_ENDS = ("。", "！", "？", "!", "?", "；", "”")
_INVISIBLE = ("\u200b", "\u200c", "\u200d", "\ufeff")

# Anchored line patterns run as one alternation with match(): one call per line, not forty.
_LINES_ANCHORED = re.compile("|".join(f"(?:{p.pattern})" for p in FURNITURE_LINES if p.pattern[0] == "^"))
_LINES_FLOATING = tuple(p for p in FURNITURE_LINES if p.pattern[0] != "^")


def split_lines(text: str) -> list[str]:
    """Non-empty lines with whitespace runs (including full-width spaces) collapsed to one space."""
    for char in _INVISIBLE:
        if char in text:
            text = text.replace(char, "")
    lines = (" ".join(line.split()) for line in text.splitlines())
    return [line for line in lines if line]


def is_furniture(line: str) -> bool:
    """True when a (stripped) line is page furniture rather than article text."""
    if len(line) > MAX_FURNITURE_CHARS:
        return False
    return _has_sentence_furniture(line) or (not is_prose(line) and _has_line_furniture(line))


def furniture_mask(lines: list[str]) -> list[bool]:
    """`is_furniture` of every line; the sentence patterns scan the joined text once instead."""
    text = "\n".join(lines)
    starts = list(accumulate((len(line) + 1 for line in lines[:-1]), initial=0))
    suspects: set[int] = set()
    for pattern in FURNITURE_SENTENCES:
        for match in pattern.finditer(text):
            suspects.add(bisect_right(starts, match.start()) - 1)
    return [
        len(line) <= MAX_FURNITURE_CHARS
        and (
            (index in suspects and _has_sentence_furniture(line))
            or (not is_prose(line) and _has_line_furniture(line))
        )
        for index, line in enumerate(lines)
    ]


def is_prose(line: str) -> bool:
    """A line that reads as running text: long enough and punctuated."""
    return len(line) >= _MIN_PROSE_CHARS and ("，" in line or "。" in line or "," in line)


def _has_sentence_furniture(line: str) -> bool:
    return any(pattern.search(line) for pattern in FURNITURE_SENTENCES)


def _has_line_furniture(line: str) -> bool:
    return _LINES_ANCHORED.match(line) is not None or any(p.search(line) for p in _LINES_FLOATING)


def clean_lines(lines: list[str]) -> list[str]:
    """Article lines without inline cuts, trailing lists and furniture lines."""
    text = "\n".join(lines)
    for cut in INLINE_CUTS:
        text = cut.sub("", text)
    lines = cut_dated_list(cut_tail([line.strip() for line in text.split("\n")]))
    mask = furniture_mask(lines)
    return [line for line, furniture in zip(lines, mask, strict=True) if line and not furniture]


def cut_tail(lines: list[str]) -> list[str]:
    """Lines up to the first tail heading (相关阅读, 信息原文地址:) or cut ((未完,全文共…字).

    The text before a cut on its line stays; a heading on the first line is ignored.
    """
    end, kept = len(lines), ""
    text = "\n".join(lines)
    cuts = [match.start() for cut in TAIL_CUTS if (match := cut.search(text))]
    if cuts:
        end = text.count("\n", 0, min(cuts))
        line_start = text.rfind("\n", 0, min(cuts)) + 1
        kept = text[line_start : min(cuts)].rstrip("…．. ")
    for index in range(1, end):
        line = lines[index]
        if len(line) <= _MAX_HEADING_CHARS and any(heading.match(line) for heading in TAIL_HEADINGS):
            return lines[:index]
    if end == len(lines):
        return lines
    return [*lines[:end], kept] if len(kept) >= _MIN_KEPT_CHARS else lines[:end]


def cut_dated_list(lines: list[str], max_entry_lines: int = 3) -> list[str]:
    """Drop a trailing list of entries that each end in a date line (title, snippet, 2024-01-09 16:40).

    Trailing furniture after the list (a footer) goes with it. An entry line never ends a sentence
    (unless it is a "…" snippet), so the article's last paragraph stays; two entries at least, as a
    lone date at the end is more likely the article's own signature.
    """
    end = len(lines)
    while end and is_furniture(lines[end - 1]) and not DATE_ONLY_LINE.match(lines[end - 1]):
        end -= 1
    start, entries = end, 0
    while start and DATE_ONLY_LINE.match(lines[start - 1]):
        first = start - 1
        while first and start - 1 - first < max_entry_lines and _is_entry_line(lines[first - 1]):
            first -= 1
        if first == start - 1:
            break
        start, entries = first, entries + 1
    return lines[:start] if entries >= 2 else lines


def _is_entry_line(line: str) -> bool:
    if DATE_ONLY_LINE.match(line) or len(line) > 160:
        return False
    return line.startswith(("…", "...")) or not line.endswith(_SENTENCE_ENDS)


def find_outlet(text: str) -> str | None:
    """The outlet an info bar or byline names: 来源：江门日报, 本文转自:南方日报, 南方日报讯."""
    for pattern in OUTLET_LABELS:
        for match in pattern.finditer(text):
            value = match.group(1).strip("】]")
            if _is_free_label(text, match.start()) and value and not _NOT_OUTLET.match(value):
                return value
    for match in _OUTLET_MARK.finditer(text):
        name = _OUTLET_BEFORE_MARK.search(text, max(match.start() - 14, 0), match.start())
        if name:
            return name.group(1)
    return None


def _is_free_label(text: str, start: int) -> bool:
    """Whether a label at start stands alone: after a non-Chinese character or a qualifier (文档来源)."""
    before = text[max(start - 2, 0) : start]
    return not before or not ("\u4e00" <= before[-1] <= "\u9fff") or before in OUTLET_LABEL_QUALIFIERS
