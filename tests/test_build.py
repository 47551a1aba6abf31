"""The compiled build that `pip install .` ships behaves as the sources do.

Builds this checkout's wheel with mypyc (setup.py, WATCHER_COMPILE=1), unpacks it, and runs the
extraction and page tests against it in a fresh interpreter, with the unpacked wheel first on the path
and the checkout not on it: mypyc checks types at run time where Python does not, so a difference
shows up here. About 40 s.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    shutil.which("cc") is None and shutil.which("gcc") is None, reason="no C compiler to build with"
)


@pytest.fixture(scope="module")
def compiled_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("mypyc", reason="mypy (the dev extra) builds the compiled extractor")
    out = tmp_path_factory.mktemp("build")
    env = {**os.environ, "WATCHER_COMPILE": "1"}
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
    subprocess.run(
        [*pip_wheel, "--wheel-dir", str(out / "wheel"), str(ROOT)],
        check=True,
        cwd=out,  # mypyc writes its C sources under ./build
        env=env,
        timeout=600,
    )
    (wheel,) = (out / "wheel").glob("watcher-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(out / "site")
    return out / "site"


def run_compiled(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -P` (the checkout is not on the path) with the unpacked wheel first."""
    env = {**os.environ, "PYTHONPATH": str(site), "WATCHER_CONFIG": str(ROOT / "config" / "watcher.toml")}
    return subprocess.run(
        [sys.executable, "-P", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


def test_the_wheel_holds_compiled_modules_beside_their_sources(compiled_site: Path) -> None:
    def modules(folder: str, suffix: str) -> set[str]:
        return {path.name.split(".")[0] for path in (compiled_site / "watcher" / folder).glob(f"*{suffix}")}

    assert modules("extract", ".so") == modules("extract", ".py") - {"lexicon_files"}  # pydantic stays Python
    assert modules("page", ".so") == modules("page", ".py") - {"__init__"}
    assert (compiled_site / "watcher" / "models.py").exists()
    assert list((compiled_site / "watcher").glob("models.*.so"))


def test_the_compiled_build_says_so(compiled_site: Path) -> None:
    done = run_compiled(compiled_site, "-m", "watcher", "--version")
    assert done.returncode == 0, done.stderr
    assert "extractor: compiled with mypyc" in done.stdout


def test_extraction_tests_pass_on_the_compiled_build(compiled_site: Path) -> None:
    probe = "import watcher.extract as e, sys; sys.exit(0 if e.COMPILED else 'not the compiled build')"
    assert run_compiled(compiled_site, "-c", probe).returncode == 0
    done = run_compiled(
        compiled_site,
        *("-m", "pytest", "--import-mode=append", "-p", "no:cacheprovider", "-o", "addopts=", "-q"),
        *("tests/extract", "tests/page", "tests/test_cli.py"),
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout


def test_the_demo_runs_from_the_wheel(compiled_site: Path, tmp_path: Path) -> None:
    """Issue 15: the demo's site ships in the wheel, and `watcher demo` runs from it (loopback only)."""
    assert (compiled_site / "watcher" / "demo" / "site" / "round2" / "epaper" / "index.html").is_file()
    result = run_compiled(compiled_site, "-m", "watcher", "demo", "--dir", str(tmp_path / "demo"))
    assert result.returncode == 0, result.stderr
    assert "超1600亿元 → 超1800亿元" in result.stdout and "封顶" in result.stdout
    assert (tmp_path / "demo" / "digest.html").is_file()
