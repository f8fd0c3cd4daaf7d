"""A catalog of small clinic providers: one correct, the rest each with exactly one defect.

`GoodProvider` implements the contract over a synthetic dataset: two days of
history (a call every 10 minutes) before the server's start, then live
traffic (a call every second lasting 14 s) on the real clock. Every class in
`BROKEN` overrides one method to break one rule; `tests/contract` shows
each defect is caught by the check named in `CATALOG`. `READINGS_CATALOG`
holds correct providers that read an open point of the description another
way (they pass, with the reading as a finding). `Minimal` is a second
provider written apart, offering only what it is told to (e.g. history
only); `flaky` adds random 5xx answers and resets to any of them.
"""

from broken.flaky import flaky
from broken.minimal import Minimal, Readings
from broken.providers import (
    ABSENT_CATALOG,
    BROKEN,
    CATALOG,
    CONFORMANCE_CATALOG,
    CONFORMANCE_WARNED,
    KEY,
    OPTIONAL_CATALOG,
    READINGS_CATALOG,
    WARNED_CATALOG,
    GoodProvider,
)
from broken.serve import serve

__all__ = [
    "ABSENT_CATALOG",
    "BROKEN",
    "CATALOG",
    "CONFORMANCE_CATALOG",
    "CONFORMANCE_WARNED",
    "KEY",
    "OPTIONAL_CATALOG",
    "READINGS_CATALOG",
    "WARNED_CATALOG",
    "GoodProvider",
    "Minimal",
    "Readings",
    "flaky",
    "serve",
]
