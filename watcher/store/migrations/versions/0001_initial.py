"""Initial schema: sources, url states, articles with snapshots and facts, near-duplicate bands, runs.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)


def _id(table: str) -> list[sa.SchemaItem]:
    return [sa.Column("id", sa.Integer(), nullable=False), sa.PrimaryKeyConstraint("id", name=f"pk_{table}")]


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}")


def _index(table: str, *columns: str, unique: bool = False) -> None:
    op.create_index(f"ix_{table}_{columns[0]}", table, list(columns), unique=unique)


def upgrade() -> None:
    op.create_table(
        "sources",
        *_id("sources"),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=True),
        sa.Column("outlet", sa.String(), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
    )
    _index("sources", "name", unique=True)

    op.create_table(
        "url_states",
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.String(), nullable=True),
        sa.Column("fetched_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("url", name="pk_url_states"),
        _fk("url_states", "source_id", "sources"),
    )
    _index("url_states", "source_id")

    op.create_table(
        "articles",
        *_id("articles"),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("outlet", sa.String(), nullable=True),
        sa.Column("first_seen", UTC_TIME, nullable=False),
        sa.Column("last_changed", UTC_TIME, nullable=False),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.Column("simhash", sa.BigInteger(), nullable=True),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.Column("attachments", sa.JSON(), nullable=False),
        _fk("articles", "source_id", "sources"),
        _fk("articles", "duplicate_of_id", "articles"),
    )
    _index("articles", "url", unique=True)
    for column in ("source_id", "published", "first_seen", "duplicate_of_id"):
        _index("articles", column)

    op.create_table(
        "simhash_bands",
        sa.Column("band_key", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("band_key", "article_id", name="pk_simhash_bands"),
        _fk("simhash_bands", "article_id", "articles"),
    )
    _index("simhash_bands", "article_id")

    op.create_table(
        "snapshots",
        *_id("snapshots"),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("fetched_at", UTC_TIME, nullable=False),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("raw_compressed", sa.LargeBinary(), nullable=False),
        sa.Column("raw_codec", sa.String(), nullable=False),
        sa.Column("raw_hash", sa.String(), nullable=False),
        _fk("snapshots", "article_id", "articles"),
    )
    _index("snapshots", "article_id")

    op.create_table(
        "facts",
        *_id("facts"),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        *(
            sa.Column(name, sa.String(), nullable=True)
            for name in ("indicator", "subject", "measure", "kind")
        ),
        sa.Column("value", sa.Float(), nullable=True),
        *(
            sa.Column(name, sa.String(), nullable=True)
            for name in ("unit", "qualifier", "period", "deadline", "quantity", "project", "stage", "date")
        ),
        sa.Column("raw", sa.Text(), nullable=True),
        sa.Column("sentence", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        _fk("facts", "article_id", "articles"),
        _fk("facts", "snapshot_id", "snapshots"),
    )
    for column in ("article_id", "snapshot_id", "created_at"):
        _index("facts", column)
    op.create_index("ix_facts_series", "facts", ["indicator", "subject", "period"])

    op.create_table(
        "crawl_runs",
        *_id("crawl_runs"),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("started_at", UTC_TIME, nullable=False),
        sa.Column("finished_at", UTC_TIME, nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("stats", sa.JSON(), nullable=False),
        _fk("crawl_runs", "source_id", "sources"),
    )
    _index("crawl_runs", "source_id")


def downgrade() -> None:
    for table in ("crawl_runs", "facts", "snapshots", "simhash_bands", "articles", "url_states", "sources"):
        op.drop_table(table)
