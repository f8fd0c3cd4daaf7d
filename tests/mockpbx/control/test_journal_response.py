"""The journal keeps the head of each buffered text response, secrets masked, never audio."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import jsonschema_rs
import orjson
from aiohttp import web
from aiohttp.test_utils import TestClient

from mockpbx import keys
from mockpbx.app import create_app
from mockpbx.control.openapi import document
from mockpbx.providers.clinic.handlers import KEY_HEADER
from mockpbx.providers.mango.ids import mango_recording_id
from mockpbx.providers.mango.signing import sign
from mockpbx.state import RESPONSE_EXCERPT, ServerState, mask_secrets, response_excerpt

Client = TestClient  # type: ignore[type-arg]
DAY = {"date_from": "2026-05-13 00:00:00", "date_till": "2026-05-13 23:59:59"}
DATA_API = "/uis/dataapi/v2.0"


async def _rpc(client: Client, method: str, **params: Any) -> dict[str, Any]:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    resp = await client.post(DATA_API, json=body)
    assert resp.status == 200
    return await resp.json()  # type: ignore[no-any-return]


async def _mango(client: Client, state: ServerState, method: str, **kw: Any) -> Any:
    key, salt = state.credentials.mango_api_key, state.credentials.mango_api_salt
    text = orjson.dumps(kw.pop("params", {})).decode()
    form = {"vpbx_api_key": key, "sign": sign(key, text, salt), "json": text}
    return await client.post(f"/mango/vpbx/{method}", data=form, **kw)


async def _journal(client: Client) -> list[dict[str, Any]]:
    body = await (await client.get("/_mockpbx/journal")).json()
    return body["entries"]  # type: ignore[no-any-return]


async def _last_response(client: Client) -> dict[str, Any]:
    response = (await _journal(client))[-1]["response"]
    assert isinstance(response, dict)
    return response


class TestExcerpt:
    async def test_uis_call__keeps_the_json_answer(
        self, client: Client, state: ServerState
    ) -> None:
        """A small JSON-RPC answer is kept whole, with its type and size."""
        body = await _rpc(client, "get.calls_report", access_token=_token(state), limit=1, **DAY)
        response = await _last_response(client)
        assert response["content_type"] == "application/json"
        assert response["truncated"] is False
        assert json.loads(response["text"]) == body
        assert response["size"] == len(response["text"].encode())

    async def test_large_answer__keeps_only_its_head(
        self, client: Client, state: ServerState
    ) -> None:
        """A report over the limit is cut at RESPONSE_EXCERPT bytes and says so."""
        await _rpc(client, "get.calls_report", access_token=_token(state), limit=100, **DAY)
        response = await _last_response(client)
        assert response["size"] > RESPONSE_EXCERPT
        assert response["truncated"] is True
        assert len(response["text"].encode()) <= RESPONSE_EXCERPT + 3  # a cut character: U+FFFD
        assert response["text"].startswith('{"jsonrpc":"2.0"')

    async def test_uis_error__keeps_the_error_body(self, client: Client) -> None:
        """A JSON-RPC error on HTTP 200 shows its error object, the rejected token never."""
        await _rpc(client, "get.calls_report", access_token="wrong-token-123", **DAY)
        entry = (await _journal(client))[-1]
        assert entry["error"] == "access_token_invalid"
        assert "access_token_invalid" in entry["response"]["text"]
        assert "wrong-token-123" not in json.dumps(entry)

    async def test_mango_call__keeps_the_json_answer(
        self, client: Client, state: ServerState
    ) -> None:
        resp = await _mango(client, state, "config/users/request")
        assert resp.status == 200
        response = await _last_response(client)
        assert response["content_type"] == "application/json"
        assert json.loads(response["text"]) == await resp.json()

    async def test_clinic_call__keeps_the_json_answer(
        self, client: Client, state: ServerState
    ) -> None:
        headers = {KEY_HEADER: state.credentials.clinic_key}
        query = {
            "dateTimeFrom": "2026-05-13T00:00:00+03:00",
            "dateTimeTo": "2026-05-13T02:00:00+03:00",
        }
        resp = await client.get("/clinic/v1/GetTickets", params=query, headers=headers)
        assert resp.status == 200
        entry = (await _journal(client))[-1]
        assert (entry["face"], entry["method"]) == ("clinic", "GetTickets")
        assert json.loads(entry["response"]["text"]) == await resp.json()

    async def test_clinic_http_error__keeps_its_body(self, client: Client) -> None:
        """An HTTP error (here a wrong key) is journaled with the body the client got."""
        resp = await client.get("/clinic/v1/GetTickets", headers={KEY_HEADER: "nope"})
        assert resp.status >= 400
        response = await _last_response(client)
        assert response["text"] == await resp.text()
        assert "nope" not in response["text"]


class TestSecrets:
    async def test_login_user__session_token_never_reaches_the_journal(
        self, client: Client, state: ServerState
    ) -> None:
        creds = state.credentials
        body = await _rpc(client, "login.user", login=creds.uis_login, password=creds.uis_password)
        token = body["result"]["data"]["access_token"]
        served = json.dumps(await _journal(client))
        assert token not in served
        assert creds.uis_password not in served
        assert '"access_token":"***"' in served.replace("\\", "").replace(" ", "")

    def test_mask__hides_secret_members_even_when_cut(self) -> None:
        text = '{"Access_Token":"abc","api_salt" : "s\\"x","name":"Ann","sign":"deadbe'
        assert (
            mask_secrets(text)
            == '{"Access_Token":"***","api_salt" : "***","name":"Ann","sign":"***"'
        )

    async def test_secret_echoed_by_a_uis_error__is_masked(self, client: Client) -> None:
        """A password sent as a number comes back in the error's `value`: not in the journal."""
        await _rpc(client, "login.user", login="admin", password=918273645)
        response = await _last_response(client)
        assert '"field":"password","value":"***"' in response["text"]
        assert "918273645" not in json.dumps(await _journal(client))

    def test_mask__hides_numbers_and_flat_arrays_too(self) -> None:
        text = '{"key":12345,"token":["a","b"],"field":"sign","value":"s1","n":1}'
        masked = '{"key":"***","token":"***","field":"sign","value":"***","n":1}'
        assert mask_secrets(text) == masked

    def test_mask__leaves_other_members(self) -> None:
        text = '{"keys":"a","token_count":2,"tokenized":"b"}'
        assert mask_secrets(text) == text


