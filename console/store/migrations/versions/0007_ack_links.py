"""Ack links: single-use links in notifications that acknowledge an incident without a login.

Revision ID: 0007
Revises: 0006
Create Date: 2025-01-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the ack link table."""
    op.create_table(
        "ack_links",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("nonce_hash", sa.String(64), nullable=False),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("used_at", sa.DateTime, nullable=True),
        sa.Column("used_from", sa.String(64), nullable=True),
        sa.UniqueConstraint("nonce_hash", name="uq_ack_links_nonce_hash"),
    )


def downgrade() -> None:
    """Drop the ack link table."""
    op.drop_table("ack_links")
