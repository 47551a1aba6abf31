"""`watcher extract` end to end: files, a real local HTTP server, errors as one line each."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import DATA, ROOT
from watcher.cli import main

CONTRACT_VALUE = {
    "doc",
    "type",
    "indicator",
    "subject",
    "measure",
    "kind",
    "value",
    "unit",
    "qualifier",
    "period",
    "deadline",
    "raw",
    "sentence",
}
CONTRACT_MILESTONE = {"doc", "type", "project", "stage", "date", "sentence"}
SAMPLE = str(ROOT / "docs" / "examples" / "sample_article.html")


def _jsonl(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_jsonl_follows_the_contract(capsys):
    assert main(["extract", "--format", "jsonl", SAMPLE]) == 0
    rows = _jsonl(capsys.readouterr().out)
    values = [r for r in rows if r["type"] == "value"]
    milestones = [r for r in rows if r["type"] == "milestone"]
    assert values and milestones
    assert all(set(r) == CONTRACT_VALUE for r in values)
    assert all(set(r) == CONTRACT_MILESTONE for r in milestones)
    gdp = next(r for r in values if r["indicator"] == "地区生产总值" and r["measure"] == "level")
    assert gdp["value"] == 312648000000 and gdp["unit"] == "元" and gdp["period"] == "2024-01/2024-09"
    assert gdp["subject"] == "江门" and gdp["doc"] == SAMPLE
    topped = next(r for r in milestones if r["stage"] == "topped_out")
    assert "新材料产业园" in topped["project"] and topped["date"] == "2024-08-18"


def test_table_is_aligned_for_people(capsys):
    assert main(["extract", SAMPLE]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["indicator", "subject", "period", "value", "kind", "excerpt"]
    assert any("3126.48亿元" in line and "actual" in line for line in lines)
    assert any(">8000亿元" in line and "target" in line for line in lines)


def test_published_and_region_override(tmp_path, capsys):
    doc = tmp_path / "note.txt"
    doc.write_text("上半年，全市规上工业增加值同比增长6.2%。", encoding="utf-8")
    assert (
        main(["extract", "--format", "jsonl", "--published", "2021-08-01", "--region", "台山", str(doc)]) == 0
    )
    (row,) = _jsonl(capsys.readouterr().out)
    assert row["period"] == "2021-01/2021-06" and row["subject"] == "台山" and row["value"] == 6.2


def test_bad_inputs_are_one_line_each_and_the_rest_still_run(tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    garbage = tmp_path / "garbage.html"
    garbage.write_bytes(bytes(range(256)) * 40)
    missing = tmp_path / "missing.txt"
    code = main(["extract", "--format", "jsonl", str(missing), str(empty), str(garbage), SAMPLE])
    captured = capsys.readouterr()
    errors = captured.err.strip().splitlines()
    assert code == 1
    assert len(errors) == 3
    assert "missing.txt" in errors[0] and "cannot read" in errors[0]
    assert "empty.txt" in errors[1]
    assert "garbage.html" in errors[2]
    assert any(r["doc"] == SAMPLE for r in _jsonl(captured.out))


def test_url_from_a_local_server(http_server, capsys):
    url = f"{http_server}/pages/gov_gbk.html?ct=text/html"
    assert main(["extract", "--format", "jsonl", url]) == 0
    rows = _jsonl(capsys.readouterr().out)
    assert rows, "facts from the GBK page served over HTTP"
    assert all(r["doc"] == url for r in rows)
    assert not any("\ufffd" in r["sentence"] for r in rows)


def test_http_error_is_reported(http_server, capsys):
    assert main(["extract", f"{http_server}/nope.html"]) == 1
    assert "HTTP 404" in capsys.readouterr().err


def test_config_typo_is_one_clear_line(tmp_path, capsys, monkeypatch):
    config = tmp_path / "watcher.toml"
    config.write_text('regoin = "江门"\n', encoding="utf-8")
    monkeypatch.setenv("WATCHER_CONFIG", str(config))
    assert main(["extract", SAMPLE]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "regoin" in err and str(config) in err


def test_lexicon_typo_names_the_file(tmp_path, capsys):
    lexicon = tmp_path / "lexicon"
    lexicon.mkdir()
    for f in (ROOT / "config" / "lexicon").glob("*.toml"):
        (lexicon / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    (lexicon / "stages.toml").write_text(
        (lexicon / "stages.toml").read_text(encoding="utf-8").replace("topped_out =", "topped_ot ="),
        encoding="utf-8",
    )
    config = tmp_path / "watcher.toml"
    config.write_text('lexicon_dir = "lexicon"\n', encoding="utf-8")
    assert main(["--config", str(config), "extract", SAMPLE]) == 2
    err = capsys.readouterr().err
    assert "stages.toml" in err and "topped_ot" in err


def test_python_dash_m_runs(tmp_path):
    doc = tmp_path / "a.txt"
    doc.write_text("时间: 2023-08-21\n上半年，全市引进超亿元项目241个。", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "watcher", "extract", "--format", "jsonl", str(doc)],
        capture_output=True,
        text=True,
        check=True,
        cwd=DATA,
    )
    (row,) = _jsonl(proc.stdout)
    assert row["value"] == 241 and row["period"] == "2023-01/2023-06"
