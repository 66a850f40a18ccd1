"""POST /webhook through the test client: authentication first, then size, JSON, shape, journal."""

from __future__ import annotations

import base64

import pytest

from conftest import WEBHOOK_SECRET
from plugin.settings import SECRET_HEADER

GOOD = {SECRET_HEADER: WEBHOOK_SECRET}  # the secret of the app fixture
PAYLOAD = {"action": "ANNOTATION_CREATED",
           "annotation": {"id": 1, "result": [], "task": 2, "updated_at": "2026-01-01T10:00:00.000000Z"},
           "task": {"id": 2, "data": {"text": "Peskov said the talks failed."}},
           "project": {"id": 3, "token": "project-token-must-not-be-stored"}}


@pytest.mark.parametrize(
    "headers, status, message",
    [
        ({}, 401, "missing header X-Stancedesk-Secret"),
        ({"X-Stancedesk-Secret": "wrong"}, 401, "wrong X-Stancedesk-Secret"),
        (GOOD, 200, None),
        ({"Authorization": "Basic " + base64.b64encode(f"ls:{WEBHOOK_SECRET}".encode()).decode()}, 200, None),
        ({"Authorization": "Basic " + base64.b64encode(b"ls:nope").decode()}, 401, "wrong X-Stancedesk-Secret"),
    ],
    ids=["missing", "wrong", "header", "basic-auth-password", "wrong-basic-auth"],
)
def test_webhook_authentication(client, headers, status, message):
    r = client.post("/webhook", json=PAYLOAD, headers=headers)
    assert r.status_code == status
    if message:
        assert r.get_json()["message"] == message
    else:
        assert r.get_json()["status"] == "processed"


@pytest.mark.parametrize(
    "body, message",
    [
        (b"not json", "body must be JSON"),
        (b'{"annotation": {}}', "missing field 'action'"),
        (b"[1, 2]", "body must be a JSON object with an 'action' string"),
    ],
    ids=["not-json", "no-action", "not-an-object"],
)
def test_webhook_rejects_bad_bodies_with_json_400(client, body, message):
    r = client.post("/webhook", data=body, headers={**GOOD, "Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.get_json()["message"] == message


def test_webhook_rejects_oversized_bodies(client, app):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    r = client.post("/webhook", data=b"{" + b" " * 2000 + b"}", headers={**GOOD, "Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.is_json


def test_webhook_journals_the_delivery_without_secrets(client, app):
    r = client.post("/webhook", json=PAYLOAD, headers=GOOD)
    assert r.status_code == 200 and r.get_json()["status"] == "processed"
    events = list(app.extensions["stancedesk"].store.events())
    assert [(e.action, e.project_id) for e in events] == [("ANNOTATION_CREATED", 3)]
    assert "token" not in events[0].payload["project"]
