"""Doc and Span extensions set by the stancedesk components.

Registered once, at import. Values are plain (str, float, int, lists of ints)
so that docs survive ``nlp.pipe(..., n_process=N)`` serialisation.
"""

from spacy.tokens import Doc, Span

CLAIMS_KEY = "stancedesk_claims"

_DOC = {
    # [[start_char, end_char], ...] of lines that are web page furniture
    "boilerplate": None,
    # the stance target the stance component used
    "stance_target": None,
}
_SPAN = {
    # on actor entities: canonical actor name
    "canonical": None,
    # on claims
    "claim_kind": None,  # "direct" | "indirect"
    "cue": None,  # token index of the reporting verb (or of "according"), None if not found
    "speaker_token": None,  # token index of a noun phrase naming the speaker ("according to him")
    "speaker_span": None,  # [start_char, end_char] of the speaker's actor mention, or None
    "speaker": None,  # canonical speaker name, or None for an unnamed source
    "stance": None,  # "support" | "oppose" | "neutral"
    "stance_score": None,  # confidence of the stance, 0..1
    "stance_probs": None,  # {stance: probability} from a trained stance model; None from the rules
}

for _name, _default in _DOC.items():
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=_default)
for _name, _default in _SPAN.items():
    if not Span.has_extension(_name):
        Span.set_extension(_name, default=_default)


def claims(doc: Doc) -> list[Span]:
    """The claim spans of a processed doc, in text order."""
    if CLAIMS_KEY not in doc.spans:
        return []
    return sorted(doc.spans[CLAIMS_KEY], key=lambda s: (s.start_char, s.end_char))


def in_boilerplate(doc: Doc, start_char: int) -> bool:
    """Whether a character offset falls on a boilerplate line."""
    return any(s <= start_char < e for s, e in doc._.boilerplate or ())
