"""`python -m contract` runs its CLI."""

from contract.cli import main

main()
