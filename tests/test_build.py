"""The compiled build that `pip install .` ships behaves as the sources do, and runs without a checkout.

Builds this checkout's wheel with mypyc (setup.py, WATCHER_COMPILE=1), unpacks it, and runs the
extraction and page tests against it in a fresh interpreter, with the unpacked wheel first on the path
and the checkout not on it: mypyc checks types at run time where Python does not, so a difference
shows up here. Then installs the wheel into a fresh venv and runs `watcher check-config` and `watcher
extract` from a folder outside the checkout: the bundled config and lexicon must come with the wheel.
About 60 s.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    shutil.which("cc") is None and shutil.which("gcc") is None, reason="no C compiler to build with"
)


@pytest.fixture(scope="module")
def compiled_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
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
    return wheel


@pytest.fixture(scope="module")
def compiled_site(compiled_wheel: Path) -> Path:
    site = compiled_wheel.parent.parent / "site"
    with zipfile.ZipFile(compiled_wheel) as archive:
        archive.extractall(site)
    return site


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


@pytest.fixture(scope="module")
def installed(compiled_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed (its dependencies are taken from this interpreter's
    site-packages through a .pth line, which runs none of the .pth files there: not the editable
    install's, so the checkout stays out of reach)."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], text=True
        ).strip()
    )
    deps = [p for p in sys.path if p.endswith("site-packages")]
    (site / "zz_dependencies.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps"]
    subprocess.run([*pip, "--no-index", str(compiled_wheel)], check=True, timeout=300)
    return venv


def test_the_installed_wheel_runs_with_no_checkout(installed: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WATCHER_", "PYTHON"))}
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    sample = tmp_path / "sample.html"
    shutil.copy(ROOT / "docs" / "examples" / "sample_article.html", sample)

    def watcher(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [installed / "bin" / "watcher", *args], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done

    where = subprocess.run(
        [installed / "bin" / "python", "-c", "import watcher; print(watcher.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(installed)), where
    assert "compiled with mypyc" in watcher("--version").stdout
    bundled = watcher("check-config").stdout  # the bundled config: the 江门 sources, XDG storage
    assert "/watcher/defaults/watcher.toml: ok" in bundled and str(ROOT) not in bundled
    assert f"storage    {tmp_path / 'data' / 'watcher'} (the XDG data folder" in bundled
    (tmp_path / "watcher.toml").write_text('[[sources]]\nname = "x"\nstart_urls = ["http://127.0.0.1:9/"]\n')
    own = watcher("--config", "watcher.toml", "check-config").stdout
    assert f"database   sqlite:///{tmp_path / 'storage' / 'watcher.db'}" in own
    table = watcher("--config", "watcher.toml", "extract", "sample.html").stdout
    assert "地区生产总值" in table and "3126.48亿元" in table


def test_the_demo_runs_from_the_installed_wheel(installed: Path, tmp_path: Path) -> None:
    """Issue 15: `watcher demo` from the wheel in a fresh venv, outside the checkout, loopback only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WATCHER_", "PYTHON"))}
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    started = time.perf_counter()
    done = subprocess.run(
        [installed / "bin" / "watcher", "demo", "--dir", "demo", "--no-serve"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert time.perf_counter() - started < 60
    assert "超1600亿元 → 超1800亿元" in done.stdout and "封顶" in done.stdout
    digest = (tmp_path / "demo" / "digest.html").read_text(encoding="utf-8")
    assert "超1800亿元" in digest and "封顶" in digest
