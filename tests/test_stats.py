"""Correction statistics and inter-annotator agreement, on hand-made records and through the webhook."""

from __future__ import annotations

import pytest

from plugin.records import Actor, AnnotatedArticle, Article, Claim
from plugin.stats import Reviewed, agreement, cohen_kappa, correction_stats

TEXT = "Peskov said the talks failed. Blinken said Russia must not invade."


def doc(actors=(), claims=()):
    return AnnotatedArticle(Article("d", TEXT), tuple(actors), tuple(claims))


PESKOV = Actor(0, 6, "PERSON", "Peskov", "Peskov")
BLINKEN = Actor(30, 37, "PERSON", "Blinken", "Blinken")
RUSSIA = Actor(43, 49, "GPE", "Russia", "Russia")


def claim(start, end, stance, speaker=None):
    return Claim(start, end, TEXT[start:end], "indirect", speaker.canonical if speaker else None,
                 (speaker.start, speaker.end) if speaker else None, stance)


def test_correction_stats_counts_every_kind_of_change():
    predicted = doc([PESKOV, Actor(30, 37, "ORG", "Blinken", "Blinken")],
                    [claim(12, 28, "support", PESKOV), claim(43, 65, "oppose", None)])
    human = doc([PESKOV, BLINKEN, RUSSIA], [claim(12, 28, "neutral", PESKOV), claim(43, 65, "oppose", BLINKEN)])
    stats = correction_stats([Reviewed(1, 1, 5, "v1", human, predicted)])
    s = stats["v1"]
    assert dict(+s.actors) == {"kept": 1, "relabelled": 1, "added": 1}
    assert dict(+s.claims) == {"kept": 2}
    assert (s.stance_changed, s.speaker_changed) == (1, 1)
    assert s.stance_correction_rate == pytest.approx(1 / 2)
    assert s.actor_prf().precision == pytest.approx(1 / 2) and s.actor_prf().recall == pytest.approx(1 / 3)


def test_annotations_without_a_prediction_are_not_counted_as_corrections():
    assert correction_stats([Reviewed(1, 1, 5, None, doc([PESKOV]), None)]) == {}


@pytest.mark.parametrize(
    "pairs, expected",
    [
        ([("support", "support"), ("oppose", "oppose"), ("neutral", "neutral")], 1.0),
        ([("support", "oppose"), ("oppose", "support")], -1.0),
        ([("neutral", "neutral"), ("neutral", "oppose"), ("oppose", "oppose"), ("oppose", "neutral")], 0.0),
        ([], None),
    ],
    ids=["perfect", "opposite", "chance", "empty"],
)
def test_cohen_kappa(pairs, expected):
    assert cohen_kappa(pairs) == (pytest.approx(expected) if expected is not None else None)


def test_agreement_between_two_annotators_lists_what_to_adjudicate():
    a = Reviewed(1, 9, 1, "v1", doc([PESKOV, BLINKEN], [claim(12, 28, "neutral", PESKOV)]), None)
    b = Reviewed(2, 9, 2, "v1", doc([PESKOV], [claim(12, 28, "oppose", PESKOV), claim(43, 65, "oppose", BLINKEN)]), None)
    lonely = Reviewed(3, 10, 1, "v1", doc([PESKOV]), None)
    agree = agreement([a, b, lonely])
    assert (agree.tasks, agree.pairs) == (1, 1)
    assert agree.f1["actors"] == pytest.approx(2 / 3, abs=1e-3)
    assert agree.f1["claims"] == pytest.approx(2 / 3, abs=1e-3)
    assert agree.f1["attribution"] == 1.0 and agree.f1["stance"] == 0.0
    layers = sorted(d.layer for d in agree.disagreements)
    assert layers == ["actors", "claims", "stance"]


def _region(rid, name, start, end, **value):
    kind = "choices" if "choices" in value else "labels"
    return {"id": rid, "from_name": name, "to_name": "text", "type": kind,
            "value": {"start": start, "end": end, "text": TEXT[start:end], **value}}


def _delivery(aid, annotator, stance):
    result = [_region("a1", "actor", 0, 6, labels=["PERSON"]), _region("c1", "claim", 12, 28, labels=["CLAIM"]),
              _region("c1", "stance", 12, 28, choices=[stance]),
              {"type": "relation", "from_id": "a1", "to_id": "c1", "direction": "right", "labels": ["said"]}]
    prediction = [_region("a1", "actor", 0, 6, labels=["ORG"]), _region("c1", "claim", 12, 28, labels=["CLAIM"]),
                  _region("c1", "stance", 12, 28, choices=["support"])]
    return {"action": "ANNOTATION_CREATED", "project": {"id": 4},
            "task": {"id": 9, "data": {"text": TEXT, "doc_id": "d"}},
            "annotation": {"id": aid, "task": 9, "result": result, "completed_by": annotator,
                           "updated_at": "2026-01-01T10:00:00.000000Z", "prediction": {"model_version": "v1", "result": prediction}}}


def test_stats_endpoint_and_cli_through_the_webhook(client, app, capsys, monkeypatch, webhook_secret):
    from plugin.cli import main

    auth = {"X-Stancedesk-Secret": webhook_secret}
    app.extensions["stancedesk"].store.bind_project(4, "russia-nato", "p")  # as 'stancedesk push --story' binds it
    for aid, annotator, stance in ((1, 1, "neutral"), (2, 2, "oppose")):
        assert client.post("/webhook", json=_delivery(aid, annotator, stance), headers=auth).status_code == 200
    assert client.get("/stats?story=russia-nato").status_code == 401
    body = client.get("/stats?story=russia-nato", headers=auth).get_json()
    assert client.get("/stats?project=4", headers=auth).get_json() == body
    assert (body["story"], body["target"]) == ("russia-nato", "Russia's security demands on NATO and the U.S.")
    assert body["reviewed"] == 2
    v1 = body["by_model_version"]["v1"]
    assert (v1["annotations"], v1["actors"], v1["claims"], v1["stance_changed"]) == (2, {"relabelled": 2}, {"kept": 2}, 2)
    assert v1["stance_correction_rate"] == 1.0
    assert body["agreement"]["tasks"] == 1 and body["agreement"]["f1"]["claims"] == 1.0
    assert [d["layer"] for d in body["agreement"]["disagreements"]] == ["stance"]

    monkeypatch.setenv("STANCEDESK_HOME", str(app.extensions["stancedesk"].settings.home))
    assert main(["stats", "--story", "russia-nato"]) == 0
    out = capsys.readouterr().out
    assert "2 reviewed annotations in the store" in out
    assert "model v1: 2 annotations started from its predictions" in out
    assert "stances changed 2 of 2 kept claims (100.0%)" in out
    assert "agreement on 1 tasks (1 annotator pairs)" in out
    assert "stance" in out
