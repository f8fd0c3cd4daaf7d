"""The engine's fast call builders agree with the core builders field for field."""

from __future__ import annotations

import bisect
import dataclasses
import random
from typing import Any

import pytest

from mockpbx.core.calls import Target, build_incoming, build_outgoing
from mockpbx.core.model import Employee, SipLine, Visit
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
    for i in range(4)
]


def _fields(obj: Any) -> dict[str, object]:
    return dataclasses.asdict(obj)


@pytest.mark.parametrize("seed", range(40))
def test_fast_incoming__matches_build_incoming(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(25):
        targets = TARGETS[: rnd.randrange(0, 5)]
        args = {
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
            "source": "va",
            "visit": None,
            "clinic_id": 2,
            "recorded": rnd.random() < 0.5,
            "closed": rnd.random() < 0.1,
        }
        assert _fields(fast_incoming(**args)) == _fields(build_incoming(0, **args))  # type: ignore[arg-type]


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
