"""The live window: calls ringing or talking now, for one workstation, with the caller's card.

**Which calls.** A workstation sees the calls arriving on the SIP lines
assigned to it or to its employee (routing calls to lines is the
provider's business; here we only choose what to show): `workstations`
(the TOML file, line matching). `--all` shows every call (unfiltered).

**Where from.** `Provider.current_calls()`: UIS `list.calls`, the Mango
events board (fed by the signed events receiver the window runs:
`receiver`), the clinic API's ongoing calls. A provider without
CURRENT_CALLS (as configured, or answering that it has no such method: a
partial provider) gets the window replaced by a message saying so and why
(exit 0), never a crash (`render.no_live_text`).

**The caller's card** (`card`, by the caller's number in the clinic data):
full name, total treatment sum, visits and the share completed, the last
visit (doctor and how long ago), or "new caller".

**The rows** (`board.snapshot`): calls, oldest first, each with its card and
the administrator's comment (`pbx-adapter comment`); `render` draws them.
The command itself is `adapter.cli.live`.
"""

from adapter.live.board import WindowRow, snapshot
from adapter.live.card import CallerCard, ago, caller_card
from adapter.live.render import no_live_text, render_window, window_json
from adapter.live.workstations import (
    Workstation,
    line_matches,
    load_workstations,
    resolve_workstation,
)

__all__ = [
    "CallerCard",
    "WindowRow",
    "Workstation",
    "ago",
    "caller_card",
    "line_matches",
    "load_workstations",
    "no_live_text",
    "render_window",
    "resolve_workstation",
    "snapshot",
    "window_json",
]
