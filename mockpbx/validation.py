"""The first problem pydantic found, as every face, the control plane and the CLI report it."""

from __future__ import annotations

from typing import NamedTuple

from pydantic import ValidationError

__all__ = ["FirstError", "first_error"]


class FirstError(NamedTuple):
    """A refused field: its dotted path ("" for the top level), pydantic's message and type."""

    field: str
    msg: str
    type: str


def first_error(exc: ValidationError) -> FirstError:
    """The first of `exc`'s errors, with its location joined by dots."""
    err = exc.errors()[0]
    return FirstError(".".join(str(p) for p in err["loc"]), err["msg"], err["type"])
