"""Deliveries an adversarial run found (issue 14): an accepted one never breaks a later read of the store,
a refused one is a 4xx naming the fault."""

from __future__ import annotations

import pytest

from conftest import WEBHOOK_SECRET
from plugin.settings import SECRET_HEADER

pytestmark = pytest.mark.model

AUTH = {SECRET_HEADER: WEBHOOK_SECRET}
TEXT = "Doe said the plan\x0c was fine.\x00 Roe agreed."


def region(rid, name, start, end, text=TEXT, **value):
    kind = "choices" if name == "stance" else "labels"
    return {"id": rid, "from_name": name, "to_name": "text", "type": kind,
            "value": {"start": start, "end": end, "text": text[start:end], **value}}


def good_result(text=TEXT):
    return [region("a1", "actor", 0, 3, text, labels=["PERSON"]), region("c1", "claim", 9, 29, text, labels=["CLAIM"]),
            region("c1", "stance", 9, 29, text, choices=["support"]),
            {"type": "relation", "from_id": "a1", "to_id": "c1", "direction": "right", "labels": ["said"]}]


def created(aid, result, text=TEXT, **annotation):
    return {"action": "ANNOTATION_CREATED", "project": {"id": 1},
            "task": {"id": aid, "data": {"text": text, "doc_id": f"doc-{aid}"}, "project": 1},
            "annotation": {"id": aid, "task": aid, "project": 1, "result": result, "completed_by": 1,
                           "created_at": "2026-01-01T10:00:00Z", "updated_at": "2026-01-01T10:00:00Z", **annotation}}


def reads_still_work(client) -> None:
    """Every read of the store answers: /stats, both exports (a 4xx with a message is an answer, a 500 is not)."""
    for path in ("/stats?project=1", "/exports/briefing.docx?project=1", "/exports/training.zip?project=1"):
        r = client.get(path, headers=AUTH)
        assert r.status_code < 500, (path, r.status_code, r.get_data(as_text=True)[:300])


@pytest.fixture
def bound(app):
    app.extensions["stancedesk"].store.bind_project(1, "russia-nato", "t")
    return app


@pytest.mark.parametrize(
    "body",
    [
        created(1, good_result()),  # D1: control characters in the text and the claim
        created(2, [region("a1", "actor", 0, 3, labels=["ALIEN"])]),  # D7: unknown label
        created(3, [region("c1", "claim", 9, 29, labels=["CLAIM"]), region("c1", "stance", 9, 29, choices="oppose")]),
        created(4, [region("c1", "claim", 9, 29, labels=["CLAIM"]), region("c1", "stance", 9, 29, choices=["banana"])]),
        created(5, [{"id": "a1", "from_name": "actor", "to_name": "text", "type": "labels",
                     "value": {"start": False, "end": True, "labels": ["PERSON"]}}]),  # D7: boolean offsets
        created(6, [{"type": "labels", "value": "x"}, "not a region", {"type": "labels", "value": {"labels": "PERSON"}}]),
    ],
    ids=["control-characters", "unknown-label", "choices-not-a-list", "unknown-stance", "boolean-offsets",
         "malformed-regions"],
)
def test_an_accepted_delivery_never_breaks_a_later_read(bound, client, body):
    r = client.post("/webhook", json=body, headers=AUTH)
    assert r.status_code == 200, r.get_json()
    reads_still_work(client)


def test_flagged_regions_are_kept_out_of_the_records_and_an_unknown_stance_is_never_learnt(bound, client):
    from plugin.collector import reviewed_annotations

    client.post("/webhook", json=created(7, [region("c1", "claim", 9, 29, labels=["CLAIM"]),
                                             region("c1", "stance", 9, 29, choices=["banana"]),
                                             region("a1", "actor", 0, 3, labels=["ALIEN"])]), headers=AUTH)
    (reviewed,) = reviewed_annotations(bound.extensions["stancedesk"].store, project_id=1)
    assert reviewed.human.actors == () and [c.stance for c in reviewed.human.claims] == [""]


