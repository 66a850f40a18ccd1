"""stancedesk_boilerplate: marks web page furniture lines so that no actor or claim comes from them.

The text itself is never changed, so offsets stay those of the input.
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc

from plugin.pipeline import extensions  # noqa: F401  (registers extensions)
from plugin.pipeline import language

_LINE = re.compile(r"[^\n]+")


def boilerplate_ranges(text: str) -> list[list[int]]:
    """Character ranges ``[start, end]`` of the lines of ``text`` that are boilerplate.

    A line is boilerplate when it matches a pattern of ``data/boilerplate.json``,
    or when it is an author bio (and then a short name-only line just before it,
    the bio's byline, is boilerplate too).
    """
    data = language.boilerplate()
    ranges: list[list[int]] = []
    previous: re.Match | None = None
    for m in _LINE.finditer(text):
        line = m.group().strip()
        if not line:
            continue
        if data.line_re.match(line):
            ranges.append([m.start(), m.end()])
        elif data.bio_re.match(line):
            if previous is not None and _is_bare_name(previous.group().strip(), data.byline_name_max_words):
                ranges.append([previous.start(), previous.end()])
            ranges.append([m.start(), m.end()])
        previous = m
    return sorted(ranges)


def _is_bare_name(line: str, max_words: int) -> bool:
    words = line.replace("\u201c", "").replace("\u201d", "").replace('"', "").split()
    return 0 < len(words) <= max_words and all(w[:1].isupper() for w in words) and not line.endswith((".", "?", "!"))


@Language.component("stancedesk_boilerplate")
def mark_boilerplate(doc: Doc) -> Doc:
    """Mark boilerplate lines, and start a sentence after every line break.

    Headlines, captions and datelines carry no final period; without the
    break the parser glues them to the next sentence and loses its subject.
    Runs before the parser, which keeps preset sentence starts.
    """
    doc._.boilerplate = boilerplate_ranges(doc.text)
    if doc.has_annotation("DEP"):
        return doc  # already parsed: sentence starts are the parser's
    # spaCy keeps at most one trailing space on a token: every line break is a whitespace token
    n = len(doc)
    for tok in doc:
        if tok.is_space and "\n" in tok.text and tok.i + 1 < n:
            doc[tok.i + 1].is_sent_start = True
    return doc
