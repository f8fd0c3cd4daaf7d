"""Alembic environment: runs on the connection the store hands over (never reads a URL)."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    render_as_batch=connection.dialect.name == "sqlite",
    version_table="adapter_schema_version",
)
with context.begin_transaction():
    context.run_migrations()
