"""stancedesk_attribution: who said each claim.

The speaker is the actor mention that is the subject of the claim's reporting
verb (or the named person in apposition to a role noun: "a ministry
spokesman, Alexei Zaitsev"). Pronouns and definite descriptions ("he", "the
minister") resolve to the named person they refer to, linked to the nearest
earlier mention of that person. Unnamed sources ("a senior official") stay
unlinked. A quote with no reporting verb of its own continues the previous
claim's speaker (quotes split across sentences and paragraphs).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from plugin.pipeline import extensions
from plugin.pipeline import language
from plugin.records import ACTOR_LABELS

_ACTOR_LABELS = ACTOR_LABELS
_SUBJECT_DEPS = ("nsubj", "nsubjpass")
_CLIMB_DEPS = ("advcl", "xcomp", "conj", "pcomp", "acl")


@Language.factory("stancedesk_attribution", default_config={"max_paragraph_gap": 1})
def make_attribution(nlp: Language, name: str, max_paragraph_gap: int) -> "Attributor":
    return Attributor(max_paragraph_gap=max_paragraph_gap)


class Attributor:
    def __init__(self, *, max_paragraph_gap: int):
        self.max_paragraph_gap = max_paragraph_gap
        self.roles = language.roles()
        self.names = language.names()

    def __call__(self, doc: Doc) -> Doc:
        claims = extensions.claims(doc)
        quoted = [(c.start_char, c.end_char) for c in claims if c._.claim_kind == "direct"]
        # mentions inside quotations are people the speakers talk about, never antecedents
        actors = [e for e in doc.ents if e.label_ in _ACTOR_LABELS]
        outside = [a for a in actors if not any(s <= a.start_char < e for s, e in quoted)]
        ranges = [(c.start_char, c.end_char) for c in claims]
        previous: Span | None = None
        for claim in claims:
            ctx = _Context(actors=actors, outside_quotes=outside, claim_ranges=ranges, previous=previous)
            span = self._speaker(doc, claim, ctx)
            claim._.speaker_span = [span.start_char, span.end_char] if span is not None else None
            claim._.speaker = self.speaker_name(span) if span is not None else None
            previous = claim
        return doc

    def speaker_name(self, mention: Span) -> str:
        name = mention._.canonical or mention.text
        return self.names.metonym_to_canonical.get(mention.text, self.names.metonym_to_canonical.get(name, name))

    # -- one claim ---------------------------------------------------------
    def _speaker(self, doc: Doc, claim: Span, ctx: "_Context") -> Span | None:
        actors = ctx.actors
        if claim._.speaker_span:  # named by the construction ("according to X", "X: ...")
            return _mention_at(actors, *claim._.speaker_span)
        if claim._.speaker_token is not None:
            return self._mention_for(doc, doc[claim._.speaker_token], ctx)
        if claim._.cue is None:
            return self._continuation(doc, claim, ctx.previous, actors)
        cue = doc[claim._.cue]
        if cue.lower_ == "according":
            return None
        subject = _quoted_source(cue) or _subject_of(cue, outside=(claim.start_char, claim.end_char))
        if subject is None:
            return _nearest_before(doc, cue, ctx) if cue.pos_ in ("VERB", "AUX", "NOUN") else None
        return self._mention_for(doc, subject, ctx)

    def _mention_for(self, doc: Doc, subject: Token, ctx: "_Context", depth: int = 0) -> Span | None:
        actors = ctx.actors
        mention = _actor_containing(actors, subject.i)
        if mention is not None:
            return mention
        lower = subject.lower_
        if lower in ("who", "which", "that") and subject.head.dep_ == "relcl" and depth < 2:
            return self._mention_for(doc, subject.head.head, ctx, depth + 1)  # "Acme, which said ..."
        if lower in self.roles.person_pronouns or lower in ("him", "her"):
            return self._antecedent(subject.i, ctx, labels=("PERSON",))
        if lower in ("it", "they", "we"):
            return self._antecedent(subject.i, ctx, labels=("ORG", "GPE")) if lower == "it" else None
        named = _named_in_apposition(subject, actors)
        if named is not None:
            return named
        lemma = subject.lemma_.lower()
        owner = self._owner(subject, actors)
        if lemma in self.roles.representatives and owner is not None:
            return owner  # "Doe's lawyers said", "lawyers for Doe said": the client speaks
        if lemma in self.roles.document_nouns and depth < 2:
            return owner or self._author(doc, subject, ctx, depth)
        indefinite = any(c.lower_ in ("a", "an", "one", "another", "some", "several") for c in subject.children)
        definite = any(c.lower_ in ("the", "this", "that") for c in subject.children)
        plural = subject.tag_ in ("NNS", "NNPS")
        if lemma in self.roles.anonymous_roles and not (definite and not plural):
            return None
        if lemma in self.roles.anonymous_roles and _introduced_unnamed(doc, subject):
            return None  # "a senior official ... the official said": the same unnamed source
        if plural and lemma not in self.roles.group_nouns:
            return None
        has_owner = any(c.dep_ == "poss" for c in subject.children)
        if lemma in self.roles.person_roles:
            # "the minister", "the billionaire", "the Acme CEO": the person named before; "Ruritania's
            # envoy" or "a spokesman", never named, stays unattributed
            if has_owner or indefinite:
                return None
            return self._antecedent(subject.i, ctx, labels=("PERSON",), salient=True)
        if lemma in self.roles.group_nouns and not indefinite:
            if owner is not None and owner.label_ in ("ORG", "GPE"):
                return owner  # "Ruritania's foreign ministry", "Acme's board"
            for child in subject.children:
                if child.dep_ in ("compound", "nmod", "amod"):
                    named = _actor_containing(actors, child.i)
                    if named is not None and named.label_ in ("ORG", "GPE"):
                        return named
            if not has_owner:
                return self._antecedent(subject.i, ctx, labels=(self.roles.group_nouns[lemma],))
        return None

    @staticmethod
    def _owner(noun: Token, actors: list[Span]) -> Span | None:
        """The actor a noun belongs to: "Doe's lawyers", "the Acme report", "lawyers for Doe"."""
        for child in noun.children:
            if child.dep_ in ("poss", "compound", "nmod"):
                found = _actor_containing(actors, child.i)
                if found is not None:
                    return found
            if child.dep_ == "prep" and child.lower_ in ("for", "of", "from"):
                for obj in child.children:
                    if obj.dep_ == "pobj":
                        found = _actor_containing(actors, obj.i)
                        if found is not None:
                            return found
        return None

    def _author(self, doc: Doc, noun: Token, ctx: "_Context", depth: int) -> Span | None:
        """Who wrote "the letter" or "the suit": the latest earlier mention of such a document, and its owner, the
        one who filed or sent it ("Acme filed a suit"), or the speaker who spoke in it ("Doe said in a letter")."""
        for tok in [noun, *reversed(doc[:noun.i])]:
            if tok.lemma_.lower() != noun.lemma_.lower() or tok.pos_ != "NOUN":
                continue
            owner = self._owner(tok, ctx.actors)
            if owner is not None:
                return owner
            head = tok.head
            while tok.dep_ == "pobj" and head.dep_ in ("prep", "advmod") and head.head != head:
                head = head.head  # "tweeted ... along with a statement"
            if tok.dep_ in ("dobj", "pobj", "nsubjpass") and head.pos_ in ("VERB", "AUX"):
                subject = _subject_of(head)
                if subject is not None and subject.i != noun.i:
                    return self._mention_for(doc, subject, ctx, depth + 1)
            # "the report said" again: an earlier mention may tell whose report it is
        return None

    def _antecedent(self, before: int, ctx: "_Context", *, labels: tuple[str, ...], salient: bool = False) -> Span | None:
        """The named actor a pronoun refers to, as that actor's nearest earlier mention.

        The previous claim's speaker, if of the right kind and no other such
        subject came between; else the latest preceding subject of that kind;
        else the latest mention. Mentions inside quotations are skipped.
        """
        earlier = [a for a in ctx.outside_quotes if a.end <= before and a.label_ in labels]
        if not earlier:
            return None
        subjects = [a for a in earlier if any(t.dep_ in _SUBJECT_DEPS for t in a)]
        target = (subjects or earlier)[-1]
        if salient:
            # a description ("the billionaire", "the Acme CEO") names the person the text is most about so far
            counts = Counter(a._.canonical for a in earlier)
            best = max(counts.values())
            target = next(a for a in reversed(earlier) if counts[a._.canonical] == best)
        prev = ctx.previous
        if prev is not None and prev._.speaker_span:
            speaker = _mention_at(ctx.actors, *prev._.speaker_span)
            if speaker is not None and speaker.label_ in labels:
                # a subject inside a reported clause ("Doe said Roe must act. She added ...") does not break the chain
                between = [a for a in subjects if a.start_char > speaker.end_char and a._.canonical != speaker._.canonical
                           and not any(s <= a.start_char < e for s, e in ctx.claim_ranges)]
                if not between:
                    target = speaker
        same = [a for a in earlier if a._.canonical == target._.canonical]
        return same[-1] if same else target

    def _continuation(self, doc: Doc, claim: Span, previous: Span | None, actors: list[Span]) -> Span | None:
        """A quote with no cue of its own continues the previous claim's speaker if it is close."""
        if previous is None or not previous._.speaker_span:
            return None
        gap = doc.text[previous.end_char:claim.start_char]
        if gap.count("\n\n") + (1 if gap.count("\n") and not gap.count("\n\n") else 0) > self.max_paragraph_gap:
            return None
        # narration with a reporting verb between them breaks the chain
        between = doc.char_span(previous.end_char, claim.start_char, alignment_mode="contract")
        if between is not None and sum(1 for t in between if t.is_alpha) > 12:
            return None
        return _mention_at(actors, *previous._.speaker_span)


