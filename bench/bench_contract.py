"""How long `pbx-contract verify` takes against the reference face (budget: <= 60 s by default).

    python bench/bench_contract.py           # the default run, and its parts
    python bench/bench_contract.py --quick   # few examples, short observation

A `MockPBXServer` (real TCP, in a thread) serves the clinic face; the period is
the seven days before the mock's start. Rows: the semantic checks alone with no
observation of current calls (the baseline), then with Schemathesis
conformance, then the default run (conformance + 20 s watching current calls,
20 requests/s). Ratios are against the baseline of the same run.
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

from contract.verify import Options, verify
from mockpbx.testing import DEFAULT_START, MockPBXServer


def run(pbx: MockPBXServer, **overrides: object) -> tuple[float, int, bool]:
    creds = pbx.credentials["clinic"]
    start = DEFAULT_START - timedelta(days=7)
    options = Options(base_url=creds["url"], key=creds["key"], start=start, end=DEFAULT_START)
    for name, value in overrides.items():
        setattr(options, name, value)
    began = time.perf_counter()
    report = verify(options)
    return time.perf_counter() - began, report.requests, report.passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few examples, 2 s observation")
    args = parser.parse_args()
    examples, observe = (5, 2.0) if args.quick else (25, 20.0)
    rows = [
        ("semantic checks, no observation", {"conformance": False, "observe_seconds": 0.0}),
        ("+ conformance", {"observe_seconds": 0.0, "max_examples": examples}),
        (
            f"default run (+ {observe:g} s observation)",
            {"max_examples": examples, "observe_seconds": observe},
        ),
    ]
    with MockPBXServer(rate=1.0) as pbx:
        results = [(label, *run(pbx, **kw)) for label, kw in rows]
    base = results[0][1]
    print(f"{'run':42} {'seconds':>8} {'requests':>9} {'ratio':>7} {'verdict':>8}")
    for label, seconds, requests, passed in results:
        verdict = "pass" if passed else "FAIL"
        print(f"{label:42} {seconds:8.1f} {requests:9d} {seconds / base:6.1f}x {verdict:>8}")
    print(f"budget for the default run: 60 s -> {'met' if results[-1][1] <= 60 else 'MISSED'}")


if __name__ == "__main__":
    main()
