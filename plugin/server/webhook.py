"""POST /webhook: Label Studio's project events.

Order of checks: the shared secret (401), the size (413, Flask's
MAX_CONTENT_LENGTH), JSON (400), the payload's shape (400 naming the field);
then the delivery is journaled raw (secrets removed) and only then applied to
the store. A failure while applying leaves the event marked failed for
``stancedesk replay`` and answers 202: the delivery itself is safe.
"""

from __future__ import annotations

import hmac
import json
import logging

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, Unauthorized

from plugin.collector import process_event
from plugin.errors import StancedeskError
from plugin.labelstudio.events import PayloadError, parse_event
from plugin.settings import SECRET_HEADER
from plugin.store.db import MAX_NESTING, TooDeep
from plugin.stories import find_story, project_ids, stance_report

bp = Blueprint("webhook", __name__)
log = logging.getLogger(__name__)


def check_secret() -> None:
    """The shared secret, as the X-Stancedesk-Secret header or as the basic-auth password."""
    expected = current_app.extensions["stancedesk"].settings.webhook_secret
    if not expected:
        raise Unauthorized("the server has no shared secret; set STANCEDESK_WEBHOOK_SECRET and restart it")
    offered = request.headers.get(SECRET_HEADER)
    if offered is None and request.authorization is not None:
        offered = request.authorization.password
    if offered is None:
        raise Unauthorized(f"missing header {SECRET_HEADER}")
    if not hmac.compare_digest(offered.encode("utf-8"), expected.encode("utf-8")):
        raise Unauthorized(f"wrong {SECRET_HEADER}")


def story_or_400(project: object, tasks: list = (), *, name: str | None = None):
    """The story by ``name``, else the one of a Label Studio project (see ``ServerState.story_for``); a 400 naming
    the fix when there is none."""
    state = current_app.extensions["stancedesk"]
    try:
        return find_story(state.settings.home, name) if name else state.story_for(project, tasks)
    except StancedeskError as e:
        raise BadRequest(str(e)) from e


def request_story():
    """The story a GET request asks about: ``?story=NAME`` or ``?project=ID`` (a bound project), else the default."""
    return story_or_400(request.args.get("project"), name=request.args.get("story"))


def json_body():
    """The request's JSON body, or a 4xx naming what is wrong with it: too large (413), not JSON, nested too
    deep (past Python's recursion limit; the journal refuses more than 64 levels)."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and request.content_length and request.content_length > limit:
        raise RequestEntityTooLarge(f"body of {request.content_length} bytes is over the limit of {limit} bytes")
    try:
        body = json.loads(request.get_data(cache=True))  # reading it enforces MAX_CONTENT_LENGTH (413) as well
    except RecursionError:
        raise BadRequest(f"body is JSON nested deeper than {MAX_NESTING} levels") from None
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("body must be JSON") from None
    return body


def _surrogate(e: UnicodeEncodeError) -> BadRequest:
    return BadRequest(f"body holds a lone UTF-16 surrogate ({e.object[e.start:e.end]!r}), which is not text; "
                      "send valid Unicode")


@bp.post("/webhook")
def webhook():
    check_secret()
    body = json_body()
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object with an 'action' string")
    try:
        parsed = parse_event(body)
    except PayloadError as e:
        raise BadRequest(str(e)) from e
    store = current_app.extensions["stancedesk"].store
    try:
        if parsed is None:
            event_id = store.record_event(action=body["action"], payload=body, status="ignored")
            return jsonify(status="ignored", event_id=event_id)
        event_id = store.record_event(action=parsed.action, payload=body)
    except UnicodeEncodeError as e:  # nothing was stored: the journal refuses what it could not read back
        raise _surrogate(e) from None
    except TooDeep:
        raise BadRequest(f"body is JSON nested deeper than {MAX_NESTING} levels") from None
    try:
        changes = process_event(store, parsed, event_id=event_id)
    except Exception as e:  # noqa: BLE001  (journaled already: marked failed for 'stancedesk replay')
        log.exception("event %s (%s) failed; replay it with 'stancedesk replay'", event_id, parsed.action)
        store.mark_event(event_id, "failed", f"{type(e).__name__}: {e}")
        return jsonify(status="failed", event_id=event_id, message="stored; processing failed, run 'stancedesk replay'"), 202
    if parsed.action == "START_TRAINING":  # Label Studio's train button: retrain the project's story in the background
        state = current_app.extensions["stancedesk"]
        try:
            story = state.story_for(body.get("project"))
        except StancedeskError as e:
            return jsonify(status="processed", event_id=event_id, training="not started", message=str(e))
        started = state.trainer.start(story)
        return jsonify(status="processed", event_id=event_id, story=story.name,
                       training="started" if started else "already running")
    return jsonify(status="processed", event_id=event_id, changes=changes)


@bp.get("/stats")
def stats():
    """What annotators changed per model version, and their agreement (JSON)."""
    from dataclasses import asdict

    from plugin.collector import reviewed_annotations
    from plugin.stats import agreement, correction_stats

    check_secret()
    story = request_story()
    state = current_app.extensions["stancedesk"]
    reviewed = reviewed_annotations(state.store, project_id=project_ids(state.store, story))
    agree = agreement(reviewed)
    return jsonify(
        story=story.name, target=story.target,
        stance_model=stance_report(story),
        reviewed=len(reviewed),
        by_model_version={v: s.as_dict() for v, s in correction_stats(reviewed).items()},
        agreement={"tasks": agree.tasks, "pairs": agree.pairs, "f1": agree.f1, "stance_kappa": agree.stance_kappa,
                   "disagreements": [asdict(d) for d in agree.disagreements]},
    )
