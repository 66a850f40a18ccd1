"""SQLite store: connection set-up (WAL, busy timeout), schema migrations, the event journal.

Every accepted webhook delivery is journaled raw (minus secrets) before it is
processed, so nothing Label Studio sends is lost.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from plugin.errors import StoreError
from plugin.store.packing import pack, unpack

DB_FILE = "stancedesk.sqlite3"
SCHEMA_VERSION = 3
_SECRET_KEYS = frozenset({"token", "access_token", "api_key", "password", "basic_auth_pass", "basic_auth_user",
                          "task_data_login", "task_data_password"})
_SECRET_WORDS = ("password", "secret", "token", "api_key", "apikey", "credential")  # any key naming one is dropped too

_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE events (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        received_at TEXT NOT NULL,
        source      TEXT NOT NULL,              -- 'webhook' | 'sync'
        action      TEXT NOT NULL,
        project_id  INTEGER,
        payload     TEXT NOT NULL,              -- JSON, secrets removed
        status      TEXT NOT NULL DEFAULT 'received',  -- 'received' | 'processed' | 'failed' | 'ignored' | 'rejected'
        error       TEXT
    );
    CREATE INDEX events_action ON events(action);
    """,
    2: """
    CREATE TABLE tasks (
        id          INTEGER PRIMARY KEY,        -- Label Studio task id
        project_id  INTEGER,
        doc_id      TEXT,
        text        TEXT NOT NULL,
        data        TEXT NOT NULL,              -- JSON: text and metadata
        deleted_at  TEXT,
        updated_at  TEXT NOT NULL
    );
    CREATE INDEX tasks_project ON tasks(project_id);
    CREATE TABLE annotation_versions (
        annotation_id  INTEGER NOT NULL,
        task_id        INTEGER NOT NULL,
        project_id     INTEGER,
        kind           TEXT NOT NULL,           -- 'created' | 'updated' | 'deleted'
        version_at     TEXT NOT NULL,           -- Label Studio's updated_at; receive time for deletions
        result         TEXT,                    -- JSON result list as received
        was_cancelled  INTEGER NOT NULL DEFAULT 0,
        ground_truth   INTEGER NOT NULL DEFAULT 0,
        completed_by   INTEGER,
        lead_time      REAL,
        prediction_model_version TEXT,
        prediction_result TEXT,                 -- JSON: the prediction the annotator started from
        event_id       INTEGER,
        recorded_at    TEXT NOT NULL,
        UNIQUE (annotation_id, kind, version_at)
    );
    CREATE TABLE annotations (                  -- the current version of each annotation
        id             INTEGER PRIMARY KEY,
        task_id        INTEGER NOT NULL,
        project_id     INTEGER,
        updated_at     TEXT NOT NULL,
        result         TEXT NOT NULL,
        was_cancelled  INTEGER NOT NULL DEFAULT 0,
        ground_truth   INTEGER NOT NULL DEFAULT 0,
        completed_by   INTEGER,
        prediction_model_version TEXT,
        prediction_result TEXT,
        deleted_at     TEXT,
        problems       TEXT NOT NULL DEFAULT '[]'  -- JSON list: regions that do not fit the text
    );
    CREATE INDEX annotations_task ON annotations(task_id);
    CREATE TABLE actors (
        annotation_id INTEGER NOT NULL REFERENCES annotations(id) ON DELETE CASCADE,
        start INTEGER NOT NULL, end INTEGER NOT NULL, label TEXT NOT NULL, text TEXT NOT NULL, canonical TEXT NOT NULL
    );
    CREATE INDEX actors_annotation ON actors(annotation_id);
    CREATE TABLE claims (
        annotation_id INTEGER NOT NULL REFERENCES annotations(id) ON DELETE CASCADE,
        start INTEGER NOT NULL, end INTEGER NOT NULL, text TEXT NOT NULL, kind TEXT NOT NULL,
        speaker TEXT, speaker_start INTEGER, speaker_end INTEGER, stance TEXT NOT NULL
    );
    CREATE INDEX claims_annotation ON claims(annotation_id);
    """,
    3: """
    CREATE TABLE projects (                     -- which story each Label Studio project belongs to
        id          INTEGER PRIMARY KEY,        -- Label Studio project id
        story       TEXT NOT NULL,
        title       TEXT,
        bound_at    TEXT NOT NULL
    );
    CREATE INDEX projects_story ON projects(story);
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


def _statements(script: str) -> list[str]:
    """The statements of a migration script (comments dropped; no literal in these scripts holds ';')."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


