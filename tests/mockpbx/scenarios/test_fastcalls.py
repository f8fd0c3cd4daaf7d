"""The engine's fast call builders agree with the core builders field for field.

Also as a generated day uses them: laid out under id 0, transferred by
`core.calls.add_transfer`, numbered by `core.calls.renumber`; and past the
leg bound, where both refuse with TooManyLegs.
"""

from __future__ import annotations

import bisect
import dataclasses
import random
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from mockpbx.core.calls import (
    LEGS_PER_CALL,
    Target,
    add_transfer,
    build_incoming,
    build_outgoing,
    renumber,
)
from mockpbx.core.errors import TooManyLegs
from mockpbx.core.model import Call, Employee, SipLine, Visit
from mockpbx.scenarios.daygen import (
    DEVICES,
    PAGES,
    VisitSource,
    compile_channel,
    draw_visit,
    inline_draw,
    sampler,
)
from mockpbx.scenarios.fastcalls import fast_incoming, fast_outgoing
from mockpbx.scenarios.model import Channel, Distribution

TARGETS = [
    Target(SipLine(10 + i, f"70000{i}", i + 1), Employee(i + 1, "Петров", "Иван", "", str(i)))
    for i in range(LEGS_PER_CALL + 2)
]
CALL_ID = 3_000_967_001
VISIT = Visit(id=1_234_567_890, channel_key="ya", utm_source="yandex", channel="paid")


def _fields(obj: Any) -> dict[str, object]:
    return dataclasses.asdict(obj)


def _incoming_args(rnd: random.Random) -> dict[str, Any]:
    """Arguments of `build_incoming` as a generated day draws them (also past the bound)."""
    targets = TARGETS[: rnd.choice([0, 1, 2, 3, 4, LEGS_PER_CALL - 1, LEGS_PER_CALL + 1])]
    return {
        "start": 1_000_000 + rnd.randrange(1000),
        "contact": "79250000000",
        "virtual_number": "74950000000",
        "targets": targets,
        "answered_by": rnd.choice([None, *range(len(targets))]),
        "answer_delay": rnd.randrange(0, 40),
        "talk": rnd.randrange(0, 300),
        "strategy": rnd.choice(["sequential", "simultaneous"]),
        "ring_seconds": rnd.randrange(5, 30),
        "patience": rnd.randrange(1, 120),
        "contact_hangs_up": rnd.random() < 0.5,
        "source": rnd.choice(["va", "call_tracking", "dynamic_call_tracking"]),
        "visit": rnd.choice([None, VISIT]),
        "clinic_id": rnd.randrange(1, 4),
        "recorded": rnd.random() < 0.5,
        "closed": rnd.random() < 0.1,
        "ivr_seconds": rnd.choice([3, 5]),
    }


def _outcome(build: Callable[..., Call], *args: Any) -> Call | type[TooManyLegs]:
    """The call `build(*args)` lays out, or TooManyLegs if it refuses one."""
    try:
        return build(*args)
    except TooManyLegs:
        return TooManyLegs


def _same(a: Call | type[TooManyLegs], b: Call | type[TooManyLegs]) -> bool:
    if a is TooManyLegs or b is TooManyLegs:
        return a is b
    return _fields(a) == _fields(b)


def _transfer(call: Call, rnd: random.Random) -> None:
    """What `ClinicDay.transfer` does to an answered call (drawn the same for both twins)."""
    if call.answer_ts is None or call.end_ts - call.answer_ts < 20:
        return
    at = call.answer_ts + 10 + int(rnd.random() * (call.end_ts - call.answer_ts - 10))
    target = TARGETS[int(rnd.random() * len(TARGETS))]
    kind = "blind" if rnd.random() < 0.5 else "consultative"
    add_transfer(call, target, at=min(at, call.end_ts - 1), ring=3 + int(rnd.random() * 8),
                 kind=kind)  # fmt: skip


def _generated(args: dict[str, Any], transfer_seed: int | None) -> Call:
    """A call as a generated day lays it out: fast, under id 0, transferred, then numbered."""
    call = fast_incoming(**args)
    if transfer_seed is not None:
        _transfer(call, random.Random(transfer_seed))
    renumber([call], CALL_ID)
    return call


def _core(args: dict[str, Any], transfer_seed: int | None) -> Call:
    """The same call from the core builder, laid out under its own id."""
    call = build_incoming(CALL_ID, **args)
    if transfer_seed is not None:
        _transfer(call, random.Random(transfer_seed))
    return call


