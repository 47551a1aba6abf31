"""Fingerprints without a database: content hashes, SimHash distances, band keys, the figures guard."""

from __future__ import annotations

import random
import re

import pytest

from tests.store.conftest import dev_text
from watcher.store import neardup

DEV = ["001", "002", "003", "004", "005", "006", "007", "008"]


def body(text: str) -> str:
    """The dev files start with their site's furniture (breadcrumbs, date line): what a caller removes."""
    return "\n".join(text.splitlines()[3:])


def repost(text: str) -> str:
    """The same report on another site: its own furniture, ASCII punctuation, other line breaks."""
    tweaked = text.replace("，", ",").replace("：", ":").replace("。\n", "。")
    return "本文转自:南方日报\n" + "  ".join(tweaked.split()) + "\n(责任编辑:张三)来源:南方+客户端"


def renumbered(text: str) -> str:
    """The next month's issue of a templated report: every figure different."""
    return re.sub(r"\d+", lambda m: str(int(m.group()) * 3 + 1), text)


def sig(text: str) -> int:
    value = neardup.signature(text)
    assert value is not None
    return value


def test_content_hash_ignores_whitespace_only() -> None:
    assert neardup.content_hash("全市 生产总值\n增长5%") == neardup.content_hash(
        "全市\u3000生产总值 增长5%  "
    )
    assert neardup.content_hash("增长5%") != neardup.content_hash("增长6%")


@pytest.mark.parametrize("doc", DEV)
def test_reposts_are_near(doc: str) -> None:
    original = body(dev_text(doc))
    assert neardup.is_near(sig(original), sig(repost(original)))
    assert neardup.is_near(sig(dev_text(doc)), sig(original))  # furniture left on one copy
    assert neardup.has_same_figures(original, repost(original))


def test_different_articles_are_far() -> None:
    sigs = {doc: sig(body(dev_text(doc))) for doc in DEV}
    closest = min(neardup.distance(sigs[a], sigs[b]) for a in DEV for b in DEV if a < b)
    assert closest > 2 * neardup.MAX_DISTANCE


@pytest.mark.parametrize("doc", ["001", "002", "005"])
def test_a_new_issue_of_a_templated_report_has_other_figures(doc: str) -> None:
    text = body(dev_text(doc))
    assert not neardup.has_same_figures(text, renumbered(text))


def test_short_texts_get_no_signature() -> None:
    assert neardup.signature("江门新闻") is None
    assert neardup.signature("，。 " * 200) is None


def test_figures_ignore_thousands_separators_and_width() -> None:
    assert neardup.figures("增加值1,146.52亿元，增长５.２%") == {"1146.52", "5.2"}
    assert neardup.has_same_figures("无数字", "1 2 3 4")  # too few figures to tell


def test_signed_storage_roundtrip() -> None:
    for value in (0, 1, 2**63 - 1, 2**63, 2**64 - 1):
        signed = neardup.to_signed(value)
        assert -(2**63) <= signed < 2**63
        assert neardup.to_unsigned(signed) == value


def test_signatures_within_the_threshold_are_found_by_the_probes() -> None:
    rnd = random.Random(7)
    for _ in range(2000):
        a = rnd.getrandbits(64)
        flips = rnd.sample(range(64), rnd.randint(0, neardup.MAX_DISTANCE))
        b = a
        for bit in flips:
            b ^= 1 << bit
        assert set(neardup.probe_keys(a)) & set(neardup.band_keys(b))
    assert neardup.MAX_DISTANCE == 7
    assert len(set(neardup.band_keys(rnd.getrandbits(64)))) == neardup.BANDS
    assert len(set(neardup.probe_keys(rnd.getrandbits(64)))) == neardup.BANDS * 17


def test_a_probe_matches_a_small_share_of_random_signatures() -> None:
    rnd = random.Random(3)
    probes = set(neardup.probe_keys(rnd.getrandbits(64)))
    hits = sum(bool(probes & set(neardup.band_keys(rnd.getrandbits(64)))) for _ in range(20_000))
    assert hits < 20_000 * 68 / 65536 * 2  # ≈ 0.1% of the store, where 8 bands of 8 bits matched 3%
