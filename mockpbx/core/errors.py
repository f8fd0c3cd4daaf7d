"""Domain errors of the simulated world. Faces map them to their wire format.

WorldError                 base: something the world refuses to do
├── ClockError             the clock would go backwards, or a bad rate/time
├── NotFound               no such call, leg, employee, number or recording
│   ├── CallNotFound
│   ├── LegNotFound
│   ├── EmployeeNotFound
│   ├── VirtualNumberNotFound
│   └── RecordingNotFound
├── InvalidState           the call is not in a state that allows this
│   └── TooManyLegs        a new leg would pass LEGS_PER_CALL (its id would be the next call's)
└── NoActivePhone          the employee has no active phone to ring
"""

from __future__ import annotations

__all__ = [
    "CallNotFound",
    "ClockError",
    "EmployeeNotFound",
    "InvalidState",
    "LegNotFound",
    "NoActivePhone",
    "NotFound",
    "RecordingNotFound",
    "TooManyLegs",
    "VirtualNumberNotFound",
    "WorldError",
]


class WorldError(Exception):
    """Base of every error the world raises."""


class ClockError(WorldError, ValueError):
    """Raised when the clock would go backwards or gets a bad rate or time."""


class NotFound(WorldError, LookupError):
    """Raised when a looked-up entity does not exist."""


class CallNotFound(NotFound):
    """Raised for an unknown or not yet started call session."""


class LegNotFound(NotFound):
    """Raised for a leg id that is not part of the call."""


class EmployeeNotFound(NotFound):
    """Raised for an unknown employee id."""


class VirtualNumberNotFound(NotFound):
    """Raised for a virtual number that the account does not own."""


class RecordingNotFound(NotFound):
    """Raised for an unknown recording id or a wrong recording hash."""


class InvalidState(WorldError):
    """Raised when a call or leg is not in a state that allows the action."""


class TooManyLegs(InvalidState):
    """Raised when a call would get more legs than `core.calls.LEGS_PER_CALL`.

    Leg ids are `call_id * LEGS_PER_CALL + index`: one more leg would take the
    id of the next call's first leg, so the world refuses it instead.
    """


class NoActivePhone(WorldError):
    """Raised when an employee has no active phone number or SIP line to ring."""
