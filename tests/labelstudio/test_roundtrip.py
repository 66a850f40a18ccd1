"""Against a real Label Studio (session fixture): projects, push, predictions, webhook, ML backend."""

from __future__ import annotations

import copy
import functools
import time
from pathlib import Path

import httpx
import pytest

from plugin.errors import LabelStudioError, TaskError
from plugin.labelstudio.client import SECRET_HEADER, connect, push

pytestmark = [pytest.mark.labelstudio, pytest.mark.model]


@functools.cache
def _example():
    """The example story the seed tasks were pre-annotated for (what 'push --story russia-nato' pushes)."""
    from plugin.stories import find_story

    return find_story(Path("/nonexistent-stancedesk-home"), "russia-nato")


def _push(label_studio, tasks, project, **kw):
    return push(tasks, story=_example(), project=project, url=label_studio.url, token=label_studio.credentials.token,
                **kw)


def _binding(server):
    """``on_project`` for push: bind the project to the story in the server's store, as the CLI push does."""
    return lambda pid, title: server["state"].store.bind_project(pid, _example().name, title)


def _tasks_by_doc(ls_client, project_id):
    return {t.data["doc_id"]: t for t in ls_client.tasks.list(project=project_id, fields="all")}


def test_project_is_created_with_the_labeling_config(label_studio, ls_client, seed_tasks):
    summary = _push(label_studio, seed_tasks, "rt-create")
    assert summary.project_created and summary.tasks_created == len(seed_tasks)
    project = ls_client.projects.get(id=summary.project_id)
    assert project.title == "rt-create"
    # the project's instructions name the story's target; every task carries the story and its target
    assert "Stance target: Russia&#x27;s security demands on NATO and the U.S." in project.expert_instruction
    assert project.show_instruction
    stored = _tasks_by_doc(ls_client, summary.project_id)
    assert {(t.data["story"], t.data["target"]) for t in stored.values()} == {
        ("russia-nato", "Russia's security demands on NATO and the U.S.")}
    for name in ('name="actor"', 'name="claim"', 'name="stance"', '<Relation value="said"'):
        assert name in project.label_config


def test_the_store_knows_every_pushed_task_at_once(label_studio, ls_client, seed_tasks, tmp_path):
    # no webhook registered: the store learns the tasks from the push itself
    from plugin.collector import record_pushed_tasks, unreviewed_articles
    from plugin.store import corrections, open_store

    store = open_store(tmp_path)
    summary = _push(label_studio, seed_tasks, "rt-store-knows",
                    on_tasks=lambda pid, pushed: record_pushed_tasks(store, pid, pushed))
    in_ls = {doc: int(t.id) for doc, t in _tasks_by_doc(ls_client, summary.project_id).items()}
    with store.reading() as conn:
        in_store = {d["doc_id"]: tid for tid, d in corrections.live_tasks(conn, project_id=summary.project_id)}
    assert in_store == in_ls and len(in_store) == len(seed_tasks)
    # what 'export briefing --include-unreviewed' covers right after the push
    assert len(unreviewed_articles(store, set(), project_id=summary.project_id)) == len(seed_tasks)


def test_label_studio_data_is_readable_by_its_owner_only(label_studio):
    import stat

    # its database holds the legacy token, the webhook secret and the ML backend's password
    assert stat.S_IMODE(label_studio.data_dir.stat().st_mode) == 0o700


