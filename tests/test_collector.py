"""The correction collector through the webhook: every action's payload shape, idempotency,
out-of-order deliveries, deletions, flagged results, replay and concurrent posts."""

from __future__ import annotations

import copy
import threading

import pytest

from plugin.collector import replay
from plugin.store import corrections

from conftest import WEBHOOK_SECRET
from plugin.settings import SECRET_HEADER

AUTH = {SECRET_HEADER: WEBHOOK_SECRET}  # the secret of the app fixture
TEXT = "Peskov said the talks failed."
PROJECT = {"id": 7, "title": "p", "token": "must-not-be-stored"}


def task(tid=2, text=TEXT):
    return {"id": tid, "data": {"text": text, "doc_id": f"doc-{tid}"}, "project": 7}


def result(stance="neutral", start=12, end=28):
    return [
        {"id": "a1", "from_name": "actor", "to_name": "text", "type": "labels",
         "value": {"start": 0, "end": 6, "text": "Peskov", "labels": ["PERSON"]}},
        {"id": "c1", "from_name": "claim", "to_name": "text", "type": "labels",
         "value": {"start": start, "end": end, "text": TEXT[start:end], "labels": ["CLAIM"]}},
        {"id": "c1", "from_name": "stance", "to_name": "text", "type": "choices",
         "value": {"start": start, "end": end, "text": TEXT[start:end], "choices": [stance]}},
        {"type": "relation", "from_id": "a1", "to_id": "c1", "direction": "right", "labels": ["said"]},
    ]


def annotation(aid=1, tid=2, updated="2026-01-01T10:00:00.000000Z", **kw):
    ann = {"id": aid, "task": tid, "project": 7, "result": result(), "was_cancelled": False, "ground_truth": False,
           "created_at": "2026-01-01T10:00:00.000000Z", "updated_at": updated, "completed_by": 1, "lead_time": 3.5,
           "parent_prediction": 11, "prediction": {"model_version": "stancedesk-0.1.0/x", "result": result("support")}}
    ann.update(kw)
    return ann


def created(aid=1, tid=2, **kw):
    return {"action": "ANNOTATION_CREATED", "annotation": annotation(aid, tid, **kw), "task": task(tid), "project": PROJECT}


def updated(aid=1, tid=2, updated_at="2026-01-01T11:00:00.000000Z", **kw):
    return {"action": "ANNOTATION_UPDATED", "annotation": annotation(aid, tid, updated=updated_at, **kw), "task": task(tid),
            "project": PROJECT}


@pytest.fixture
def app(nlp, tmp_path, database_url):
    """The conftest ``app`` on each store backend: every collector test runs on SQLite and on PostgreSQL."""
    from plugin.server import create_app
    from plugin.settings import Settings

    settings = Settings(home=tmp_path, webhook_secret=WEBHOOK_SECRET, database_url=database_url)
    return create_app({"settings": settings, "nlp": nlp, "TESTING": True})


def post(client, body):
    return client.post("/webhook", json=body, headers=AUTH)


def store_of(app):
    return app.extensions["stancedesk"].store


def current(app):
    with store_of(app).reading() as conn:
        return corrections.current_annotations(conn, include_deleted=True)


def test_created_annotation_is_stored_with_its_parsed_records(client, app):
    r = post(client, created())
    assert r.status_code == 200 and r.get_json()["status"] == "processed"
    assert r.get_json()["changes"] == {"tasks_created": 1, "annotations_created": 1}
    [ann] = current(app)
    assert (ann.id, ann.task_id, ann.project_id, ann.prediction_model_version, ann.deleted) == (1, 2, 7, "stancedesk-0.1.0/x", False)
    with store_of(app).reading() as conn:
        assert conn.execute("SELECT label, text FROM actors").fetchall() == [("PERSON", "Peskov")]
        assert conn.execute("SELECT text, speaker, speaker_start, stance FROM claims").fetchall() == [
            ("the talks failed", "Peskov", 0, "neutral")]


def test_the_same_delivery_twice_changes_nothing(client, app):
    post(client, created())
    r = post(client, created())
    assert r.get_json()["changes"] == {"tasks_unchanged": 1, "annotations_duplicate": 1}
    with store_of(app).reading() as conn:
        assert corrections.annotation_history(conn, 1) == [("created", "2026-01-01T10:00:00.000000Z")]


def test_an_update_keeps_every_version(client, app):
    post(client, created())
    post(client, updated(result=result("oppose")))
    with store_of(app).reading() as conn:
        assert [k for k, _ in corrections.annotation_history(conn, 1)] == ["created", "updated"]
        assert conn.execute("SELECT stance FROM claims").fetchall() == [("oppose",)]


