"""From a processed ``Doc`` to records: the only place that reads the stancedesk extensions."""

from __future__ import annotations

from spacy.tokens import Doc

from plugin.pipeline import extensions
from plugin.pipeline.actors import ACTOR_LABELS
from plugin.records import Actor, AnnotatedArticle, Article, Claim


def doc_to_annotated(doc: Doc, article: Article, *, model_version: str, offset: int = 0) -> AnnotatedArticle:
    """The actors and claims of a processed doc as an ``AnnotatedArticle``; ``offset``: where the doc's text starts
    in the article's (a piece of a long article)."""
    actors = tuple(
        Actor(e.start_char + offset, e.end_char + offset, e.label_, e.text, e._.canonical or e.text)
        for e in doc.ents
        if e.label_ in ACTOR_LABELS
    )
    claims = tuple(
        Claim(
            start=c.start_char + offset,
            end=c.end_char + offset,
            text=c.text,
            kind=c._.claim_kind or "indirect",
            speaker=c._.speaker,
            speaker_span=(c._.speaker_span[0] + offset, c._.speaker_span[1] + offset) if c._.speaker_span else None,
            stance=c._.stance or "neutral",
            confidence=float(c._.stance_score if c._.stance_score is not None else 0.5),
            stance_probs=tuple((k, float(v)) for k, v in c._.stance_probs.items()) if c._.stance_probs else None,
        )
        for c in extensions.claims(doc)
    )
    return AnnotatedArticle(article=article, actors=actors, claims=claims, model_version=model_version)
