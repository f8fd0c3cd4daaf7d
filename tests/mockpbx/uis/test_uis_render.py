"""Row rendering helpers without HTTP."""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from mockpbx.providers.uis.render import wall_clock


@pytest.mark.parametrize(
    "zone",
    ["Europe/Moscow", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"],
)
def test_wall_clock__matches_datetime_across_zone_changes(zone: str) -> None:
    """Including DST switches, half-hour shifts and quarter-hour offsets."""
    tz = ZoneInfo(zone)
    rnd = random.Random(zone)
    stamps = [rnd.randrange(0, 2_000_000_000) for _ in range(3000)]
    stamps += [
        t + d for t in range(1_711_843_200, 1_711_843_200 + 86_400 * 3, 900) for d in (-1, 0, 1)
    ]
    for ts in stamps:
        assert wall_clock(ts, tz) == datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M:%S")
