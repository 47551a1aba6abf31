"""Tracking: observations filed under series, change events and the alert outbox (deliveries).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("summary_zh", sa.Text(), nullable=False),
        sa.Column("summary_en", sa.Text(), nullable=False),
        sa.Column("old", sa.JSON(), nullable=True),
        sa.Column("new", sa.JSON(), nullable=False),
        sa.Column("immediate", sa.Boolean(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], name=op.f("fk_changes_article_id_articles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_changes")),
        sa.UniqueConstraint("key", name=op.f("uq_changes_key")),
    )
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_changes_article_id"), ["article_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_changes_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_changes_kind"), ["kind"], unique=False)

    op.create_table(
        "milestone_observations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("date", sa.String(), nullable=True),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("outlet", sa.String(), nullable=True),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("sentence", sa.Text(), nullable=False),
        sa.Column("seen_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name=op.f("fk_milestone_observations_article_id_articles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestone_observations")),
    )
    with op.batch_alter_table("milestone_observations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_milestone_observations_article_id"), ["article_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_milestone_observations_project"), ["project"], unique=False)

    op.create_table(
        "observations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series", sa.Text(), nullable=False),
        sa.Column("indicator", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("measure", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("span", sa.String(), nullable=True),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(), nullable=False),
        sa.Column("qualifier", sa.String(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("outlet", sa.String(), nullable=True),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("sentence", sa.Text(), nullable=False),
        sa.Column("seen_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name=op.f("fk_observations_article_id_articles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_observations")),
    )
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_observations_article_id"), ["article_id"], unique=False)
        batch_op.create_index("ix_observations_series_span", ["series", "span"], unique=False)

    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC_TIME, nullable=False),
        sa.Column("lease_until", UTC_TIME, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("sent_at", UTC_TIME, nullable=True),
        sa.ForeignKeyConstraint(["change_id"], ["changes.id"], name=op.f("fk_deliveries_change_id_changes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("key", name=op.f("uq_deliveries_key")),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deliveries_change_id"), ["change_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_deliveries_next_attempt_at"), ["next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_deliveries_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deliveries_status"))
        batch_op.drop_index(batch_op.f("ix_deliveries_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_deliveries_change_id"))

    op.drop_table("deliveries")
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.drop_index("ix_observations_series_span")
        batch_op.drop_index(batch_op.f("ix_observations_article_id"))

    op.drop_table("observations")
    with op.batch_alter_table("milestone_observations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_milestone_observations_project"))
        batch_op.drop_index(batch_op.f("ix_milestone_observations_article_id"))

    op.drop_table("milestone_observations")
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_changes_kind"))
        batch_op.drop_index(batch_op.f("ix_changes_created_at"))
        batch_op.drop_index(batch_op.f("ix_changes_article_id"))

    op.drop_table("changes")
