"""plugin/labelstudio/tasks.py: records to Label Studio tasks and back."""

from __future__ import annotations

import copy
from types import MappingProxyType

import pytest

from plugin.errors import TaskError
from plugin.labelstudio.tasks import annotated_from_result, annotated_from_task, check_task, to_task
from plugin.records import Actor, AnnotatedArticle, Article, Claim

TEXT = (
    "Talks in Geneva\n\n"
    "Sergei Lavrov said NATO must stop its expansion. "
    "\u201cWe will not accept this,\u201d the Kremlin said. "
    "A senior official said talks could resume."
)


def span(text: str, part: str, *, after: int = 0) -> tuple[int, int]:
    start = text.index(part, after)
    return start, start + len(part)


def actor(part: str, label: str, canonical: str | None = None, *, after: int = 0) -> Actor:
    s, e = span(TEXT, part, after=after)
    return Actor(s, e, label, TEXT[s:e], canonical or TEXT[s:e])


def claim(part: str, kind: str, speaker: Actor | None, stance: str, confidence: float = 1.0) -> Claim:
    s, e = span(TEXT, part)
    return Claim(
        start=s,
        end=e,
        text=TEXT[s:e],
        kind=kind,
        speaker=speaker.canonical if speaker else None,
        speaker_span=(speaker.start, speaker.end) if speaker else None,
        stance=stance,
        confidence=confidence,
    )


@pytest.fixture
def item() -> AnnotatedArticle:
    geneva = actor("Geneva", "GPE")
    lavrov = actor("Sergei Lavrov", "PERSON")
    nato = actor("NATO", "ORG", "North Atlantic Treaty Organization")
    kremlin = actor("Kremlin", "ORG")
    claims = (
        claim("NATO must stop its expansion", "indirect", lavrov, "support", 0.8),
        claim("We will not accept this", "direct", kremlin, "oppose", 0.75),
        claim("talks could resume", "indirect", None, "neutral", 0.5),
    )
    return AnnotatedArticle(
        article=Article("doc-1", TEXT, MappingProxyType({"outlet": "Example Post", "date": "2022-01-27"})),
        actors=(geneva, lavrov, nato, kremlin),
        claims=claims,
        model_version="stancedesk-test/1",
    )


def regions(task: dict, *, kind: str | None = None, from_name: str | None = None) -> list[dict]:
    result = task["predictions"][0]["result"]
    return [r for r in result if (kind is None or r["type"] == kind) and (from_name is None or r.get("from_name") == from_name)]


# -- records -> task ------------------------------------------------------------------
def test_task_data_carries_text_doc_id_and_metadata(item):
    task = to_task(item)

    assert task["data"] == {"text": TEXT, "doc_id": "doc-1", "outlet": "Example Post", "date": "2022-01-27"}
    [pred] = task["predictions"]
    assert pred["model_version"] == "stancedesk-test/1"
    assert pred["score"] == pytest.approx((0.8 + 0.75 + 0.5) / 3, abs=1e-3)


def test_metadata_cannot_overwrite_text_or_doc_id():
    article = Article("doc-1", TEXT, MappingProxyType({"text": "other", "doc_id": "other"}))

    task = to_task(AnnotatedArticle(article=article, actors=(), claims=()))

    assert task["data"]["text"] == TEXT
    assert task["data"]["doc_id"] == "doc-1"


def test_actor_region_shape(item):
    lavrov = item.actors[1]

    [region] = [r for r in regions(to_task(item), from_name="actor") if r["value"]["labels"] == ["PERSON"]]

    assert region == {
        "id": region["id"],
        "from_name": "actor",
        "to_name": "text",
        "type": "labels",
        "value": {"start": lavrov.start, "end": lavrov.end, "text": "Sergei Lavrov", "labels": ["PERSON"]},
        "meta": {"text": ["canonical: Sergei Lavrov"]},
    }


