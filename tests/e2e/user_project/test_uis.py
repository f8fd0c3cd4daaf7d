"""Our UIS integration against the mock (Data API v2.0, Call API v4.0)."""

from __future__ import annotations

import pytest

YESTERDAY = ("2026-05-13 00:00:00", "2026-05-13 23:59:59")


def test_account_is_readable(uis):
    status, body = uis.data("get.account")
    assert status == 200
    assert body["result"]["data"]


def test_calls_report_has_every_call_of_yesterday(uis, mockpbx_truth, mockpbx_journal):
    status, body = uis.data(
        "get.calls_report", date_from=YESTERDAY[0], date_till=YESTERDAY[1], limit=1000
    )
    truth = mockpbx_truth.calls("2026-05-13T00:00:00+03:00", "2026-05-14T00:00:00+03:00")
    assert status == 200
    assert len(body["result"]["data"]) == len(truth) > 0
    mockpbx_journal.assert_called(face="uis", method="get.calls_report", times=1)


def test_wrong_token_is_refused_in_the_uis_shape(uis):
    uis.creds = {**uis.creds, "access_token": "nope"}
    status, body = uis.data("get.account")
    assert status == 200
    assert body["error"]["data"]["mnemonic"] == "access_token_invalid"


def test_session_login_gives_a_working_token(uis):
    status, body = uis.call(
        "call", "login.user", login=uis.creds["login"], password=uis.creds["password"]
    )
    assert status == 200
    uis.creds = {**uis.creds, "access_token": body["result"]["data"]["access_token"]}
    assert "result" in uis.data("get.account")[1]


def test_rate_limit_fault_gives_429_with_retry_after(uis, mockpbx_faults, mockpbx_journal):
    with mockpbx_faults.inject(
        "uis", "rate_limit", method="get.calls_report", count=1, retry_after=3
    ):
        status, _ = uis.data("get.calls_report", date_from=YESTERDAY[0], date_till=YESTERDAY[1])
    assert status == 429
    assert [e.fault for e in mockpbx_journal.faulted("rate_limit")] == ["rate_limit"]


@pytest.mark.mockpbx(start="2026-05-14T09:00:00+03:00", seed=7)
def test_clock_starts_where_the_marker_says(mockpbx_clock):
    assert mockpbx_clock.now().isoformat() == "2026-05-14T09:00:00+03:00"
    mockpbx_clock.advance(3600)
    assert mockpbx_clock.now().hour == 10
