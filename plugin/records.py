"""Records: the plain, frozen data that the pipeline, Label Studio tasks, the store and the exporters share."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

ACTOR_LABELS = ("PERSON", "ORG", "GPE")  # the actor layer of the annotation scheme
STANCES = ("support", "oppose", "neutral")


@dataclass(frozen=True)
class Article:
    """One article as read from the input: its id, exact text and metadata (outlet, date, title, source, ...)."""

    doc_id: str
    text: str
    meta: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Actor:
    """A PERSON/ORG/GPE mention; ``canonical`` is the actor's one name across mentions and articles."""

    start: int
    end: int
    label: str
    text: str
    canonical: str


@dataclass(frozen=True)
class Claim:
    """A claim span with its kind, speaker (canonical name and mention offsets, or None) and stance."""

    start: int
    end: int
    text: str
    kind: str
    speaker: str | None
    speaker_span: tuple[int, int] | None
    stance: str
    confidence: float = 1.0
    # per-class probabilities from a trained stance model, ((stance, p), ...); None from the rules or a human
    stance_probs: tuple[tuple[str, float], ...] | None = None


ORIGINS = ("confirmed", "changed", "added", "machine")  # where a claim's stance came from (see ClaimOrigin)


@dataclass(frozen=True)
class ClaimOrigin:
    """Where one claim's stance came from: a machine label an annotator ``confirmed`` unchanged, one the annotator
    ``changed``, a claim the annotator ``added``, or ``machine`` output nobody reviewed. ``confidence``: the machine
    label's score (None for a claim the annotator added)."""

    status: str
    confidence: float | None = None


@dataclass(frozen=True)
class AnnotatedArticle:
    """An article with its four annotation layers, from the model or from a human."""

    article: Article
    actors: tuple[Actor, ...]
    claims: tuple[Claim, ...]
    model_version: str | None = None


@dataclass(frozen=True)
class ActorNames:
    """The names one story knows, on top of the general language data: what its story file lists and what its
    annotators taught it. ``labels``: exact text -> PERSON/ORG/GPE for every name and alias; ``canonical``:
    alias -> canonical name; ``not_actors``: exact texts that are never actors in this story."""

    labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    canonical: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    not_actors: frozenset[str] = frozenset()
    guessed: frozenset[str] = frozenset()  # names whose label is a guess: they find missed mentions, relabel none

    def __bool__(self) -> bool:
        return bool(self.labels or self.canonical or self.not_actors)

    def merged(self, newer: "ActorNames") -> "ActorNames":
        """These names with ``newer`` on top: a newer label wins, and a name labelled again is an actor again."""
        labels = {**self.labels, **newer.labels}
        not_actors = (self.not_actors - newer.labels.keys()) | (newer.not_actors - newer.labels.keys())
        return ActorNames(labels=MappingProxyType({k: v for k, v in labels.items() if k not in newer.not_actors}),
                          canonical=MappingProxyType({**self.canonical, **newer.canonical}),
                          not_actors=frozenset(not_actors),
                          guessed=frozenset((self.guessed - newer.labels.keys()) | newer.guessed))

    def fingerprint(self) -> tuple:
        """A hashable summary of the content (components cache what they build from a set of names by it)."""
        return (tuple(sorted(self.labels.items())), tuple(sorted(self.canonical.items())), tuple(sorted(self.not_actors)),
                tuple(sorted(self.guessed)))
