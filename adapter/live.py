"""The live window: calls ringing or talking now, for one workstation, with the caller's card.

**Which calls.** A workstation sees the calls arriving on the SIP lines
assigned to it or to its employee (routing calls to lines is the
provider's business; here we only choose what to show). The mapping comes
from a TOML file (`--workstations FILE`, env `PBX_ADAPTER_WORKSTATIONS`):

    [workstations.reception-1]
    employee = "27"            # optional: the employee working here
    sip_lines = ["4996034"]    # lines shown here (logins or numbers)
    extension = "101"          # Mango: the employee's extension (click-to-call)

Without a file entry, a workstation named like an employee of the clinic
data (id or full name) takes that employee's SIP lines. `--all` shows every
call (unfiltered). A line matches when it is equal, or equal in its digits.

**Where from.** `Provider.current_calls()`: UIS `list.calls`, the Mango
events board (fed by the signed events receiver this command runs), the
clinic API's ongoing calls. A provider without CURRENT_CALLS (as configured,
or answering that it has no such method: a partial provider) gets the window
replaced by a message saying so and why (exit 0), never a crash.

**The caller's card** (by the caller's number in the clinic data): full
name, total treatment sum, number of visits and the share completed, the
last visit (doctor and how long ago: "2 месяца 7 дней" / "2 months 7
days"), or "new caller". Totals add the patient's history before the data
(`prior`) to the visits in the store.

**The comment.** `pbx-adapter comment CALL_ID --type ... --topic ...` saves
the administrator's call type and topic with the call (`call_comments`);
reports show it and use its author as the administrator who took the call.
"""

from __future__ import annotations

import asyncio
import sys
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
import orjson

from adapter.config import Settings, settings_options
from adapter.errors import CapabilityError, ConfigError
from adapter.model import LiveCall, to_e164
from adapter.providers.base import Capability, Provider, add_months
from adapter.store.clinic import CallComment, ClinicStore, StaffMember

__all__ = [
    "CallerCard",
    "Workstation",
    "ago",
    "caller_card",
    "line_matches",
    "load_workstations",
    "register",
    "resolve_workstation",
    "snapshot",
]


# -- workstations ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Workstation:
    name: str
    employee_id: str | None = None
    sip_lines: tuple[str, ...] = ()
    extension: str | None = None

    def shows(self, call: LiveCall) -> bool:
        """Whether the call rings or talks on one of this workstation's lines."""
        return call.sip_line is not None and any(
            line_matches(call.sip_line, own) for own in self.sip_lines
        )


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def line_matches(line: str, own: str) -> bool:
    if line.strip() == own.strip():
        return True
    digits = _digits(line)
    return bool(digits) and digits == _digits(own)


def load_workstations(path: str | Path) -> dict[str, Workstation]:
    file = Path(path)
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"workstations file not found: {file}", setting="workstations") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"workstations file {file}: {exc}", setting="workstations") from exc
    table = raw.get("workstations", raw)
    if not isinstance(table, dict):
        raise ConfigError(f"{file}: expected [workstations.NAME] tables", setting="workstations")
    return {name: _workstation(file, name, spec) for name, spec in table.items()}


def _workstation(file: Path, name: str, spec: Any) -> Workstation:
    if not isinstance(spec, dict):
        raise ConfigError(f"{file}: workstations.{name} must be a table", setting="workstations")
    lines = spec.get("sip_lines", [])
    if isinstance(lines, str):
        lines = [lines]
    if not isinstance(lines, list):
        raise ConfigError(f"{file}: workstations.{name}.sip_lines must be a list")
    employee, extension = spec.get("employee"), spec.get("extension")
    return Workstation(
        name=name,
        employee_id=None if employee is None else str(employee),
        sip_lines=tuple(str(x) for x in lines),
        extension=None if extension is None else str(extension),
    )


