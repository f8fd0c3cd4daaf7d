"""The Mango events receiver: signatures verified, replays refused, live calls rebuilt."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from adapter.model import Direction, LiveState
from adapter.providers.mango_events import MAX_BODY, LiveBoard, ReplayGuard, create_receiver
from adapter.providers.mango_signing import sign

KEY, SALT = "key123", "salt456"
ClientFactory = Callable[..., Awaitable[TestClient]]  # type: ignore[type-arg]


def leg(call_id: str, seq: int, state: str, **extra: Any) -> dict[str, Any]:
    event = {
        "entry_id": "ENTRY1",
        "call_id": call_id,
        "timestamp": 1778740000 + seq,
        "seq": seq,
        "call_state": state,
        "location": "abonent",
        "from": {"number": "79161234567"},
        "to": {
            "number": "sip:anna@vpbx.mangosip.ru",
            "extension": "101",
            "line_number": "74951234567",
        },
    }
    event.update(extra)
    return event


def form(event: dict[str, Any], *, key: str = KEY, salt: str = SALT) -> dict[str, str]:
    text = json.dumps(event, separators=(",", ":"))
    return {"vpbx_api_key": key, "sign": sign(key, text, salt), "json": text}


@pytest.fixture
def board() -> LiveBoard:
    return LiveBoard("Europe/Moscow")


@pytest.fixture
async def receiver(aiohttp_client: ClientFactory, board: LiveBoard) -> TestClient:  # type: ignore[type-arg]
    return await aiohttp_client(create_receiver(board, KEY, SALT))


async def test_signed_event__becomes_a_live_call(receiver: TestClient, board: LiveBoard) -> None:  # type: ignore[type-arg]
    response = await receiver.post("/events/call", data=form(leg("L1", 1, "Appeared")))
    assert response.status == 200
    assert await response.json() == {"result": 1000}
    [live] = board.live_calls()
    assert live.provider_call_id == "ENTRY1"
    assert live.state is LiveState.RINGING
    assert live.direction is Direction.IN
    assert live.contact_number == "+79161234567"
    assert live.sip_line == "sip:anna@vpbx.mangosip.ru"


@pytest.mark.parametrize(
    ("fields", "result"),
    [({"key": "other"}, 3105), ({"salt": "wrong"}, 3102)],
    ids=["wrong-key", "wrong-sign"],
)
async def test_bad_signature__is_refused(
    receiver: TestClient,  # type: ignore[type-arg]
    board: LiveBoard,
    fields: dict[str, str],
    result: int,
) -> None:
    response = await receiver.post("/events/call", data=form(leg("L1", 1, "Appeared"), **fields))
    assert response.status == 401
    assert (await response.json())["result"] == result
    assert board.live_calls() == []


async def test_tampered_json__is_refused(receiver: TestClient) -> None:  # type: ignore[type-arg]
    data = form(leg("L1", 1, "Appeared"))
    data["json"] = data["json"].replace("79161234567", "70000000000")
    response = await receiver.post("/events/call", data=data)
    assert response.status == 401


def test_out_of_order_and_duplicate_events__keep_the_newest_state(board: LiveBoard) -> None:
    board.on_call(leg("L1", 2, "Connected"))
    board.on_call(leg("L1", 1, "Appeared"))  # late
    board.on_call(leg("L1", 2, "Connected"))  # duplicate
    [live] = board.live_calls()
    assert live.state is LiveState.TALKING


def test_ivr_leg_ending__does_not_end_the_call(board: LiveBoard) -> None:
    """The IVR leg disconnects before the employee's leg appears: still one live call."""
    board.on_call(leg("IVR", 1, "Appeared", location="ivr"))
    board.on_call(leg("IVR", 2, "Disconnected", location="ivr"))
    assert board.live_calls() == []
    board.on_call(leg("EMP", 1, "Appeared"))
    board.on_call(leg("EMP", 2, "Connected"))
    [live] = board.live_calls()
    assert (live.provider_call_id, live.state) == ("ENTRY1", LiveState.TALKING)


