"""stancedesk_claims: direct quotes and reported speech as claim spans.

Direct claims come from quotation marks (``quotes.find_quotes``); indirect
claims from reporting verbs with a clausal complement ("said the talks should
not drag on"), speech acts with an object ("called for urgent talks", "urged
Russia to return"), "according to X, ..." and "Name: ..." lines. Each claim
records its cue (the reporting verb) and, where the construction names it, the
speaker; ``stancedesk_attribution`` resolves the rest.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from plugin.pipeline import extensions
from plugin.pipeline import language
from plugin.records import ACTOR_LABELS
from plugin.pipeline.quotes import DOUBLE_MARKS, Quote, find_quotes, find_signatures

_SUBJECTS = ("nsubj", "nsubjpass")
_CLAUSE_DEPS = ("ccomp",)
_EDGE_TRIM = set(DOUBLE_MARKS) | {"\u2018", "\u2019", ",", ";", ":", ".", "\u2014", "\u2013", "-", "(", ")"}
_KEEP_FINAL = {".", "?", "!", "\u2026"}
_REASON_MARKS = {"because", "if", "unless"}  # a reason or condition stays inside the reported clause
_QUOTE_MARKS = set(DOUBLE_MARKS) | {"\u2018", "\u2019", "'"}
_ACTOR_LABELS = ACTOR_LABELS


@dataclass
class Candidate:
    start: int  # char offsets of the claim
    end: int
    kind: str  # "direct" | "indirect"
    cue: int | None = None  # token index of the reporting verb
    speaker_span: tuple[int, int] | None = None  # set when the construction names the speaker
    speaker_token: int | None = None  # the noun phrase naming the speaker ("according to him")
    from_object: bool = False  # a speech act's noun-phrase object ("called the talks 'useful'")


@Language.factory("stancedesk_claims", default_config={})
def make_claims(nlp: Language, name: str) -> "ClaimFinder":
    return ClaimFinder()


class ClaimFinder:
    def __init__(self) -> None:
        self.speech = language.speech()

    def __call__(self, doc: Doc) -> Doc:
        view = _View(doc)
        quotes = [q for q in find_quotes(view.text) if not view.in_boilerplate(q.start)]
        in_quote = _char_mask(len(view.text), quotes)
        direct = [c for q in quotes if (c := self._direct(doc, q, in_quote, view)) is not None]
        direct += [Candidate(sig.start, sig.end, "direct", speaker_span=(sig.name_start, sig.name_end))
                   for sig in find_signatures(view.text) if not view.in_boilerplate(sig.start)]
        indirect = self._indirect(doc, in_quote, view)
        claims = _resolve_overlaps(view.text, direct, indirect)
        doc.spans[extensions.CLAIMS_KEY] = []
        spans = []
        for c in claims:
            span = doc.char_span(c.start, c.end, alignment_mode="expand")
            if span is None:
                continue
            spans.append(span)
        doc.spans[extensions.CLAIMS_KEY] = spans
        for c, span in zip(claims, spans):
            span._.claim_kind = c.kind
            span._.cue = c.cue
            span._.speaker_span = list(c.speaker_span) if c.speaker_span else None
            span._.speaker_token = c.speaker_token
        return doc

    # -- direct ------------------------------------------------------------
    def _direct(self, doc: Doc, q: Quote, in_quote: list[bool], view: "_View") -> Candidate | None:
        span = doc.char_span(q.start, q.end, alignment_mode="expand")
        if span is None:
            return None
        words = sum(1 for t in span if t.is_alpha)
        colon_speaker = _colon_speaker(view, q.start)
        owner = None if colon_speaker else self._owner_of_quoted_words(doc, q, view)
        cue = None if colon_speaker or owner is not None else \
            self._governing_verb(span, in_quote) or self._adjacent_cue(doc, q, in_quote, view)
        if words < self.speech.min_words_free_quote and cue is None and colon_speaker is None and owner is None \
                and not _continues_a_quote(view.text, q):
            return None  # a scare quote in the reporter's narration
        return Candidate(
            q.start, q.end, "direct",
            cue=cue.i if cue is not None else None,
            speaker_span=colon_speaker if cue is None else None,
            speaker_token=owner,
        )

    def _owner_of_quoted_words(self, doc: Doc, q: Quote, view: "_View") -> int | None:
        """'Doe's “all is well” tweet': words quoted as a post, remark or statement of someone named — the token
        of that someone (the possessor of the noun right after the quote)."""
        after = view.token_at(q.end)
        while after < len(doc) and (doc[after].is_punct or doc[after].is_space):
            after += 1
        if after >= len(doc) or doc[after].lemma_.lower() not in self.speech.speech_events or doc[after].pos_ != "NOUN":
            return None
        for child in doc[after].children:
            if child.dep_ == "poss" and view.actor_containing(child.i) is not None:
                return child.i
        return None

    def _is_reporting(self, tok: Token, *, with_clause: bool = False) -> bool:
        if tok.lemma_.lower() not in self.speech.reporting_verbs or tok.pos_ not in ("VERB", "AUX"):
            return False
        return with_clause or tok.lemma_.lower() not in self.speech.complement_only

    def _governing_verb(self, span: Span, in_quote: list[bool]) -> Token | None:
        """A reporting verb outside the quote of which the quote is (part of) the complement or object."""
        root = span.root
        below = root  # the node on the path right under ``anc``
        for anc in root.ancestors:
            if in_quote[anc.idx]:
                below = anc
                continue
            if self._is_reporting(anc):
                # a quote inside the subject ("an officer of one of the 'big four' agencies said") is not said
                return None if below.dep_ in _SUBJECTS else anc
            below = anc
            if anc.pos_ == "VERB" and anc.dep_ not in ("xcomp", "conj", "prep", "pobj"):
                return None
        return None

    def _adjacent_cue(self, doc: Doc, q: Quote, in_quote: list[bool], view: "_View") -> Token | None:
        """The reporting verb next to a quote: after it in the same sentence ("...,” Peskov said"),
        else before it in the same sentence ("Putin said: “...”")."""
        text = view.text
        ends_sentence = text[q.start:q.end].rstrip()[-1:] in _KEEP_FINAL
        for tok in doc[view.token_at(q.end):]:
            if tok.idx < q.end:
                continue
            if in_quote[tok.idx] or "\n" in tok.text or tok.text in _KEEP_FINAL or tok.is_space and "\n" in tok.text_with_ws:
                break
            if self._is_reporting(tok):
                own_clause = any(c.dep_ in _CLAUSE_DEPS for c in tok.children)
                if ends_sentence and own_clause or _inside_subject_of(tok, doc[view.token_at(q.start)]):
                    break
                return tok
        first = view.token_at(q.start)
        for tok in reversed(doc[:first]):
            if tok.idx + len(tok) > q.start:
                continue
            if in_quote[tok.idx] or "\n" in tok.text or tok.text in _KEEP_FINAL:
                break
            if self._is_reporting(tok):
                return tok
            if tok.lemma_.lower() in self.speech.reporting_verbs and tok.lower_.endswith("ing") \
                    and all(t.is_punct for t in doc[tok.i + 1:first]):
                return tok  # "..., writing, “...”": a participle the tagger took for a noun
        return None

    # -- indirect ----------------------------------------------------------
    def _indirect(self, doc: Doc, in_quote: list[bool], view: "_View") -> list[Candidate]:
        out: list[Candidate] = []
        verbs = self.speech.reporting_verbs | self.speech.clause_noun_verbs
        for tok in doc:
            according = tok.lower_ == "according"
            if not according and tok.lemma_.lower() not in verbs:
                continue
            if in_quote[tok.idx] or view.in_boilerplate(tok.idx):
                continue
            if according:
                c = self._according_to(doc, tok, view) if any(ch.lower_ == "to" for ch in tok.children) else None
            elif any(child.dep_ == "neg" for child in tok.children):
                c = None  # "did not say which ...": nothing was claimed
            elif self._is_reporting(tok, with_clause=True):
                c = self._reported_clause(doc, tok, view) or self._object_claim(doc, tok, view)
            elif tok.pos_ == "VERB":
                c = self._reported_clause(doc, tok, view, nouns_only=True)
            else:
                c = None
            if c is not None:
                out.append(c)
        out.extend(self._headline_claims(doc, in_quote, view))
        return out

    def _reported_clause(self, doc: Doc, verb: Token, view: "_View", *, nouns_only: bool = False) -> Candidate | None:
        comps = [] if nouns_only else [c for c in verb.children if c.dep_ in _CLAUSE_DEPS]
        if not comps:
            # "expressed confidence that X", "shared the view that X"
            for obj in verb.children:
                if obj.dep_ == "dobj" and obj.lemma_.lower() in self.speech.clause_nouns:
                    comps = [c for c in obj.children if c.dep_ in ("ccomp", "acl", "relcl")
                             and any(m.lower_ == "that" and m.dep_ == "mark" for m in c.children)]
                    if comps:
                        break
        if not comps:
            # "said in a report that X": the that-clause hangs off the report
            for prep in verb.children:
                if prep.dep_ == "prep" and prep.lower_ in ("in", "on", "during"):
                    for obj in prep.children:
                        if obj.dep_ == "pobj" and obj.lemma_.lower() in self.speech.speech_events:
                            comps = [c for c in obj.children if c.dep_ in ("ccomp", "acl", "relcl")
                                     and any(m.lower_ == "that" and m.dep_ == "mark" for m in c.children)]
        if not comps:
            return None
        comp = comps[0]
        tokens = self._cut_asides(comp, list(comp.subtree))
        return _candidate_from_tokens(view.text, tokens, "indirect", cue=verb.i)

    def _object_claim(self, doc: Doc, verb: Token, view: "_View") -> Candidate | None:
        preps = self.speech.object_claim_verbs.get(verb.lemma_.lower())
        if preps is None:
            return None
        right = [c for c in verb.rights if c.dep_ not in ("punct", "cc", "conj", "advmod", "npadvmod", "advcl", "nsubj")]
        start_tok: Token | None = None
        for child in right:
            if child.dep_ in ("dobj", "xcomp", "attr", "oprd") or (child.dep_ == "prep" and child.lower_ in preps):
                start_tok = child
                break
        if start_tok is None:
            return None
        roles = language.roles()
        if start_tok.dep_ == "dobj" and verb.lemma_.lower() not in self.speech.demand_verbs \
                and start_tok.lemma_.lower() in roles.anonymous_roles | roles.person_roles:
            return None  # "citing people familiar with the matter": a source, not a claim
        if start_tok.dep_ == "prep":
            objs = [c for c in start_tok.children if c.dep_ in ("pobj", "pcomp")]
            if not objs:
                return None
            first = objs[0].left_edge
        else:
            first = start_tok.left_edge
        if start_tok.dep_ == "xcomp" and first.lower_ == "to":  # "threatened to take ..." -> "take ..."
            first = first.nbor(1)
        last = max((c.right_edge for c in right if c.i >= start_tok.i and c.dep_ not in ("advcl",)), key=lambda t: t.i)
        tokens = self._cut_asides(verb, list(doc[first.i:last.i + 1]))
        words = sum(1 for t in tokens if t.is_alpha)
        if words < 2:
            return None
        if verb.lemma_.lower() not in self.speech.demand_verbs and words <= self.speech.max_words_naming_object \
                and not any(t.pos_ in ("VERB", "AUX") or t.text in _QUOTE_MARKS for t in tokens):
            return None  # "revealed a stake", "welcomed the move": the object only names something
        c = _candidate_from_tokens(view.text, tokens, "indirect", cue=verb.i)
        if c is not None:
            c.from_object = True
        return c

    def _according_to(self, doc: Doc, according: Token, view: "_View") -> Candidate | None:
        to = next(c for c in according.children if c.lower_ == "to")
        objs = [c for c in to.children if c.dep_ == "pobj"]
        if not objs:
            return None
        source = objs[0]
        speaker = _actor_in(view, source)
        roles = language.roles()
        named_by_role = source.lemma_.lower() in roles.person_roles or source.lemma_.lower() in self.speech.according_sources
        pronoun = source.lower_ in roles.person_pronouns or source.lower_ in ("them", "it")
        if speaker is None and not named_by_role and not pronoun:
            return None  # "according to estimates": not a speaker
        head = according.head
        if head == according or head.pos_ not in ("VERB", "AUX"):
            return None
        if self._is_reporting(head, with_clause=True):
            return None  # "Putin said, according to RIA": the source of a report, not a claim of its own
        excluded = set(t.i for t in according.subtree)
        tokens = [t for t in head.subtree if t.i not in excluded]
        if not tokens:
            return None
        # keep the contiguous clause on the far side of "according to X"
        if according.i < head.i:
            tokens = [t for t in tokens if t.i > according.right_edge.i]
        else:
            tokens = [t for t in tokens if t.i < according.i]
        c = _candidate_from_tokens(view.text, tokens, "indirect", cue=according.i, speaker=speaker)
        if c is not None and speaker is None:
            c.speaker_token = source.i
        return c

    def _headline_claims(self, doc: Doc, in_quote: list[bool], view: "_View") -> list[Candidate]:
        """Lines 'Name: statement' and 'statement – Name'."""
        out = []
        text = view.text
        for sent_start, line_end in _lines(text):
            if view.in_boilerplate(sent_start):
                continue
            colon = _colon_after_actor(view, sent_start, line_end)
            if colon is not None:
                ent, colon_end = colon
                if not in_quote[min(colon_end + 1, len(text) - 1)]:
                    start = colon_end
                    while start < line_end and text[start].isspace():
                        start += 1
                    c = _trimmed(text, start, line_end, "indirect", speaker=(ent.start_char, ent.end_char))
                    if c is not None:
                        out.append(c)
                continue
            dash = _dash_then_actor(view, sent_start, line_end, self.speech.headline_dashes)
            if dash is not None:
                ent, dash_start = dash
                c = _trimmed(text, sent_start, dash_start, "indirect", speaker=(ent.start_char, ent.end_char))
                if c is not None and not in_quote[c.start]:
                    out.append(c)
        return out

    def _cut_asides(self, head: Token, tokens: list[Token]) -> list[Token]:
        """End a reported clause before a speech act of its own ('... while also calling ...',
        '... but confirmed that ...') and before a reporter's aside (', amid ...', ', though ...')."""
        doc = head.doc
        cut_at = None
        for tok in tokens:
            if tok.i > head.i and tok.dep_ in ("advcl", "conj") and self._is_reporting(tok, with_clause=True) \
                    and not any(c.dep_ == "mark" and c.lower_ in _REASON_MARKS for c in tok.children):
                cut_at = tok.left_edge.i
                while cut_at - 1 > head.i and (doc[cut_at - 1].dep_ == "cc" or doc[cut_at - 1].is_punct):
                    cut_at -= 1
                break
        for child in head.rights:
            first = child.left_edge
            if cut_at is not None and first.i >= cut_at:
                break
            prev = doc[first.i - 1] if first.i > head.i + 1 else None
            if prev is not None and prev.text in _QUOTE_MARKS and prev.i - 1 > head.i and doc[prev.i - 1].text == ",":
                prev = doc[prev.i - 1]  # '..., “hellscape,” in a message': the comma inside the closing mark
            after_pause = prev is not None and prev.text in (",", "\u2014", "\u2013", ";")
            if first.lower_ in self.speech.aside_markers and (after_pause or first.lower_ == "amid"):
                cut_at = prev.i if after_pause else first.i
                break
            # ", a day after ...", ", reports Acme", ", putting pressure on ...", ", in a message to ...": the
            # reporter's, after a pause
            if after_pause and (child.lower_ in self.speech.aside_heads
                                or child.dep_ == "advcl" and child.tag_ == "VBG" and first.i == child.i
                                or child.dep_ == "prep" and child.lower_ in ("in", "on", "during", "via")
                                and any(o.lemma_.lower() in self.speech.speech_events for o in child.children)):
                cut_at = prev.i
                break
        if cut_at is None:
            return tokens
        return [t for t in tokens if t.i < cut_at]


