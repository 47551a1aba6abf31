"""`watcher demo`: the whole product on a small bundled site, offline, in a few seconds.

    run_demo(settings, folder, database_url=None, say=print) → DemoResult

The site (package data under site/, written by tests/data/sites/demo.py) is served on 127.0.0.1 by
`DemoSite`; it is crawled by the same `App.crawl` as `watcher crawl` and `watcher run`, a second round is
published and crawled, and the digest a default subscriber would receive is rendered by the same
`render_digest` as `watcher digest --preview`. Nothing here extracts, tracks or renders on its own.
"""

from watcher.demo.run import DemoResult, run_demo
from watcher.demo.server import DemoSite

__all__ = ["DemoResult", "DemoSite", "run_demo"]
