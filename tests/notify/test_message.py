"""alert_message: subject, both languages, both sources, safe HTML, a JSON payload."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from html.parser import HTMLParser

import pytest

from tests.notify import MILESTONE_URL, NEW_URL, OLD_URL, milestone_reached, target_raised
from watcher.notify import alert_message
from watcher.track import Evidence

SUBJECT = "[watcher] 八镇 规上工业总产值 2026年目标: 超1600亿元 → 超1800亿元 (上调)"


class _Links(HTMLParser):
    """Every URL-valued attribute, every tag, and the text, of an HTML document."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []
        self.tags: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            if name in ("src", "href", "srcset", "background", "action", "poster", "data") and value:
                self.urls.append((tag, name, value))
            if name == "style" and value and "url(" in value:
                self.urls.append((tag, name, value))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    parser.close()
    return parser


def test_subject_is_the_chinese_summary_on_one_line() -> None:
    message = alert_message(target_raised(), idempotency_key="k")
    assert message.subject == SUBJECT
    assert message.idempotency_key == "k"
    assert message.to == () and message.headers == ()


def test_subject_counts_further_changes_and_stays_short() -> None:
    changes = target_raised() + milestone_reached()
    assert alert_message(changes, idempotency_key="k").subject == SUBJECT + "（另1项）"
    long = [replace(target_raised()[0], summary_zh="长" * 500)]
    subject = alert_message(long, idempotency_key="k").subject
    assert len(subject) == 200 and subject.endswith("…") and "\n" not in subject


def test_text_has_both_languages_and_both_sources() -> None:
    text = alert_message(target_raised(), idempotency_key="k").text
    for expected in (
        "八镇 规上工业总产值 2026年目标: 超1600亿元 → 超1800亿元 (上调)",
        "target for 2026: over 1600亿元 → over 1800亿元 (raised)",
        "此前 / Before: 2026年 超1600亿元",
        "现在 / Now: 2026年 超1800亿元",
        "江门日报, 2024-05-03",
        "南方日报, 2024-09-01",
        OLD_URL,
        NEW_URL,
        "「到2026年，八镇规上工业总产值超1600亿元。」",
        "「力争八镇规上工业总产值超1800亿元 <“双倍”> & 更多。」",  # plain text: not escaped
    ):
        assert expected in text
    assert text.index(OLD_URL) < text.index(NEW_URL)


def test_html_links_only_the_articles_and_loads_nothing() -> None:
    html = alert_message(target_raised(), idempotency_key="k").html
    assert html is not None
    page = parse(html)
    assert page.urls == [("a", "href", OLD_URL), ("a", "href", NEW_URL)]
    assert not page.tags & {"img", "script", "link", "iframe", "style", "object", "embed", "form"}
    text = "".join(page.text)
    assert "超1600亿元 → 超1800亿元" in text and "(raised)" in text
    assert "到2026年，八镇规上工业总产值超1600亿元。" in text


def test_html_escapes_article_text() -> None:
    html = alert_message(target_raised(), idempotency_key="k").html
    assert html is not None
    assert "&lt;“双倍”&gt; &amp; 更多" in html
    assert "<“双倍”>" not in html
    assert 'href="https://www.jmnews.cn/2024-09/01/content_2.html?from=rss&amp;id=2"' in html


def test_html_does_not_link_a_url_that_is_not_http() -> None:
    change = target_raised()[0]
    new = replace(change.new, evidence=Evidence("javascript:alert(1)", "南方日报", None, "x"))
    html = alert_message([replace(change, new=new)], idempotency_key="k").html
    assert html is not None
    assert [url for _, _, url in parse(html).urls] == [OLD_URL]


def test_base_url_adds_a_link_to_watcher() -> None:
    changes = target_raised()
    message = alert_message(changes, idempotency_key="k", base_url="https://watcher.example/")
    link = f"https://watcher.example/changes/{changes[0].key}"
    assert link in message.text
    assert message.html is not None
    assert ("a", "href", link) in parse(message.html).urls


def test_milestone_alert_with_unknown_outlet_and_date() -> None:
    message = alert_message(milestone_reached(), idempotency_key="k")
    assert message.subject == "[watcher] 中创新航项目一期: 开工 → 封顶（2025-02）"
    assert "中创新航项目一期 封顶 (topped out) 2025-02" in message.text
    assert "来源不详 / outlet unknown, 日期不详 / undated" in message.text
    assert MILESTONE_URL in message.text


def test_payload_is_json_with_both_observations() -> None:
    changes = target_raised()
    payload = json.loads(json.dumps(alert_message(changes, idempotency_key="k").payload))
    assert {"kind", "subject", "summary_zh", "summary_en", "old", "new", "key", "changes"} <= set(payload)
    assert payload["kind"] == "target_changed"
    assert payload["key"] == changes[0].key
    assert payload["old"]["value"] == 1600e8 and payload["old"]["qualifier"] == ">"
    assert payload["old"]["evidence"] == {
        "url": OLD_URL,
        "outlet": "江门日报",
        "published": "2024-05-03",
        "sentence": "到2026年，八镇规上工业总产值超1600亿元。",
    }
    assert payload["new"]["text_zh"] == "超1800亿元"
    assert len(payload["changes"]) == 1 and payload["changes"][0]["key"] == payload["key"]


def test_payload_of_a_milestone_and_of_a_first_sighting() -> None:
    change = milestone_reached()[0]
    first = replace(change, old=None)
    payload = alert_message([first], idempotency_key="k").payload
    assert payload["old"] is None
    assert payload["new"] == {
        "type": "milestone",
        "project": "中创新航项目一期",
        "name": "中创新航项目一期",
        "stage": "topped_out",
        "date": "2025-02",
        "evidence": {
            "url": MILESTONE_URL,
            "outlet": None,
            "published": None,
            "sentence": "中创新航项目一期主体结构封顶。",
        },
    }
    assert "此前" not in alert_message([first], idempotency_key="k").text


def test_no_changes_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one change"):
        alert_message([], idempotency_key="k")


def test_text_has_no_template_leftovers() -> None:
    message = alert_message(target_raised() + milestone_reached(), idempotency_key="k")
    assert not re.search(r"\{\{|\{%|\n{3,}", message.text)
    assert message.text.count("----") == 1
