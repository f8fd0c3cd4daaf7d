"""Logs of the worker and the daemon: the account on every line, JSON lines on request.

`--log-json` (or `PBX_ADAPTER_LOG_JSON=1`) writes one JSON object a line:

    {"time": "...", "level": "info", "logger": "adapter.worker", "message": "...",
     "account": "branch-1", "worker": "host-1234"}

`account` is the account of the job the line was logged in (null outside a
job): a context variable set by the worker for the job's task and every task
it starts, so lines from provider clients and the store carry it too.
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

import orjson

__all__ = ["AccountFilter", "JsonFormatter", "current_account", "run_retries", "setup_logging"]

current_account: ContextVar[str | None] = ContextVar("pbx_adapter_account", default=None)
run_retries: ContextVar[list[int] | None] = ContextVar("pbx_adapter_run_retries", default=None)


class AccountFilter(logging.Filter):
    """Puts the current account (and the worker's name) on every record."""

    def __init__(self, worker: str | None = None) -> None:
        super().__init__()
        self.worker = worker

    def filter(self, record: logging.LogRecord) -> bool:
        record.account = current_account.get()
        record.worker = self.worker
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record."""

    def format(self, record: logging.LogRecord) -> str:
        body = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "account": getattr(record, "account", None),
            "worker": getattr(record, "worker", None),
        }
        if record.exc_info:
            body["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(body).decode()


def setup_logging(level: str, *, json_lines: bool, worker: str | None = None) -> None:
    """Configure the root logger once (before `adapter.cli.runner.run` would)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(AccountFilter(worker))
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(account)s]: %(message)s")
        )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    for noisy in ("httpx", "alembic", "procrastinate", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
