"""`watcher demo`: the bundled site served on 127.0.0.1, crawled twice by the real pipeline."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import httpx

from watcher.cli import main

RAISED = re.compile(
    r"target_changed +八镇 规上工业总产值 2026年目标: 超1600亿元 → 超1800亿元 \(上调\)\n"
    r" +http://127\.0\.0\.1:\d+/zwgk/jmyw/content/post_3100153\.html\n"
)
TOPPED = re.compile(
    r"milestone_reached +江门滨江智造产业园一期: 封顶（2026-12-03）\n"
    r" +http://127\.0\.0\.1:\d+/jmrb/html/2026-12/04/content_700201\.htm\n"
)


def test_demo_shows_the_raised_target_and_the_topping_out_with_their_sources(tmp_path, db_url, capsys):
    folder = tmp_path / "demo"
    started = time.perf_counter()
    assert main(["demo", "--dir", str(folder), "--database", db_url, "--no-serve"]) == 0
    assert time.perf_counter() - started < 60
    out = capsys.readouterr().out
    assert RAISED.search(out), out
    assert TOPPED.search(out), out
    assert "late" in out and "post_3100020" not in out, "the old article put online late changes nothing"
    runs = [line for line in out.splitlines() if " listings " in line]
    assert len(runs) == 6 and all(": ok listings " in line for line in runs), runs
    digest = folder / "digest.html"
    assert f"The digest a subscriber with default filters would receive: {digest}" in out
    html = digest.read_text(encoding="utf-8")
    assert "超1600亿元 → 超1800亿元" in html and "post_3100153.html" in html
    assert "江门滨江智造产业园一期" in html and "封顶" in html and "content_700201.htm" in html


def test_demo_folder_works_with_the_other_commands(tmp_path, capsys):
    folder = tmp_path / "demo"
    assert main(["demo", "--dir", str(folder), "--no-serve"]) == 0
    capsys.readouterr()
    assert main(["--config", str(folder / "watcher.toml"), "alerts", "--all", "--format", "jsonl"]) == 0
    kinds = re.findall(r'"kind": "(\w+)"', capsys.readouterr().out)
    assert kinds.count("target_changed") == 1 and kinds.count("milestone_reached") == 1


def test_demo_refuses_a_folder_that_already_holds_one(tmp_path, capsys):
    folder = tmp_path / "demo"
    assert main(["demo", "--dir", str(folder), "--no-serve"]) == 0
    assert main(["demo", "--dir", str(folder), "--no-serve"]) == 1
    assert "already holds a demo's data: choose an empty --dir" in capsys.readouterr().err


def test_demo_serves_the_dashboard_and_the_site_until_interrupted(tmp_path):
    command = [sys.executable, "-m", "watcher", "demo", "--dir", str(tmp_path / "demo")]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True, "encoding": "utf-8"}
    with subprocess.Popen(command, env=env, **pipes) as demo:
        try:
            lines = []
            for line in demo.stdout:  # blocks until the demo prints; ends if it exits
                lines.append(line)
                if line.startswith("Dashboard: "):
                    break
            out = "".join(lines)
            (dashboard,) = re.findall(r"^Dashboard: (http://127\.0\.0\.1:\d+/) \(Ctrl-C stops\)$", out, re.M)
            (source,) = re.findall(r"http://127\.0\.0\.1:\d+/zwgk/jmyw/content/post_3100153\.html", out)
            page = httpx.get(dashboard, timeout=10)
            assert page.status_code == 200 and "1800" in page.text, "the dashboard reads the demo's database"
            assert "八镇工业提质增效行动目标上调" in httpx.get(source, timeout=10).content.decode("gbk")
            demo.send_signal(signal.SIGINT)
            assert demo.wait(timeout=30) == 0, demo.stderr.read()
        finally:
            if demo.poll() is None:
                demo.kill()
