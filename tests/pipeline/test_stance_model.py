"""Trained stance classifiers: learning, saving weights only, the bootstrap model, the rules fallback."""

from __future__ import annotations

import pytest

from plugin.errors import ModelError
from plugin.pipeline import stance_model
from plugin.pipeline.stance_model import (StanceModelUnavailable, classifier_input, embeddings_available,
                                          load_classifier, new_classifier)

TARGET = "Russia's security demands on NATO and the U.S."
KINDS = ["bow", pytest.param("embeddings", marks=pytest.mark.skipif(not embeddings_available(),
                                                                     reason="the embeddings extra is not installed"))]

# a toy story: support, oppose and neutral are told apart by their words
TOY = [
    ("Moscow", "the alliance must give legal guarantees and stop its expansion", "support"),
    ("Moscow", "Russia demands a written guarantee that NATO will not expand", "support"),
    ("Kremlin", "the security guarantees we demand are essential for Russia", "support"),
    ("Moscow", "NATO must pull its forces back to the 1997 lines as Russia demands", "support"),
    ("Washington", "the demands are unacceptable and a non-starter", "oppose"),
    ("NATO", "we reject any veto over the alliance's open door", "oppose"),
    ("Brussels", "these proposals are unacceptable and will be rejected", "oppose"),
    ("Washington", "the door of the alliance stays open and we reject the demands", "oppose"),
    ("Geneva", "the delegations met for talks on Monday", "neutral"),
    ("Geneva", "the next round of talks will take place next week", "neutral"),
    ("Vienna", "diplomats met on Monday and will meet again", "neutral"),
    ("Geneva", "the meeting lasted nearly eight hours", "neutral"),
]


def _toy_inputs():
    return [classifier_input(s, t) for s, t, _ in TOY], [label for _, _, label in TOY]


@pytest.mark.parametrize(
    "speaker, text, rule, expected",
    [
        ("Sergei Ryabkov", "talks were difficult", "neutral", "Sergei Ryabkov: talks were difficult"),
        (None, "talks were difficult", "oppose", "unknown: talks were difficult"),
    ],
)
def test_the_classifier_reads_the_speaker_and_the_rules(speaker, text, rule, expected):
    i = classifier_input(speaker, text, rule, 0.7)
    assert (i.text, i.rule, i.rule_score) == (expected, rule, 0.7)


@pytest.mark.parametrize("kind", KINDS)
def test_a_classifier_learns_and_gives_probabilities(kind):
    inputs, labels = _toy_inputs()
    model = new_classifier(kind, TARGET).fit(inputs * 3, labels * 3)
    predicted = model.predict(inputs)
    assert sum(p[0] == g for p, g in zip(predicted, labels)) >= 10  # of 12
    for stance, score, probs in predicted:
        assert set(probs) == {"support", "oppose", "neutral"} and abs(sum(probs.values()) - 1) < 1e-3
        assert score == round(probs[stance], 3) == round(max(probs.values()), 3)


@pytest.mark.parametrize("kind", KINDS)
def test_saved_models_hold_weights_not_texts(kind, tmp_path):
    inputs, labels = _toy_inputs()
    model = new_classifier(kind, TARGET).fit(inputs, labels)
    model.save(tmp_path / "m")
    again = load_classifier(tmp_path / "m")
    assert again.kind == kind and again.target == TARGET
    assert [p[0] for p in again.predict(inputs)] == [p[0] for p in model.predict(inputs)]
    for f in (tmp_path / "m").rglob("*"):
        if f.is_file():
            data = f.read_bytes()  # single-token words: a leaked vocabulary would hold them whole
            assert b"unacceptable" not in data and b"delegations" not in data and b"Washington" not in data, f


def test_unknown_labels_are_refused():
    with pytest.raises(ValueError, match=r"unknown stance label\(s\) \['maybe'\]"):
        new_classifier("bow", TARGET).fit([classifier_input("a", "b")], ["maybe"])
    with pytest.raises(ValueError, match=r"unknown stance model kind 'svm'"):
        new_classifier("svm", TARGET)


def test_a_directory_that_is_not_a_stance_model(tmp_path):
    with pytest.raises(StanceModelUnavailable, match=r"is not a stance model directory"):
        load_classifier(tmp_path)
    (tmp_path / "meta.json").write_text('{"kind": "svm", "target": "x"}')
    with pytest.raises(StanceModelUnavailable, match=r"unknown stance model kind 'svm'"):
        load_classifier(tmp_path)


def test_without_the_extra_an_embeddings_model_names_it(tmp_path, monkeypatch):
    (tmp_path / "meta.json").write_text('{"kind": "embeddings", "target": "x"}')
    monkeypatch.setattr(stance_model, "embeddings_available", lambda: False)
    with pytest.raises(StanceModelUnavailable, match=r"pip install 'stancedesk\[embeddings\]'"):
        load_classifier(tmp_path)


# -- in the pipeline ----------------------------------------------------------

@pytest.fixture()
def component(example_story):
    from plugin.pipeline.stance import StanceRules

    return StanceRules(example_story.stance_table())


