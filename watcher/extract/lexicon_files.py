"""Reads the lexicon files of `config/lexicon/` into a `Lexicon`.

Users extend these files without touching code; a typo in a key is a `ConfigError` naming the file.
Kept apart from `lexicon` because it runs once and its pydantic models are not compiled (see setup.py).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from watcher.errors import ConfigError
from watcher.extract.lexicon import Lexicon, alternation, longest_first, trie
from watcher.models import STAGE_ORDER

_STRICT = ConfigDict(extra="forbid", frozen=True)


class IndicatorEntry(BaseModel):
    model_config = _STRICT
    name: str
    aliases: list[str] = []


class IndicatorsFile(BaseModel):
    model_config = _STRICT
    indicator: list[IndicatorEntry] = []


class SubjectsFile(BaseModel):
    model_config = _STRICT
    region_words: list[str]
    places: list[str] = []
    suffixes: list[str] = []
    generic_words: list[str] = []
    regions: list[str] = []
    families: list[list[str]] = []
    not_subjects: list[str] = []


class StagesFile(BaseModel):
    model_config = _STRICT
    verbs: dict[str, list[str]]
    project_suffixes: list[str]
    not_reached: list[str] = []
    adverbs: list[str] = []
    partial: list[str] = []
    not_reached_unless_past: list[str] = []
    past: list[str] = []
    successive: list[str] = []
    generic_names: list[str] = []


class UnitsFile(BaseModel):
    model_config = _STRICT
    units: dict[str, tuple[str, float]]
    counters: list[str]
    arabic_only: list[str] = []


class KindCues(BaseModel):
    model_config = _STRICT
    target: list[str]
    forecast: list[str]
    not_cue: list[str] = []
    weak_target: list[str] = []


class QualifierCues(BaseModel):
    model_config = _STRICT
    over: list[str]
    about: list[str]
    under: list[str]
    over_after: list[str]
    about_after: list[str]
    under_after: list[str]


class MeasureCues(BaseModel):
    model_config = _STRICT
    yoy: list[str]
    yoy_negative: list[str]
    share: list[str]
    progress: list[str]
    rank: list[str]
    not_yoy: list[str] = []


class WordLists(BaseModel):
    model_config = _STRICT
    stop: list[str]
    after_stop: list[str] = []
    keep: list[str] = []
    vague: list[str] = []
    time: list[str] = []


class CuesFile(BaseModel):
    model_config = _STRICT
    kind: KindCues
    qualifier: QualifierCues
    measure: MeasureCues
    words: WordLists


STAGES = STAGE_ORDER


def _read(path: Path, model: type[BaseModel]) -> Any:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: lexicon file missing") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ConfigError(f"{path}: {where}: {err['msg']}") from exc


def load_lexicon(directory: Path) -> Lexicon:
    """Read and compile the five lexicon files of `directory`."""
    ind = _read(directory / "indicators.toml", IndicatorsFile)
    subj = _read(directory / "subjects.toml", SubjectsFile)
    stages = _read(directory / "stages.toml", StagesFile)
    units = _read(directory / "units.toml", UnitsFile)
    cues = _read(directory / "cues.toml", CuesFile)

    unknown = set(stages.verbs) - set(STAGES)
    if unknown:
        raise ConfigError(f"{directory / 'stages.toml'}: verbs: unknown stage {sorted(unknown)[0]!r}")
    names: dict[str, str] = {}
    for entry in ind.indicator:
        for spelling in (entry.name, *entry.aliases):
            names[spelling] = entry.name
    stage_of = {verb: stage for stage, verbs in stages.verbs.items() for verb in verbs}
    q = cues.qualifier
    unit_words = list(units.units) + list(units.counters)
    return Lexicon(
        indicator_names=names,
        indicator_re=re.compile(alternation(list(names))),
        region_words=frozenset(subj.region_words),
        places=frozenset(subj.places),
        subject_suffixes=longest_first(subj.suffixes),
        subject_re=re.compile(alternation(subj.region_words + subj.places + subj.suffixes)),
        generic_words=longest_first(subj.generic_words),
        regions=longest_first(subj.regions),
        family_of={s: fam[0] for fam in subj.families for s in fam},
        not_subjects=frozenset(subj.not_subjects),
        stage_of=stage_of,
        stage_re=re.compile(trie(list(stage_of))),
        project_suffix_re=re.compile(
            r"(?:" + trie(stages.project_suffixes) + r")(?:[一二三四五六七八九]期)?(?:工程)?"
            r"(?:[(（][^()（）]{1,10}[)）])?$"
        ),
        not_reached=longest_first(stages.not_reached),
        adverbs=longest_first(stages.adverbs),
        partial=tuple(stages.partial),
        unless_past=longest_first(stages.not_reached_unless_past),
        past=longest_first(stages.past),
        successive=tuple(stages.successive),
        generic_names=longest_first(stages.generic_names),
        units=dict(units.units),
        counters=frozenset(units.counters),
        arabic_only=frozenset(units.arabic_only),
        unit_alternation=alternation(unit_words),
        target_cues=longest_first(cues.kind.target),
        forecast_cues=longest_first(cues.kind.forecast),
        not_cues=longest_first(cues.kind.not_cue),
        weak_target_cues=longest_first(cues.kind.weak_target),
        qualifier_before={w: s for s, ws in ((">", q.over), ("~", q.about), ("<", q.under)) for w in ws},
        qualifier_after={
            w: s for s, ws in ((">", q.over_after), ("~", q.about_after), ("<", q.under_after)) for w in ws
        },
        yoy=longest_first(cues.measure.yoy),
        yoy_negative=longest_first(cues.measure.yoy_negative),
        not_yoy=longest_first(cues.measure.not_yoy),
        share=longest_first(cues.measure.share),
        progress=longest_first(cues.measure.progress),
        rank_cues=longest_first(cues.measure.rank),
        stop_words=frozenset(cues.words.stop + cues.words.time),
        stop_ends=frozenset(w[-1] for w in cues.words.stop + cues.words.time if w),
        stop_max=max(len(w) for w in cues.words.stop + cues.words.time + cues.words.after_stop),
        after_stop=frozenset(cues.words.after_stop),
        keep_re=re.compile(alternation(cues.words.keep) or "(?!)"),
        vague=frozenset(cues.words.vague),
        time_words=longest_first(cues.words.time),
    )
