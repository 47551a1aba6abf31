"""Small domain types passed between the pipeline's stages.

    fetch → Page → Article → [ValueFact | Milestone] → Observation | MilestoneObservation → Change
    Change → FoundChange (a stored change, for digests); FailingSource (a digest's footer)

They are plain dataclasses, easy to compare in tests and turned into the JSON-lines contract by
`fact_to_dict`. Most are frozen. The two facts are built by the ten thousand in the extractor's hot
loop, so they are not, and their `__init__` is written out: compiled by mypyc (setup.py) it is native
code, 20× cheaper than a frozen dataclass's. Treat them as values all the same: nothing changes a
fact after it is made.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, get_args

Measure = Literal["level", "yoy", "share", "progress", "rank"]
Kind = Literal["actual", "target", "forecast"]
Qualifier = Literal["=", ">", "~", "<"]
Stage = Literal[
    "signed",
    "landed",
    "land_acquired",
    "started",
    "under_construction",
    "topped_out",
    "completed",
    "operational",
]

ChangeKind = Literal[
    "target_set",
    "target_changed",
    "forecast_revised",
    "progress_reported",
    "milestone_reached",
    "milestone_date_changed",
    "milestone_regressed",
    "figure_conflict",
    "new_actual",
    "figure_revised",
    "target_met",
    "target_missed",
    "source_failing",
    "source_quiet",
    "source_recovered",
]
CHANGE_KINDS: tuple[str, ...] = get_args(ChangeKind)  # the one list of change kinds
HEALTH_KINDS: tuple[ChangeKind, ...] = ("source_failing", "source_quiet", "source_recovered")

# Order in which a project moves through its stages; the tracker (later) compares positions.
STAGE_ORDER: tuple[Stage, ...] = (
    "signed",
    "landed",
    "land_acquired",
    "started",
    "under_construction",
    "topped_out",
    "completed",
    "operational",
)


@dataclass(frozen=True, slots=True)
class Validators:
    """What a conditional GET sends back: the ETag and Last-Modified of the copy we have."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """A fetched or read document before the article is found in it."""

    url: str  # http(s) URL or the path as given
    body: bytes
    content_type: str | None = None  # the Content-Type header, when it came over HTTP


@dataclass(frozen=True, slots=True)
class Article:
    """The readable part of a page: what the extractor works on."""

    url: str
    text: str  # main text, paragraphs separated by "\n"
    title: str = ""
    published: date | None = None
    outlet: str | None = None
    attachments: tuple[str, ...] = field(default=())


@dataclass(init=False, slots=True, unsafe_hash=True)  # hashed by value: never changed once made
class ValueFact:
    """A number that says something about a place, zone, cluster or project."""

    indicator: str
    subject: str
    measure: Measure
    kind: Kind
    value: float  # in the base unit
    unit: str  # base unit: 元, 美元, %, 个百分点, a counter, 平方公里 …
    qualifier: Qualifier
    period: str | None  # "2023", "2022-01/2022-10", "2021/2025"
    deadline: str | None  # targets and forecasts: the year by which it should hold
    raw: str  # the matched text, as written
    sentence: str
    quantity: str  # the number with its unit as written (2740.45亿元), for people
    type: Literal["value"] = field(default="value", init=False)

    def __init__(
        self,
        indicator: str,
        subject: str,
        measure: Measure,
        kind: Kind,
        value: float,
        unit: str,
        qualifier: Qualifier,
        period: str | None,
        deadline: str | None,
        raw: str,
        sentence: str,
        quantity: str = "",
    ) -> None:
        self.indicator = indicator
        self.subject = subject
        self.measure = measure
        self.kind = kind
        self.value = value
        self.unit = unit
        self.qualifier = qualifier
        self.period = period
        self.deadline = deadline
        self.raw = raw
        self.sentence = sentence
        self.quantity = quantity
        self.type = "value"


@dataclass(init=False, slots=True, unsafe_hash=True)  # hashed by value: never changed once made
class Milestone:
    """A project or facility reaching a stage."""

    project: str
    stage: Stage
    date: str | None  # "2022-07-09", "2022-11", "2022" or None
    sentence: str
    raw: str
    type: Literal["milestone"] = field(default="milestone", init=False)

    def __init__(self, project: str, stage: Stage, date: str | None, sentence: str, raw: str = "") -> None:
        self.project = project
        self.stage = stage
        self.date = date
        self.sentence = sentence
        self.raw = raw
        self.type = "milestone"


Fact = ValueFact | Milestone


def fact_to_dict(fact: Fact, doc: str) -> dict[str, object]:
    """The JSON-lines contract of `watcher extract --format jsonl` (shared/eval/README.md)."""
    if isinstance(fact, Milestone):
        return {
            "doc": doc,
            "type": "milestone",
            "project": fact.project,
            "stage": fact.stage,
            "date": fact.date,
            "sentence": fact.sentence,
        }
    value: float | int = fact.value
    if float(value).is_integer() and abs(value) < 1e15:
        value = int(value)
    return {
        "doc": doc,
        "type": "value",
        "indicator": fact.indicator,
        "subject": fact.subject,
        "measure": fact.measure,
        "kind": fact.kind,
        "value": value,
        "unit": fact.unit,
        "qualifier": fact.qualifier,
        "period": fact.period,
        "deadline": fact.deadline,
        "raw": fact.raw,
        "sentence": fact.sentence,
    }


# --- tracking: observations filed under series, and the changes they make ---


@dataclass(frozen=True, slots=True)
class SeriesKey:
    indicator: str
    subject: str
    measure: str
    kind: str

    def text(self) -> str:
        return f"{self.subject} {self.indicator} {self.measure} {self.kind}"


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where an observation was read: the article and its sentence."""

    url: str
    outlet: str | None
    published: date | None
    sentence: str


