"""Scaling policies, decision records, manual overrides and idempotency keys.

Revision ID: 0003
Revises: 0002
Create Date: 2025-01-03
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the scaling tables."""
    op.create_table(
        "scaling_policies",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("target", sa.String(63), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("updated_by", sa.String(128), nullable=False),
        sa.UniqueConstraint("name", name="uq_scaling_policies_name"),
        sa.UniqueConstraint("target", name="uq_scaling_policies_target"),
    )
    op.create_table(
        "scale_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("target", sa.String(63), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("from_replicas", sa.Integer, nullable=False),
        sa.Column("to_replicas", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("dry_run", sa.Boolean, nullable=False),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("values", sa.JSON, nullable=True),
        sa.Column("detail", sa.JSON, nullable=True),
    )
    op.create_index("ix_scale_events_target_at", "scale_events", ["target", "at"])
    op.create_table(
        "scale_overrides",
        sa.Column("target", sa.String(63), primary_key=True),
        sa.Column("replicas", sa.Integer, nullable=False),
        sa.Column("until", sa.DateTime, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_table(
        "scale_idempotency",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("response", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    """Drop the scaling tables."""
    op.drop_table("scale_idempotency")
    op.drop_table("scale_overrides")
    op.drop_index("ix_scale_events_target_at", table_name="scale_events")
    op.drop_table("scale_events")
    op.drop_table("scaling_policies")
