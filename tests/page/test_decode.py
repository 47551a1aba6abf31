"""decode_body: declared charsets first, wrong ones fall through, detection last."""

from __future__ import annotations

import codecs
import random
from pathlib import Path

import charset_normalizer
import pytest

from watcher.errors import DecodeError
from watcher.fetch import decode
from watcher.fetch.decode import decode_body, normalize_charset

PAGES = Path(__file__).resolve().parent.parent / "data" / "pages"
GBK_PAGE = (PAGES / "gov_gbk.html").read_bytes()  # <meta charset=gb2312>, GBK-only 喆, GB18030-only —
GBK_NO_META = (PAGES / "gov_gbk_nometa.html").read_bytes()
BIG5_PAGE = (PAGES / "traditional_big5.html").read_bytes()
UTF8_TEXT = "江门大型产业集聚区规上工业总产值2740.45亿元，增长明显。"


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        pytest.param(GBK_PAGE, None, "负责人张喆介绍", id="gbk-meta-gb2312"),
        pytest.param(GBK_PAGE, "text/html; charset=utf-8", "负责人张喆介绍", id="gbk-wrong-utf8-header"),
        pytest.param(GBK_PAGE, "text/html; charset=ISO-8859-1", "今年1—10月", id="gbk-latin1-header"),
        pytest.param(GBK_PAGE, "text/html; charset=GBK", "今年1—10月", id="gbk-right-header"),
        pytest.param(GBK_PAGE, "text/html; charset=x-unheard-of", "张喆", id="gbk-unknown-header"),
        pytest.param(GBK_NO_META, None, "负责人张喆介绍", id="gbk-no-meta-detected"),
        pytest.param(GBK_NO_META, "text/html; charset=utf-8", "张喆", id="gbk-no-meta-wrong-header"),
        pytest.param(BIG5_PAGE, None, "江門八鎮聯動發展", id="big5-meta"),
        pytest.param(UTF8_TEXT.encode(), "text/plain; charset=gbk", UTF8_TEXT, id="utf8-wrong-gbk-header"),
        pytest.param(UTF8_TEXT.encode(), None, UTF8_TEXT, id="utf8-undeclared"),
        pytest.param(
            codecs.BOM_UTF8 + UTF8_TEXT.encode(), "text/plain; charset=gbk", UTF8_TEXT, id="utf8-bom"
        ),
        pytest.param(codecs.BOM_UTF16_LE + UTF8_TEXT.encode("utf-16-le"), None, UTF8_TEXT, id="utf16-bom"),
        pytest.param(
            b'<?xml version="1.0" encoding="GBK"?><rss>' + UTF8_TEXT.encode("gbk") + b"</rss>",
            None,
            UTF8_TEXT,
            id="xml-declaration",
        ),
        pytest.param(
            b'<meta charset="gb_2312-80">' + "喆".encode("gbk"), None, "喆", id="gb_2312-80-label-as-gb18030"
        ),
        pytest.param(
            b"plain ascii", "text/html; charset=iso-8859-1", "plain ascii", id="ascii-latin1-header"
        ),
        pytest.param(b"", "text/html; charset=gbk", "", id="empty"),
    ],
)
def test_decode_body(body: bytes, content_type: str | None, expected: str) -> None:
    text = decode_body(body, content_type)
    assert expected in text
    assert "\ufffd" not in text
    assert not text.startswith("\ufeff")


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("gb2312", "gb18030"),
        ("GBK", "gb18030"),
        ("gb_2312-80", "gb18030"),
        ("x-gbk", "gb18030"),
        ("cp936", "gb18030"),
        ("GB18030", "gb18030"),
        ("big5", "big5hkscs"),
        ("UTF8", "utf-8"),
        ('"utf-8"', "utf-8"),
        ("latin1", "iso8859-1"),
        ("x-nonsense", None),
    ],
)
def test_normalize_charset(label: str, codec: str | None) -> None:
    assert normalize_charset(label) == codec


def test_declared_charset_skips_detection(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_detection(*args: object, **kwargs: object) -> None:
        raise AssertionError("detection ran although the page declares its charset")

    monkeypatch.setattr(charset_normalizer, "from_bytes", no_detection)
    assert "张喆" in decode_body(GBK_PAGE, "text/html; charset=utf-8")


def test_undeclared_page_uses_detection(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = charset_normalizer.from_bytes

    def counting(body: bytes) -> charset_normalizer.CharsetMatches:
        calls.append(len(body))
        return real(body)

    monkeypatch.setattr(decode.charset_normalizer, "from_bytes", counting)
    assert "张喆" in decode_body(GBK_NO_META)
    assert calls == [len(GBK_NO_META)]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(random.Random(7).randbytes(4000), id="random-bytes"),
        pytest.param(b"%PDF-1.4\n" + random.Random(8).randbytes(4000), id="pdf-like"),
    ],
)
def test_binary_raises_decode_error(body: bytes) -> None:
    with pytest.raises(DecodeError, match=r"\S"):
        decode_body(body)


def test_decode_error_is_one_line() -> None:
    with pytest.raises(DecodeError) as caught:
        decode_body(random.Random(7).randbytes(4000))
    assert "\n" not in str(caught.value)
