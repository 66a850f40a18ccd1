"""`stancedesk serve --workers 2`: worker processes share one port and one store, and stop together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from plugin.cli import WORKER_GRACE_S
from plugin.labelstudio.local import free_port
from plugin.store import open_store

REPO = Path(__file__).resolve().parents[2]
SECRET = "workers-secret"


def _body(n: int) -> dict:
    return {"action": "TASKS_CREATED", "project": {"id": 1},
            "tasks": [{"id": n, "data": {"text": f"text {n}", "doc_id": f"d{n}"}, "project": 1}]}


def _children(pid: int) -> list[str]:
    """The child pids of ``pid``, from /proc (no procps needed)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == str(pid):
            out.append(stat.parent.name)
    return out


def test_workers_share_the_port_and_the_store_and_stop_together(tmp_path):
    port = free_port()
    env = {**os.environ, "STANCEDESK_HOME": str(tmp_path), "STANCEDESK_WEBHOOK_SECRET": SECRET}
    proc = subprocess.Popen([sys.executable, "-m", "plugin.cli", "serve", "--port", str(port), "--workers", "2"],
                            env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        with httpx.Client(headers={"X-Stancedesk-Secret": SECRET}, timeout=30) as http, ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(lambda n: http.post(f"{url}/webhook", json=_body(n)).status_code, range(1, 61)))
        assert codes == [200] * 60
        store = open_store(tmp_path)
        assert len(list(store.events())) == 60
        with store.reading() as conn:
            assert conn.execute("SELECT COUNT(*) FROM tasks").fetchone()[0] == 60
        children = _children(proc.pid)
        assert len(children) == 2
        # a body over the limit from a client without the secret: refused before it is read (413), not after 300 MB
        big = httpx.post(f"{url}/webhook", content=b"x" * (21 * 1024 * 1024), headers={"Content-Type": "text/plain"},
                         timeout=30)
        assert big.status_code == 413
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "2 worker process(es)" in out and "Traceback" not in err
    for pid in children:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()


def _annotation_body(n: int) -> dict:
    """Delivery ``n``: annotation n // 2 + 1 created (even n), then updated a second later (odd n)."""
    aid = n // 2 + 1
    stamp = f"2026-03-0{1 + n % 2}T10:00:00.000000Z"
    return {"action": "ANNOTATION_UPDATED" if n % 2 else "ANNOTATION_CREATED", "project": {"id": 1, "token": "x"},
            "task": {"id": aid, "data": {"text": f"Ann Lee said talks {aid} failed.", "doc_id": f"d{aid}"}, "project": 1},
            "annotation": {"id": aid, "task": aid, "project": 1, "result": [], "was_cancelled": False,
                           "ground_truth": False, "created_at": stamp, "updated_at": stamp, "completed_by": 1}}


def _serve(tmp_path, port: int, database_url: str, workers: int) -> subprocess.Popen:
    env = {**os.environ, "STANCEDESK_HOME": str(tmp_path), "STANCEDESK_WEBHOOK_SECRET": SECRET,
           "STANCEDESK_DATABASE_URL": database_url}
    proc = subprocess.Popen([sys.executable, "-m", "plugin.cli", "serve", "--port", str(port), "--workers", str(workers)],
                            env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"serve did not start: {proc.communicate()[1][-2000:]}")


def test_a_worker_killed_mid_burst_loses_and_duplicates_nothing(tmp_path, database_url):
    """8 clients post creates and updates while one of 2 workers is SIGKILLed: a replacement takes its place,
    a delivery cut off by the kill is sent again (as any sender whose request failed would), and the store holds
    exactly the acknowledged corrections: every version once, every annotation at its newest."""
    port = free_port()
    proc = _serve(tmp_path, port, database_url, workers=2)
    deliveries = 400
    acked: set[int] = set()
    cut_off = []
    http = httpx.Client(headers={"X-Stancedesk-Secret": SECRET}, timeout=30)

    def deliver(n: int) -> None:
        for _ in range(100):
            try:
                r = http.post(f"http://127.0.0.1:{port}/webhook", json=_annotation_body(n))
            except httpx.TransportError:  # cut off by the kill: sent again
                cut_off.append(n)
                time.sleep(0.05)
                continue
            assert r.status_code == 200, r.text
            acked.add(n)
            return

    try:
        victim = int(_children(proc.pid)[0])
        time.sleep(WORKER_GRACE_S)  # a worker that dies sooner after its start is taken for one that cannot start
        with ThreadPoolExecutor(8) as pool:
            sent = [pool.submit(deliver, n) for n in range(deliveries)]
            while len(acked) < deliveries // 4 and proc.poll() is None:
                time.sleep(0.01)
            os.kill(victim, signal.SIGKILL)
            killed_at = len(acked)
            for future in sent:
                future.result()
        assert killed_at < deliveries, "the burst ended before the kill"
        assert proc.poll() is None, "serve stopped with its worker"
        survivors = _children(proc.pid)
        assert len(survivors) == 2 and str(victim) not in survivors
    finally:
        http.close()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert f"server worker {victim} ended (killed by signal 9)" in err
    assert acked == set(range(deliveries))
    store = open_store(tmp_path, database_url)
    with store.reading() as conn:
        versions = conn.execute("SELECT annotation_id, version_at FROM annotation_versions").fetchall()
        current = dict(conn.execute("SELECT id, updated_at FROM annotations").fetchall())
        tasks = conn.execute("SELECT COUNT(*) FROM tasks").fetchone()[0]
    assert len(versions) == len(set(versions)) == deliveries
    assert current == {aid: "2026-03-02T10:00:00.000000Z" for aid in range(1, deliveries // 2 + 1)}
    assert tasks == deliveries // 2
    assert len(list(store.events())) in range(deliveries, deliveries + len(cut_off) + 1)
