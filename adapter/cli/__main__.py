"""`python -m adapter.cli` runs `pbx-adapter` (without the extra's guard of `adapter.entry`)."""

from adapter.cli import main

main()
