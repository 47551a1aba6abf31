"""Settings: one TOML file, validated once at start-up; the only module that reads the environment.

    load_settings(path=None) → Settings   (path, else $WATCHER_CONFIG, else the bundled config/watcher.toml)

The bundled config (the checkout's `config/`, shipped in the package as `watcher/defaults`) holds the
defaults and the lexicon; a user's file is laid over its settings (tables merge key by key), but not
over its sources or paths. Unknown keys are errors (a typo must not silently become a default),
reported as one line naming the file, the line and the key. Sources come from `[[sources]]` tables in
the file and from an included sources file (`sources_file`). `WATCHER_DATABASE_URL` and
`WATCHER_STORAGE_DIR` override the database URL and the storage folder; `WATCHER_WEB_TOKEN`
(`web_token()`) is the dashboard's access token.

Where runtime data goes unless `storage_dir` says (see `default_storage`): beside the config file in
`storage/` when that folder is writable and not under /etc; the checkout's `storage/` for the bundled
config run from a checkout; else `$XDG_DATA_HOME/watcher` (`~/.local/share/watcher`).
"""

from __future__ import annotations

import os
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)

from watcher.errors import ConfigError
from watcher.models import CHANGE_KINDS
from watcher.schedule import UTC_ZONE, Duration, is_interval, schedule_trigger

ENV_CONFIG = "WATCHER_CONFIG"
ENV_DATABASE_URL = "WATCHER_DATABASE_URL"
ENV_STORAGE_DIR = "WATCHER_STORAGE_DIR"
ENV_WEB_TOKEN = "WATCHER_WEB_TOKEN"  # the dashboard's access token: required beyond 127.0.0.1
SYSTEM_CONFIG = Path("/etc")
NOT_INHERITED = ("sources", "sources_file", "lexicon_dir", "lexicon_mode", "database_url", "storage_dir")


def bundled_dir() -> Path:
    """The bundled config folder: `config/` of the checkout, which the package holds as `watcher/defaults`
    (a link in the checkout, files in a wheel)."""
    return Path(str(resources.files("watcher").joinpath("defaults"))).resolve()


BUNDLED_CONFIG = bundled_dir() / "watcher.toml"
BUNDLED_LEXICON = bundled_dir() / "lexicon"


def checkout_root() -> Path | None:
    """The source checkout watcher runs from (an editable install), None for an installed package."""
    folder = bundled_dir()
    return folder.parent if folder.name == "config" and (folder.parent / "pyproject.toml").exists() else None


