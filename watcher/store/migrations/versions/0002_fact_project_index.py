"""Index milestones by project and stage, for the tracker's "which stage has this project reached".

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_facts_project_stage", "facts", ["project", "stage"])


def downgrade() -> None:
    op.drop_index("ix_facts_project_stage", table_name="facts")
