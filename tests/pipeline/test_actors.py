"""Actor repairs on hand-set entities: boundaries, labels, canonical names (no model involved)."""

from __future__ import annotations

import pytest
from spacy.tokens import Doc, Span

from plugin.pipeline import language


def _doc(nlp, words, ents, pos=None):
    doc = Doc(nlp.vocab, words=words, pos=pos or ["PROPN"] * len(words))
    doc.ents = [Span(doc, s, e, label=label) for s, e, label in ents]
    return doc


@pytest.fixture(scope="module")
def repair(rules_nlp):
    boiler = rules_nlp.get_pipe("stancedesk_boilerplate")
    actors = rules_nlp.get_pipe("stancedesk_actors")

    def run(words, ents, pos=None):
        return actors(boiler(_doc(rules_nlp, words, ents, pos)))

    return run


CASES = [
    pytest.param(["the", "Kremlin", "said"], [(0, 2, "ORG")], [("Kremlin", "ORG", "Kremlin")], id="leading-the-dropped"),
    pytest.param(["The", "Hague", "ruled"], [(0, 2, "GPE")], [("The Hague", "GPE", "The Hague")], id="article-that-is-part-of-the-name"),
    pytest.param(["President", "Vladimir", "Putin", "spoke"], [(0, 3, "PERSON")],
                 [("Vladimir Putin", "PERSON", "Vladimir Putin")], id="title-outside-person"),
    pytest.param(["Russia", "'s", "army"], [(0, 2, "GPE")], [("Russia", "GPE", "Russia")], id="possessive-outside"),
    pytest.param(["(", "Mikhail", "Svetlov", "/", "Getty", "Images", ")"], [(1, 6, "PERSON")],
                 [("Mikhail Svetlov", "PERSON", "Mikhail Svetlov"), ("Getty Images", "ORG", "Getty Images")],
                 id="photo-credit-split"),
    pytest.param(["Sergei", "Lavrov", "met", "Blinken", ".", "Lavrov", "said"], [(0, 2, "PERSON"), (5, 6, "ORG")],
                 [("Sergei Lavrov", "PERSON", "Sergei Lavrov"), ("Lavrov", "PERSON", "Sergei Lavrov")],
                 id="surname-takes-the-full-name-label-and-identity"),
    pytest.param(["Sergei", "Lavrov", "met", "Blinken", ".", "Lavrov", "said"], [(0, 2, "PERSON")],
                 [("Sergei Lavrov", "PERSON", "Sergei Lavrov"), ("Lavrov", "PERSON", "Sergei Lavrov")],
                 id="missed-surname-mention-added"),
    pytest.param(["U.S.", "officials"], [(0, 1, "GPE")], [("U.S.", "GPE", "United States")], id="alias-canonical"),
    pytest.param(["Zelenskiy", "said"], [(0, 1, "PERSON")], [("Zelenskiy", "PERSON", "Volodymyr Zelensky")],
                 id="spelling-variant-merged"),
    pytest.param(["Ukrainian", "troops"], [(0, 1, "GPE")], [], id="nationality-adjective-dropped"),
    pytest.param(["the", "Minsk", "agreements"], [(1, 2, "GPE")], [], id="place-naming-a-document-dropped"),
    pytest.param(["the", "Bucharest", "summit"], [(1, 2, "GPE")], [("Bucharest", "GPE", "Bucharest")],
                 id="place-modifying-lowercase-noun-kept"),
    pytest.param(["Secretary", "of", "State", "Blinken"], [(2, 3, "ORG"), (3, 4, "PERSON")],
                 [("Blinken", "PERSON", "Blinken")], id="title-fragment-not-an-org"),
    pytest.param(["NATO", "Allies", "met"], [(0, 2, "ORG")], [("NATO", "ORG", "NATO")], id="generic-trailing-noun-dropped"),
    pytest.param(["Bloomberg", "reported"], [(0, 1, "PERSON")], [("Bloomberg", "ORG", "Bloomberg")],
                 id="known-outlet-relabelled"),
]


@pytest.mark.parametrize("words, ents, expected", CASES)
def test_actor_repairs(repair, words, ents, expected):
    doc = repair(words, ents)
    assert [(e.text, e.label_, e._.canonical) for e in doc.ents] == expected


def test_other_entity_labels_are_kept(repair):
    doc = repair(["Putin", "spoke", "Tuesday"], [(0, 1, "PERSON"), (2, 3, "DATE")])
    assert [(e.text, e.label_) for e in doc.ents] == [("Putin", "PERSON"), ("Tuesday", "DATE")]


def test_actor_patterns_are_data_with_valid_labels():
    patterns = language.actor_patterns()
    assert patterns and all(p["label"] in ("PERSON", "ORG", "GPE") for p in patterns)
