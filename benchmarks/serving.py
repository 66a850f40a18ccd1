"""A real ``stancedesk serve`` on loopback, for the benchmarks that post to it as Label Studio would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from plugin.labelstudio.local import free_port  # noqa: E402


@contextmanager
def stancedesk_server(home: Path, secret: str, *args: str, timeout: float = 60) -> Iterator[str]:
    """Start ``stancedesk serve ARGS`` with this home and webhook secret on a free port; yield its URL once
    /health answers; stop it (its process group, started here) on the way out."""
    port = free_port()
    env = {**os.environ, "STANCEDESK_HOME": str(home), "STANCEDESK_WEBHOOK_SECRET": secret}
    server = subprocess.Popen([sys.executable, "-m", "plugin.cli", "serve", "--port", str(port), *args], env=env, cwd=REPO,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit(f"stancedesk serve did not answer {url}/health within {timeout:.0f} s")
            time.sleep(0.1)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)