# -- helpers -----------------------------------------------------------------
def _char_mask(n: int, quotes: list[Quote]) -> list[bool]:
    mask = [False] * (n + 1)
    for q in quotes:
        for i in range(q.start, q.end):
            mask[i] = True
    return mask


class _View:
    """What the claim finder reads often from a doc, computed once per doc
    (``doc.text`` and ``doc.ents`` rebuild their value on every access)."""

    def __init__(self, doc: Doc):
        self.text = doc.text
        self.boilerplate = [tuple(r) for r in doc._.boilerplate or ()]
        self.actors = [e for e in doc.ents if e.label_ in _ACTOR_LABELS]
        self.actor_ending_at = {e.end_char: e for e in self.actors}
        self._token_ends = [t.idx + len(t) for t in doc]

    def in_boilerplate(self, char: int) -> bool:
        return any(s <= char < e for s, e in self.boilerplate)

    def token_at(self, char: int) -> int:
        """Index of the first token that ends after ``char``."""
        return bisect.bisect_right(self._token_ends, char)

    def actor_containing(self, i: int) -> Span | None:
        for ent in self.actors:
            if ent.start <= i < ent.end:
                return ent
        return None


def _lines(text: str):
    start = 0
    for line in text.split("\n"):
        if line.strip():
            yield start, start + len(line.rstrip())
        start += len(line) + 1


