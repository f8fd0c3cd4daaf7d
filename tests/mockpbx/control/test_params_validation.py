"""Control-plane integers in queries and paths: ASCII digits only, else 400 in the control shape."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

BAD = ["³", "٣", "1²", "-1", "1.5", "x", "9" * 5000, ""]


@pytest.mark.parametrize("raw", BAD)
@pytest.mark.parametrize("path", ["/_mockpbx/truth/calls", "/_mockpbx/truth/clinic"])
async def test_truth_clinic_id__non_ascii_digits_are_400(
    client: TestClient,  # type: ignore[type-arg]
    path: str,
    raw: str,
) -> None:
    """`"³".isdigit()` is true but int("³") raises: the answer is 400 naming clinic_id, not 500."""
    resp = await client.get(path, params={"clinic_id": raw})
    assert resp.status == 400
    assert resp.content_type == "application/json"
    assert (await resp.json())["field"] == "clinic_id"


async def test_truth_clinic_id__ascii_digits_filter(client: TestClient) -> None:  # type: ignore[type-arg]
    resp = await client.get("/_mockpbx/truth/calls", params={"clinic_id": "1"})
    assert resp.status == 200
    assert {c["clinic_id"] for c in (await resp.json())["calls"]} <= {1}


@pytest.mark.parametrize("raw", ["%C2%B3", "%D9%A3", "9" * 5000])
async def test_fault_id__non_ascii_digits_are_400(client: TestClient, raw: str) -> None:  # type: ignore[type-arg]
    resp = await client.delete(f"/_mockpbx/faults/{raw}")
    assert resp.status == 400
    assert (await resp.json())["field"] == "id"


@pytest.mark.parametrize(
    "body",
    [{"rate": 1e300}, {"advance_seconds": 1e300}, {"set": "9999-12-31T00:00:00+00:00"},
     {"rate": float("nan")}, {"rate": -1}],
)  # fmt: skip
async def test_clock__out_of_range_values_are_400_and_the_clock_survives(
    client: TestClient,  # type: ignore[type-arg]
    body: dict[str, object],
) -> None:
    """A clock of rate 1e300 or in year 9999 would overflow every later request."""
    import json

    resp = await client.post(
        "/_mockpbx/clock", data=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert resp.status == 400
    assert (await client.get("/_mockpbx/clock")).status == 200
