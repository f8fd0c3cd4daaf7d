"""/_mockpbx/mango/: webhook, delivery faults and options through the control plane."""

from __future__ import annotations

from .conftest import MangoClient


async def test_webhook__set_read_and_cleared(mango: MangoClient) -> None:
    resp = await mango.http.post("/_mockpbx/mango/webhook", json={"url": "http://127.0.0.1:9/h/"})
    assert (await resp.json())["url"] == "http://127.0.0.1:9/h/"
    body = await (await mango.http.get("/_mockpbx/mango/webhook")).json()
    assert (body["url"], body["source"]) == ("http://127.0.0.1:9/h/", "control")
    await mango.http.post("/_mockpbx/mango/webhook", json={"url": None})
    assert (await (await mango.http.get("/_mockpbx/mango/webhook")).json())["url"] is None


async def test_webhook__not_a_url_is_400(mango: MangoClient) -> None:
    resp = await mango.http.post("/_mockpbx/mango/webhook", json={"url": "ftp:/x"})
    assert resp.status == 400
    assert (await resp.json())["field"] == "url"


async def test_webhook__is_cleared_by_reset(mango: MangoClient) -> None:
    await mango.http.post("/_mockpbx/mango/webhook", json={"url": "http://127.0.0.1:9/h/"})
    await mango.http.post("/_mockpbx/reset")
    assert (await (await mango.http.get("/_mockpbx/mango/webhook")).json())["url"] is None


async def test_delivery_faults__validated(mango: MangoClient) -> None:
    resp = await mango.http.post("/_mockpbx/mango/delivery", json={"drop": 2})
    assert resp.status == 400
    resp = await mango.http.post("/_mockpbx/mango/delivery", json={"duplicate": 0.5})
    assert (await resp.json())["duplicate"] == 0.5
    resp = await mango.http.delete("/_mockpbx/mango/delivery")
    assert (await resp.json())["duplicate"] == 0


async def test_options__partial_update_and_reset(mango: MangoClient) -> None:
    resp = await mango.http.post("/_mockpbx/mango/options", json={"csv_line_ending": "\r\n"})
    assert (await resp.json())["csv_line_ending"] == "\r\n"
    assert (await mango.http.post("/_mockpbx/mango/options", json={"nope": 1})).status == 400
    await mango.http.post("/_mockpbx/reset")
    body = await (await mango.http.get("/_mockpbx/mango/options")).json()
    assert body["csv_line_ending"] == "\n"
