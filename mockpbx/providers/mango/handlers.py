"""queries/* (call tracking), config/users/request, incominglines, sips, groups, trunks/numbers.

Also account/balance, whose reply shape is inferred (see `balance`).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mockpbx.core.model import Call
from mockpbx.providers.mango.context import Ctx, json_response, ok
from mockpbx.providers.mango.directory import visit_pages, visitor_info
from mockpbx.providers.mango.errors import MangoError

__all__ = ["QUERIES"]

DCT_SESSION = 24 * 3600  # a dynamic number stays bound to its visitor this long


def _number(ctx: Ctx) -> str:
    number = str(ctx.params.get("number") or "").strip()
    if not number:
        raise MangoError(3103, "number: field required")
    return number


def _visitor_call(ctx: Ctx, number: str) -> Call | None:
    """The latest call on `number` that came from a web visit (the bound visitor)."""
    now = ctx.now
    for call in reversed(ctx.world.store.between(now - DCT_SESSION, now + 1)):
        if call.virtual_number == number and call.visit is not None:
            return call
    return None


async def user_info(ctx: Ctx) -> web.Response:
    call = _visitor_call(ctx, _number(ctx))
    if call is None or call.visit is None:
        return json_response({})
    info = visitor_info(call, call.visit, ctx.world, ctx.now)
    return json_response({"data": info} if ctx.opts.dct_info_wrapped else info)


async def user_history(ctx: Ctx) -> web.Response:
    call = _visitor_call(ctx, _number(ctx))
    pages = visit_pages(call.visit) if call is not None and call.visit is not None else []
    return json_response({"data": pages})


async def users(ctx: Ctx) -> web.Response:
    look = ctx.lookup()
    extension = str(ctx.params.get("extension") or "")
    raw = ctx.params.get("ext_fields") or []
    if not isinstance(raw, list):
        raise MangoError(3104, "ext_fields: expected an array of strings")
    fields = {str(f) for f in raw}
    staff = [e for e in ctx.world.employees if not extension or e.extension == extension]
    return json_response({"users": [look.user(e, fields) for e in staff]})


async def incominglines(ctx: Ctx) -> web.Response:
    lines = [
        {
            "line_id": n.id,
            "number": n.number,
            "name": n.name or None,
            "comment": n.type.value,
            "region": "1",
            "schema_id": 11_000_000 + n.scenario_id,
            "schema_name": n.scenario_name or "По умолчанию",
        }
        for n in ctx.world.numbers
    ]
    return ok(ctx, {"lines": lines})


async def sips(ctx: Ctx) -> web.Response:
    domain = ctx.world.account.sip_domain
    data = [
        {
            "user_id": e.mango_user_id,
            "sips": [
                {"id": ln.id, "login": ln.login, "domain": domain}
                for ln in ctx.world.lines_of(e.id)
            ],
        }
        for e in ctx.world.employees
    ]
    return ok(ctx, {"data": data})


def _int(ctx: Ctx, name: str) -> int | None:
    value = ctx.params.get(name)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise MangoError(3104, f"{name}: expected an integer") from None


async def groups(ctx: Ctx) -> web.Response:
    look = ctx.lookup()
    gid, operator = _int(ctx, "group_id"), _int(ctx, "operator_id")
    extension = str(ctx.params.get("operator_extension") or "")
    show = _int(ctx, "show_users") == 1
    out: list[dict[str, Any]] = []
    for g in look.groups:
        ids = {e.mango_user_id for e in g.members}
        exts = {e.extension for e in g.members}
        if (gid and g.id != gid) or (operator and operator not in ids):
            continue
        if extension and extension not in exts:
            continue
        out.append(_group(g, ctx, show))
    return ok(ctx, {"groups": out})


def _group(g: Any, ctx: Ctx, show: bool) -> dict[str, Any]:
    number = next((n for n in ctx.world.numbers if n.clinic_id == g.clinic_id), None)
    group: dict[str, Any] = {
        "id": g.id,
        "name": g.name,
        "description": "",
        "extension": g.extension,
        "dial_alg_group": 0,
        "dial_alg_users": 5,
        "auto_redirect": 0,
        "auto_dial": 0,
        "line_id": number.id if number else None,
        "use_dynamic_ivr": 0,
        "use_dynamic_seq_num": 0,
        "melody_id": None,
    }
    if show:
        group["operators"] = [
            {
                "id": e.mango_user_id,
                "name": e.full_name,
                "extension": e.extension,
                "priority": 1,
                "order": i,
            }
            for i, e in enumerate(g.members, start=1)
        ]
    return group


async def trunks_numbers(ctx: Ctx) -> web.Response:
    """The world has no SIP trunks: an honest empty list."""
    return ok(ctx, {"data": []})


async def balance(ctx: Ctx) -> web.Response:
    """Listed by name only (mango.md 8); the shape is inferred, the amount an option."""
    return ok(ctx, {"balance": ctx.opts.balance})


QUERIES = {
    "queries/user_info_by_dct_number": user_info,
    "queries/user_history_by_dct_number": user_history,
    "config/users/request": users,
    "incominglines": incominglines,
    "sips": sips,
    "groups": groups,
    "trunks/numbers": trunks_numbers,
    "account/balance": balance,
}
