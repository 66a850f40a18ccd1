"""The whole local stack in one call: Label Studio, the stancedesk server, the seeds pushed.

Everything started here is stopped by ``Stack.stop()`` (by PID for the Label
Studio process, by handle for the in-process server).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from waitress.server import create_server

from plugin.collector import record_pushed_tasks
from plugin.fileio import atomic_path, write_bytes_atomic
from plugin.labelstudio.client import PushSummary, push
from plugin.learnt import learnt_at
from plugin.labelstudio.local import LocalLabelStudio, port_is_free, start_label_studio
from plugin.errors import ConfigError, StancedeskError
from plugin.pipeline import build_pipeline
from plugin.preannotate import preannotate
from plugin.server import create_app
from plugin.server.app import MAX_BODY_BYTES
from plugin.settings import LOCAL_STACK_DIR, LOCAL_STACK_FILE, Settings
from plugin.stories import Story
from plugin.store.backends import redact

class ThreadedServer:
    """A waitress server running in a daemon thread; ``close()`` stops it from any thread.

    The loop runs in short rounds and the server closes its own sockets in its own
    thread, so stopping it never makes a select() on a closed descriptor fail.
    """

    def __init__(self, server) -> None:
        self._server = server
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stancedesk-server", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        server = self._server
        try:
            while not self._stopping.is_set():
                server.asyncore.loop(timeout=0.2, map=server._map, count=1)
        finally:
            server.task_dispatcher.shutdown()
            server.close()

    def close(self, timeout: float = 10) -> None:
        self._stopping.set()
        self._thread.join(timeout)


def serve_in_thread(app, host: str, port: int) -> ThreadedServer:
    """Start a waitress server for ``app`` in a daemon thread; returns it (``.close()`` stops it)."""
    if not port_is_free(port):
        raise StancedeskError(f"port {port} on {host} is taken; choose another with --port")
    return ThreadedServer(create_server(app, host=host, port=port, threads=8, max_request_body_size=MAX_BODY_BYTES))


@dataclass
class Stack:
    label_studio: LocalLabelStudio
    server: object
    server_url: str
    push: PushSummary
    timings: dict[str, float] = field(default_factory=dict)

    def stop(self) -> None:
        try:
            self.server.close()
        finally:
            self.label_studio.stop()


def start_stack(settings: Settings, *, story: Story, inputs: list[Path], project: str | None = None,
                label_studio_port: int = 8080, server_port: int = 9090, label_studio_database_url: str | None = None,
                say: Callable[[str], None] = lambda _: None) -> Stack:
    """Start Label Studio and the stancedesk server, pre-annotate ``inputs`` for ``story`` and push them to the
    story's project (titled from the story unless ``project`` is given), bound to the story in the store.

    Re-running on the same STANCEDESK_HOME reuses the Label Studio data, the
    project, its tasks, webhook and ML backend: nothing is created twice.
    ``label_studio_database_url`` (postgresql://...): Label Studio's own database, not the store's.
    """
    if label_studio_database_url and label_studio_database_url == settings.database_url:
        raise ConfigError("--database-url is STANCEDESK_DATABASE_URL, the store's database; give Label Studio a "
                          "database of its own (CREATE DATABASE label_studio)")
    home = settings.home.resolve()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    where = f"database {redact(label_studio_database_url)}, " if label_studio_database_url else ""
    say(f"starting Label Studio on 127.0.0.1:{label_studio_port} ({where}data in {home / 'label-studio'}) ...")
    ls = start_label_studio(home / LOCAL_STACK_DIR, port=label_studio_port, database_url=label_studio_database_url)
    timings["label_studio_start_s"] = time.perf_counter() - t0
    # sync and push find this Label Studio by themselves (its token is in the credentials file beside it)
    write_bytes_atomic(home / LOCAL_STACK_DIR / LOCAL_STACK_FILE, json.dumps({"url": ls.url}).encode("utf-8"))
    server = None
    try:
        secret = settings.webhook_secret or _local_secret(home)
        settings = replace(settings, home=home, label_studio_url=ls.url, label_studio_token=ls.credentials.token,
                           webhook_secret=secret)
        t0 = time.perf_counter()
        tasks_path = home / f"tasks-{story.name}.json"
        nlp = build_pipeline(settings.model, story=story)
        summary = preannotate(inputs, tasks_path, story=story, nlp=nlp, learnt=learnt_at(home, story, settings.database_url))
        timings["preannotate_s"] = time.perf_counter() - t0
        say(f"pre-annotated {summary.articles} articles: {summary.actors} actors, {summary.claims} claims")
        app = create_app({"settings": settings, "nlp": nlp, "story": story.path})
        store = app.extensions["stancedesk"].store
        server_url = f"http://127.0.0.1:{server_port}"
        server = serve_in_thread(app, "127.0.0.1", server_port)
        say(f"stancedesk server (webhook + ML backend) on {server_url}")
        t0 = time.perf_counter()
        tasks = json.loads(tasks_path.read_text(encoding="utf-8"))
        pushed = push(tasks, story=story, project=project, url=ls.url, token=ls.credentials.token,
                      webhook_url=f"{server_url}/webhook", webhook_secret=secret, ml_backend_url=server_url,
                      on_project=lambda pid, title: store.bind_project(pid, story.name, title),
                      on_tasks=lambda pid, pushed_tasks: record_pushed_tasks(store, pid, pushed_tasks))
        timings["push_s"] = time.perf_counter() - t0
    except BaseException:
        if server is not None:
            server.close()
        ls.stop()
        raise
    return Stack(ls, server, server_url, pushed, timings)


def _local_secret(home: Path) -> str:
    """The webhook secret of this data directory, made up on first use (STANCEDESK_WEBHOOK_SECRET wins)."""
    import secrets as _secrets

    path = home / "webhook-secret"
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    secret = _secrets.token_urlsafe(24)
    with atomic_path(path, 0o600) as tmp:  # never readable by others, not even for a moment
        tmp.write_text(secret, encoding="utf-8")
    return secret
