"""Actor repairs on hand-set entities: boundaries, labels, canonical names (no model involved)."""

from __future__ import annotations

from types import MappingProxyType

import pytest
from spacy.tokens import Doc, Span

from plugin.pipeline import language
from plugin.records import ActorNames


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


# -- general rules that hold on any story (invented names) -----------------------------
GENERAL = [
    pytest.param(["Doe", "\u2019s", "Acme", "shares"], [(0, 3, "PERSON")],
                 [("Doe", "PERSON"), ("Acme", "ORG")], id="possessive-splits-owner-and-owned"),
    pytest.param(["Acme", "Inc.", "rose"], [(0, 1, "ORG")], [("Acme Inc.", "ORG")], id="company-suffix-inside-the-span"),
    pytest.param(["Vantor", "CEO", "spoke"], [(0, 1, "PERSON")], [("Vantor", "ORG")], id="company-word-makes-an-org"),
    pytest.param(["the", "Board", "met", ".", "The", "board", "voted"], [(1, 2, "ORG")], [],
                 id="capitalised-common-noun-is-no-actor"),
    pytest.param(["Acme", "Blue", "costs", "more"], [(0, 1, "ORG")], [], id="word-of-an-untagged-product-name"),
    pytest.param(["the", "Fair", "Trade", "Act"], [(1, 4, "ORG")], [], id="a-law-is-no-organisation"),
    pytest.param(["Stephen", "King", "wrote"], [(0, 2, "PERSON")], [("Stephen King", "PERSON")],
                 id="name-ending-in-a-title-word-kept"),
    pytest.param(["Prime", "Minister"], [(0, 2, "PERSON")], [], id="title-alone-is-no-person"),
    pytest.param(["Mr", "Justice", "Swift", "ruled"], [(0, 3, "PERSON")], [("Swift", "PERSON")], id="british-judge-title"),
    pytest.param(["Lord", "Reed", "said"], [(0, 2, "PERSON")], [("Reed", "PERSON")], id="lord-title"),
    pytest.param(["Ms", "Patel", "said"], [(0, 2, "PERSON")], [("Patel", "PERSON")], id="ms-title"),
    pytest.param(["Home", "Secretary", "Jo", "Bell", "said"], [(0, 4, "PERSON")], [("Jo Bell", "PERSON")],
                 id="office-title"),
    pytest.param(["Jane", "Doe", "spoke", ".", "Doe", "left", ".", "Jane", "stayed", ".", "DOE", "wins"], [(0, 2, "PERSON")],
                 [("Jane Doe", "PERSON"), ("Doe", "PERSON"), ("Jane", "PERSON"), ("DOE", "PERSON")],
                 id="surname-first-name-and-capitals-spread"),
    pytest.param(["Quill", "Works", "hired", ".", "Quill", "Works", "grew"], [(0, 2, "ORG")],
                 [("Quill Works", "ORG"), ("Quill Works", "ORG")], id="a-name-spreads-to-its-missed-mentions"),
]


@pytest.mark.parametrize("words, ents, expected", GENERAL)
def test_general_actor_rules(repair, words, ents, expected):
    doc = repair(words, ents)
    assert [(e.text, e.label_) for e in doc.ents] == expected


@pytest.fixture(scope="module")
def run_text(rules_nlp):
    """Tokenise a text, set entities by character offsets, run boilerplate and actors with story names."""
    boiler = rules_nlp.get_pipe("stancedesk_boilerplate")
    actors = rules_nlp.get_pipe("stancedesk_actors")

    def run(text, ents=(), names=None):
        doc = rules_nlp.make_doc(text)
        doc.ents = [doc.char_span(text.index(t), text.index(t) + len(t), label=label) for t, label in ents]
        return actors(boiler(doc), names=names if names is not None else ActorNames())

    return run


def _names(**labels):
    return ActorNames(labels=MappingProxyType({k.replace("_", " "): v for k, v in labels.items()}))


STORY_NAMES = [
    pytest.param("Zorvex hired Pell. Zorvex grew.", [], _names(Zorvex="ORG", Pell="PERSON"),
                 [("Zorvex", "ORG"), ("Pell", "PERSON"), ("Zorvex", "ORG")], id="untagged-story-names-found"),
    pytest.param("Zorvex said so.", [("Zorvex", "PERSON")], _names(Zorvex="ORG"), [("Zorvex", "ORG")],
                 id="story-label-wins-over-the-model"),
    pytest.param("Zorvex Labs launched Zorvex Blue.", [("Zorvex Labs", "ORG")], _names(Zorvex="ORG"),
                 [("Zorvex Labs", "ORG")], id="longer-model-name-and-product-keep-their-words"),
    pytest.param("Internal Market Jan Vos said so.", [("Internal Market Jan Vos", "ORG")], _names(Jan_Vos="PERSON"),
                 [("Jan Vos", "PERSON")], id="story-person-wins-over-a-run-on-organisation"),
    pytest.param("Acme-Ruritania talks", [("Acme-Ruritania", "ORG")], _names(Acme="ORG", Ruritania="GPE"),
                 [("Acme", "ORG"), ("Ruritania", "GPE")], id="two-known-names-joined-by-a-hyphen-split"),
    pytest.param("Mr Pell met Tara Pell.", [], _names(Tara_Pell="PERSON", Pell="PERSON"),
                 [("Pell", "PERSON"), ("Tara Pell", "PERSON")], id="title-outside-and-full-name-first"),
    pytest.param("ZORVEX FALLS", [], _names(Zorvex="ORG"), [("ZORVEX", "ORG")], id="headline-capitals"),
    pytest.param("Nice work, team. \u2014 Jane Roe (@jroe) May 2, 2024", [], None, [("Jane Roe", "PERSON")],
                 id="display-name-of-a-post-signature"),
]


@pytest.mark.parametrize("text, ents, names, expected", STORY_NAMES)
def test_story_names(run_text, text, ents, names, expected):
    doc = run_text(text, ents, names)
    assert [(e.text, e.label_) for e in doc.ents] == expected


def test_story_names_not_actors_and_aliases(run_text):
    names = ActorNames(labels=MappingProxyType({"Zorvex": "ORG"}), canonical=MappingProxyType({"ZVX": "Zorvex"}),
                       not_actors=frozenset({"Pell"}))
    doc = run_text("ZVX and Pell met Zorvex.", [("ZVX", "ORG"), ("Pell", "PERSON")], names)
    assert [(e.text, e.label_, e._.canonical) for e in doc.ents] == [("ZVX", "ORG", "Zorvex"), ("Zorvex", "ORG", "Zorvex")]


def test_a_guessed_label_finds_missed_mentions_and_relabels_none(run_text):
    names = ActorNames(labels=MappingProxyType({"Olga Vance": "ORG"}), guessed=frozenset({"Olga Vance"}))
    doc = run_text("Olga Vance spoke. We saw Olga Vance leave.", [("Olga Vance", "PERSON")], names)
    assert [(e.text, e.label_) for e in doc.ents] == [("Olga Vance", "PERSON"), ("Olga Vance", "PERSON")]
