"""One vocabulary in the audit log: the command line and the login page wrote ``success``/``failure``
and ``token.create``/``user.create`` where the API writes ``ok``/``failed`` and ``tokens.create``/``users.create``.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

RESULTS = {"success": "ok", "failure": "failed"}
ACTIONS = {"token.create": "tokens.create", "user.create": "users.create"}
audit_log = sa.table("audit_log", sa.column("result", sa.String), sa.column("action", sa.String))


def _rename(column: str, names: dict[str, str]) -> None:
    for old, new in names.items():
        op.execute(audit_log.update().where(audit_log.c[column] == old).values({column: new}))


def upgrade() -> None:
    """Rewrite the older words to the API's."""
    _rename("result", RESULTS)
    _rename("action", ACTIONS)


def downgrade() -> None:
    """Nothing to undo: the older words meant the same, and entries written since may use either."""