def test_an_annotation_before_its_task_then_the_task_breaks_nothing(bound, client):
    # D3: the result is kept unparsed while the task is unknown, and parsed when it arrives
    body = {"action": "ANNOTATIONS_CREATED", "project": {"id": 1}, "task": [],
            "annotation": [{"id": 8, "task": 8, "project": 1, "result": [{"type": "labels", "value": "x"}],
                            "updated_at": "2026-01-01T10:00:00Z"}]}
    assert client.post("/webhook", json=body, headers=AUTH).status_code == 200
    tasks = {"action": "TASKS_CREATED", "project": {"id": 1}, "tasks": [{"id": 8, "data": {"text": TEXT}, "project": 1}]}
    assert client.post("/webhook", json=tasks, headers=AUTH).status_code == 200
    reads_still_work(client)


@pytest.mark.parametrize(
    "flag, stored",
    [(False, False), ("false", False), ("true", True), (0, False)],
    ids=["bool", "string-false", "string-true", "zero"],
)
def test_was_cancelled_is_read_as_a_flag(bound, client, flag, stored):
    client.post("/webhook", json=created(9, good_result(), was_cancelled=flag), headers=AUTH)
    row = bound.extensions["stancedesk"].store
    with row.reading() as conn:
        assert bool(conn.execute("SELECT was_cancelled FROM annotations WHERE id = 9").fetchone()[0]) is stored


def test_a_flag_that_is_not_true_or_false_is_refused(bound, client):
    r = client.post("/webhook", json=created(10, good_result(), was_cancelled="maybe"), headers=AUTH)
    assert r.status_code == 400 and "annotation.was_cancelled' must be true or false, got 'maybe'" in r.get_json()["message"]


@pytest.mark.parametrize(
    "raw, content_type, status, message",
    [
        ('{"action": "TASKS_CREATED", "project": {"id": 9223372036854775808}, "tasks": []}', "application/json", 400,
         r"'project' must be a project id between 0 and 9223372036854775807"),
        ('{"action": "TASKS_CREATED", "project": {"id": 1}, "tasks": [{"id": 1, "data": {"text": "a \\ud800 b"}}]}',
         "application/json", 400, r"lone UTF-16 surrogate"),
        ('{"action": "TASKS_CREATED", "project": {"id": 1}, "tasks": [], "x": ' + "[" * 600 + "]" * 600 + "}",
         "application/json", 400,
         r"nested deeper than 64 levels"),
        ("not json", "application/json", 400, r"body must be JSON"),
        ('{"action": "TASKS_CREATED", "project": {"id": 1}, "tasks": [{"id": 99999999999999999999, "data": {"text": "a"}}]}',
         "application/json", 400, r"'tasks\[0\].id' must be an id between 0 and"),
    ],
    ids=["project-id-over-int64", "lone-surrogate", "nested-600-levels", "not-json", "task-id-over-int64"],
)
def test_a_refused_delivery_is_a_4xx_naming_the_fault_and_nothing_is_half_stored(bound, client, raw, content_type,
                                                                                  status, message):
    import re

    r = client.post("/webhook", data=raw.encode("utf-8", "surrogatepass"), content_type=content_type, headers=AUTH)
    assert r.status_code == status and re.search(message, r.get_json()["message"]), r.get_json()
    reads_still_work(client)


def test_an_oversized_body_is_413_whatever_its_content_type(bound, client):
    from plugin.server.app import MAX_BODY_BYTES

    r = client.post("/webhook", data=b"x" * (MAX_BODY_BYTES + 1), content_type="text/plain", headers=AUTH)
    assert r.status_code == 413


def test_there_is_no_static_route(client):
    assert client.get("/static/anything.txt").status_code == 404


def test_predict_answers_for_a_text_longer_than_a_piece(bound, client, monkeypatch):
    from plugin import preannotate as pre

    monkeypatch.setattr(pre, "PIECE_CHARS", 400)
    # distinct paragraphs: identical ones would be copies, left to their first (plugin/copies.py)
    text = "".join(f"Kremlin spokesman Dmitry Peskov said the talks should not drag on past day {n}.\n\n"
                   for n in range(1, 13))
    r = client.post("/predict", json={"tasks": [{"id": 1, "data": {"text": text}}], "project": "1.1"}, headers=AUTH)
    assert r.status_code == 200
    regions = [x for x in r.get_json()["results"][0]["result"] if x.get("type") == "labels"]
    assert len(regions) == 36 and all(text[x["value"]["start"]:x["value"]["end"]] == x["value"]["text"] for x in regions)
