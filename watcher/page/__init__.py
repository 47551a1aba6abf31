"""Documents → articles: HTML pages and plain-text files to title, date, outlet and main text."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from watcher.errors import InputError
from watcher.fetch.decode import decode_body
from watcher.models import Article
from watcher.page.html import parse_article
from watcher.page.text import article_from_text

__all__ = ["article_from_bytes", "article_from_text", "is_html", "parse_article"]

_HTML_SUFFIXES = frozenset({".html", ".htm", ".shtml", ".xhtml", ".jsp", ".php", ".asp", ".aspx"})
_TEXT_SUFFIXES = frozenset({".txt", ".text", ".md"})
_HTML_MARKERS = ("<!doctype html", "<html", "<head", "<body", "<meta", "<div", "<p>", "<p ", "<br")
_SNIFF_CHARS = 2048


def article_from_bytes(
    body: bytes, url: str, content_type: str | None = None, published: date | None = None
) -> Article:
    """Decode a document and read it as HTML or plain text; `published` overrides what the page says."""
    text = decode_body(body, content_type)
    if is_html(text, url, content_type):
        article = parse_article(text, url)
        if published is not None:
            article = dataclasses.replace(article, published=published)
    else:
        article = article_from_text(text, url, published)
    if not article.text.strip():
        raise InputError(f"no article text found in {url}")
    return article


def is_html(text: str, url: str = "", content_type: str | None = None) -> bool:
    """Whether a document is HTML: by its content type, else its file suffix, else its first bytes."""
    if content_type:
        kind = content_type.split(";", 1)[0].strip().lower()
        if "html" in kind or kind.endswith("xml"):
            return True
        if kind == "text/plain":
            return False
    suffix = PurePosixPath(urlsplit(url).path).suffix.lower()
    if suffix in _HTML_SUFFIXES:
        return True
    if suffix in _TEXT_SUFFIXES:
        return False
    head = text[:_SNIFF_CHARS].lower()
    return any(marker in head for marker in _HTML_MARKERS)