@dataclass(frozen=True)
class _Context:
    """What resolving one claim's speaker may look at."""

    actors: list[Span]
    outside_quotes: list[Span]  # actor mentions not inside a direct quote
    claim_ranges: list[tuple[int, int]]  # character ranges of all claims
    previous: Span | None  # the claim before this one


def _quoted_source(verb: Token) -> Token | None:
    """'TASS quoted Putin as saying' -> Putin; 'X, Sputnik reported, quoting aide Y' -> Y."""
    candidates = [verb] + [c for c in verb.children if c.dep_ in ("advcl", "conj") and c.lemma_ == "quote"]
    for tok in candidates:
        if tok.lemma_ == "quote":
            objs = [c for c in tok.children if c.dep_ == "dobj"]
            if objs:
                return objs[0]
    return None


def _subject_of(verb: Token, *, outside: tuple[int, int] | None = None) -> Token | None:
    """The subject of a reporting verb, climbing through 'declined ..., saying' and 'quoted X as saying'.

    A subject inside the claim itself (``outside``: its char range) is a misparse and skipped.
    """
    tok = verb
    for _ in range(4):
        # of two subjects ("the officer of Acme – Jane Doe – said"), the one nearest the verb
        subjects = [c for c in tok.children
                    if c.dep_ in _SUBJECT_DEPS and not (outside and outside[0] <= c.idx < outside[1] + 2)]
        if subjects:
            return min(subjects, key=lambda c: abs(c.i - tok.i))
        for child in tok.children:
            if child.dep_ == "agent":
                objs = [c for c in child.children if c.dep_ == "pobj"]
                if objs:
                    return objs[0]
        if tok.lemma_ == "quote":
            objs = [c for c in tok.children if c.dep_ == "dobj"]
            if objs:
                return objs[0]
        if tok.dep_ in _CLIMB_DEPS and tok.head != tok:
            if tok.dep_ == "acl" and tok.head.pos_ in ("NOUN", "PROPN"):
                return tok.head  # "a statement saying ...", "Acme, saying ...": the noun speaks
            tok = tok.head
            if tok.lemma_ == "quote" or tok.pos_ in ("VERB", "AUX"):
                continue
            # "as saying" hangs off a preposition under "quoted"
            if tok.dep_ == "prep" and tok.head.lemma_ == "quote":
                tok = tok.head
                continue
        elif tok.dep_ == "pcomp" or tok.dep_ == "prep":
            tok = tok.head
            continue
        break
    return None


