"""Many accounts on one server (`mockpbx.accounts`): each face finds the account from the
credential on the request; accounts differ and are each deterministic; nothing is built
before it is used; the single-account server is unchanged."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs

import httpx
import orjson
import pytest
from click.testing import CliRunner

from mockpbx.accounts import AccountSet, install_accounts, load_accounts_file
from mockpbx.cli import main
from mockpbx.core.recordings import Mp3Recording, WavRecording
from mockpbx.providers.mango.ids import mango_recording_id
from mockpbx.providers.mango.signing import form_body, link_sign, sign
from mockpbx.testing import MockPBXServer

COUNT = 6


@pytest.fixture(scope="module")
def pbx() -> Iterator[MockPBXServer]:
    server = MockPBXServer(configure=lambda s: install_accounts(s, COUNT)).start()
    try:
        yield server
    finally:
        server.stop()


def get(pbx: MockPBXServer, path: str) -> httpx.Response:
    return httpx.get(f"{pbx.url}/_mockpbx/{path}", timeout=30)


def accounts(pbx: MockPBXServer) -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = get(pbx, "credentials").json()["accounts"]
    return body


def uis(pbx: MockPBXServer, account: dict[str, Any], method: str, **params: Any) -> Any:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    return httpx.post(account["uis"]["data_api_url"], json=body, timeout=30).json()


def uis_account(pbx: MockPBXServer, account: dict[str, Any], token: str | None = None) -> Any:
    token = token or account["uis"]["access_token"]
    return uis(pbx, account, "get.account", access_token=token)["result"]["data"][0]


def test_credentials__list_every_account_and_keep_account_1_at_the_top() -> None:
    """The document keeps its single-account shape (account 1) and adds `accounts`
    (both servers share one fixed secret key, so account 1's secrets are comparable)."""
    with (
        MockPBXServer(secret_key="k") as single,
        MockPBXServer(secret_key="k", configure=lambda s: install_accounts(s, 3)) as many,
    ):
        one = httpx.get(f"{single.url}/_mockpbx/credentials").json()
        doc = httpx.get(f"{many.url}/_mockpbx/credentials").json()
    assert "accounts" not in one
    assert set(doc) - {"accounts"} == set(one)
    for face in ("uis", "mango", "clinic"):
        assert set(doc[face]) == set(one[face])
        secrets = {k: v for k, v in one[face].items() if not k.endswith("url")}
        assert {k: doc[face][k] for k in secrets} == secrets
    assert [a["account"] for a in doc["accounts"]] == [1, 2, 3]
    assert doc["accounts"][0]["uis"]["access_token"] == one["uis"]["access_token"]
    tokens = {a["uis"]["access_token"] for a in doc["accounts"]}
    logins = {a["uis"]["login"] for a in doc["accounts"]}
    assert len(tokens) == len(logins) == 3


def test_uis__the_token_names_the_account(pbx: MockPBXServer) -> None:
    """Each account's static token reaches its own world: app id and time zone."""
    seen = [uis_account(pbx, a) for a in accounts(pbx)]
    assert [row["app_id"] for row in seen] == [14200 + n for n in range(COUNT)]
    assert [row["timezone"] for row in seen] == [a["timezone"] for a in accounts(pbx)]


def test_uis__login_and_session_stay_in_the_account(pbx: MockPBXServer) -> None:
    """login.user with account 3's login gives a session that reads account 3."""
    third = accounts(pbx)[2]
    login = uis(
        pbx, third, "login.user", login=third["uis"]["login"], password=third["uis"]["password"]
    )
    token = login["result"]["data"]["access_token"]
    assert uis_account(pbx, third, token)["app_id"] == third["app_id"]


def test_uis__an_unknown_token_is_refused_as_before(pbx: MockPBXServer) -> None:
    """A token no account has gets the provider's own auth error."""
    body = uis(pbx, accounts(pbx)[0], "get.account", access_token="nope")
    assert body["error"]["data"]["mnemonic"] == "access_token_invalid"


def test_mango__the_api_key_names_the_account(pbx: MockPBXServer) -> None:
    """Signed posts with account 4's key read account 4's staff, not account 1's."""

    def users(account: dict[str, Any]) -> list[str]:
        mango = account["mango"]
        _, body = form_body(mango["api_key"], mango["api_salt"], {})
        response = httpx.post(
            mango["url"] + "config/users/request",
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        return sorted(u["general"]["name"] for u in response.json()["users"])

    first, fourth = accounts(pbx)[0], accounts(pbx)[3]
    assert users(fourth) != users(first)


def test_clinic__the_key_names_the_account(pbx: MockPBXServer) -> None:
    """The clinic face answers account 2's calls for account 2's key."""
    second = accounts(pbx)[1]
    response = httpx.get(
        second["clinic"]["url"] + "/GetFinishedCalls",
        params={
            "dateTimeFrom": "2026-05-12T00:00:00+03:00",
            "dateTimeTo": "2026-05-13T00:00:00+03:00",
        },
        headers={"IDENT-Integration-Key": second["clinic"]["key"]},
    )
    truth = get(pbx, "truth/calls?account=2&from=2026-05-12T00:00:00%2B03:00"
                "&to=2026-05-13T00:00:00%2B03:00").json()  # fmt: skip
    assert response.status_code == 200, response.text
    assert len(response.json()) == min(truth["count"], len(response.json()))
    assert {str(c["Id"]) for c in response.json()} <= {str(c["id"]) for c in truth["calls"]}


def recorded_calls(pbx: MockPBXServer, account: dict[str, Any]) -> list[dict[str, Any]]:
    """A day of the account's recorded calls, from its own UIS call history."""
    rows = uis(
        pbx, account, "get.calls_report", access_token=account["uis"]["access_token"],
        date_from="2026-05-11 00:00:00", date_till="2026-05-12 00:00:00",
        fields=["id", "call_records", "talk_duration"],
    )["result"]["data"]  # fmt: skip
    recorded = [row for row in rows if row["call_records"]]
    assert recorded
    return recorded


def test_uis_media__a_link_from_account_3_plays_its_recording(pbx: MockPBXServer) -> None:
    """Account 3's public link (no credential on it) plays account 3's recording, the hash
    telling it apart from account 1's call of the same id; a wrong hash is still a 404."""
    row = recorded_calls(pbx, accounts(pbx)[2])[0]
    token = row["call_records"][0]
    for path in (f"/media/{row['id']}/{token}", f"/system/media/wav/{row['id']}/{token}/"):
        response = httpx.get(pbx.url + path, timeout=30)
        assert response.status_code == 200, path
        audio = Mp3Recording if path.startswith("/media/") else WavRecording
        assert response.content == audio(token, row["talk_duration"]).read()
    ranged = httpx.get(f"{pbx.url}/media/{row['id']}/{token}", headers={"Range": "bytes=0-99"})
    assert (ranged.status_code, len(ranged.content)) == (206, 100)
    wrong = httpx.get(f"{pbx.url}/media/{row['id']}/{'0' * 32}")
    assert (wrong.status_code, wrong.text) == (404, "recording not found")


def mango_post(account: dict[str, Any], method: str, params: dict[str, Any]) -> httpx.Response:
    mango = account["mango"]
    _, body = form_body(mango["api_key"], mango["api_salt"], params)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return httpx.post(mango["url"] + method, content=body, headers=headers, timeout=30)


def test_mango_recording__account_3s_link_plays_with_ranges(pbx: MockPBXServer) -> None:
    """recording/post with account 3's key redirects to a file link that serves account 3's
    audio, Range requests included; an unknown file link is Mango's plain 404."""
    third = accounts(pbx)[2]
    row = recorded_calls(pbx, third)[0]
    recording_id = mango_recording_id(row["id"])
    posted = mango_post(third, "queries/recording/post", {"recording_id": recording_id})
    assert posted.status_code == 302, posted.text
    location = posted.headers["Location"]
    expected = Mp3Recording(mango_recording_id(row["id"]), row["talk_duration"]).read()
    first = httpx.get(location, headers={"Range": "bytes=0-99"})
    assert (first.status_code, first.content) == (206, expected[:100])
    rest = httpx.get(location, headers={"Range": "bytes=100-"})
    assert (rest.status_code, rest.content) == (206, expected[100:])
    unknown = httpx.get(location[: location.rindex("/") + 1] + "nope")
    assert (unknown.status_code, unknown.text) == (404, "Not Found")


def test_mango_recording__account_3s_signed_get_link_redirects_to_its_audio(
    pbx: MockPBXServer,
) -> None:
    """A signed GET link carries account 3's key: it is checked against account 3's salt and
    leads to account 3's audio; signed with account 1's salt it is refused (3102)."""
    first, third = accounts(pbx)[0], accounts(pbx)[2]
    row = recorded_calls(pbx, third)[0]
    recording_id = mango_recording_id(row["id"])
    key, expires = third["mango"]["api_key"], "4102444800"  # 2100-01-01

    def link(salt: str) -> str:
        sign = link_sign(key, expires, recording_id, salt)
        path = f"queries/recording/link/{recording_id}/play/{key}/{expires}/{sign}"
        return f"{third['mango']['url']}{path}"

    redirected = httpx.get(link(third["mango"]["api_salt"]))
    assert redirected.status_code == 302, redirected.text
    audio = httpx.get(redirected.headers["Location"])
    assert audio.content == Mp3Recording(recording_id, row["talk_duration"]).read()
    refused = httpx.get(link(first["mango"]["api_salt"]))
    assert refused.json()["result"] == 3102


def test_truth__per_account_and_different_between_accounts(pbx: MockPBXServer) -> None:
    """`?account=N` reads account N's history; two accounts' histories differ."""
    one = get(pbx, "truth/calls?account=1&from=2026-05-11&to=2026-05-13").json()
    two = get(pbx, "truth/calls?account=2&from=2026-05-11&to=2026-05-13").json()
    default = get(pbx, "truth/calls?from=2026-05-11&to=2026-05-13").json()
    assert one == default
    assert [c["start"] for c in one["calls"]] != [c["start"] for c in two["calls"]]


@pytest.mark.parametrize("value", ["0", "7", "x"])
def test_truth__an_account_out_of_range_is_a_400_naming_it(pbx: MockPBXServer, value: str) -> None:
    """A wrong `account` gets a 400 with the field named."""
    response = get(pbx, f"truth/calls?account={value}")
    assert response.status_code == 400
    assert response.json()["field"] == "account"


def test_history__is_deterministic_per_account() -> None:
    """Account 3 of two servers with the same seed has the same history."""
    bodies = []
    for _ in range(2):
        with MockPBXServer(configure=lambda s: install_accounts(s, 3)) as server:
            url = f"{server.url}/_mockpbx/truth/calls?account=3&from=2026-05-08&to=2026-05-13"
            bodies.append(httpx.get(url, timeout=30).json())
    assert bodies[0] == bodies[1]
    assert bodies[0]["count"] > 0


def test_faults__of_one_account_hit_only_that_account(pbx: MockPBXServer) -> None:
    """A fault posted for account 5 answers account 5's requests, not account 6's."""
    spec = {"face": "uis", "kind": "http_status", "status": 503, "count": 1}
    created = httpx.post(f"{pbx.url}/_mockpbx/accounts/5/faults", json=spec)
    assert created.status_code == 201
    fifth, sixth = accounts(pbx)[4], accounts(pbx)[5]
    body = {"jsonrpc": "2.0", "id": 1, "method": "get.account",
            "params": {"access_token": sixth["uis"]["access_token"]}}  # fmt: skip
    assert httpx.post(sixth["uis"]["data_api_url"], json=body).status_code == 200
    body["params"] = {"access_token": fifth["uis"]["access_token"]}
    assert httpx.post(fifth["uis"]["data_api_url"], json=body).status_code == 503
    assert httpx.get(f"{pbx.url}/_mockpbx/accounts/5/faults").json()["faults"][0]["hits"] == 1


def test_accounts__are_built_only_when_used() -> None:
    """A thousand accounts hold no world until a request reaches one."""
    with MockPBXServer(configure=lambda s: install_accounts(s, 1000)) as server:
        state = server.state
        assert state is not None
        assert isinstance(state.accounts, AccountSet)
        assert len(list(state.accounts.built())) == 1
        doc = httpx.get(f"{server.url}/_mockpbx/accounts").json()
        assert doc["count"] == 1000
        uis_account(server, doc["accounts"][499])
        assert len(list(state.accounts.built())) == 2


def test_reset__keeps_the_accounts(pbx: MockPBXServer) -> None:
    """A reset rebuilds the accounts from the same seed: the same credentials."""
    before = accounts(pbx)
    assert httpx.post(f"{pbx.url}/_mockpbx/reset").status_code == 200
    assert accounts(pbx) == before
    assert uis_account(pbx, before[1])["app_id"] == 14201


def test_accounts_file__errors_name_the_field(tmp_path: Path) -> None:
    """An accounts file with a bad time zone is refused, naming the field."""
    path = tmp_path / "accounts.yaml"
    path.write_text("count: 3\ntimezones: [Mars/Olympus]\n")
    with pytest.raises(ValueError, match="timezones"):
        load_accounts_file(path)
    path.write_text("count: 3\ntimezones: [Asia/Omsk]\n")
    assert load_accounts_file(path).count == 3


@pytest.mark.parametrize("value", ["0", "10001", "missing.yaml"])
def test_serve__a_wrong_accounts_option_is_refused(value: str) -> None:
    """`mockpbx serve --accounts` with a bad count or file exits 2 naming the option."""
    result = CliRunner().invoke(main, ["serve", "--accounts", value, "--port", "1"])
    assert result.exit_code == 2
    assert "--accounts" in result.output


class Hook(BaseHTTPRequestHandler):
    """A webhook receiver keeping every signed form it is posted."""

    forms: ClassVar[list[dict[str, str]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.forms.append({k: v[0] for k, v in parse_qs(body).items()})
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def hook() -> Iterator[tuple[str, list[dict[str, str]]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    Hook.forms = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook/", Hook.forms
    finally:
        server.shutdown()
        server.server_close()


def test_mango_events__each_account_signed_with_its_own_key(
    hook: tuple[str, list[dict[str, str]]],
) -> None:
    """With the webhook set, account 2's call events reach the receiver signed with account
    2's key and salt, and are account 2's calls; account 1's still come with account 1's."""
    url, forms = hook
    with MockPBXServer(configure=lambda s: install_accounts(s, 3)) as server:
        first, second = accounts(server)[:2]
        assert mango_post(second, "config/users/request", {}).status_code == 200  # built
        hooked = httpx.post(f"{server.url}/_mockpbx/mango/webhook", json={"url": url})
        assert hooked.status_code == 200, hooked.text
        since = server.clock.now()
        for _ in range(6):
            server.clock.advance(600)
            if wait_for(lambda: {f["vpbx_api_key"] for f in forms} >= {
                first["mango"]["api_key"], second["mango"]["api_key"]}):  # fmt: skip
                break
        truth = get(server, f"truth/calls?account=2&from={since.date()}").json()
        server.check_errors()
    by_key = {a["mango"]["api_key"]: a["mango"]["api_salt"] for a in (first, second)}
    assert set(by_key) <= {f["vpbx_api_key"] for f in forms}
    for form in forms:
        assert form["sign"] == sign(
            form["vpbx_api_key"], form["json"], by_key[form["vpbx_api_key"]]
        )
    entries = {c["ids"]["mango"]["entry_id"] for c in truth["calls"]}
    second_entries = {
        orjson.loads(f["json"]).get("entry_id")
        for f in forms
        if f["vpbx_api_key"] == second["mango"]["api_key"]
    }
    second_entries.discard(None)
    assert second_entries
    assert second_entries <= entries


def test_mango_events__follow_an_account_rebuilt_by_a_reset(
    hook: tuple[str, list[dict[str, str]]],
) -> None:
    """After a reset (which drops built accounts and the webhook), account 2 built again
    posts its events to the webhook set again, still signed with its own key."""
    url, forms = hook
    with MockPBXServer(configure=lambda s: install_accounts(s, 2)) as server:
        second = accounts(server)[1]
        key = second["mango"]["api_key"]
        for _ in range(2):
            forms.clear()
            assert mango_post(second, "config/users/request", {}).status_code == 200
            assert httpx.post(f"{server.url}/_mockpbx/mango/webhook", json={"url": url}).is_success
            for _ in range(6):
                server.clock.advance(600)
                if wait_for(lambda: key in {f["vpbx_api_key"] for f in forms}):
                    break
            assert key in {f["vpbx_api_key"] for f in forms}
            assert httpx.post(f"{server.url}/_mockpbx/reset").status_code == 200
        assert len(list(server.call(lambda s: s.accounts.built()))) == 1
        server.check_errors()


def wait_for(done: Callable[[], bool], seconds: float = 10.0) -> bool:
    """Poll `done` until it holds or `seconds` of real time pass."""
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
