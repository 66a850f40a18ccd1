"""Repeated paragraphs: a reprinted lead, a photo caption that repeats a paragraph, a block pasted twice.

Annotators correct a repeated paragraph once, in its first copy:

- the pre-annotation leaves the later copies empty (``without_copies``) and
  tells the annotator, on each claim of the first copy, that it stands for the
  copies below;
- whoever reads annotations back (export, stats, retraining, evaluation)
  gives each copy the annotations of its first copy (``with_copies``), unless
  the annotator marked something in the copy itself.

A copy is a paragraph (a line) equal to an earlier one of at least
``MIN_COPY_CHARS`` characters, or one that begins or ends with such an earlier
paragraph (a caption or credit added: "... (Jane Doe/AP)").
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from plugin.records import AnnotatedArticle

MIN_COPY_CHARS = 50  # shorter lines ("Advertisement", "Read more") repeat without being reprinted paragraphs
_KEY_CHARS = 40  # how much of a paragraph's start and end index the earlier paragraphs


@dataclass(frozen=True)
class Copy:
    """``text[start:end]`` repeats ``text[source:source + (end - start)]``, which comes earlier."""

    start: int
    end: int
    source: int

    def shift(self, offset: int) -> int:
        return offset - self.source + self.start

    def holds(self, start: int, end: int) -> bool:
        return self.start <= start and end <= self.end

    def overlaps(self, start: int, end: int) -> bool:
        return start < self.end and self.start < end

    def in_source(self, start: int, end: int) -> bool:
        return self.source <= start and end <= self.source + (self.end - self.start)


def _paragraphs(text: str) -> list[tuple[int, str]]:
    """(offset, stripped line) for every non-blank line."""
    out, pos = [], 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            out.append((pos + line.index(stripped[0]), stripped))
        pos += len(line) + 1
    return out


def find_copies(text: str) -> tuple[Copy, ...]:
    """The later copies of repeated paragraphs in ``text``, in text order; each points at the first copy."""
    first: dict[str, int] = {}  # paragraph -> offset of its first copy
    by_head: dict[str, list[str]] = {}
    by_tail: dict[str, list[str]] = {}
    copies = []
    for offset, para in _paragraphs(text):
        if para in first:
            copies.append(Copy(offset, offset + len(para), first[para]))
            continue
        found = None
        for earlier in by_head.get(para[:_KEY_CHARS], ()):
            if para.startswith(earlier):
                found = Copy(offset, offset + len(earlier), first[earlier])
                break
        else:
            for earlier in by_tail.get(para[-_KEY_CHARS:], ()):
                if para.endswith(earlier):
                    at = offset + len(para) - len(earlier)
                    found = Copy(at, at + len(earlier), first[earlier])
                    break
        if found is not None:
            copies.append(found)
        if len(para) >= MIN_COPY_CHARS:
            first.setdefault(para, offset)
            if found is None:  # a copy's own first words are its source's: it indexes nothing new
                by_head.setdefault(para[:_KEY_CHARS], []).append(para)
                by_tail.setdefault(para[-_KEY_CHARS:], []).append(para)
    return tuple(copies)


def without_copies(item: AnnotatedArticle, copies: tuple[Copy, ...] | None = None) -> AnnotatedArticle:
    """The article with nothing marked inside a later copy: what annotators are shown to correct."""
    copies = find_copies(item.article.text) if copies is None else copies
    if not copies:
        return item

    def inside(start: int, end: int) -> bool:
        return any(c.holds(start, end) for c in copies)

    return replace(
        item,
        actors=tuple(a for a in item.actors if not inside(a.start, a.end)),
        claims=tuple(c for c in item.claims if not inside(c.start, c.end)),
    )


def copies_of(start: int, end: int, copies: tuple[Copy, ...]) -> int:
    """How many later copies repeat the span ``start:end``."""
    return sum(1 for c in copies if c.in_source(start, end))


def with_copies(item: AnnotatedArticle) -> AnnotatedArticle:
    """The article with each later copy that has nothing marked given the marks of its first copy."""
    copies = find_copies(item.article.text)
    if not copies:
        return item
    actors, claims = list(item.actors), list(item.claims)
    for copy in copies:
        if any(copy.overlaps(a.start, a.end) for a in item.actors) or \
                any(copy.overlaps(c.start, c.end) for c in item.claims):
            continue  # the annotator marked this copy: theirs counts
        for a in item.actors:
            if copy.in_source(a.start, a.end):
                actors.append(replace(a, start=copy.shift(a.start), end=copy.shift(a.end)))
        for c in item.claims:
            if copy.in_source(c.start, c.end):
                span = c.speaker_span
                if span is not None and copy.in_source(*span):
                    span = (copy.shift(span[0]), copy.shift(span[1]))
                claims.append(replace(c, start=copy.shift(c.start), end=copy.shift(c.end), speaker_span=span))
    return replace(
        item,
        actors=tuple(sorted(actors, key=lambda a: (a.start, a.end))),
        claims=tuple(sorted(claims, key=lambda c: (c.start, c.end))),
    )
