"""HTML page → article: watcher's `parse_article` against `trafilatura.extract`, same pages, same run.

    .venv/bin/python bench/bench_page.py [--repeat N] [--rounds N] [--pages GLOB]

Pages: the fixtures in tests/data/pages/ (the saved-page shapes of sites.yaml among them) and
~40 kB variants of each (article paragraphs repeated, a sidebar of links added), decoded to str
once so that only extraction is timed.
trafilatura runs twice: text only (its default, less work than ours) and with metadata (title,
date, like ours). Needs the `bench` extra: pip install -e '.[bench]'.
"""

from __future__ import annotations

import argparse
import gc
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import trafilatura

from watcher.fetch.decode import decode_body
from watcher.page import html as page_html
from watcher.page import parse_article

PAGES = Path(__file__).resolve().parent.parent / "tests" / "data" / "pages"
TARGET_BYTES = 40_000
URL = "http://www.jiangmen.gov.cn/home/jmyw/content/post_2760001.html"

# Two or more sibling paragraphs without block elements inside them.
_PARAGRAPH_RUN = re.compile(r"(?:\s*<p\b[^>]*>(?:[^<]|<(?!/?(?:p|div|table|td|tr|ul|li)\b))*</p>){2,}", re.I)


def inflate(html: str, target_bytes: int = TARGET_BYTES) -> str:
    """A ~40 kB version of a page shaped like the real ones: half article text, half chrome.

    The longest run of paragraphs is repeated to half the target, then a menu, a sidebar of dated
    links and an inline script fill the rest.
    """
    runs = list(_PARAGRAPH_RUN.finditer(html))
    if runs:
        run = max(runs, key=lambda match: len(match.group(0)))
        copies = max(0, (target_bytes // 2 - len(html.encode())) // max(len(run.group(0).encode()), 1))
        html = html[: run.start()] + run.group(0) * (copies + 1) + html[run.end() :]
    chrome: list[str] = []
    size = len(html.encode())
    i = 0
    while size < target_bytes:
        item = (
            f'<li class="item"><a href="/news/{i}.html" title="江门新闻">江门新闻第{i}条标题示例</a>'
            f"<span>2024-01-{i % 28 + 1:02d}</span></li>\n"
        )
        chrome.append(item)
        size += len(item.encode())
        i += 1
    script = "<script>var menu = {" + ", ".join(f'"m{i}": "/c/{i}/"' for i in range(40)) + "};</script>"
    block = f'<div class="sidebar"><h3>热点新闻</h3><ul>{"".join(chrome)}</ul></div>{script}'
    return html.replace("</body>", block + "</body>", 1) if "</body>" in html else html + block


def load_pages(pattern: str = "**/*.html") -> dict[str, str]:
    pages: dict[str, str] = {}
    for path in sorted(PAGES.glob(pattern)):
        html, name = decode_body(path.read_bytes()), str(path.relative_to(PAGES).with_suffix(""))
        pages[name] = html
        pages[f"{name}@40k"] = inflate(html)
    return pages


def time_rounds(
    contenders: dict[str, Callable[[str], object]], pages: dict[str, str], repeat: int, rounds: int
) -> tuple[dict[str, dict[str, float]], dict[str, list[float]]]:
    """Per page, the median wall time of one call (ms); per round, each contender's total over all pages.

    Each round visits every page and runs each contender `repeat` times in a row on it (warm caches, as
    in a crawl), one contender after the other, so a busy moment of the machine hits all alike. A
    round's total sums each page's median call, so that one call stalled by the shared machine does
    not count for the page. As timeit does, the garbage collector is off while timing: no one's
    garbage is collected on another's clock.
    """
    samples: dict[str, dict[str, list[float]]] = {who: {page: [] for page in pages} for who in contenders}
    totals: dict[str, list[float]] = {who: [] for who in contenders}
    for _ in range(rounds):
        spent = dict.fromkeys(contenders, 0.0)
        for page, html in pages.items():
            for who, function in contenders.items():
                function(html)  # warm-up
                gc.collect()
                gc.disable()
                calls: list[float] = []
                try:
                    for _ in range(repeat):
                        start = time.perf_counter()
                        function(html)
                        calls.append(time.perf_counter() - start)
                finally:
                    gc.enable()
                samples[who][page].extend(calls)
                spent[who] += statistics.median(calls)
        for who in contenders:
            totals[who].append(spent[who] * 1000)
    medians = {
        page: {who: statistics.median(samples[who][page]) * 1000 for who in contenders} for page in pages
    }
    return medians, totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="calls in a row, per page and round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds over all pages")
    parser.add_argument("--pages", default="**/*.html", help="which pages of tests/data/pages (a glob)")
    options = parser.parse_args()

    contenders: dict[str, Callable[[str], object]] = {
        "watcher": lambda html: parse_article(html, URL),
        "trafilatura": lambda html: trafilatura.extract(html, url=URL),
        "trafilatura+meta": lambda html: trafilatura.extract(html, url=URL, with_metadata=True),
    }
    pages = load_pages(options.pages)
    build = "pure Python (from source)" if page_html.__file__.endswith(".py") else "compiled with mypyc"
    print(f"watcher.page: {build}, {page_html.__file__}")
    rows, totals = time_rounds(contenders, pages, options.repeat, options.rounds)
    print(f"{'page':34} {'kB':>5} " + " ".join(f"{name:>17}" for name in contenders) + "  ratio   (ms/page)")
    for name, row in rows.items():
        cells = " ".join(f"{row[who]:17.3f}" for who in contenders)
        ratio = row["trafilatura"] / row["watcher"]
        print(f"{name:34} {len(pages[name].encode()) / 1000:5.1f} {cells} {ratio:6.1f}x")
    means = {who: statistics.mean(row[who] for row in rows.values()) for who in contenders}
    print()
    print(f"{len(pages)} pages; mean ms/page: " + ", ".join(f"{who} {ms:.3f}" for who, ms in means.items()))
    for who in ("trafilatura", "trafilatura+meta"):
        ratios = [peer / ours for peer, ours in zip(totals[who], totals["watcher"], strict=True)]
        per_page = statistics.geometric_mean(row[who] / row["watcher"] for row in rows.values())
        print(
            f"watcher vs {who}: {statistics.median(ratios):.1f}x faster (median of {len(ratios)} per-round "
            f"ratios of the time over all pages, {min(ratios):.1f}-{max(ratios):.1f}x); "
            f"{per_page:.1f}x per page (geometric mean)"
        )
    big = statistics.mean(row["watcher"] for name, row in rows.items() if name.endswith("@40k"))
    print(f"watcher on the ~40 kB variants: {big:.3f} ms/page")


if __name__ == "__main__":
    main()
