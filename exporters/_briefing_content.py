"""What the briefing says, as plain data: statements, positions, actors, changes and provenance.

The Word document (``exporters/briefing.py``) only lays this out. Words and limits come from
``exporters/data/briefing.json``.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Mapping, Sequence
from urllib.parse import urlparse

from exporters.dedup import group_claims, group_paraphrases
from plugin.records import STANCES, AnnotatedArticle, Claim, ClaimOrigin

DATA_FILE = Path(__file__).parent / "data" / "briefing.json"
FORMS = ("quote", "reported", "denied", "headline")
NO_OUTLET = "not given"  # the sources table's outlet for an article whose metadata names none
_SENTENCE_END = re.compile(r"[.!?][\"\u201d\u2019)]?\s+(?=[A-Z\u201c\"(])|\n")  # not after "U.S." inside a sentence
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class BriefingData:
    denial_cues: re.Pattern
    denial_window: int
    min_claim_words: int
    min_quote_words: int
    fragment_first_words: frozenset[str]
    stopwords: frozenset[str]
    suffixes: tuple[str, ...]
    name_small_words: frozenset[str]
    limits: Mapping[str, int]
    thresholds: Mapping[str, float]


@lru_cache(maxsize=1)
def data() -> BriefingData:
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    cues = sorted(raw["denial_cues"], key=len, reverse=True)
    return BriefingData(
        denial_cues=re.compile(r"\b(?:" + "|".join(re.escape(c) for c in cues) + r")\b", re.IGNORECASE),
        denial_window=int(raw["denial_window"]),
        min_claim_words=int(raw["min_claim_words"]),
        min_quote_words=int(raw["min_quote_words"]),
        fragment_first_words=frozenset(raw["fragment_first_words"]),
        stopwords=frozenset(raw["stopwords"]),
        suffixes=tuple(sorted(raw["suffixes"], key=len, reverse=True)),
        name_small_words=frozenset(raw["name_small_words"]),
        limits=dict(raw["limits"]),
        thresholds=dict(raw["thresholds"]),
    )


@dataclass(frozen=True)
class Mention:
    """One claim in one article: where it was carried, when, and where its stance came from."""

    article: str  # the article's key
    source: str  # the outlet's name (or the article's title or address)
    day: str | None
    stance: str
    speaker: str | None
    origin: ClaimOrigin | None


@dataclass
class Statement:
    """One claim merged across the articles that carried it in (near) the same words."""

    speaker: str | None
    text: str
    kind: str
    form: str  # one of FORMS
    stance: str
    mentions: list[Mention] = field(default_factory=list)
    compared: str = ""  # the text with every name in its canonical form, as claims are compared

    @property
    def sources(self) -> list[str]:
        return list(dict.fromkeys(m.source for m in self.mentions))


@dataclass
class Position:
    """The statements of one speaker that make the same point, in any words."""

    speaker: str
    statements: list[Statement]
    new: bool = False

    @property
    def best(self) -> Statement:
        """The quote to show: a direct quote if there is one, the most widely carried, then the fullest."""
        return max(self.statements, key=lambda s: (s.form == "quote", s.form != "headline", len(s.sources),
                                                   min(len(s.text.split()), 40)))

    @property
    def mentions(self) -> list[Mention]:
        return [m for s in self.statements for m in s.mentions]

    @property
    def sources(self) -> list[str]:
        return list(dict.fromkeys(src for s in self.statements for src in s.sources))

    @property
    def stance(self) -> str:
        return majority(m.stance for m in self.mentions)


@dataclass(frozen=True)
class Fragment:
    speaker: str | None
    text: str
    context: str  # the sentence it stands in
    source: str
    stance: str


@dataclass(frozen=True)
class ActorRow:
    name: str
    label: str
    mentions: int
    claims: int
    stances: Mapping[str, int]
    outlets: int


@dataclass(frozen=True)
class Shift:
    speaker: str
    before: str
    after: str


@dataclass(frozen=True)
class Changes:
    """What the new articles add to those briefed before (or dated before --since)."""

    since: str  # a label: "the briefing of 2026-01-03" or "2022-01-10"
    new_articles: int
    new_speakers: tuple[str, ...]
    new_positions: tuple[Position, ...]
    shifts: tuple[Shift, ...]


@dataclass(frozen=True)
class Moves:
    """A main speaker whose stance on their earliest dated day differs from that on their latest."""

    speaker: str
    first: tuple[str, str]  # (day, stance)
    last: tuple[str, str]


@dataclass
class Content:
    period: tuple[str | None, str | None]
    undated: int
    articles: int
    claims: int
    statements: list[Statement]
    speakers: list[str]  # ranked, named speakers with statements
    positions: dict[str, list[Position]]
    unattributed: list[Statement]
    fragments: list[Fragment]
    actors: list[ActorRow]  # all, ranked
    sources: list[tuple[str, str, str]]  # (outlet, date, title), one per article
    origins: Counter  # ORIGINS -> claims
    confidence: dict[str, list[float]]  # origin -> machine scores of those claims
    moves: list[Moves]
    timeline: dict[str, dict[str, Counter]]  # speaker -> day -> stance counts
    grouping: str  # "encoder" or "lexical"
    changes: Changes | None = None


def majority(stances) -> str:
    counts = Counter(stances)
    if not counts:
        return "neutral"
    return max(STANCES, key=lambda s: (counts[s], s != "neutral"))


# -- names ------------------------------------------------------------------------
def display_name(name: str) -> str:
    """A canonical name as printed: its lower-case words get a capital, except small words ("Russian foreign
    ministry" -> "Russian Foreign Ministry"; "Ministry of Defence" and "von Tessel" unchanged)."""
    small = data().name_small_words
    words = name.split(" ")
    return " ".join(w[:1].upper() + w[1:] if w[:1].islower() and w not in small else w for w in words)


def _namer(items: Sequence[AnnotatedArticle], aliases: Mapping[str, str],
           speaker_aliases: Mapping[str, str]) -> tuple[Callable[[str], str], Callable[[str | None], str | None]]:
    """(actor name, speaker name) -> the one canonical name the whole briefing uses."""
    def base(name: str) -> str:
        return aliases.get(name, name)

    full: dict[str, set[str]] = defaultdict(set)
    for item in items:
        for a in item.actors:
            name = base(a.canonical)
            if a.label == "PERSON" and len(name.split()) >= 2:
                full[name.split()[-1]].add(name)
        for c in item.claims:
            if c.speaker and len(base(c.speaker).split()) >= 2 and base(c.speaker)[:1].isupper():
                full[base(c.speaker).split()[-1]].add(base(c.speaker))
    surname = {last: next(iter(names)) for last, names in full.items() if len(names) == 1}

    def actor(name: str) -> str:
        name = base(name)
        return display_name(surname.get(name, name) if " " not in name else name)

    def speaker(name: str | None) -> str | None:
        if not name:
            return None
        name = speaker_aliases.get(name, name)
        return actor(speaker_aliases.get(base(name), name))

    return actor, speaker


def _aliaser(aliases: Mapping[str, str]) -> Callable[[str], str]:
    """``text`` with every alias written as its canonical name (so "North Atlantic Treaty Organization withdraw"
    and "NATO withdraw" compare as the same words)."""
    names = sorted((a for a, c in aliases.items() if a != c and len(a) > 1), key=len, reverse=True)
    if not names:
        return lambda text: text
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in names) + r")(?!\w)")
    return lambda text: pattern.sub(lambda m: aliases[m.group(0)], text)


