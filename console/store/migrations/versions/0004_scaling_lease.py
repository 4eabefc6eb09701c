"""The scaling loop's leader lease and its remembered recommendations.

Revision ID: 0004
Revises: 0003
Create Date: 2025-01-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the lease and recommendation tables."""
    op.create_table(
        "scaling_leases",
        sa.Column("name", sa.String(63), primary_key=True),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "scaling_recommendations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("target", sa.String(63), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("replicas", sa.Integer, nullable=False),
    )
    op.create_index("ix_scaling_recommendations_target_at", "scaling_recommendations", ["target", "at"])


def downgrade() -> None:
    """Drop the lease and recommendation tables."""
    op.drop_index("ix_scaling_recommendations_target_at", table_name="scaling_recommendations")
    op.drop_table("scaling_recommendations")
    op.drop_table("scaling_leases")
