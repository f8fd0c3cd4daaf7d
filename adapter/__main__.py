"""`python -m adapter` runs its CLI (or says which extra to install)."""

from adapter.entry import main

main()
