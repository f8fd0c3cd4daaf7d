"""The call cache: `CallStore` (protocol) and `SqlStore` (SQLite file or PostgreSQL DSN)."""

from adapter.store.base import CallStore, RunSummary, SyncState
from adapter.store.sql import DEFAULT_STORE, SqlStore, normalize_url, open_store

__all__ = [
    "DEFAULT_STORE",
    "CallStore",
    "RunSummary",
    "SqlStore",
    "SyncState",
    "normalize_url",
    "open_store",
]
