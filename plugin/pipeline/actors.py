"""stancedesk_actors: PERSON/ORG/GPE mentions repaired to the annotation scheme.

Runs after the statistical NER (and the actor entity ruler before it). It fixes
span boundaries (no leading "the", no titles, no possessive), splits photo
credits ("Name/Agency"), makes the labels of one name consistent inside a
document (a surname gets the label of its full name), adds missed mentions of
names the document already knows, drops mentions on boilerplate lines, and sets
``span._.canonical`` on every actor.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from plugin.pipeline import extensions
from plugin.pipeline import language
from plugin.records import ACTOR_LABELS

_POSSESSIVE = {"'s", "\u2019s", "'", "\u2019"}
_BAD_CHARS = ("@", "http", "www.", "pic.twitter")
_SPLITTERS = {"/", "|", "via"}


@Language.factory(
    "stancedesk_actors",
    default_config={"labels": list(ACTOR_LABELS)},
)
def make_actors(nlp: Language, name: str, labels: list[str]) -> "ActorRepairer":
    return ActorRepairer(labels=labels)


class ActorRepairer:
    """Repairs and canonicalises actor entities in place."""

    def __init__(self, *, labels: list[str]):
        self.labels = frozenset(labels)
        self.names = language.names()
        self.roles = language.roles()

    def __call__(self, doc: Doc) -> Doc:
        kept: list[Span] = []
        actors: list[Span] = []
        for ent in doc.ents:
            if ent.label_ not in self.labels:
                kept.append(ent)
                continue
            for part in self._split(ent):
                repaired = self._repair(part)
                if repaired is not None and not extensions.in_boilerplate(doc, repaired.start_char):
                    actors.append(repaired)
        actors = self._harmonise(doc, actors)
        # actor spans win over the other labels where they overlap
        doc.ents = filter_spans(actors + kept)
        set_canonical_names(doc, [e for e in doc.ents if e.label_ in self.labels], self.names)
        return doc

    # -- one mention -----------------------------------------------------
    def _split(self, ent: Span) -> list[Span]:
        """Split "Mikhail Svetlov/Getty Images" into its parts."""
        parts, start = [], ent.start
        for tok in ent:
            if tok.text in _SPLITTERS:
                if tok.i > start:
                    parts.append(Span(ent.doc, start, tok.i, label=ent.label))
                start = tok.i + 1
        if start == ent.start:
            return [ent]
        if start < ent.end:
            parts.append(Span(ent.doc, start, ent.end, label=ent.label))
        # the parts after a credit separator are agencies unless known otherwise
        return [p if i == 0 else Span(p.doc, p.start, p.end, label="ORG") for i, p in enumerate(parts)]

    def _repair(self, ent: Span) -> Span | None:
        doc, start, end = ent.doc, ent.start, ent.end
        known = self.names.known_labels
        if ent.text in self.names.keep_article:
            return Span(doc, start, end, label=known.get(ent.text, ent.label_))
        while start < end and doc[start].lower_ in ("the", "a", "an") and doc[start:end].text not in self.names.keep_article:
            start += 1
        while end > start and (doc[end - 1].text in _POSSESSIVE or doc[end - 1].is_punct):
            end -= 1
        while end - start > 1 and doc[end - 1].text in self.names.trailing_generic:
            end -= 1
        while start < end and doc[start].is_punct:
            start += 1
        label = ent.label_
        if label == "PERSON":
            while end - start > 1 and self._is_title(doc[start]):
                start += 1
        if start >= end:
            return None
        span = doc[start:end]
        text = span.text
        if text in self.names.not_actors or any(b in text.lower() for b in _BAD_CHARS):
            return None
        if text.islower() and text not in self.names.alias_to_canonical:
            return None
        if label == "PERSON" and self._is_title(span[-1]):
            return None
        label = known.get(text, label)
        if text not in known and label in ("GPE", "ORG") and len(span) == 1 and text[:1].isupper() \
                and text.lower().endswith(self.names.demonym_endings):
            return None  # a nationality adjective ("Ukrainian"), not an actor
        if label == "GPE" and self._names_document(doc, end):
            return None  # "Minsk agreements", "Munich Security Conference"
        return Span(doc, start, end, label=label)

    def _names_document(self, doc: Doc, end: int) -> bool:
        nouns = self.names.document_nouns
        for offset in (0, 1):
            i = end + offset
            if i >= len(doc):
                return False
            if doc[i].text in nouns:
                return True
            if not doc[i].text[:1].isupper():
                return False
        return False

    def _is_title(self, tok) -> bool:
        return (
            tok.text in self.roles.title_words
            or tok.text.rstrip(".") in self.roles.title_words
            or tok.is_lower
            or tok.pos_ == "ADJ"
            or tok.ent_type_ == "NORP"
        )

    # -- the document ----------------------------------------------------
    def _harmonise(self, doc: Doc, actors: list[Span]) -> list[Span]:
        """One label per name in a document; surnames of known people are PERSON."""
        known = self.names.known_labels
        people = {e.text for e in actors if e.label_ == "PERSON" and len(e) >= 2}
        surnames = {e[-1].text for e in actors if e.label_ == "PERSON" and len(e) >= 2}
        votes: dict[str, Counter] = defaultdict(Counter)
        for e in actors:
            votes[e.text][e.label_] += 1
        out = []
        for e in actors:
            if e.text in known:
                label = known[e.text]
            elif e.text in surnames or e.text in people:
                label = "PERSON"
            else:
                label = votes[e.text].most_common(1)[0][0]
            out.append(Span(doc, e.start, e.end, label=label) if label != e.label_ else e)
        # mentions of known surnames that the model missed
        covered = {i for e in out for i in range(e.start, e.end)}
        for tok in doc:
            if (
                tok.i not in covered
                and tok.text in surnames
                and tok.text[:1].isupper()
                and not extensions.in_boilerplate(doc, tok.idx)
                and not (tok.i > 0 and doc[tok.i - 1].text[:1].isupper() and doc[tok.i - 1].is_alpha and tok.i - 1 not in covered and not doc[tok.i - 1].is_sent_start)
            ):
                out.append(Span(doc, tok.i, tok.i + 1, label="PERSON"))
        return out


def set_canonical_names(doc: Doc, actors: list[Span], names: language.NameData) -> None:
    """Set ``span._.canonical``: one name per actor inside the document.

    A surname-only or partial mention takes the longest full name of the
    document that ends with it ("Putin" -> "Vladimir Putin"); spelling variants
    and abbreviations go through the alias table ("U.S." -> "United States").
    """
    full_by_last: dict[str, str] = {}
    for e in actors:
        if e.label_ == "PERSON" and len(e) >= 2:
            name = canonical_form(e.text, names)
            last = e[-1].text
            if len(name) > len(full_by_last.get(last, "")):
                full_by_last[last] = name
    for e in actors:
        if e.label_ == "PERSON":
            e._.canonical = canonical_form(full_by_last.get(e[-1].text, e.text), names)
        else:
            e._.canonical = canonical_form(e.text, names)


def canonical_form(text: str, names: language.NameData) -> str:
    text = " ".join(text.split())
    return names.alias_to_canonical.get(text, text)
