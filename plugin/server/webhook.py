"""POST /webhook: Label Studio's project events, journaled before anything else happens to them."""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import BadRequest, Unauthorized

bp = Blueprint("webhook", __name__)
log = logging.getLogger(__name__)

SECRET_HEADER = "X-Stancedesk-Secret"


def check_secret() -> None:
    """The shared secret, as the X-Stancedesk-Secret header or as the basic-auth password."""
    expected = current_app.extensions["stancedesk"].settings.webhook_secret
    if not expected:
        return
    offered = request.headers.get(SECRET_HEADER)
    if offered is None and request.authorization is not None:
        offered = request.authorization.password
    if offered is None:
        raise Unauthorized(f"missing header {SECRET_HEADER}")
    if not hmac.compare_digest(offered.encode("utf-8"), expected.encode("utf-8")):
        raise Unauthorized(f"wrong {SECRET_HEADER}")


@bp.post("/webhook")
def webhook():
    check_secret()
    body = request.get_json(silent=True)
    if body is None:
        raise BadRequest("body must be JSON")
    if not isinstance(body, dict) or not isinstance(body.get("action"), str):
        raise BadRequest("body must be a JSON object with an 'action' string")
    store = current_app.extensions["stancedesk"].store
    event_id = store.record_event(action=body["action"], payload=body)
    log.info("journaled %s as event %s", body["action"], event_id)
    return jsonify(status="stored", event_id=event_id)
