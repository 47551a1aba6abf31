"""URL canonicalisation: one spelling per page, so that "seen before" and "same host" mean something.

    canonicalize("HTTP://WWW.Jiangmen.gov.cn:80/a/./b/../c.html?utm_source=x#top", None)
        → "http://www.jiangmen.gov.cn/a/c.html"

What changes: the URL is resolved against `base`; scheme and host are lower-cased (an IDN host becomes
punycode, a trailing dot goes); default ports (80, 443), the fragment, `.`/`..` segments, tracking
parameters (utm_*, spm, from, share*, fbclid, gclid …), empty `&&` separators and an empty query go;
an empty path becomes "/". Percent-encoding is made consistent: escapes are upper-cased,
escaped unreserved characters (letters, digits, -._~) are unescaped, and anything else outside the
allowed set (Chinese characters, spaces) is encoded as UTF-8. What stays: path case, the order of the
remaining query parameters, existing escapes of other bytes (a GBK-encoded query stays GBK), userinfo.
URLs that are not http(s) (mailto:, javascript:) come back resolved and stripped but otherwise as given.

Hand-written with urllib.parse: w3lib's canonicalize_url sorts the query and keeps default ports, both
of which this module must not do.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import SplitResult, unquote, urljoin, urlsplit, urlunsplit

_HTTP_PORTS = {"http": 80, "https": 443}
_TRACKING_EXACT = frozenset(
    {
        "spm",
        "from",
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "isappinstalled",  # WeChat share links: ?from=singlemessage&isappinstalled=0
        "vd_source",
    }
)
_TRACKING_PREFIXES = ("utm_", "share")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_SUB_DELIMS = "!$&'()*+,;="
_PATH_SAFE = frozenset(_UNRESERVED | set(_SUB_DELIMS) | set(":@/"))
_QUERY_SAFE = frozenset(_PATH_SAFE | set("?"))
_HEX = frozenset("0123456789abcdefABCDEF")
_TAB_NEWLINE = re.compile(r"[\t\n\r]")


@lru_cache(maxsize=8192)  # a fetched URL is spelled out again at every step of its fetch: 6 calls a page
def canonicalize(url: str, base: str | None = None) -> str:
    """The canonical spelling of `url` (resolved against `base` when given)."""
    url = _TAB_NEWLINE.sub("", url.strip())
    if base:
        url = urljoin(_TAB_NEWLINE.sub("", base.strip()), url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _HTTP_PORTS:
        return url
    path = _normalize_escapes(_remove_dot_segments(parts.path) or "/", _PATH_SAFE)
    query = _clean_query(parts.query)
    return urlunsplit((scheme, _netloc(parts, scheme), path, query, ""))


@lru_cache(maxsize=8192)
def host_of(url: str) -> str:
    """The host a URL is served from, as politeness counts hosts: "host" or "host:port" (non-default)."""
    return urlsplit(canonicalize(url)).netloc.rpartition("@")[2]


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL: where its robots.txt lives."""
    parts = urlsplit(canonicalize(url))
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def is_http_url(url: str) -> bool:
    """True for an absolute http(s) URL with a host."""
    parts = urlsplit(url.strip())
    return parts.scheme.lower() in _HTTP_PORTS and bool(parts.hostname)


def _netloc(parts: SplitResult, scheme: str) -> str:
    host = (parts.hostname or "").rstrip(".")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            host = _normalize_escapes(host, _PATH_SAFE)
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # not a number: leave the netloc to fail at request time
        return parts.netloc.lower()
    netloc = host if port in (None, _HTTP_PORTS[scheme]) else f"{host}:{port}"
    userinfo, at, _ = parts.netloc.rpartition("@")
    return f"{userinfo}{at}{netloc}"


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4: "/a/./b/../c" → "/a/c"."""
    if "." not in path:
        return path
    output: list[str] = []
    segments = path.split("/")
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    result = "/".join(output)
    return result if result.startswith("/") or not path.startswith("/") else "/" + result


def _clean_query(query: str) -> str:
    kept = []
    for pair in query.split("&"):
        if not pair:
            continue
        key = unquote(pair.partition("=")[0]).strip().lower()
        if key in _TRACKING_EXACT or key.startswith(_TRACKING_PREFIXES):
            continue
        kept.append(_normalize_escapes(pair, _QUERY_SAFE))
    return "&".join(kept)


def _normalize_escapes(text: str, safe: frozenset[str]) -> str:
    """Upper-case escapes, unescape unreserved characters, escape (as UTF-8) what is not `safe`."""
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "%" and i + 2 < len(text) and text[i + 1] in _HEX and text[i + 2] in _HEX:
            decoded = chr(int(text[i + 1 : i + 3], 16))
            out.append(decoded if decoded in _UNRESERVED else "%" + text[i + 1 : i + 3].upper())
            i += 3
            continue
        if char in safe:
            out.append(char)
        else:
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))
        i += 1
    return "".join(out)
