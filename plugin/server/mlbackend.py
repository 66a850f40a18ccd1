"""Label Studio's ML-backend protocol: GET /health, POST /setup, POST /predict."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import BadRequest

from plugin.errors import StancedeskError
from plugin.server.webhook import check_secret, json_body, story_or_400

bp = Blueprint("mlbackend", __name__)


@bp.before_request
def authenticate():
    """Every endpoint but /health needs the shared secret (Label Studio sends it as basic auth)."""
    if request.endpoint not in ("mlbackend.health",):
        check_secret()


def _state():
    return current_app.extensions["stancedesk"]


def _json_body() -> dict:
    body = json_body()
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    return body


@bp.get("/health")
@bp.get("/")
def health():
    state = _state()
    return jsonify(status="UP", model_class="stancedesk", model_loaded=state.predictor.loaded)


@bp.post("/setup")
def setup():
    body = _json_body()
    story = story_or_400(body.get("project"))
    predictor = _state().predictor
    try:
        predictor.refresh()
        version = predictor.model_version(story)
    except StancedeskError as e:
        raise BadRequest(str(e)) from e
    return jsonify(model_version=version)


@bp.post("/predict")
def predict():
    body = _json_body()
    tasks = body.get("tasks")
    if not isinstance(tasks, list):
        raise BadRequest("'tasks' must be a list of Label Studio tasks")
    for n, task in enumerate(tasks):
        data = task.get("data") if isinstance(task, dict) else None
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            raise BadRequest(f"tasks[{n}] has no data.text string")
    story = story_or_400(body.get("project"), tasks)
    predictor = _state().predictor
    predictor.refresh()
    try:
        results = predictor.predict(tasks, story, learnt=_state().learnt.get(_state().store, story).names)
        version = results[0]["model_version"] if results else predictor.model_version(story)
    except StancedeskError as e:
        raise BadRequest(str(e)) from e
    return jsonify(results=results, model_version=version)
