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


def _block_after(marker: str) -> list[str]:
    """The lines of the first code block after `marker` in the README."""
    rest = README[README.index(marker) :]
    start = rest.index("```") + rest[rest.index("```") :].index("\n") + 1
    return rest[start : rest.index("```", start)].splitlines()


def test_the_readme_extract_table_is_what_extract_prints(capsys):
    from watcher.cli import main

    assert main(["extract", str(ROOT / "docs" / "examples" / "sample_article.html")]) == 0
    printed = capsys.readouterr().out.splitlines()
    shown = _block_after("`table` (the default) is for people")
    assert len(shown) > 3 and [line for line in shown if line not in printed] == []
    assert f"prints {len(printed) - 1}\nrows" in README


def test_the_readme_check_config_block_has_the_lines_check_config_prints(tmp_path, capsys):
    from watcher.cli import main

    config = tmp_path / "watcher.toml"
    config.write_text(
        '[[sources]]\nname = "jiangmen-stats"\nstart_urls = ["http://127.0.0.1:9/"]\n', encoding="utf-8"
    )
    assert main(["--config", str(config), "check-config"]) == 0
    printed = capsys.readouterr().out.splitlines()
    shown = _block_after("read and where the data will go")
    assert [line.split()[0] for line in shown[1:]] == [line.split()[0] for line in printed[1:]]
    assert shown[-2:] == printed[-2:]  # alerts and digests: the same words without a channel
