"""Values and changes in words people read, in Chinese and English: 超1600亿元, 1—10月, 上调 / raised.

The bottom layer beside `models`: the tracker writes change summaries with it, the notifiers, views and
digests show values, stages and change kinds with it.
"""

from __future__ import annotations

import re

from watcher.models import SeriesKey

_QUAL_ZH = {"=": "", ">": "超", "~": "约", "<": "不到"}
_QUAL_EN = {"=": "", ">": "over ", "~": "about ", "<": "under "}
_STAGE_ZH = {
    "signed": "签约",
    "landed": "落户",
    "land_acquired": "摘牌",
    "started": "开工",
    "under_construction": "在建",
    "topped_out": "封顶",
    "completed": "竣工",
    "operational": "投产/启用",
}
_STAGE_EN = {
    "signed": "signed",
    "landed": "landed",
    "land_acquired": "land acquired",
    "started": "started",
    "under_construction": "under construction",
    "topped_out": "topped out",
    "completed": "completed",
    "operational": "in operation",
}
_MEASURE_ZH = {"level": "", "yoy": "增速", "share": "占比", "progress": "完成进度", "rank": "排名"}
_MEASURE_EN = {"level": "", "yoy": " growth", "share": " share", "progress": " progress", "rank": " rank"}
KIND_ZH = {
    "target_set": "设定目标",
    "target_changed": "目标调整",
    "forecast_revised": "预计修正",
    "progress_reported": "进度",
    "milestone_reached": "项目节点",
    "milestone_date_changed": "节点日期变化",
    "milestone_regressed": "进度存疑",
    "figure_conflict": "数据不一致",
    "new_actual": "新数据",
    "figure_revised": "数据修订",
    "target_met": "目标实现",
    "target_missed": "目标未实现",
    "source_failing": "来源失败",
    "source_quiet": "来源沉寂",
    "source_recovered": "来源恢复",
}
_MONTHS = re.compile(r"^(\d{4})-(\d{2})/(\d{4})-(\d{2})$")


def number(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


def amount(value: float, unit: str) -> str:
    """274045000000 元 → 2740.45亿元; 110000 个 → 11万个; 5.5 % → 5.5%."""
    if unit in ("元", "美元", "港元", "欧元") and abs(value) >= 1e8:
        return f"{number(value / 1e8)}亿{unit}"
    if unit in ("元", "美元", "港元", "欧元") and abs(value) >= 1e4:
        return f"{number(value / 1e4)}万{unit}"
    if unit not in ("%", "个百分点", "‰", "位") and abs(value) >= 1e5:
        return f"{number(value / 1e4)}万{unit}"
    if unit == "位":
        return f"第{number(value)}位"
    return f"{number(value)}{unit}"


def quantity_zh(value: float, unit: str, qualifier: str) -> str:
    return _QUAL_ZH.get(qualifier, "") + amount(value, unit)


def quantity_en(value: float, unit: str, qualifier: str) -> str:
    return _QUAL_EN.get(qualifier, "") + amount(value, unit)


def period_zh(when: str | None) -> str:
    """2022-01/2022-10 → 2022年1—10月; 2021/2025 → 2021—2025年; 2023 → 2023年."""
    if not when:
        return ""
    m = _MONTHS.match(when)
    if m and m.group(1) == m.group(3):
        return f"{m.group(1)}年{int(m.group(2))}—{int(m.group(4))}月"
    if re.fullmatch(r"\d{4}-\d{2}", when):
        return f"{when[:4]}年{int(when[5:])}月"
    if re.fullmatch(r"\d{4}/\d{4}", when):
        return f"{when[:4]}—{when[5:]}年"
    return f"{when}年" if re.fullmatch(r"\d{4}", when) else when


def stage_zh(stage: str) -> str:
    return _STAGE_ZH.get(stage, stage)


def stage_en(stage: str) -> str:
    return _STAGE_EN.get(stage, stage)


def direction(old: float, new: float) -> tuple[str, str]:
    """(上调, raised) / (下调, lowered) / (调整, changed)."""
    if new > old:
        return "上调", "raised"
    if new < old:
        return "下调", "lowered"
    return "调整", "changed"


def label_zh(key: SeriesKey) -> str:
    return f"{key.subject} {key.indicator}{_MEASURE_ZH.get(key.measure, '')}"


def label_en(key: SeriesKey) -> str:
    return f"{key.subject} {key.indicator}{_MEASURE_EN.get(key.measure, '')}"


def kind_zh(kind: str) -> str:
    """target_changed → 目标调整 (the kind itself when it has no Chinese name)."""
    return KIND_ZH.get(kind, kind)