@dataclass(frozen=True, slots=True)
class Observation:
    key: SeriesKey
    when: str | None  # period (actuals) or deadline (targets, forecasts)
    value: float
    unit: str
    qualifier: str
    evidence: Evidence
    raw: str = ""


@dataclass(frozen=True, slots=True)
class MilestoneObservation:
    project: str  # canonical
    name: str  # as written
    stage: str
    date: str | None
    evidence: Evidence


@dataclass(frozen=True, slots=True)
class Change:
    kind: ChangeKind
    subject: str  # the series key or the project, in words
    old: Observation | MilestoneObservation | None
    new: Observation | MilestoneObservation
    summary_zh: str
    summary_en: str

    @property
    def key(self) -> str:
        """Stable identity of this change (the same evidence never makes two changes)."""
        new = self.new
        what = (
            f"{new.when}|{new.value}|{new.qualifier}"
            if isinstance(new, Observation)
            else f"{new.stage}|{new.date}"
        )
        text = f"{self.kind}|{self.subject}|{what}|{new.evidence.url}"
        return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class FoundChange:
    """A stored change with what a digest needs beside it."""

    id: int
    change: Change
    immediate: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class FailingSource:
    """A source whose latest crawl failed (a digest's footer names it)."""

    name: str
    error: str
    finished_at: datetime


def evidence_to_dict(ev: Evidence) -> dict[str, Any]:
    return {
        "url": ev.url,
        "outlet": ev.outlet,
        "published": ev.published.isoformat() if ev.published else None,
        "sentence": ev.sentence,
    }


def observation_to_dict(o: Observation | MilestoneObservation) -> dict[str, Any]:
    """An observation as JSON-ready data: how the store keeps a change's old and new, and what webhooks
    carry (decoded by `store.codec.from_dict`)."""
    if isinstance(o, MilestoneObservation):
        return {
            "type": "milestone",
            "project": o.project,
            "name": o.name,
            "stage": o.stage,
            "date": o.date,
            "evidence": evidence_to_dict(o.evidence),
        }
    k = o.key
    return {
        "type": "value",
        "indicator": k.indicator,
        "subject": k.subject,
        "measure": k.measure,
        "kind": k.kind,
        "when": o.when,
        "value": o.value,
        "unit": o.unit,
        "qualifier": o.qualifier,
        "raw": o.raw,
        "evidence": evidence_to_dict(o.evidence),
    }
