"""How the window shows: a rich table, a JSON body, or the note of a provider without live calls."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from adapter.live.board import WindowRow
from adapter.live.card import ago

__all__ = ["NO_LIVE", "no_live_text", "render_window", "window_json"]


def render_window(rows: list[WindowRow], title: str, now: datetime, lang: str) -> Any:
    """A rich Table of the window (one row per call, the caller's card inline)."""
    from rich.table import Table

    table = Table(title=title, caption=f"{now:%Y-%m-%d %H:%M:%S} · {len(rows)} call(s)")
    for name in ("state", "since", "phone", "line", "caller", "sum", "visits", "last visit"):
        table.add_column(name)
    table.add_column("comment")
    for row in rows:
        table.add_row(*_cells(row, now, lang))
    if not rows:
        table.add_row("—", "", "no calls now", "", "", "", "", "", "")
    return table


def _cells(row: WindowRow, now: datetime, lang: str) -> list[str]:
    c, card = row.call, row.card
    seconds = max(0, int((now - c.started_at).total_seconds()))
    new = "новый клиент" if lang == "ru" else "new caller"
    last = "—"
    if card.last_visit is not None:
        last = f"{card.last_doctor or '?'}, {ago(card.last_visit, now.date(), lang)}"
    comment = "" if row.comment is None else f"{row.comment.call_type} / {row.comment.topic}"
    return [
        c.state.value,
        f"{seconds // 60}:{seconds % 60:02d}",
        c.contact_number or "?",
        c.sip_line or "—",
        new if card.new_caller else str(card.full_name),
        "" if card.new_caller else f"{card.total_sum:,.2f}".replace(",", " "),
        "" if card.new_caller else f"{card.visits} ({card.completed_pct}%)",
        "" if card.new_caller else last,
        comment,
    ]


def window_json(rows: list[WindowRow], title: str, now: datetime) -> str:
    """The window as one JSON document (`--format json`)."""
    body = {"title": title, "now": now.isoformat(), "calls": [r.as_json(now) for r in rows]}
    return orjson.dumps(body, option=orjson.OPT_INDENT_2).decode()


NO_LIVE = {
    "en": "The provider gives no current calls ({why}). Calls show in the contact history "
    "once they end; the caller card opens from there.",
    "ru": "Провайдер не отдаёт текущие звонки ({why}). Звонки появятся в истории обращений "
    "после завершения; карточку звонящего можно открыть оттуда.",
}


def no_live_text(title: str, why: str, fmt: str, lang: str) -> str:
    """The window of a provider without current calls: an explanation instead of a table."""
    message = NO_LIVE[lang].format(why=why)
    if fmt == "json":
        body = {"title": title, "calls": [], "available": False, "message": message}
        return orjson.dumps(body, option=orjson.OPT_INDENT_2).decode()
    return f"{title}: {message}"
