"""The analyst's briefing, built from human-corrected records with python-docx (and, if asked, a PDF of it).

Bottom line first, then what changed, the positions of each main speaker with their evidence, a timeline, the
main actors and the sources, honest provenance, and an annex with everything else. Built from Word styles only
(Title, Subtitle, Heading 1/2, List Bullet, a table style) and core properties; the timeline is drawn by
matplotlib. What the briefing says is worked out in ``exporters/_briefing_content.py``; this module lays it out.
"""

from __future__ import annotations

import io
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from statistics import mean
from types import MappingProxyType
from typing import Callable, Mapping, Sequence

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Pt

from exporters import _pdf
from exporters._briefing_chart import timeline_png
from exporters._briefing_content import NO_OUTLET, Content, Position, Statement, build, data, majority
from plugin.errors import StancedeskError
from plugin.fileio import atomic_path, check_output
from plugin.records import STANCES, AnnotatedArticle, ClaimOrigin

TABLE_STYLE = "Light Grid Accent 1"
FORMATS = ("docx", "pdf")
PAGE_MARGIN_IN = 1.0
_STANDS = {"support": "supports", "oppose": "opposes", "neutral": "is neutral on"}
_ORIGIN_WORDS = {"confirmed": "machine labels an annotator confirmed unchanged", "changed": "changed by an annotator",
                 "added": "added by an annotator", "machine": "machine-only (nobody reviewed them)"}
_SCORED = {"confirmed": "confirmed unchanged:", "changed": "later changed by an annotator:", "machine": "machine-only:"}
QUOTE_MAX_WORDS = 30  # a longer quote is a bottom-line quote only when no shorter one is as widely carried
TABLE_TEXT_STYLE = "Briefing Table Text"
TABLE_INTRO_STYLE = "Briefing Table Intro"
TABLE_FONT_PT = 9
LONGEST_MEASURED = 12  # a column's longest words by letters that are measured (a wider one has more letters)
CELL_PADDING_IN = 0.2  # the table style's cell margins (0.075 in each side) and a little air


class BriefingError(StancedeskError):
    """A briefing cannot be produced."""


@dataclass(frozen=True)
class BriefingInfo:
    target: str
    title: str  # the story's title (or the user's)
    period: tuple[str | None, str | None] = (None, None)  # the period asked for (--since/--until), if any
    model_versions: tuple[str, ...] = ()
    annotators: int = 0
    agreement: str | None = None
    aliases: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # any mention -> canonical
    speaker_aliases: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # Moscow -> Russia, as speaker
    changes_since: str = ""  # what the "what changed" section compares with: "the briefing of ...", "2022-01-10"


def _day(value: str | None) -> str:
    return date.fromisoformat(value).strftime("%-d %b %Y") if value else "undated"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _stands(stance: str) -> str:
    return _STANDS.get(stance, stance)