def test_claim_region_and_its_stance_choice_share_the_claim_id(item):
    task = to_task(item)
    first = item.claims[0]

    claim_regions = regions(task, from_name="claim")
    stance_regions = regions(task, from_name="stance")

    assert len(claim_regions) == len(stance_regions) == 3
    assert [r["id"] for r in claim_regions] == [r["id"] for r in stance_regions]
    assert len({r["id"] for r in claim_regions}) == 3
    assert claim_regions[0] == {
        "id": claim_regions[0]["id"],
        "from_name": "claim",
        "to_name": "text",
        "type": "labels",
        "value": {"start": first.start, "end": first.end, "text": "NATO must stop its expansion", "labels": ["CLAIM"]},
        "meta": {"text": ["kind: indirect\n", "speaker: Sergei Lavrov"]},  # one note per line in the Info panel
        "score": 0.8,
    }
    assert stance_regions[0] == {
        "id": claim_regions[0]["id"],
        "from_name": "stance",
        "to_name": "text",
        "type": "choices",
        "value": {"start": first.start, "end": first.end, "text": "NATO must stop its expansion", "choices": ["support"]},
        "score": 0.8,
    }
    assert [r["value"]["choices"] for r in stance_regions] == [["support"], ["oppose"], ["neutral"]]


def test_unattributed_claim_says_so_and_gets_no_relation(item):
    task = to_task(item)

    last = regions(task, from_name="claim")[-1]

    assert last["meta"]["text"] == ["kind: indirect\n", "speaker: (unattributed)"]
    assert last["id"] not in {r["to_id"] for r in regions(task, kind="relation")}


def test_said_relations_go_from_speaker_actor_to_claim(item):
    task = to_task(item)
    ids = {(r["value"]["start"], r["value"]["end"]): r["id"] for r in regions(task, from_name="actor")}
    claim_ids = [r["id"] for r in regions(task, from_name="claim")]
    lavrov, kremlin = item.actors[1], item.actors[3]

    assert regions(task, kind="relation") == [
        {"type": "relation", "from_id": ids[(lavrov.start, lavrov.end)], "to_id": claim_ids[0], "direction": "right", "labels": ["said"]},
        {"type": "relation", "from_id": ids[(kremlin.start, kremlin.end)], "to_id": claim_ids[1], "direction": "right", "labels": ["said"]},
    ]


def test_region_ids_are_unique_per_region_and_value_text_matches_the_text(item):
    task = to_task(item)
    labelled = regions(task, kind="labels")

    assert len({r["id"] for r in labelled}) == len(labelled)
    for r in regions(task, kind="labels") + regions(task, kind="choices"):
        v = r["value"]
        assert TEXT[v["start"]:v["end"]] == v["text"]
    check_task(task)


def test_article_without_claims_has_score_one_and_no_relations():
    article = Article("empty", "Nothing said here.")

    task = to_task(AnnotatedArticle(article=article, actors=(), claims=()))

    assert task["predictions"][0]["score"] == 1.0
    assert task["predictions"][0]["result"] == []
    assert task["predictions"][0]["model_version"] == "stancedesk"


def test_to_task_does_not_mutate_its_input(item):
    before = copy.deepcopy((item.actors, item.claims, dict(item.article.meta)))

    to_task(item)

    assert (item.actors, item.claims, dict(item.article.meta)) == before


# -- task -> records ------------------------------------------------------------------
def test_round_trip_keeps_actors_claims_speakers_and_stances(item):
    back = annotated_from_task(to_task(item))

    assert back.actors == item.actors
    assert back.claims == item.claims
    assert back.article.doc_id == item.article.doc_id
    assert back.article.text == item.article.text
    assert dict(back.article.meta) == dict(item.article.meta)
    assert back.model_version == item.model_version


def test_human_relation_without_speaker_note_takes_the_actor_canonical_name():
    text = "Lavrov said talks could resume."
    result = [
        {"id": "x", "from_name": "actor", "to_name": "text", "type": "labels",
         "value": {"start": 0, "end": 6, "text": "Lavrov", "labels": ["PERSON"]}, "meta": {"text": ["canonical: Sergei Lavrov"]}},
        {"id": "y", "from_name": "claim", "to_name": "text", "type": "labels",
         "value": {"start": 12, "end": 30, "text": "talks could resume", "labels": ["CLAIM"]}},
        {"type": "relation", "from_id": "x", "to_id": "y", "direction": "right", "labels": ["said"]},
    ]

    [c] = annotated_from_result(text, result).claims

    assert (c.speaker, c.speaker_span, c.stance, c.kind) == ("Sergei Lavrov", (0, 6), "neutral", "indirect")


