"""The two-NER merge of a retrained pipeline: the fine-tuned copy decides actors, the base NER the rest."""

from __future__ import annotations

import pytest
import spacy
from spacy.tokens import Span

from plugin.pipeline.ner_merge import STASH_KEY, merge_entities, stash_actors

TEXT = "Russian envoy Sergei Ryabkov met NATO in Geneva on Monday ."


def _doc(ents):
    doc = spacy.blank("en")(TEXT)
    doc.set_ents([Span(doc, s, e, label=label) for s, e, label in ents])
    return doc


@pytest.mark.parametrize(
    "fine_tuned, base, merged",
    [
        # the fine-tuned actors and the base model's other labels are both kept
        ([(2, 4, "PERSON"), (5, 6, "ORG")], [(0, 1, "NORP"), (9, 10, "DATE")],
         [(0, 1, "NORP"), (2, 4, "PERSON"), (5, 6, "ORG"), (9, 10, "DATE")]),
        # the base model's own actor guesses are dropped: the fine-tuned copy decides actors
        ([(2, 4, "PERSON")], [(2, 4, "ORG"), (7, 8, "GPE")], [(2, 4, "PERSON")]),
        # where an actor overlaps a base entity of another label, the actor wins
        ([(0, 1, "GPE")], [(0, 1, "NORP"), (9, 10, "DATE")], [(0, 1, "GPE"), (9, 10, "DATE")]),
        # non-actor output of the fine-tuned copy is not used
        ([(9, 10, "TIME")], [(9, 10, "DATE")], [(9, 10, "DATE")]),
    ],
    ids=["both-kept", "base-actors-dropped", "actor-wins-overlap", "copy-non-actor-ignored"],
)
def test_stash_then_merge(fine_tuned, base, merged):
    doc = stash_actors(_doc(fine_tuned))
    assert list(doc.ents) == []
    assert [(s.start, s.end, s.label_) for s in doc.spans[STASH_KEY]] == \
        [x for x in fine_tuned if x[2] in ("PERSON", "ORG", "GPE")]
    doc.set_ents([Span(doc, s, e, label=label) for s, e, label in base])  # what the base NER predicts
    out = merge_entities(doc)
    assert [(e.start, e.end, e.label_) for e in out.ents] == merged
