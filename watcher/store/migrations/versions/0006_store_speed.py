"""A store whose cost per article does not grow with it: near-duplicate probes on 16-bit bands, what change
detection reads (series_latest, milestone_latest), articles waiting to be tracked, per-source indexes,
and the totals of pruned crawl runs.

The band index is rebuilt from articles.simhash and the two summaries from the observations, so an
existing database upgrades in place.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from watcher.store import neardup
from watcher.store.latest import MilestoneBrief, SeriesBrief, day_number

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pruned_runs",
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("runs_ok", sa.Integer(), nullable=False),
        sa.Column("runs_failed", sa.Integer(), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], name=op.f("fk_pruned_runs_source_id_sources")),
        sa.PrimaryKeyConstraint("source_id", name=op.f("pk_pruned_runs")),
    )
    op.create_table(
        "pending_tracking",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("observations", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name=op.f("fk_pending_tracking_article_id_articles")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_pending_tracking_source_id_sources")
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_pending_tracking")),
    )
    with op.batch_alter_table("pending_tracking", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pending_tracking_source_id"), ["source_id"], unique=False)
    op.create_table(
        "milestone_latest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("date", sa.String(), nullable=False),
        sa.Column("latest_id", sa.Integer(), nullable=False),
        sa.Column("latest_day", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["latest_id"],
            ["milestone_observations.id"],
            name=op.f("fk_milestone_latest_latest_id_milestone_observations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestone_latest")),
        sa.UniqueConstraint("project", "stage", "date", name=op.f("uq_milestone_latest_project")),
    )
    op.create_table(
        "series_latest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series", sa.Text(), nullable=False),
        sa.Column("span", sa.String(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(), nullable=False),
        sa.Column("qualifier", sa.String(), nullable=False),
        sa.Column("latest_id", sa.Integer(), nullable=False),
        sa.Column("latest_day", sa.Integer(), nullable=False),
        sa.Column("earliest_id", sa.Integer(), nullable=False),
        sa.Column("earliest_day", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["earliest_id"], ["observations.id"], name=op.f("fk_series_latest_earliest_id_observations")
        ),
        sa.ForeignKeyConstraint(
            ["latest_id"], ["observations.id"], name=op.f("fk_series_latest_latest_id_observations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series_latest")),
        sa.UniqueConstraint(
            "series", "span", "value", "unit", "qualifier", name=op.f("uq_series_latest_series")
        ),
    )
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_articles_content_hash"), ["content_hash"], unique=False)
        batch_op.create_index("ix_articles_source_first_seen", ["source_id", "first_seen"], unique=False)
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.create_index("ix_changes_kind_subject", ["kind", "subject"], unique=False)
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.create_index("ix_crawl_runs_source_ok", ["source_id", "ok", "id"], unique=False)
    op.execute("DELETE FROM simhash_bands")  # 8-bit bands: rebuilt below as 16-bit ones
    with op.batch_alter_table("simhash_bands", schema=None) as batch_op:
        batch_op.add_column(sa.Column("simhash", sa.BigInteger(), nullable=False))
    _rebuild()


def _rebuild() -> None:
    bind = op.get_bind()
    meta = sa.MetaData()
    bands = sa.Table("simhash_bands", meta, autoload_with=bind)
    rows = bind.execute(sa.text("SELECT id, simhash FROM articles WHERE simhash IS NOT NULL")).all()
    _insert(
        bands,
        [
            {"band_key": key, "article_id": aid, "simhash": sig}
            for aid, sig in rows
            for key in neardup.band_keys(neardup.to_unsigned(sig))
        ],
    )
    series: dict[tuple[Any, ...], SeriesBrief] = {}
    query = "SELECT id, series, span, value, unit, qualifier, published FROM observations ORDER BY id"
    for oid, name, span, value, unit, qualifier, published in bind.execute(sa.text(query)):
        key = (name, span or "", value, unit, qualifier)
        series.setdefault(key, SeriesBrief(*key)).add(oid, day_number(published))
    _insert(sa.Table("series_latest", meta, autoload_with=bind), [b.row() for b in series.values()])
    milestones: dict[tuple[str, str, str], MilestoneBrief] = {}
    query = "SELECT id, project, stage, date, published FROM milestone_observations ORDER BY id"
    for oid, project, stage, date, published in bind.execute(sa.text(query)):
        where = (project, stage, date or "")
        milestones.setdefault(where, MilestoneBrief(*where)).add(oid, day_number(published))
    _insert(sa.Table("milestone_latest", meta, autoload_with=bind), [b.row() for b in milestones.values()])


def _insert(table: sa.Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        op.get_bind().execute(table.insert(), rows)


def downgrade() -> None:
    op.execute("DELETE FROM simhash_bands")  # 16-bit bands mean nothing to 0005: recompute with it
    with op.batch_alter_table("simhash_bands", schema=None) as batch_op:
        batch_op.drop_column("simhash")
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_crawl_runs_source_ok")
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.drop_index("ix_changes_kind_subject")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_index("ix_articles_source_first_seen")
        batch_op.drop_index(batch_op.f("ix_articles_content_hash"))
    op.drop_table("series_latest")
    op.drop_table("milestone_latest")
    with op.batch_alter_table("pending_tracking", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_tracking_source_id"))
    op.drop_table("pending_tracking")
    op.drop_table("pruned_runs")
