"""Finding quotations in raw text: straight and curly marks, split and multi-paragraph quotes.

Pure text functions (no spaCy), so they can be tested on plain strings.
Ambiguous marks are classified by what stands on either side of them; a quote
left open at the end of a paragraph is kept only when the next paragraph
continues it (news style for multi-paragraph quotes) or when it ends like a
sentence; otherwise it is refused rather than guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DOUBLE_MARKS = "\"\u201c\u201d\u201e\u00ab\u00bb"
OPEN_LEANING = "\u201c\u201e\u00ab"
SINGLE_OPEN = "\u2018"
SINGLE_CLOSE = "\u2019"
_OPEN_CONTEXT = " \t\n([{\u2014\u2013-/:"
_SENTENCE_END = ".?!\u2026"


@dataclass(frozen=True)
class Quote:
    """The content of one quotation, marks excluded (``text[start:end]``)."""

    start: int
    end: int
    closed: bool


def find_quotes(text: str) -> list[Quote]:
    """Every quotation in ``text``, one per pair of marks, one per paragraph of a multi-paragraph quote."""
    quotes: list[Quote] = []
    paragraphs = _paragraphs(text)
    for n, (p_start, p_end) in enumerate(paragraphs):
        next_start = paragraphs[n + 1][0] if n + 1 < len(paragraphs) else None
        # an open quote runs on when the next paragraph reopens it, or when the text ends (a cut capture)
        continues = next_start is None or (text[next_start] in DOUBLE_MARKS and _is_opening(text, next_start, next_start + 1))
        quotes.extend(_double_quotes(text, p_start, p_end, continues))
    covered = [(q.start, q.end) for q in quotes]
    quotes.extend(q for q in _single_quotes(text) if not any(s <= q.start < e for s, e in covered))
    return sorted((q for q in quotes if not _nickname(text, q)), key=lambda q: q.start)


def _nickname(text: str, q: Quote) -> bool:
    """'Peiter “Mudge” Zatko': one or two capitalised words quoted between the parts of a name."""
    words = text[q.start:q.end].split()
    if not 1 <= len(words) <= 2 or not all(w[:1].isupper() and w.isalpha() for w in words):
        return False
    before = text[max(0, q.start - 40):q.start - 1].rstrip().split()
    after = text[q.end + 1:q.end + 40].lstrip().split()
    return bool(before and after and before[-1][:1].isupper() and before[-1].isalpha()
                and after[0][:1].isupper() and after[0].rstrip(".,;:").isalpha())


def _paragraphs(text: str) -> list[tuple[int, int]]:
    out, start = [], 0
    for line in text.split("\n"):
        end = start + len(line)
        stripped = line.strip()
        if stripped:
            lead = len(line) - len(line.lstrip())
            out.append((start + lead, start + lead + len(stripped)))
        start = end + 1
    return out


def _clusters(text: str, start: int, end: int, marks: str) -> list[tuple[int, int]]:
    out, i = [], start
    while i < end:
        if text[i] in marks:
            j = i
            while j < end and text[j] in marks:
                j += 1
            out.append((i, j))
            i = j
        else:
            i += 1
    return out


def _is_opening(text: str, i: int, j: int) -> bool:
    before = text[i - 1] if i > 0 else "\n"
    after = text[j] if j < len(text) else "\n"
    return before in _OPEN_CONTEXT and not after.isspace()


def _is_closing(text: str, i: int, j: int) -> bool:
    before = text[i - 1] if i > 0 else "\n"
    after = text[j] if j < len(text) else "\n"
    return not before.isspace() and (after.isspace() or not after.isalnum())


def _double_quotes(text: str, p_start: int, p_end: int, continues: bool) -> list[Quote]:
    out: list[Quote] = []
    open_at: int | None = None
    for i, j in _clusters(text, p_start, p_end, DOUBLE_MARKS):
        opening, closing = _is_opening(text, i, j), _is_closing(text, i, j)
        if opening and closing:  # e.g. word"word: trust the glyph, then the state
            opening = text[i] in OPEN_LEANING or (text[i] == '"' and open_at is None)
            closing = not opening
        elif not opening and not closing:
            opening = open_at is None
            closing = not opening
        if open_at is None:
            if opening:
                open_at = j
        elif closing:
            out.extend(_quote(text, open_at, i, closed=True))
            open_at = None
        elif opening:
            # a new quote opens while one is open: the first lost its closing mark
            if text[open_at:i].rstrip()[-1:] in _SENTENCE_END:
                out.extend(_quote(text, open_at, i, closed=False))
            open_at = j
    if open_at is not None:
        tail = text[open_at:p_end].rstrip()
        if continues or tail[-1:] in _SENTENCE_END:
            out.extend(_quote(text, open_at, p_end, closed=False))
    return out


def _single_quotes(text: str) -> list[Quote]:
    """British-style quotes: an opening \u2018 and the next \u2019 that closes (not an apostrophe)."""
    out: list[Quote] = []
    i = text.find(SINGLE_OPEN)
    while i != -1:
        j = i + 1
        while True:
            j = text.find(SINGLE_CLOSE, j)
            if j == -1 or "\n" in text[i:j]:
                j = -1
                break
            after = text[j + 1] if j + 1 < len(text) else " "
            if not after.isalnum():
                break
            j += 1
        if j != -1:
            out.extend(_quote(text, i + 1, j, closed=True))
            i = text.find(SINGLE_OPEN, j)
        else:
            i = text.find(SINGLE_OPEN, i + 1)
    return out


def _quote(text: str, start: int, end: int, *, closed: bool) -> list[Quote]:
    """Trim whitespace and a trailing comma (left out by the scheme) from the content."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:" or text[end - 1] in DOUBLE_MARKS):
        end -= 1
    if end <= start or not any(c.isalnum() for c in text[start:end]):
        return []
    return [Quote(start, end, closed)]


