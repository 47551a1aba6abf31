"""Secrets kept out of messages and logs: URLs that carry tokens, shown without them.

    redact_url(url) → str          https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…
    redact(text) → str              every URL inside a text (an error message, a library's log line)
    urls_from_env(env, name) → [url] | problem    chat-robot URLs kept in an environment variable

A URL is shown with its scheme, host, port and path, minus: the user and password, every query value,
the fragment, and any path segment that looks like a token (16 or more letters, digits, - and _, with a
digit in it, as robot keys and webhook paths are). Apprise URLs (`wecombot://KEY`, `dingtalk://TOKEN`)
keep only their scheme: all they hold after it is the token.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>)\]]+", re.IGNORECASE)
_TOKENISH = re.compile(r"^(?=.*\d)[A-Za-z0-9_\-]{16,}$")
_HTTP = ("http", "https")


def redact_url(url: str) -> str:
    """The URL as it may be shown in an error or a log line (see the module docstring)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url.split("://", 1)[0] + "://…" if "://" in url else "…"
    if parts.scheme.lower() not in _HTTP:
        return f"{parts.scheme}://…"
    host = (parts.hostname or "") + (f":{port}" if port else "")
    path = "/".join("…" if _TOKENISH.match(segment) else segment for segment in parts.path.split("/"))
    query = "&".join(f"{pair.split('=', 1)[0]}=…" for pair in parts.query.split("&") if pair)
    return f"{parts.scheme}://{host}{path}" + (f"?{query}" if query else "")


def redact(text: str) -> str:
    """Every URL in `text` redacted."""
    return _URL.sub(lambda m: redact_url(m.group()), text)


def urls_from_env(env: Mapping[str, str], name: str) -> list[str] | str:
    """The URLs in the environment variable `name` (separated by whitespace or commas), or the problem
    (unset, or empty) as one line naming the variable."""
    value = env.get(name)
    if value is None:
        return f"the URL variable {name} is not set"
    urls = [u for u in re.split(r"[\s,]+", value) if u]
    return urls or f"the URL variable {name} is empty"