@functools.lru_cache(maxsize=4096)
def _secret_key(key: str) -> bool:
    return key in _SECRET_KEYS or any(w in key.lower() for w in _SECRET_WORDS)


MAX_NESTING = 64  # Label Studio's payloads nest fewer than 20 levels


class TooDeep(ValueError):
    """A JSON value nests deeper than MAX_NESTING levels (refused, never journaled)."""


def scrub(value: Any, depth: int = 1) -> Any:
    """A copy of a JSON value with every secret-named key removed (the project ``token`` above all); parts that
    hold none are shared, not copied. Raises ``TooDeep`` past ``MAX_NESTING`` levels (the walk is recursive)."""
    if depth > MAX_NESTING:
        raise TooDeep(f"JSON nested deeper than {MAX_NESTING} levels")
    if isinstance(value, dict):
        out = {}
        changed = False
        for k, v in value.items():
            if isinstance(k, str) and _secret_key(k):
                changed = True
                continue
            clean = scrub(v, depth + 1) if isinstance(v, (dict, list)) else v
            changed = changed or clean is not v
            out[k] = clean
        return out if changed else value
    if isinstance(value, list):
        cleaned = [scrub(v, depth + 1) if isinstance(v, (dict, list)) else v for v in value]
        return cleaned if any(a is not b for a, b in zip(cleaned, value)) else value
    return value


