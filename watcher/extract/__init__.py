"""Article text → indicator facts. Pure: no I/O once the lexicon is loaded.

    extractor = Extractor(load_lexicon(Path("config/lexicon")))
    facts = extractor.extract(article, region="江门")

The document is normalised once (simplified, half-width, same length), split into sentences, and
each sentence that can hold a number is read for values and milestones. The same fact stated twice
in one document is kept once.
"""

from __future__ import annotations

from functools import lru_cache

from watcher.extract.document import is_heading, read_frame, refine
from watcher.extract.framing import compile_cues
from watcher.extract.lexicon import Lexicon
from watcher.extract.lexicon_files import load_lexicon
from watcher.extract.milestones import MilestoneReader
from watcher.extract.projects import ProjectMemory
from watcher.extract.quantities import compile_quantity_re
from watcher.extract.subjects import SubjectMemory
from watcher.extract.text import has_digit, normalize, split_sentences
from watcher.extract.values import Context, read_sentence, to_facts
from watcher.models import Article, Fact, Milestone, ValueFact

__all__ = ["COMPILED", "Extractor", "Lexicon", "load_lexicon"]

# True when this package runs as mypyc-compiled C (a regular install; see setup.py), False from sources.
COMPILED = not __file__.endswith(".py")


class Extractor:
    """Holds the compiled lexicon; `extract` is safe to call from many threads."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self._cues = compile_cues(lexicon, compile_quantity_re(lexicon))
        self._milestones = MilestoneReader(lexicon)

    def extract(self, article: Article, region: str) -> list[Fact]:
        """Value facts and milestones of an article, each once, in document order."""
        original = article.text
        text = normalize(original)
        region = infer_region(article, region, self.lexicon)
        title = normalize(article.title)
        frame = read_frame(title, text, article.published, self.lexicon)
        published = article.published
        ctx = Context(published=published, region=region, memory=SubjectMemory(), section=frame)
        facts: list[Fact] = []
        projects = ProjectMemory()
        self._milestones.note_title(title, projects)
        for s in split_sentences(text):
            if is_heading(s.text, self.lexicon):
                ctx.section = refine(ctx.section, s.text, published, self.lexicon)
            if s.paragraph != ctx.paragraph:
                ctx.paragraph, ctx.period = s.paragraph, ctx.section.period
            quoted = original[s.start : s.start + len(s.text)]
            if "简称" in s.text:
                projects.note_aliases(s.text, self.lexicon)
            if has_digit(s.text):
                facts.extend(to_facts(quoted, read_sentence(s.text, ctx, self.lexicon, self._cues)))
            if self.lexicon.stage_re.search(s.text):
                facts.extend(
                    self._milestones.read(s.text, quoted, article.published, text, s.start, projects)
                )
        return dedupe(facts, self.lexicon)


def infer_region(article: Article, default: str, lex: Lexicon) -> str:
    """A county outlet (台山市融媒体中心) or a title about one speaks of itself as 全市."""
    for text in (article.outlet or "", article.title):
        text = normalize(text)
        for place in lex.regions:
            if text.startswith(place) or text.startswith(default + place):
                return place
    return default


@lru_cache(maxsize=4096)
def canonical_indicator(name: str, lex: Lexicon) -> str:
    """地区生产总值 for GDP, 江门GDP, GDP总量 …: the lexicon's name for the longest spelling inside."""
    best = ""
    for m in lex.indicator_re.finditer(name):
        if len(m.group()) > len(best):
            best = m.group()
    return lex.indicator_names[best] if best else name


def _key(fact: Fact, lex: Lexicon) -> tuple[object, ...]:
    if isinstance(fact, Milestone):
        return ("m", fact.project, fact.stage)
    if _is_distinctive(fact):  # 4828亿元 stated twice is one fact, however its indicator was worded
        return ("v", fact.measure, fact.kind, round(fact.value, 6), fact.unit)
    indicator = canonical_indicator(fact.indicator, lex)  # already normalised: read from normalised text
    subject = fact.subject.removesuffix("省").removesuffix("市")  # 广东省 = 广东
    return ("v", indicator, subject, fact.measure, fact.kind, round(fact.value, 6), fact.unit)


def _is_distinctive(fact: ValueFact) -> bool:
    """An amount with four significant digits or more (1,850个, 4828亿元): two of them in one article are
    the same figure. Percentages and round numbers repeat by chance."""
    if fact.unit in ("%", "‰", "位"):
        return False
    mantissa = f"{abs(fact.value):.6e}".split("e")[0].replace(".", "").rstrip("0")
    return len(mantissa) >= 4


def dedupe(facts: list[Fact], lex: Lexicon) -> list[Fact]:
    """Each fact once, where it is first stated; a repeat that says its period replaces one that did not."""
    seen: dict[tuple[object, ...], list[int]] = {}
    out: list[Fact] = []
    for fact in facts:
        key = _key(fact, lex)
        period = _when(fact)
        same = [i for i in seen.get(key, []) if _when(out[i]) in (None, period) or period is None]
        if not same:
            seen.setdefault(key, []).append(len(out))
            out.append(fact)
        elif period is not None and _when(out[same[0]]) is None:
            out[same[0]] = fact  # 江门GDP达4022.25亿元 (headline) … 2023年，江门地区生产总值达4022.25亿元
    return out


def _when(fact: Fact) -> str | None:
    return fact.period if isinstance(fact, ValueFact) else fact.date
