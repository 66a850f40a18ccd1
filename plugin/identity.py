"""Canonical actor identity across a batch of articles.

Inside one article the pipeline already maps "Putin" to "Vladimir Putin" when
the full name appears. Across a batch, a surname that only one full name of the
batch ends with takes that full name, so an article that says only "Lavrov"
still counts toward "Sergei Lavrov".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Sequence

from plugin.records import AnnotatedArticle


def unify_names(batch: Sequence[AnnotatedArticle]) -> list[AnnotatedArticle]:
    """Return the batch with single-word PERSON names replaced by the batch's one full name for them."""
    full_names: dict[str, set[str]] = defaultdict(set)
    for item in batch:
        for a in item.actors:
            words = a.canonical.split()
            if a.label == "PERSON" and len(words) >= 2:
                full_names[words[-1]].add(a.canonical)
    mapping = {last: next(iter(names)) for last, names in full_names.items() if len(names) == 1}
    if not mapping:
        return list(batch)

    def fix(name: str | None) -> str | None:
        return mapping.get(name, name) if name and " " not in name else name

    out = []
    for item in batch:
        actors = tuple(replace(a, canonical=fix(a.canonical)) if a.label == "PERSON" else a for a in item.actors)
        claims = tuple(replace(c, speaker=fix(c.speaker)) for c in item.claims)
        out.append(replace(item, actors=actors, claims=claims))
    return out
