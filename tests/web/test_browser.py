"""The dashboard in a real browser: Debian's headless Chromium, driven by Playwright.

Each page type is loaded from `watcher serve` on the crawled site; the test checks what a reader sees and
takes a screenshot (under pytest's tmp dir; WATCHER_SCREENSHOTS=DIR writes them there instead).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
sync_api = pytest.importorskip("playwright.sync_api", reason="the browser tests need playwright (pip)")
pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason="no Chromium (apt-get install chromium): .ci/run installs it"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("WATCHER_SCREENSHOTS")
    path = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def page(browser, served):
    context = browser.new_context(base_url=served, viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def series_path(subject: str, indicator: str) -> str:
    return f"/series/{quote(subject, safe='')}/{quote(indicator, safe='')}"


def test_overview_shows_the_raised_target_among_the_alerts(page, shots):
    page.goto("/")
    changes = page.locator("li.change")
    raised = changes.filter(has_text="超1600亿元 → 超1800亿元")
    sync_api.expect(raised).to_have_count(1)
    sync_api.expect(raised.locator(".badge.alert")).to_have_text("提醒")
    sync_api.expect(raised).to_contain_text("八镇 · 规上工业总产值")
    sync_api.expect(raised.get_by_role("link", name="江门日报 2024-09-01")).to_have_count(1)
    target = page.locator("table.targets tbody tr").filter(has_text="八镇 规上工业总产值")
    sync_api.expect(target).to_contain_text("超1800亿元")
    sync_api.expect(target.locator(".status")).to_contain_text("落后")
    sync_api.expect(page.locator("#milestones")).to_contain_text("开工 → 封顶")
    sync_api.expect(page.locator("table.sources")).to_contain_text("江门新闻")
    page.screenshot(path=shots / "overview.png", full_page=True)


def test_series_page_draws_the_chart_with_the_1800_target(page, shots):
    page.goto("/")
    page.locator("table.targets").get_by_role("link", name="八镇 规上工业总产值").click()
    sync_api.expect(page.locator("h1")).to_contain_text("八镇 规上工业总产值")
    chart = page.locator("svg.chart")
    sync_api.expect(chart).to_be_visible()
    sync_api.expect(chart.locator(".target-label")).to_have_text("2026年目标 超1800亿元")
    assert chart.locator("circle.actual").count() == 2 and chart.locator(".target-old").count() == 1
    box = chart.bounding_box()
    assert box is not None and box["width"] > 600 and box["height"] > 200
    rows = page.locator("table.obs tbody tr")
    sync_api.expect(rows).to_have_count(4)
    sync_api.expect(rows.last).to_contain_text("超1800亿元")
    page.screenshot(path=shots / "series.png", full_page=True)


def test_article_highlights_each_fact_and_links_to_its_series(page, shots):
    page.goto(series_path("八镇", "规上工业总产值"))
    page.locator("table.obs tbody tr").last.get_by_role("link", name="标注 →").click()
    sync_api.expect(page.locator("h1")).to_have_text("八镇联动发展目标上调")
    mark = page.locator("article.text a.fact mark")
    sync_api.expect(mark).to_have_text("八镇规上工业总产值力争超1800亿元")
    background = mark.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent"), "the span is highlighted"
    page.screenshot(path=shots / "article.png", full_page=True)
    page.locator("article.text a.fact").click()
    sync_api.expect(page.locator("svg.chart")).to_be_visible()


def test_project_timeline_from_signing_to_operation(page, shots):
    page.goto("/projects")
    page.get_by_role("link", name="江门储能电池产业园项目").click()
    stages = page.locator("ol.timeline > li")
    sync_api.expect(stages.locator(".stage")).to_have_text(
        ["签约 signed", "开工 started", "封顶 topped out", "投产/启用 in operation"]
    )
    sync_api.expect(page.locator("ol.timeline > li.reached")).to_have_count(2)
    sync_api.expect(stages.nth(2)).to_contain_text("2024-09-08")
    sync_api.expect(stages.nth(2)).to_contain_text("主体结构封顶")
    page.screenshot(path=shots / "project.png", full_page=True)


def test_changes_filter_by_kind_in_the_form(page, shots):
    page.goto("/changes")
    page.locator("select[name=kind]").select_option("milestone_reached")
    page.get_by_role("button", name="筛选").click()
    sync_api.expect(page.locator("li.change")).to_have_count(2)
    sync_api.expect(page.locator("li.change").first).to_contain_text("封顶")
    page.screenshot(path=shots / "changes.png", full_page=True)


def test_readable_on_a_phone(browser, served, shots):
    context = browser.new_context(base_url=served, viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        for name, path in (("phone-overview", "/"), ("phone-series", series_path("八镇", "规上工业总产值"))):
            page.goto(path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{path}: {width}px wide, scrolls sideways"
            page.screenshot(path=shots / f"{name}.png", full_page=True)
        sync_api.expect(page.locator("svg.chart")).to_be_visible()
    finally:
        context.close()
