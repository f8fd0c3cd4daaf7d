"""The published contract: `provider.v1.yaml`, shipped as package data."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

__all__ = ["SPEC_NAME", "load_spec", "spec_text"]

SPEC_NAME = "provider.v1.yaml"


def spec_text() -> str:
    """The OpenAPI document as published (YAML text)."""
    return Path(__file__).with_name(SPEC_NAME).read_text(encoding="utf-8")


@cache
def _parsed() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(spec_text())
    return data


def load_spec() -> dict[str, Any]:
    """A fresh copy of the parsed document (callers may modify it)."""
    import copy

    return copy.deepcopy(_parsed())
