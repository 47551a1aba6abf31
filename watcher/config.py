"""Settings: one TOML file, validated once at start-up; the only module that reads the environment.

    load_settings(path=None) → Settings   (path, else $WATCHER_CONFIG, else the bundled config/watcher.toml)

Unknown keys are errors (a typo must not silently become a default), reported as one line naming the
file and the key.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from watcher.errors import ConfigError

BUNDLED_CONFIG = Path(__file__).resolve().parent.parent / "config" / "watcher.toml"
ENV_CONFIG = "WATCHER_CONFIG"


class Settings(BaseModel):
    """Everything configurable. Field names carry their unit where they have one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    region: str = "江门"
    lexicon_dir: Path = Path("lexicon")
    config_path: Path | None = None

    @property
    def lexicon_path(self) -> Path:
        if self.lexicon_dir.is_absolute() or self.config_path is None:
            return self.lexicon_dir
        return self.config_path.parent / self.lexicon_dir


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Which config file to read: the argument, then $WATCHER_CONFIG, then the bundled one."""
    chosen = explicit or os.environ.get(ENV_CONFIG)
    return Path(chosen) if chosen else BUNDLED_CONFIG


def load_settings(explicit: str | os.PathLike[str] | None = None) -> Settings:
    path = config_path(explicit)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: config file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return Settings.model_validate({**data, "config_path": path.resolve()})
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        raise ConfigError(f"{path}: {where}: {err['msg']}") from exc
