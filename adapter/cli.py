"""`pbx-adapter`: the clinic-side client (sync, live window, click-to-call, reports)."""

from __future__ import annotations

import click

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """The clinic-side adapter for UIS, Mango Office and the clinic HTTP API."""
