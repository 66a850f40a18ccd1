"""The SQLite store itself: migrations, pragmas, secrets scrubbed, errors."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from plugin.errors import StoreError
from plugin.store import SCHEMA_VERSION, open_store
from plugin.store.db import DB_FILE, scrub


def test_a_new_store_is_migrated_to_the_current_schema_in_wal_mode(tmp_path):
    store = open_store(tmp_path)
    with store.reading() as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"events", "tasks", "annotation_versions", "annotations", "actors", "claims"} <= tables


def test_opening_twice_at_once_migrates_once(tmp_path):
    errors = []

    def open_it():
        try:
            open_store(tmp_path).close()
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_a_store_from_a_newer_stancedesk_is_refused(tmp_path):
    conn = sqlite3.connect(tmp_path / DB_FILE)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match=rf"schema version {SCHEMA_VERSION + 1}, newer than this stancedesk .*upgrade"):
        open_store(tmp_path)


def test_an_unopenable_store_names_the_path(tmp_path):
    (tmp_path / DB_FILE).mkdir()
    with pytest.raises(StoreError, match=r"cannot open the store at .*check STANCEDESK_HOME"):
        open_store(tmp_path)


def test_secrets_never_reach_the_journal(tmp_path):
    store = open_store(tmp_path)
    payload = {"action": "X", "project": {"id": 1, "token": "t"}, "nested": [{"access_token": "a", "keep": 1}]}
    store.record_event(action="X", payload=payload)
    [event] = store.events()
    assert event.payload == {"action": "X", "project": {"id": 1}, "nested": [{"keep": 1}]}
    assert scrub(payload) == event.payload
    assert payload["project"]["token"] == "t"  # the input is not mutated


@pytest.mark.parametrize("key", ["task_data_password", "task_data_login", "basic_auth_user", "webhook_secret",
                                 "my_api_key", "refreshToken", "Password"])
def test_every_secret_named_key_is_scrubbed(key):
    assert scrub({"project": {"id": 1, key: "s3cret"}}) == {"project": {"id": 1}}


def test_the_store_is_readable_by_its_owner_only(tmp_path):
    import stat

    store = open_store(tmp_path)
    store.record_event(action="X", payload={"action": "X"})
    for path in tmp_path.iterdir():
        if path.name.startswith(DB_FILE):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