def outlet_name(meta: Mapping[str, object]) -> str | None:
    """The outlet as the metadata names it (never a file name), or the site of its web address."""
    for key in ("outlet", "source", "publisher", "site"):
        value = meta.get(key)
        if isinstance(value, str) and value.strip() and not _looks_like_file(value):
            return value.strip()
    url = meta.get("url")
    if isinstance(url, str) and urlparse(url).netloc:
        return urlparse(url).netloc.removeprefix("www.")
    return None


def source_name(meta: Mapping[str, object], text: str) -> str:
    """The outlet's name; without one, the article's title, or its first words."""
    outlet = outlet_name(meta)
    if outlet:
        return outlet
    title = meta.get("title")
    if isinstance(title, str) and title.strip():
        return _short(title.strip(), 8)
    first = next((line.strip() for line in text.splitlines() if len(line.split()) >= 4), "")
    return f"untitled article: \u201c{_short(first, 6)}\u201d" if first else "untitled article"


def _looks_like_file(value: str) -> bool:
    return bool(re.fullmatch(r"[\w.-]+\.(txt|jsonl?|html?|md|csv)", value.strip(), re.IGNORECASE))


def _short(text: str, words: int) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + (" \u2026" if len(parts) > words else "")


def article_day(meta: Mapping[str, object]) -> str | None:
    value = meta.get("date")
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value[:10]):
        return value[:10]
    return None