def test_deleted_relation_removes_the_speaker(item):
    task = to_task(item)
    task["predictions"][0]["result"] = [r for r in task["predictions"][0]["result"] if r["type"] != "relation"]

    back = annotated_from_task(task)

    assert all(c.speaker is None and c.speaker_span is None for c in back.claims)


def test_claim_kind_is_inferred_from_a_quotation_mark_when_not_noted():
    text = "He said \u201cno deal\u201d and left."
    result = [{"id": "c", "from_name": "claim", "to_name": "text", "type": "labels",
               "value": {"start": 9, "end": 16, "text": "no deal", "labels": ["CLAIM"]}}]

    [c] = annotated_from_result(text, result).claims

    assert c.kind == "direct"


def test_relation_direction_left_is_read_as_actor_to_claim():
    text = "Lavrov said talks could resume."
    result = [
        {"id": "x", "from_name": "actor", "to_name": "text", "type": "labels",
         "value": {"start": 0, "end": 6, "text": "Lavrov", "labels": ["PERSON"]}},
        {"id": "y", "from_name": "claim", "to_name": "text", "type": "labels",
         "value": {"start": 12, "end": 30, "text": "talks could resume", "labels": ["CLAIM"]}},
        {"type": "relation", "from_id": "y", "to_id": "x", "direction": "left", "labels": ["said"]},
    ]

    [c] = annotated_from_result(text, result).claims

    assert c.speaker_span == (0, 6)


@pytest.mark.parametrize(
    "start, end",
    [(-1, 3), (5, 5), (8, 3), (0, 999), (None, 3), ("0", "3")],
    ids=["negative", "empty", "reversed", "past-end", "missing", "strings"],
)
def test_annotated_from_result_refuses_bad_offsets(start, end):
    result = [{"id": "r1", "from_name": "claim", "to_name": "text", "type": "labels",
               "value": {"start": start, "end": end, "text": "x", "labels": ["CLAIM"]}}]

    with pytest.raises(TaskError, match=r"doc-9: region r1 has offsets .* outside the text \(10 chars\)"):
        annotated_from_result("0123456789", result, doc_id="doc-9")


def test_annotated_from_task_needs_data_text():
    with pytest.raises(TaskError, match=r"task has no data.text string"):
        annotated_from_task({"data": {"body": "x"}})


# -- check_task ------------------------------------------------------------------------
def test_check_task_accepts_a_written_task(item):
    check_task(to_task(item))


def test_check_task_refuses_offsets_outside_the_text(item):
    task = to_task(item)
    task["predictions"][0]["result"][0]["value"]["end"] = len(TEXT) + 5

    with pytest.raises(TaskError, match=r"task doc-1: region a1 has offsets \d+\.\.\d+ outside the text"):
        check_task(task)


def test_check_task_refuses_a_region_text_that_differs_from_the_text(item):
    task = to_task(item)
    task["predictions"][0]["result"][0]["value"]["text"] = "Zurich"

    with pytest.raises(TaskError, match=r"task doc-1: region a1 text 'Zurich' != text\[\d+:\d+\] 'Geneva'"):
        check_task(task)


def test_check_task_refuses_a_task_without_text():
    with pytest.raises(TaskError, match=r"task has no data.text string"):
        check_task({"data": {}, "predictions": []})


@pytest.mark.parametrize(
    "probs, note",
    [
        ((("support", 0.8), ("oppose", 0.15), ("neutral", 0.05)), "stance p: support 0.80, oppose 0.15, neutral 0.05"),
        (None, None),  # the rules give no probabilities: no note
    ],
    ids=["model", "rules"],
)
def test_the_stance_models_probabilities_are_shown_to_the_annotator_and_read_back(item, probs, note):
    from dataclasses import replace

    item = replace(item, claims=(replace(item.claims[0], stance_probs=probs),) + item.claims[1:])
    notes = regions(to_task(item), from_name="claim")[0]["meta"]["text"]
    assert [n for n in notes if n.startswith("stance p: ")] == ([note] if note else [])
    assert annotated_from_task(to_task(item)).claims == item.claims
