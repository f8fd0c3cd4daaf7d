"""`python -m adapter` runs its CLI."""

from adapter.cli import main

main()