@dataclass(frozen=True)
class Signature:
    """An embedded post: its words (``text[start:end]``) and the author's display name (``text[name_start:name_end]``)
    in the signature that follows them: "words — Jane Doe (@janedoe) April 5, 2022"."""

    start: int
    end: int
    name_start: int
    name_end: int


_SIGNATURE_RE = re.compile(r"[\u2014\u2013-]{1,2}[ \t]*(?P<name>[^\s(@\u2014\u2013][^()\n@\u2014\u2013]{0,60}?)[ \t]*\(@\w{1,30}\)"
                           r"(?:[ \t]*[A-Z][a-z]+\.?[ \t]+\d{1,2},[ \t]*\d{4})?")
_LINK_RE = re.compile(r"\s*(?:pic\.twitter\.com/\S+|https?://\S+)\s*$")


def find_signatures(text: str) -> list[Signature]:
    """Embedded posts signed "— Name (@handle) date": the post runs back to the line start or to the last
    quotation mark before the signature (the reporter's own quote of it), links at its end left out."""
    out: list[Signature] = []
    if "(@" not in text:
        return out
    for m in _SIGNATURE_RE.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        before = text[line_start:m.start()]
        last_mark = max(before.rfind(c) for c in DOUBLE_MARKS + SINGLE_CLOSE)
        start = line_start + last_mark + 1 if last_mark != -1 else line_start
        while start < m.start() and text[start].isspace():
            start += 1
        if last_mark != -1:
            # the reporter's narration between their quote and the post ("..., he said. Doe, who ..."): the post
            # is the run of final sentences that do not name its author
            surname = m.group("name").split()[-1] if m.group("name").split() else ""
            sentences = [x.end() for x in re.finditer(r"[.?!]+\s+(?=\S)", text[start:m.start()])]
            cut = start
            for end in sentences:
                if (surname and surname in text[cut:start + end]) or text[cut:start + end][:1].islower():
                    cut = start + end
            if surname and surname in text[cut:m.start()]:
                continue
            start = cut
        body = text[start:m.start()]
        link = _LINK_RE.search(body)
        end = start + (link.start() if link else len(body.rstrip()))
        name = m.group("name").rstrip()
        while name and not (name[-1].isalnum() or name[-1] == "."):
            name = name[:-1].rstrip()  # emoji decorations of display names
        if end - start < 10 or not name:
            continue
        out.append(Signature(start, end, m.start("name"), m.start("name") + len(name)))
    return out
