"""Names learnt from corrections: built from the store as annotations arrive, used at once by preannotate and the
live /predict (no retrain), shown by ``story show``; and the names a story file gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plugin.cli import main
from plugin.learnt import LearntCache, learnt_names
from plugin.settings import SECRET_HEADER, Settings
from plugin.stories import add_story, find_story

from conftest import PARK, TOLL, WEBHOOK_SECRET

AUTH = {SECRET_HEADER: WEBHOOK_SECRET}
TEXT = "Quillon backed the toll. Kell Omari of Zorvex said the Board agreed."


def span(text: str, label: str, nth: int = 0) -> tuple[int, int, str]:
    start = -1
    for _ in range(nth + 1):
        start = TEXT.index(text, start + 1)
    return start, start + len(text), label


def regions(actors: list[tuple[int, int, str]]) -> list[dict]:
    return [{"id": f"a{n}", "from_name": "actor", "to_name": "text", "type": "labels",
             "value": {"start": s, "end": e, "text": TEXT[s:e], "labels": [label]}} for n, (s, e, label) in enumerate(actors)]


def created(aid: int, project: int, human, predicted=None) -> dict:
    annotation = {"id": aid, "task": aid, "project": project, "result": regions(human), "was_cancelled": False,
                  "ground_truth": False, "completed_by": 1, "created_at": "2026-01-01T10:00:00Z",
                  "updated_at": "2026-01-01T10:00:00Z"}
    if predicted is not None:
        annotation["prediction"] = {"model_version": "stancedesk-0.2.0/x", "result": regions(predicted)}
    return {"action": "ANNOTATION_CREATED", "project": {"id": project}, "annotation": annotation,
            "task": {"id": aid, "data": {"text": TEXT, "doc_id": f"doc-{aid}"}, "project": project}}


@pytest.fixture
def home(tmp_path) -> Path:
    home = tmp_path / "home"
    for name, text in (("toll.toml", TOLL), ("park.toml", PARK)):
        (tmp_path / name).write_text(text, encoding="utf-8")
        add_story(home, tmp_path / name)
    return home


def bound_app(home: Path, nlp=None):
    from plugin.server import create_app

    app = create_app({"settings": Settings(home=home, webhook_secret=WEBHOOK_SECRET), "nlp": nlp, "TESTING": True})
    store = app.extensions["stancedesk"].store
    store.bind_project(1, "bridge-toll", "The Riverside bridge toll")
    store.bind_project(2, "park-plan", "The Northside park plan")
    return app


def post(app, body) -> None:
    response = app.test_client().post("/webhook", json=body, headers=AUTH)
    assert response.status_code == 200, response.get_json()


def test_annotations_teach_names_and_deleted_predictions_teach_non_actors(home):
    app = bound_app(home)
    store = app.extensions["stancedesk"].store
    toll = find_story(home, "bridge-toll")
    assert learnt_names(store, toll).counts == {}
    # the annotator relabelled Zorvex, added Quillon and Kell Omari, and deleted "Board"
    post(app, created(1, 1, [span("Quillon", "GPE"), span("Kell Omari", "PERSON"), span("Zorvex", "ORG")],
                      predicted=[span("Kell Omari", "PERSON"), span("Zorvex", "PERSON"), span("Board", "ORG")]))
    post(app, created(2, 1, [span("Zorvex", "ORG")]))
    post(app, created(3, 1, [span("Zorvex", "PERSON")]))  # outvoted
    post(app, created(4, 2, [span("Board", "ORG"), span("Quillon", "PERSON")]))  # another story: kept apart
    learnt = learnt_names(store, toll)
    assert dict(learnt.names.labels) == {"Quillon": "GPE", "Kell Omari": "PERSON", "Zorvex": "ORG"}
    assert learnt.names.not_actors == {"Board"} and learnt.dropped == ["Board"]
    assert learnt.counts == {"Quillon": 1, "Kell Omari": 1, "Zorvex": 3} and learnt.annotations == 3
    park = learnt_names(store, find_story(home, "park-plan"))
    assert dict(park.names.labels) == {"Board": "ORG", "Quillon": "PERSON"} and not park.names.not_actors
    # a deleted annotation teaches nothing any more
    post(app, {"action": "ANNOTATIONS_DELETED", "project": {"id": 1}, "annotations": [{"id": 1}]})
    assert dict(learnt_names(store, toll).names.labels) == {"Zorvex": "ORG"}


def test_the_cache_follows_new_annotations(home):
    app = bound_app(home)
    store = app.extensions["stancedesk"].store
    toll, cache = find_story(home, "bridge-toll"), LearntCache()
    assert cache.get(store, toll).counts == {}
    post(app, created(1, 1, [span("Quillon", "GPE")]))
    assert cache.get(store, toll).counts == {"Quillon": 1}
    assert cache.get(store, toll) is cache.get(store, toll)  # unchanged store: not recomputed


@pytest.mark.model
def test_a_learnt_name_reaches_preannotate_and_predict_without_a_retrain(home, reuse_nlp, tmp_path, monkeypatch, capsys):
    text_file = tmp_path / "in.txt"
    text_file.write_text("Officials in Quillon said the toll would stay.\n", encoding="utf-8")
    monkeypatch.setenv("STANCEDESK_HOME", str(home))

    def quillon_labels(tasks_file: Path) -> set[str]:
        tasks = json.loads(tasks_file.read_text())
        return {r["value"]["labels"][0] for t in tasks for r in t["predictions"][0]["result"]
                if r.get("from_name") == "actor" and r["value"]["text"] == "Quillon"}

    assert main(["preannotate", str(text_file), "-o", str(tmp_path / "before.json"), "--story", "bridge-toll"]) == 0
    assert quillon_labels(tmp_path / "before.json") != {"GPE"}
    app = bound_app(home, reuse_nlp)
    post(app, created(1, 1, [span("Quillon", "GPE")], predicted=[]))
    assert main(["preannotate", str(text_file), "-o", str(tmp_path / "after.json"), "--story", "bridge-toll"]) == 0
    assert quillon_labels(tmp_path / "after.json") == {"GPE"}
    # the live ML backend, same server, no restart
    body = app.test_client().post("/predict", json={"tasks": [{"id": 9, "data": {"text": text_file.read_text()}}],
                                                    "project": "1.1795535083"}, headers=AUTH).get_json()
    labels = {r["value"]["labels"][0] for r in body["results"][0]["result"]
              if r.get("from_name") == "actor" and r["value"]["text"] == "Quillon"}
    assert labels == {"GPE"}
    capsys.readouterr()
    assert main(["story", "show", "bridge-toll"]) == 0
    assert "names     1 learnt from annotations: Quillon (GPE)" in capsys.readouterr().out


@pytest.mark.model
def test_a_storys_side_names_are_actors_labelled_by_the_model(reuse_nlp, tmp_path):
    from plugin.pipeline import story_names
    from plugin.stories import read_story

    (tmp_path / "s.toml").write_text('[story]\ntarget = "The merger"\n[stance]\n'
                                     'proponents = ["Jane Doe", "Acme Corporation"]\n'
                                     '[actors]\nGPE = ["Quillon"]\n', encoding="utf-8")
    names = story_names(reuse_nlp, read_story(tmp_path / "s.toml"))
    assert dict(names.labels) == {"Jane Doe": "PERSON", "Acme Corporation": "ORG", "Quillon": "GPE", "Doe": "PERSON"}
    assert names.canonical["Doe"] == "Jane Doe"  # a surname alone is the person
    # labels the model guessed find missed mentions but relabel nothing; the story file's are sure
    assert names.guessed == {"Jane Doe", "Acme Corporation", "Doe"}
