"""`mockpbx serve` as a script runs it: --port 0, --ready-file, a port already in use."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SERVE = [sys.executable, "-m", "mockpbx", "serve", "--clock-rate", "0"]


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read())


def _wait_for(path: Path, proc: subprocess.Popen[str]) -> dict[str, Any]:
    """The ready file once it exists (the server exiting first fails the test)."""
    for _ in range(1200):  # up to about a minute on a loaded machine
        if path.exists():
            document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            return document
        if proc.poll() is not None:
            raise AssertionError(f"serve exited with {proc.returncode}: {proc.communicate()}")
        time.sleep(0.05)
    raise AssertionError("no ready file")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[dict[str, Any], subprocess.Popen[str]]]:
    """`mockpbx serve --port 0 --ready-file ...` in its own process; stopped with Ctrl-C."""
    ready = tmp_path / "ready.json"
    proc = subprocess.Popen(
        [*SERVE, "--port", "0", "--ready-file", str(ready)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        yield _wait_for(ready, proc), proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)


def test_port_0__ready_file_names_the_bound_port_and_the_server_answers_there(
    served: tuple[dict[str, Any], subprocess.Popen[str]],
) -> None:
    """The ready file holds the real port, its URL and the credentials the server serves."""
    ready, _ = served
    assert ready["port"] > 0
    assert ready["url"] == f"http://127.0.0.1:{ready['port']}"
    assert _get(f"{ready['url']}/_mockpbx/health")["status"] == "ok"
    assert _get(f"{ready['url']}/_mockpbx/credentials") == ready["credentials"]


def test_port_0__banner_prints_the_bound_port_in_every_url(
    served: tuple[dict[str, Any], subprocess.Popen[str]],
) -> None:
    """No URL in the banner says :0; each names the port the server listens on."""
    ready, proc = served
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert out.splitlines()[-1] == "mockpbx stopped."
    assert out.splitlines()[0].startswith(f"mockpbx serving on {ready['url']} ")
    assert ":0/" not in out
    assert ':0"' not in out
    assert f"dashboard: {ready['url']}/_mockpbx/" in out
    assert out.count(f"127.0.0.1:{ready['port']}") >= 5  # base, UIS x2, Mango, clinic, dashboard


def test_ready_file__is_removed_when_the_server_stops(
    served: tuple[dict[str, Any], subprocess.Popen[str]], tmp_path: Path
) -> None:
    """A ready file left behind would tell the next script a dead server is ready."""
    _, proc = served
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=30)
    assert not (tmp_path / "ready.json").exists()


def test_port_in_use__exits_2_with_one_line_and_no_banner() -> None:
    """A port another process listens on fails before the banner: exit 2, one line naming it."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*SERVE, "--port", str(port)], capture_output=True, text=True, timeout=120, check=False
        )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"mockpbx serve: port {port} on 127.0.0.1 is in use (--port 0 picks a free one)"
    ]
