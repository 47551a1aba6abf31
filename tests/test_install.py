"""Install and configuration anywhere: a config file in any folder, holding only [[sources]], works.

The bundled config/ ships in the package (watcher/defaults); a user's file is laid over its settings,
its lexicon_dir extends (or replaces) the bundled lexicon, and the database goes to a documented,
writable place. The CLI runs as a subprocess from a temporary folder, as a user would run it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.server import FixtureServer
from watcher.config import BUNDLED_CONFIG, bundled_dir, default_storage, load_settings
from watcher.errors import ConfigError
from watcher.extract import load_lexicon
from watcher.extract.lexicon_files import lexicon_files

SAMPLE = ROOT / "docs" / "examples" / "sample_article.html"
SITES = ROOT / "tests" / "data" / "sites"


def watcher(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m watcher ARGS` in `cwd`, with no WATCHER_* variable from the test's environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WATCHER_")} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "watcher", *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def sources_only(folder: Path, url: str = "http://127.0.0.1:9/news/") -> Path:
    config = folder / "watcher.toml"
    config.write_text(
        f'[[sources]]\nname = "台山新闻"\nstart_urls = ["{url}"]\nregion = "台山"\n', encoding="utf-8"
    )
    return config


def test_the_bundled_config_is_package_data():
    files = resources.files("watcher.defaults")  # a package of data: editable installs and wheels alike
    assert files.joinpath("watcher.toml").is_file()
    assert files.joinpath("lexicon").joinpath("units.toml").is_file()
    # one copy: in a checkout the package's folder is the top-level config/, not a duplicate of it
    assert bundled_dir() == (ROOT / "config").resolve()


def test_a_config_anywhere_holding_only_sources(tmp_path):
    config = sources_only(tmp_path)
    checked = watcher(tmp_path, "--config", "watcher.toml", "check-config")
    assert checked.returncode == 0, checked.stderr
    assert f"database   sqlite:///{tmp_path / 'storage' / 'watcher.db'}" in checked.stdout
    assert f"storage    {tmp_path / 'storage'} (beside the config file" in checked.stdout
    assert f"lexicon    {bundled_dir() / 'lexicon'}" in checked.stdout
    assert "sources    1 (1 enabled): 台山新闻" in checked.stdout

    extracted = watcher(tmp_path, "--config", str(config), "extract", "--format", "jsonl", str(SAMPLE))
    assert extracted.returncode == 0, extracted.stderr
    facts = [json.loads(line) for line in extracted.stdout.splitlines()]
    assert any(f.get("indicator") == "地区生产总值" and f["value"] == 312648000000 for f in facts)


def test_a_crawl_from_a_config_anywhere_stores_beside_it(tmp_path):
    with FixtureServer(root=SITES / "gov") as gov:
        config = sources_only(tmp_path, gov.url("/newzwgk/zwdt/jmyw/index.html"))
        with config.open("a", encoding="utf-8") as f:  # no 2 s pause between requests in a test
            f.write("[fetch.politeness]\nmin_delay_s = 0\n")
        crawled = watcher(tmp_path, "--config", "watcher.toml", "crawl", "--max-pages", "2")
    assert crawled.returncode == 0, crawled.stderr
    assert crawled.stdout.startswith("台山新闻: ok") and "2 new" in crawled.stdout
    assert (tmp_path / "storage" / "watcher.db").is_file()
    assert not (tmp_path.parent / "storage").exists()
    listed = watcher(tmp_path, "--config", "watcher.toml", "articles", "--format", "jsonl")
    assert len(listed.stdout.splitlines()) == 2


def test_a_config_in_a_folder_stores_in_that_folder_not_its_parent(tmp_path):
    folder = tmp_path / "opt" / "watcher"
    folder.mkdir(parents=True)
    settings = load_settings(sources_only(folder))
    assert settings.storage_path == folder / "storage"  # not tmp_path/opt/storage, as `../storage` was
    assert settings.database == f"sqlite:///{folder / 'storage' / 'watcher.db'}"


@pytest.mark.parametrize("config", ["/etc/watcher/watcher.toml", "/etc/watcher.toml"])
def test_a_config_under_etc_never_stores_under_etc(config, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    path, why = default_storage(Path(config))  # even for root, who may write there
    assert path == tmp_path / "data" / "watcher" and why == "the XDG data folder: /etc holds no data"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root may write anywhere")
def test_a_read_only_config_folder_stores_in_the_xdg_data_folder(tmp_path, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir()
    config = sources_only(folder)
    folder.chmod(0o555)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    try:
        path, why = default_storage(config)
    finally:
        folder.chmod(0o755)
    assert path == tmp_path / "data" / "watcher" and "not writable" in why


def test_the_bundled_config_in_a_checkout_stores_in_its_storage_folder():
    assert default_storage(None)[0] == ROOT / "storage"
    assert default_storage(BUNDLED_CONFIG)[0] == ROOT / "storage"
    settings = load_settings(BUNDLED_CONFIG)
    assert settings.database == f"sqlite:///{ROOT / 'storage' / 'watcher.db'}"
    assert len(settings.sources) > 3  # the 江门 sources of config/sources.toml


def test_the_environment_names_the_storage_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("WATCHER_STORAGE_DIR", str(tmp_path / "var"))
    settings = load_settings(sources_only(tmp_path))
    assert settings.storage_where == (tmp_path / "var", "set by storage_dir or $WATCHER_STORAGE_DIR")
    assert settings.database == f"sqlite:///{tmp_path / 'var' / 'watcher.db'}"


def test_a_user_config_is_laid_over_the_bundled_settings_but_not_its_sources(tmp_path):
    config = sources_only(tmp_path)
    assert load_settings(config).region == "江门"  # the bundled default
    assert [s.name for s in load_settings(config).sources] == ["台山新闻"]
    config.write_text('region = "开平"\n[fetch]\nretries = 0\n' + config.read_text(encoding="utf-8"))
    settings = load_settings(config)
    assert settings.region == "开平" and settings.fetch.retries == 0
    assert settings.fetch.timeout_s == 20.0  # a table merges key by key


def test_a_user_lexicon_extends_the_bundled_one(tmp_path):
    (tmp_path / "lexicon").mkdir()
    (tmp_path / "lexicon" / "indicators.toml").write_text(
        '[[indicator]]\nname = "海上风电装机容量"\naliases = ["风电装机"]\n', encoding="utf-8"
    )
    (tmp_path / "lexicon" / "units.toml").write_text(
        '[units]\n"吉瓦" = ["千瓦", 1000000]\n', encoding="utf-8"
    )
    config = sources_only(tmp_path)
    config.write_text('lexicon_dir = "lexicon"\n' + config.read_text(encoding="utf-8"), encoding="utf-8")
    doc = tmp_path / "a.txt"
    doc.write_text("时间: 2025-03-02\n全市新增光伏装机3.2吉瓦，地区生产总值增长5.1%。", encoding="utf-8")
    done = watcher(tmp_path, "--config", "watcher.toml", "extract", "--format", "jsonl", "a.txt")
    assert done.returncode == 0, done.stderr
    facts = {f["indicator"]: f for f in map(json.loads, done.stdout.splitlines())}
    assert (facts["光伏装机"]["value"], facts["光伏装机"]["unit"]) == (3200000, "千瓦")  # the user's unit
    assert facts["地区生产总值"]["measure"] == "yoy"  # the bundled words are still there
    lexicon = load_lexicon(*load_settings(config).lexicon_paths)
    assert lexicon.indicator_names["风电装机"] == "海上风电装机容量"
    assert lexicon.indicator_names["GDP"] == "地区生产总值" and lexicon.units["元"] == ("元", 1)
    checked = watcher(tmp_path, "--config", "watcher.toml", "check-config")
    assert f"lexicon    {bundled_dir() / 'lexicon'} + {tmp_path / 'lexicon'}" in checked.stdout


def test_a_user_unit_replaces_the_bundled_one(tmp_path):
    (tmp_path / "units.toml").write_text('[units]\n"兆瓦" = ["兆瓦", 1]\n', encoding="utf-8")
    lexicon = load_lexicon(bundled_dir() / "lexicon", tmp_path)
    assert lexicon.units["兆瓦"] == ("兆瓦", 1) and lexicon.units["千瓦"] == ("千瓦", 1)


def test_a_replacing_lexicon_must_hold_every_file(tmp_path):
    (tmp_path / "lexicon").mkdir()
    (tmp_path / "lexicon" / "indicators.toml").write_text('[[indicator]]\nname = "GDP"\n', encoding="utf-8")
    config = sources_only(tmp_path)
    config.write_text(
        'lexicon_dir = "lexicon"\nlexicon_mode = "replace"\n' + config.read_text(encoding="utf-8")
    )
    done = watcher(tmp_path, "--config", "watcher.toml", "check-config")
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == f"watcher: config error: {tmp_path / 'lexicon' / 'subjects.toml'}: lexicon file missing"
    )


def test_a_lexicon_dir_that_holds_no_lexicon_file_is_an_error(tmp_path):
    (tmp_path / "words").mkdir()
    config = sources_only(tmp_path)
    config.write_text('lexicon_dir = "words"\n' + config.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"holds none of indicators\.toml"):
        lexicon_files(load_settings(config).lexicon_paths)


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ('[digests]\nchannel = "mail"\n', "digests.channel names no channel 'mail' (configured: none)"),
        (
            '[[channels]]\ntype = "webhook"\nname = "hook"\nurl = "http://127.0.0.1:9/"\n',
            "digests.channel names no channel 'email' (configured: hook)",
        ),
        (
            '[digests]\nchannel = "hook"\n[[channels]]\ntype = "webhook"\nname = "hook"\nurl = "http://127.0.0.1:9/"\n',
            "digests.channel 'hook' is a webhook channel, not email",
        ),
    ],
    ids=["named-but-missing", "channels-but-no-email", "not-email"],
)
def test_check_config_names_a_digest_channel_that_does_not_exist(tmp_path, settings, problem):
    config = sources_only(tmp_path)
    config.write_text(settings + config.read_text(encoding="utf-8"), encoding="utf-8")
    done = watcher(tmp_path, "--config", "watcher.toml", "check-config")
    assert done.returncode == 2
    assert done.stderr.strip() == f"watcher: {config}: {problem}"


def test_check_config_says_where_alerts_and_digests_go(tmp_path):
    config = sources_only(tmp_path)
    config.write_text(
        '[[channels]]\ntype = "email"\nhost = "127.0.0.1"\nfrom_addr = "w@example.invalid"\n'
        + config.read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    done = watcher(tmp_path, "--config", "watcher.toml", "check-config")
    assert done.returncode == 0, done.stderr
    assert "alerts to  email (email)" in done.stdout
    assert "digests    through 'email', daily at 08:00 (Asia/Shanghai)" in done.stdout


def test_check_config_names_an_alert_channel_that_does_not_exist(tmp_path):
    config = sources_only(tmp_path)
    config.write_text('[alerts]\nchannels = ["ops"]\n' + config.read_text(encoding="utf-8"), encoding="utf-8")
    done = watcher(tmp_path, "--config", "watcher.toml", "check-config")
    assert done.returncode == 2
    expected = f"watcher: config error: {config}: alerts.channels names no channel 'ops' (configured: none)"
    assert done.stderr.strip() == expected
