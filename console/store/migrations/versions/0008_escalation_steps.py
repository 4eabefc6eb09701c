"""Escalation steps: the timers of incidents nobody acknowledged, kept in the database.

Revision ID: 0008
Revises: 0007
Create Date: 2025-01-08
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the escalation step table."""
    op.create_table(
        "escalation_steps",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("policy", sa.String(100), nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("target", sa.JSON, nullable=False),
        sa.Column("due_at", sa.DateTime, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("incident_id", "round", "step", name="uq_escalation_steps_step"),
    )
    op.create_index("ix_escalation_steps_state_due_at", "escalation_steps", ["state", "due_at"])


def downgrade() -> None:
    """Drop the escalation step table."""
    op.drop_index("ix_escalation_steps_state_due_at", table_name="escalation_steps")
    op.drop_table("escalation_steps")
