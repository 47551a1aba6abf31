"""parse_article on saved-page shapes of real Chinese sites (tests/data/pages/sites.yaml): the issue-11 bars.

Each page: the headline exact, the publication date exact (or none where the page gives none: a wrong
date is worse than no date), and the body's character F1 against the page's own article paragraphs.
Over the set: body F1, title exact and date found each >= 0.95, no date wrong.

    .venv/bin/python -m tests.page.test_sites            # the table for watcher
    .venv/bin/python -m tests.page.test_sites --peers    # and trafilatura (the `bench` extra)
"""

from __future__ import annotations

import argparse
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from selectolax.lexbor import LexborHTMLParser

from watcher.fetch.decode import decode_body
from watcher.page import article_from_bytes

PAGES = Path(__file__).resolve().parent.parent / "data" / "pages"
CASES: list[dict[str, Any]] = yaml.safe_load((PAGES / "sites.yaml").read_text(encoding="utf-8"))
BAR = 0.95
PAGE_F1_FLOOR = 0.85  # any one page; the mean carries the bar

# A reader: page bytes and URL → title, date, body text.
Reader = Callable[[bytes, str], tuple[str, date | None, str]]


@dataclass(frozen=True)
class Score:
    body_f1: float
    title_exact: float
    date_found: float  # of the pages that give a date
    date_wrong: int  # pages where a date was found and is not the page's (or the page gives none)


def gold_body(case: dict[str, Any]) -> str:
    """The article text of a page: its paragraphs (the case's selector) without the dropped phrases."""
    html = decode_body((PAGES / case["file"]).read_bytes())
    nodes = LexborHTMLParser(html).css(case["body"])
    text = "\n".join(node.text(separator="") for node in nodes)
    for phrase in case.get("drop", ()):
        text = text.replace(phrase, "")
    return text


def body_f1(found: str, gold: str) -> float:
    """F1 of the characters of two texts (multisets, whitespace ignored), as Chinese text is scored."""
    found_chars, gold_chars = Counter("".join(found.split())), Counter("".join(gold.split()))
    common = sum((found_chars & gold_chars).values())
    if not common:
        return 0.0
    precision, recall = common / sum(found_chars.values()), common / sum(gold_chars.values())
    return 2 * precision * recall / (precision + recall)


def read_watcher(body: bytes, url: str) -> tuple[str, date | None, str]:
    article = article_from_bytes(body, url)
    return article.title, article.published, article.text


def score(reader: Reader) -> tuple[Score, list[tuple[str, float, bool, str]]]:
    """The set's scores for one reader, and per page: file, body F1, title exact, date verdict."""
    rows: list[tuple[str, float, bool, str]] = []
    for case in CASES:
        title, published, text = reader((PAGES / case["file"]).read_bytes(), case["url"])
        expected = case["published"]
        if published is None:
            verdict = "ok" if expected is None else "missed"
        else:
            verdict = "ok" if published == expected else f"wrong {published}"
        rows.append((case["file"], body_f1(text, gold_body(case)), title == case["title"], verdict))
    dated = [row for row, case in zip(rows, CASES, strict=True) if case["published"] is not None]
    return (
        Score(
            body_f1=statistics.mean(row[1] for row in rows),
            title_exact=sum(row[2] for row in rows) / len(rows),
            date_found=sum(row[3] == "ok" for row in dated) / len(dated),
            date_wrong=sum(row[3].startswith("wrong") for row in rows),
        ),
        rows,
    )


@pytest.mark.parametrize("case", CASES, ids=[Path(case["file"]).stem for case in CASES])
def test_site_page(case: dict[str, Any]) -> None:
    title, published, text = read_watcher((PAGES / case["file"]).read_bytes(), case["url"])
    assert title == case["title"]
    assert published == case["published"]
    assert body_f1(text, gold_body(case)) >= PAGE_F1_FLOOR


def test_site_pages_meet_the_bars() -> None:
    result, _ = score(read_watcher)
    assert result.body_f1 >= BAR
    assert result.title_exact >= BAR
    assert result.date_found >= BAR
    assert result.date_wrong == 0


def test_gold_bodies_are_found() -> None:
    """Every case's selector finds its article: a broken selector must not score as an empty gold."""
    for case in CASES:
        assert len(gold_body(case)) >= 80, case["file"]


def test_body_f1() -> None:
    assert body_f1("江门 新闻", "江门新闻") == 1.0
    assert body_f1("", "江门") == 0.0
    assert body_f1("江门", "江门新闻") == pytest.approx(2 * 1.0 * 0.5 / 1.5)


def _read_trafilatura(body: bytes, url: str) -> tuple[str, date | None, str]:
    import trafilatura  # the `bench` extra

    document = trafilatura.bare_extraction(decode_body(body), url=url, with_metadata=True)
    if document is None:
        return "", None, ""
    found = document.date
    return document.title or "", date.fromisoformat(found[:10]) if found else None, document.text or ""


def main() -> None:
    parser = argparse.ArgumentParser(description="Scores on the page shapes of tests/data/pages/sites.yaml")
    parser.add_argument("--peers", action="store_true", help="score trafilatura too")
    readers: dict[str, Reader] = {"watcher": read_watcher}
    if parser.parse_args().peers:
        readers["trafilatura"] = _read_trafilatura
    for name, reader in readers.items():
        result, rows = score(reader)
        print(f"== {name}")
        for file, f1, title_ok, verdict in rows:
            print(f"  {file:34} F1 {f1:.3f}  title {'ok' if title_ok else 'WRONG'}  date {verdict}")
        print(
            f"  body F1 {result.body_f1:.3f}  title exact {result.title_exact:.3f}  "
            f"date found {result.date_found:.3f}  date wrong {result.date_wrong}  ({len(rows)} pages)"
        )


if __name__ == "__main__":
    main()
