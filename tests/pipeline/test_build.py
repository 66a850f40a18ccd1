"""Building, saving and loading the stancedesk pipeline (needs the installed model)."""

from __future__ import annotations

import pytest
import spacy

from plugin.errors import ModelError
from plugin.pipeline import STANCEDESK_COMPONENTS, build_pipeline, extensions, model_version

pytestmark = pytest.mark.model

TEXT = (
    "Subscribe\n"
    "Kremlin spokesman Dmitry Peskov said on Monday that the talks should not drag on.\n\n"
    "\u201cWe are ready to listen,\u201d he told reporters. \u201cBut we will not wait forever.\u201d\n\n"
    "NATO Secretary General Jens Stoltenberg said every nation has the right to choose its own path.\n\n"
    "Story continues below advertisement\n"
    "An unbalanced \u201cquote runs here\n"
)


def test_components_are_registered_in_order(nlp):
    names = nlp.pipe_names
    assert [n for n in names if n.startswith("stancedesk")] == list(STANCEDESK_COMPONENTS)
    assert names.index("stancedesk_actor_ruler") < names.index("ner") < names.index("stancedesk_actors")


def test_output_invariants(nlp):
    doc = nlp(TEXT)
    furniture = doc._.boilerplate
    assert furniture, "boilerplate lines are marked"
    for ent in doc.ents:
        assert not any(s <= ent.start_char < e for s, e in furniture)
        if ent.label_ in ("PERSON", "ORG", "GPE"):
            assert ent._.canonical
    claims = extensions.claims(doc)
    assert claims
    for c in claims:
        assert not any(s <= c.start_char < e for s, e in furniture)
        assert c._.claim_kind in ("direct", "indirect")
        assert c._.stance in ("support", "oppose", "neutral") and 0 < c._.stance_score <= 1
        if c._.speaker_span:
            s, e = c._.speaker_span
            assert any(ent.start_char == s and ent.end_char == e for ent in doc.ents)
    assert doc._.stance_target == "Russia's security demands on NATO and the U.S."


def test_saved_pipeline_loads_like_any_spacy_pipeline(nlp, tmp_path):
    nlp.to_disk(tmp_path / "model")
    loaded = spacy.load(tmp_path / "model")
    assert loaded.pipe_names == nlp.pipe_names
    a, b = nlp(TEXT), loaded(TEXT)
    assert [(e.start_char, e.end_char, e.label_) for e in a.ents] == [(e.start_char, e.end_char, e.label_) for e in b.ents]
    key = lambda d: [(c.start_char, c.end_char, c._.speaker, c._.stance) for c in extensions.claims(d)]  # noqa: E731
    assert key(a) == key(b)
    # and build_pipeline accepts the saved directory as the model, with its own stance rules
    rebuilt = build_pipeline(tmp_path / "model")
    assert rebuilt.pipe_names == nlp.pipe_names
    assert model_version(rebuilt).startswith("stancedesk-")


def test_a_story_is_applied_to_a_saved_pipeline(nlp, tmp_path):
    from plugin.stories import read_story

    nlp.to_disk(tmp_path / "model")
    cfg = tmp_path / "s.toml"
    cfg.write_text('[story]\nname = "another"\ntarget = "Another target"\n[stance]\n', encoding="utf-8")
    rebuilt = build_pipeline(tmp_path / "model", story=read_story(cfg))
    assert rebuilt("Peskov said the talks failed.")._.stance_target == "Another target"
    assert "/another/" in model_version(rebuilt)


def test_unknown_model_is_a_clear_error():
    with pytest.raises(ModelError, match=r"cannot load spaCy pipeline 'no_such_model_xyz'.*--model"):
        build_pipeline("no_such_model_xyz")


def test_pipeline_without_parser_is_refused(tmp_path):
    spacy.blank("en").to_disk(tmp_path / "blank")
    with pytest.raises(ModelError, match=r"lacks parser, ner .*needs a pipeline with a dependency parser and NER"):
        build_pipeline(tmp_path / "blank")


def test_n_process_gives_the_same_tasks(reuse_nlp, seeds_dir):
    from plugin.preannotate import make_tasks
    from plugin.articles import read_articles

    articles = list(read_articles([seeds_dir]))[:2]
    one = list(make_tasks(reuse_nlp, articles, n_process=1))
    two = list(make_tasks(reuse_nlp, articles, n_process=2))
    assert one == two
