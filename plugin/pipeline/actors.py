"""stancedesk_actors: PERSON/ORG/GPE mentions repaired to the annotation scheme.

Runs after the statistical NER (and the actor entity ruler before it). It fixes
span boundaries (no leading "the", no titles, no possessive), splits photo
credits ("Name/Agency"), makes the labels of one name consistent inside a
document (a surname gets the label of its full name), adds missed mentions of
names the document already knows, drops mentions on boilerplate lines, and sets
``span._.canonical`` on every actor.

A story's own names (``ActorNames``: its file's [actors] table and the names its
annotators taught it) are given with ``configure`` or per call
(``nlp.pipe(..., component_cfg={"stancedesk_actors": {"names": names}})``, so one
pipeline serves several stories). They win over the statistical model: every
mention of a story name gets the story's label and span.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from types import MappingProxyType
from typing import Mapping

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span, Token
from spacy.util import filter_spans

from plugin.pipeline import extensions
from plugin.pipeline import language
from plugin.pipeline.quotes import find_signatures
from plugin.records import ACTOR_LABELS, ActorNames

_POSSESSIVE = {"'s", "\u2019s", "'", "\u2019"}
_BAD_CHARS = ("@", "http", "www.", "pic.twitter")
_SPLITTERS = {"/", "|", "via"}
_HYPHENS = {"-", "\u2013"}
_DETERMINERS = {"the", "our", "its", "their", "his", "her", "this", "that", "a", "an", "your", "my"}
_NAME_PARTICLES = {"of", "the", "for", "and", "in", "on", "de", "du", "la", "le", "von", "van", "der", "den", "al", "bin", "y", "da"}


@Language.factory(
    "stancedesk_actors",
    default_config={"labels": list(ACTOR_LABELS)},
)
def make_actors(nlp: Language, name: str, labels: list[str]) -> "ActorRepairer":
    return ActorRepairer(nlp, labels=labels)


class ActorRepairer:
    """Repairs and canonicalises actor entities in place."""

    def __init__(self, nlp: Language, *, labels: list[str]):
        self.vocab = nlp.vocab
        self.tokenizer = nlp.tokenizer
        self.labels = frozenset(labels)
        self.names = language.names()
        self.roles = language.roles()
        self.story_names = ActorNames()
        self._matchers: dict[tuple, PhraseMatcher] = {}

    def configure(self, names: ActorNames) -> None:
        """Use these story names when a call gives none."""
        self.story_names = names

    def __call__(self, doc: Doc, names: ActorNames | None = None) -> Doc:
        names = self.story_names if names is None else names
        # names whose label is only a guess find missed mentions but relabel nothing the model tagged
        known = {**self.names.known_labels, **{k: v for k, v in names.labels.items() if k not in names.guessed}}
        not_actors = self.names.not_actors | names.not_actors
        kept: list[Span] = []
        actors: list[Span] = []
        for ent in doc.ents:
            if ent.label_ not in self.labels:
                kept.append(ent)
                continue
            for part in self._split(ent, known):
                repaired = self._repair(part, known, not_actors)
                if repaired is not None and not extensions.in_boilerplate(doc, repaired.start_char):
                    actors.append(repaired)
        strings = doc.vocab.strings
        words = [strings[orth] for orth in doc.to_array("ORTH").tolist()]  # faster than making every Token
        lower_words = {w for w in words if w.islower()}
        if any(w.startswith("@") for w in words):
            actors += self._signature_names(doc, actors, known)
        actors = [a for a in actors if not self._generic_or_embedded(doc, a, known, lower_words)]
        if names.labels:
            actors = self._story_mentions(doc, actors, names, known)
        actors = self._harmonise(doc, actors, known, words, lower_words)
        # actor spans win over the other labels where they overlap
        doc.ents = filter_spans(actors + kept)
        set_canonical_names(doc, [e for e in doc.ents if e.label_ in self.labels], self.names, names.canonical)
        return doc

    # -- the story's names ------------------------------------------------
    def _matcher(self, names: ActorNames) -> PhraseMatcher:
        key = names.fingerprint()
        matcher = self._matchers.get(key)
        if matcher is None:
            if len(self._matchers) > 32:
                self._matchers.clear()
            matcher = PhraseMatcher(self.vocab, attr="ORTH")
            for text, label in names.labels.items():
                if not text[:1].isupper() and not text[:1].isdigit():
                    continue  # "the Russian Federation": an alias for canonical names only
                forms = {text, text.upper()} if len(text) > 3 else {text}
                matcher.add(label, [self.tokenizer(form) for form in forms])
            self._matchers[key] = matcher
        return matcher

    def _story_mentions(self, doc: Doc, actors: list[Span], names: ActorNames, known: Mapping[str, str]) -> list[Span]:
        """Every mention of a story name, with the story's label; a story name wins over a model entity that
        crosses it or lies inside it, and relabels one of the same extent. A longer model entity holding the
        name ("Acme Holdings" around "Acme") is kept."""
        matches = [Span(doc, s, e, label=self.vocab.strings[m]) for m, s, e in self._matcher(names)(doc)]
        out = list(actors)
        for m in sorted(filter_spans(matches), key=lambda sp: sp.start):
            if m.text in names.not_actors or extensions.in_boilerplate(doc, m.start_char):
                continue
            overlapping = [a for a in out if a.start < m.end and m.start < a.end]
            if m.text in names.guessed and any((a.start, a.end) == (m.start, m.end) for a in overlapping):
                continue  # a guessed label relabels no mention the model tagged
            if any(a.start <= m.start and m.end <= a.end and (a.start, a.end) != (m.start, m.end)
                   and self._longer_name(a, m) for a in overlapping):
                continue  # inside a longer name the model found ("Acme Holdings" around "Acme")
            if not overlapping:
                m = self._free_mention(doc, m, known)
            if m is not None:
                m = self._repair(m, known, names.not_actors | self.names.not_actors)
            if m is not None:
                out = [a for a in out if a not in overlapping] + [m]
        return out

    @staticmethod
    def _signature_names(doc: Doc, actors: list[Span], known: Mapping[str, str]) -> list[Span]:
        """The author's display name in an embedded post's signature ("— Jane Doe (@janedoe) April 5, 2022")."""
        out = []
        for sig in find_signatures(doc.text):
            span = doc.char_span(sig.name_start, sig.name_end, alignment_mode="contract")
            if span is not None and len(span) and not any(a.start < span.end and span.start < a.end for a in actors):
                out.append(Span(doc, span.start, span.end, label=known.get(span.text, "PERSON")))
        return out

    def _generic_or_embedded(self, doc: Doc, ent: Span, known: Mapping[str, str], lower_words: set[str]) -> bool:
        """A one-word mention that is a common noun written with a capital ("the Board", when the text also
        says "the board"), or a word of a longer capitalised name the model did not tag ("Acme Blue", a product)."""
        if len(ent) != 1:
            return False
        tok = ent[0]
        if tok.text not in known and tok.lower_ in lower_words and tok.i > 0 and doc[tok.i - 1].lower_ in _DETERMINERS:
            return True
        if ent.label_ == "ORG" and ent.end < len(doc) and self._capitalised_word(doc[ent.end], known) \
                and doc[ent.end].ent_type_ == "" and not doc[ent.end].is_sent_start:
            return True
        return False

    @staticmethod
    def _longer_name(longer: Span, inner: Span) -> bool:
        """Whether the words around ``inner`` make ``longer`` one name ("US Senate", "Acme Inc.") rather than a
        model's run-on ("Acme on a screen", "Acme & Ruritania", a line break, "Internal Market Jane Doe": a
        person's name closing an organisation's)."""
        if inner.label_ == "PERSON" and longer.label_ != "PERSON" and inner.end == longer.end:
            return False
        for tok in longer:
            if inner.start <= tok.i < inner.end:
                continue
            if tok.is_space or "\n" in tok.text_with_ws[:-1] or tok.text in ("&", ",", ";", "/"):
                return False
            if tok.is_alpha and tok.is_lower and tok.text not in _NAME_PARTICLES:
                return False
        return True

    def _free_mention(self, doc: Doc, m: Span, known: Mapping[str, str]) -> Span | None:
        """A story name the model did not tag at all: part of a longer capitalised name ("Acme Blue", a product)
        is no mention; a first name before a story surname joins it ("Jane" + "Doe")."""
        start, end = m.start, m.end
        if end < len(doc) and m.label_ == "ORG" and doc[end].text in self.names.org_suffixes:
            end += 1
        if m.text.isupper():
            return Span(doc, start, end, label=m.label_)  # a headline in capitals: every word is capitalised
        if end < len(doc) and self._capitalised_word(doc[end], known):
            return None
        if start > 0 and self._capitalised_word(doc[start - 1], known) and not doc[start - 1].is_sent_start:
            if m.label_ != "PERSON":
                return None
            start -= 1
        return Span(doc, start, end, label=m.label_)

    def _inside_longer_name(self, doc: Doc, start: int, end: int, known: Mapping[str, str], covered: set[int]) -> bool:
        """Whether untagged capitalised words stand right before or after ``doc[start:end]`` (part of a longer
        name the model missed); a headline in capitals never is."""
        if doc[start:end].text.isupper():
            return False
        if end < len(doc) and end not in covered and self._capitalised_word(doc[end], known):
            return True
        return start > 0 and (start - 1) not in covered and not doc[start].is_sent_start \
            and self._capitalised_word(doc[start - 1], known)

    def _capitalised_word(self, tok: Token, known: Mapping[str, str]) -> bool:
        """A capitalised word that is no title or role ("Mr", "CEO") and no name of its own."""
        return (tok.is_alpha and tok.text[:1].isupper() and not tok.is_upper or tok.text.isupper() and len(tok) > 1 and tok.is_alpha) \
            and not self._is_title(tok) and tok.lower_ not in self.roles.person_roles and tok.text not in known

    # -- one mention -----------------------------------------------------
    def _split(self, ent: Span, known: Mapping[str, str]) -> list[Span]:
        """Split "Mikhail Svetlov/Getty Images" into its parts, and "Acme-Ruritania" where both are known names."""
        if ent.text not in known:
            for tok in ent:
                if tok.text in _HYPHENS and ent.start < tok.i < ent.end - 1:
                    left, right = ent.doc[ent.start:tok.i], ent.doc[tok.i + 1:ent.end]
                    if left.text in known and right.text in known:
                        return [Span(ent.doc, left.start, left.end, label=known[left.text]),
                                Span(ent.doc, right.start, right.end, label=known[right.text])]
        for tok in ent[1:-1]:
            if tok.text in _POSSESSIVE and tok.nbor(1).text[:1].isupper():  # "Doe's Acme": the owner and the owned
                left, right = ent.doc[ent.start:tok.i], ent.doc[tok.i + 1:ent.end]
                return [Span(ent.doc, left.start, left.end, label=known.get(left.text, ent.label_)),
                        Span(ent.doc, right.start, right.end, label=known.get(right.text, "ORG"))]
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

    def _repair(self, ent: Span, known: Mapping[str, str], not_actors: frozenset[str]) -> Span | None:
        doc, start, end = ent.doc, ent.start, ent.end
        if ent.text in self.names.keep_article:
            return Span(doc, start, end, label=known.get(ent.text, ent.label_))
        while start < end and doc[start].lower_ in ("the", "a", "an") and doc[start:end].text not in self.names.keep_article:
            start += 1
        while end > start and (doc[end - 1].text in _POSSESSIVE or doc[end - 1].is_punct or doc[end - 1].is_space):
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
        if label == "ORG" and end < len(doc) and doc[end].text in self.names.org_suffixes:
            end += 1  # "Acme Inc."
        span = doc[start:end]
        text = span.text
        if text in not_actors or any(b in text.lower() for b in _BAD_CHARS):
            return None
        if text.islower() and text not in self.names.alias_to_canonical:
            return None
        if label == "PERSON" and self._is_title(span[-1]) and (len(span) == 1 or self._is_title(span[-2])):
            return None  # a title alone ("Prime Minister"), not a name ending in one ("Stephen King")
        if label == "ORG" and len(span) >= 2 and span[-1].text in self.names.document_nouns and span[-1].text[:1].isupper():
            return None  # a law or document ("Digital Services Act"), not an organisation
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
    def _harmonise(self, doc: Doc, actors: list[Span], known: Mapping[str, str], words: list[str],
                   lower_words: set[str]) -> list[Span]:
        """One label per name in a document; surnames of known people are PERSON; a name followed by a company
        word ("Acme CEO", "Acme shares") is an organisation."""
        people = {e.text for e in actors if e.label_ == "PERSON" and len(e) >= 2}
        surnames = {e[-1].text for e in actors if e.label_ == "PERSON" and len(e) >= 2}
        surnames |= {e[0].text for e in actors if e.label_ == "PERSON" and len(e) >= 2 and len(e[0]) > 2 and e[0].is_alpha}
        votes: dict[str, Counter] = defaultdict(Counter)
        for e in actors:
            votes[e.text][e.label_] += 1
            if len(e) == 1 and e.end < len(doc) and doc[e.end].lower_ in self.roles.org_heads and e.text not in surnames:
                votes[e.text]["ORG"] += 3
        out = []
        for e in actors:
            if e.text in known:
                label = known[e.text]
            elif e.text in surnames or e.text in people:
                label = "PERSON"
            else:
                label = votes[e.text].most_common(1)[0][0]
            out.append(Span(doc, e.start, e.end, label=label) if label != e.label_ else e)
        return self._propagate(doc, out, known, words, lower_words)

    def _propagate(self, doc: Doc, actors: list[Span], known: Mapping[str, str], words: list[str],
                   lower_words: set[str]) -> list[Span]:
        """Mentions the model missed of names the document already has: the same words (or in capitals), a
        known person's surname, or first name on its own. A one-word name that the document also uses as a
        lower-case word ("Board" / "board") is not spread."""
        forms: dict[tuple[str, ...], str] = {}
        for e in actors:
            form = tuple(words[e.start:e.end])
            if len(form) == 1 and (form[0].lower() in lower_words or not form[0][:1].isupper()):
                continue
            forms.setdefault(form, e.label_)
            if any(c.islower() for c in e.text):
                forms.setdefault(tuple(w.upper() for w in form), e.label_)
            if e.label_ == "PERSON" and len(e) >= 2:
                # a surname may be a title word ("Stephen King" -> "King"); a first name may not
                for part, title_ok in ((e[-1], True), (e[0], False)):
                    if part.is_alpha and part.text[:1].isupper() and len(part) > 2 and (title_ok or not self._is_title(part)):
                        forms[(part.text,)] = "PERSON"
                        forms.setdefault((part.text.upper(),), "PERSON")
        if not forms:
            return actors
        lengths: dict[str, list[int]] = defaultdict(list)  # first word -> lengths of the forms it starts, longest first
        for form in sorted(forms, key=len, reverse=True):
            lengths[form[0]].append(len(form))
        covered = {i for e in actors for i in range(e.start, e.end)}
        out = list(actors)
        i = 0
        while i < len(doc):
            for n in lengths.get(words[i], ()):
                label = forms.get(tuple(words[i:i + n]))
                if label is None or any(j in covered for j in range(i, i + n)) or extensions.in_boilerplate(doc, doc[i].idx):
                    continue
                if self._inside_longer_name(doc, i, i + n, known, covered):
                    continue
                out.append(Span(doc, i, i + n, label=label))
                covered.update(range(i, i + n))
                i += n - 1
                break
            i += 1
        return out


def set_canonical_names(doc: Doc, actors: list[Span], names: language.NameData, story: Mapping[str, str] = MappingProxyType({})) -> None:
    """Set ``span._.canonical``: one name per actor inside the document.

    A surname-only or partial mention takes the longest full name of the
    document that ends with it ("Putin" -> "Vladimir Putin"); spelling variants
    and abbreviations go through the alias table ("U.S." -> "United States").
    """
    full_by_last: dict[str, str] = {}
    for e in actors:
        if e.label_ == "PERSON" and len(e) >= 2:
            name = canonical_form(e.text, names, story)
            last = e[-1].text
            if len(name) > len(full_by_last.get(last, "")):
                full_by_last[last] = name
    for e in actors:
        if e.label_ == "PERSON":
            e._.canonical = canonical_form(full_by_last.get(e[-1].text, e.text), names, story)
        else:
            e._.canonical = canonical_form(e.text, names, story)


def canonical_form(text: str, names: language.NameData, story: Mapping[str, str] = MappingProxyType({})) -> str:
    """A mention's canonical name: the story's aliases first, then the general ones."""
    text = " ".join(text.split())
    text = story.get(text, text)
    return names.alias_to_canonical.get(text, text)
