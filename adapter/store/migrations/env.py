"""Alembic environment: runs on the connection the store hands over (never reads a URL)."""

from __future__ import annotations

from alembic import context

from adapter.store.sql import VERSION_TABLE

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    render_as_batch=connection.dialect.name == "sqlite",
    version_table=VERSION_TABLE,
)
with context.begin_transaction():
    context.run_migrations()
