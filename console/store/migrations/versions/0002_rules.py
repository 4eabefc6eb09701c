"""Alert rules and their versions.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the rule tables."""
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("group_name", sa.String(100), nullable=False),
        sa.Column("alert", sa.String(128), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("spec", sa.JSON, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("deleted_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_alert_rules_group_alert", "alert_rules", ["group_name", "alert"])
    op.create_table(
        "alert_rule_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("rule_id", sa.Integer, sa.ForeignKey("alert_rules.id", ondelete="CASCADE"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("spec", sa.JSON, nullable=True),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("diff", sa.Text, nullable=False),
        sa.Column("warnings", sa.JSON, nullable=False),
        sa.UniqueConstraint("rule_id", "version", name="uq_alert_rule_versions_rule_version"),
    )


def downgrade() -> None:
    """Drop the rule tables."""
    op.drop_table("alert_rule_versions")
    op.drop_index("ix_alert_rules_group_alert", table_name="alert_rules")
    op.drop_table("alert_rules")
