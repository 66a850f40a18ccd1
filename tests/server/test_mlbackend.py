"""The ML-backend protocol as Label Studio calls it, through Flask's test client."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.model

from conftest import WEBHOOK_SECRET
from plugin.settings import SECRET_HEADER

AUTH = {SECRET_HEADER: WEBHOOK_SECRET}  # the secret of the app fixture


def bind(app, project_id: int = 1) -> None:
    """Bind a Label Studio project to the example story, as ``stancedesk push --story russia-nato`` does."""
    app.extensions["stancedesk"].store.bind_project(project_id, "russia-nato", "t")


def test_health_is_open_and_does_not_load_a_model(tmp_path):
    from plugin.server import create_app
    from plugin.settings import Settings

    app = create_app({"settings": Settings(home=tmp_path, model="no_such_model_xyz")})
    r = app.test_client().get("/health")
    assert r.status_code == 200
    assert r.get_json()["status"] == "UP"
    assert r.get_json()["model_loaded"] is False


def test_setup_reports_the_model_version(app, client, nlp):
    from plugin.pipeline import model_version

    bind(app, 1)
    r = client.post("/setup", json={"project": "1.1700000000", "schema": "<View/>", "hostname": "http://x"}, headers=AUTH)
    assert r.status_code == 200
    assert r.get_json() == {"model_version": model_version(nlp)}


def test_setup_for_a_project_of_the_servers_own_unregistered_story_file(tmp_path, nlp):
    """`up --story FILE` (a story never registered) binds its project by the story's name: the server must find
    the story from its own --story, not look the name up among registered stories and refuse."""
    from plugin.server import create_app
    from plugin.settings import Settings

    story_file = tmp_path / "elsewhere" / "toll.toml"
    story_file.parent.mkdir()
    story_file.write_text('[story]\nname = "brackenford-toll"\ntitle = "Toll"\ntarget = "The bridge toll"\n',
                          encoding="utf-8")
    app = create_app({"settings": Settings(home=tmp_path / "home", webhook_secret=WEBHOOK_SECRET), "nlp": nlp,
                      "story": story_file})
    app.extensions["stancedesk"].store.bind_project(3, "brackenford-toll", "Toll")
    r = app.test_client().post("/setup", json={"project": "3.1700000000", "schema": "<View/>"}, headers=AUTH)
    assert r.status_code == 200, r.get_json()
    r = app.test_client().post("/setup", json={"project": "4.1700000000", "schema": "<View/>"}, headers=AUTH)
    assert r.status_code == 200  # an unbound project gets the server's story too


def test_predict_returns_one_result_per_task_in_order_same_as_preannotate(client, seed_tasks):
    tasks = [{"id": n, "data": t["data"]} for n, t in enumerate(seed_tasks[:3], start=10)]
    r = client.post("/predict", json={"tasks": tasks, "project": "1.1", "label_config": "<View/>", "params": {}}, headers=AUTH)
    assert r.status_code == 200
    results = r.get_json()["results"]
    assert len(results) == 3
    for got, task in zip(results, seed_tasks[:3]):
        sent = task["predictions"][0]
        assert got["model_version"] == sent["model_version"]
        assert got["result"] == sent["result"]
        assert got["score"] == sent["score"]


@pytest.mark.parametrize(
    "body, message",
    [
        ({"project": "1"}, r"'tasks' must be a list"),
        ({"tasks": [{"id": 1}]}, r"tasks\[0\] has no data.text string"),
        ({"tasks": [{"data": {"text": 5}}]}, r"tasks\[0\] has no data.text string"),
        ([1, 2], r"body must be a JSON object"),
    ],
    ids=["no-tasks", "no-data", "text-not-a-string", "not-an-object"],
)
def test_predict_rejects_bad_bodies_with_json_400(client, body, message):
    import re

    r = client.post("/predict", json=body, headers=AUTH)
    assert r.status_code == 400
    assert re.search(message, r.get_json()["message"])
    assert "Traceback" not in r.get_data(as_text=True)



@pytest.mark.parametrize("path", ["/setup", "/predict"])
def test_ml_endpoints_need_the_secret(app, client, path):
    import base64

    bind(app, 1)
    body = {"tasks": [], "project": "1.1700000000"}
    assert client.post(path, json=body).status_code == 401
    assert client.post(path, json=body, headers={"X-Stancedesk-Secret": "nope"}).status_code == 401
    basic = {"Authorization": "Basic " + base64.b64encode(b"stancedesk:test-secret-0123456789").decode()}
    assert client.post(path, json=body, headers=basic).status_code == 200


def test_a_server_without_a_secret_refuses_and_says_how_to_fix_it(tmp_path, nlp):
    from plugin.server import create_app
    from plugin.settings import Settings

    client = create_app({"settings": Settings(home=tmp_path), "nlp": nlp}).test_client()
    r = client.post("/predict", json={"tasks": []}, headers={"X-Stancedesk-Secret": "x"})
    assert r.status_code == 401
    assert "set STANCEDESK_WEBHOOK_SECRET" in r.get_json()["message"]


def test_setup_with_a_model_that_does_not_load_is_a_json_400(tmp_path):
    from plugin.server import create_app
    from plugin.settings import Settings

    app = create_app({"settings": Settings(home=tmp_path, webhook_secret=WEBHOOK_SECRET, model="no_such_model_xyz",
                                           model_pinned=True), "story": "russia-nato"})
    r = app.test_client().post("/setup", json={}, headers=AUTH)
    assert r.status_code == 400 and "cannot load spaCy pipeline 'no_such_model_xyz'" in r.get_json()["message"]