def _actor_in(view: _View, tok: Token) -> tuple[int, int] | None:
    """The actor mention a noun phrase names: the entity at its head, else a PERSON in apposition."""
    ent = view.actor_containing(tok.i)
    if ent is not None:
        return (ent.start_char, ent.end_char)
    for child in tok.children:
        if child.dep_ in ("appos", "compound", "flat"):
            ent = view.actor_containing(child.i)
            if ent is not None and ent.label_ == "PERSON":
                return (ent.start_char, ent.end_char)
    return None


def _inside_subject_of(verb: Token, tok: Token) -> bool:
    """Whether ``tok`` lies in the subject of ``verb`` ("an officer of the 'big four' firm said")."""
    below = tok
    for anc in tok.ancestors:
        if anc.i == verb.i:
            return below.dep_ in _SUBJECTS
        below = anc
    return False


def _continues_a_quote(text: str, q: Quote) -> bool:
    """A short quote that is a sentence of its own right after another quote of the paragraph ('"...," she
    said. "And soon."'): the speaker goes on, it is no scare quote."""
    body = text[q.start:q.end]
    if not (body[:1].isupper() and body.rstrip()[-1:] in _KEEP_FINAL):
        return False
    before = text[max(0, q.start - 80):q.start - 1]
    before = before[before.rfind("\n") + 1:]
    return any(mark in before for mark in DOUBLE_MARKS + "\u2019") and before.rstrip()[-1:] in _KEEP_FINAL