def resolve_workstation(
    name: str, configured: dict[str, Workstation], staff: dict[str, StaffMember]
) -> Workstation:
    """The configured workstation, else the employee of that id or name with their lines."""
    found = configured.get(name)
    if found is not None:
        if not found.sip_lines and found.employee_id in staff:
            lines = staff[found.employee_id].sip_lines
            return Workstation(found.name, found.employee_id, lines, found.extension)
        return found
    for member in staff.values():
        if name in (member.id, member.name):
            return Workstation(name, member.id, member.sip_lines)
    known = sorted(configured) or ["(none configured)"]
    raise ConfigError(
        f"unknown workstation {name!r}: configure it in --workstations "
        f"(known: {', '.join(known)}) or name an employee of the clinic data",
        setting="workstation",
    )


# -- caller card ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CallerCard:
    phone: str | None
    patient_id: str | None = None
    full_name: str | None = None
    total_sum: Decimal = Decimal(0)
    visits: int = 0
    completed: int = 0
    last_visit: date | None = None
    last_doctor: str | None = None

    @property
    def new_caller(self) -> bool:
        return self.patient_id is None

    @property
    def completed_pct(self) -> int:
        """Completed visits in percent of all visits, rounded half up."""
        return 0 if self.visits == 0 else (200 * self.completed + self.visits) // (2 * self.visits)

    def as_json(self, today: date) -> dict[str, Any]:
        return {
            "phone": self.phone,
            "new_caller": self.new_caller,
            "patient_id": self.patient_id,
            "full_name": self.full_name,
            "total_sum": float(self.total_sum),
            "visits": self.visits,
            "completed": self.completed,
            "completed_pct": self.completed_pct,
            "last_visit": None if self.last_visit is None else self.last_visit.isoformat(),
            "last_doctor": self.last_doctor,
            "last_visit_ago": None if self.last_visit is None else ago(self.last_visit, today),
            "last_visit_ago_ru": None
            if self.last_visit is None
            else ago(self.last_visit, today, "ru"),
        }


def caller_card(clinic: ClinicStore, phone: str | None, now: datetime) -> CallerCard:
    """The card of the patient with this number (the earliest registered if several)."""
    number = to_e164(phone) if phone else None
    found = clinic.patients_by_phone(number) if number else []
    if not found:
        return CallerCard(number)
    patient = found[0]
    data = orjson.loads(patient["data"]) if patient.get("data") else {}
    prior = data.get("prior") or {}
    total = Decimal(str(prior.get("sum") or 0))
    visits, completed = int(prior.get("visits") or 0), int(prior.get("completed") or 0)
    last = date.fromisoformat(prior["last_visit"]) if prior.get("last_visit") else None
    doctor = prior.get("last_doctor")
    ts = now.timestamp()
    for visit in clinic.visits_of(patient["id"]):
        if visit.visit_at > ts:
            continue
        visits += 1
        completed += visit.completed
        total += visit.amount
        day = datetime.fromtimestamp(visit.visit_at, now.tzinfo).date()
        if last is None or day >= last:
            last, doctor = day, visit.doctor
    return CallerCard(
        number, str(patient["id"]), patient["full_name"], total, visits, completed, last, doctor
    )


_RU = {
    "y": ("год", "года", "лет"),
    "m": ("месяц", "месяца", "месяцев"),
    "d": ("день", "дня", "дней"),
}
_EN = {"y": ("year", "years"), "m": ("month", "months"), "d": ("day", "days")}


def _ru_form(n: int, forms: tuple[str, str, str]) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return forms[0]
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return forms[1]
    return forms[2]