def test_annotators_get_the_least_certain_pre_annotation_first(label_studio, ls_client, seed_tasks):
    tasks = copy.deepcopy(seed_tasks)
    for n, task in enumerate(tasks):  # distinct scores, the least certain in the middle of the import order
        task["predictions"][0]["score"] = [0.9, 0.8, 0.3, 0.7, 0.6][n % 5]
    summary = _push(label_studio, tasks, "rt-uncertain")
    project = ls_client.projects.get(id=summary.project_id)
    assert project.sampling == "Uncertainty sampling"
    assert project.model_version == seed_tasks[0]["predictions"][0]["model_version"]
    r = httpx.get(f"{label_studio.url}/api/projects/{summary.project_id}/next",
                  headers={"Authorization": f"Token {label_studio.credentials.token}"}, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["doc_id"] == tasks[2]["data"]["doc_id"]


def test_predictions_read_back_identical(label_studio, ls_client, seed_tasks):
    summary = _push(label_studio, seed_tasks, "rt-readback")
    stored = _tasks_by_doc(ls_client, summary.project_id)
    assert set(stored) == {t["data"]["doc_id"] for t in seed_tasks}
    for task in seed_tasks:
        sent = task["predictions"][0]
        preds = list(ls_client.predictions.list(task=stored[task["data"]["doc_id"]].id))
        assert len(preds) == 1
        assert preds[0].model_version == sent["model_version"]
        assert preds[0].result == sent["result"]
        assert stored[task["data"]["doc_id"]].data["text"] == task["data"]["text"]


def test_repush_creates_nothing_twice_and_a_new_model_version_adds_predictions(label_studio, ls_client, seed_tasks):
    first = _push(label_studio, seed_tasks, "rt-idempotent")
    again = _push(label_studio, seed_tasks, "rt-idempotent")
    assert (again.project_id, again.project_created, again.tasks_created, again.unchanged) == (first.project_id, False, 0, len(seed_tasks))
    newer = copy.deepcopy(seed_tasks)
    for t in newer:
        t["predictions"][0]["model_version"] = "stancedesk-test/retrained-1"
    third = _push(label_studio, newer, "rt-idempotent")
    assert (third.tasks_created, third.predictions_added) == (0, len(seed_tasks))
    stored = _tasks_by_doc(ls_client, first.project_id)
    assert len(stored) == len(seed_tasks)
    versions = {p.model_version for t in stored.values() for p in ls_client.predictions.list(task=t.id)}
    assert versions == {seed_tasks[0]["predictions"][0]["model_version"], "stancedesk-test/retrained-1"}


def test_webhook_is_registered_once_with_the_secret_header(label_studio, ls_client, seed_tasks, stancedesk_server, webhook_secret):
    hook_url = stancedesk_server["url"] + "/webhook"
    first = _push(label_studio, seed_tasks, "rt-webhook", webhook_url=hook_url, webhook_secret=webhook_secret)
    again = _push(label_studio, seed_tasks, "rt-webhook", webhook_url=hook_url, webhook_secret=webhook_secret)
    assert (first.webhook, again.webhook) == ("created", "unchanged")
    hooks = [h for h in ls_client.webhooks.list(project=first.project_id) if h.url == hook_url]
    assert len(hooks) == 1
    assert hooks[0].headers == {SECRET_HEADER: webhook_secret}
    assert hooks[0].send_payload and hooks[0].is_active


def test_ml_backend_serves_predictions_through_label_studio(label_studio, ls_client, seed_tasks, stancedesk_server, webhook_secret):
    bare = [{"data": t["data"]} for t in seed_tasks[:2]]
    kw = dict(ml_backend_url=stancedesk_server["url"], webhook_secret=webhook_secret,
              on_project=_binding(stancedesk_server))
    first = _push(label_studio, bare, "rt-ml", **kw)
    again = _push(label_studio, bare, "rt-ml", **kw)
    assert (first.ml_backend, again.ml_backend) == ("created", "unchanged")
    backends = [b for b in ls_client.ml.list(project=first.project_id) if b.url.rstrip("/") == stancedesk_server["url"]]
    assert len(backends) == 1
    ids = [t.id for t in ls_client.tasks.list(project=first.project_id)]
    assert all(not list(ls_client.predictions.list(task=i)) for i in ids)
    # Label Studio's own "Retrieve predictions" action calls /predict
    r = httpx.post(
        f"{label_studio.url}/api/dm/actions",
        params={"id": "retrieve_tasks_predictions", "project": first.project_id},
        json={"selectedItems": {"all": False, "included": ids}},
        headers={"Authorization": f"Token {label_studio.credentials.token}"},
        timeout=120,
    )
    assert r.status_code == 200, r.text
    by_doc = {t["data"]["doc_id"]: t["predictions"][0] for t in seed_tasks}
    for task in ls_client.tasks.list(project=first.project_id, fields="all"):
        preds = list(ls_client.predictions.list(task=task.id))
        assert len(preds) == 1
        expected = by_doc[task.data["doc_id"]]
        assert preds[0].model_version == expected["model_version"]
        assert preds[0].result == expected["result"]


def test_an_annotation_submitted_in_label_studio_reaches_the_webhook(label_studio, ls_client, seed_tasks, stancedesk_server, webhook_secret):
    hook_url = stancedesk_server["url"] + "/webhook"
    summary = _push(label_studio, seed_tasks[:1], "rt-annotate", webhook_url=hook_url, webhook_secret=webhook_secret,
                    on_project=_binding(stancedesk_server))
    task = next(iter(ls_client.tasks.list(project=summary.project_id)))
    result = seed_tasks[0]["predictions"][0]["result"][:2]
    annotation = ls_client.annotations.create(id=task.id, result=result, was_cancelled=False, ground_truth=False)
    store = stancedesk_server["state"].store
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        events = [e for e in store.events(action="ANNOTATION_CREATED") if e.payload["annotation"]["id"] == annotation.id]
        if events:
            break
        time.sleep(0.2)
    assert events, "the ANNOTATION_CREATED delivery never reached the stancedesk webhook"
    payload = events[0].payload
    assert payload["task"]["id"] == task.id
    assert payload["annotation"]["result"] == result
    assert "token" not in payload["project"]

    def current():
        from plugin.store import corrections

        with store.reading() as conn:
            return {a.id: a for a in corrections.current_annotations(conn, include_deleted=True)}

    def wait_for(check):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if check():
                return True
            time.sleep(0.2)
        return False

    assert wait_for(lambda: annotation.id in current())
    time.sleep(1.1)
    ls_client.annotations.update(id=annotation.id, result=result[:1])
    assert wait_for(lambda: len(current()[annotation.id].result) == 1), "ANNOTATION_UPDATED not applied"
    ls_client.annotations.delete(id=annotation.id)
    assert wait_for(lambda: current()[annotation.id].deleted), "ANNOTATIONS_DELETED not applied"
    with store.reading() as conn:
        from plugin.store import corrections

        kinds = [k for k, _ in corrections.annotation_history(conn, annotation.id)]
    assert kinds == ["created", "updated", "deleted"]


def test_unreachable_label_studio_is_named(seed_tasks):
    from plugin.labelstudio.local import free_port

    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(LabelStudioError, match=rf"Label Studio at {url} is unreachable"):
        push(seed_tasks, story=_example(), project="x", url=url, token="t")


def test_rejected_token_says_which_token_to_use(label_studio, seed_tasks):
    with pytest.raises(LabelStudioError, match=r"rejected the token .*legacy API token .*personal access token"):
        push(seed_tasks, story=_example(), project="x", url=label_studio.url, token="not-a-token")


def test_rejected_labeling_config_gives_label_studio_s_message(label_studio, seed_tasks, tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text('<View><Text name="text" value="$text"/><Choices name="c" toName="nothere"><Choice value="a"/></Choices></View>')
    with pytest.raises(LabelStudioError, match=r"answered 400 while creating project .*toName=\"nothere\" not found"):
        push([{"data": {"text": "x", "doc_id": "1"}}], story=_example(), project="rt-badconfig", url=label_studio.url,
             token=label_studio.credentials.token, config_path=bad)


def test_reserved_address_names_the_loopback_setting(label_studio, seed_tasks):
    with pytest.raises(LabelStudioError, match=r"reserved address .*LABEL_STUDIO_USE_DEFAULT_BANNED_SUBNETS=false"):
        _push(label_studio, seed_tasks[:1], "rt-reserved", webhook_url="http://10.0.0.1:9/webhook")


def test_invalid_prediction_is_refused_before_anything_is_sent(label_studio, seed_tasks):
    broken = copy.deepcopy(seed_tasks[:1])
    broken[0]["predictions"][0]["result"][0]["value"]["labels"] = ["LOCATION"]
    with pytest.raises(TaskError, match=r"does not fit the labeling config"):
        _push(label_studio, broken, "rt-invalid")
    broken = copy.deepcopy(seed_tasks[:1])
    broken[0]["predictions"][0]["result"][0]["value"]["end"] += 1
    with pytest.raises(TaskError, match=r"text\[\d+:\d+\]"):
        _push(label_studio, broken, "rt-invalid")


def test_connect_needs_url_and_token():
    with pytest.raises(LabelStudioError, match="no Label Studio URL"):
        connect("", "t")
    with pytest.raises(LabelStudioError, match="no Label Studio token"):
        connect("http://127.0.0.1:1", "")


def test_sync_reconciles_creates_updates_and_deletes_missed_by_the_webhook(label_studio, ls_client, seed_tasks, tmp_path):
    """No webhook registered: the store learns everything from sync alone."""
    from plugin.store import corrections, open_store
    from plugin.sync import sync

    summary = _push(label_studio, seed_tasks[:2], "rt-sync")
    tasks = list(ls_client.tasks.list(project=summary.project_id))
    results = {t["data"]["doc_id"]: t["predictions"][0]["result"] for t in seed_tasks}
    result = results[tasks[0].data["doc_id"]]
    a1 = ls_client.annotations.create(id=tasks[0].id, result=result[:4], was_cancelled=False, ground_truth=False)
    a2 = ls_client.annotations.create(id=tasks[1].id, result=results[tasks[1].data["doc_id"]][:2], was_cancelled=False,
                                      ground_truth=False)
    store = open_store(tmp_path)
    kw = dict(url=label_studio.url, token=label_studio.credentials.token, project="rt-sync",
              bind=lambda pid, title: store.bind_project(pid, "russia-nato", title))  # as 'sync --story' binds it

    first = sync(store, **kw)
    assert store.story_projects("russia-nato") == [summary.project_id]
    assert (first.tasks, first.annotations) == (2, 2)
    assert first.changes == {"tasks_created": 2, "annotations_created": 2}
    assert sync(store, **kw).changes == {"tasks_unchanged": 2, "annotations_duplicate": 2}

    time.sleep(1.1)  # a visibly later updated_at
    ls_client.annotations.update(id=a1.id, result=result[:1])
    ls_client.annotations.delete(id=a2.id)
    third = sync(store, **{**kw, "project": str(summary.project_id)})
    assert third.changes == {"tasks_unchanged": 2, "annotations_updated": 1, "annotations_deleted": 1}
    with store.reading() as conn:
        live = corrections.current_annotations(conn, project_id=summary.project_id)
    assert [(a.id, len(a.result)) for a in live] == [(a1.id, 1)]


def test_sync_of_an_unknown_project_names_it(label_studio, tmp_path):
    from plugin.store import open_store
    from plugin.sync import sync

    with pytest.raises(LabelStudioError, match=r"no project titled 'nope-nope'"):
        sync(open_store(tmp_path), url=label_studio.url, token=label_studio.credentials.token, project="nope-nope")


def test_a_collector_killed_mid_burst_loses_nothing_after_restart_and_sync(label_studio, ls_client, seed_tasks, tmp_path,
                                                                           webhook_secret):
    """`stancedesk serve` is SIGKILLed while annotators keep saving; after a restart, replay and sync,
    the store holds exactly what Label Studio holds."""
    import os
    import signal
    import subprocess
    import sys
    import threading

    from plugin.collector import replay
    from plugin.labelstudio.local import free_port
    from plugin.store import corrections, open_store
    from plugin.sync import sync

    home, port = tmp_path / "home", free_port()
    env = {**os.environ, "STANCEDESK_HOME": str(home), "STANCEDESK_WEBHOOK_SECRET": webhook_secret}

    def start():
        proc = subprocess.Popen([sys.executable, "-m", "plugin.cli", "serve", "--port", str(port)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    return proc
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError("stancedesk serve did not start")

    server = start()
    try:
        summary = _push(label_studio, seed_tasks, "rt-crash", webhook_url=f"http://127.0.0.1:{port}/webhook",
                        webhook_secret=webhook_secret)
        tasks = list(ls_client.tasks.list(project=summary.project_id))
        results = {t["data"]["doc_id"]: t["predictions"][0]["result"] for t in seed_tasks}
        made = []

        def annotate_burst():
            for round_ in range(6):
                for t in tasks:
                    made.append(ls_client.annotations.create(id=t.id, result=results[t.data["doc_id"]][: 3 + round_],
                                                             was_cancelled=False, ground_truth=False).id)

        # and, at the same time, annotators keep re-saving one annotation: its versions race each other
        first = results[tasks[0].data["doc_id"]]
        contested = ls_client.annotations.create(id=tasks[0].id, result=first[:2], was_cancelled=False,
                                                 ground_truth=False).id

        def update_one():
            for k in range(3, 15):
                ls_client.annotations.update(id=contested, result=first[:k])

        burst = threading.Thread(target=annotate_burst)
        updates = threading.Thread(target=update_one)
        burst.start()
        updates.start()
        time.sleep(0.5)
        os.killpg(server.pid, signal.SIGKILL)  # mid-burst: deliveries made while it is down are lost for good
        server.wait(10)
        burst.join()
        updates.join()
        server = start()
        store = open_store(home)
        replay(store)
        with store.reading() as conn:
            before_sync = len(corrections.current_annotations(conn, project_id=summary.project_id))
        assert before_sync < len(made), "the kill did not interrupt the burst: the scenario was not exercised"
        sync(store, url=label_studio.url, token=label_studio.credentials.token, project="rt-crash")
        in_ls = {}
        for t in ls_client.tasks.list(project=summary.project_id, fields="all"):
            for a in t.annotations or []:
                a = a if isinstance(a, dict) else a.model_dump()
                in_ls[a["id"]] = a["result"]
        with store.reading() as conn:
            in_store = {a.id: a.result for a in corrections.current_annotations(conn, project_id=summary.project_id)}
        assert len(made) == 6 * len(tasks)
        assert in_store == in_ls and in_store[contested] == first[:14]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)