def _introduced_unnamed(doc: Doc, noun: Token) -> bool:
    """Whether the text met this role noun before as an unnamed source ("a senior official", "an aide")."""
    lemma = noun.lemma_.lower()
    return any(t.lemma_.lower() == lemma and any(c.lower_ in ("a", "an") for c in t.children) for t in doc[:noun.i])


def _nearest_before(doc: Doc, verb: Token, ctx: "_Context") -> Span | None:
    """A speech verb the parser left without a subject ("In a series of posts, Jane Doe, who ..., said ..."):
    the nearest person or organisation before it in its sentence, outside quotes and claims, that is no
    preposition's object."""
    start = verb.sent.start
    for a in reversed(ctx.outside_quotes):
        if a.end > verb.i or a.start < start or a.label_ == "GPE":
            continue
        if any(s <= a.start_char < e for s, e in ctx.claim_ranges) or a.root.dep_ in ("pobj", "poss", "dobj"):
            continue
        return a
    return None


def _actor_containing(actors: list[Span], i: int) -> Span | None:
    for a in actors:
        if a.start <= i < a.end:
            return a
    return None


def _mention_at(actors: list[Span], start: int, end: int) -> Span | None:
    for a in actors:
        if a.start_char < end and start < a.end_char:
            return a
    return None


def _named_in_apposition(subject: Token, actors: list[Span]) -> Span | None:
    """'Alexei Zaitsev, a ministry spokesman' / 'a ministry spokesman, Alexei Zaitsev' / 'spokesman Peskov'."""
    for child in subject.children:
        if child.dep_ in ("appos", "compound", "flat", "npadvmod"):
            for tok in child.subtree:
                a = _actor_containing(actors, tok.i)
                if a is not None and a.label_ == "PERSON":
                    return a
    if subject.dep_ == "appos":
        a = _actor_containing(actors, subject.head.i)
        if a is not None and a.label_ == "PERSON":
            return a
    return None
