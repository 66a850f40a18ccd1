"""Property-based: whatever a client posts to /webhook, every 2xx delivery is journaled and reads back, every
refusal is a 4xx naming the fault, and no delivery makes a later read of the store fail (issue 14)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import WEBHOOK_SECRET
from plugin.settings import SECRET_HEADER

AUTH = {SECRET_HEADER: WEBHOOK_SECRET}
TEXT = "Doe said the plan was fine. Roe agreed."

# any JSON value, including the awkward ones: control characters, huge and negative numbers, deep-ish nesting
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70) | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


def region(kind, name, start, end, **value):
    return {"id": "r1", "from_name": name, "to_name": "text", "type": kind,
            "value": {"start": start, "end": end, "text": TEXT[start:end], **value}}


def base_body(aid: int) -> dict:
    return {"action": "ANNOTATION_CREATED", "project": {"id": 1},
            "task": {"id": aid, "data": {"text": TEXT, "doc_id": f"d{aid}"}, "project": 1},
            "annotation": {"id": aid, "task": aid, "project": 1, "completed_by": 1,
                           "created_at": "2026-01-01T10:00:00Z", "updated_at": "2026-01-01T10:00:00Z",
                           "result": [region("labels", "actor", 0, 3, labels=["PERSON"]),
                                      region("labels", "claim", 9, 26, labels=["CLAIM"]),
                                      region("choices", "stance", 9, 26, choices=["support"])]}}


PATHS = [("action",), ("project",), ("project", "id"), ("task",), ("task", "id"), ("task", "data"),
         ("task", "data", "text"), ("annotation",), ("annotation", "id"), ("annotation", "task"),
         ("annotation", "updated_at"), ("annotation", "was_cancelled"), ("annotation", "result"),
         ("annotation", "result", 0), ("annotation", "result", 0, "value"), ("annotation", "result", 0, "value", "start"),
         ("annotation", "result", 1, "value", "labels"), ("annotation", "result", 2, "value", "choices"),
         ("annotation", "completed_by"), ("annotation", "lead_time")]


def mutate(body: dict, path: tuple, value) -> dict:
    node = body
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return body


@pytest.fixture
def bound(app):
    app.extensions["stancedesk"].store.bind_project(1, "russia-nato", "t")
    return app


@pytest.mark.model
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations=st.lists(st.tuples(st.sampled_from(PATHS), json_values), min_size=1, max_size=3),
       action=st.sampled_from(["ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_CREATED", "TASKS_CREATED",
                               "ANNOTATIONS_DELETED", "TASKS_DELETED", "PROJECT_UPDATED", "SOMETHING_ELSE"]),
       aid=st.integers(min_value=1, max_value=5))
def test_any_delivery_is_journaled_or_refused_and_never_breaks_a_read(bound, client, mutations, action, aid):
    body = base_body(aid)
    body["action"] = action
    for path, value in mutations:
        try:
            mutate(body, path, value)
        except (KeyError, IndexError, TypeError):
            pass  # the path no longer exists after an earlier mutation: fine, the body is odd either way
    store = bound.extensions["stancedesk"].store
    before = len(list(store.events()))
    r = client.post("/webhook", data=json.dumps(body), content_type="application/json", headers=AUTH)
    assert r.status_code in (200, 202, 400), (r.status_code, r.get_data(as_text=True)[:300])
    payload = r.get_json()
    events = list(store.events())
    if r.status_code < 300:
        assert len(events) == before + 1 and events[-1].id == payload["event_id"]  # journaled, and it reads back
    else:
        assert len(events) == before and payload["message"]  # refused whole, with the fault named
    for path in ("/stats?project=1", "/exports/briefing.docx?project=1"):
        read = client.get(path, headers=AUTH)
        assert read.status_code < 500, (path, read.get_data(as_text=True)[:300])
