"""Chaos schedules for the sync: generated from a seed, run against a real mockpbx.

A schedule (`generate(seed)`) picks a provider face (UIS or Mango), a store
(SQLite or PostgreSQL), a world seed, a page size, one to four faults of
every kind (with counts, probabilities, windows) and a list of steps:
`run` (a whole `pbx-adapter sync`), `kill` (the sync as a subprocess,
SIGKILLed after a random delay: during its imports, its store creation, its
paging or its writes) and `jump` (the virtual clock moved by hours, often
across midnight). `run_schedule` plays it and checks:

- after every kill the store opens (else: an unopenable store);
- every run that exited 0 left its days complete: each call of those days
  that was in the provider's history then is cached, and nothing else;
- after the faults are removed and a final clean sync: every call of the
  closed days (from the earliest successful run's first day) is cached
  exactly once, with its id, start, end, direction and contact equal to the
  mock's truth (`/_mockpbx/truth/calls`) and every field equal to a clean
  read of the provider's history; nothing is cached for today.

The same seed replays the same schedule (`generate` is pure), which is what
every failure prints. Used by `tests/chaos` (a bounded run in CI) and
`bench/soak_chaos.py` (the soak).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from click.testing import CliRunner

from adapter.cli import main
from adapter.config import Settings
from adapter.errors import AdapterError
from adapter.model import CallRecord
from adapter.runtime import open_runtime
from adapter.store import SqlStore
from adapter.sync import midnight
from mockpbx.testing import MockPBXServer

__all__ = ["Outcome", "Schedule", "generate", "run_schedule"]

KINDS = (
    "latency",
    "hang",
    "http_status",
    "rate_limit",
    "reset",
    "truncate",
    "provider_error",
    "expire_token",
    "duplicate_rows",
    "late_rows",
)
HISTORY_METHOD = {"uis": "get.calls_report", "mango": "*"}
MAX_JUMP_HOURS = 40  # all jumps together: late calls stay inside the 3-day re-read window
_HTTP = httpx.Client()  # one client: building an SSL context per request costs 0.2 s


@dataclass(frozen=True, slots=True)
class Schedule:
    seed: int
    provider: str  # uis | mango
    store: str  # sqlite | postgresql
    world_seed: int
    backfill_days: int
    page_size: int
    faults: tuple[dict[str, Any], ...]
    steps: tuple[tuple[str, float], ...]  # (run, 0) | (kill, seconds) | (jump, hours)

    def describe(self) -> str:
        kinds = ",".join(f["kind"] for f in self.faults)
        steps = " ".join(f"{k}:{v:g}" if k != "run" else k for k, v in self.steps)
        return (
            f"seed={self.seed} {self.provider}/{self.store} world={self.world_seed} "
            f"page={self.page_size} faults=[{kinds}] steps=[{steps}]"
        )


def generate(seed: int, *, postgres: bool = True) -> Schedule:
    """The schedule of `seed` (pure: the same seed gives the same schedule)."""
    rnd = random.Random(seed)
    provider = rnd.choice(("uis", "mango"))
    store = rnd.choice(("sqlite", "postgresql"))  # drawn either way: a seed is one schedule
    if not postgres:
        store = "sqlite"
    faults = tuple(_fault(rnd, rnd.choice(KINDS)) for _ in range(rnd.randint(1, 4)))
    steps: list[tuple[str, float]] = []
    hours_left = float(MAX_JUMP_HOURS)
    for _ in range(rnd.randint(2, 5)):
        action = rnd.choices(("run", "kill", "jump"), weights=(3, 4, 3))[0]
        if action == "kill":
            steps.append(("kill", round(rnd.uniform(0.0, 1.5), 2)))
        elif action == "jump" and hours_left >= 1:
            hours = round(rnd.uniform(1, min(20.0, hours_left)), 1)
            hours_left -= hours
            steps.append(("jump", hours))
        else:
            steps.append(("run", 0.0))
    return Schedule(
        seed=seed,
        provider=provider,
        store=store,
        world_seed=rnd.randint(1, 10_000),
        backfill_days=rnd.randint(1, 3),
        page_size=rnd.choice((50, 100)),
        faults=faults,
        steps=tuple(steps),
    )


def _fault(rnd: random.Random, kind: str) -> dict[str, Any]:
    """One fault of `kind` with a random count, probability or window (see mockpbx.faults)."""
    spec: dict[str, Any] = {"kind": kind}
    hit = rnd.choice(("count", "probability", "window", "both"))
    if hit in ("count", "both"):
        spec["count"] = rnd.randint(1, 6)
    if hit in ("probability", "both"):
        spec["probability"] = round(rnd.uniform(0.05, 0.6), 2)
    if hit == "window":
        start = rnd.randint(0, 12)
        spec["window"] = {"from": f"+{start}h", "to": f"+{start + rnd.randint(1, 24)}h"}
    if kind == "latency":
        spec["seconds"] = round(rnd.uniform(0.01, 0.3), 2)
    elif kind == "hang":
        spec["seconds"] = round(rnd.uniform(0.5, 2.0), 1)
        spec.setdefault("count", rnd.randint(1, 2))
    elif kind == "http_status":
        spec["status"] = rnd.choice((500, 502, 503, 504))
    elif kind == "rate_limit":
        spec["retry_after"] = rnd.choice((0, 1))
    elif kind == "duplicate_rows":
        spec["rows"] = rnd.randint(1, 5)
    elif kind == "truncate" and rnd.random() < 0.5:
        spec["keep_bytes"] = rnd.randint(0, 200)
    elif kind == "late_rows":  # more than a day late, world-level: every call it picks
        spec = {"kind": kind, "delay_seconds": rnd.randint(90_000, 160_000)}
        spec["probability"] = round(rnd.uniform(0.1, 0.5), 2)
    return spec


@dataclass(slots=True)
class Outcome:
    schedule: Schedule
    kills: int = 0
    lost: int = 0
    duplicated: int = 0
    wrong: int = 0
    unopenable: int = 0
    incomplete_runs: int = 0
    runs_ok: int = 0
    hidden: int = 0  # calls the mock still hides from history after the faults went
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        bad = self.lost + self.duplicated + self.wrong + self.unopenable + self.incomplete_runs
        return bad == 0 and not self.problems

    def replay(self) -> str:
        return f"{self.schedule.describe()} -- replay: --seed {self.schedule.seed}"


def _field(record: CallRecord, name: str) -> Any:
    value = getattr(record, name)
    if name == "recording_urls" and record.provider == "mango":
        return tuple(url.rsplit("/", 2)[0] for url in value)
    return value


def _child_sync(args: list[str]) -> None:  # pragma: no cover - runs in a forked child
    """Run `pbx-adapter sync` with `args` and exit with its code (never returns)."""
    code = 1
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        main.main(args, prog_name="pbx-adapter", standalone_mode=False)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        code = 1
    finally:
        os._exit(code)


class _Player:
    """Plays one schedule against one server and store (see the module docstring)."""

    def __init__(self, schedule: Schedule, pbx: MockPBXServer, store_url: str) -> None:
        self.s = schedule
        self.pbx = pbx
        self.store_url = store_url
        self.out = Outcome(schedule)
        self.tz = ZoneInfo("Europe/Moscow")

    # -- the control plane --------------------------------------------------------
    def control(self, method: str, path: str, body: Any = None) -> Any:
        url = f"{self.pbx.url}/_mockpbx/{path}"
        response = _HTTP.request(method, url, json=body, timeout=30)
        if response.status_code >= 300:
            raise AssertionError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()

    def install_faults(self) -> None:
        now = self.pbx.clock.now()
        if self.s.provider == "mango":  # the real-time quota would only slow the soak down
            self.control("POST", "mango/options", {"rate_limits": False})
        for spec in self.s.faults:
            body = {"face": self.s.provider, "method": HISTORY_METHOD[self.s.provider], **spec}
            if spec["kind"] == "late_rows":
                body["face"], body["method"] = "*", "*"
                body["window"] = {
                    "from": (now - timedelta(days=1)).isoformat(),
                    "to": (now + timedelta(hours=MAX_JUMP_HOURS)).isoformat(),
                }
            elif spec["kind"] == "expire_token":
                body["method"] = "*"
            self.control("POST", "faults", body)

    # -- the adapter --------------------------------------------------------------
    def args(self) -> list[str]:
        return [
            "sync",
            "--provider", self.s.provider,
            "--mockpbx", self.pbx.url,
            "--store", self.store_url,
            "--backfill-days", str(self.s.backfill_days),
            "--page-size", str(self.s.page_size),
            "--timeout", "1",
            "--retries", "8",
            "--backoff", "0.02",
            "--backoff-max", "1",
            "--mango-poll-interval", "0.02",
            "--log-level", "error",
            "--no-progress",
        ]  # fmt: skip

    def run(self) -> int:
        """One sync run in this process (as `pbx-adapter sync`); its exit code."""
        result = CliRunner().invoke(main, self.args())
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            self.out.problems.append(f"sync crashed: {result.exception!r}")
        if result.exit_code == 0:
            self.out.runs_ok += 1
            self.check_last_run()
        return result.exit_code

    def kill(self, after: float) -> None:
        """`pbx-adapter sync` in a child process, SIGKILLed `after` seconds in (if still
        running). The child is forked from this process (imports done), so the kill
        lands in the sync's own work: store creation, paging, writes."""
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            _child_sync(self.args())
        deadline = time.monotonic() + after
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.01)
        else:
            os.kill(pid, signal.SIGKILL)
            self.out.kills += 1
            _, status = os.waitpid(pid, 0)
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
            self.out.runs_ok += 1
            self.check_last_run()
        self.check_openable()

    def check_openable(self) -> None:
        try:
            SqlStore(self.store_url).close()
        except AdapterError as exc:
            self.out.unopenable += 1
            self.out.problems.append(f"store does not open after a kill: {exc}")

    # -- checks -------------------------------------------------------------------
    def truth(self, first: date, end: date) -> list[dict[str, Any]]:
        body = self.control("GET", f"truth/calls?from={first}&to={end}")
        return list(body["calls"])

    def provider_id(self, call: dict[str, Any]) -> str:
        ids = call["ids"]
        if self.s.provider == "uis":
            return str(ids["uis"]["call_session_id"])
        return str(ids["mango"]["entry_id"])

    def cached(self, first: date, end: date) -> list[CallRecord]:
        store = SqlStore(self.store_url)
        try:
            return list(store.iter_calls(midnight(first, self.tz), midnight(end, self.tz)))
        finally:
            store.close()

    def check_last_run(self) -> None:
        """The run that just exited 0 left each of its days complete."""
        store = SqlStore(self.store_url)
        try:
            runs = store.runs(limit=1)
        finally:
            store.close()
        if not runs or runs[0].status not in ("ok", "nothing"):
            return  # "cache is up to date": nothing was planned
        run = runs[0]
        if run.date_from is None or run.date_to is None or run.date_from >= run.date_to:
            return
        truth = self.truth(run.date_from, run.date_to)
        shown = {self.provider_id(c) for c in truth if c["in_history"]}
        every = {self.provider_id(c) for c in truth}
        got = {r.provider_call_id for r in self.cached(run.date_from, run.date_to)}
        if not shown <= got or not got <= every:
            self.out.incomplete_runs += 1
            self.out.problems.append(
                f"a run that exited 0 left {run.date_from}..{run.date_to} incomplete: "
                f"{len(shown - got)} shown call(s) missing, {len(got - every)} unknown"
            )

    def final_check(self) -> None:
        store = SqlStore(self.store_url)
        try:
            ok_runs = [r for r in store.runs(limit=10_000) if r.status == "ok" and r.date_from]
            states = store.states()
        finally:
            store.close()
        today = self.pbx.clock.now().astimezone(self.tz).date()
        if not ok_runs or not states:
            self.out.problems.append("no run ended ok, even the clean one")
            return
        self.tz = ZoneInfo(states[0].timezone)
        first = min(r.date_from for r in ok_runs if r.date_from is not None)
        records = self.cached(first, today + timedelta(days=30))
        counts = Counter(r.provider_call_id for r in records)
        self.out.duplicated += sum(n - 1 for n in counts.values())
        closed = [r for r in records if r.started_at.astimezone(self.tz).date() < today]
        todays = len(records) - len(closed)
        if todays:
            self.out.wrong += todays
            self.out.problems.append(f"{todays} call(s) of today are cached")
        calls = self.truth(first, today)
        truth = {self.provider_id(c): c for c in calls}
        # Faults removed, every call of a closed day is in history again; the mock keeps
        # one hidden when two late_rows faults delayed it (it undoes them out of order):
        # not the adapter's to fetch, so counted apart.
        shown = {self.provider_id(c) for c in calls if c["in_history"]}
        self.out.hidden += len(truth) - len(shown)
        mine = {r.provider_call_id: r for r in closed}
        lost = sorted(shown - set(mine))
        unknown = sorted(set(mine) - set(truth))
        self.out.lost += len(lost)
        self.out.wrong += len(unknown)
        if lost or unknown:
            self.out.problems.append(f"lost {lost[:5]}..., unknown {unknown[:5]}...")
        reference = asyncio.run(self.clean_read(first, today))
        for key, record in mine.items():
            if key not in truth:
                continue
            differ = self.differences(record, truth[key], reference.get(key))
            if differ:
                self.out.wrong += 1
                if len(self.out.problems) < 10:
                    self.out.problems.append(f"call {key}: {', '.join(differ)} differ")

    def differences(
        self, record: CallRecord, truth: dict[str, Any], clean: CallRecord | None
    ) -> list[str]:
        """Fields of a cached call that differ from a clean read of history or the truth.

        Mango's recording links carry a fresh expiry and signature on every
        read (`.../play/<key>/<expires>/<sign>`): compared without those two.
        """
        if clean is None:
            return ["(not in a clean read of history)"]
        differ = [
            name
            for name in CallRecord.__dataclass_fields__
            if _field(record, name) != _field(clean, name)
        ]
        expected = {
            "started_at": datetime.fromisoformat(truth["start"]),
            "finished_at": datetime.fromisoformat(truth["end"]),
            "direction": truth["direction"],
            "contact_number": truth["contact_number"] or "",
        }
        got = {
            "started_at": record.started_at,
            "finished_at": record.finished_at,
            "direction": record.direction.value,
            "contact_number": (record.contact_number or "").lstrip("+"),
        }
        differ += [f"truth.{name}" for name in expected if expected[name] != got[name]]
        return differ

    async def clean_read(self, first: date, end: date) -> dict[str, CallRecord]:
        settings = Settings(
            provider=self.s.provider,
            store=self.store_url,
            mockpbx=self.pbx.url,
            page_size=self.s.page_size,
            backoff=0.02,
            backoff_max=1.0,
            mango_poll_interval=0.02,
        )
        out: dict[str, CallRecord] = {}
        async with open_runtime(settings) as rt:
            source = rt.require_source()
            async for page in source.history(midnight(first, self.tz), midnight(end, self.tz)):
                out.update((r.provider_call_id, r) for r in page)
        return out

    # -- the whole schedule -------------------------------------------------------
    def play(self) -> Outcome:
        started = time.monotonic()
        self.install_faults()
        for action, value in self.s.steps:
            if action == "run":
                self.run()
            elif action == "kill":
                self.kill(value)
            else:
                self.pbx.clock.advance(value * 3600)
        self.control("DELETE", "faults")
        if self.run() != 0 and self.run() != 0:
            self.out.problems.append("the final clean sync failed twice")
        self.final_check()
        self.out.seconds = time.monotonic() - started
        return self.out


