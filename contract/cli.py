"""`pbx-contract`: verify that a clinic's own provider API meets the published spec."""

from __future__ import annotations

import click

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """The clinic provider contract: OpenAPI spec and verifier."""
