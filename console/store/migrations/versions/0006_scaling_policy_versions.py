"""Every version of a scaling policy, kept so that it can be compared and rolled back like a rule.

Revision ID: 0006
Revises: 0005
Create Date: 2025-01-06
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the version table; each stored policy's current document becomes its first kept version."""
    versions = op.create_table(
        "scaling_policy_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("policy_id", sa.Integer, sa.ForeignKey("scaling_policies.id", ondelete="CASCADE"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.UniqueConstraint("policy_id", "version", name="uq_scaling_policy_versions_policy_version"),
    )
    policies = sa.table("scaling_policies", sa.column("id", sa.Integer), sa.column("version", sa.Integer),
                        sa.column("document", sa.JSON), sa.column("updated_at", sa.DateTime),
                        sa.column("updated_by", sa.String))
    rows = op.get_bind().execute(sa.select(policies)).all()
    if rows:
        op.bulk_insert(versions, [{"policy_id": r.id, "version": r.version, "document": r.document,
                                   "at": r.updated_at, "actor": r.updated_by} for r in rows])


def downgrade() -> None:
    """Drop the version table (the policies keep their current document and number)."""
    op.drop_table("scaling_policy_versions")
