"""Alembic environment: always given a live connection by ``console.store.migrate``."""
from __future__ import annotations

from alembic import context

from console.store.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
# the caller holds the transaction (and its lock); this joins it
with context.begin_transaction():
    context.run_migrations()
