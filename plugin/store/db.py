"""The store's database (SQLite or PostgreSQL): connection set-up, schema migrations, the event journal.

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
from plugin.store.backends import Connection, backend_of, postgres_ddl, redact, sqlite_path
from plugin.store.packing import pack, unpack

DB_FILE = "stancedesk.sqlite3"
_MIGRATION_LOCK = 0x5374616E  # PostgreSQL advisory lock key held while migrating ("Stan")
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
        payload     BLOB NOT NULL,              -- JSON, secrets removed, packed (store.packing)
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
        result         BLOB,                    -- JSON result list as received, packed
        was_cancelled  INTEGER NOT NULL DEFAULT 0,
        ground_truth   INTEGER NOT NULL DEFAULT 0,
        completed_by   INTEGER,
        lead_time      REAL,
        prediction_model_version TEXT,
        prediction_result BLOB,                 -- JSON: the prediction the annotator started from, packed
        event_id       INTEGER,
        recorded_at    TEXT NOT NULL,
        UNIQUE (annotation_id, kind, version_at)
    );
    CREATE TABLE annotations (                  -- the current version of each annotation
        id             INTEGER PRIMARY KEY,
        task_id        INTEGER NOT NULL,
        project_id     INTEGER,
        updated_at     TEXT NOT NULL,
        result         BLOB NOT NULL,
        was_cancelled  INTEGER NOT NULL DEFAULT 0,
        ground_truth   INTEGER NOT NULL DEFAULT 0,
        completed_by   INTEGER,
        prediction_model_version TEXT,
        prediction_result BLOB,
        deleted_at     TEXT,
        problems       TEXT NOT NULL DEFAULT '[]'  -- JSON list: regions that do not fit the text
    );
    CREATE INDEX annotations_task ON annotations(task_id);
    CREATE TABLE actors (
        annotation_id INTEGER NOT NULL REFERENCES annotations(id) ON DELETE CASCADE,
        start INTEGER NOT NULL, "end" INTEGER NOT NULL, label TEXT NOT NULL, text TEXT NOT NULL, canonical TEXT NOT NULL
    );
    CREATE INDEX actors_annotation ON actors(annotation_id);
    CREATE TABLE claims (
        annotation_id INTEGER NOT NULL REFERENCES annotations(id) ON DELETE CASCADE,
        start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL, kind TEXT NOT NULL,
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
    """A thread-safe handle on the store's database (one connection per process, serialised within it).

    SQLite (a file; ``path``) or PostgreSQL (``url``); see ``plugin.store.backends``. Writes from several
    processes are safe on both: SQLite serialises write transactions, PostgreSQL's row locks and upserts keep
    each write idempotent and the newest annotation version current.
    """

    def __init__(self, path: Path | None = None, *, url: str | None = None):
        if (path is None) == (url is None):
            raise ValueError("give the store a SQLite path or a database URL, not both")
        self._lock = threading.RLock()
        self._in_transaction = False
        if url is not None and backend_of(url) == "sqlite":
            path, url = Path(sqlite_path(url)), None
        self.path = path
        self.url = url
        self.backend = "sqlite" if url is None else "postgresql"
        if url is None:
            self._open_sqlite(path)
        else:
            self._open_postgres(url)

    @property
    def where(self) -> str:
        """Where the store is, for messages (a PostgreSQL URL with its password hidden)."""
        return str(self.path) if self.url is None else redact(self.url)

    def _open_sqlite(self, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():  # the journal keeps payloads: readable by its owner only, from the first byte
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
            raw = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
            self._conn = Connection(raw, "sqlite")
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

    def _open_postgres(self, url: str) -> None:
        import psycopg

        try:
            raw = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.Error as e:
            why = " ".join(str(e).split())
            raise StoreError(f"cannot connect to the store at {redact(url)}: {why}; check STANCEDESK_DATABASE_URL "
                             "(postgresql://USER:PASSWORD@HOST:PORT/DBNAME) and that the server is running") from None
        self._conn = Connection(raw, "postgresql")
        try:
            self._migrate()
        except psycopg.Error as e:
            raw.close()
            raise StoreError(f"cannot set up the store at {redact(url)}: {e}; the user needs the right to create "
                             "tables in that database") from e

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

    def _schema_version(self) -> int:
        """The applied migrations, from the ``schema_migrations`` table (and SQLite's ``user_version``, which
        stores made before that table was kept, and newer ones too, carry)."""
        row = self._conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
        version = row[0] or 0
        if self.backend == "sqlite":
            version = max(version, self._conn.execute("PRAGMA user_version").fetchone()[0])
        return version

    def _migrate(self) -> None:
        """Bring the schema to SCHEMA_VERSION: the same migrations on both backends, in one transaction that
        holds the database (SQLite: BEGIN IMMEDIATE; PostgreSQL: a transaction-level advisory lock), so a second
        process migrating at the same moment waits, then finds nothing left to do."""
        with self.transaction() as conn:
            if self.backend == "postgresql":
                conn.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))
            conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
            version = self._schema_version()
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"the store at {self.where} has schema version {version}, newer than this stancedesk "
                    f"({SCHEMA_VERSION}); upgrade stancedesk"
                )
            applied = datetime.now(timezone.utc).isoformat(timespec="seconds")
            for n in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _statements(_MIGRATIONS[n]):
                    conn.execute(postgres_ddl(statement) if self.backend == "postgresql" else statement)
                conn.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                             (n, applied))
            if self.backend == "sqlite":
                conn.execute(f"PRAGMA user_version={max(version, SCHEMA_VERSION)}")

    def close(self) -> None:
        self._conn.raw.close()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One write transaction, serialised across threads (SQLite: BEGIN IMMEDIATE, the database's write lock;
        PostgreSQL: BEGIN, READ COMMITTED, with row locks taken by the statements)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE" if self.backend == "sqlite" else "BEGIN")
            self._in_transaction = True
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")
            finally:
                self._in_transaction = False

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """The connection for reads. On PostgreSQL the reads inside share one snapshot (a read-only
        REPEATABLE READ transaction); on SQLite each statement reads the database as it is when it starts."""
        with self._lock:
            if self.backend == "sqlite" or self._in_transaction:
                yield self._conn
                return
            self._conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            self._in_transaction = True
            try:
                yield self._conn
            finally:
                self._in_transaction = False
                self._conn.execute("COMMIT")

    # -- the event journal -------------------------------------------------------
    def record_event(self, *, action: str, payload: dict, source: str = "webhook", status: str = "received") -> int:
        """Append one delivery to the journal and return its id. Secrets are removed first."""
        clean = scrub(payload)
        packed = pack(clean)  # outside the lock: other requests' writes need not wait for the compression
        project = clean.get("project")
        project_id = project.get("id") if isinstance(project, dict) else project if isinstance(project, int) else None
        now = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        with self._lock:
            row = self._conn.execute(
                "INSERT INTO events (received_at, source, action, project_id, payload, status) VALUES (?, ?, ?, ?, ?, ?)"
                " RETURNING id",
                (now, source, action, project_id if isinstance(project_id, int) else None, packed,
                 status),
            ).fetchone()
            return int(row[0])

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
            if conn.execute("INSERT INTO projects (id, story, title, bound_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                            (project_id, story, title,
                             datetime.now(timezone.utc).isoformat(timespec="seconds"))).rowcount:
                return "bound"
            row = conn.execute("SELECT story FROM projects WHERE id = ? FOR UPDATE", (project_id,)).fetchone()
            if row[0] != story:
                raise StoreError(f"Label Studio project {project_id} belongs to story {row[0]!r}, not {story!r}; "
                                 f"push story {story!r} to its own project (another --project title)")
            conn.execute("UPDATE projects SET title = COALESCE(?, title) WHERE id = ?", (title, project_id))
            return "unchanged"

    def project_story(self, project_id: int) -> str | None:
        with self.reading() as conn:
            row = conn.execute("SELECT story FROM projects WHERE id = ?", (project_id,)).fetchone()
        return row[0] if row else None

    def annotations_stamp(self) -> tuple:
        """Changes whenever an annotation is created, updated or deleted (and a project bound): what caches of
        anything learnt from the annotations are keyed by."""
        with self.reading() as conn:
            versions = conn.execute("SELECT COUNT(*), MAX(recorded_at) FROM annotation_versions").fetchone()
            bound = conn.execute("SELECT COUNT(*), MAX(bound_at) FROM projects").fetchone()
        return tuple(versions) + tuple(bound)

    def story_projects(self, story: str) -> list[int]:
        with self.reading() as conn:
            return [r[0] for r in conn.execute("SELECT id FROM projects WHERE story = ? ORDER BY id", (story,))]

    def projects(self) -> list[tuple[int, str, str | None]]:
        """Every bound project: (id, story, title)."""
        with self.reading() as conn:
            return [tuple(r) for r in conn.execute("SELECT id, story, title FROM projects ORDER BY id")]


def open_store(home: Path, database_url: str | None = None) -> Store:
    """Open (creating and migrating as needed) the store: the database at ``database_url``
    (``STANCEDESK_DATABASE_URL``: postgresql://... or sqlite:///...) when given, else SQLite under a stancedesk
    home directory."""
    if database_url:
        return Store(url=database_url)
    return Store(Path(home) / DB_FILE)
