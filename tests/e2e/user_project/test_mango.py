"""Our Mango Office integration: signed requests, and the events Mango posts to us."""

from __future__ import annotations

import hashlib
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest


def test_users_are_listed_with_a_signed_request(mango, mockpbx_journal):
    status, body = mango.post("config/users/request", {})
    assert status == 200
    assert body["users"]
    mockpbx_journal.assert_called(face="mango", method="config/users/request", times=1)


def test_bad_signature_is_refused(mango):
    status, body = mango.post("config/users/request", {}, sign="0" * 64)
    assert status == 401
    assert body["result"] == 3102


class Events(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, dict[str, str]]]] = []

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
        Events.received.append((self.path, form))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Events.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Events)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/mango/"
    server.shutdown()
    server.server_close()
    thread.join()


def test_callback_result_is_posted_to_our_webhook_signed(mockpbx, mango, receiver):
    mockpbx.set_mango_webhook(receiver)
    _, users = mango.post("config/users/request", {})
    ext = users["users"][0]["telephony"]["extension"]
    params = {"command_id": "ours-1", "from": {"extension": ext}, "to_number": "79035550100"}
    status, body = mango.post("commands/callback", params)
    assert (status, body["result"]) == (200, 1000)
    for _ in range(200):
        if any(path.endswith("result/callback") for path, _ in Events.received):
            break
        time.sleep(0.05)
    form = next(f for p, f in Events.received if p.endswith("result/callback"))
    key, salt = mango.creds["api_key"], mango.creds["api_salt"]
    assert form["sign"] == hashlib.sha256(f"{key}{form['json']}{salt}".encode()).hexdigest()
    assert json.loads(form["json"])["command_id"] == "ours-1"
