"""SQLite store: connection set-up (WAL, busy timeout), schema migrations, the event journal.

Every accepted webhook delivery is journaled raw (minus secrets) before it is
processed, so nothing Label Studio sends is lost.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from plugin.errors import StoreError

DB_FILE = "stancedesk.sqlite3"
SCHEMA_VERSION = 1
_SECRET_KEYS = frozenset({"token", "access_token", "api_key", "password", "basic_auth_pass"})

_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE events (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        received_at TEXT NOT NULL,
        source      TEXT NOT NULL,              -- 'webhook' | 'sync'
        action      TEXT NOT NULL,
        project_id  INTEGER,
        payload     TEXT NOT NULL,              -- JSON, secrets removed
        status      TEXT NOT NULL DEFAULT 'received',  -- 'received' | 'processed' | 'failed' | 'ignored'
        error       TEXT
    );
    CREATE INDEX events_action ON events(action);
    """,
}


@dataclass(frozen=True)
class Event:
    id: int
    received_at: str
    source: str
    action: str
    project_id: int | None
    payload: dict
    status: str
    error: str | None


def scrub(value: Any) -> Any:
    """A copy of a JSON value with every secret-named key removed (the project ``token`` above all)."""
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items() if k not in _SECRET_KEYS}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


class Store:
    """A thread-safe handle on the SQLite database (one connection, serialised writes)."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA busy_timeout=10000")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.Error as e:
            raise StoreError(f"cannot open the store at {path}: {e}; check STANCEDESK_HOME and its permissions") from e

    def _migrate(self) -> None:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the store at {self.path} has schema version {version}, newer than this stancedesk ({SCHEMA_VERSION}); upgrade stancedesk"
            )
        for v in range(version + 1, SCHEMA_VERSION + 1):
            with self._lock:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    for statement in filter(str.strip, _MIGRATIONS[v].split(";")):
                        self._conn.execute(statement)
                    self._conn.execute(f"PRAGMA user_version={v}")
                    self._conn.execute("COMMIT")
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise

    def close(self) -> None:
        self._conn.close()

    # -- the event journal -------------------------------------------------------
    def record_event(self, *, action: str, payload: dict, source: str = "webhook") -> int:
        """Append one delivery to the journal and return its id. Secrets are removed first."""
        clean = scrub(payload)
        project = clean.get("project")
        project_id = project.get("id") if isinstance(project, dict) else project if isinstance(project, int) else None
        now = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        with self._lock:
            cur = self._conn.execute(
                "INSERT INTO events (received_at, source, action, project_id, payload) VALUES (?, ?, ?, ?, ?)",
                (now, source, action, project_id if isinstance(project_id, int) else None, json.dumps(clean, ensure_ascii=False)),
            )
            return int(cur.lastrowid)

    def mark_event(self, event_id: int, status: str, error: str | None = None) -> None:
        with self._lock:
            self._conn.execute("UPDATE events SET status = ?, error = ? WHERE id = ?", (status, error, event_id))

    def events(self, *, action: str | None = None) -> Iterator[Event]:
        sql = "SELECT id, received_at, source, action, project_id, payload, status, error FROM events"
        args: tuple = ()
        if action is not None:
            sql += " WHERE action = ?"
            args = (action,)
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY id", args).fetchall()
        for row in rows:
            yield Event(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]), row[6], row[7])


def open_store(home: Path) -> Store:
    """Open (creating and migrating as needed) the store under a stancedesk home directory."""
    return Store(Path(home) / DB_FILE)