def _colon_speaker(view: _View, quote_start: int) -> tuple[int, int] | None:
    """'Putin: “...”' — the actor right before a colon that opens the quote's line."""
    line_start = view.text.rfind("\n", 0, quote_start) + 1
    found = _colon_after_actor(view, line_start, quote_start)
    return (found[0].start_char, found[0].end_char) if found else None


def _colon_after_actor(view: _View, line_start: int, line_end: int):
    colon = view.text.find(":", line_start, line_end)
    if colon == -1 or colon - line_start > 120:
        return None
    ent = view.actor_ending_at.get(colon)
    if ent is not None and ent.start_char >= line_start:
        return ent, colon + 1
    return None


def _dash_then_actor(view: _View, line_start: int, line_end: int, dashes):
    ent = view.actor_ending_at.get(line_end)
    if ent is not None and ent.start_char > line_start:
        before = view.text[line_start:ent.start_char].rstrip()
        if before and before[-1] in dashes and len(before) > 20:
            return ent, len(before) - 1 + line_start
    return None


def _trimmed(text: str, start: int, end: int, kind: str, *, cue=None, speaker=None) -> Candidate | None:
    newline = text.find("\n", start, end)
    if newline != -1:  # a claim never runs over a line break
        end = newline
    while start < end and (text[start].isspace() or text[start] in _EDGE_TRIM):
        start += 1
    while end > start and (text[end - 1].isspace() or (text[end - 1] in _EDGE_TRIM and text[end - 1] not in _KEEP_FINAL) or text[end - 1] in ".:"):
        end -= 1
    if sum(1 for w in text[start:end].split() if any(ch.isalpha() for ch in w)) < 2:
        return None
    return Candidate(start, end, kind, cue=cue, speaker_span=speaker)


