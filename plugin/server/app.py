"""The Flask application factory."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Mapping

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from plugin.errors import ConfigError
from plugin.server.predictor import Predictor
from plugin.settings import Settings
from plugin.store import Store, open_store
from plugin.stories import Story, find_story, resolve_story, story_of_project

MAX_BODY_BYTES = 20 * 1024 * 1024


class ServerState:
    """Per-app state, kept in ``app.extensions["stancedesk"]``."""

    def __init__(self, settings: Settings, predictor: Predictor, default_story: str | Path | None = None):
        self.settings = settings
        self.predictor = predictor
        self.default_story = default_story  # for projects bound to no story (serve --story)
        self._store: Store | None = None
        self._lock = threading.Lock()
        from plugin.training.background import Trainer

        self.trainer = Trainer(self)
        from plugin.learnt import LearntCache

        self.learnt = LearntCache()  # actor names each story's annotators taught, refreshed as annotations arrive

    @property
    def store(self) -> Store:
        """The store, opened on first use (once, whatever the number of request threads)."""
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store = open_store(self.settings.home, self.settings.database_url)
        return self._store

    def story_for(self, project: object, tasks: list = ()) -> Story:
        """The story of a Label Studio project (``"<id>.<timestamp>"`` in /setup and /predict, an object or id in
        webhooks): its binding in the store, else the story named in its tasks' data, else the server's default
        story, else the only registered one. Raises ``ConfigError`` naming the fix when none applies."""
        home = self.settings.home
        project_id = project_id_of(project)
        bound = self.store.project_story(project_id) if project_id is not None else None
        if bound and self.default_story is not None:
            default = resolve_story(home, self.default_story)
            if default.name == bound:  # the server's own story, perhaps a file that was never registered
                return default
        if bound and (story := story_of_project(home, self.store, project_id)) is not None:
            return story
        named = {t["data"]["story"] for t in tasks if isinstance(t, dict) and isinstance(t.get("data"), dict)
                 and isinstance(t["data"].get("story"), str)}
        if len(named) == 1:
            return find_story(home, named.pop())
        if self.default_story is not None:
            return resolve_story(home, self.default_story)
        story = resolve_story(home, None, required=False)
        if story is None:
            raise ConfigError(f"Label Studio project {project_id if project_id is not None else '(none given)'} "
                              "belongs to no story: push its tasks with 'stancedesk push --story NAME' (which binds "
                              "the project), or start the server with --story NAME")
        return story


def project_id_of(project: object) -> int | None:
    """The project id from Label Studio's ``project`` field: ``"2.1795535083"``, ``"2"``, ``2`` or ``{"id": 2}``."""
    if isinstance(project, dict):
        project = project.get("id")
    if isinstance(project, bool):
        return None
    if isinstance(project, int):
        return project
    if isinstance(project, str):
        head = project.split(".", 1)[0].strip()
        return int(head) if head.isdigit() and len(head) < 19 else None
    return None


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the stancedesk server.

    Args:
        config: overrides, applied after the environment: ``settings`` (a
            ``Settings``), ``nlp`` (an already-built pipeline to serve),
            ``story`` (name or file: the story of projects bound to none), and any Flask setting.
    """
    config = dict(config or {})
    app = Flask("stancedesk", static_folder=None)  # no /static route: nothing is served without the secret
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY_BYTES, JSON_SORT_KEYS=False)
    settings: Settings = config.pop("settings", None) or Settings.from_env()
    nlp = config.pop("nlp", None)
    story = config.pop("story", None)
    app.config.update(config)
    predictor = Predictor(settings.model, nlp=nlp,
                          registry_home=None if settings.model_pinned or nlp is not None else settings.home)
    app.extensions["stancedesk"] = ServerState(settings, predictor, default_story=story)

    from plugin.server import exports, mlbackend, webhook

    app.register_blueprint(mlbackend.bp)
    app.register_blueprint(webhook.bp)
    app.register_blueprint(exports.bp)

    @app.errorhandler(HTTPException)
    def json_error(e: HTTPException):
        return jsonify(error=e.name, message=e.description), e.code

    return app