def _join(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _said(s: Statement) -> str:
    """A statement as printed: a quote in quotation marks; reported speech, a denial and a headline say so."""
    if s.form == "headline":
        return f"Headline: \u201c{s.text}\u201d"
    if s.form == "quote":
        return f"\u201c{s.text.rstrip(',')}\u201d"
    if s.form == "denied":  # "denied planning to ...", "denied that it is ..."
        return f"Denied {s.text}" if re.match(r"[a-z]+ing\b", s.text) else f"Denied that {s.text}"
    return f"Reported: {s.text}"


def _machine_tag(mentions) -> str:
    """`` [machine, confidence 0.62]`` when some of the claim's stances are unreviewed machine output."""
    scores = [m.origin.confidence for m in mentions if m.origin and m.origin.status == "machine"]
    if not scores:
        return ""
    known = [c for c in scores if c is not None]
    return f" [machine, confidence {mean(known):.2f}]" if known else " [machine]"


def _position_line(p: Position) -> str:
    best = p.best
    more = len(p.statements) - 1
    outlets = p.sources
    listed = ", ".join(outlets[:4]) + (", \u2026" if len(outlets) > 4 else "")
    carried = f"{_n(len(outlets), 'outlet')} ({listed})"
    similar = f"; {_n(more, 'other wording')}" if more else ""
    return f"{_said(best)} \u2014 {p.stance}; {carried}{similar}{_machine_tag(p.mentions)}"


# -- the bottom line ----------------------------------------------------------------------
def _bottom_line(c: Content, target: str) -> list[str]:
    """Three to five sentences from the data: who stands where, what moved, the strongest quotes."""
    main = c.speakers[: data().limits["main_speakers"]]
    side = {sp: _speaker_stance(c, sp) for sp in main}
    out = []
    parts = []
    for stance, words in (("support", f"Supporting {target}"), ("oppose", "Opposing it"), ("neutral", "Neutral or procedural")):
        names = [sp for sp in main if side[sp] == stance][:5]
        if names:
            words = f"Opposing {target}" if stance == "oppose" and not parts else words
            parts.append(f"{words}: {_join(names)}")
    if parts:
        out.append("; ".join(parts) + ".")
    else:
        out.append(f"No named speaker is quoted on {target}.")
    if main:
        top = main[0]
        claims = sum(len(p.mentions) for p in c.positions[top])
        outlets = len({src for p in c.positions[top] for src in p.sources})
        out.append(f"The most quoted is {top} ({_n(claims, 'claim')} in {_n(outlets, 'outlet')}), who mostly "
                   f"{_stands(side[top])} it.")
    if c.changes is not None and (c.changes.shifts or c.changes.new_positions or c.changes.new_speakers):
        ch = c.changes
        bits = [f"{_n(ch.new_articles, 'new article')} with {_n(len(ch.new_positions), 'new position')}"]
        if ch.new_speakers:
            bits.append("new speakers: " + _join(ch.new_speakers[:4]) + (" and others" if len(ch.new_speakers) > 4 else ""))
        if ch.shifts:
            bits.append("shifts: " + ", ".join(f"{s.speaker} from {s.before} to {s.after}" for s in ch.shifts[:3]))
        out.append(f"Since {ch.since}: " + "; ".join(bits) + ".")
    elif c.moves:
        out.append("What moved: " + "; ".join(f"{m.speaker} went from {m.first[1]} ({_day(m.first[0])}) to "
                                              f"{m.last[1]} ({_day(m.last[0])})" for m in c.moves[:3]) + ".")
    elif any(len(c.timeline.get(sp, {})) >= 2 for sp in main):
        out.append("No main speaker's stance moved between their first and last dated claims.")
    quotes = _strongest(c)
    if quotes:
        said = "; ".join(f"{p.speaker} ({p.stance}, {_n(len(p.sources), 'outlet')}): \u201c{p.best.text.rstrip(',')}\u201d"
                         for p in quotes)
        out.append(f"Strongest quotes: {said}" + ("" if said[-2:-1] in ".!?\u2026" else "."))
    unattributed = sum(len(s.mentions) for s in c.unattributed)
    if unattributed and len(out) < 5:
        out.append(f"{_n(unattributed, 'claim')} from unnamed sources (Annex A2).")
    return out[:5]


def _spread(positions: Sequence[Position], most: int, per_speaker: int = 2) -> list[Position]:
    """Up to ``most`` positions, a few per speaker in turn (in the order given), those that take a side first."""
    by: dict[str, list[Position]] = {}
    for p in sorted(positions, key=lambda p: p.stance == "neutral"):
        by.setdefault(p.speaker, []).append(p)
    out = []
    for turn in range(per_speaker):
        for ps in by.values():
            if turn < len(ps) and len(out) < most:
                out.append(ps[turn])
    return out


def _speaker_stance(c: Content, speaker: str) -> str:
    return majority(m.stance for p in c.positions.get(speaker, ()) for m in p.mentions)


def _strongest(c: Content) -> list[Position]:
    """The most widely carried direct quotes that take a side, one per speaker, both sides if there are two."""
    candidates = [p for sp in c.speakers for p in c.positions.get(sp, ()) if p.stance != "neutral"
                  and p.best.form == "quote" and len(p.best.text.split()) >= data().min_claim_words]
    rank = {sp: n for n, sp in enumerate(c.speakers)}
    candidates.sort(key=lambda p: (-len(p.sources), len(p.best.text.split()) > QUOTE_MAX_WORDS, -len(p.mentions),
                                   rank[p.speaker]))
    chosen: list[Position] = []
    for p in candidates:
        if any(q.speaker == p.speaker for q in chosen):
            continue
        if chosen and p.stance == chosen[0].stance and any(q.stance != chosen[0].stance for q in candidates):
            continue
        chosen.append(p)
        if len(chosen) == data().limits["bluf_quotes"]:
            break
    return chosen


# -- layout helpers ---------------------------------------------------------------------------
def _bullet_adder(doc):
    """``add(text)`` appends a paragraph in the List Bullet style.

    python-docx resolves a style name by scanning every style on each call and finds where a paragraph goes by
    scanning the body (both quadratic on a long briefing); here the style id is resolved once and each paragraph
    goes straight before the section properties, with the same markup ``add_paragraph(text, style)`` writes.
    """
    style_id = doc.styles["List Bullet"].style_id
    end = doc.element.body.sectPr

    def add(text: str):
        p = _paragraph(text, style_id)
        end.addprevious(p)
        return p

    return add


@lru_cache(maxsize=2)
def _font(bold: bool):
    """DejaVu Serif (shipped with matplotlib): wider than Word's Cambria and Calibri, and what LibreOffice puts in
    their place where they are missing, so widths measured with it hold in both."""
    import matplotlib
    from matplotlib import ft2font

    name = "DejaVuSerif-Bold.ttf" if bold else "DejaVuSerif.ttf"
    return ft2font.FT2Font(str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name))