def test_summary__ends_the_call_for_good(board: LiveBoard) -> None:
    board.on_call(leg("L1", 1, "Appeared"))
    board.on_summary({"entry_id": "ENTRY1"})
    assert board.live_calls() == []
    board.on_call(leg("L1", 3, "Connected"))  # a straggler after the end
    assert board.live_calls() == []


def test_quiet_entries__are_forgotten(board: LiveBoard) -> None:
    board.on_call(leg("L1", 1, "Appeared"))
    board.on_call(leg("L1", 2, "Disconnected"))
    board.on_call(leg("X", 1, "Appeared", entry_id="E2", timestamp=1778740000 + 3600))
    assert [c.provider_call_id for c in board.live_calls()] == ["E2"]
    assert "ENTRY1" not in board._entries


def test_command_result__is_kept(board: LiveBoard) -> None:
    board.on_result({"command_id": "cb-1", "result": "1000"})
    assert board.command_results == {"cb-1": 1000}


@pytest.mark.parametrize(
    "signature", ["³", "подпись", "\u00e9" * 64, ""], ids=["sup3", "cyr", "e", "empty"]
)
async def test_non_ascii_sign__is_refused_not_a_500(
    receiver: TestClient,  # type: ignore[type-arg]
    board: LiveBoard,
    signature: str,
) -> None:
    """A sign that is not hex (any characters at all) gets 401 3102, never a 500."""
    data = form(leg("L1", 1, "Appeared"))
    data["sign"] = signature
    response = await receiver.post("/events/call", data=data)
    assert (response.status, await response.json()) == (401, {"result": 3102})
    assert board.live_calls() == []


async def test_replayed_body__is_refused_and_not_applied(
    receiver: TestClient,  # type: ignore[type-arg]
    board: LiveBoard,
) -> None:
    """The same signed body posted again is a replay: 409 3106, the board unchanged."""
    first = form(leg("L1", 1, "Appeared"))
    assert (await receiver.post("/events/call", data=first)).status == 200
    board.on_summary({"entry_id": "ENTRY1"})
    again = await receiver.post("/events/call", data=first)
    assert (again.status, await again.json()) == (409, {"result": 3106})
    assert board.events_seen == 1


async def test_stale_event__is_refused(receiver: TestClient, board: LiveBoard) -> None:  # type: ignore[type-arg]
    """An event more than the window older than the newest accepted one answers 409 4301."""
    newest = form(leg("L1", 5, "Connected", timestamp=1778750000))
    assert (await receiver.post("/events/call", data=newest)).status == 200
    stale = form(leg("L2", 1, "Appeared", timestamp=1778750000 - 3601))
    response = await receiver.post("/events/call", data=stale)
    assert (response.status, await response.json()) == (409, {"result": 4301})
    fresh = form(leg("L2", 1, "Appeared", timestamp=1778750000 - 3599))
    assert (await receiver.post("/events/call", data=fresh)).status == 200


async def test_oversized_body__is_refused_in_mango_shape(receiver: TestClient) -> None:  # type: ignore[type-arg]
    data = form(leg("L1", 1, "Appeared", padding="x" * MAX_BODY))
    response = await receiver.post("/events/call", data=data)
    assert (response.status, await response.json()) == (413, {"result": 3109})


async def test_body_that_is_not_a_form__is_refused(receiver: TestClient) -> None:  # type: ignore[type-arg]
    response = await receiver.post(
        "/events/call", data=b"\xff\xfe{", headers={"Content-Type": "multipart/form-data"}
    )
    assert response.status in (400, 401)
    assert "result" in await response.json()


def test_replay_memory__is_bounded() -> None:
    """The guard keeps at most `max_seen` signatures and none older than its window."""
    guard = ReplayGuard(window=100, max_seen=3)
    for i in range(10):
        assert guard.check(f"sig{i}", {"timestamp": 1000 + i}) is None
    assert len(guard) == 3
    assert guard.check("sig9", {"timestamp": 1009}) == 3106
    assert guard.check("late", {"timestamp": 1000 + 9 - 101}) == 4301
    assert guard.check("jump", {"timestamp": 5000}) is None
    assert len(guard) == 1
