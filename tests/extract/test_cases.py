"""The extraction tables in tests/data/extract/*.yaml: one realistic sentence per case, its expected facts.

A case lists facts that must be found (only the fields it names are checked: indicator, subject and
project by containment, as the scorer does; everything else exactly), and may say `exact` (no other
value facts), `exact_milestones` (no other milestones) or `none` (nothing at all). `xfail: reason`
marks a known limitation (strict: it must fail). A case may give the article's `title`: the document
frame reads it with the first lines, and 该项目 refers to the project it names.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest
import yaml

from watcher.extract.text import normalize
from watcher.models import Article, Milestone, ValueFact

TABLES = sorted((Path(__file__).parent.parent / "data" / "extract").glob("*.yaml"))
CONTAINS = ("indicator", "subject", "project")


def _cases():
    for table in TABLES:
        for case in yaml.safe_load(table.read_text(encoding="utf-8")):
            marks = [pytest.mark.xfail(reason=case["xfail"], strict=True)] if case.get("xfail") else []
            yield pytest.param(case, id=f"{table.stem}:{case['id']}", marks=marks)


def _matches(fact, expected: dict) -> bool:
    for field, want in expected.items():
        got = getattr(fact, field, None)
        if field in CONTAINS:
            if want is None:
                if got:
                    return False
            elif normalize(str(want)) not in normalize(str(got or "")):
                return False
        elif field == "value":
            if not isinstance(got, float) or not math.isclose(got, float(want), rel_tol=1e-6, abs_tol=1e-9):
                return False
        elif (str(got) if got is not None else None) != (str(want) if want is not None else None):
            return False
    return True


def _describe(facts) -> str:
    rows = []
    for f in facts:
        if isinstance(f, ValueFact):
            rows.append(
                f"  value {f.indicator}|{f.subject}|{f.measure}|{f.kind}|{f.value:g}{f.unit}|"
                f"{f.qualifier}|{f.period}|{f.deadline}"
            )
        else:
            rows.append(f"  milestone {f.project}|{f.stage}|{f.date}")
    return "\n".join(rows) or "  (nothing)"


@pytest.mark.parametrize("case", list(_cases()))
def test_case(case, extractor):
    published = case.get("published", date(2023, 6, 30))
    article = Article(url="case", text=case["text"], title=case.get("title", ""), published=published)
    facts = extractor.extract(article, region=case.get("region", "江门"))
    values = [f for f in facts if isinstance(f, ValueFact)]
    milestones = [f for f in facts if isinstance(f, Milestone)]
    got = _describe(facts)
    if case.get("none"):
        assert not facts, f"expected nothing, got:\n{got}"
    for want in case.get("facts") or []:
        assert any(_matches(f, want) for f in values), f"missing {want}\ngot:\n{got}"
    for want in case.get("milestones") or []:
        assert any(_matches(f, want) for f in milestones), f"missing milestone {want}\ngot:\n{got}"
    if case.get("exact_milestones"):
        wanted = case.get("milestones") or []
        extra = [f for f in milestones if not any(_matches(f, w) for w in wanted)]
        assert not extra, f"unexpected milestones:\n{_describe(extra)}"
    if case.get("exact"):
        wanted = case.get("facts") or []
        extra = [f for f in values if not any(_matches(f, w) for w in wanted)]
        assert not extra, f"unexpected facts:\n{_describe(extra)}"