@lru_cache(maxsize=65536)
def _word_width_in(word: str, bold: bool = False, size_pt: float = TABLE_FONT_PT) -> float:
    """A word's printed width in inches, measured with real font metrics."""
    font = _font(bold)
    font.set_size(size_pt, 72)
    font.set_text(word)
    return font.get_width_height()[0] / 64 / 72


def _column_widths(header: Sequence[str], rows: Sequence[Sequence[str]], total_in: float, *,
                   flexible: Sequence[int] = (0,)) -> list[float]:
    """Column widths in inches: each column fits its longest word (the header in bold) with the cell's padding;
    the ``flexible`` columns share what is left of ``total_in``, in proportion to the length of their texts."""
    need, length = [], []
    for n, h in enumerate(header):
        texts = [str(row[n]) for row in rows]
        bold = n == 0  # the table style sets the first column in bold, like the header row
        words = sorted({w for t in texts for w in t.split()}, key=len, reverse=True)[:LONGEST_MEASURED]
        longest = max([_word_width_in(w, bold) for w in words] + [_word_width_in(h, True)])
        need.append(longest + CELL_PADDING_IN)
        length.append(sum(len(t) for t in texts) / max(1, len(texts)) + 1)
    spare = max(0.0, total_in - sum(need))
    share = sum(length[n] for n in flexible)
    return [w + (spare * length[n] / share if n in flexible else 0.0) for n, w in enumerate(need)]


def _table(doc, header: list[str], rows: list[list[str]], *, total_in: float, flexible: Sequence[int] = (0,)):
    """A table in the table style with fixed column widths; rows are written as the markup python-docx writes for
    ``add_row`` and ``cell.text``, without its scan of the whole table for each row."""
    widths = _column_widths(header, rows, total_in, flexible=flexible)
    style_id = doc.styles[TABLE_TEXT_STYLE].style_id
    table = doc.add_table(rows=0, cols=len(header))
    table.style = TABLE_STYLE
    table.autofit = False
    for col, w in zip(table.columns, widths):
        col.width = Inches(w)
    twips = [str(int(round(w * 1440))) for w in widths]
    for texts in [header] + rows:
        tr = OxmlElement("w:tr")
        for text, width in zip(texts, twips):
            tc, tc_pr, tc_w = OxmlElement("w:tc"), OxmlElement("w:tcPr"), OxmlElement("w:tcW")
            tc_w.set(qn("w:w"), width)
            tc_w.set(qn("w:type"), "dxa")
            tc_pr.append(tc_w)
            tc.append(tc_pr)
            tc.append(_paragraph(text, style_id))
            tr.append(tc)
        table._tbl.append(tr)
    return table


def _paragraph(text: str, style_id: str):
    """A ``w:p`` in the style ``style_id`` holding ``text`` in one run (what ``add_paragraph(text, style)`` writes)."""
    p, p_pr, p_style = OxmlElement("w:p"), OxmlElement("w:pPr"), OxmlElement("w:pStyle")
    p_style.set(qn("w:val"), style_id)
    p_pr.append(p_style)
    p.append(p_pr)
    if text:
        run, t = OxmlElement("w:r"), OxmlElement("w:t")
        t.text = text
        t.set(qn("xml:space"), "preserve")
        run.append(t)
        p.append(run)
    return p


