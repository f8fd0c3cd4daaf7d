"""/_mockpbx/directory and /_mockpbx/faults/methods, and the server root's redirect."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from mockpbx.state import ServerState

Client = TestClient  # type: ignore[type-arg]


async def test_root__redirects_to_the_dashboard(client: Client) -> None:
    resp = await client.get("/", allow_redirects=False)
    assert (resp.status, resp.headers["Location"]) == (302, "/_mockpbx/")


async def test_methods__list_each_face_s_real_methods(client: Client) -> None:
    methods = await (await client.get("/_mockpbx/faults/methods")).json()
    assert set(methods) == {"uis", "mango", "clinic"}
    assert {"get.calls_report", "start.simple_call"} <= set(methods["uis"])
    assert {"stats/request", "commands/callback"} <= set(methods["mango"])
    assert {"GetFinishedCalls", "StartCallback"} <= set(methods["clinic"])
    assert all(names == sorted(names) for names in methods.values())


async def test_methods__name_what_the_journal_records(client: Client, state: ServerState) -> None:
    """A request's journal method is one of its face's listed methods (faults match by it)."""
    key = state.credentials.clinic_key
    await client.get("/clinic/v1/GetTickets", headers={"IDENT-Integration-Key": key})
    methods = await (await client.get("/_mockpbx/faults/methods")).json()
    journal = await (await client.get("/_mockpbx/journal?face=clinic")).json()
    assert journal["entries"]
    assert {e["method"] for e in journal["entries"]} <= set(methods["clinic"])


async def test_directory__names_every_employee_and_line(client: Client, state: ServerState) -> None:
    body = await (await client.get("/_mockpbx/directory")).json()
    world = state.world
    assert {(e["id"], e["name"]) for e in body["employees"]} == {
        (e.id, e.full_name) for e in world.directory.employees
    }
    assert {(s["id"], s["login"], s["employee_id"]) for s in body["sip_lines"]} == {
        (s.id, s.login, s.employee_id) for s in world.directory.sip_lines
    }
    assert [c["id"] for c in body["clinics"]] == [c.id for c in world.directory.clinics]
