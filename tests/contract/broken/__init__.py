"""A catalog of small clinic providers: one correct, the rest each with exactly one defect.

`GoodProvider` implements the contract over a synthetic dataset: two days of
history (a call every 10 minutes) before the server's start, then live
traffic (a call every second lasting 14 s) on the real clock. Every class in
`BROKEN` overrides one method to break one rule; `tests/contract` shows
each defect is caught by the check named in `CATALOG`.
"""

from broken.providers import (
    BROKEN,
    CATALOG,
    CONFORMANCE_CATALOG,
    KEY,
    OPTIONAL_CATALOG,
    GoodProvider,
)
from broken.serve import serve

__all__ = [
    "BROKEN",
    "CATALOG",
    "CONFORMANCE_CATALOG",
    "KEY",
    "OPTIONAL_CATALOG",
    "GoodProvider",
    "serve",
]
