"""Imports point one way (../shared/STYLE.md): cli → app/daemon → pipeline/delivery → {fetch, discover,
page, store, notify} → {extract, track} → {models, errors, config, wording, schedule}. Read from the
source with `ast`, so an arrow that runs back up fails here, not in review."""

from __future__ import annotations

import ast

from tests.conftest import ROOT

PACKAGE = ROOT / "watcher"
RANK = {
    **dict.fromkeys(["models", "errors", "wording", "schedule", "config"], 0),
    **dict.fromkeys(["extract", "track"], 1),
    **dict.fromkeys(["fetch", "discover", "page", "store", "notify", "render", "views"], 2),
    **dict.fromkeys(["pipeline", "ingest", "delivery", "health"], 3),
    **dict.fromkeys(["app", "daemon", "service", "web", "demo"], 4),
}
SIDEWAYS = {  # arrows between modules of one rank, each one way
    ("config", "models"),
    ("config", "schedule"),
    ("config", "errors"),
    ("wording", "models"),
    ("track", "extract"),  # the tracker canonicalises names with the extractor's lexicon
    ("discover", "fetch"),  # URL canonicalisation
    ("page", "fetch"),  # decoding
    ("pipeline", "ingest"),  # a run's fetched pages go to its store workers
    ("views", "render"),
    ("daemon", "app"),
    ("daemon", "service"),
    ("service", "app"),
    ("service", "web"),  # the daemon's endpoint serves the dashboard
    ("web", "app"),
    ("demo", "app"),
}
NOT_YET: set[tuple[str, str]] = set()  # arrows known to run up, to be turned round (none left)


def _top(module: str) -> str:
    return module.split(".")[1] if module.count(".") else ""


def arrows() -> set[tuple[str, str, str]]:
    """(importing file, its top-level module, the imported top-level module) for every watcher import."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        rel = path.relative_to(PACKAGE)
        source = rel.parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [a.name for a in node.names] if isinstance(node, ast.Import) else []
            for name in names:
                target = _top(name)
                if name.startswith("watcher.") and target and target != source:
                    found.add((str(rel), source, target))
    return found


def test_imports_point_down_the_layers() -> None:
    wrong = []
    for path, source, target in sorted(arrows()):
        if source.startswith("cli") or source == "__main__" or (source, target) in NOT_YET:
            continue
        if target.startswith("cli"):
            wrong.append(f"{path} imports the CLI ({target})")
        elif source not in RANK or target not in RANK:
            wrong.append(f"{path} → {target}: a module the layers do not place (add it to RANK)")
        elif RANK[target] > RANK[source] or (
            RANK[target] == RANK[source] and (source, target) not in SIDEWAYS
        ):
            wrong.append(f"{path} ({source}) imports {target}, which is not below it")
    assert wrong == []


def test_notifiers_know_no_store_and_no_app() -> None:
    reached = {target for _, source, target in arrows() if source == "notify"}
    assert reached.isdisjoint({"store", "app", "pipeline", "delivery", "daemon"}), reached