@pytest.mark.parametrize("seed", range(40))
def test_fast_incoming__matches_build_incoming(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(25):
        args = _incoming_args(rnd)
        fast = _outcome(partial(fast_incoming, **args))
        core = _outcome(partial(build_incoming, 0, **args))
        assert _same(fast, core)


@pytest.mark.parametrize("seed", range(40))
def test_fast_incoming__transferred_and_numbered__matches_the_core_builders(seed: int) -> None:
    """A generated day's fast_incoming + add_transfer + renumber == the core's layout."""
    rnd = random.Random(seed)
    transferred = 0
    for _ in range(25):
        args = _incoming_args(rnd)
        transfer_seed = rnd.randrange(1 << 30) if rnd.random() < 0.7 else None
        generated = _outcome(_generated, args, transfer_seed)
        core = _outcome(_core, args, transfer_seed)
        assert _same(generated, core)
        transferred += isinstance(core, Call) and core.transferred
    assert transferred > 0  # the comparison did see transfers


def test_fast_incoming__past_the_bound_refuses_like_build_incoming() -> None:
    """Ten lines rung at once: both twins raise TooManyLegs (leg ids would overlap)."""
    args = {**_incoming_args(random.Random(1)), "targets": TARGETS[:LEGS_PER_CALL],
            "strategy": "simultaneous", "closed": False, "answered_by": None}  # fmt: skip
    with pytest.raises(TooManyLegs):
        fast_incoming(**args)
    with pytest.raises(TooManyLegs):
        build_incoming(0, **args)


@pytest.mark.parametrize("talk", [None, 0, 1, 95])
def test_fast_outgoing__matches_build_outgoing(talk: int | None) -> None:
    args = {
        "start": 5000,
        "target": TARGETS[1],
        "contact": "79250000000",
        "caller_id": "74950000000",
        "ring": 12,
        "talk": talk,
        "clinic_id": 1,
        "recorded": True,
    }
    assert _fields(fast_outgoing(**args)) == _fields(build_outgoing(0, **args))  # type: ignore[arg-type]
    numbered = fast_outgoing(**args)  # type: ignore[arg-type]
    renumber([numbered], CALL_ID)
    assert _fields(numbered) == _fields(build_outgoing(CALL_ID, **args))  # type: ignore[arg-type]


def _visit_by_constructor(rnd: random.Random, source: VisitSource, ts: int) -> Visit:
    """The visit `draw_visit` builds, drawn in the same order, through the dataclass."""
    channels, cum = source
    if cum is None:
        compiled = channels[0]
    else:
        i = bisect.bisect(cum, rnd.random() * cum[-1])
        compiled = channels[min(i, len(channels) - 1)]
    key, utm_source, medium, campaign, content, channel, referrers, terms = compiled
    domain, referrer = referrers[int(rnd.random() * len(referrers))]
    term = terms[int(rnd.random() * len(terms))] if terms else None
    return Visit(
        id=1_000_000_000 + int(rnd.random() * 9_000_000_000),
        channel_key=key, utm_source=utm_source, utm_medium=medium, utm_campaign=campaign,
        utm_term=term, utm_content=content, referrer=referrer, referrer_domain=domain,
        entrance_page=PAGES[int(rnd.random() * 3)], channel=channel,
        device=DEVICES[int(rnd.random() * 3)], visit_ts=ts - 60 - int(rnd.random() * 1740),
        site_domain_name="clinic.example",
    )  # fmt: skip


CHANNELS = (
    compile_channel(Channel(key="ya", utm_source="yandex", utm_term=["a", "b"],
                            referrer_domains=["yandex.ru"], uis_channel="paid")),
    compile_channel(Channel(key="seo", referrer_domains=["google.com", "ya.ru"])),
    compile_channel(Channel(key="direct", utm_term="one")),
)  # fmt: skip


@pytest.mark.parametrize(
    "source",
    [((CHANNELS[0],), None), ((CHANNELS[2],), None), (CHANNELS, [1.0, 3.0, 3.5])],
    ids=["static", "static-no-referrer", "dynamic"],
)
def test_draw_visit__matches_the_dataclass_constructor(source: VisitSource) -> None:
    """Every field is set (the hot path skips the class call) and the draws are in order."""
    fast, slow = random.Random(3), random.Random(3)
    for ts in range(1_000_000, 1_000_000 + 30 * 97, 97):
        assert _fields(draw_visit(fast.random, source, ts)) == _fields(
            _visit_by_constructor(slow, source, ts)
        )
    assert fast.random() == slow.random()


@pytest.mark.parametrize(
    "dist",
    [Distribution(kind="fixed", median=42), Distribution(kind="uniform", low=3, high=15),
     Distribution(kind="lognormal", median=120, sigma=0.7, low=5, high=3600),
     Distribution(kind="uniform", low=9, high=4)],
    ids=["fixed", "uniform", "lognormal", "uniform-inverted"],
)  # fmt: skip
def test_inline_draw__draws_what_the_sampler_draws(dist: Distribution) -> None:
    """The hot loop's inline draw gives the sampler's values and consumes as many draws."""
    table, low, span = inline_draw(dist)
    draw, fast, slow = sampler(dist), random.Random(5), random.Random(5)
    for _ in range(200):
        if table:
            value = table[int(fast.random() * len(table))]
        else:
            value = low if span is None else low + span * fast.random()
        assert value == draw(slow)
    assert fast.random() == slow.random()
