"""The Flask application factory."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Mapping

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from plugin.server.predictor import Predictor
from plugin.settings import Settings
from plugin.store import Store, open_store

MAX_BODY_BYTES = 20 * 1024 * 1024


class ServerState:
    """Per-app state, kept in ``app.extensions["stancedesk"]``."""

    def __init__(self, settings: Settings, predictor: Predictor):
        self.settings = settings
        self.predictor = predictor
        self._store: Store | None = None
        self._lock = threading.Lock()
        from plugin.training.background import Trainer

        self.trainer = Trainer(self)

    @property
    def store(self) -> Store:
        """The store, opened on first use (once, whatever the number of request threads)."""
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store = open_store(self.settings.home)
        return self._store


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the stancedesk server.

    Args:
        config: overrides, applied after the environment: ``settings`` (a
            ``Settings``), ``nlp`` (an already-built pipeline to serve),
            ``stance_config`` (path), and any Flask setting.
    """
    config = dict(config or {})
    app = Flask("stancedesk")
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY_BYTES, JSON_SORT_KEYS=False)
    settings: Settings = config.pop("settings", None) or Settings.from_env()
    nlp = config.pop("nlp", None)
    stance_config = config.pop("stance_config", None)
    app.config.update(config)
    predictor = Predictor(settings.model, stance_config=Path(stance_config) if stance_config else None, nlp=nlp,
                          registry_home=None if settings.model_pinned or nlp is not None else settings.home)
    app.extensions["stancedesk"] = ServerState(settings, predictor)

    from plugin.server import exports, mlbackend, webhook

    app.register_blueprint(mlbackend.bp)
    app.register_blueprint(webhook.bp)
    app.register_blueprint(exports.bp)

    @app.errorhandler(HTTPException)
    def json_error(e: HTTPException):
        return jsonify(error=e.name, message=e.description), e.code

    return app
