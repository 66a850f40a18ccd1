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
