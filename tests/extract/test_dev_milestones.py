"""Regression floor for milestones on the real-text dev set in ../shared/eval/dev (skipped without it).

Each text is read as `run_eval.py` reads it (its publication date and region from the set's TSV files)
and scored with the set's own scorer. The bar is the issue's: milestones F1 >= 0.85.
"""

from __future__ import annotations

import importlib.util
import json
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import SHARED
from watcher.cli import read_article
from watcher.models import Milestone, fact_to_dict

DEV = SHARED / "eval" / "dev"
BAR = 0.85


def _tsv(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    rows = (line.split("\t") for line in path.read_text(encoding="utf-8").splitlines())
    return {r[0]: r[1].strip() for r in rows if len(r) >= 2 and r[1].strip()}


def _published(text: str) -> date | None:
    if len(text) == 7:  # a month: the middle of it, as run_eval.py does
        text += "-15"
    return date.fromisoformat(text) if text else None


def test_dev_milestones_meet_the_bar(extractor):
    score_py = SHARED / "eval" / "score.py"
    docs = sorted((DEV / "texts").glob("*.txt"))
    if not score_py.exists() or not docs:
        pytest.skip(f"{DEV} not found: the shared evaluation material is not beside this checkout")
    spec = importlib.util.spec_from_file_location("score", score_py)
    score = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(score)
    dates, regions = _tsv(DEV / "dates.tsv"), _tsv(DEV / "regions.tsv")
    rows = []
    for doc in docs:
        article = read_article(str(doc), _published(dates.get(doc.stem, "")))
        facts = extractor.extract(article, regions.get(doc.stem, "江门"))
        rows.extend(
            json.loads(json.dumps(fact_to_dict(f, str(doc)))) for f in facts if isinstance(f, Milestone)
        )
    summary, _ = score.score(score.load(DEV / "gold.jsonl"), rows)
    got = summary["milestones"]
    assert got["f1"] >= BAR, f"dev milestones below the bar: {got}"
