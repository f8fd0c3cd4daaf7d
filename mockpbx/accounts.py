"""Many client accounts on one server: `mockpbx serve --accounts N`.

Account 1 is the server's own `ServerState` (its world, credentials and
faults, unchanged from a single-account server). Accounts 2..N each get a
`ServerState` of their own, built on first use: their own credentials, time
zone, app id, staff, numbers and lazily generated history (their own seed,
the same determinism rules), sharing the server's clock, journal and face
options. Start-up derives only the credentials (to find an account from the
credential on a request); a world costs nothing until a request reaches it,
and then only the days that are queried.

Faces find the account through one hook, `ServerState.account_for(kind,
value)`, with a credential of one of these kinds:

    uis_token    a UIS static access token (or, through `fallback`, a session)
    uis_login    a UIS login (login_user)
    mango_key    a Mango vpbx_api_key
    clinic_key   the clinic face's IDENT-Integration-Key

A file form of `--accounts` (YAML): `count: 50` and optionally `timezones:
[...]` (cycled over accounts 2..N; default `ZONES`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mockpbx.core.ids import Secrets
from mockpbx.core.world import World
from mockpbx.state import Credentials, ServerState
from mockpbx.validation import first_error

if TYPE_CHECKING:
    from mockpbx.scenarios.model import Scenario

__all__ = [
    "MAX_ACCOUNTS",
    "ZONES",
    "AccountSet",
    "AccountsFile",
    "account_credentials",
    "account_seed",
    "install_accounts",
    "load_accounts_file",
]

MAX_ACCOUNTS = 10_000
# Time zones of accounts 2..N, cycled: Russia's, so day edges differ between accounts.
ZONES = (
    "Asia/Yekaterinburg",
    "Europe/Samara",
    "Asia/Novosibirsk",
    "Europe/Kaliningrad",
    "Asia/Vladivostok",
    "Europe/Moscow",
    "Asia/Omsk",
    "Asia/Krasnoyarsk",
)
_KINDS = ("uis_token", "uis_login", "mango_key", "clinic_key")


class AccountsFile(BaseModel):
    """The file form of `--accounts`."""

    model_config = ConfigDict(extra="forbid")

    count: int = Field(ge=1, le=MAX_ACCOUNTS)
    timezones: list[str] = Field(default_factory=lambda: list(ZONES), min_length=1)

    @field_validator("timezones")
    @classmethod
    def _zones(cls, value: list[str]) -> list[str]:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        for name in value:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {name!r}") from None
        return value


def load_accounts_file(path: str | Path) -> AccountsFile:
    """Read an accounts file; ValueError naming the file and the field."""
    file = Path(path)
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{file}: cannot read the accounts file: {exc}") from None
    try:
        return AccountsFile.model_validate(raw)
    except ValidationError as exc:
        first = first_error(exc)
        raise ValueError(f"{file}: {first.field or '(top)'}: {first.msg}") from None


def account_seed(seed: int, number: int) -> int:
    """The seed of account `number` (account 1 keeps the server's seed)."""
    return seed if number == 1 else seed * 100_003 + number


def account_credentials(state: ServerState, number: int) -> Credentials:
    """The one place an account's credentials are derived (account 1: the server's own)."""
    if number == 1:
        return state.credentials
    creds = Credentials.from_key(account_key(state, number))
    return dataclasses.replace(creds, uis_login=f"{creds.uis_login}_{number}")


def account_key(state: ServerState, number: int) -> str:
    """The secret key of account `number`: derived from the server's own secret key, so a
    fixed `--secret-key` fixes every account's secrets and a random one keeps them private."""
    return f"{state.effective_secret_key()}/account/{number}"


class AccountSet:
    """Accounts 1..count of one server, built lazily; implements `state.AccountDirectory`."""

    def __init__(self, parent: ServerState, count: int, zones: Sequence[str] = ZONES) -> None:
        self.parent = parent
        self.count = count
        self.zones = tuple(zones)
        self._built: dict[int, ServerState] = {}
        self._creds: list[Credentials] = []
        self._index: dict[str, dict[str, int]] = {}
        self.rebuild()

    def rebuild(self) -> None:
        """Derive every account's credentials again (after a reset) and drop built worlds."""
        self._built = {}
        self._creds = [account_credentials(self.parent, n) for n in range(1, self.count + 1)]
        self._index = {kind: {} for kind in _KINDS}
        for n, c in enumerate(self._creds, 1):
            self._index["uis_token"][c.uis_access_token] = n
            self._index["uis_login"][c.uis_login] = n
            self._index["mango_key"][c.mango_api_key] = n
            self._index["clinic_key"][c.clinic_key] = n

    # -- lookups -----------------------------------------------------------------
    def numbers(self) -> range:
        return range(1, self.count + 1)

    def credentials(self, number: int) -> Credentials:
        return self._creds[number - 1]

    def timezone(self, number: int) -> str:
        if number == 1:
            return self.parent.world.account.timezone
        return self.zones[(number - 2) % len(self.zones)]

    def app_id(self, number: int) -> int:
        return self._scenario().app_id + number - 1

    def find(
        self, kind: str, value: str, fallback: Callable[[ServerState], bool] | None = None
    ) -> ServerState | None:
        """The account whose `kind` credential is `value`; else the first built one that
        `fallback` accepts (e.g. holds a session token); else None."""
        number = self._index.get(kind, {}).get(value)
        if number is not None:
            return self.state(number)
        if fallback is not None:
            for state in self.built():
                if fallback(state):
                    return state
        return None

    def built(self) -> Iterator[ServerState]:
        """The account states that exist (account 1 and those built so far)."""
        yield self.parent
        yield from self._built.values()

    def state(self, number: int) -> ServerState:
        """Account `number`'s state, built on first use; KeyError when out of range."""
        if not 1 <= number <= self.count:
            raise KeyError(number)
        if number == 1:
            return self.parent
        state = self._built.get(number)
        if state is None:
            state = self._built[number] = self._build(number)
        return state

    # -- building ----------------------------------------------------------------
    def _scenario(self) -> Scenario:
        from mockpbx.scenarios.model import Scenario

        return self.parent.scenario or Scenario()

    def _build(self, number: int) -> ServerState:
        from mockpbx.faults import FaultRegistry

        parent = self.parent
        seed = account_seed(parent.seed, number)
        scenario = self._scenario().model_copy(
            update={
                "timezone": self.timezone(number),
                "app_id": self.app_id(number),
                "account_name": f"{self._scenario().account_name} {number}",
            }
        )
        state = ServerState(
            world=account_world(parent, scenario, seed),
            world_factory=parent.world_factory,
            seed=seed,
            credentials=self.credentials(number),
            start=parent.start,
            rate=parent.rate,
            scenario=scenario,
            journal=parent.journal,
            base_url=parent.base_url,
            options=parent.options,
            account=number,
        )
        state.secret_key = state.credentials_key = account_key(parent, number)
        state.world.secrets = Secrets(state.secret_key)
        faults = FaultRegistry(state)
        state.faults = faults
        faults.on_reset()
        return state


def account_world(parent: ServerState, scenario: Scenario, seed: int) -> World:
    """A world for `scenario` and `seed` on the parent's clock and history span."""
    from zoneinfo import ZoneInfo

    from mockpbx.scenarios.engine import Engine, copy_directory

    first = parent.world.meta["history_from"]
    start = parent.start or parent.world.clock.now()
    anchor = start.astimezone(ZoneInfo(scenario.timezone)).date() if scenario.scripted else None
    engine = Engine(scenario, seed, anchor=anchor)
    meta = {"scenario": scenario.name, "seed": seed, "engine": engine, "history_from": first}
    return World(
        copy_directory(engine.directory),
        parent.world.clock,
        engine.seeds,
        loader=engine.day,
        history_from=first,
        meta=meta,
    )


def install_accounts(state: ServerState, count: int, zones: Sequence[str] = ZONES) -> None:
    """Serve `count` accounts from `state` (1: nothing changes); kept across resets."""
    if count <= 1:
        return
    if count > MAX_ACCOUNTS:
        raise ValueError(f"at most {MAX_ACCOUNTS} accounts, not {count}")
    accounts = AccountSet(state, count, zones)
    state.accounts = accounts
    state.on_reset.append(accounts.rebuild)
