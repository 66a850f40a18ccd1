"""Webhook load: concurrent Label Studio-shaped deliveries against `stancedesk serve` (waitress) on loopback.

    python benchmarks/webhook_load.py [--clients 8] [--events 2000] [--workers N] [--threads N]

Starts `stancedesk serve` as a separate process with a temporary
STANCEDESK_HOME, posts ANNOTATION_CREATED / ANNOTATION_UPDATED deliveries whose
result is a real seed prediction (a typical annotation: ~70 regions), and
prints events/s and the latency percentiles the annotator's save would wait
for (Label Studio times out at 1 s). Then checks that every event was stored.
"""

from __future__ import annotations

import argparse
import json
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
from serving import stancedesk_server  # noqa: E402

SECRET = "load-test-secret"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=None, help="request threads per worker (default: serve's)")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: serve's)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        preannotate([REPO / "seeds"], tmp / "seeds.json", story=find_story(tmp / "home", "russia-nato"))
        seeds = json.loads((tmp / "seeds.json").read_text())
        extra = [*(["--threads", str(args.threads)] if args.threads else []),
                 *(["--workers", str(args.workers)] if args.workers else [])]
        with stancedesk_server(tmp / "home", SECRET, "--story", "russia-nato", *extra) as url:
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
                        r = http.post(f"{url}/webhook", json=bodies[i])
                        dt = time.perf_counter() - t0
                        with lock:
                            latencies.append(dt)
                            if r.status_code != 200:
                                failures.append(r.status_code)

            t0 = time.perf_counter()
            threads = [threading.Thread(target=client) for _ in range(args.clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - t0
        q = statistics.quantiles(latencies, n=100)
        print(f"{len(bodies)} deliveries of {size / 1024:.0f} KiB from {args.clients} clients; serve with "
              f"{args.workers or 'default'} workers of {args.threads or 'default'} threads")
        print(f"throughput  {len(bodies) / wall:8.1f} events/s")
        print(f"latency     p50 {q[49] * 1000:6.1f} ms   p90 {q[89] * 1000:6.1f} ms   p99 {q[98] * 1000:6.1f} ms   max {max(latencies) * 1000:6.1f} ms")
        print(f"non-200     {len(failures)}")
        store = open_store(tmp / "home")
        with store.reading() as conn:
            stored = len(corrections.current_annotations(conn))
            versions = conn.execute("SELECT COUNT(*) FROM annotation_versions").fetchone()[0]
        events = sum(1 for _ in store.events())
        print(f"stored      {events} of {len(bodies)} events, {stored} of {len(bodies) // 2} annotations, {versions} versions "
              f"(every version is kept, out of order ones too)")


if __name__ == "__main__":
    main()
