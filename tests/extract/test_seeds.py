"""Regression floor: the extraction score on the five seed articles in ../shared (skipped without them).

The bars are the issue's: values F1 >= 0.90, facts fully right >= 0.75, milestones F1 >= 0.80. The same
score runs on our own held-out dev set in tests/data/dev, which has no other use than this check, and
on the shared real-text dev set (../shared/eval/dev: 42 articles, each with its date and region).
"""

from __future__ import annotations

import importlib.util
import json
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import DATA, SHARED
from watcher.cli import read_article
from watcher.models import fact_to_dict

BARS = {"values_f1": 0.90, "facts_fully_right": 0.75, "milestones_f1": 0.80}


def _scorer():
    path = SHARED / "eval" / "score.py"
    if not path.exists():
        pytest.skip(f"{path} not found: the shared evaluation material is not beside this checkout")
    spec = importlib.util.spec_from_file_location("score", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _predict(extractor, docs: list[Path]) -> list[dict]:
    rows = []
    for doc in docs:
        article = read_article(str(doc), None)
        rows.extend(
            json.loads(json.dumps(fact_to_dict(f, str(doc)), ensure_ascii=False))
            for f in extractor.extract(article, "江门")
        )
    return rows


def _summary(extractor, docs: list[Path], gold: Path) -> dict:
    score = _scorer()
    summary, _ = score.score(score.load(gold), _predict(extractor, docs))
    return {
        "values_f1": summary["values"]["f1"],
        "facts_fully_right": summary["facts_fully_right"],
        "milestones_f1": summary["milestones"]["f1"],
    }


@pytest.mark.parametrize("corpus", ["seeds", "dev"])
def test_score_meets_the_bars(extractor, corpus):
    if corpus == "seeds":
        docs, gold = sorted((SHARED / "seeds").glob("*.txt")), SHARED / "eval" / "gold" / "seeds.jsonl"
    else:
        docs, gold = sorted((DATA / "dev").glob("*.txt")), DATA / "dev" / "gold.jsonl"
    if not docs:
        pytest.skip(f"no documents for {corpus}")
    got = _summary(extractor, docs, gold)
    low = {k: v for k, v in got.items() if v < BARS[k]}
    assert not low, f"{corpus}: below the bar: {low} (all: {got})"


# The shared dev set's floor: issue 10's bars (values F1 >= 0.95, facts fully right >= 0.80; milestones
# F1 >= 0.85 in test_dev_milestones.py), a little under what the extractor reaches today (0.982, 0.843).
SHARED_DEV_FLOOR = {"values_f1": 0.95, "facts_fully_right": 0.80}


def _read_tsv(path: Path) -> dict[str, str]:
    rows = (line.split("\t") for line in path.read_text(encoding="utf-8").splitlines())
    return {r[0]: r[1].strip() for r in rows if len(r) >= 2 and r[1].strip()}


def _shared_dev_predictions(extractor, folder: Path) -> list[dict]:
    dates, regions = _read_tsv(folder / "dates.tsv"), _read_tsv(folder / "regions.tsv")
    rows = []
    for doc in sorted((folder / "texts").glob("*.txt")):
        day = dates.get(doc.stem, "")
        published = date.fromisoformat(day + "-15" if len(day) == 7 else day) if day else None
        article = read_article(str(doc), published)
        facts = extractor.extract(article, regions.get(doc.stem, "江门"))
        rows.extend(json.loads(json.dumps(fact_to_dict(f, str(doc)), ensure_ascii=False)) for f in facts)
    return rows


def test_shared_dev_set_floor(extractor):
    folder = SHARED / "eval" / "dev"
    if not (folder / "gold.jsonl").exists():
        pytest.skip(f"{folder} not found: the shared evaluation material is not beside this checkout")
    score = _scorer()
    summary, _ = score.score(score.load(folder / "gold.jsonl"), _shared_dev_predictions(extractor, folder))
    got = {"values_f1": summary["values"]["f1"], "facts_fully_right": summary["facts_fully_right"]}
    low = {k: v for k, v in got.items() if v < SHARED_DEV_FLOOR[k]}
    assert not low, f"shared dev set: below the floor: {low} (all: {got})"