def test_an_update_older_than_the_stored_one_changes_nothing(client, app):
    post(client, created())
    post(client, updated(updated_at="2026-01-01T12:00:00.000000Z", result=result("oppose")))
    r = post(client, updated(updated_at="2026-01-01T11:00:00.000000Z", result=result("support")))
    assert r.get_json()["changes"]["annotations_stale"] == 1
    with store_of(app).reading() as conn:
        assert conn.execute("SELECT stance FROM claims").fetchall() == [("oppose",)]


def test_an_update_that_arrives_before_its_create(client, app):
    post(client, updated(updated_at="2026-01-01T11:00:00.000000Z", result=result("oppose")))
    r = post(client, created())
    assert r.get_json()["changes"]["annotations_stale"] == 1
    [ann] = current(app)
    assert ann.updated_at == "2026-01-01T11:00:00.000000Z"


def test_deleted_annotations_become_tombstones(client, app):
    post(client, created())
    r = post(client, {"action": "ANNOTATIONS_DELETED", "annotations": [{"id": 1}], "project": PROJECT})
    assert r.get_json()["changes"] == {"annotations_deleted": 1}
    [ann] = current(app)
    assert ann.deleted
    with store_of(app).reading() as conn:
        assert [k for k, _ in corrections.annotation_history(conn, 1)] == ["created", "deleted"]
        assert corrections.current_annotations(conn) == []
    # a late update older than the deletion does not resurrect it
    post(client, updated(updated_at="2026-01-01T11:00:00.000000Z"))
    assert current(app)[0].deleted


def test_timestamps_are_ordered_as_moments_not_as_text(client, app):
    # "10:00:00Z" sorts after "10:00:00.500000Z" as text; half a second later is newer
    post(client, created(updated="2026-01-01T10:00:00Z"))
    r = post(client, updated(updated_at="2026-01-01T10:00:00.500000Z", result=result("oppose")))
    assert r.get_json()["changes"]["annotations_updated"] == 1
    post(client, updated(updated_at="2026-01-01T11:00:00+01:00", result=result("support")))  # 10:00 UTC: older
    [ann] = current(app)
    assert ann.updated_at == "2026-01-01T10:00:00.500000Z"


def test_a_timestamp_that_is_no_timestamp_is_refused(client, app):
    r = post(client, updated(updated_at="notadate"))
    assert r.status_code == 400
    assert "field 'annotation.updated_at' must be an ISO 8601 timestamp, got 'notadate'" in r.get_json()["message"]
    post(client, created())
    assert post(client, updated()).get_json()["changes"]["annotations_updated"] == 1  # later real updates still land


def test_every_version_is_kept_whatever_order_they_arrive_in(client, app):
    stamps = [f"2026-01-01T1{h}:00:00.000000Z" for h in (3, 1, 4, 2)]
    post(client, created())
    for stamp in stamps:
        post(client, updated(updated_at=stamp, result=result("oppose")))
    with store_of(app).reading() as conn:
        assert sorted(v for _, v in corrections.annotation_history(conn, 1)) == ["2026-01-01T10:00:00.000000Z", *sorted(stamps)]
    assert current(app)[0].updated_at == "2026-01-01T14:00:00.000000Z"


def test_a_deletion_is_final_even_before_the_create_or_after_a_later_update(client, app):
    post(client, {"action": "ANNOTATIONS_DELETED", "annotations": [{"id": 5}], "project": PROJECT})
    assert post(client, created(aid=5)).get_json()["changes"]["annotations_stale"] == 1  # the create arrives late
    post(client, created())
    post(client, {"action": "ANNOTATIONS_DELETED", "annotations": [{"id": 1}], "project": PROJECT})
    post(client, updated(updated_at="2030-01-01T00:00:00.000000Z"))  # stamped after stancedesk's deletion clock
    with store_of(app).reading() as conn:
        assert corrections.current_annotations(conn) == []


def test_bulk_creation_lists_annotations_and_tasks(client, app):
    body = {"action": "ANNOTATIONS_CREATED", "annotation": [annotation(1, 2), annotation(2, 3)],
            "task": [task(2), task(3)], "project": PROJECT}
    r = post(client, body)
    assert r.get_json()["changes"] == {"tasks_created": 2, "annotations_created": 2}


def test_tasks_created_and_deleted(client, app):
    post(client, {"action": "TASKS_CREATED", "tasks": [task(2), task(3)], "project": PROJECT})
    post(client, created(1, 2))
    r = post(client, {"action": "TASKS_DELETED", "tasks": [{"id": 2}], "project": PROJECT})
    assert r.get_json()["changes"] == {"tasks_deleted": 1}
    assert current(app)[0].deleted  # the annotations of a deleted task go with it


