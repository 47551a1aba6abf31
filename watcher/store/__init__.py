"""Storage: SQLModel tables, sessions, snapshots, near-duplicates and migrations behind one `Store`.

tables.py     the schema (SQLModel); migrations/ creates it with Alembic
writes.py     the crawl's write path (Core multi-row statements); tracking_rows.py the same for tracking
latest.py     the briefs change detection reads
db.py         engines, sessions, `alembic upgrade head`, errors → StoreError
neardup.py    content hashes and SimHash signatures with their band index keys
repo.py       Store: what the pipeline and the CLI ask of the database
"""

from watcher.store.repo import ArticleRow, FactRow, SaveResult, Snapshot, Store, Validators

__all__ = ["ArticleRow", "FactRow", "SaveResult", "Snapshot", "Store", "Validators"]
