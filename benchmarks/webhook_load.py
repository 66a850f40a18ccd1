"""Webhook load: concurrent Label Studio-shaped deliveries against `stancedesk serve` (waitress) on loopback.

    python benchmarks/webhook_load.py [--clients 8] [--events 2000] [--workers N] [--threads N]
                                      [--postgres | --database-url URL] [--kill-worker-after N]

Starts `stancedesk serve` as a separate process with a temporary
STANCEDESK_HOME, posts ANNOTATION_CREATED / ANNOTATION_UPDATED deliveries whose
result is a real seed prediction (a typical annotation: ~70 regions), and
prints events/s and the latency percentiles the annotator's save would wait
for (Label Studio times out at 1 s). Then checks that every event was stored.

--postgres runs the store on a throwaway local PostgreSQL (PostgreSQL's durable defaults; as the
``postgres`` user when run as root), --database-url on an existing one. --kill-worker-after N SIGKILLs one
serve worker once N deliveries were acknowledged; a client whose delivery was cut off sends it again (as any
sender whose request failed would), and the store is compared with what was acknowledged: lost, duplicated.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from plugin.stories import find_story  # noqa: E402
from plugin.preannotate import preannotate  # noqa: E402
from plugin.store import corrections, open_store  # noqa: E402
from plugin.cli import WORKER_GRACE_S  # noqa: E402
from serving import stancedesk_server  # noqa: E402

SECRET = "load-test-secret"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=None, help="request threads per worker (default: serve's)")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: serve's)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--postgres", action="store_true", help="the store on a throwaway local PostgreSQL")
    where.add_argument("--database-url", help="the store on this database (an empty one)")
    parser.add_argument("--kill-worker-after", type=int, default=None, metavar="N",
                        help="SIGKILL one serve worker once N deliveries were acknowledged")
    args = parser.parse_args()
    server = None
    if args.postgres:
        from plugin.store.local_postgres import start_local_postgres

        server = start_local_postgres(durable=True)
        args.database_url = server.create_database()
    if args.database_url:
        os.environ["STANCEDESK_DATABASE_URL"] = args.database_url  # what serve reads
    try:
        run(args)
    finally:
        if server is not None:
            server.stop()


def serve_workers(port: int) -> list[int]:
    """The pids of the serve worker processes listening on ``port`` (forks: the same command line as their parent)."""
    procs = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            cmd = (stat.parent / "cmdline").read_bytes().split(b"\0")
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if b"serve" in cmd and str(port).encode() in cmd:
            procs[int(stat.parent.name)] = ppid
    return sorted(pid for pid, ppid in procs.items() if ppid in procs)


def run(args) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        preannotate([REPO / "seeds"], tmp / "seeds.json", story=find_story(tmp / "home", "russia-nato"))
        seeds = json.loads((tmp / "seeds.json").read_text())
        extra = [*(["--threads", str(args.threads)] if args.threads else []),
                 *(["--workers", str(args.workers)] if args.workers else [])]
        with stancedesk_server(tmp / "home", SECRET, "--story", "russia-nato", *extra) as url:
            started = time.monotonic()
            bodies = []
            for n in range(args.events):
                seed = seeds[n % len(seeds)]
                aid = n // 2 + 1  # every annotation created, then updated
                action = "ANNOTATION_CREATED" if n % 2 == 0 else "ANNOTATION_UPDATED"
                stamp = f"2026-01-01T10:00:{n % 2:02d}.000000Z"
                bodies.append({
                    "action": action,
                    "annotation": {"id": aid, "task": aid, "project": 1, "result": seed["predictions"][0]["result"],
                                   "was_cancelled": False, "ground_truth": False, "created_at": stamp, "updated_at": stamp,
                                   "completed_by": 1, "lead_time": 12.0, "prediction": seed["predictions"][0]},
                    "task": {"id": aid, "data": seed["data"], "project": 1},
                    "project": {"id": 1, "title": "load", "token": "x"},
                })
            size = len(json.dumps(bodies[0]))
            latencies: list[float] = []
            failures: list[int] = []
            acked: set[int] = set()
            cut_off: list[int] = []
            lock = threading.Lock()
            cursor = iter(range(len(bodies)))

            def client() -> None:
                with httpx.Client(headers={"X-Stancedesk-Secret": SECRET}, timeout=10) as http:
                    while True:
                        with lock:
                            i = next(cursor, None)
                        if i is None:
                            return
                        t0 = time.perf_counter()
                        for _ in range(100):
                            try:
                                r = http.post(f"{url}/webhook", json=bodies[i])
                                break
                            except httpx.TransportError:  # cut off by a killed worker: send it again
                                with lock:
                                    cut_off.append(i)
                                time.sleep(0.05)
                        dt = time.perf_counter() - t0
                        with lock:
                            latencies.append(dt)
                            if r.status_code != 200:
                                failures.append(r.status_code)
                            else:
                                acked.add(i)

            t0 = time.perf_counter()
            threads = [threading.Thread(target=client) for _ in range(args.clients)]
            victim = None
            if args.kill_worker_after is not None:
                time.sleep(max(0.0, WORKER_GRACE_S - (time.monotonic() - started)))  # else serve takes it for a failed start
            for t in threads:
                t.start()
            if args.kill_worker_after is not None:
                while len(acked) < args.kill_worker_after:
                    time.sleep(0.005)
                victim = serve_workers(int(url.rsplit(":", 1)[1]))[0]
                os.kill(victim, signal.SIGKILL)
                killed_at = len(acked)
            for t in threads:
                t.join()
            wall = time.perf_counter() - t0
        q = statistics.quantiles(latencies, n=100)
        print(f"{len(bodies)} deliveries of {size / 1024:.0f} KiB from {args.clients} clients; serve with "
              f"{args.workers or 'default'} workers of {args.threads or 'default'} threads; store on "
              f"{'PostgreSQL' if args.database_url else 'SQLite'}")
        print(f"throughput  {len(bodies) / wall:8.1f} events/s")
        print(f"latency     p50 {q[49] * 1000:6.1f} ms   p90 {q[89] * 1000:6.1f} ms   p99 {q[98] * 1000:6.1f} ms   max {max(latencies) * 1000:6.1f} ms")
        print(f"non-200     {len(failures)}")
        store = open_store(tmp / "home", args.database_url)
        with store.reading() as conn:
            stored = len(corrections.current_annotations(conn))
            versions = conn.execute("SELECT COUNT(*) FROM annotation_versions").fetchone()[0]
            kept = conn.execute("SELECT annotation_id, version_at FROM annotation_versions").fetchall()
            current = dict(conn.execute("SELECT id, updated_at FROM annotations").fetchall())
            if store.backend == "postgresql":
                db_size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
            else:
                db_size = sum(f.stat().st_size for f in store.path.parent.glob(store.path.name + "*"))
        events = sum(1 for _ in store.events())
        print(f"stored      {events} of {len(bodies)} events, {stored} of {len(bodies) // 2} annotations, {versions} versions "
              f"(every version is kept, out of order ones too); database {db_size / 2**20:.1f} MiB")

        if victim is not None:
            expected = {(bodies[i]["annotation"]["id"], bodies[i]["annotation"]["updated_at"]) for i in acked}
            newest: dict[int, str] = {}
            for aid, stamp in sorted(expected):
                newest[aid] = stamp
            lost = len(expected - set(map(tuple, kept)))
            print(f"kill -9     worker {victim} after {killed_at} acknowledged; {len(cut_off)} deliveries cut off and "
                  f"sent again; {len(acked)} of {len(bodies)} acknowledged")
            print(f"            lost {lost}, duplicated {len(kept) - len(set(map(tuple, kept)))}, store versions "
                  f"{'==' if set(map(tuple, kept)) == expected else '!='} acknowledged, current annotations "
                  f"{'==' if current == newest else '!='} newest acknowledged")


if __name__ == "__main__":
    main()
