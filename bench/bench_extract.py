"""Article text → facts: watcher's `Extractor.extract` against jionlp's `extract_money`, same text, same run.

    .venv/bin/python bench/bench_extract.py [--runs 5] [--json] [--profile]

The corpus is bench/out/corpus.txt (made by bench/corpus.py, generated here when missing). Each article
becomes an `Article` (first line the title, the rest the text, the date read from the date line) and
watcher does the whole job on it: normalisation, sentence split, values and milestones, dedup. The peer,
`jionlp.ner.extract_money(sentence)`, finds and parses money amounts; it is given the same sentences,
one call per sentence (`split_sentences(normalize(text))`), as it is designed to be used. Its import
(about half a second) is not timed, and each side has a short warm-up first.

After a warm-up the sides run in turn, `--runs` rounds (one when a run takes over 10 s), so a change
in the machine's load falls on both alike; best and median are reported. The garbage collector is
off while timing (as timeit does), one process, one thread.
`--profile` runs the watcher side once under cProfile instead and prints the top functions.
Needs the `bench` extra: pip install -e '.[bench]'. `scripts/bench` runs it on the compiled build that
`pip install .` ships (the header says which build ran).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import io
import json
import platform
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from corpus import OUT, split_articles, write_corpus

from watcher.extract import COMPILED, Extractor, load_lexicon
from watcher.extract.text import normalize, split_sentences
from watcher.models import Article

ROOT = Path(__file__).resolve().parent.parent
LEXICON = ROOT / "config" / "lexicon"
REGION = "江门"
TARGET_MB_S = 1.0
BUDGET_S = 10.0  # one run longer than this is not repeated
WARM_UP = 20  # articles, or sentences ×10, run before timing
TIMING = "time.perf_counter, GC disabled while timing, one process and thread, rates from the best run"
_DATE = re.compile(r"(20\d\d)[-/年](\d{1,2})[-/月](\d{1,2})")


@dataclass(frozen=True, slots=True)
class Corpus:
    path: str
    articles: list[Article]
    sentences: list[str]  # every sentence of every article's text, normalised
    chars: int  # characters of titles and texts: what watcher reads
    bytes: int  # the same in UTF-8
    sentence_chars: int  # characters of the sentences: what the peer reads


@dataclass(frozen=True, slots=True)
class Side:
    """One contender: a short warm-up, the timed run (returns what it found), and how much it reads."""

    name: str
    warm_up: Callable[[], int]
    run: Callable[[], int]
    chars: int
    bytes: int
    found: str  # what `run` counts


@dataclass(frozen=True, slots=True)
class Timing:
    side: str
    runs: int
    best_s: float
    median_s: float
    found: int  # what the last run found
    found_what: str
    sentences_per_s: float
    chars_per_s: float
    mb_per_s: float  # UTF-8 bytes, 10**6 a MB


def to_article(raw: str, number: int) -> Article:
    """First line the title, the rest the text; published on the first date in the head."""
    title, _, text = raw.partition("\n")
    found = _DATE.search(normalize(raw[:300]))
    published = date(*map(int, found.groups())) if found else None
    return Article(url=f"bench://corpus/{number}", text=text, title=title, published=published)


def load_corpus(path: Path) -> Corpus:
    if not path.exists():
        write_corpus(path)
    articles = [to_article(raw, i) for i, raw in enumerate(split_articles(path.read_text(encoding="utf-8")))]
    sentences = [s.text for a in articles for s in split_sentences(normalize(a.text))]
    read = [a.title + "\n" + a.text for a in articles]
    return Corpus(
        path=str(path.resolve().relative_to(ROOT) if path.resolve().is_relative_to(ROOT) else path),
        articles=articles,
        sentences=sentences,
        chars=sum(map(len, read)),
        bytes=sum(len(text.encode()) for text in read),
        sentence_chars=sum(map(len, sentences)),
    )


def watcher_side(corpus: Corpus) -> Side:
    """Extractor.extract over every article: the whole job, from raw text to deduplicated facts."""
    extractor = Extractor(load_lexicon(LEXICON))

    def over(articles: list[Article]) -> int:
        return sum(len(extractor.extract(article, region=REGION)) for article in articles)

    return Side(
        "watcher",
        lambda: over(corpus.articles[:WARM_UP]),
        lambda: over(corpus.articles),
        chars=corpus.chars,
        bytes=corpus.bytes,
        found="facts",
    )


def import_jionlp() -> tuple[Any, float]:
    """jionlp's module and its import time; its banner goes to stdout, so it is swallowed."""
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        import jionlp
    return jionlp, time.perf_counter() - start


