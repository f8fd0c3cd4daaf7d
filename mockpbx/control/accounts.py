"""/_mockpbx/ parts of a server with many accounts (`mockpbx serve --accounts N`).

    GET    /_mockpbx/accounts                 {"count", "accounts": [{account, timezone, ...}]}
    POST   /_mockpbx/accounts/{n}/faults            a FaultSpec on account n's requests only
    GET    /_mockpbx/accounts/{n}/faults            {"faults": [...]}
    DELETE /_mockpbx/accounts/{n}/faults            remove them all

`?account=N` on /_mockpbx/truth/* reads account N's world (`account_state`);
/_mockpbx/credentials lists every account under `accounts` (`accounts_document`).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mockpbx.control.params import bad_request
from mockpbx.state import STATE, ServerState

__all__ = ["account_state", "accounts_document", "routes"]

routes = web.RouteTableDef()


def _count(state: ServerState) -> int:
    accounts = state.accounts
    return 1 if accounts is None else int(getattr(accounts, "count", 1))


def _number(raw: str | None, state: ServerState, field: str) -> int:
    count = _count(state)
    if raw is None or not raw.isdigit() or not 1 <= int(raw) <= count:
        raise bad_request(f"{field} must be an account number 1..{count}, got {raw!r}", field)
    return int(raw)


def account_state(request: web.Request) -> ServerState:
    """The state of the account named by `?account=N` (default: the server's own, 1)."""
    state = request.config_dict[STATE]
    raw = request.query.get("account")
    if raw is None:
        return state
    number = _number(raw, state, "account")
    return state if state.accounts is None else state.accounts.state(number)


def _summary(state: ServerState, number: int, base: str) -> dict[str, Any]:
    accounts: Any = state.accounts
    doc = accounts.credentials(number).document(base)
    doc.pop("base_url", None)
    return {
        "account": number,
        "timezone": accounts.timezone(number),
        "app_id": accounts.app_id(number),
        **doc,
    }


def accounts_document(state: ServerState, base: str) -> list[dict[str, Any]] | None:
    """Every account's time zone, app id and credentials (None: one account)."""
    if state.accounts is None:
        return None
    return [_summary(state, n, base) for n in range(1, _count(state) + 1)]


@routes.get("/accounts")
async def list_accounts(request: web.Request) -> web.Response:
    state = request.config_dict[STATE]
    accounts = accounts_document(state, str(request.url.origin()))
    return web.json_response({"count": _count(state), "accounts": accounts or []})


def _registry(request: web.Request) -> Any:
    state = request.config_dict[STATE]
    number = _number(request.match_info["n"], state, "account")
    account = state if state.accounts is None else state.accounts.state(number)
    return account.faults


@routes.post("/accounts/{n}/faults")
async def add_account_fault(request: web.Request) -> web.Response:
    from mockpbx.control.faults import install_fault

    return await install_fault(request, _registry(request))


@routes.get("/accounts/{n}/faults")
async def list_account_faults(request: web.Request) -> web.Response:
    return web.json_response({"faults": _registry(request).describe()})


@routes.delete("/accounts/{n}/faults")
async def clear_account_faults(request: web.Request) -> web.Response:
    registry = _registry(request)
    count = len(registry.describe())
    registry.clear()
    return web.json_response({"cleared": count})
