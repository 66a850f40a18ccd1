"""From a processed ``Doc`` to records: the only place that reads the stancedesk extensions."""

from __future__ import annotations

from spacy.tokens import Doc

from plugin.pipeline import extensions
from plugin.pipeline.actors import ACTOR_LABELS
from plugin.records import Actor, AnnotatedArticle, Article, Claim


def doc_to_annotated(doc: Doc, article: Article, *, model_version: str) -> AnnotatedArticle:
    """The actors and claims of a processed doc as an ``AnnotatedArticle``."""
    actors = tuple(
        Actor(e.start_char, e.end_char, e.label_, e.text, e._.canonical or e.text)
        for e in doc.ents
        if e.label_ in ACTOR_LABELS
    )
    claims = tuple(
        Claim(
            start=c.start_char,
            end=c.end_char,
            text=c.text,
            kind=c._.claim_kind or "indirect",
            speaker=c._.speaker,
            speaker_span=tuple(c._.speaker_span) if c._.speaker_span else None,
            stance=c._.stance or "neutral",
            confidence=float(c._.stance_score if c._.stance_score is not None else 0.5),
            stance_probs=tuple((k, float(v)) for k, v in c._.stance_probs.items()) if c._.stance_probs else None,
        )
        for c in extensions.claims(doc)
    )
    return AnnotatedArticle(article=article, actors=actors, claims=claims, model_version=model_version)