def peer_side(corpus: Corpus, jionlp: Any) -> Side:
    """jionlp.ner.extract_money over every sentence, one call each."""
    extract_money = jionlp.ner.extract_money  # with_parsing=True by default: amounts are parsed, as ours

    def over(sentences: list[str]) -> int:
        return sum(len(extract_money(sentence)) for sentence in sentences)

    return Side(
        "jionlp",
        lambda: over(corpus.sentences[: WARM_UP * 10]),
        lambda: over(corpus.sentences),
        chars=corpus.sentence_chars,
        bytes=sum(len(sentence.encode()) for sentence in corpus.sentences),
        found="money amounts",
    )


def time_run(run: Callable[[], int]) -> tuple[float, int]:
    """Seconds of one run, GC off while timing, and what it found."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        found = run()
        return time.perf_counter() - start, found
    finally:
        gc.enable()


def measure(sides: list[Side], sentences: int, runs: int) -> list[Timing]:
    """Warm every side up, then time them in turn, `runs` rounds (one when a run exceeds BUDGET_S):
    interleaved, so a change in the machine's load falls on both sides alike."""
    for side in sides:
        side.warm_up()
    samples: list[list[float]] = [[] for _ in sides]
    found = [0] * len(sides)
    for _ in range(runs):
        for i, side in enumerate(sides):
            seconds, found[i] = time_run(side.run)
            samples[i].append(seconds)
        if max(s[0] for s in samples) > BUDGET_S:
            break
    return [timing(side, sentences, times, n) for side, times, n in zip(sides, samples, found, strict=True)]


def timing(side: Side, sentences: int, samples: list[float], found: int) -> Timing:
    best = min(samples)
    return Timing(
        side=side.name,
        runs=len(samples),
        best_s=best,
        median_s=statistics.median(samples),
        found=found,
        found_what=side.found,
        sentences_per_s=sentences / best,
        chars_per_s=side.chars / best,
        mb_per_s=side.bytes / 1e6 / best,
    )


def cpu_name() -> str:
    """The CPU model from /proc/cpuinfo, or what platform knows."""
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text(encoding="utf-8").splitlines() if cpuinfo.exists() else []
    names = [line.partition(":")[2].strip() for line in lines if line.startswith("model name")]
    return names[0] if names else f"{platform.machine()} {platform.system()}"


def report(
    corpus: Corpus, watcher: Timing, peer: Timing, import_s: float, jionlp_version: str
) -> dict[str, Any]:
    return {
        "date": date.today().isoformat(),
        "python": platform.python_version(),
        "machine": cpu_name(),
        "build": "compiled with mypyc" if COMPILED else "pure Python (from source)",
        "jionlp": jionlp_version,
        "corpus": {
            "path": corpus.path,
            "articles": len(corpus.articles),
            "sentences": len(corpus.sentences),
            "chars": corpus.chars,
            "mb": corpus.bytes / 1e6,
        },
        "timing": TIMING,
        "watcher": asdict(watcher),
        "peer": asdict(peer),
        "peer_import_s": import_s,
        "ratio_sentences_per_s": watcher.sentences_per_s / peer.sentences_per_s,
        "target_mb_per_s": TARGET_MB_S,
        "watcher_vs_target": watcher.mb_per_s / TARGET_MB_S,
    }


ROW = "{side:9} {runs:>4} {best:>8} {median:>9} {sentences:>12} {chars:>11} {mb:>6}  {found}"