def test_project_updated_is_recorded(client, app):
    r = post(client, {"action": "PROJECT_UPDATED", "project": PROJECT})
    assert r.status_code == 200 and r.get_json()["status"] == "processed"
    assert [e.action for e in store_of(app).events()] == ["PROJECT_UPDATED"]


def test_start_training_answers_at_once_and_journals_the_outcome(client, app):
    store_of(app).bind_project(7, "russia-nato", "p")  # as 'stancedesk push --story russia-nato' binds it
    r = post(client, {"action": "START_TRAINING", "project": PROJECT})
    assert r.status_code == 200 and r.get_json()["training"] == "started"
    assert r.get_json()["story"] == "russia-nato"
    app.extensions["stancedesk"].trainer.join(60)
    events = list(store_of(app).events())
    assert [e.action for e in events] == ["START_TRAINING", "TRAINING_FINISHED"]
    outcome = events[1].payload
    assert outcome["story"] == "russia-nato"
    assert outcome["promoted"] is False and "no human-corrected annotations" in outcome["reason"]


def test_unknown_actions_are_ignored_but_journaled(client, app):
    r = post(client, {"action": "SOMETHING_NEW", "project": PROJECT})
    assert r.status_code == 200 and r.get_json()["status"] == "ignored"
    assert [(e.action, e.status) for e in store_of(app).events()] == [("SOMETHING_NEW", "ignored")]


def _without(body, *path):
    body = copy.deepcopy(body)
    target = body
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return body


def _with(body, value, *path):
    body = copy.deepcopy(body)
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return body


@pytest.mark.parametrize(
    "body, message",
    [
        (_without(created(), "annotation"), "missing field 'annotation'"),
        (_without(created(), "annotation", "id"), "missing field 'annotation.id'"),
        (_with(created(), "1", "annotation", "id"), "field 'annotation.id' must be int, got str"),
        (_with(created(), {}, "annotation", "result"), "field 'annotation.result' must be list, got dict"),
        (_without(_without(created(), "annotation", "updated_at"), "annotation", "created_at"), "missing field 'annotation.created_at'"),
        (_without(created(), "task"), "'task' must be an object"),
        (_without(created(), "task", "data", "text"), "missing field 'task.data.text'"),
        ({"action": "ANNOTATIONS_CREATED", "annotation": annotation(), "task": [task()]}, "field 'annotation' must be list, got dict"),
        ({"action": "ANNOTATIONS_DELETED", "annotations": [{"pk": 1}]}, "missing field 'annotations[0].id'"),
        ({"action": "TASKS_CREATED", "tasks": [{"id": 1, "data": "x"}]}, "field 'tasks[0].data' must be dict, got str"),
        ({"action": "TASKS_DELETED"}, "missing field 'tasks'"),
        ({"action": 5}, "field 'action' must be str, got int"),
    ],
    ids=["no-annotation", "no-annotation-id", "id-not-int", "result-not-list", "no-timestamps", "no-task",
         "no-text", "bulk-not-list", "deleted-without-id", "task-data-not-object", "tasks-deleted-without-tasks", "action-not-str"],
)
def test_bad_shapes_are_400_naming_the_field_and_nothing_is_stored(client, app, body, message):
    r = post(client, body)
    assert r.status_code == 400
    assert r.get_json()["message"] == message
    assert list(store_of(app).events()) == []


def test_a_result_that_does_not_fit_the_text_is_stored_and_flagged(client, app):
    bad = result()
    bad[1]["value"]["end"] = 999
    r = post(client, created(result=bad))
    assert r.get_json()["changes"] == {"tasks_created": 1, "annotations_created": 1, "annotations_flagged": 1}
    [ann] = current(app)
    assert ann.result == bad
    assert ann.problems and "outside the text" in ann.problems[0]


def test_a_processing_failure_is_journaled_and_replayed(client, app, monkeypatch):
    import plugin.server.webhook as webhook

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(webhook, "process_event", boom)
    r = post(client, created())
    assert r.status_code == 202 and r.get_json()["status"] == "failed"
    [event] = store_of(app).events()
    assert (event.status, event.error) == ("failed", "RuntimeError: disk on fire")
    monkeypatch.undo()
    summary = replay(store_of(app))
    assert (summary.replayed, summary.failed) == (1, 0)
    assert [a.id for a in current(app)] == [1]
    assert [e.status for e in store_of(app).events()] == ["processed"]


def test_concurrent_posts_lose_nothing(app):
    n_threads, per_thread = 8, 15
    errors = []

    def worker(k):
        client = app.test_client()
        for i in range(per_thread):
            aid = k * 1000 + i
            r = client.post("/webhook", json=created(aid, tid=aid), headers=AUTH)
            if r.status_code != 200:
                errors.append(r.status_code)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(current(app)) == n_threads * per_thread
    assert len(list(store_of(app).events())) == n_threads * per_thread