def ago(since: date, today: date, lang: str = "en") -> str:
    """Calendar distance: `2 months 7 days` / `2 месяца 7 дней`; `today` / `сегодня` for 0."""
    if since > today:
        since = today
    months = (today.year - since.year) * 12 + today.month - since.month
    if today.day < since.day:
        months -= 1
    anchor = add_months(since, months)
    days = (today - anchor).days
    parts = [("y", months // 12), ("m", months % 12), ("d", days)]
    words = []
    for unit, n in parts:
        if n:
            name = _ru_form(n, _RU[unit]) if lang == "ru" else _EN[unit][n != 1]
            words.append(f"{n} {name}")
    if not words:
        return "сегодня" if lang == "ru" else "today"
    return " ".join(words)


# -- the window ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class WindowRow:
    call: LiveCall
    card: CallerCard
    comment: CallComment | None

    def as_json(self, now: datetime) -> dict[str, Any]:
        c = self.call
        return {
            "provider": c.provider,
            "call_id": c.provider_call_id,
            "state": c.state.value,
            "direction": c.direction.value,
            "started_at": c.started_at.isoformat(),
            "seconds": max(0, int((now - c.started_at).total_seconds())),
            "phone": c.contact_number,
            "virtual_number": c.virtual_number,
            "sip_line": c.sip_line,
            "employee_id": c.employee_id,
            "employee": c.employee_name,
            "card": self.card.as_json(now.date()),
            "comment": None
            if self.comment is None
            else {"call_type": self.comment.call_type, "topic": self.comment.topic},
        }


async def snapshot(
    source: Provider, clinic: ClinicStore, workstation: Workstation | None, now: datetime
) -> list[WindowRow]:
    """The calls the workstation sees now (all with `workstation` None), oldest first."""
    if Capability.CURRENT_CALLS not in source.capabilities:
        raise CapabilityError(
            f"{source.name}: this provider (as configured) cannot list current calls; "
            "the live window needs UIS with the Call API URL, Mango with the events "
            "receiver, or a clinic API with ongoing calls"
        )
    calls = await source.current_calls()
    shown = [c for c in calls if workstation is None or workstation.shows(c)]
    shown.sort(key=lambda c: (c.started_at, c.provider_call_id))
    comments = clinic.comments([(c.provider, c.provider_call_id) for c in shown])
    return [
        WindowRow(
            c,
            caller_card(clinic, c.contact_number, now),
            comments.get((c.provider, c.provider_call_id)),
        )
        for c in shown
    ]


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


# -- CLI -----------------------------------------------------------------------------------
async def _live(
    settings: Settings, station: str | None, file: str | None, every: float, once: bool,
    fmt: str, lang: str,
) -> None:  # fmt: skip
    from adapter.runtime import open_runtime

    async with open_runtime(settings) as rt:
        clinic = ClinicStore(rt.require_store().engine)
        workstation = _pick(station, file, clinic)
        source = rt.require_source()
        async with _receiving(rt):
            title = f"Calls · {workstation.name if workstation else 'all lines'}"
            try:
                if once:
                    now = await rt.clock.now()
                    rows = await snapshot(source, clinic, workstation, now)
                    _print_once(rows, title, now, fmt, lang)
                    return
                await _loop(rt, source, clinic, workstation, title, every, lang)
            except CapabilityError as exc:  # a partial provider: say so, never a crash
                _no_live(title, str(exc), fmt, lang)


NO_LIVE = {
    "en": "The provider gives no current calls ({why}). Calls show in the contact history "
    "once they end; the caller card opens from there.",
    "ru": "Провайдер не отдаёт текущие звонки ({why}). Звонки появятся в истории обращений "
    "после завершения; карточку звонящего можно открыть оттуда.",
}


def _no_live(title: str, why: str, fmt: str, lang: str) -> None:
    """The window of a provider without current calls: an explanation instead of a table."""
    message = NO_LIVE[lang].format(why=why)
    if fmt == "json":
        body = {"title": title, "calls": [], "available": False, "message": message}
        click.echo(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())
        return
    click.echo(f"{title}: {message}")


def _pick(station: str | None, file: str | None, clinic: ClinicStore) -> Workstation | None:
    if station is None:
        return None
    configured = load_workstations(file) if file else {}
    return resolve_workstation(station, configured, clinic.staff())


def _print_once(rows: list[WindowRow], title: str, now: datetime, fmt: str, lang: str) -> None:
    if fmt == "json":
        body = {"title": title, "now": now.isoformat(), "calls": [r.as_json(now) for r in rows]}
        click.echo(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())
        return
    from rich.console import Console

    Console(width=200).print(render_window(rows, title, now, lang))


async def _loop(
    rt: Any, source: Provider, clinic: ClinicStore, ws: Workstation | None, title: str,
    every: float, lang: str,
) -> None:  # fmt: skip
    from rich.live import Live

    if not sys.stdout.isatty():  # piped: one table per refresh instead of redrawing
        while True:
            now = await rt.clock.now()
            rows = await snapshot(source, clinic, ws, now)
            _print_once(rows, title, now, "table", lang)
            sys.stdout.flush()
            await asyncio.sleep(every)
    with Live(refresh_per_second=4, screen=False) as live:
        while True:
            now = await rt.clock.now()
            rows = await snapshot(source, clinic, ws, now)
            live.update(render_window(rows, title, now, lang))
            await asyncio.sleep(every)


class _receiving:
    """With Mango: run the signed events receiver (and point a mock's webhook at it)."""

    def __init__(self, rt: Any) -> None:
        self.rt = rt
        self._cm: Any = None

    async def __aenter__(self) -> None:
        s = self.rt.settings
        if self.rt.board is None:
            return
        from adapter.providers.mango_events import run_receiver

        self._cm = run_receiver(
            self.rt.board, s.mango_api_key, s.mango_api_salt,
            host=s.mango_webhook_host, port=s.mango_webhook_port,
        )  # fmt: skip
        url = await self._cm.__aenter__()
        if s.mockpbx:
            hook = s.mockpbx.rstrip("/") + "/_mockpbx/mango/webhook"
            response = await self.rt.http.post(hook, json={"url": url + "/"})
            response.raise_for_status()
        click.echo(f"listening for Mango events at {url}/", err=True)

    async def __aexit__(self, *exc: object) -> None:
        if self._cm is not None:
            await self._cm.__aexit__(None, None, None)


def register(cli: click.Group) -> None:
    from adapter.runner import run

    @cli.command()
    @click.option("--workstation", default=None, help="show only this workstation's SIP lines")
    @click.option("--all", "show_all", is_flag=True, help="every call, unfiltered")
    @click.option(
        "--workstations", envvar="PBX_ADAPTER_WORKSTATIONS", default=None,
        type=click.Path(dir_okay=False), help="TOML: [workstations.NAME] sip_lines, employee",
    )  # fmt: skip
    @click.option("--once", is_flag=True, help="print the window once and exit")
    @click.option("--interval", type=float, default=1.0, help="seconds between refreshes")
    @click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
    @click.option("--lang", type=click.Choice(["ru", "en"]), default="ru")
    @settings_options
    def live(
        settings: Settings, workstation: str | None, show_all: bool, workstations: str | None,
        once: bool, interval: float, fmt: str, lang: str,
    ) -> None:  # fmt: skip
        """Calls ringing or talking now, with the caller's card (refreshes until Ctrl-C)."""
        if workstation is None and not show_all:
            raise click.UsageError("name a --workstation, or pass --all for every call")
        station = None if show_all else workstation
        run(_live(settings, station, workstations, interval, once, fmt, lang), settings)

    @cli.command()
    @click.argument("call_id")
    @click.option("--type", "call_type", required=True, help='e.g. "Пациент. Хочет записаться"')
    @click.option("--topic", default=None)
    @click.option("--text", default=None)
    @click.option("--author", default=None, help="the administrator's employee id")
    @settings_options
    def comment(
        settings: Settings, call_id: str, call_type: str, topic: str | None, text: str | None,
        author: str | None,
    ) -> None:  # fmt: skip
        """Save the administrator's comment (call type, topic) with a call."""
        from adapter.store.sql import SqlStore

        provider = settings.provider or "uis"
        store = SqlStore(settings.store)
        try:
            note = CallComment(provider, call_id, call_type, topic, text, author)
            ClinicStore(store.engine).save_comment(note, now=datetime.now().astimezone())
        finally:
            store.close()
        click.echo(f"comment saved for {provider} call {call_id}")