def article_key(item: AnnotatedArticle) -> str:
    return item.article.doc_id


# -- one claim's form -----------------------------------------------------------------
def _line(text: str, start: int, end: int) -> str:
    a = text.rfind("\n", 0, start) + 1
    b = text.find("\n", end)
    return text[a: b if b >= 0 else len(text)].strip()


_FIRST_LINE = re.compile(r"^[ \t]*(\S+[ \t]+\S+[ \t]+\S.*?)[ \t]*$", re.MULTILINE)  # the first line of 3+ words


def _is_headline(item: AnnotatedArticle, claim: Claim) -> bool:
    """The claim stands in the article's title line: the line equals the metadata title, or it is the first line
    with words and no sentence end."""
    text = item.article.text
    line = _line(text, claim.start, claim.end)
    title = item.article.meta.get("title")
    if isinstance(title, str) and title.strip() and " ".join(line.split()) == " ".join(title.split()):
        return True
    end = text.find("\n", claim.end)
    first = _FIRST_LINE.search(text, 0, len(text) if end < 0 else end)
    return (first is not None and first.start(1) <= claim.start and claim.end <= first.end(1)
            and not re.search(r"[.!?\u201d\"]$", first.group(1)))


def _is_denial(item: AnnotatedArticle, claim: Claim) -> bool:
    d = data()
    text = item.article.text
    start = max(0, claim.start - d.denial_window)
    if claim.speaker_span and claim.speaker_span[1] <= claim.start:
        start = max(start, claim.speaker_span[0])
    gap = text[start:claim.start]
    ends = [m.end() for m in _SENTENCE_END.finditer(gap)]
    gap = gap[ends[-1]:] if ends else gap
    return bool(d.denial_cues.search(gap))


def claim_form(item: AnnotatedArticle, claim: Claim) -> str:
    if _is_headline(item, claim):
        return "headline"
    if claim.kind == "direct":
        return "quote"
    return "denied" if _is_denial(item, claim) else "reported"


def is_fragment(claim: Claim) -> bool:
    """Too short, or a clause that lost its subject or its bracket: not a claim a reader can take alone."""
    d = data()
    words = _WORD.findall(claim.text)
    if not words:
        return True
    if claim.text.count("(") != claim.text.count(")") or claim.text.strip()[-1:] in ("\u2014", "\u2013", "-", "("):
        return True
    if claim.kind != "direct" and words[0] in d.fragment_first_words:
        return True
    return len(words) < (d.min_quote_words if claim.kind == "direct" else d.min_claim_words)


def _sentence(text: str, start: int, end: int) -> str:
    a = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    m = _SENTENCE_END.search(text, end)
    b = m.end() if m else len(text)
    return " ".join(text[a:b].split())


