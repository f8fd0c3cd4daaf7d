"""`python -m contract` runs its CLI (or says which extra to install)."""

from contract.entry import main

main()
