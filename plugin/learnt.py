"""Actor names a story learns from its annotators' corrections, at once (no retrain).

Every current, not cancelled annotation of the story's Label Studio projects
teaches the names it labels (a name labelled two ways takes the label given
most often), and every predicted actor an annotator deleted — a text no
annotator of the story ever labels — becomes a name that is never an actor.
The pre-annotator (``preannotate`` and the live ``/predict``) puts these on top
of the story file's own names (``plugin.pipeline.story_names``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from plugin.collector import reviewed_annotations
from plugin.records import ActorNames
from plugin.stories import Story, project_ids
from plugin.store import Store, open_store
from plugin.store.db import DB_FILE


@dataclass(frozen=True)
class LearntNames:
    """What a story's annotators taught: the names with their label and how many annotations gave it."""

    names: ActorNames = field(default_factory=ActorNames)
    counts: dict[str, int] = field(default_factory=dict)  # name -> annotations that labelled it
    annotations: int = 0

    @property
    def dropped(self) -> list[str]:
        return sorted(self.names.not_actors)


def learnt_names(store: Store, story: Story) -> LearntNames:
    """The names the story's current annotations label, and the predicted names they deleted."""
    ids = project_ids(store, story)
    if not ids:
        return LearntNames()
    votes: dict[str, Counter] = defaultdict(Counter)
    deleted: Counter = Counter()
    reviewed = reviewed_annotations(store, project_id=ids)
    for r in reviewed:
        human = {(a.start, a.end) for a in r.human.actors}
        for text, label in {(a.text, a.label) for a in r.human.actors}:
            votes[" ".join(text.split())][label] += 1
        if r.predicted is not None:
            for a in r.predicted.actors:
                if (a.start, a.end) not in human:
                    deleted[" ".join(a.text.split())] += 1
    labels = {text: counts.most_common(1)[0][0] for text, counts in votes.items() if text}
    never = frozenset(t for t in deleted if t and t not in labels)
    return LearntNames(names=ActorNames(labels=MappingProxyType(labels), not_actors=never),
                       counts={t: sum(c.values()) for t, c in votes.items()}, annotations=len(reviewed))


def learnt_at(home: Path, story: Story, database_url: str | None = None) -> ActorNames | None:
    """The names a story's annotators taught it, from the store (at ``database_url``, else under ``home``);
    None when there is no SQLite store under ``home``."""
    if database_url is None and not (Path(home) / DB_FILE).is_file():
        return None
    store = open_store(home, database_url)
    try:
        return learnt_names(store, story).names
    finally:
        store.close()


class LearntCache:
    """``learnt_names`` per story, recomputed only when the store's annotations changed (the live /predict asks
    on every call)."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[tuple, LearntNames]] = {}

    def get(self, store: Store, story: Story) -> LearntNames:
        stamp = store.annotations_stamp()
        cached = self._cache.get(story.name)
        if cached is None or cached[0] != stamp:
            cached = self._cache[story.name] = (stamp, learnt_names(store, story))
        return cached[1]