def _candidate_from_tokens(text: str, tokens: list[Token], kind: str, *, cue=None, speaker=None) -> Candidate | None:
    if not tokens:
        return None
    tokens = sorted(tokens, key=lambda t: t.i)
    # the complementiser and leading punctuation are outside the span
    while tokens and (tokens[0].lower_ in ("that", "whether") and tokens[0].dep_ in ("mark", "dobj", "nsubj") and len(tokens) > 1 or tokens[0].is_punct or tokens[0].is_space):
        tokens = tokens[1:]
    if not tokens:
        return None
    if cue is not None and tokens[0].i <= cue <= tokens[-1].i:
        return None  # a clause that holds its own reporting verb is a misparse
    return _trimmed(text, tokens[0].idx, tokens[-1].idx + len(tokens[-1]), kind, cue=cue, speaker=speaker)


def _resolve_overlaps(text: str, direct: list[Candidate], indirect: list[Candidate]) -> list[Candidate]:
    """One claim per stretch of text.

    A reported clause that contains a quote is a partial quote (indirect, the
    quote dropped) unless the quote is the whole clause (direct). A reported
    clause inside another is a nested report, credited to the outer speaker.
    """
    kept_indirect: list[Candidate] = []
    for c in sorted(indirect, key=lambda c: (c.start, -(c.end - c.start))):
        if any(o.start <= c.start and c.end <= o.end for o in kept_indirect):
            continue
        kept_indirect = [o for o in kept_indirect if not (c.start <= o.start and o.end <= c.end)]
        kept_indirect.append(c)
    final_direct: list[Candidate] = []
    for d in direct:
        holders = [c for c in kept_indirect if c.start <= d.start and d.end <= c.end + 2]
        if not holders:
            overlapping = [c for c in kept_indirect if c.start < d.end and d.start < c.end]
            for c in overlapping:
                kept_indirect.remove(c)
                if d.cue is None:
                    d.cue = c.cue
            final_direct.append(d)
            continue
        holder = holders[0]
        outside = text[holder.start:holder.end].replace(text[d.start:d.end], "")
        # the clause is nothing but the quote, or a speech act's object holds a quoted fragment
        if sum(ch.isalpha() for ch in outside) <= 3 or holder.from_object:
            kept_indirect.remove(holder)
            d.cue = d.cue if d.cue is not None else holder.cue
            final_direct.append(d)
    # a reported clause inside a direct quote is the speaker's own words
    kept_indirect = [c for c in kept_indirect if not any(d.start <= c.start and c.end <= d.end + 1 for d in final_direct)]
    claims = final_direct + kept_indirect
    # any remaining partial overlap: keep the longer claim
    claims.sort(key=lambda c: -(c.end - c.start))
    out: list[Candidate] = []
    for c in claims:
        if all(c.end <= o.start or o.end <= c.start for o in out):
            out.append(c)
    return sorted(out, key=lambda c: c.start)