async def _forbidden(request: web.Request) -> web.Response:
    request[keys.FACE] = "clinic"
    raise web.HTTPForbidden(text="no entry", content_type="text/plain")


async def test_http_exception__is_journaled_with_its_body(
    aiohttp_client: Any, state: ServerState
) -> None:
    """A handler that raises an HTTP error still leaves the body the client got."""
    app = create_app(state)
    app.router.add_get("/forbidden", _forbidden)
    client = await aiohttp_client(app)
    assert (await client.get("/forbidden")).status == 403
    [entry] = state.journal.entries()
    assert entry.status == 403
    assert entry.response == {
        "content_type": "text/plain", "size": 8, "truncated": False, "text": "no entry"
    }  # fmt: skip


class TestNotStored:
    async def test_recording_download__keeps_no_audio(
        self, client: Client, state: ServerState
    ) -> None:
        """The audio file is journaled as "(binary, N bytes)", its bytes are not."""
        world = state.world
        start = world.day_start(world.today() - timedelta(days=1))
        call = next(c for c in world.history(start, start + 86400) if c.has_recording)
        params = {"recording_id": mango_recording_id(call.id), "action": "download"}
        post = await _mango(client, state, "queries/recording/post", params=params,
                            allow_redirects=False)  # fmt: skip
        location = post.headers["Location"]
        audio = await client.get(location[location.index("/mango/") :])
        size = len(await audio.read())
        response = await _last_response(client)
        assert response["content_type"].startswith("audio/")
        assert response == {**response, "size": size, "text": f"(binary, {size} bytes)"}

    def test_streamed_response__is_only_named(self) -> None:
        excerpt = response_excerpt(web.StreamResponse())
        assert excerpt is not None
        assert excerpt["text"] == "(streamed)"
        assert excerpt["size"] is None

    def test_no_response__is_none(self) -> None:
        assert response_excerpt(None) is None


async def test_served_entries__match_the_openapi_document(
    client: Client, state: ServerState
) -> None:
    """Each journal entry validates against the control document's JournalEntry schema."""
    await _rpc(client, "get.calls_report", access_token=_token(state), limit=1, **DAY)
    await _rpc(client, "get.nothing", access_token=_token(state))
    components = document()["components"]
    schema = json.loads(
        json.dumps({**components["schemas"]["JournalEntry"], "components": components})
    )
    validator = jsonschema_rs.validator_for(schema)
    entries = await _journal(client)
    assert len(entries) == 2
    for entry in entries:
        validator.validate(entry)


def _token(state: ServerState) -> str:
    return state.credentials.uis_access_token