class Store:
    """A thread-safe handle on the SQLite database (one connection, serialised writes)."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.RLock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():  # the journal keeps payloads: readable by its owner only, from the first byte
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
            self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
            self._wal()
            for sidecar in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                if sidecar.exists() and sidecar.stat().st_mode & 0o077 and sidecar.stat().st_uid == os.getuid():
                    os.chmod(sidecar, 0o600)
            # WAL + NORMAL: a commit survives a crash of the process (what the journal guards against);
            # only an OS crash or power cut can lose the last commits, never corrupt the database
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA busy_timeout=10000")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except (sqlite3.Error, OSError) as e:
            raise StoreError(f"cannot open the store at {path}: {e}; check STANCEDESK_HOME and its permissions") from e

    def _wal(self, timeout: float = 10.0) -> None:
        """Switch to WAL. A second process opening a new store at the same moment can get "database is locked"
        here without SQLite's busy handler being asked: wait for it, as the busy timeout would."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _migrate(self) -> None:
        """Bring the schema to SCHEMA_VERSION, one migration per transaction (safe against a
        second process migrating at the same time: the version is read inside the lock)."""
        while True:
            with self._lock:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    version = self._conn.execute("PRAGMA user_version").fetchone()[0]
                    if version > SCHEMA_VERSION:
                        raise StoreError(
                            f"the store at {self.path} has schema version {version}, newer than this stancedesk "
                            f"({SCHEMA_VERSION}); upgrade stancedesk"
                        )
                    if version == SCHEMA_VERSION:
                        self._conn.execute("COMMIT")
                        return
                    for statement in _statements(_MIGRATIONS[version + 1]):
                        self._conn.execute(statement)
                    self._conn.execute(f"PRAGMA user_version={version + 1}")
                    self._conn.execute("COMMIT")
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE ... COMMIT), serialised across threads."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._conn

    # -- the event journal -------------------------------------------------------
    def record_event(self, *, action: str, payload: dict, source: str = "webhook", status: str = "received") -> int:
        """Append one delivery to the journal and return its id. Secrets are removed first."""
        clean = scrub(payload)
        packed = pack(clean)  # outside the lock: other requests' writes need not wait for the compression
        project = clean.get("project")
        project_id = project.get("id") if isinstance(project, dict) else project if isinstance(project, int) else None
        now = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        with self._lock:
            cur = self._conn.execute(
                "INSERT INTO events (received_at, source, action, project_id, payload, status) VALUES (?, ?, ?, ?, ?, ?)",
                (now, source, action, project_id if isinstance(project_id, int) else None, packed,
                 status),
            )
            return int(cur.lastrowid)

    def mark_event(self, event_id: int, status: str, error: str | None = None) -> None:
        with self._lock:
            self._conn.execute("UPDATE events SET status = ?, error = ? WHERE id = ?", (status, error, event_id))

    def events(self, *, action: str | None = None, statuses: tuple[str, ...] | None = None) -> Iterator[Event]:
        sql = "SELECT id, received_at, source, action, project_id, payload, status, error FROM events"
        where, args = [], []
        if action is not None:
            where.append("action = ?")
            args.append(action)
        if statuses:
            where.append(f"status IN ({', '.join('?' * len(statuses))})")
            args.extend(statuses)
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY id", tuple(args)).fetchall()
        for row in rows:
            yield Event(row[0], row[1], row[2], row[3], row[4], unpack(row[5]), row[6], row[7])


    # -- projects and their stories ----------------------------------------------
    def bind_project(self, project_id: int, story: str, title: str | None = None) -> str:
        """Record that a Label Studio project belongs to a story: "bound", "unchanged", or an error if it
        belongs to another story (one project, one story: its tasks and corrections must not mix)."""
        with self.transaction() as conn:
            row = conn.execute("SELECT story FROM projects WHERE id = ?", (project_id,)).fetchone()
            if row is not None and row[0] != story:
                raise StoreError(f"Label Studio project {project_id} belongs to story {row[0]!r}, not {story!r}; "
                                 f"push story {story!r} to its own project (another --project title)")
            if row is not None:
                conn.execute("UPDATE projects SET title = COALESCE(?, title) WHERE id = ?", (title, project_id))
                return "unchanged"
            conn.execute("INSERT INTO projects (id, story, title, bound_at) VALUES (?, ?, ?, ?)",
                         (project_id, story, title, datetime.now(timezone.utc).isoformat(timespec="seconds")))
            return "bound"

    def project_story(self, project_id: int) -> str | None:
        with self.reading() as conn:
            row = conn.execute("SELECT story FROM projects WHERE id = ?", (project_id,)).fetchone()
        return row[0] if row else None

    def annotations_stamp(self) -> tuple:
        """Changes whenever an annotation is created, updated or deleted (and a project bound): what caches of
        anything learnt from the annotations are keyed by."""
        with self.reading() as conn:
            versions = conn.execute("SELECT COUNT(*), MAX(rowid) FROM annotation_versions").fetchone()
            bound = conn.execute("SELECT COUNT(*), MAX(bound_at) FROM projects").fetchone()
        return tuple(versions) + tuple(bound)

    def story_projects(self, story: str) -> list[int]:
        with self.reading() as conn:
            return [r[0] for r in conn.execute("SELECT id FROM projects WHERE story = ? ORDER BY id", (story,))]

    def projects(self) -> list[tuple[int, str, str | None]]:
        """Every bound project: (id, story, title)."""
        with self.reading() as conn:
            return [tuple(r) for r in conn.execute("SELECT id, story, title FROM projects ORDER BY id")]


def open_store(home: Path) -> Store:
    """Open (creating and migrating as needed) the store under a stancedesk home directory."""
    return Store(Path(home) / DB_FILE)
