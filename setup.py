"""Builds watcher; a regular install compiles the extractor to C with mypyc (2.4× faster extraction).

    pip install .                     compiled when a C compiler is there, pure Python otherwise
    WATCHER_COMPILE=0 pip install .   pure Python
    WATCHER_COMPILE=1 pip install .   compiled, or the install fails (what deploy/Containerfile uses)
    pip install -e .                  pure Python always: compiled modules would shadow edited sources

Everything else about the package is in pyproject.toml. The compiled modules are the typed text →
facts core (`watcher/extract/`, bar the TOML loading, which runs once), `watcher/models.py` (the
types it builds) and the HTML → article reader (`watcher/page/`); the sources ship beside them
and are what runs when compilation is off or fails. `watcher --version` says which one is running.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).parent
NOT_COMPILED = {"lexicon_files.py"}  # pydantic models: mypyc cannot compile them, and they run once


def compiled_paths() -> list[str]:
    """The extraction core, the domain types it builds (ValueFact …: 4× cheaper to make compiled) and
    the page reader (HTML → article, 10% faster: most of its time is selectolax's, already C)."""
    extract = [path for path in (ROOT / "watcher" / "extract").glob("*.py") if path.name not in NOT_COMPILED]
    page = [path for path in (ROOT / "watcher" / "page").glob("*.py") if path.name != "__init__.py"]
    paths = [*extract, *page, ROOT / "watcher" / "models.py"]
    return sorted(str(path.relative_to(ROOT)) for path in paths)


class OptionalBuildExt(build_ext):
    """Falls back to the pure-Python package when the C build fails, unless WATCHER_COMPILE=1."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # no compiler, missing headers …: CCompilerError, PlatformError …
            if os.environ.get("WATCHER_COMPILE") == "1":
                raise
            print(f"watcher: extractor not compiled ({exc}); installing pure Python", file=sys.stderr)
            self.extensions = []


def ext_modules() -> list[object]:
    setting = os.environ.get("WATCHER_COMPILE", "")
    if setting == "0" or "bdist_wheel" not in sys.argv:  # editable installs, sdists and metadata
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        if setting == "1":
            raise
        print("watcher: mypyc not installed; installing pure Python", file=sys.stderr)
        return []
    return mypycify(compiled_paths(), opt_level="3", group_name="watcher_native")


setup(ext_modules=ext_modules(), cmdclass={"build_ext": OptionalBuildExt})
