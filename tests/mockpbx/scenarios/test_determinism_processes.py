"""Same scenario and seed give byte-identical API responses in two separate processes.

Recording links carry the server's own (free, so different) port; the test
puts a placeholder there and compares every other byte. Secrets (the link
hashes) repeat only with a fixed secret key, which both processes use.
"""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = r"""
import hashlib, json, urllib.request
from mockpbx.scenarios.loader import load_scenario
from mockpbx.testing import MockPBXServer
with MockPBXServer(seed=11, scenario=load_scenario("ad_campaign"), secret_key="k") as pbx:
    creds = pbx.credentials
    def get(path):
        with urllib.request.urlopen(pbx.url + path, timeout=30) as r:
            return r.read()
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "get.calls_report", "params": {
        "access_token": creds["uis"]["access_token"], "date_from": "2026-05-10 00:00:00",
        "date_till": "2026-05-13 23:59:59", "limit": 1000}}).encode()
    req = urllib.request.Request(creds["uis"]["data_api_url"], data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        report = r.read()
    parts = [report, get("/_mockpbx/truth/calls?from=2026-05-12&to=2026-05-14"),
             get("/_mockpbx/truth/clinic?from=2026-05-12&to=2026-05-14")]
    parts = [p.replace(pbx.url.encode(), b"BASE") for p in parts]  # free ports differ
    print(json.dumps([len(p) for p in parts]), hashlib.sha256(b"|".join(parts)).hexdigest())
"""


def _run(hash_seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_two_processes__serve_identical_bytes() -> None:
    """Different hash seeds (set/dict order) must not leak into any response."""
    first, second = _run("1"), _run("2")
    assert first == second
    assert '"' not in first.split()[-1]
