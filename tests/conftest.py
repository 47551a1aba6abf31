"""Shared fixtures: the bundled lexicon and an extractor built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from watcher.extract import Extractor, load_lexicon

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def lexicon():
    return load_lexicon(ROOT / "config" / "lexicon")


@pytest.fixture(scope="session")
def extractor(lexicon):
    return Extractor(lexicon)
