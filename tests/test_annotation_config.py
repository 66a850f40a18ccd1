"""annotation_configs/stancedesk.xml agrees with what plugin/labelstudio/tasks.py emits, and Label Studio accepts both."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from types import MappingProxyType

import pytest
from label_studio_sdk.label_interface import LabelInterface

from plugin.labelstudio import tasks
from plugin.labelstudio.tasks import check_task, to_task
from plugin.records import Actor, AnnotatedArticle, Article, Claim


@pytest.fixture(scope="module")
def root(annotation_config: str) -> ET.Element:
    return ET.fromstring(annotation_config)


@pytest.fixture(scope="module")
def interface(annotation_config: str) -> LabelInterface:
    return LabelInterface(annotation_config)


def controls(root: ET.Element, tag: str) -> dict[str, ET.Element]:
    return {el.get("name"): el for el in root.iter(tag)}


def every_label(text: str) -> AnnotatedArticle:
    """A hand-made article using every actor label and every stance, with speakers."""
    words = text.split(" ")
    offsets, pos = [], 0
    for w in words:
        offsets.append((pos, pos + len(w)))
        pos += len(w) + 1
    actors = tuple(
        Actor(s, e, label, text[s:e], text[s:e]) for (s, e), label in zip(offsets[:3], tasks.ACTOR_LABELS)
    )
    claims = tuple(
        Claim(s, e, text[s:e], "indirect", a.canonical, (a.start, a.end), stance, 0.6)
        for (s, e), a, stance in zip(offsets[3:6], actors, tasks.STANCES)
    )
    return AnnotatedArticle(Article("every-label", text, MappingProxyType({})), actors, claims, "test")


def emitted(task: dict) -> dict[str, set]:
    out = {"from_name": set(), "to_name": set(), "labels": set(), "choices": set(), "relations": set()}
    for pred in task["predictions"]:
        for r in pred["result"]:
            if r["type"] == "relation":
                out["relations"].update(r["labels"])
                continue
            out["from_name"].add(r["from_name"])
            out["to_name"].add(r["to_name"])
            out["labels"].update((r["from_name"], label) for label in r["value"].get("labels", []))
            out["choices"].update((r["from_name"], choice) for choice in r["value"].get("choices", []))
    return out


def assert_emitted_names_exist(root: ET.Element, task: dict) -> None:
    labels = controls(root, "Labels")
    choices = controls(root, "Choices")
    text_objects = controls(root, "Text")
    relations = {el.get("value") for el in root.iter("Relation")}
    e = emitted(task)

    assert e["from_name"] <= set(labels) | set(choices)
    assert e["to_name"] <= set(text_objects)
    for from_name, label in e["labels"]:
        assert label in {el.get("value") for el in labels[from_name].iter("Label")}, (from_name, label)
    for from_name, choice in e["choices"]:
        assert choice in {el.get("value") for el in choices[from_name].iter("Choice")}, (from_name, choice)
    assert e["relations"] <= relations


# -- the config against the constants ------------------------------------------------------
def test_label_studio_accepts_the_config(interface):
    interface.validate()


def test_text_object_reads_the_task_text_field(root):
    text = controls(root, "Text")[tasks.TO_NAME]

    assert text.get("value") == "$text"


def test_actor_labels_exist(root):
    actor = controls(root, "Labels")[tasks.ACTOR_FROM]

    assert actor.get("toName") == tasks.TO_NAME
    assert {el.get("value") for el in actor.iter("Label")} == set(tasks.ACTOR_LABELS)


def test_claim_label_exists(root):
    claim = controls(root, "Labels")[tasks.CLAIM_FROM]

    assert claim.get("toName") == tasks.TO_NAME
    assert {el.get("value") for el in claim.iter("Label")} == {tasks.CLAIM_LABEL}


def test_stance_is_a_per_region_choice_with_every_stance(root):
    stance = controls(root, "Choices")[tasks.STANCE_FROM]

    assert stance.get("toName") == tasks.TO_NAME
    assert stance.get("perRegion") == "true"
    assert [el.get("value") for el in stance.iter("Choice")] == list(tasks.STANCES)


def test_said_relation_exists(root):
    assert tasks.RELATION_LABEL in {el.get("value") for el in root.iter("Relation")}


def test_stance_lists_agree_across_modules():
    from plugin.evaluate import STANCES as EVAL_STANCES
    from plugin.pipeline.stance import STANCES as PIPELINE_STANCES

    assert tuple(tasks.STANCES) == tuple(EVAL_STANCES) == tuple(PIPELINE_STANCES)


# -- hand-made predictions (no model) -------------------------------------------------------
def test_hand_made_task_uses_only_names_in_the_config(root):
    task = to_task(every_label("Lavrov NATO Kyiv talks must resume soon"))

    assert_emitted_names_exist(root, task)
    assert emitted(task)["labels"] >= {("actor", label) for label in tasks.ACTOR_LABELS}
    assert emitted(task)["choices"] == {("stance", s) for s in tasks.STANCES}


def test_label_studio_accepts_a_hand_made_prediction(interface):
    task = to_task(every_label("Lavrov NATO Kyiv talks must resume soon"))

    assert interface.validate_prediction(task["predictions"][0], return_errors=True) == []
    assert interface.validate_prediction(task["predictions"][0]) is True


def test_label_studio_validator_rejects_an_unknown_label(interface):
    """A control: the validator used above is not vacuous."""
    task = to_task(every_label("Lavrov NATO Kyiv talks must resume soon"))
    task["predictions"][0]["result"][0]["value"]["labels"] = ["LOC"]

    assert interface.validate_prediction(task["predictions"][0]) is False


# -- the real pre-annotator on the seeds ----------------------------------------------------
@pytest.mark.model
def test_seed_predictions_are_accepted_by_label_studio(seed_tasks, interface, root):
    assert len(seed_tasks) == 5
    for task in seed_tasks:
        check_task(task)
        assert_emitted_names_exist(root, task)
        for pred in task["predictions"]:
            assert interface.validate_prediction(pred, return_errors=True) == [], task["data"]["doc_id"]
            assert interface.validate_prediction(pred) is True
