"""The analyst's Word briefing, built from human-corrected records with python-docx.

Built from Word styles only (Title, Heading 1/2, List Bullet, a table style)
and core properties; the chart is rendered by matplotlib. The same claim
carried by several outlets (shared wire copy) appears once, with all its
sources.
"""

from __future__ import annotations

import io
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Sequence

from docx import Document
from docx.shared import Inches

from exporters.dedup import group_claims
from plugin.errors import StancedeskError
from plugin.fileio import atomic_path
from plugin.records import STANCES, AnnotatedArticle

_VERB = {"support": "supports", "oppose": "opposes", "neutral": "takes no side on"}
TABLE_STYLE = "Light Grid Accent 1"


class BriefingError(StancedeskError):
    """A briefing cannot be produced."""


@dataclass
class ClaimEntry:
    """One claim as the briefing shows it: merged across the outlets that carried it."""

    speaker: str | None
    text: str
    kind: str
    stance: str
    sources: list[str] = field(default_factory=list)
    machine: bool = False


@dataclass(frozen=True)
class BriefingInfo:
    target: str
    title: str  # the story's title (or the user's)
    period: tuple[str | None, str | None] = (None, None)
    model_versions: tuple[str, ...] = ()
    annotators: int = 0
    agreement: str | None = None
    reviewed_share: float = 1.0


def _source_name(item: AnnotatedArticle) -> str:
    meta = item.article.meta
    outlet = meta.get("outlet") or meta.get("source") or item.article.doc_id
    day = meta.get("date")
    return f"{outlet} ({day})" if day else str(outlet)


def merge_claims(items: Sequence[AnnotatedArticle], machine_ids: frozenset[str] = frozenset()) -> list[ClaimEntry]:
    """Claims of all articles, one entry per (speaker, near-identical words), with every source that carried it."""
    flat = [(item, c) for item in items for c in item.claims]
    groups = group_claims([c.text for _, c in flat], keys=[c.speaker for _, c in flat])
    entries = []
    for group in groups:
        item, first = flat[group[0]]
        entry = ClaimEntry(first.speaker, first.text, first.kind, first.stance, machine=item.article.doc_id in machine_ids)
        for n in group:
            source = _source_name(flat[n][0])
            if source not in entry.sources:
                entry.sources.append(source)
        entries.append(entry)
    return entries


def _bottom_line(entries: list[ClaimEntry], target: str) -> list[str]:
    stance_by: dict[str, Counter] = defaultdict(Counter)
    for e in entries:
        if e.speaker:
            stance_by[e.speaker][e.stance] += 1
    ranked = sorted(stance_by.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    sentences = []
    for side in ("support", "oppose"):
        names = [(n, c) for n, c in ranked if c[side] and c[side] == max(c[s] for s in STANCES)][:4]
        if names:
            parts = ", ".join(f"{n} ({c[side]} of {sum(c.values())} claims)" for n, c in names)
            sentences.append(f"{'Supporting' if side == 'support' else 'Opposing'} {target}: {parts}.")
    neutral = [(n, c) for n, c in ranked if c["neutral"] > max(c["support"], c["oppose"])][:4]
    if neutral:
        sentences.append("Mostly procedural or non-committal: " + ", ".join(f"{n} ({c['neutral']} neutral claims)" for n, c in neutral) + ".")
    if ranked:
        top, counts = ranked[0]
        main = max(STANCES, key=lambda s: counts[s])
        sentences.append(f"The most quoted speaker is {top}, who {_VERB[main]} the target in {counts[main]} of {sum(counts.values())} claims.")
    unattributed = sum(1 for e in entries if not e.speaker)
    if unattributed:
        sentences.append(f"{unattributed} claims come from unnamed sources.")
    return sentences


def _chart(entries: list[ClaimEntry], top: int = 10) -> bytes | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts: dict[str, Counter] = defaultdict(Counter)
    for e in entries:
        counts[e.speaker or "(unnamed sources)"][e.stance] += 1
    if not counts:
        return None
    names = sorted(counts, key=lambda n: -sum(counts[n].values()))[:top][::-1]
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(names) + 1.2), dpi=120)
    left = [0] * len(names)
    for stance, colour in zip(STANCES, ("#4e79a7", "#e15759", "#bab0ac")):
        values = [counts[n][stance] for n in names]
        ax.barh(names, values, left=left, color=colour, label=stance)
        left = [a + b for a, b in zip(left, values)]
    ax.set_xlabel("claims")
    ax.set_title("Stance by actor")
    ax.legend(loc="lower right", frameon=False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def _bullet_adder(doc):
    """``add(text)`` appends a paragraph in the List Bullet style.

    python-docx resolves a style name by scanning every style on each call
    (quadratic on a long briefing); the style id is resolved once here and set
    on each paragraph's properties, the same markup ``style=`` writes.
    """
    style_id = doc.styles["List Bullet"].style_id

    def add(text: str):
        paragraph = doc.add_paragraph(text)
        paragraph._p.get_or_add_pPr().style = style_id
        return paragraph

    return add


def _table(doc, header: list[str], rows: list[list[str]]):
    table = doc.add_table(rows=1, cols=len(header))
    table.style = TABLE_STYLE
    for cell, text in zip(table.rows[0].cells, header):
        cell.text = text
    for row in rows:
        for cell, text in zip(table.add_row().cells, row):
            cell.text = text
    return table


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text):
    """``text`` with the characters XML 1.0 cannot hold replaced by a space (anything else passes unchanged)."""
    return _XML_INVALID.sub(" ", text) if isinstance(text, str) else text