# -- building the content ----------------------------------------------------------------
def build(items: Sequence[AnnotatedArticle], *, aliases: Mapping[str, str] = {}, speaker_aliases: Mapping[str, str] = {},
          origins: Mapping[tuple[str, int, int], ClaimOrigin] = {}, encode: Callable[[list[str]], object] | None = None,
          encode_max: int | None = -1, baseline: frozenset[str] | None = None,
          baseline_items: Sequence[AnnotatedArticle] = (), since_label: str = "") -> Content:
    """The briefing's content for ``items``.

    ``aliases``: name -> canonical name for every mention; ``speaker_aliases``: a name that takes another only
    when it speaks (a capital for its country). ``origins``: (article key, claim start, end) -> where its stance
    came from. ``encode``: texts -> unit sentence vectors, for grouping paraphrases (else by content words), used
    for at most ``encode_max`` claims (-1: the data file's limit; None: no limit).
    ``baseline``: keys of ``items`` briefed before, plus ``baseline_items`` (dated before the period): what the
    "what changed" section compares the rest with.
    """
    d = data()
    actor_name, speaker_name = _namer(list(items) + list(baseline_items), aliases, speaker_aliases)
    normalise = _aliaser({**aliases, **speaker_aliases})
    days = [article_day(i.article.meta) for i in items]
    dated = sorted(x for x in days if x)
    sources = {article_key(i): source_name(i.article.meta, i.article.text) for i in items}

    statements, fragments = _statements(items, actor_name=actor_name, speaker_name=speaker_name, normalise=normalise,
                                        origins=origins, sources=sources)
    origin_counts: Counter = Counter()
    confidence: dict[str, list[float]] = defaultdict(list)
    for item in items:
        for c in item.claims:
            o = origins.get((article_key(item), c.start, c.end))
            if o is None:
                continue
            origin_counts[o.status] += 1
            if o.confidence is not None:
                confidence[o.status].append(o.confidence)

    named = [s for s in statements if s.speaker]
    stance_by: dict[str, Counter] = defaultdict(Counter)  # speaker -> stance -> claims
    outlets: dict[str, set[str]] = defaultdict(set)
    timeline: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for s in named:
        for m in s.mentions:
            stance_by[s.speaker][m.stance] += 1
            outlets[s.speaker].add(m.source)
            if m.day:
                timeline[s.speaker][m.day][m.stance] += 1
    speaker_claims = {sp: sum(counts.values()) for sp, counts in stance_by.items()}
    speakers = sorted(speaker_claims, key=lambda n: (-speaker_claims[n], n))
    most = d.limits["encoder_max_statements"] if encode_max == -1 else encode_max
    use_encoder = encode is not None and 0 < len(named) and (most is None or len(named) <= most)
    positions = _positions(named, encode if use_encoder else None)

    mentions: Counter = Counter()
    labels: dict[str, Counter] = defaultdict(Counter)
    for item in items:
        for a in item.actors:
            name = actor_name(a.canonical)
            mentions[name] += 1
            labels[name][a.label] += 1
            outlets[name].add(sources[article_key(item)])
    names = sorted(set(mentions) | set(stance_by), key=lambda n: (-speaker_claims.get(n, 0), -mentions[n], n))
    actors = [ActorRow(n, labels[n].most_common(1)[0][0] if labels[n] else "", mentions[n], speaker_claims.get(n, 0),
                       {s: stance_by[n][s] for s in STANCES}, len(outlets[n])) for n in names]

    content = Content(
        period=(dated[0], dated[-1]) if dated else (None, None),
        undated=sum(1 for x in days if not x),
        articles=len(items),
        claims=sum(len(i.claims) for i in items),
        statements=statements,
        speakers=speakers,
        positions=positions,
        unattributed=[s for s in statements if not s.speaker],
        fragments=fragments,
        actors=actors,
        sources=sorted(((outlet_name(i.article.meta) or NO_OUTLET, article_day(i.article.meta) or "undated",
                         str(i.article.meta.get("title") or "") or sources[article_key(i)]) for i in items),
                       key=lambda r: (r[1], r[0])),
        origins=origin_counts,
        confidence=dict(confidence),
        moves=_moves(speakers[: d.limits["main_speakers"]], timeline),
        timeline={k: dict(v) for k, v in timeline.items()},
        grouping="encoder" if use_encoder else "lexical",
    )
    if baseline is not None or baseline_items:
        content.changes = _changes(items, baseline or frozenset(), baseline_items, content, since_label,
                                   actor_name=actor_name, speaker_name=speaker_name, normalise=normalise)
    return content


def _statements(items, *, actor_name, speaker_name, normalise, origins, sources) -> tuple[list[Statement], list[Fragment]]:
    """Claims merged across articles (same words give or take a few, names in any of their forms); a claim said
    by a named speaker and printed elsewhere without one is one statement, under the speaker."""
    flat: list[tuple[AnnotatedArticle, Claim, str | None, str]] = []
    fragments: list[Fragment] = []
    seen: set[tuple[str | None, str, str]] = set()  # (speaker, text, sentence) of the fragments listed
    for item in items:
        key = article_key(item)
        keep = [c for c in item.claims if not is_fragment(c)]
        kept = set(keep)
        for c in item.claims:
            speaker = speaker_name(c.speaker)
            if c in kept:
                flat.append((item, c, speaker, claim_form(item, c)))
            elif not any(k.start <= c.start and c.end <= k.end for k in keep):  # else it is part of a fuller claim
                context = _sentence(item.article.text, c.start, c.end)
                if (speaker, c.text, context) not in seen:
                    seen.add((speaker, c.text, context))
                    fragments.append(Fragment(speaker, c.text, context, sources[key], c.stance))
    compared = [normalise(c.text) for _, c, _, _ in flat]
    groups = group_claims(compared, threshold=data().thresholds["reprint_jaccard"])
    out = []
    for group in groups:
        members = [flat[n] for n in group]
        named = Counter(sp for _, _, sp, _ in members if sp)
        speaker = named.most_common(1)[0][0] if named else None
        own = [n for n in group if flat[n][2] == speaker] or group
        best = max(own, key=lambda n: (flat[n][3] == "quote", flat[n][3] != "headline", len(flat[n][1].text)))
        item, claim, _, form = flat[best]
        mentions = [Mention(article_key(i), sources[article_key(i)], article_day(i.article.meta), c.stance, sp,
                            origins.get((article_key(i), c.start, c.end))) for i, c, sp, _ in members]
        out.append(Statement(speaker, " ".join(claim.text.split()), claim.kind, form,
                             majority(m.stance for m in mentions if m.speaker == speaker or not named), mentions,
                             compared[best]))
    return out, fragments