@pytest.mark.skipif(not embeddings_available(), reason="the embeddings extra is not installed")
def test_the_bootstrap_model_is_the_default_for_its_own_target(component, example_story):
    from plugin.pipeline import configure_stance

    configure_stance(component, example_story)
    assert component.kind == "embeddings" and component.classifier.meta["trained_claims"] > 300


def test_without_the_extra_the_rules_are_the_fallback(component, example_story, monkeypatch):
    from plugin.pipeline import configure_stance

    monkeypatch.setattr(stance_model, "embeddings_available", lambda: False)
    configure_stance(component, example_story)
    assert component.kind == "rules"


def test_another_target_starts_from_the_rules(component, example_story, tmp_path):
    from plugin.pipeline import configure_stance
    from plugin.stories import find_story

    configure_stance(component, example_story)  # the example's own model, if it can run here
    component.configure({**example_story.stance_table(), "target": "Another target"})
    assert component.kind == "rules"  # a model for the old target is dropped with it
    # a story for another target, found by name like any other: its cue rules, never the example's model
    (tmp_path / "stories").mkdir()
    (tmp_path / "stories" / "another.toml").write_text(
        '[story]\nname = "another"\ntarget = "Another target"\n[stance]\nsupport = ["ratify"]\n', encoding="utf-8")
    another = find_story(tmp_path, "another")
    assert another.stance_model is None
    configure_stance(component, another)
    assert component.kind == "rules" and component.target == "Another target"
    new_classifier("bow", TARGET).fit(*_toy_inputs()).save(tmp_path / "m")
    with pytest.raises(ModelError, match=r"trained for target .* but the story's target is 'Another target'"):
        component.use_model(tmp_path / "m")
    component.use_model(tmp_path / "m", strict=False)
    assert component.kind == "rules"
    with pytest.raises(ModelError, match=r"trained for target .* but the story's target is 'Another target'"):
        configure_stance(component, another, tmp_path / "m")


@pytest.mark.model
def test_claims_carry_probabilities_and_the_version_names_the_stance_model(example_story, tmp_path):
    from plugin.pipeline import build_pipeline, extensions, model_version

    new_classifier("bow", TARGET).fit(*_toy_inputs()).save(tmp_path / "m")
    nlp = build_pipeline(story=example_story, stance_model=str(tmp_path / "m"))
    doc = nlp("Russian Deputy Foreign Minister Sergei Ryabkov said the demands were essential for Russia.")
    claims = extensions.claims(doc)
    assert claims and all(abs(sum(c._.stance_probs.values()) - 1) < 0.01 for c in claims)
    assert all(c._.stance_score == max(c._.stance_probs.values()) for c in claims)
    assert model_version(nlp).endswith("/stance-bow")
    assert model_version(nlp).startswith("stancedesk-") and "/russia-nato/" in model_version(nlp)
    rules = build_pipeline(story=example_story, stance_model="rules")
    assert model_version(rules) == f"{model_version(nlp).rsplit('/', 1)[0]}/stance-rules"


@pytest.mark.model
def test_a_saved_pipeline_keeps_its_stance_model(example_story, tmp_path):
    import spacy

    from plugin.pipeline import build_pipeline

    new_classifier("bow", TARGET).fit(*_toy_inputs()).save(tmp_path / "m")
    nlp = build_pipeline(story=example_story, stance_model=str(tmp_path / "m"))
    nlp.to_disk(tmp_path / "pipeline")
    again = spacy.load(tmp_path / "pipeline")
    assert again.get_pipe("stancedesk_stance").kind == "bow"
    inputs, _ = _toy_inputs()
    assert again.get_pipe("stancedesk_stance").classifier.predict(inputs) == \
        nlp.get_pipe("stancedesk_stance").classifier.predict(inputs)


# invented: claims of several speakers, some repeated word for word (a reprint)
_PIPE_TEXTS = [
    "The foreign ministry said the alliance must stop its expansion at once.",
    "\"We reject these demands,\" a spokesman in Brussels said on Monday.",
    "Officials said the talks in Geneva would continue next week.",
    "The foreign ministry said the alliance must stop its expansion at once.",
    "Senator Brill said the proposals were unacceptable and dangerous.",
]


@pytest.mark.model
@pytest.mark.parametrize("kind", KINDS)
def test_pipe_annotates_as_one_doc_at_a_time(kind, example_story, tmp_path):
    """The classifier of batch N runs in a helper thread while batch N+1 is parsed: same docs, same order,
    the same stances and probabilities as calling the pipeline on each text alone."""
    from plugin.pipeline import build_pipeline, extensions

    new_classifier(kind, TARGET).fit(*_toy_inputs()).save(tmp_path / "m")
    nlp = build_pipeline(story=example_story, stance_model=str(tmp_path / "m"))

    def stances(doc):
        return [(c.text, c._.stance, c._.stance_score, c._.stance_probs) for c in extensions.claims(doc)]

    alone = [stances(nlp(t)) for t in _PIPE_TEXTS]
    piped = [stances(d) for d in nlp.pipe(_PIPE_TEXTS * 2, batch_size=2)]
    assert piped == alone * 2
    assert sum(len(s) for s in alone) >= 4 and all(p is not None for s in alone for *_, p in s)
