"""The store's database on both backends (SQLite, PostgreSQL): migrations, secrets scrubbed, errors."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from plugin.errors import ConfigError, StoreError
from plugin.settings import Settings
from plugin.store import SCHEMA_VERSION, open_store
from plugin.store.db import DB_FILE, scrub

TABLES = {"events", "tasks", "annotation_versions", "annotations", "actors", "claims", "projects", "schema_migrations"}


def tables(store) -> set[str]:
    sql = ("SELECT name FROM sqlite_master WHERE type = 'table'" if store.backend == "sqlite" else
           "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
    with store.reading() as conn:
        return {r[0] for r in conn.execute(sql)}


def test_a_new_store_is_migrated_to_the_current_schema(database_url, tmp_path):
    store = open_store(tmp_path, database_url)
    with store.reading() as conn:
        assert [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")] == \
            list(range(1, SCHEMA_VERSION + 1))
    assert TABLES <= tables(store)
    assert store.backend == database_url.split(":")[0]


def test_sqlite_runs_in_wal_mode_and_keeps_user_version_for_older_stancedesks(tmp_path):
    store = open_store(tmp_path)
    with store.reading() as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_sqlite_store_from_before_the_migrations_table_is_not_migrated_again(tmp_path):
    store = open_store(tmp_path)
    with store.transaction() as conn:
        conn.execute("DROP TABLE schema_migrations")  # as a store made by stancedesk 0.2.0 (user_version only)
    store.close()
    store = open_store(tmp_path)  # would fail on "table events already exists" if migrated again
    assert TABLES <= tables(store)


def test_opening_twice_at_once_migrates_once(database_url, tmp_path):
    errors = []

    def open_it():
        try:
            open_store(tmp_path, database_url).close()
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with open_store(tmp_path, database_url).reading() as conn:
        assert conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == SCHEMA_VERSION


def test_a_store_from_a_newer_stancedesk_is_refused(database_url, tmp_path):
    with open_store(tmp_path, database_url).transaction() as conn:
        conn.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (?, 'later')", (SCHEMA_VERSION + 1,))
    with pytest.raises(StoreError, match=rf"schema version {SCHEMA_VERSION + 1}, newer than this stancedesk .*upgrade"):
        open_store(tmp_path, database_url)


def test_a_sqlite_store_with_a_newer_user_version_is_refused(tmp_path):
    conn = sqlite3.connect(tmp_path / DB_FILE)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match=rf"schema version {SCHEMA_VERSION + 1}, newer than this stancedesk .*upgrade"):
        open_store(tmp_path)


def test_an_unopenable_store_names_the_path(tmp_path):
    (tmp_path / DB_FILE).mkdir()
    with pytest.raises(StoreError, match=r"cannot open the store at .*check STANCEDESK_HOME"):
        open_store(tmp_path)


def test_an_unreachable_postgresql_names_the_url_without_its_password(tmp_path):
    from plugin.store.local_postgres import free_port

    url = f"postgresql://ann:s3cret@127.0.0.1:{free_port()}/newsroom"
    with pytest.raises(StoreError, match=r"cannot connect to the store at postgresql://ann:\*\*\*@127\.0\.0\.1:\d+/newsroom"
                                         r".*check STANCEDESK_DATABASE_URL") as caught:
        open_store(tmp_path, url)
    assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize("url", ["mysql://db/x", "sqlite://", "postgresq://host/db", "just-a-name"])
def test_a_database_url_of_no_known_kind_is_refused_naming_the_forms(url, tmp_path):
    with pytest.raises(ConfigError, match=r"STANCEDESK_DATABASE_URL: database URL .* is neither "
                                          r"postgresql://USER:PASSWORD@HOST:PORT/DBNAME nor sqlite:///PATH/TO/FILE"):
        Settings.from_env({"STANCEDESK_HOME": str(tmp_path), "STANCEDESK_DATABASE_URL": url})


@pytest.mark.parametrize("url,backend", [("postgresql://u:p@h:5432/d", "postgresql"), ("postgres://h/d", "postgresql"),
                                         ("sqlite:////var/lib/stancedesk/x.sqlite3", "sqlite")])
def test_the_database_url_selects_the_backend(url, backend, tmp_path):
    settings = Settings.from_env({"STANCEDESK_HOME": str(tmp_path), "STANCEDESK_DATABASE_URL": url})
    assert settings.database_url == url
    from plugin.store.backends import backend_of

    assert backend_of(url) == backend


def test_sqlite_urls_read_as_sqlalchemy_does(tmp_path):
    store = open_store(tmp_path / "unused", f"sqlite:///{tmp_path / 'elsewhere.sqlite3'}")
    assert store.path == tmp_path / "elsewhere.sqlite3" and store.backend == "sqlite"
    assert not (tmp_path / "unused").exists()


def test_secrets_never_reach_the_journal(database_url, tmp_path):
    store = open_store(tmp_path, database_url)
    payload = {"action": "X", "project": {"id": 1, "token": "t"}, "nested": [{"access_token": "a", "keep": 1}]}
    store.record_event(action="X", payload=payload)
    [event] = store.events()
    assert event.payload == {"action": "X", "project": {"id": 1}, "nested": [{"keep": 1}]}
    assert event.project_id == 1
    assert scrub(payload) == event.payload
    assert payload["project"]["token"] == "t"  # the input is not mutated


def test_projects_bind_to_one_story_on_both_backends(database_url, tmp_path):
    store = open_store(tmp_path, database_url)
    assert [store.bind_project(4, "a", "A"), store.bind_project(4, "a", None)] == ["bound", "unchanged"]
    assert store.projects() == [(4, "a", "A")]
    with pytest.raises(StoreError, match=r"project 4 belongs to story 'a', not 'b'; push story 'b' to its own project"):
        store.bind_project(4, "b")


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