def _add_table_styles(doc) -> None:
    """The table text style (small, no spacing) and the style of a paragraph that introduces a table (kept on the
    table's page)."""
    style = doc.styles.add_style(TABLE_TEXT_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    style.font.size = Pt(TABLE_FONT_PT)
    style.paragraph_format.space_after = Pt(0)
    style.paragraph_format.space_before = Pt(0)
    intro = doc.styles.add_style(TABLE_INTRO_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    intro.base_style = doc.styles["Normal"]
    intro.paragraph_format.keep_with_next = True


def _actor_rows(rows) -> list[list[str]]:
    return [[r.name, str(r.mentions), str(r.claims)] + [str(r.stances[s]) for s in STANCES] + [str(r.outlets)] for r in rows]


ACTOR_HEADER = ["Actor", "Mentions", "Claims", "Support", "Oppose", "Neutral", "Outlets"]


def _main_actor_rows(c: Content) -> list:
    """The main speakers, then the most-mentioned actors, up to the limit."""
    limit = data().limits["actor_rows"]
    speakers = [r for r in c.actors if r.claims][:limit]
    chosen = {r.name for r in speakers}
    others = sorted((r for r in c.actors if r.name not in chosen and r.mentions > 1), key=lambda r: (-r.mentions, r.name))
    return speakers + others[: max(0, limit - len(speakers))]


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text):
    """``text`` with the characters XML 1.0 cannot hold replaced by a space (anything else passes unchanged)."""
    return _XML_INVALID.sub(" ", text) if isinstance(text, str) else text


def _xml_safe_item(item: AnnotatedArticle) -> AnnotatedArticle:
    names = [a.canonical for a in item.actors] + [c.speaker or "" for c in item.claims]
    if not any(_XML_INVALID.search(t) for t in [item.article.text, *names]
               + [v for v in item.article.meta.values() if isinstance(v, str)]):
        return item  # claim and actor texts are slices of the article's text
    article = replace(item.article, text=xml_safe(item.article.text),
                      meta=MappingProxyType({k: xml_safe(v) for k, v in item.article.meta.items()}))
    return replace(item, article=article,
                   actors=tuple(replace(a, text=xml_safe(a.text), canonical=xml_safe(a.canonical)) for a in item.actors),
                   claims=tuple(replace(c, text=xml_safe(c.text), speaker=xml_safe(c.speaker)) for c in item.claims))


# -- the document ---------------------------------------------------------------------------------
def _document(c: Content, info: BriefingInfo):
    d = data()
    doc = Document()
    section = doc.sections[0]
    section.left_margin = section.right_margin = Inches(PAGE_MARGIN_IN)
    section.top_margin = section.bottom_margin = Inches(0.9)
    width_in = (section.page_width - section.left_margin - section.right_margin) / 914400
    props = doc.core_properties
    props.title = info.title
    props.subject = info.target
    props.author = "stancedesk"
    props.created = datetime.now(timezone.utc)
    props.keywords = "stance; claims; actors"
    bullet = _bullet_adder(doc)
    _add_table_styles(doc)

    doc.add_paragraph(info.title, style="Title")
    doc.add_paragraph(f"Stance toward: {info.target}", style="Subtitle")
    since, until = c.period
    period = f"{_day(since)} to {_day(until)}" if since else "undated (no article gives a date)"
    if since and c.undated:
        period += f"; {c.undated} of {c.articles} articles undated"
    outlets = len({s[0] for s in c.sources if s[0] != NO_OUTLET})
    unnamed = sum(1 for s in c.sources if s[0] == NO_OUTLET)
    merged = len(c.statements) + len(c.fragments)
    doc.add_paragraph(f"Period: {period}. Issued {_day(date.today().isoformat())}. Based on {c.articles} articles "
                      f"from {outlets} named outlet(s)" + (f" and {unnamed} without one" if unnamed else "")
                      + f": {c.claims} claims ({merged} after merging reprints), {len(c.speakers)} named speakers.")

    doc.add_heading("Bottom line", level=1)
    for sentence in _bottom_line(c, info.target):
        bullet(sentence)

    doc.add_heading("What changed" + (f" since {c.changes.since}" if c.changes else ""), level=1)
    if c.changes is None:
        doc.add_paragraph("No earlier briefing of this story to compare with: everything here is new. The next "
                          "briefing lists what changed since this one (or since a date: --since).")
    else:
        ch = c.changes
        doc.add_paragraph(f"{_n(ch.new_articles, 'new article')}. New speakers: {_join(ch.new_speakers) if ch.new_speakers else 'none'}. "
                          "Shifts: " + ("; ".join(f"{s.speaker} from {s.before} to {s.after}" for s in ch.shifts)
                                        if ch.shifts else "none") + ".")
        shown_new = _spread(ch.new_positions, d.limits["positions_per_speaker"] * 2)
        for p in shown_new:
            bullet(f"{p.speaker}: {_position_line(p)}")
        if len(ch.new_positions) > len(shown_new):
            doc.add_paragraph(f"{len(ch.new_positions) - len(shown_new)} more new positions appear under their "
                              "speakers below and in the Annex.")

    doc.add_heading("Positions", level=1)
    how = ("a sentence encoder (MiniLM)" if c.grouping == "encoder" else "their shared content words")
    doc.add_paragraph(f"Each main speaker's points, with claims that make the same point grouped by meaning ({how}) "
                      "across outlets: the best direct quote, how many outlets carried it, and its stance. "
                      "The rest is in the Annex.")
    main = c.speakers[: d.limits["main_speakers"]]
    shown: set[int] = set()
    for sp in main:
        ps = c.positions.get(sp, [])
        claims = sum(len(p.mentions) for p in ps)
        counts = Counter(m.stance for p in ps for m in p.mentions)
        split = ", ".join(f"{counts[s]} {s}" for s in STANCES if counts[s])
        doc.add_heading(f"{sp} \u2014 {_n(claims, 'claim')}: {split}", level=2)
        for p in ps[: d.limits["positions_per_speaker"]]:
            shown.add(id(p))
            bullet(_position_line(p))
        if len(ps) > d.limits["positions_per_speaker"]:
            doc.add_paragraph(f"{len(ps) - d.limits['positions_per_speaker']} more position(s) in the Annex.")
    if len(c.speakers) > len(main):
        doc.add_paragraph(f"{len(c.speakers) - len(main)} other speaker(s) with fewer claims are in the Annex.")

    doc.add_heading("Stance over time", level=1)
    chart = timeline_png(c.timeline, main[: d.limits["timeline_actors"]], width_in=min(6.5, width_in))
    if chart:
        doc.add_picture(io.BytesIO(chart), width=Inches(min(6.5, width_in)))
        doc.add_paragraph("Each dot is one speaker's claims of one day, coloured by stance"
                          + (f"; {c.undated} undated article(s) are not shown." if c.undated else "."))
    else:
        doc.add_paragraph("No article of the main speakers gives a date, so there is no timeline.")

    doc.add_heading("Main actors", level=1)
    rows = _main_actor_rows(c)
    doc.add_paragraph(f"Speakers with claims first, then the most-mentioned actors: {len(rows)} of {len(c.actors)}; "
                      "all of them are in the Annex.", style=TABLE_INTRO_STYLE)
    _table(doc, ACTOR_HEADER, _actor_rows(rows), total_in=width_in)

    doc.add_heading("Sources", level=1)
    _table(doc, ["Outlet", "Date", "Title"], [list(r) for r in c.sources], total_in=width_in, flexible=(0, 2))

    doc.add_heading("Provenance and method", level=1)
    total = sum(c.origins.values())
    if total:
        doc.add_paragraph(f"Where the {total} stances came from: " + "; ".join(
            f"{c.origins[k]} {_ORIGIN_WORDS[k]}" for k in _ORIGIN_WORDS) + ".")
        scores = [f"{label} mean {mean(v):.2f}, range {min(v):.2f}\u2013{max(v):.2f} ({_n(len(v), 'claim')})"
                  for k, label in _SCORED.items() if (v := c.confidence.get(k))]
        doc.add_paragraph("Confidence of the machine's stance labels: " + ("; ".join(scores) if scores else "not recorded")
                          + ". Claims marked [machine] were not reviewed by a person.")
    else:
        doc.add_paragraph("Where the stances came from (machine or annotator) is not recorded for these claims.")
    doc.add_paragraph(f"Pre-annotation model: {', '.join(info.model_versions) or 'unknown'}. Annotators: {info.annotators}. "
                      f"Agreement: {info.agreement or 'not measured (no doubly annotated task)'}.")
    doc.add_paragraph("Claims carried by several outlets in near-identical words are one claim; a claim printed "
                      "without its speaker elsewhere is shown once, under the speaker. Names are canonical "
                      "(aliases, a surname met with one full name, a capital speaking for its country). Claims of "
                      f"fewer than {d.min_claim_words} words or that lost their subject are fragments, listed with "
                      "their sentence in the Annex.")

    doc.add_heading("Annex", level=1)
    doc.add_heading("A1. Further positions by speaker", level=2)
    rest = [(sp, [p for p in c.positions.get(sp, []) if id(p) not in shown]) for sp in c.speakers]
    rest = [(sp, ps) for sp, ps in rest if ps]
    if not rest:
        doc.add_paragraph("None: every position is shown above.")
    for sp, ps in rest:
        doc.add_paragraph(f"{sp}:", style="Heading 3")
        for p in ps:
            bullet(_position_line(p))
    doc.add_heading("A2. Claims from unnamed sources", level=2)
    if not c.unattributed:
        doc.add_paragraph("None.")
    for s in c.unattributed:
        bullet(f"{_said(s)} \u2014 {s.stance}; {', '.join(s.sources)}{_machine_tag(s.mentions)}")
    doc.add_heading("A3. Fragments, with their sentence", level=2)
    if not c.fragments:
        doc.add_paragraph("None.")
    for f in c.fragments:
        bullet(f"{f.speaker or 'Unnamed source'}: \u201c{f.text}\u201d in \u201c{f.context}\u201d \u2014 {f.stance}; {f.source}")
    doc.add_heading("A4. All actors", level=2)
    _table(doc, ACTOR_HEADER, _actor_rows(c.actors), total_in=width_in)
    return doc


def write_briefing(items: Sequence[AnnotatedArticle], output: str | Path, info: BriefingInfo, *,
                   machine_ids: frozenset[str] = frozenset(),
                   origins: Mapping[tuple[str, int, int], ClaimOrigin] | None = None,
                   encode: Callable[[list[str]], object] | None = None, encode_max: int | None = -1,
                   baseline: frozenset[str] | None = None, baseline_items: Sequence[AnnotatedArticle] = (),
                   fmt: str = "docx") -> Path:
    """Write the briefing for ``items`` (human-corrected articles; ``machine_ids`` marks unreviewed ones) as a .docx
    or, with ``fmt="pdf"``, a PDF rendered by LibreOffice.

    ``origins``: (doc id, claim start, end) -> where its stance came from. ``encode``: texts -> unit sentence
    vectors, to group paraphrases by meaning (else by shared content words), for at most ``encode_max`` claims
    (-1: the limit in exporters/data/briefing.json, which keeps a large briefing fast; None: any). ``baseline``: the doc ids of
    ``items`` briefed before, and ``baseline_items`` articles before the period, for the "what changed" section.
    """
    if fmt not in FORMATS:
        raise BriefingError(f"unknown briefing format {fmt!r}; use one of {', '.join(FORMATS)}")
    if not items:
        raise BriefingError("no annotated articles to brief on: annotate tasks in Label Studio (or 'stancedesk sync'), "
                            "or pass --include-unreviewed to use machine pre-annotations")
    output = Path(output)
    if output.is_dir():
        raise BriefingError(f"output {output} is a directory; give a file name such as {output / ('brief.' + fmt)}")
    check_output(output)
    if fmt == "pdf":
        _pdf.soffice()  # no LibreOffice: say so before the work
    # a stored text may hold characters XML cannot carry (a form feed, NUL): they never break the document
    items = [_xml_safe_item(i) for i in items]
    baseline_items = [_xml_safe_item(i) for i in baseline_items]
    info = replace(info, title=xml_safe(info.title), target=xml_safe(info.target))
    known = dict(origins or {})
    for item in items:
        if item.article.doc_id in machine_ids:
            for claim in item.claims:
                known.setdefault((item.article.doc_id, claim.start, claim.end), ClaimOrigin("machine", claim.confidence))
    content = build(items, aliases=info.aliases, speaker_aliases=info.speaker_aliases, origins=known, encode=encode,
                    encode_max=encode_max, baseline=baseline, baseline_items=baseline_items, since_label=info.changes_since)
    doc = _document(content, info)
    with atomic_path(output, create_parents=False) as tmp:
        if fmt == "docx":
            doc.save(str(tmp))
        else:
            with tempfile.TemporaryDirectory(prefix="stancedesk-brief-") as work:
                source = Path(work) / "briefing.docx"
                doc.save(str(source))
                _pdf.convert(source, tmp)
    return output

