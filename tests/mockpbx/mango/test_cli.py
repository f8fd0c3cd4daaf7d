"""`mockpbx serve --mango-webhook URL` sets the integrator's URL for the life of the server."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from mockpbx import cli
from mockpbx.providers.mango.runtime import webhook_url


def test_serve__mango_webhook_option(monkeypatch: pytest.MonkeyPatch) -> None:
    served: dict[str, Any] = {}

    def fake_run_app(app: Any, **kwargs: Any) -> None:
        from mockpbx.state import STATE

        served["state"] = app[STATE]

    monkeypatch.setattr(cli.web, "run_app", fake_run_app)
    result = CliRunner().invoke(
        cli.main, ["serve", "--port", "0", "--mango-webhook", "http://127.0.0.1:9/mango/"]
    )
    assert result.exit_code == 0, result.output
    assert webhook_url(served["state"]) == ("http://127.0.0.1:9/mango/", "serve")
