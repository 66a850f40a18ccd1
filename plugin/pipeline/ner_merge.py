"""Two NERs in one pipeline: the fine-tuned one decides the actors, the base one keeps everything else.

Fine-tuning a pretrained NER on a few corrected articles moves all of its
labels, not only the ones annotators corrected (catastrophic forgetting). A
retrained stancedesk pipeline therefore keeps the base ``ner`` untouched and
adds a fine-tuned copy, ``ner_actors``, in front of it:

    ... ner_actors -> stancedesk_ner_stash -> ner -> stancedesk_ner_merge ...

``stancedesk_ner_stash`` puts the fine-tuned model's PERSON/ORG/GPE aside and
clears ``doc.ents`` so the base ``ner`` predicts from scratch;
``stancedesk_ner_merge`` keeps the stashed actors and adds the base model's
other entities (DATE, NORP, ...) wherever they do not overlap one. The base
model's own actor guesses are dropped.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import filter_spans

from plugin.records import ACTOR_LABELS

FINE_TUNED_NER = "ner_actors"
STASH_KEY = "stancedesk_fine_tuned_actors"


@Language.component("stancedesk_ner_stash")
def stash_actors(doc: Doc) -> Doc:
    doc.spans[STASH_KEY] = [e for e in doc.ents if e.label_ in ACTOR_LABELS]
    doc.set_ents([], default="missing")
    return doc


@Language.component("stancedesk_ner_merge")
def merge_entities(doc: Doc) -> Doc:
    actors = list(doc.spans.get(STASH_KEY, []))
    taken = {i for s in actors for i in range(s.start, s.end)}
    others = [e for e in doc.ents if e.label_ not in ACTOR_LABELS and not any(i in taken for i in range(e.start, e.end))]
    doc.set_ents(filter_spans(actors + others), default="outside")
    return doc

