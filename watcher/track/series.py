"""Facts → observations filed under series keys.

A value fact is filed under (canonical indicator, canonical subject, measure, kind) and a "when": its
period for actuals, its deadline for targets and forecasts. A milestone is filed under its canonical
project. Canonical names come from the lexicon (地区生产总值 = GDP, 规模以上工业增加值 = 规上工业增加值,
江门市 = 江门); project names keep 一期/二期 apart.
"""

from __future__ import annotations

import re

from watcher.extract.lexicon import Lexicon
from watcher.extract.text import normalize, simplified
from watcher.models import Evidence, Milestone, MilestoneObservation, Observation, SeriesKey, ValueFact

_PLACE_SUFFIX = re.compile(r"(?<=..)(?:市|区|县)$")
_PROJECT_NOISE = re.compile(r"[“”\"'「」《》\s]")


def canonical_indicator(name: str, lex: Lexicon) -> str:
    """The lexicon's name for the longest known spelling inside `name`; else `name` itself."""
    name = normalize(name)
    best = ""
    for m in lex.indicator_re.finditer(name):
        if len(m.group()) > len(best):
            best = m.group()
    if not best:
        return name
    canonical = lex.indicator_names[best]
    # a qualifying prefix or suffix stays (制造业中长期贷款余额 ≠ 贷款余额); an exact alias maps
    return canonical if name == best else name.replace(best, canonical)


def canonical_subject(name: str, lex: Lexicon) -> str:
    """江门市 = 江门; 蓬江区 = 蓬江; zone and project names as written."""
    name = normalize(name).strip()
    bare = _PLACE_SUFFIX.sub("", name)
    return bare if bare in lex.places else name


def canonical_project(name: str) -> str:
    """中创新航项目一期 stays apart from 中创新航项目二期; quotes and spaces do not count."""
    return _PROJECT_NOISE.sub("", normalize(name)).replace("（", "(").replace("）", ")")


def observe_value(fact: ValueFact, evidence: Evidence, lex: Lexicon) -> Observation:
    key = SeriesKey(
        canonical_indicator(fact.indicator, lex),
        canonical_subject(fact.subject, lex),
        fact.measure,
        fact.kind,
    )
    when = fact.period if fact.kind == "actual" else (fact.deadline or fact.period)
    unit = simplified(fact.unit)  # 個 and 个 are one unit
    return Observation(key, when, fact.value, unit, fact.qualifier, evidence, fact.raw)


def observe_milestone(fact: Milestone, evidence: Evidence) -> MilestoneObservation:
    return MilestoneObservation(
        canonical_project(fact.project), fact.project, fact.stage, fact.date, evidence
    )
