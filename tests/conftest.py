"""Shared fixtures: the bundled lexicon and an extractor built once per session."""

from __future__ import annotations

import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import pytest

from watcher.extract import Extractor, load_lexicon

pytest_plugins = ["tests.receivers", "tests.server", "tests.databases"]

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def lexicon():
    return load_lexicon(ROOT / "config" / "lexicon")


@pytest.fixture(scope="session")
def extractor(lexicon):
    return Extractor(lexicon)


class _Handler(SimpleHTTPRequestHandler):
    """Serves tests/data/ with the Content-Type a test asks for (?ct=…), quietly."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=str(DATA), **kwargs)

    def log_message(self, format, *args):
        pass

    def send_header(self, keyword, value):
        if keyword.lower() == "content-type" and "ct=" in self.path:
            value = unquote(self.path.split("ct=", 1)[1])
        super().send_header(keyword, value)

    def translate_path(self, path):
        return super().translate_path(path.split("?", 1)[0])


@pytest.fixture(scope="session")
def http_server():
    """A real HTTP server on 127.0.0.1 serving tests/data/; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