def data_home() -> Path:
    """$XDG_DATA_HOME/watcher, by default ~/.local/share/watcher."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "watcher"


def default_storage(config: Path | None) -> tuple[Path, str]:
    """Where runtime data goes when neither the config nor the environment says, and why."""
    if config is None or config.resolve() == BUNDLED_CONFIG:
        if (root := checkout_root()) is not None:
            return root / "storage", "the checkout's storage/, the bundled config's default"
        return data_home(), "the XDG data folder, the bundled config's default"
    folder = config.resolve().parent
    if SYSTEM_CONFIG in (folder, *folder.parents):  # /etc holds configuration, never data
        return data_home(), f"the XDG data folder: {SYSTEM_CONFIG} holds no data"
    if os.access(folder, os.W_OK):
        return folder / "storage", "beside the config file, its default"
    return data_home(), f"the XDG data folder: {folder} is not writable"


_STRICT = ConfigDict(extra="forbid", frozen=True)


DurationSetting = Annotated[Duration, BeforeValidator(Duration.parse), PlainSerializer(str, return_type=str)]


class Politeness(BaseModel):
    """How hard one host may be asked. Per source, any of these may be overridden."""

    model_config = _STRICT
    min_delay_s: float = Field(default=2.0, ge=0)  # between two requests to the same host
    per_host_concurrency: int = Field(default=2, ge=1)
    respect_robots: bool = True


class FetchSettings(BaseModel):
    """The HTTP client: limits, retries and politeness defaults."""

    model_config = _STRICT
    user_agent: str = "watcher/0.1 (indicator tracker; contact: ops@example.invalid)"
    timeout_s: float = Field(default=20.0, gt=0)
    connect_timeout_s: float = Field(default=10.0, gt=0)
    request_deadline_s: float = Field(default=60.0, gt=0)  # a whole answer, however slowly it trickles
    run_deadline_s: float = Field(default=3600.0, gt=0)  # a source run: past it, stop, keep what is stored
    max_body_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    max_redirects: int = Field(default=5, ge=0)
    retries: int = Field(default=3, ge=0)  # on timeouts, connection errors, 5xx and 429
    backoff_base_s: float = Field(default=1.0, ge=0)  # exponential: base × 2^attempt, with jitter
    backoff_max_s: float = Field(default=60.0, ge=0)
    global_concurrency: int = Field(default=16, ge=1)
    allow_hosts: list[str] = []  # non-public hosts, addresses or networks (CIDR) a crawl may reach
    politeness: Politeness = Politeness()


class SourceSpec(BaseModel):
    """A site section to crawl. Only `name` and `start_urls` are required."""

    model_config = _STRICT
    name: str = Field(min_length=1)
    start_urls: list[str] = Field(
        min_length=1
    )  # may hold {date:%Y-%m/%d}: expanded for the last `days_back` days
    days_back: int = Field(default=1, ge=1)
    region: str | None = None  # what 全市/我市 mean in its articles (default: the global region)
    outlet: str | None = None  # when the pages do not say (文档来源/来源)
    article_selector: str | None = None  # CSS selector of article links on listing pages
    article_pattern: str | None = None  # regex an article URL must match
    next_selector: str | None = None  # CSS selector of the next listing page link
    page_pattern: str | None = (
        None  # listing page URLs: "index_{n}.html" (n = 1, 2 …) relative to the start URL
    )
    max_listing_pages: int = Field(default=3, ge=1)
    content_selector: str | None = None  # CSS selector of the article body
    feeds: list[str] = []  # RSS/Atom feeds to read article links from
    sitemaps: list[str] = []
    schedule: str = "6h"  # interval (30m, 6h, 1d) or a five-field cron expression
    expected_period: DurationSetting | None = None  # how often it publishes (2d, 14d): quieter is news
    politeness: Politeness | None = None
    enabled: bool = True

    @field_validator("start_urls", "feeds", "sitemaps")
    @classmethod
    def _http_urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"not an http(s) URL: {url!r}")
        return urls

    @field_validator("article_pattern")
    @classmethod
    def _regex(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from exc
        return pattern

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        """An interval, or a cron line APScheduler can read: its trigger is built now, so that
        `check-config` rejects what `run` would."""
        if not is_interval(value) and len(value.split()) != 5:
            raise ValueError(f"not an interval (30m, 6h, 1d) or a five-field cron expression: {value!r}")
        schedule_trigger(value, jitter_s=0, timezone=UTC_ZONE)
        return value


def interval_seconds(text: str) -> float:
    """ "30m" → 1800.0."""
    parsed = Duration.parse(text)
    if not isinstance(parsed, Duration):
        raise ValueError(f"not an interval: {text!r}")
    return parsed.seconds


class EmailChannel(BaseModel):
    """SMTP delivery: STARTTLS, SSL or plain (tests), optional login."""

    model_config = _STRICT
    type: Literal["email"] = "email"
    name: str = "email"
    host: str
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password_env: str | None = (
        None  # the password is read from this environment variable, never from the file
    )
    from_addr: str
    to: list[str] = []  # immediate alerts go here (subscribers come later)
    timeout_s: float = Field(default=30.0, gt=0)


class WebhookChannel(BaseModel):
    """JSON POST, signed with HMAC-SHA256 over the body when a secret is set."""

    model_config = _STRICT
    type: Literal["webhook"] = "webhook"
    name: str = "webhook"
    url: str | None = None
    url_env: str | None = None  # …or the URL (when it holds a token) read from this environment variable
    secret_env: str | None = None  # the HMAC key is read from this environment variable
    signature_header: str = "X-Watcher-Signature"
    timeout_s: float = Field(default=10.0, gt=0)

    @model_validator(mode="after")
    def _one_url(self) -> WebhookChannel:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("a webhook channel needs `url` or `url_env` (one of them)")
        return self


class AppriseChannel(BaseModel):
    """Enterprise chat robots (WeCom, DingTalk, Feishu …) through Apprise URLs."""

    model_config = _STRICT
    type: Literal["apprise"] = "apprise"
    name: str = "chat"
    urls: list[str] = []  # e.g. wecombot://KEY, dingtalk://TOKEN, feishu://TOKEN: tokens in the file…
    urls_env: str | None = None  # …or kept out of it: the URLs read from this environment variable
    timeout_s: float = Field(default=10.0, gt=0)

    @model_validator(mode="after")
    def _some_urls(self) -> AppriseChannel:
        if not self.urls and not self.urls_env:
            raise ValueError("a chat channel needs `urls` or `urls_env`")
        return self


IMMEDIATE_KINDS = [
    "target_set",
    "target_changed",
    "milestone_reached",
    "milestone_date_changed",
    "milestone_regressed",
    "figure_conflict",
    "target_met",
    "target_missed",
]


class ThresholdRule(BaseModel):
    """Alert at once when a new figure of a series crosses a line (GDP yoy < 5 for 江门)."""

    model_config = _STRICT
    indicator: str  # contained in the indicator's canonical name
    subject: str | None = None
    measure: Literal["level", "yoy", "share", "progress", "rank"] = "level"
    below: float | None = None
    above: float | None = None

    @model_validator(mode="after")
    def _one_line(self) -> ThresholdRule:
        if self.below is None and self.above is None:
            raise ValueError("a threshold rule needs `below` or `above`")
        return self


class AlertSettings(BaseModel):
    """Which changes alert at once (the rest only go into digests), where to, and how hard to retry."""

    model_config = _STRICT
    immediate: list[str] = IMMEDIATE_KINDS
    channels: list[str] | None = None  # names of [[channels]]; default: every channel
    thresholds: list[ThresholdRule] = []
    indicators: list[str] = []  # alert only about these indicators (contained in the name); empty: all
    subjects: list[str] = []
    keywords: list[str] = []  # …or only when the summary or the sentence holds one of these
    max_attempts: int = Field(default=8, ge=1)
    retry_base_s: float = Field(default=60.0, ge=0)  # exponential backoff between delivery attempts
    retry_max_s: float = Field(default=6 * 3600.0, ge=0)
    per_channel_concurrency: int = Field(
        default=2, ge=1
    )  # senders per channel; channels never wait on another

    @field_validator("immediate")
    @classmethod
    def _kinds(cls, kinds: list[str]) -> list[str]:
        unknown = [k for k in kinds if k not in CHANGE_KINDS]
        if unknown:
            raise ValueError(f"unknown change kind {unknown[0]!r} (known: {', '.join(CHANGE_KINDS)})")
        return kinds


_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class DigestSettings(BaseModel):
    """When digests go out (local time), and how."""

    model_config = _STRICT
    enabled: bool = True
    daily_at: str = "08:00"
    weekly_on: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    weekly_at: str = "08:30"
    timezone: str = "Asia/Shanghai"
    send_empty: bool = False  # send a digest that has nothing new in it
    channel: str = "email"  # the [[channels]] email channel digests are sent through
    base_url: str | None = None  # public URL of the service, for unsubscribe links

    @field_validator("daily_at", "weekly_at")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _CLOCK.match(value):
            raise ValueError(f"not a time of day HH:MM: {value!r}")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class DaemonSettings(BaseModel):
    """`watcher run`: the background service."""

    model_config = _STRICT
    http_host: str = "127.0.0.1"
    http_port: int | None = Field(default=None, ge=0, le=65535)  # /healthz and /metrics; off unless set
    jitter_s: float = Field(default=60.0, ge=0)  # spread source runs around their schedule
    deliver_every_s: float = Field(default=60.0, gt=0)  # how often due alerts are sent
    shutdown_timeout_s: float = Field(default=30.0, gt=0)  # finish current writes, then stop
    failing_after_runs: int = Field(default=3, ge=1)  # consecutive failed runs that make a source "failing"
    quiet_after: DurationSetting = Duration(14, "d")  # nothing new this long: "quiet" (or expected_period)
    lease_s: float = Field(default=600.0, gt=0)  # a replica's claim on a source run, renewed while it runs
    keep_runs_days: float = Field(default=90.0, gt=0)  # older crawl runs are pruned (their counts kept)
    keep_health_days: float = Field(default=90.0, gt=0)  # closed health episodes older are pruned


Channel = Annotated[EmailChannel | WebhookChannel | AppriseChannel, Field(discriminator="type")]


class Settings(BaseModel):
    """Everything configurable. Field names carry their unit where they have one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    region: str = "江门"
    lexicon_dir: Path | None = None  # a user's lexicon folder; extends the bundled one unless "replace"
    lexicon_mode: Literal["extend", "replace"] = "extend"
    database_url: str | None = None  # default: SQLite watcher.db in the storage folder
    storage_dir: Path | None = None  # default: see default_storage()
    sources_file: Path | None = None
    sources: list[SourceSpec] = []
    fetch: FetchSettings = FetchSettings()
    channels: list[Channel] = []
    alerts: AlertSettings = AlertSettings()
    digests: DigestSettings = DigestSettings()
    daemon: DaemonSettings = DaemonSettings()
    config_path: Path | None = None

    @model_validator(mode="after")
    def _unique_names(self) -> Settings:
        for what, names in (
            ("sources", [s.name for s in self.sources]),
            ("channels", [c.name for c in self.channels]),
        ):
            dup = next((n for n in names if names.count(n) > 1), None)
            if dup is not None:
                raise ValueError(f"two {what} are named {dup!r}")
        unknown = [n for n in self.alerts.channels or [] if n not in {c.name for c in self.channels}]
        if unknown:
            known = ", ".join(c.name for c in self.channels) or "none"
            raise ValueError(f"alerts.channels names no channel {unknown[0]!r} (configured: {known})")
        return self

    def _relative(self, path: Path) -> Path:
        if path.is_absolute() or self.config_path is None:
            return path
        return (self.config_path.parent / path).resolve()

    @property
    def lexicon_paths(self) -> list[Path]:
        """The lexicon folders, bundled first: `load_lexicon(*settings.lexicon_paths)`."""
        if self.lexicon_dir is None:
            return [BUNDLED_LEXICON]
        own = self._relative(self.lexicon_dir)
        if self.lexicon_mode == "replace" or own.resolve() == BUNDLED_LEXICON:
            return [own]
        return [BUNDLED_LEXICON, own]

    @property
    def storage_path(self) -> Path:
        return self.storage_where[0]

    @property
    def storage_where(self) -> tuple[Path, str]:
        """The storage folder and why it is there (for `watcher check-config`)."""
        if self.storage_dir is not None:
            return self._relative(self.storage_dir), "set by storage_dir or $WATCHER_STORAGE_DIR"
        return default_storage(self.config_path)

    @property
    def database(self) -> str:
        """The SQLAlchemy URL, with a relative SQLite path taken from the config file's folder."""
        prefix = "sqlite:///"
        if self.database_url is None:
            return prefix + str(self.storage_path / "watcher.db")
        url = self.database_url
        if url.startswith(prefix) and not url.startswith(prefix + "/") and url != prefix + ":memory:":
            return prefix + str(self._relative(Path(url[len(prefix) :])))
        return url

    def source(self, name: str) -> SourceSpec:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none"
        raise ConfigError(f"no source named {name!r} (configured: {known})")


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Which config file to read: the argument, then $WATCHER_CONFIG, then the bundled one."""
    chosen = explicit or os.environ.get(ENV_CONFIG)
    return Path(chosen) if chosen else BUNDLED_CONFIG


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


def _line_of(path: Path, key: str) -> str:
    """The line number of the first line that sets `key`, for error messages ('' when not found)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    for n, line in enumerate(lines, 1):
        if re.match(rf"\s*\"?{re.escape(key)}\"?\s*=", line):
            return f"line {n}: "
    return ""


