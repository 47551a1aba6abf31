"""The one exception tree of watcher. Library code raises these; the CLI turns them into one line.

WatcherError
├── ConfigError          a setting or lexicon file is wrong (names the file and the key)
├── InputError           an input cannot be read: missing file, unknown encoding, empty text
│   └── DecodeError      bytes that no plausible Chinese encoding turns into text
└── FetchError           an HTTP fetch failed (names the URL and the cause)
"""

from __future__ import annotations


class WatcherError(Exception):
    """Base of every error watcher raises on purpose."""


class ConfigError(WatcherError):
    """A configuration or lexicon file is invalid."""


class InputError(WatcherError):
    """An input document cannot be turned into an article."""


class DecodeError(InputError):
    """The bytes of a document cannot be decoded to text."""


class FetchError(WatcherError):
    """An HTTP request failed."""


class StoreError(WatcherError):
    """The database cannot be used."""


# --- FETCH: subclasses of FetchError (owned by watcher/fetch) ---