def _xml_safe_item(item: AnnotatedArticle) -> AnnotatedArticle:
    article = replace(item.article, text=xml_safe(item.article.text),
                      meta=MappingProxyType({k: xml_safe(v) for k, v in item.article.meta.items()}))
    return replace(item, article=article,
                   actors=tuple(replace(a, text=xml_safe(a.text), canonical=xml_safe(a.canonical)) for a in item.actors),
                   claims=tuple(replace(c, text=xml_safe(c.text), speaker=xml_safe(c.speaker)) for c in item.claims))


def write_briefing(items: Sequence[AnnotatedArticle], output: str | Path, info: BriefingInfo, *,
                   machine_ids: frozenset[str] = frozenset()) -> Path:
    """Write the briefing .docx for ``items`` (human-corrected articles; ``machine_ids`` marks unreviewed ones)."""
    if not items:
        raise BriefingError("no annotated articles to brief on: annotate tasks in Label Studio (or 'stancedesk sync'), "
                            "or pass --include-unreviewed to use machine pre-annotations")
    output = Path(output)
    if output.is_dir():
        raise BriefingError(f"output {output} is a directory; give a file name such as {output / 'brief.docx'}")
    # a stored text may hold characters XML cannot carry (a form feed, NUL): they never break the document
    items = [_xml_safe_item(i) for i in items]
    info = replace(info, title=xml_safe(info.title), target=xml_safe(info.target))
    entries = merge_claims(items, machine_ids)
    doc = Document()
    props = doc.core_properties
    props.title = info.title
    props.subject = info.target
    props.author = "stancedesk"
    props.created = datetime.now(timezone.utc)
    props.keywords = "stance; claims; actors"

    doc.add_paragraph(info.title, style="Title")
    since, until = info.period
    claims_n = sum(len(i.claims) for i in items)
    actor_names = {a.canonical for i in items for a in i.actors}
    doc.add_paragraph(f"Stance target: {info.target}")
    doc.add_paragraph(f"Period covered: {since or 'start'} to {until or 'latest'}. Issued {date.today().isoformat()}.")
    doc.add_paragraph(
        f"{len(items)} articles, {claims_n} claims ({len(entries)} after merging reprints), {len(actor_names)} actors; "
        f"{info.reviewed_share:.0%} human-reviewed."
    )
    if machine_ids:
        doc.add_paragraph("Claims marked [machine] come from unreviewed pre-annotations and have not been checked by a person.",
                          style="Intense Quote")

    doc.add_heading("Bottom line up front", level=1)
    for sentence in _bottom_line(entries, info.target):
        doc.add_paragraph(sentence, style="List Bullet")

    chart = _chart(entries)
    if chart:
        doc.add_picture(io.BytesIO(chart), width=Inches(6))

    doc.add_heading("Actors", level=1)
    mentions: Counter = Counter(a.canonical for i in items for a in i.actors)
    sources_of: dict[str, set[str]] = defaultdict(set)
    for i in items:
        for a in i.actors:
            sources_of[a.canonical].add(_source_name(i))
    stance_by: dict[str, Counter] = defaultdict(Counter)
    for e in entries:
        if e.speaker:
            stance_by[e.speaker][e.stance] += 1
    names = sorted(set(mentions) | set(stance_by), key=lambda n: (-sum(stance_by[n].values()), -mentions[n], n))
    _table(doc, ["Actor", "Mentions", "Claims", "Support", "Oppose", "Neutral", "Sources"],
           [[n, str(mentions[n]), str(sum(stance_by[n].values()))] + [str(stance_by[n][s]) for s in STANCES]
            + [str(len(sources_of[n]))] for n in names])

    bullet = _bullet_adder(doc)
    doc.add_heading("Claims by actor", level=1)
    grouped: dict[str | None, list[ClaimEntry]] = defaultdict(list)
    for e in entries:
        grouped[e.speaker].append(e)
    for speaker in sorted((s for s in grouped if s), key=lambda s: (-len(grouped[s]), s)) + ([None] if None in grouped else []):
        doc.add_heading(speaker or "Unattributed claims", level=2)
        for e in grouped[speaker]:
            said = f"\u201c{e.text}\u201d" if e.kind == "direct" else f"Reported: {e.text}"
            tag = " [machine]" if e.machine else ""
            bullet(f"{said} \u2014 {e.stance or 'stance not given'}; carried by {', '.join(e.sources)}{tag}")

    doc.add_heading("Sources", level=1)
    _table(doc, ["Outlet", "Date", "Title"],
           [[str(i.article.meta.get("outlet") or i.article.meta.get("source") or i.article.doc_id),
             str(i.article.meta.get("date") or ""), str(i.article.meta.get("title") or "")] for i in items])

    doc.add_heading("Methods", level=1)
    doc.add_paragraph(f"Pre-annotation model: {', '.join(info.model_versions) or 'unknown'}.")
    doc.add_paragraph(f"Annotators: {info.annotators}. Agreement: {info.agreement or 'not measured (no doubly annotated task)'}.")
    doc.add_paragraph("Claims carried by several outlets with the same speaker and near-identical words are merged; "
                      "stance is the annotators' judgement toward the stated target.")

    with atomic_path(output, create_parents=False) as tmp:
        doc.save(str(tmp))
    return output