def _error(path: Path, exc: ValidationError) -> ConfigError:
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    where = ".".join(loc) or "(top level)"
    key = next((p for p in reversed(loc) if not p.isdigit()), "")
    if loc and loc[0] == "sources" and len(loc) > 1 and loc[1].isdigit():
        where = f"sources[{loc[1]}]" + ("." + ".".join(loc[2:]) if loc[2:] else "")
    what = "unknown setting" if err["type"] == "extra_forbidden" else err["msg"].removeprefix("Value error, ")
    if not loc:  # a rule across settings (names, channels): its message says where
        return ConfigError(f"{path}: {what}")
    return ConfigError(f"{path}: {_line_of(path, key)}{where}: {what}")


def overlay(base: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    """`more` laid over `base`: tables merge key by key; any other value in `more` wins."""
    merged = dict(base)
    for key, value in more.items():
        both_tables = isinstance(value, dict) and isinstance(base.get(key), dict)
        merged[key] = overlay(base[key], value) if both_tables else value
    return merged


def bundled_defaults() -> dict[str, Any]:
    """The bundled config's settings a user's config inherits: not its sources, not its paths."""
    data = _read_toml(BUNDLED_CONFIG)
    return {key: value for key, value in data.items() if key not in NOT_INHERITED}


def load_settings(explicit: str | os.PathLike[str] | None = None) -> Settings:
    path = config_path(explicit).resolve()
    data = _read_toml(path)
    if path != BUNDLED_CONFIG:
        data = overlay(bundled_defaults(), data)
    data["config_path"] = path
    sources_file = data.get("sources_file")
    if sources_file:
        included = (path.parent / sources_file).resolve()
        extra = _read_toml(included)
        unknown = set(extra) - {"sources"}
        if unknown:
            raise ConfigError(
                f"{included}: {_line_of(included, sorted(unknown)[0])}{sorted(unknown)[0]}: "
                "unknown setting (a sources file holds only [[sources]] tables)"
            )
        try:
            [SourceSpec.model_validate(s) for s in extra.get("sources", [])]
        except ValidationError as exc:
            raise _error(included, exc) from exc
        data["sources"] = list(data.get("sources", [])) + list(extra.get("sources", []))
    if os.environ.get(ENV_DATABASE_URL):
        data["database_url"] = os.environ[ENV_DATABASE_URL]
    if os.environ.get(ENV_STORAGE_DIR):
        data["storage_dir"] = str(Path(os.environ[ENV_STORAGE_DIR]).resolve())
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise _error(path, exc) from exc


def web_token() -> str | None:
    """The dashboard's access token, from $WATCHER_WEB_TOKEN (None when unset or empty)."""
    return os.environ.get(ENV_WEB_TOKEN) or None
