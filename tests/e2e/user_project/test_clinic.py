"""Our clinic HTTP API client (the IDENT HTTP variant) against the mock."""

from __future__ import annotations

import urllib.request

import pytest

DAY = {"dateTimeFrom": "2026-05-13T00:00:00+03:00", "dateTimeTo": "2026-05-14T00:00:00+03:00"}


def test_finished_calls_of_a_day_match_the_truth(clinic, mockpbx_truth):
    status, calls = clinic.get("GetFinishedCalls", limit=1000, **DAY)
    assert status == 200
    truth = mockpbx_truth.calls(DAY["dateTimeFrom"], DAY["dateTimeTo"])
    assert {c["Id"] for c in calls} <= {str(t["id"]) for t in truth}
    assert len(calls) > 0


def test_a_wrong_key_is_refused(clinic):
    status, body = clinic.get("GetOngoingCalls", key="wrong")
    assert status in (401, 403)
    assert body["error"]


def test_an_injected_outage_is_a_503(clinic, mockpbx_faults):
    mockpbx_faults.add("clinic", "http_status", method="*", status=503, count=1)
    assert clinic.get("GetOngoingCalls")[0] == 503
    assert clinic.get("GetOngoingCalls")[0] == 200


@pytest.mark.mockpbx(scenario="clinic_day", seed=3)
def test_health_says_which_world_we_got(mockpbx):
    with urllib.request.urlopen(f"{mockpbx.url}/_mockpbx/health", timeout=10) as resp:
        assert b'"scenario": "clinic_day"' in resp.read()