def print_table(result: dict[str, Any]) -> None:
    c = result["corpus"]
    print(f"corpus  {c['path']}")
    size = f"{c['chars']:,} chars, {c['mb']:.2f} MB"
    print(f"        {c['articles']} articles, {c['sentences']:,} sentences, {size}")
    print(f"machine {result['machine']}, Python {result['python']}, {result['date']}")
    print(f"build   watcher {result['build']}")
    print(f"timing  {result['timing']}")
    peer = f"jionlp {result['jionlp']} ner.extract_money(sentence)"
    print(f"peer    {peer}, imported in {result['peer_import_s']:.2f} s (not timed)")
    print()
    print(
        ROW.format(
            side="side",
            runs="runs",
            best="best s",
            median="median s",
            sentences="sentences/s",
            chars="chars/s",
            mb="MB/s",
            found="found",
        )
    )
    for t in (result["watcher"], result["peer"]):
        print(
            ROW.format(
                side=t["side"],
                runs=t["runs"],
                best=f"{t['best_s']:.3f}",
                median=f"{t['median_s']:.3f}",
                sentences=f"{t['sentences_per_s']:,.0f}",
                chars=f"{t['chars_per_s']:,.0f}",
                mb=f"{t['mb_per_s']:.2f}",
                found=f"{t['found']:,} {t['found_what']}",
            )
        )
    print()
    print(f"watcher / jionlp, sentences per second: {result['ratio_sentences_per_s']:.2f}x")
    mb_s, target = result["watcher"]["mb_per_s"], result["target_mb_per_s"]
    print(f"watcher MB/s: {mb_s:.2f} against the {target:g} MB/s target ({result['watcher_vs_target']:.2f}x)")


def where(filename: str, line: int, function: str) -> str:
    """watcher/extract/values.py:233(_read_one); builtins as pstats writes them."""
    if filename == "~":
        return function
    path = Path(filename)
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else Path(path.name)
    return f"{shown}:{line}({function})"


def print_top(rows: list[tuple[int, float, float, str]], order: str, top: int) -> None:
    column = {"cumulative": 2, "tottime": 1}[order]
    print(f"\ntop {top} by {order}\n{'calls':>9} {'tottime':>8} {'cumtime':>8}  function")
    for calls, tottime, cumtime, name in sorted(rows, key=lambda row: row[column], reverse=True)[:top]:
        print(f"{calls:9d} {tottime:8.3f} {cumtime:8.3f}  {name}")


def profile(corpus: Corpus, top: int = 25) -> None:
    """cProfile over Extractor.extract on every article, after a warm-up; top functions both ways."""
    extractor = Extractor(load_lexicon(LEXICON))
    for article in corpus.articles[:WARM_UP]:
        extractor.extract(article, region=REGION)
    profiler = cProfile.Profile()
    profiler.enable()
    for article in corpus.articles:
        extractor.extract(article, region=REGION)
    profiler.disable()
    profiler.create_stats()
    # (primitive calls, calls, tottime, cumtime, callers) per (file, line, function), as pstats reads them
    rows = [(entry[1], entry[2], entry[3], where(*key)) for key, entry in profiler.stats.items()]
    print(f"watcher over {len(corpus.articles)} articles under cProfile: {sum(row[1] for row in rows):.2f} s")
    for order in ("cumulative", "tottime"):
        print_top(rows, order, top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=OUT, help="generated by bench/corpus.py when missing")
    parser.add_argument("--runs", type=int, default=5, help="runs per side (at least 3 advised)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--profile", action="store_true", help="cProfile the watcher side instead of timing")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    corpus = load_corpus(args.corpus)
    if args.profile:
        profile(corpus)
        return
    jionlp, import_s = import_jionlp()
    watcher, peer = measure(
        [watcher_side(corpus), peer_side(corpus, jionlp)], len(corpus.sentences), args.runs
    )
    result = report(corpus, watcher, peer, import_s, jionlp.__version__)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print_table(result)


if __name__ == "__main__":
    main()