def run_schedule(
    schedule: Schedule,
    workdir: Path,
    pg_admin: str | None = None,
    pbx: MockPBXServer | None = None,
) -> Outcome:
    """Play `schedule` on a fresh world (`pbx` rebuilt with the schedule's world seed, or
    a new server) and a fresh store; the outcome, never raises."""
    store_url, drop = _store(schedule, workdir, pg_admin)
    try:
        if pbx is not None:
            return _play(schedule, pbx, store_url)
        with MockPBXServer(seed=schedule.world_seed) as fresh:
            return _play(schedule, fresh, store_url)
    finally:
        drop()


def _play(schedule: Schedule, pbx: MockPBXServer, store_url: str) -> Outcome:
    player = _Player(schedule, pbx, store_url)
    try:
        player.control("POST", "seed", {"seed": schedule.world_seed})
        return player.play()
    except Exception as exc:  # the outcome says what went wrong, with the seed
        player.out.problems.append(f"{type(exc).__name__}: {exc}")
        return player.out


def _store(schedule: Schedule, workdir: Path, pg_admin: str | None) -> tuple[str, Any]:
    if schedule.store == "sqlite" or pg_admin is None:
        path = workdir / f"chaos-{schedule.seed}-{uuid.uuid4().hex[:6]}.sqlite3"

        def remove() -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

        return f"sqlite:///{path}", remove
    import psycopg

    name = f"adapter_chaos_{schedule.seed}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(pg_admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return pg_admin.rsplit("/", 1)[0] + "/" + name, drop
