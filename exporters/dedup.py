"""Near-duplicate detection for syndicated copy: the same wire story reprinted by several outlets.

Documents are compared by the overlap of their word 5-gram shingles
(containment of the smaller in the larger, so an excerpt of a longer reprint
still matches); claims by word overlap. Used by the training-set exporter (no
split may separate copies of one story) and by the briefing (one claim, many
sources). Paraphrases (the same point in other words) group by sentence
vectors when the caller has an encoder, else by the overlap of their content
words with their endings cut.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from functools import lru_cache
from typing import Collection, Mapping, Sequence

_WORD = re.compile(r"\w+")
SHINGLE = 5
DOC_THRESHOLD = 0.3
CLAIM_THRESHOLD = 0.8


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def shingles(text: str, n: int = SHINGLE) -> set[tuple[str, ...]]:
    words = _words(text)
    return {tuple(words[i:i + n]) for i in range(max(0, len(words) - n + 1))} or ({tuple(words)} if words else set())


def cluster_documents(texts: Mapping[str, str], *, threshold: float = DOC_THRESHOLD) -> list[list[str]]:
    """Group document ids whose texts share at least ``threshold`` of their shingles (transitively).

    Returns clusters (sorted ids), singletons included, ordered by their first id.
    """
    ids = sorted(texts)
    sh = {i: shingles(texts[i]) for i in ids}
    index: dict[tuple, list[str]] = defaultdict(list)
    for i in ids:
        for s in sh[i]:
            index[s].append(i)
    parent = {i: i for i in ids}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i in ids:
        shared: dict[str, int] = defaultdict(int)
        for s in sh[i]:
            for j in index[s]:
                if j > i:
                    shared[j] += 1
        for j, n in shared.items():
            if n / max(1, min(len(sh[i]), len(sh[j]))) >= threshold:
                parent[find(j)] = find(i)
    groups: dict[str, list[str]] = defaultdict(list)
    for i in ids:
        groups[find(i)].append(i)
    return sorted((sorted(g) for g in groups.values()), key=lambda g: g[0])


def same_claim(a: str, b: str, *, threshold: float = CLAIM_THRESHOLD) -> bool:
    """Whether two claim texts are the same words, give or take a few (Jaccard of word sets)."""
    return _similar(set(_words(a)), set(_words(b)), threshold)


def _similar(wa: set[str], wb: set[str], threshold: float) -> bool:
    return bool(wa and wb) and len(wa & wb) / len(wa | wb) >= threshold


def group_claims(texts: Sequence[str], *, keys: Sequence[object] | None = None,
                 threshold: float = CLAIM_THRESHOLD) -> list[list[int]]:
    """Indices of ``texts`` grouped by ``same_claim`` with the group's first text (first come, first group).

    Only texts with equal ``keys`` (e.g. the speaker) can group. Candidates are
    found by prefix filtering (two word sets with Jaccard >= t share one of
    their rarest |x| - ceil(t|x|) + 1 words), so thousands of claims group in
    well under a second instead of comparing every pair.
    """
    keys = list(keys) if keys is not None else [None] * len(texts)
    words = [set(_words(t)) for t in texts]
    freq: Counter = Counter(w for ws in words for w in ws)
    index: dict[tuple[object, str], list[int]] = defaultdict(list)  # (key, prefix word) -> group ids
    groups: list[list[int]] = []
    for n, ws in enumerate(words):
        ordered = sorted(ws, key=lambda w: (freq[w], w))
        prefix = ordered[: len(ordered) - math.ceil(threshold * len(ordered)) + 1] if ordered else []
        found = None
        seen: set[int] = set()
        for w in prefix:
            for g in index.get((keys[n], w), ()):
                if g in seen:
                    continue
                seen.add(g)
                if _similar(words[groups[g][0]], ws, threshold):  # word sets made once, not per candidate
                    found = g
                    break
            if found is not None:
                break
        if found is None:
            found = len(groups)
            groups.append([])
            for w in prefix:
                index[(keys[n], w)].append(found)
        groups[found].append(n)
    return groups


def content_words(text: str, *, stopwords: Collection[str], suffixes: Sequence[str]) -> list[str]:
    """The words of ``text`` that carry meaning, lower-cased, with the first matching ending of ``suffixes`` cut
    (a word keeps at least three letters)."""
    suffixes = tuple(suffixes)
    return [_stem(w, suffixes) for w in _words(text) if w not in stopwords and not w.isdigit()]


@lru_cache(maxsize=200_000)
def _stem(word: str, suffixes: tuple[str, ...]) -> str:
    for suffix in suffixes:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def group_paraphrases(texts: Sequence[str], *, keys: Sequence[object] | None = None, stopwords: Collection[str] = (),
                      suffixes: Sequence[str] = (), threshold: float = 0.5, vectors=None,
                      cosine: float = 0.72) -> list[list[int]]:
    """Indices of ``texts`` grouped by meaning, only among equal ``keys`` (first come, first group).

    With ``vectors`` (one unit-length sentence vector per text, e.g. from a sentence encoder) a text joins the
    group whose first text is the most similar to it, if that is at least ``cosine``; without them, the Jaccard overlap of their
    ``content_words`` must reach ``threshold``.
    """
    if vectors is None:
        stems = [" ".join(content_words(t, stopwords=stopwords, suffixes=suffixes)) for t in texts]
        return group_claims(stems, keys=keys, threshold=threshold)
    import numpy as np

    keys = list(keys) if keys is not None else [None] * len(texts)
    vectors = np.asarray(vectors, dtype=float)
    leaders: dict[object, list[int]] = defaultdict(list)  # key -> group ids
    groups: list[list[int]] = []
    for n in range(len(texts)):
        mine = leaders[keys[n]]
        found = None
        if mine:
            sims = vectors[[groups[g][0] for g in mine]] @ vectors[n]
            best = int(np.argmax(sims))
            if sims[best] >= cosine:
                found = mine[best]
        if found is None:
            found = len(groups)
            groups.append([])
            mine.append(found)
        groups[found].append(n)
    return groups
