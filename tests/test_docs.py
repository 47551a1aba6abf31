"""Docs and code stay together: every setting and every lexicon file is documented in the README."""

from __future__ import annotations

from tests.conftest import ROOT
from watcher.config import Settings

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented():
    settings = [name for name in Settings.model_fields if name != "config_path"]
    missing = [name for name in settings if f"| `{name}` |" not in README]
    assert not missing, f"settings missing from the README's table: {missing}"


def test_every_lexicon_file_is_documented():
    files = sorted(p.name for p in (ROOT / "config" / "lexicon").glob("*.toml"))
    missing = [name for name in files if f"`{name}`" not in README]
    assert not missing, f"lexicon files missing from the README: {missing}"


def test_readme_starts_with_the_demo_then_the_two_commands():
    assert "scripts/main demo" in README[: README.index("## Try it") + 200]
    assert README.index("## Try it") < README.index("## Set up") < README.index("## `watcher extract`")
    head = README[README.index("## Set up") :][:600]
    assert "scripts/main" in head and "scripts/check" in head
    assert (ROOT / "scripts" / "main").exists() and (ROOT / "scripts" / "check").exists()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/check" in ci
