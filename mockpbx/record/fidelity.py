"""`mockpbx fidelity CASSETTE`: where the mock departs from the recorded provider.

Every recorded request is sent, in order, to a mock of the same face (its own
credentials and signatures put in; ids and keys the provider handed out
earlier in the cassette swapped for the mock's), and both answers are
profiled (shapes.py). Per method the report lists what matches and each
departure, phrased to paste into a bug report:

    field      the mock lacks a field the provider sends, or sends one it never does
    type       the provider sends string where the mock sends int
    null       one side sends null where the other never does
    enum       values the provider sends that the mock never does
    status     for the same request, another HTTP status
    error      an error code or mnemonic the mock does not answer with
    content    another Content-Type
    time       another time format or UTC offset
    csv        another CSV layout (line ending, trailing newline, columns)

Where a face option exists for an open point of the provider's docs, each
alternative value is tried; an option that removes a departure without adding
any is named next to it ("closed by ...").
"""

from __future__ import annotations

import asyncio
import html
import typing
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mockpbx.record.cassette import Cassette
from mockpbx.record.faces import MOCK_BASES, REDACTED, is_secret_key, parse_body
from mockpbx.record.shapes import Profile, error_of

__all__ = ["Departure", "FidelityRun", "render_html", "render_text"]

_SUBSTITUTED_KEYS = ("key", "id", "session", "token")
_CONTROL_FACE = {"uis-data": "uis", "uis-call": "uis", "mango": "mango", "clinic": "clinic"}


@dataclass(slots=True)
class Departure:
    method: str
    kind: str
    path: str
    text: str
    closed_by: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.method, self.kind, self.path)

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "kind": self.kind,
            "path": self.path,
            "text": self.text,
            "closed_by": self.closed_by,
        }


@dataclass(slots=True)
class _Pair:
    """One recorded exchange and the mock's answer to the same request."""

    method: str
    up_status: int
    up_type: str
    up_body: Any
    up_kind: str
    mock_status: int
    mock_type: str
    mock_body: Any
    mock_kind: str


