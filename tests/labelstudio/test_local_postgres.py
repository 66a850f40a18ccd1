"""Label Studio on PostgreSQL in the local stack (`stancedesk up --database-url`): its own settings, a real
server, a project created and found in PostgreSQL."""

from __future__ import annotations

import time

import httpx
import psycopg
import pytest

from plugin.errors import LabelStudioError
from plugin.labelstudio.local import database_env


@pytest.mark.parametrize("url,env", [
    ("postgresql://ls:p%40ss@db.example:6543/label_studio",
     {"DJANGO_DB": "default", "POSTGRE_NAME": "label_studio", "POSTGRE_USER": "ls", "POSTGRE_PASSWORD": "p@ss",
      "POSTGRE_HOST": "db.example", "POSTGRE_PORT": "6543"}),
    ("postgres://127.0.0.1/ls",
     {"DJANGO_DB": "default", "POSTGRE_NAME": "ls", "POSTGRE_USER": "postgres", "POSTGRE_PASSWORD": "",
      "POSTGRE_HOST": "127.0.0.1", "POSTGRE_PORT": "5432"}),
])
def test_a_postgresql_url_becomes_label_studios_own_settings(url, env):
    assert database_env(url) == env


@pytest.mark.parametrize("url", ["sqlite:///ls.sqlite3", "postgresql://host", "postgresql:///db",
                                 "postgresql://u:secret@host:port/db", "mysql://h/db"])
def test_any_other_url_is_refused_naming_the_form_and_hiding_the_password(url):
    with pytest.raises(LabelStudioError, match=r"--database-url .* is not a PostgreSQL URL "
                                               r"\(postgresql://USER:PASSWORD@HOST:PORT/DBNAME\); leave it out") as e:
        database_env(url)
    assert "secret" not in str(e.value)


@pytest.mark.labelstudio
def test_label_studio_runs_on_postgresql(postgres, tmp_path):
    from plugin.labelstudio.local import start_label_studio

    url = postgres.create_database("label_studio")
    t0 = time.perf_counter()
    ls = start_label_studio(tmp_path / "ls", database_url=url, timeout=600)
    first_start = time.perf_counter() - t0
    try:
        r = httpx.post(f"{ls.url}/api/projects", json={"title": "On PostgreSQL"},
                       headers={"Authorization": f"Token {ls.credentials.token}"}, timeout=60)
        assert r.status_code == 201, r.text
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT title FROM project").fetchall() == [("On PostgreSQL",)]
        assert not list((tmp_path / "ls").glob("*.sqlite3"))  # no SQLite database beside it
    finally:
        ls.stop()
    print(f"Label Studio's first start on an empty PostgreSQL database: {first_start:.1f} s")


def test_up_refuses_to_put_label_studio_in_the_stores_database(tmp_path, example_story):
    from plugin.errors import ConfigError
    from plugin.settings import Settings
    from plugin.stack import start_stack

    url = "postgresql://postgres@127.0.0.1:5999/stancedesk"
    with pytest.raises(ConfigError, match=r"--database-url is STANCEDESK_DATABASE_URL, the store's database; give "
                                          r"Label Studio a database of its own"):
        start_stack(Settings(home=tmp_path, database_url=url), story=example_story, inputs=[],
                    label_studio_database_url=url)
    assert not (tmp_path / "label-studio").exists()  # refused before anything started
