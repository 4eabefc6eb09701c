"""Find the incidents that hold an alert by its fingerprint alone (an Alertmanager regroup moves it).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""
from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Index incident_alerts by fingerprint."""
    op.create_index("ix_incident_alerts_fingerprint", "incident_alerts", ["fingerprint"])


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_incident_alerts_fingerprint", table_name="incident_alerts")
