"""Who an incident is assigned to, after a reassignment.

Revision ID: 0009
Revises: 0008
Create Date: 2025-01-09
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the assignee column."""
    with op.batch_alter_table("incidents") as table:
        table.add_column(sa.Column("assignee", sa.String(64), nullable=True))


def downgrade() -> None:
    """Drop the assignee column."""
    with op.batch_alter_table("incidents") as table:
        table.drop_column("assignee")
