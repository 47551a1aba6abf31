"""Retention of old health episodes: what the pruned ones counted (pruned_changes, pruned_deliveries), and
an index on changes (kind, created_at) that finds the old ones without reading the others.

Nothing to rebuild: both tables start empty, as nothing has been pruned yet.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pruned_changes",
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_pruned_changes")),
    )
    op.create_table(
        "pruned_deliveries",
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("deliveries", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("channel", "status", name=op.f("pk_pruned_deliveries")),
    )
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.create_index("ix_changes_kind_created_at", ["kind", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.drop_index("ix_changes_kind_created_at")
    op.drop_table("pruned_deliveries")
    op.drop_table("pruned_changes")