def _positions(named: list[Statement], encode) -> dict[str, list[Position]]:
    d = data()
    texts = [_without_name(s.compared or s.text, s.speaker) for s in named]
    vectors = encode(texts) if encode is not None and texts else None
    groups = group_paraphrases(texts, keys=[s.speaker for s in named], stopwords=d.stopwords, suffixes=d.suffixes,
                               threshold=d.thresholds["paraphrase_jaccard"], vectors=vectors,
                               cosine=d.thresholds["paraphrase_cosine"])
    out: dict[str, list[Position]] = defaultdict(list)
    for g in groups:
        p = Position(named[g[0]].speaker, [named[n] for n in g])
        out[p.speaker].append(p)
    for ps in out.values():
        ps.sort(key=lambda p: (-len(p.sources), -len(p.mentions), p.stance == "neutral"))
    return dict(out)


def _without_name(text: str, speaker: str | None) -> str:
    """The text without the words of its speaker's name ("Poll says the treaty ..." makes the same point as "the
    treaty ...", said by Poll)."""
    if not speaker:
        return text
    names = {w.lower() for w in _WORD.findall(speaker)}
    return " ".join(w for w in text.split() if w.strip(".,;:!?\u201c\u201d\"'\u2019").lower().removesuffix("\u2019s") not in names)


def _moves(speakers: Sequence[str], timeline) -> list[Moves]:
    out = []
    for sp in speakers:
        days = sorted(timeline.get(sp, {}))
        if len(days) < 2:
            continue
        first, last = majority(timeline[sp][days[0]].elements()), majority(timeline[sp][days[-1]].elements())
        if first != last:
            out.append(Moves(sp, (days[0], first), (days[-1], last)))
    return out


def _changes(items, baseline: frozenset[str], baseline_items, content: Content, since_label: str, **names) -> Changes:
    new_items = [i for i in items if article_key(i) not in baseline]
    old_items = [i for i in items if article_key(i) in baseline] + list(baseline_items)
    sources = {article_key(i): source_name(i.article.meta, i.article.text) for i in list(items) + list(baseline_items)}
    old, _ = _statements(old_items, origins={}, sources=sources, **names)
    new, _ = _statements(new_items, origins={}, sources=sources, **names)
    old_named = [s for s in old if s.speaker]
    new_named = [s for s in new if s.speaker]
    old_speakers = {s.speaker for s in old_named}
    new_speakers = tuple(dict.fromkeys(s.speaker for s in new_named if s.speaker not in old_speakers))
    both = old_named + new_named
    grouped = _positions(both, None)
    new_positions = []
    old_ids = {id(s) for s in old_named}
    for ps in grouped.values():
        for p in ps:
            if not any(id(s) in old_ids for s in p.statements):
                p.new = True
                new_positions.append(p)
    rank = {sp: n for n, sp in enumerate(content.speakers)}
    new_positions.sort(key=lambda p: (rank.get(p.speaker, len(rank)), -len(p.sources)))
    shifts = []
    for sp in sorted(old_speakers & {s.speaker for s in new_named}, key=lambda s: rank.get(s, len(rank))):
        before = majority(m.stance for s in old_named if s.speaker == sp for m in s.mentions)
        after = majority(m.stance for s in new_named if s.speaker == sp for m in s.mentions)
        if before != after:
            shifts.append(Shift(sp, before, after))
    return Changes(since_label, len(new_items), new_speakers, tuple(new_positions), tuple(shifts))
