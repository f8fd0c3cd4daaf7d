"""End to end over real TCP: login, callback, live view, report, recording download."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mockpbx.testing import MockPBXServer
from tests.mockpbx.mp3 import decode_info, frame_offsets


def _rpc(http: httpx.Client, url: str, method: str, **params: Any) -> Any:
    body = {"jsonrpc": "2.0", "id": method, "method": method, "params": params}
    resp = http.post(url, json=body, headers={"Content-Type": "application/json; charset=UTF-8"})
    assert resp.status_code == 200
    doc = resp.json()
    assert "result" in doc, doc
    return doc["result"]["data"]


def test_callback__live_then_reported_with_a_playable_recording(mockpbx: MockPBXServer) -> None:
    creds = mockpbx.credentials["uis"]
    mockpbx.call(lambda s: s.world.meta.update(callback={"contact_answer_rate": 1.0}))
    employee_id, number = mockpbx.call(
        lambda s: (s.world.employees[0].id, s.world.numbers[0].number)
    )
    with httpx.Client(timeout=30) as http:
        session = _rpc(
            http,
            creds["call_api_url"],
            "login.user",
            login=creds["login"],
            password=creds["password"],
        )
        token = session["access_token"]
        started = _rpc(
            http,
            creds["call_api_url"],
            "start.employee_call",
            access_token=token,
            first_call="employee",
            virtual_phone_number=number,
            contact="79161234567",
            employee={"id": employee_id},
        )
        call_id = started["call_session_id"]

        live = _rpc(http, creds["call_api_url"], "list.calls", access_token=token)
        legs = next(c for c in live if c["call_session_id"] == call_id)["legs"]
        assert legs[0]["employee_id"] == employee_id
        assert legs[0]["state"] == "Дозвон"

        mockpbx.clock.advance(3 * 3600)  # the call is long over
        today = mockpbx.clock.now().astimezone(mockpbx.call(lambda s: s.world.tz)).date()
        rows = _rpc(
            http,
            creds["data_api_url"],
            "get.calls_report",
            access_token=creds["access_token"],
            date_from=f"{today} 00:00:00",
            date_till=f"{today} 23:59:59",
            fields=["id", "talk_duration", "full_record_file_link", "call_records"],
        )
        row = next(r for r in rows if r["id"] == call_id)
        assert row["talk_duration"] > 0
        link = row["full_record_file_link"]
        assert link.startswith(mockpbx.url)

        audio = http.get(link)  # no auth: the hash is the secret
        assert audio.status_code == 200
        assert audio.headers["content-type"] == "audio/mpeg"
        assert decode_info(audio.content).length == pytest.approx(row["talk_duration"], abs=1.01)
        assert len(frame_offsets(audio.content)) > 0
        part = http.get(link, headers={"Range": "bytes=44-143"})
        assert part.status_code == 206
        assert part.content == audio.content[44:144]
        assert part.headers["content-range"] == f"bytes 44-143/{len(audio.content)}"
    assert mockpbx.journal.count(face="uis", method="get.calls_report") == 1
