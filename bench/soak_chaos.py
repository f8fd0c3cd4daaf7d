"""The chaos soak: N generated fault schedules against the sync, with a table of what broke.

Each schedule (`tests/chaos/engine.py`: one of UIS or Mango, SQLite or
PostgreSQL, one to four faults of every kind, SIGKILLs of `pbx-adapter sync`
at random moments, clock jumps across midnight, calls more than a day late)
runs on a freshly seeded mockpbx world and a fresh store, then a final clean
sync is compared with the mock's truth. The table counts, over all schedules:
kills delivered, calls lost, calls cached twice, calls with a wrong field (or
cached for today, or unknown to the truth), stores that would not open after
a kill, and runs that exited 0 with a day incomplete ("hidden by the mock":
calls the mock still hid from history after its faults were removed, not
counted as lost). Every failing schedule prints its seed; `--seed N` replays
exactly that schedule.

    python bench/soak_chaos.py                       # 1000 schedules, seeds 1..1000
    python bench/soak_chaos.py --schedules 50 --jobs 2
    python bench/soak_chaos.py --seed 417            # replay one schedule, verbose
    python bench/soak_chaos.py --pg none             # SQLite only
    python bench/soak_chaos.py --max-minutes 60      # stop starting schedules after 60 min

There is no baseline to compare with: the expected figures are zeros (bar
schedules and kills); `s/schedule` is the mean wall time of one schedule.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `tests.chaos` from a checkout

from tests.chaos.engine import Outcome, generate, run_schedule

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
COLUMNS = ("schedules", "kills", "lost", "duplicated", "wrong", "unopenable stores")
_SERVER: Any = None
_WORKDIR: Path | None = None
_PG: str | None = None


def _init(pg: str | None) -> None:
    """A worker: one mockpbx server, reseeded for each of its schedules."""
    global _SERVER, _WORKDIR, _PG
    from mockpbx.testing import MockPBXServer

    _SERVER = MockPBXServer().start()
    _WORKDIR = Path(tempfile.mkdtemp(prefix="soak-chaos-"))
    _PG = pg


def _one(seed: int) -> Outcome:
    assert _WORKDIR is not None
    return run_schedule(generate(seed, postgres=_PG is not None), _WORKDIR, _PG, _SERVER)


def _pg(value: str) -> str | None:
    if value == "none":
        return None
    try:
        import psycopg

        with psycopg.connect(value, connect_timeout=3):
            return value
    except Exception as exc:
        print(f"PostgreSQL at {value} is not reachable ({exc}): SQLite only", file=sys.stderr)
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--schedules", type=int, default=1000)
    parser.add_argument("--first", type=int, default=1, help="first seed (default 1)")
    parser.add_argument("--seed", type=int, default=None, help="replay this one schedule")
    parser.add_argument("--jobs", type=int, default=1, help="schedules played in parallel")
    parser.add_argument("--pg", default=DEFAULT_PG, help="admin DSN, or 'none'")
    parser.add_argument("--max-minutes", type=float, default=None)
    args = parser.parse_args()
    pg = _pg(args.pg)
    if args.seed is not None:
        return _replay(args.seed, pg)
    seeds = list(range(args.first, args.first + args.schedules))
    return _soak(seeds, pg, args.jobs, args.max_minutes)


def _replay(seed: int, pg: str | None) -> int:
    _init(pg)
    outcome = _one(seed)
    print(outcome.schedule.describe())
    print(_row([outcome], outcome.seconds))
    for problem in outcome.problems:
        print("  " + problem)
    return 0 if outcome.ok else 1


def _soak(seeds: list[int], pg: str | None, jobs: int, max_minutes: float | None) -> int:
    started = time.monotonic()
    budget = None if max_minutes is None else started + max_minutes * 60
    done: list[Outcome] = []
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(
        jobs, mp_context=context, initializer=_init, initargs=(pg,)
    ) as pool:
        pending = iter(seeds)
        running: set[concurrent.futures.Future[Outcome]] = set()
        while True:
            while len(running) < jobs and (budget is None or time.monotonic() < budget):
                seed = next(pending, None)
                if seed is None:
                    break
                running.add(pool.submit(_one, seed))
            if not running:
                break
            finished, running = concurrent.futures.wait(
                running, return_when=concurrent.futures.FIRST_COMPLETED
            )
            for future in finished:
                outcome = future.result()
                done.append(outcome)
                if not outcome.ok:
                    print(f"FAIL {outcome.replay()}", flush=True)
                    for problem in outcome.problems[:5]:
                        print("    " + problem, flush=True)
            if len(done) % 25 == 0 or not running:
                elapsed = time.monotonic() - started
                print(f"[{elapsed:6.0f}s] {_row(done, elapsed)}", file=sys.stderr, flush=True)
    elapsed = time.monotonic() - started
    print(_table(done, elapsed, len(seeds)))
    return 0 if all(o.ok for o in done) and len(done) == len(seeds) else 1


def _counts(done: list[Outcome]) -> dict[str, int]:
    return {
        "schedules": len(done),
        "kills": sum(o.kills for o in done),
        "lost": sum(o.lost for o in done),
        "duplicated": sum(o.duplicated for o in done),
        "wrong": sum(o.wrong for o in done),
        "unopenable stores": sum(o.unopenable for o in done),
        "incomplete runs": sum(o.incomplete_runs for o in done),
        "hidden by the mock": sum(o.hidden for o in done),
        "failed schedules": sum(not o.ok for o in done),
    }


def _row(done: list[Outcome], elapsed: float) -> str:
    return ", ".join(f"{k} {v}" for k, v in _counts(done).items()) + f" ({elapsed:.0f} s)"


def _table(done: list[Outcome], elapsed: float, asked: int) -> str:
    counts = _counts(done)
    counts["s/schedule"] = round(elapsed / max(1, len(done)), 1)  # type: ignore[assignment]
    names = list(counts)
    widths = [max(len(n), len(str(counts[n]))) for n in names]
    lines = [
        " | ".join(n.rjust(w) for n, w in zip(names, widths, strict=True)),
        "-+-".join("-" * w for w in widths),
        " | ".join(str(counts[n]).rjust(w) for n, w in zip(names, widths, strict=True)),
    ]
    if len(done) < asked:
        lines.append(f"(stopped by --max-minutes: {len(done)} of {asked} schedules ran)")
    providers = {p: sum(o.schedule.provider == p for o in done) for p in ("uis", "mango")}
    stores = {s: sum(o.schedule.store == s for o in done) for s in ("sqlite", "postgresql")}
    lines.append(f"faces {providers}, stores {stores}, wall {elapsed:.0f} s")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