class FidelityRun:
    """Replays a cassette's requests against an in-process mock and compares the answers."""

    def __init__(
        self,
        cassette: Cassette,
        *,
        scenario: Any = None,
        seed: int = 1,
        start: datetime | None = None,
        search_options: bool = True,
    ) -> None:
        self.cassette = cassette
        self.face = cassette.face
        self.exchanges = list(cassette.api())
        self.scenario = scenario
        self.seed = seed
        self.start = start or _first_time(self.exchanges)
        self.search_options = search_options

    def run(self) -> dict[str, Any]:
        """The report as a JSON-able dict."""
        return asyncio.run(self._run())

    async def _run(self) -> dict[str, Any]:
        from aiohttp import ClientSession, web

        from mockpbx.app import create_app, create_state

        state = create_state(seed=self.seed, start=self.start, rate=0.0, scenario=self.scenario)
        _lenient(state, self.face)
        runner = web.AppRunner(create_app(state), handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        server: Any = site._server
        base = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        try:
            async with ClientSession() as session:
                client = _MockClient(session, base, state, self.face)
                pairs = await client.send_all(self.exchanges)
                departures, matches = compare(self.face, pairs)
                if self.search_options and departures:
                    await _search_options(client, state, self.exchanges, departures)
        finally:
            await runner.cleanup()
        return self._report(pairs, departures, matches)

    def _report(
        self, pairs: list[_Pair], departures: list[Departure], matches: dict[str, list[str]]
    ) -> dict[str, Any]:
        methods: dict[str, Any] = {}
        for p in pairs:
            entry = methods.setdefault(p.method, {"exchanges": 0, "matches": [], "departures": []})
            entry["exchanges"] += 1
        for method, found in matches.items():
            methods[method]["matches"] = found
        for d in departures:
            methods[d.method]["departures"].append(d.as_dict())
        return {
            "face": self.face,
            "upstream": self.cassette.header.get("upstream"),
            "exchanges": len(pairs),
            "mock": {"seed": self.seed, "start": self.start.isoformat()},
            "departures": len(departures),
            "methods": methods,
        }


def _first_time(exchanges: list[dict[str, Any]]) -> datetime:
    for ex in exchanges:
        if ex.get("at"):
            return datetime.fromisoformat(ex["at"])
    return datetime.now().astimezone()


def _lenient(state: Any, face: str) -> None:
    """Limits that would let a replay of many requests trip over the mock's own budgets
    (set before the app is built: the baseline every reset restores)."""
    if face.startswith("uis"):
        _restore(state, face, {**_current(state, face), "minute_limit": 10**9, "day_limit": 10**9})
    elif face == "mango":
        _restore(state, face, {"rate_limits": False})


# -- sending ------------------------------------------------------------------------------
class _MockClient:
    def __init__(self, session: Any, base: str, state: Any, face: str) -> None:
        self.session, self.base, self.state, self.face = session, base, state, face
        self.swap: dict[Any, Any] = {}

    async def send_all(self, exchanges: list[dict[str, Any]]) -> list[_Pair]:
        self.swap = {}
        return [await self.send(ex) for ex in exchanges]

    async def send(self, ex: dict[str, Any]) -> _Pair:
        req, up = ex["request"], ex["response"]
        url = self.base + MOCK_BASES[self.face] + ("" if req["path"] == "/" else req["path"])
        headers, data = self._prepare(req)
        async with self.session.request(
            req["method"],
            url,
            params=_swapped(req.get("query") or {}, self.swap),
            data=data,
            headers=headers,
            allow_redirects=False,
        ) as resp:
            raw = await resp.read()
            ctype = resp.headers.get("Content-Type", "")
        kind, body = parse_body(ctype, raw)
        up_type = (up.get("headers") or {}).get("Content-Type", "")
        _learn(up.get("body"), body, self.swap)
        return _Pair(
            ex["method"],
            int(up["status"]),
            up_type,
            up.get("body"),
            up.get("body_kind", "none"),
            resp.status,
            ctype,
            body,
            kind,
        )

    def _prepare(self, req: dict[str, Any]) -> tuple[dict[str, str], bytes | None]:
        creds = self.state.credentials
        headers = {
            k: v for k, v in (req.get("headers") or {}).items() if k.lower() in ("content-type",)
        }
        for k, v in (req.get("headers") or {}).items():
            if k.lower() == "ident-integration-key" and v == REDACTED:
                headers[k] = creds.clinic_key
        body, kind = req.get("body"), req.get("body_kind")
        if kind == "json":
            body = _swapped(body, self.swap)
            if self.face.startswith("uis") and isinstance(body, dict):
                body = {**body, "params": _uis_credentials(body.get("params"), creds)}
            import orjson

            return headers, orjson.dumps(body)
        if kind == "form" and isinstance(body, dict):
            return headers, self._mango_form(_swapped(body, self.swap)).encode()
        if kind == "text":
            return headers, str(body).encode()
        return headers, None

    def _mango_form(self, form: dict[str, Any]) -> str:
        from urllib.parse import urlencode

        from mockpbx.providers.mango.signing import compact_json, sign

        creds = self.state.credentials
        text = form.get("json")
        text = compact_json(text) if not isinstance(text, str) else text
        out = dict(form, json=text)
        if form.get("vpbx_api_key") == REDACTED:
            out["vpbx_api_key"] = creds.mango_api_key
        if form.get("sign") == REDACTED:
            out["sign"] = sign(creds.mango_api_key, text, creds.mango_api_salt)
        return urlencode(out)


def _uis_credentials(params: Any, creds: Any) -> Any:
    if not isinstance(params, dict):
        return params
    mine = {
        "access_token": creds.uis_access_token,
        "login": creds.uis_login,
        "password": creds.uis_password,
    }
    return {k: mine.get(k, v) if v == REDACTED else v for k, v in params.items()}


def _swapped(value: Any, swap: dict[Any, Any]) -> Any:
    if not swap:
        return value
    if isinstance(value, dict):
        return {k: _swapped(v, swap) for k, v in value.items()}
    if isinstance(value, list):
        return [_swapped(v, swap) for v in value]
    if isinstance(value, (str, int)) and not isinstance(value, bool) and value in swap:
        return swap[value]
    return value


def _learn(up: Any, mock: Any, swap: dict[Any, Any], key: str = "") -> None:
    """Ids and keys the provider handed out, paired with the mock's at the same place."""
    if isinstance(up, dict) and isinstance(mock, dict):
        for k, v in up.items():
            if k in mock:
                _learn(v, mock[k], swap, str(k))
    elif isinstance(up, list) and isinstance(mock, list):
        for a, b in zip(up, mock, strict=False):
            _learn(a, b, swap, key)
    elif (
        type(up) is type(mock)
        and isinstance(up, (str, int))
        and up != mock
        and up != REDACTED
        and any(h in key.lower() for h in _SUBSTITUTED_KEYS)
        and not is_secret_key(key)
    ):
        swap.setdefault(up, mock)


# -- comparing ----------------------------------------------------------------------------
def compare(face: str, pairs: list[_Pair]) -> tuple[list[Departure], dict[str, list[str]]]:
    """Departures and matching aspects, per method."""
    by_method: dict[str, list[_Pair]] = defaultdict(list)
    for p in pairs:
        by_method[p.method].append(p)
    departures: list[Departure] = []
    matches: dict[str, list[str]] = {}
    for method, group in by_method.items():
        found = _compare_method(face, method, group)
        departures.extend(found)
        matches[method] = _matching_aspects(group, found)
    return departures, matches


def _compare_method(face: str, method: str, pairs: list[_Pair]) -> list[Departure]:
    out: list[Departure] = []
    out += _per_exchange(face, method, pairs)
    up, mock = Profile(), Profile()
    for p in pairs:
        if p.up_kind in ("json", "form"):
            up.add(p.up_status, p.up_type, p.up_body)
        if p.mock_kind in ("json", "form"):
            mock.add(p.mock_status, p.mock_type, p.mock_body)
    out += _content_types(method, pairs)
    out += _fields(method, up, mock)
    return out


def _per_exchange(face: str, method: str, pairs: list[_Pair]) -> list[Departure]:
    out: dict[tuple[str, str, str], Departure] = {}
    for p in pairs:
        up_err = error_of(face, p.up_status, p.up_body)
        mock_err = error_of(face, p.mock_status, p.mock_body)
        if up_err != mock_err and up_err is not None:
            text = (
                f"{method}: error `{up_err}` is not emulated (for the same request the mock "
                f"answered {mock_err or 'successfully'})"
            )
            d = Departure(method, "error", up_err, text)
            out.setdefault(d.key, d)
        elif up_err != mock_err:
            text = f"{method}: the mock answers error `{mock_err}` where the provider succeeds"
            d = Departure(method, "error", str(mock_err), text)
            out.setdefault(d.key, d)
        if p.up_status != p.mock_status:
            text = (
                f"{method}: for the same request the provider answers HTTP {p.up_status}, "
                f"the mock HTTP {p.mock_status}"
            )
            d = Departure(method, "status", f"{p.up_status}->{p.mock_status}", text)
            out.setdefault(d.key, d)
        if p.up_kind == "text" and p.mock_kind == "text":
            a, b = _csv_shape(str(p.up_body)), _csv_shape(str(p.mock_body))
            for aspect in sorted(k for k in a if a[k] != b.get(k)):
                text = (
                    f"{method}: CSV {aspect}: the provider sends {a[aspect]!r}, "
                    f"the mock {b.get(aspect)!r}"
                )
                d = Departure(method, "csv", aspect, text)
                out.setdefault(d.key, d)
    return list(out.values())


def _csv_shape(text: str) -> dict[str, Any]:
    lines = text.splitlines()
    return {
        "line ending": "\r\n" if "\r\n" in text else "\n",
        "trailing newline": text.endswith("\n"),
        "columns": len(lines[0].split(";")) if lines else 0,
        "records in brackets": "[" in lines[0] if lines else False,
    }


def _media(ctype: str) -> str:
    return ctype.split(";")[0].strip().lower()


def _content_types(method: str, pairs: list[_Pair]) -> list[Departure]:
    up = {_media(p.up_type) for p in pairs if p.up_type}
    mock = {_media(p.mock_type) for p in pairs if p.mock_type}
    if not up or up == mock:
        return []
    text = (
        f"{method}: the provider answers with Content-Type {', '.join(sorted(up))}, "
        f"the mock with {', '.join(sorted(mock)) or 'none'}"
    )
    return [Departure(method, "content", "Content-Type", text)]


def _fields(method: str, up: Profile, mock: Profile) -> list[Departure]:
    out: list[Departure] = []
    for path, stat in sorted(up.fields.items()):
        parent = path.rsplit(".", 1)[0] if "." in path else ""
        if path not in mock.fields:
            if parent in mock.containers or parent == "":
                text = (
                    f"{method}: the mock lacks field `{path}` (the provider sent it in "
                    f"{stat.count} place(s), e.g. {stat.example!r})"
                )
                out.append(Departure(method, "field", path, text))
            continue
        out += _field_detail(method, path, stat, mock.fields[path])
    for path, stat in sorted(mock.fields.items()):
        parent = path.rsplit(".", 1)[0] if "." in path else ""
        if path not in up.fields and (parent in up.containers or parent == ""):
            text = (
                f"{method}: the mock sends field `{path}` (e.g. {stat.example!r}), "
                f"which the provider never sent"
            )
            out.append(Departure(method, "field", path, text))
    return out


def _field_detail(method: str, path: str, a: Any, b: Any) -> list[Departure]:
    out: list[Departure] = []
    ta, tb = set(a.types) - {"null"}, set(b.types) - {"null"}
    if ta and tb and ta != tb:
        text = (
            f"{method}: `{path}`: the provider sends {'/'.join(sorted(ta))} where the mock "
            f"sends {'/'.join(sorted(tb))} (provider e.g. {a.example!r}, mock {b.example!r})"
        )
        out.append(Departure(method, "type", path, text))
    na, nb = a.types["null"], b.types["null"]
    if bool(na) != bool(nb) and (not ta or not tb or ta == tb):
        who, other = ("provider", "mock") if na else ("mock", "provider")
        example = (b if na else a).example
        text = (
            f"{method}: `{path}`: the {who} sends null where the {other} never does "
            f"(the {other} sends e.g. {example!r})"
        )
        out.append(Departure(method, "null", path, text))
    ea, eb = a.enum_values(), b.enum_values()
    if ea and eb is not None and ea - eb:
        text = (
            f"{method}: `{path}`: the provider sends {sorted(ea - eb)}, which the mock never "
            f"does (the mock sends {sorted(eb)})"
        )
        out.append(Departure(method, "enum", path, text))
    if a.formats and b.formats and set(a.formats) != set(b.formats):
        text = (
            f"{method}: `{path}`: the provider writes times as {_formats(a)}, "
            f"the mock as {_formats(b)}"
        )
        out.append(Departure(method, "time", path, text))
    elif a.offsets and b.offsets and set(a.offsets) != set(b.offsets):
        text = (
            f"{method}: `{path}`: the provider's times carry UTC offset "
            f"{'/'.join(sorted(a.offsets))}, the mock's {'/'.join(sorted(b.offsets))}"
        )
        out.append(Departure(method, "time", path + " offset", text))
    return out


def _formats(stat: Any) -> str:
    return f"{'/'.join(sorted(stat.formats))} (e.g. {stat.example!r})"


def _matching_aspects(pairs: list[_Pair], found: list[Departure]) -> list[str]:
    kinds = Counter(d.kind for d in found)
    aspects = {
        "HTTP statuses": "status",
        "errors": "error",
        "content types": "content",
        "field sets": "field",
        "types": "type",
        "null vs absent": "null",
        "enum values": "enum",
        "time formats and offsets": "time",
    }
    return [name for name, kind in aspects.items() if not kinds[kind]]


# -- options that close departures ---------------------------------------------------------
def candidate_options(face: str) -> list[tuple[str, Any]]:
    """(option, alternative value) of the face's two-reading options (Literal or bool)."""
    model = _options_model(face)
    hints = typing.get_type_hints(model)
    names = list(model.model_fields)
    out: list[tuple[str, Any]] = []
    for name in names:
        hint = hints[name]
        if hint is bool:
            out += [(name, True), (name, False)]
        elif typing.get_origin(hint) is typing.Literal:
            out += [(name, v) for v in typing.get_args(hint)]
    return out


def _options(face: str) -> Any:
    """The face's `FaceOptions` (the registry's, by the control plane's face name)."""
    from mockpbx.providers.registry import FACE_OPTIONS

    return FACE_OPTIONS[_CONTROL_FACE[face]]


def _options_model(face: str) -> Any:
    return _options(face).model


def _current(state: Any, face: str) -> dict[str, Any]:
    return dict(_options(face).of(state).model_dump())


def _set_option(state: Any, face: str, base: dict[str, Any], name: str, value: Any) -> None:
    _restore(state, face, {**base, name: value})


async def _search_options(
    client: _MockClient, state: Any, exchanges: list[dict[str, Any]], found: list[Departure]
) -> None:
    face = client.face
    base = _current(state, face)
    defaults = _current_defaults(face, base)
    methods = {d.method for d in found}
    subset = [ex for ex in exchanges if ex["method"] in methods or _is_setup(ex)]
    before = {d.key for d in found}
    for name, value in candidate_options(face):
        if defaults.get(name) == value:
            continue
        _set_option(state, face, base, name, value)
        after, _ = compare(face, await client.send_all(subset))
        after_keys = {d.key for d in after if d.method in methods}
        if after_keys - before:
            continue
        for d in found:
            if d.key not in after_keys:
                d.closed_by.append(_option_text(face, name, value))
    _restore(state, face, base)


def _restore(state: Any, face: str, values: dict[str, Any]) -> None:
    state.options[_CONTROL_FACE[face]] = _options_model(face).model_validate(values)


def _current_defaults(face: str, base: dict[str, Any]) -> dict[str, Any]:
    return {**_options_model(face)().model_dump(), **base}


def _is_setup(ex: dict[str, Any]) -> bool:
    """Requests later ones depend on (logins, report requests whose key is polled)."""
    method = str(ex["method"])
    return method.startswith("login") or method.endswith("/request")


def _option_text(face: str, name: str, value: Any) -> str:
    import json

    control, v = _CONTROL_FACE[face], json.dumps(value)
    body = json.dumps({name: value})
    return f"{control}.{name}={v} (POST /_mockpbx/{control}/options {body})"


# -- rendering ----------------------------------------------------------------------------
def render_text(report: dict[str, Any]) -> str:
    """The report as plain text, one line per departure."""
    lines = [
        f"fidelity of the mock's {report['face']} face against {report['upstream']}: "
        f"{report['exchanges']} exchange(s), {report['departures']} departure(s)",
    ]
    for method, entry in sorted(report["methods"].items()):
        lines.append(f"\n{method} ({entry['exchanges']} exchange(s))")
        if entry["matches"]:
            lines.append(f"  matches: {', '.join(entry['matches'])}")
        for d in entry["departures"]:
            lines.append(f"  - {d['text']}")
            for option in d["closed_by"]:
                lines.append(f"      closed by {option}")
    return "\n".join(lines) + "\n"


def render_html(report: dict[str, Any]) -> str:
    """The report as one self-contained HTML page."""
    esc = html.escape
    rows = []
    for method, entry in sorted(report["methods"].items()):
        items = "".join(
            f"<li>{esc(d['text'])}"
            + "".join(f"<br><em>closed by {esc(o)}</em>" for o in d["closed_by"])
            + "</li>"
            for d in entry["departures"]
        )
        rows.append(
            f"<h2>{esc(method)} <small>({entry['exchanges']} exchange(s))</small></h2>"
            f"<p>matches: {esc(', '.join(entry['matches']) or 'nothing')}</p>"
            f"<ul>{items or '<li>no departures</li>'}</ul>"
        )
    title = f"mockpbx fidelity: {report['face']}"
    return (
        f"<!doctype html><html lang='en'><meta charset='utf-8'><title>{esc(title)}</title>"
        "<style>body{font:14px system-ui;margin:2em;max-width:70em}li{margin:.4em 0}</style>"
        f"<h1>{esc(title)}</h1><p>{report['exchanges']} exchange(s) against "
        f"{esc(str(report['upstream']))}, {report['departures']} departure(s)</p>"
        + "".join(rows)
        + "</html>\n"
    )
