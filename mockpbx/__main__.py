"""`python -m mockpbx` runs its CLI."""

from mockpbx.cli import main

main()
