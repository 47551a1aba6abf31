"""The extractor's vocabulary, compiled: what the hot loop reads.

`load_lexicon` (in `lexicon_files`) builds it from the TOML files in `config/lexicon/`. Everything
the extraction needs is precompiled once: alternation regexes (longest entry first) and plain sets for
the word-boundary walks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


def longest_first(words: list[str] | set[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Each word once, longest first, ties in code-point order: the order every matcher here needs."""
    return tuple(sorted(set(words), key=lambda w: (-len(w), w)))


def alternation(words: list[str] | set[str] | tuple[str, ...]) -> str:
    """A regex that matches any of the literal words, the longest at a position winning (so 同比增长
    wins over 增长), as `a|b|c` longest first would; written as a `trie`, which the regex engine tries
    one character at a time instead of one word at a time (the indicator, subject and cue lists are
    searched over every sentence)."""
    return trie([w for w in words if w])


def trie(words: list[str] | set[str] | tuple[str, ...]) -> str:
    """The same words as `alternation` (the longest at a position wins), written as a trie:
    将(?:于)?|计划|… is tried one character at a time instead of one word at a time, which matters
    for long lists searched over whole sentences."""
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}
    return _trie_pattern(tree)


def _trie_pattern(node: dict[str, Any]) -> str:
    branches = [re.escape(ch) + _trie_pattern(child) for ch, child in sorted(node.items()) if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return "(?:" + body + ")?" if "" in node else body


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one per loaded directory
class Lexicon:
    """Compiled vocabulary. Build it with `load_lexicon(directory)`."""

    indicator_names: dict[str, str]  # spelling → canonical name
    indicator_re: re.Pattern[str]
    region_words: frozenset[str]
    places: frozenset[str]
    subject_suffixes: tuple[str, ...]
    subject_re: re.Pattern[str]
    generic_words: tuple[str, ...]
    regions: tuple[str, ...]
    family_of: dict[str, str]  # subject suffix → the family it belongs to (itself when alone)
    not_subjects: frozenset[str]
    stage_of: dict[str, str]  # verb → stage
    stage_re: re.Pattern[str]
    project_suffix_re: re.Pattern[str]
    not_reached: tuple[str, ...]
    adverbs: tuple[str, ...]
    partial: tuple[str, ...]
    unless_past: tuple[str, ...]  # not reached, unless the clause reviews the past (全年推动…开工)
    past: tuple[str, ...]
    successive: tuple[str, ...]  # one after another (相继落户): background unless the paragraph is dated
    generic_names: tuple[str, ...]  # words that name no project (重点, 百亿, 一批 …)
    units: dict[str, tuple[str, float]]
    counters: frozenset[str]
    arabic_only: frozenset[str]
    unit_alternation: str
    target_cues: tuple[str, ...]
    forecast_cues: tuple[str, ...]
    not_cues: tuple[str, ...]
    weak_target_cues: tuple[str, ...]
    qualifier_before: dict[str, str]
    qualifier_after: dict[str, str]
    yoy: tuple[str, ...]
    yoy_negative: tuple[str, ...]
    not_yoy: tuple[str, ...]
    share: tuple[str, ...]
    progress: tuple[str, ...]
    rank_cues: tuple[str, ...]
    stop_words: frozenset[str]
    stop_ends: frozenset[str]  # last characters of the stop words: most positions are ruled out by one look
    stop_max: int
    after_stop: frozenset[str]
    keep_re: re.Pattern[str]
    vague: frozenset[str]
    threshold_nouns: frozenset[str]
    time_words: tuple[str, ...]
    genre_cues: tuple[tuple[str, tuple[str, ...]], ...]  # (genre, cues), in the order they are tried
    review_section_cues: tuple[str, ...]
    plan_section_cues: tuple[str, ...]
