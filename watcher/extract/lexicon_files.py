"""Reads the bundled lexicon files (`config/lexicon/`), extended by a user's `lexicon_dir`, into a `Lexicon`.

Users extend these files without touching code: a user's folder may hold any of the six files, whose
word lists and tables are added to the bundled ones (or, with `lexicon_mode = "replace"`, all six
files, used alone). A typo in a key is a `ConfigError` naming the file.
Kept apart from `lexicon` because it runs once and its pydantic models are not compiled (see setup.py).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
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
    threshold: list[str] = []


class GenreCues(BaseModel):
    model_config = _STRICT
    work_report: list[str]
    bulletin: list[str]
    plan: list[str]


class SectionCues(BaseModel):
    model_config = _STRICT
    review: list[str]
    plan: list[str]


class DocumentsFile(BaseModel):
    model_config = _STRICT
    genre: GenreCues
    section: SectionCues


class CuesFile(BaseModel):
    model_config = _STRICT
    kind: KindCues
    qualifier: QualifierCues
    measure: MeasureCues
    words: WordLists


STAGES = STAGE_ORDER


def _verbs(path: Path) -> dict[str, Any]:
    return dict(_toml(path).get("verbs", {})) if path.exists() else {}


FILES: dict[str, type[BaseModel]] = {
    "indicators.toml": IndicatorsFile,
    "subjects.toml": SubjectsFile,
    "stages.toml": StagesFile,
    "units.toml": UnitsFile,
    "cues.toml": CuesFile,
    "documents.toml": DocumentsFile,
}
_REPLACED = {"units"}  # tables whose entries a later folder replaces (万元 = ["元", 1e4]) instead of extends


def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: lexicon file missing") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


def extend(base: Any, more: Any, *, replace: bool = False) -> Any:
    """`more` laid over `base`: tables merge key by key, lists grow (no repeats), the rest is replaced."""
    if isinstance(base, dict) and isinstance(more, dict) and not replace:
        merged = dict(base)
        for key, value in more.items():
            merged[key] = extend(base[key], value, replace=key in _REPLACED) if key in base else value
        return merged
    if isinstance(base, list) and isinstance(more, list) and not replace:
        return base + [item for item in more if item not in base]
    if isinstance(base, dict) and isinstance(more, dict):  # a replaced table: its entries are replaced
        return base | more
    return more


def _read(directories: Sequence[Path], name: str) -> Any:
    """One lexicon file: the first folder's, extended by the same file in each later folder that has it."""
    layers = [(directories[0] / name, _toml(directories[0] / name))]
    layers += [(d / name, _toml(d / name)) for d in directories[1:] if (d / name).exists()]
    data: Any = {}
    for _, layer in layers:
        data = extend(data, layer)
    try:
        return FILES[name].model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        key = err["loc"][0] if err["loc"] else None
        culprit = next((path for path, layer in reversed(layers) if key in layer), layers[0][0])
        raise ConfigError(f"{culprit}: {where}: {err['msg']}") from exc


def lexicon_files(directories: Sequence[Path]) -> list[Path]:
    """The files `load_lexicon(*directories)` reads, in order (for `watcher check-config`)."""
    if not directories:
        raise ConfigError("no lexicon folder given")
    for extra in directories[1:]:
        if not extra.is_dir():
            raise ConfigError(f"{extra}: lexicon_dir is not a folder")
        if not any((extra / name).exists() for name in FILES):
            raise ConfigError(f"{extra}: lexicon_dir holds none of {', '.join(FILES)}")
    return [d / name for d in directories for name in FILES if d == directories[0] or (d / name).exists()]


def load_lexicon(*directories: Path) -> Lexicon:
    """Read and compile the six lexicon files of the first folder, each extended by later folders.

    The first folder must hold all six files; a later one (a user's `lexicon_dir`) any of them.
    """
    lexicon_files(directories)
    ind = _read(directories, "indicators.toml")
    subj = _read(directories, "subjects.toml")
    stages = _read(directories, "stages.toml")
    units = _read(directories, "units.toml")
    cues = _read(directories, "cues.toml")
    docs = _read(directories, "documents.toml")

    unknown = set(stages.verbs) - set(STAGES)
    if unknown:
        stage = sorted(unknown)[0]
        culprit = next(d for d in reversed(directories) if stage in _verbs(d / "stages.toml"))
        raise ConfigError(f"{culprit / 'stages.toml'}: verbs: unknown stage {stage!r}")
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
        threshold_nouns=frozenset(cues.words.threshold),
        time_words=longest_first(cues.words.time),
        genre_cues=(
            ("work_report", longest_first(docs.genre.work_report)),
            ("bulletin", longest_first(docs.genre.bulletin)),
            ("plan", longest_first(docs.genre.plan)),
        ),
        review_section_cues=longest_first(docs.section.review),
        plan_section_cues=longest_first(docs.section.plan),
    )
