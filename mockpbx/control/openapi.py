"""GET /_mockpbx/openapi.json: the control plane's own OpenAPI 3.1 document.

Written by hand next to the routes it describes; `tests/mockpbx/control`
checks that every route registered on the control app is in it.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mockpbx.scenarios.fault_targets import FAULT_METHODS
from mockpbx.scenarios.model import FAULT_KINDS, FaultSpec

__all__ = ["document", "routes"]

routes = web.RouteTableDef()

_OBJ: dict[str, Any] = {"type": "object"}
_ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_ERROR = {"description": "Bad request: the body names the problem", "content": _ERROR_BODY}
_LIMITS = {
    "414": {"description": "The query string is over 8 KiB", "content": _ERROR_BODY},
    "413": {"description": "The body is over 1 MiB", "content": _ERROR_BODY},
}
_UNAUTHORIZED = {
    "description": "The server has a control token and the request did not carry it",
    "content": _ERROR_BODY,
}
PUBLIC_PATHS = ("/_mockpbx/health", "/_mockpbx/openapi.json", "/_mockpbx/", "/_mockpbx/dashboard",
                "/_mockpbx")  # fmt: skip


def _op(
    summary: str,
    *,
    body: dict[str, Any] | None = None,
    query: list[str] | None = None,
    ok: int = 200,
    errors: bool = True,
    content: str = "application/json",
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "responses": {str(ok): {"description": "OK", "content": {content: {"schema": _OBJ}}}},
    }
    if errors:
        op["responses"]["400"] = _ERROR
    op["responses"]["401"] = _UNAUTHORIZED
    op["responses"].update(_LIMITS)
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if query:
        op["parameters"] = [
            {"name": q, "in": "query", "required": False, "schema": {"type": "string"}}
            for q in query
        ]
    return op


def _options_ops() -> dict[str, Any]:
    """GET/POST /{face}/options (control/options.py): one route for every face."""
    face = [{"name": "face", "in": "path", "required": True, "schema": {"type": "string"}}]
    not_found = {"404": {"description": "No face of that name", "content": _ERROR_BODY}}
    get = _op("A face's options in effect (uis, mango, clinic)", errors=False)
    post = _op("Change a face's options (partial; reset restores the baseline)", body=_OBJ)
    for op in (get, post):
        op["parameters"] = face
        op["responses"].update(not_found)
    return {"get": get, "post": post}


def _journal_op() -> dict[str, Any]:
    """GET /journal, its entries described (the response excerpt is what the dashboard shows)."""
    op = _op("Recent requests and webhooks", query=["face", "method", "since", "limit"])
    op["responses"]["200"]["content"]["application/json"]["schema"] = {
        "type": "object",
        "required": ["entries", "total"],
        "properties": {
            "entries": {"type": "array", "items": {"$ref": "#/components/schemas/JournalEntry"}},
            "total": {"type": "integer"},
        },
    }
    return op


_NULLABLE_STR = {"type": ["string", "null"]}
_JOURNAL_ENTRY = {
    "type": "object",
    "required": ["seq", "time", "face", "method", "http_method", "path", "status"],
    "properties": {
        "seq": {"type": "integer"},
        "time": {"type": "string", "format": "date-time"},
        "real_time": {"type": "number"},
        "face": {"type": "string"},
        "method": {"type": "string"},
        "http_method": {"type": "string"},
        "path": {"type": "string"},
        "status": {"type": "integer"},
        "duration_ms": {"type": "number"},
        "direction": {"type": "string", "enum": ["in", "out"]},
        "error": _NULLABLE_STR,
        "params": {"description": "The request parameters, secrets left out"},
        "fault": _NULLABLE_STR,
        "response": {
            "description": "The head of a buffered text response, secret members masked as "
            '"***"; a binary body is "(binary, N bytes)", a streamed one "(streamed)"; null '
            "for a webhook or a request that got no response",
            "type": ["object", "null"],
            "required": ["content_type", "size", "truncated", "text"],
            "properties": {
                "content_type": {"type": "string"},
                "size": {"type": ["integer", "null"]},
                "truncated": {"type": "boolean", "description": "The body was cut at 2 KiB"},
                "text": {"type": "string"},
            },
        },
    },
}


def _paths() -> dict[str, Any]:
    page = _op(
        "The dashboard: an HTML page over these endpoints", errors=False, content="text/html"
    )
    period = ["from", "to", "clinic_id", "account"]
    account = [{"name": "n", "in": "path", "required": True, "schema": {"type": "integer"}}]
    return {
        "/_mockpbx/health": {"get": _op("Liveness, scenario, seed and virtual now", errors=False)},
        "/_mockpbx/credentials": {"get": _op("URLs and credentials of every face", errors=False)},
        "/_mockpbx/clock": {
            "get": _op("Virtual now (with offset) and rate", errors=False),
            "post": _op(
                "Advance, set or change the rate of the virtual clock",
                body={
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "advance_seconds": {"type": "number", "minimum": 0, "maximum": 316224000},
                        "rate": {"type": "number", "minimum": 0, "maximum": 100000},
                        "set": {"type": "string", "format": "date-time"},
                    },
                },
            ),
        },
        "/_mockpbx/reset": {
            "post": _op("Rebuild the world (same scenario and seed)", errors=False)
        },
        "/_mockpbx/journal": {
            "get": _journal_op(),
            "delete": _op("Clear the journal", errors=False),
        },
        "/_mockpbx/errors": {"get": _op("Unexpected server errors (for tests)", errors=False)},
        "/_mockpbx/seed": {
            "get": _op("The seed of the world", errors=False),
            "post": _op(
                "Rebuild the world with another seed",
                body={
                    "type": "object",
                    "required": ["seed"],
                    "additionalProperties": False,
                    "properties": {"seed": {"type": "integer"}},
                },
            ),
        },
        "/_mockpbx/scenarios": {"get": _op("Built-in scenarios and the current one", errors=False)},
        "/_mockpbx/scenario": {
            "get": _op("The current scenario in full", errors=False),
            "post": {
                **_op(
                    "Load a scenario (built-in name, fields, or a YAML file) and rebuild",
                    body={"$ref": "#/components/schemas/ScenarioLoad"},
                ),
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/ScenarioLoad"}
                        },
                        "application/yaml": {"schema": {"type": "string"}},
                    },
                },
            },
        },
        "/_mockpbx/faults": {
            "get": _op("Installed faults, with hits and what remains", errors=False),
            "post": _op("Install a fault", body={"$ref": "#/components/schemas/Fault"}, ok=201),
            "delete": _op("Remove every fault", errors=False),
        },
        "/_mockpbx/faults/{id}": {
            "delete": {
                **_op("Remove one fault"),
                "responses": {
                    **_op("Remove one fault")["responses"],
                    "404": {"description": "No fault with that id", "content": _ERROR_BODY},
                },
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
            },
        },
        "/_mockpbx/faults/methods": {
            "get": _op("Each face's method names (for a fault's method)", errors=False)
        },
        "/_mockpbx/directory": {
            "get": _op("Clinics, employees and SIP lines of the world", errors=False)
        },
        "/_mockpbx/accounts": {
            "get": _op("Every account: number, time zone, app id, credentials", errors=False)
        },
        "/_mockpbx/accounts/{n}/faults": {
            "get": {**_op("Account n's faults"), "parameters": account},
            "post": {
                **_op(
                    "Install a fault on account n",
                    body={"$ref": "#/components/schemas/Fault"},
                    ok=201,
                ),
                "parameters": account,
            },
            "delete": {**_op("Remove account n's faults"), "parameters": account},
        },
        "/_mockpbx/truth/calls": {"get": _op("Every call started in the period", query=period)},
        "/_mockpbx/truth/clinic": {
            "get": _op("Clinic-side truth: patients, comments, appointments, visits", query=period)
        },
        "/_mockpbx/openapi.json": {"get": _op("This document", errors=False)},
        "/_mockpbx": {
            "get": {
                "summary": "Redirect to the dashboard",
                "responses": {"302": {"description": "Found: Location /_mockpbx/"}},
            }
        },
        "/_mockpbx/": {"get": page},
        "/_mockpbx/dashboard": {"get": page},
        "/_mockpbx/mango/webhook": {
            "get": _op("The Mango events webhook in effect", errors=False),
            "post": _op(
                "Set the Mango events webhook",
                body={"type": "object", "properties": {"url": {"type": ["string", "null"]}}},
            ),
        },
        "/_mockpbx/mango/delivery": {
            "get": _op("Mango webhook delivery faults", errors=False),
            "post": _op("Set Mango webhook delivery faults", body=_OBJ),
            "delete": _op("Clear Mango webhook delivery faults", errors=False),
        },
        "/_mockpbx/{face}/options": _options_ops(),
    }


def _public(paths: dict[str, Any]) -> dict[str, Any]:
    """Health, the page and this document answer without the control token."""
    for path in PUBLIC_PATHS:
        for op in paths[path].values():
            op["security"] = []
            op["responses"].pop("401", None)
    return paths


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the control plane."""
    fault = FaultSpec.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
    fault_defs = fault.pop("$defs", {})  # FaultWindow, Distribution...: components of their own
    fault.setdefault("properties", {}).setdefault("kind", {})["enum"] = list(FAULT_KINDS)
    fault["properties"].setdefault("face", {})["enum"] = ["*", *sorted(FAULT_METHODS)]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mockpbx control plane",
            "version": "1",
            "description": "Drive the mock: clock, scenario, seed, faults, journal, truth. "
            "Plain JSON of its own; errors are 400 with {error, field}. With a control "
            "token every operation but health, the dashboard and this document asks for "
            "`Authorization: Bearer <token>` (401 without it).",
        },
        "paths": _public(_paths()),
        # the token is asked for only when the server has one (`serve --control-token`)
        "security": [{"controlToken": []}, {}],
        "components": {
            "securitySchemes": {"controlToken": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                **fault_defs,
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {"type": "string"},
                        "field": {"type": ["string", "null"]},
                        "problems": {"type": "array"},
                    },
                },
                "Fault": fault,
                "JournalEntry": _JOURNAL_ENTRY,
                "ScenarioLoad": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "scenario": {"type": "object"},
                        "seed": {"type": "integer"},
                        "start": {"type": "string", "format": "date-time"},
                        "rate": {"type": "number", "minimum": 0},
                    },
                },
            },
        },
    }


@routes.get("/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(document())
