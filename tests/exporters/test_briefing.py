"""The briefing: reopened with python-docx and checked for its shape, its claim text, names, provenance and changes."""

from __future__ import annotations

import re
from dataclasses import replace
from types import MappingProxyType

import pytest
from docx import Document

from exporters.briefing import BriefingError, BriefingInfo, write_briefing
from plugin.records import Actor, AnnotatedArticle, Article, Claim, ClaimOrigin

TARGET = "Russia's security demands on NATO and the U.S."
INVENTED_TARGET = "the proposed canal treaty"


@pytest.fixture(scope="module")
def seed_items(seed_gold_with_meta):
    return seed_gold_with_meta


@pytest.fixture(scope="module")
def story_names(example_story):
    from plugin.exports import briefing_names

    return briefing_names(example_story)


@pytest.fixture(scope="module")
def brief(seed_items, story_names, tmp_path_factory):
    path = tmp_path_factory.mktemp("brief") / "brief.docx"
    aliases, speakers = story_names
    write_briefing(seed_items, path, BriefingInfo(target=TARGET, title="Russia-NATO talks", model_versions=("m1",),
                                                  annotators=2, aliases=aliases, speaker_aliases=speakers))
    return Document(str(path))


def _texts(doc, style):
    return [p.text for p in doc.paragraphs if p.style.name == style]


def _section(doc, heading: str, level: str = "Heading 1") -> list[str]:
    """The paragraphs under one heading, up to the next heading of the same level."""
    out, inside = [], False
    for p in doc.paragraphs:
        if p.style.name == level:
            inside = p.text.startswith(heading)
            continue
        if inside:
            out.append(p.text)
    return out


# -- invented articles ------------------------------------------------------------------------
def article(doc_id: str, text: str, claims: list[tuple[str, str | None, str, str]], *, meta: dict | None = None,
            actors: list[tuple[str, str, str]] = (), kind_of: dict | None = None) -> AnnotatedArticle:
    """An article whose claims are (claim text, speaker mention text or None, canonical speaker, stance); actors
    are (mention text, label, canonical). Offsets are found in the text."""
    made_actors, made_claims = [], []
    for mention, label, canonical in actors:
        for m in re.finditer(re.escape(mention), text):
            made_actors.append(Actor(m.start(), m.end(), label, mention, canonical))
    for claim_text, mention, speaker, stance in claims:
        start = text.index(claim_text)
        span = None
        if mention is not None:
            s = text.index(mention)
            span = (s, s + len(mention))
        kind = (kind_of or {}).get(claim_text) or ("direct" if text[start - 1:start] in "\u201c\"" and start else "indirect")
        made_claims.append(Claim(start, start + len(claim_text), claim_text, kind, speaker if mention else None, span, stance))
    return AnnotatedArticle(Article(doc_id, text, MappingProxyType(meta or {})), tuple(made_actors), tuple(made_claims))


CANAL = [
    article("a1.txt",
            "Ministers Meet On Canal Treaty\nGarrick Poll said the treaty would double trade along the eastern "
            "shore. The Harbour Council denied it was planning to close the northern locks. \u201cWe will not sign "
            "a treaty that drains our lakes,\u201d said Mira Tenet.",
            [("the treaty would double trade along the eastern shore", "Garrick Poll", "Garrick Poll", "support"),
             ("it was planning to close the northern locks", "Harbour Council", "Harbour Council", "neutral"),
             ("We will not sign a treaty that drains our lakes,", "Mira Tenet", "Mira Tenet", "oppose")],
            meta={"outlet": "Lakeside Courier", "date": "2031-03-02", "title": "Ministers Meet On Canal Treaty"},
            actors=[("Garrick Poll", "PERSON", "Garrick Poll"), ("Mira Tenet", "PERSON", "Mira Tenet"),
                    ("Harbour Council", "ORG", "Harbour Council")]),
    article("a2.txt",
            "Poll says treaty will double trade\nPoll said the treaty would double trade along the eastern shore. "
            "Officials said the treaty would double trade along the eastern shore. Brennholt warned that the "
            "locks must stay open to barges. Tenet said (HCB \u2014",
            [("Poll says treaty will double trade", "Poll", "Poll", "support"),
             ("the treaty would double trade along the eastern shore", "Poll", "Poll", "support"),
             ("the locks must stay open to barges", "Brennholt", "Brennholt", "oppose"),
             ("(HCB \u2014", "Tenet", "Tenet", "neutral")],
            meta={"title": "Poll says treaty will double trade", "date": "2031-03-09"},
            actors=[("Poll", "PERSON", "Poll"), ("Brennholt", "GPE", "Brennholt"), ("Tenet", "PERSON", "Tenet")],
            kind_of={"Poll says treaty will double trade": "indirect"}),
]


@pytest.fixture(scope="module")
def canal(tmp_path_factory):
    path = tmp_path_factory.mktemp("canal") / "canal.docx"
    origins = {("a1.txt", c.start, c.end): ClaimOrigin(status, score) for c, (status, score) in
               zip(CANAL[0].claims, [("confirmed", 0.91), ("changed", 0.55), ("added", None)])}
    write_briefing(CANAL, path, BriefingInfo(target=INVENTED_TARGET, title="The canal treaty",
                                             speaker_aliases={"Brennholt": "Republic of Aster"}),
                   origins=origins, machine_ids=frozenset({"a2.txt"}))
    return Document(str(path))


# -- shape -------------------------------------------------------------------------------------
def test_bottom_line_first_then_judgments_then_annex(brief):
    assert _texts(brief, "Title") == ["Russia-NATO talks"]
    assert _texts(brief, "Subtitle") == [f"Stance toward: {TARGET}"]
    assert _texts(brief, "Heading 1") == ["Bottom line", "What changed", "Positions", "Stance over time", "Main actors",
                                          "Sources", "Provenance and method", "Annex"]
    assert brief.core_properties.title == "Russia-NATO talks" and brief.core_properties.subject == TARGET
    assert brief.core_properties.author == "stancedesk"


def test_period_comes_from_the_article_dates(brief):
    period = next(p.text for p in brief.paragraphs if p.text.startswith("Period:"))
    assert period.startswith("Period: 22 Dec 2021 to 27 Jan 2022; 3 of 5 articles undated.")


@pytest.mark.parametrize("dates, expected", [((None, None), "Period: undated (no article gives a date)."),
                                             (("2031-03-09", None), "Period: 9 Mar 2031 to 9 Mar 2031; 1 of 2 articles undated."),
                                             (("2031-03-09", "2031-03-02"), "Period: 2 Mar 2031 to 9 Mar 2031.")],
                         ids=["all-undated", "one-undated", "both-dated"])
def test_period_says_undated(tmp_path, dates, expected):
    items = [replace(i, article=replace(i.article, meta=MappingProxyType({"outlet": "X", **({"date": d} if d else {})})))
             for i, d in zip(CANAL, dates)]
    doc = Document(str(write_briefing(items, tmp_path / "b.docx", BriefingInfo(target=INVENTED_TARGET, title="t"))))
    assert next(p.text for p in doc.paragraphs if p.text.startswith("Period:")).startswith(expected)


def test_bottom_line_is_three_to_five_sentences_from_the_data(brief):
    bluf = _section(brief, "Bottom line")
    assert 3 <= len(bluf) <= 5
    assert bluf[0].startswith(f"Supporting {TARGET}: ") and "Opposing it: NATO" in bluf[0]
    assert any(s.startswith("The most quoted is Russia (") for s in bluf)
    assert any(s.startswith("What moved: ") for s in bluf)
    strongest = next(s for s in bluf if s.startswith("Strongest quotes: "))
    assert "Vladimir Putin (support, 2 outlets): \u201cWe have nowhere to retreat further\u201d" in strongest
    assert "(oppose," in strongest  # both sides


def test_each_speaker_section_is_short_and_the_rest_goes_to_the_annex(brief):
    positions = _section(brief, "Positions")
    speakers = [p.text for p in brief.paragraphs if p.style.name == "Heading 2"]
    assert speakers[0] == "Russia \u2014 17 claims: 12 support, 5 neutral"
    assert "Vladimir Putin \u2014 16 claims: 15 support, 1 neutral" in speakers
    run = 0
    for text in positions:
        run = run + 1 if "; 1 outlet" in text or " outlets (" in text else 0
        assert run <= 5
    assert "9 more position(s) in the Annex." in positions
    annex = _section(brief, "Annex")
    assert "Russia:" in annex and "A1. Further positions by speaker" in _texts(brief, "Heading 2")


def test_a_claim_appears_once(brief):
    bullets = _texts(brief, "List Bullet")
    hope = [b for b in bullets if b.startswith("\u201cWe would like to hope")]
    assert len(hope) == 1, "the wire paragraph reprinted by two outlets appears once"
    assert "2 outlets (Stars and Stripes, Bloomberg)" in hope[0]
    nato = [b for b in bullets if "withdraw forces to the positions they held in 1997" in b]
    assert len(nato) == 1 and "2 outlets" in nato[0], "NATO and North Atlantic Treaty Organization are one name"


def test_timeline_chart_is_embedded(brief):
    assert len(brief.inline_shapes) == 1
    assert "Each dot is one speaker's claims of one day" in " ".join(_section(brief, "Stance over time"))


def test_actors_table_is_limited_and_the_full_list_is_in_the_annex(brief):
    main, sources, everyone = brief.tables
    assert [c.text for c in main.rows[0].cells] == ["Actor", "Mentions", "Claims", "Support", "Oppose", "Neutral", "Outlets"]
    assert 1 + 10 <= len(main.rows) <= 1 + 40
    names = [r.cells[0].text for r in main.rows[1:]]
    assert names[0] == "Russia"
    moscow = next(r for r in main.rows if r.cells[0].text == "Moscow")
    assert moscow.cells[2].text == "0", "a capital speaking is its country: Moscow's claims are Russia's"
    assert all(int(r.cells[2].text) > 0 or int(r.cells[1].text) > 1 for r in main.rows[1:]), "no one-mention credits"
    assert len(everyone.rows) > len(main.rows) and "Nick Macfie" in [r.cells[0].text for r in everyone.rows]
    assert "Sergei Lavrov" in names and "Lavrov" not in names


def test_sources_by_outlet_or_title_never_a_file_name(brief, seed_items):
    _, sources, _ = brief.tables
    assert len(sources.rows) == 1 + len(seed_items)
    rows = [[c.text for c in r.cells] for r in sources.rows[1:]]
    assert ["Bloomberg", "2021-12-22"] == rows[0][:2]
    assert ["not given", "undated", "US plans talks with Russia to find diplomatic route to ease Ukraine tensions"] in rows
    text = "\n".join(p.text for p in brief.paragraphs) + "\n".join(c.text for t in brief.tables for r in t.rows for c in r.cells)
    assert not re.search(r"\d{3}_[0-9a-f]{16}", text), "no file name anywhere"


def test_table_columns_are_set_wide_enough_for_their_longest_word(brief):
    from exporters.briefing import TABLE_FONT_PT, _word_width_in

    for table in brief.tables:
        widths = [col.width.inches for col in table.columns]
        assert abs(sum(widths) - 6.5) < 0.05, widths
        for n, width in enumerate(widths):
            longest = max(_word_width_in(w, True, TABLE_FONT_PT) for r in table.rows for w in r.cells[n].text.split())
            assert longest < width - 0.15, (table.rows[0].cells[n].text, longest, width)


# -- claim text -----------------------------------------------------------------------------------
def test_denials_headlines_and_quotes_say_what_they_are(canal):
    bullets = _texts(canal, "List Bullet")
    assert any(b.startswith("Denied that it was planning to close the northern locks \u2014 neutral") for b in bullets)
    assert any(b.startswith("\u201cWe will not sign a treaty that drains our lakes\u201d \u2014 oppose") for b in bullets)
    assert not any(b.startswith("Reported: Poll says") for b in bullets)


@pytest.mark.parametrize(
    "text, claim, kind, printed",
    [
        ("Canal Fees Are Robbery, Says Tenet\nMore lines follow here.", "Canal Fees Are Robbery", "indirect",
         "Headline: \u201cCanal Fees Are Robbery\u201d"),
        ("Tenet said the canal fees are robbery of the poor.", "the canal fees are robbery of the poor", "indirect",
         "Reported: the canal fees are robbery of the poor"),
        ("Tenet denied that the canal fees are robbery of the poor.", "the canal fees are robbery of the poor", "indirect",
         "Denied that the canal fees are robbery of the poor"),
        ("Tenet flatly denies planning to raise the canal fees again.", "planning to raise the canal fees again", "indirect",
         "Denied planning to raise the canal fees again"),
        ("Tenet said: \u201cThe canal fees are robbery of the poor.\u201d", "The canal fees are robbery of the poor.", "direct",
         "\u201cThe canal fees are robbery of the poor.\u201d"),
    ],
    ids=["headline", "reported", "denial", "denial-gerund", "quote"],
)
def test_claim_forms(tmp_path, text, claim, kind, printed):
    item = article("f.txt", text, [(claim, "Tenet", "Mira Tenet", "oppose")], meta={"outlet": "Valley Post"},
                   actors=[("Tenet", "PERSON", "Mira Tenet")], kind_of={claim: kind})
    doc = Document(str(write_briefing([item], tmp_path / "f.docx", BriefingInfo(target=INVENTED_TARGET, title="t"))))
    assert f"{printed} \u2014 oppose; 1 outlet (Valley Post)" in _texts(doc, "List Bullet")


def test_fragments_go_to_the_annex_with_their_sentence(canal):
    fragments = _section(canal, "A3. Fragments", "Heading 2")
    assert fragments == ["Mira Tenet: \u201c(HCB \u2014\u201d in \u201cTenet said (HCB \u2014\u201d \u2014 neutral; "
                         "Poll says treaty will double trade"]
    assert not any("(HCB" in p for p in _section(canal, "Positions"))


def test_one_name_per_actor_and_a_claim_once_under_its_speaker(canal):
    speakers = _texts(canal, "Heading 2")
    assert "Garrick Poll \u2014 3 claims: 3 support" in speakers  # "Poll" is Garrick Poll
    assert not any(s.startswith("Poll ") for s in speakers)
    assert any(s.startswith("Republic of Aster \u2014") for s in speakers)  # the capital speaks for its country
    double = [b for b in _texts(canal, "List Bullet") if "the treaty would double trade" in b]
    assert len(double) == 1 and "2 outlets (Lakeside Courier, Poll says treaty will double trade)" in double[0]
    assert _section(canal, "A2. Claims from unnamed sources", "Heading 2") == ["None."]


def test_paraphrases_are_one_position(tmp_path):
    text = ("Kessel said the canal treaty would double the trade of the eastern ports. Later Kessel said doubling "
            "eastern port trade is what the canal treaty does. Kessel said the weather was fine.")
    item = article("p.txt", text, [("the canal treaty would double the trade of the eastern ports", "Kessel", "Kessel", "support"),
                                   ("doubling eastern port trade is what the canal treaty does", "Kessel", "Kessel", "support"),
                                   ("the weather was fine", "Kessel", "Kessel", "neutral")],
                   meta={"outlet": "Port Times"}, actors=[("Kessel", "PERSON", "Kessel")])
    doc = Document(str(write_briefing([item], tmp_path / "p.docx", BriefingInfo(target=INVENTED_TARGET, title="t"))))
    bullets = [b for b in _section(doc, "Positions") if "\u2014 support" in b or "\u2014 neutral" in b]
    assert len(bullets) == 2 and "1 other wording" in bullets[0]


# -- provenance ------------------------------------------------------------------------------------
def test_provenance_counts_and_machine_confidence(canal):
    method = " ".join(_section(canal, "Provenance and method"))
    assert ("Where the 7 stances came from: 1 machine labels an annotator confirmed unchanged; 1 changed by an "
            "annotator; 1 added by an annotator; 4 machine-only (nobody reviewed them).") in method
    assert ("Confidence of the machine's stance labels: confirmed unchanged: mean 0.91, range 0.91\u20130.91 (1 claim); "
            "later changed by an annotator: mean 0.55, range 0.55\u20130.55 (1 claim); machine-only: mean 1.00") in method
    machine = [b for b in _texts(canal, "List Bullet") if "[machine, confidence" in b]
    assert machine and all("[machine, confidence 1.00]" in b for b in machine)
    assert "human-reviewed" not in method and "annotators' judgement" not in method


def test_without_recorded_origins_it_says_so(brief):
    method = " ".join(_section(brief, "Provenance and method"))
    assert "is not recorded for these claims" in method


# -- what changed --------------------------------------------------------------------------------------
def test_first_briefing_says_there_is_nothing_to_compare(canal):
    assert _section(canal, "What changed")[0].startswith("No earlier briefing of this story")


def test_changes_since_a_baseline(tmp_path):
    doc = Document(str(write_briefing(CANAL, tmp_path / "c.docx",
                                      BriefingInfo(target=INVENTED_TARGET, title="t", changes_since="the briefing of 2031-03-05"),
                                      baseline=frozenset({"a1.txt"}))))
    assert "What changed since the briefing of 2031-03-05" in _texts(doc, "Heading 1")
    changed = _section(doc, "What changed since")
    assert changed[0] == "1 new article. New speakers: Brennholt. Shifts: none."
    assert any(b.startswith("Brennholt: Reported: the locks must stay open to barges") for b in changed[1:])
    assert not any(b.startswith("Garrick Poll") for b in changed[1:]), "a reprint of a briefed claim is not new"


# -- errors -------------------------------------------------------------------------------------------
def test_an_empty_store_is_a_clear_message_not_an_empty_document(tmp_path):
    with pytest.raises(BriefingError, match=r"no annotated articles to brief on"):
        write_briefing([], tmp_path / "b.docx", BriefingInfo(target=TARGET, title="Russia-NATO talks"))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name, fmt, message", [("", "docx", r"is a directory; give a file name such as .*brief\.docx"),
                                                 ("b.odt", "odt", r"unknown briefing format 'odt'; use one of docx, pdf")],
                         ids=["directory", "format"])
def test_bad_output_or_format(seed_items, tmp_path, name, fmt, message):
    with pytest.raises(BriefingError, match=message):
        write_briefing(seed_items, tmp_path / name, BriefingInfo(target=TARGET, title="t"), fmt=fmt)
    assert list(tmp_path.iterdir()) == []


def test_machine_output_is_visibly_marked(seed_items, tmp_path):
    path = write_briefing(seed_items, tmp_path / "b.docx", BriefingInfo(target=TARGET, title="Russia-NATO talks"),
                          machine_ids=frozenset({seed_items[2].article.doc_id}))
    doc = Document(str(path))
    assert any("[machine" in b for b in _texts(doc, "List Bullet"))
    assert "machine-only (nobody reviewed them)" in " ".join(_section(doc, "Provenance and method"))


@pytest.mark.parametrize("canonical, printed", [("harbour council of the north", "Harbour Council of the North"),
                                                ("Valley water board", "Valley Water Board"),
                                                ("Ministry of Canals", "Ministry of Canals"),
                                                ("von Tessel", "von Tessel")],
                         ids=["all-lower-case", "capitalised", "small-words-kept", "particle-name"])
def test_actor_names_print_capitalised(tmp_path, canonical, printed):
    text = f"{canonical} said the canal tolls must be cut for barges. Nobody else spoke."
    item = article("n.txt", text, [("the canal tolls must be cut for barges", canonical, canonical, "oppose")],
                   meta={"outlet": "Valley Post"}, actors=[(canonical, "ORG", canonical)])
    doc = Document(str(write_briefing([item], tmp_path / "n.docx", BriefingInfo(target=INVENTED_TARGET, title="t"))))
    assert doc.tables[0].rows[1].cells[0].text == printed
    assert _texts(doc, "Heading 2")[0].startswith(f"{printed} \u2014 1 claim: 1 oppose")


@pytest.mark.parametrize("most, method", [(None, "a sentence encoder (MiniLM)"), (1, "their shared content words")],
                         ids=["encoder", "over-the-limit"])
def test_paraphrases_by_the_sentence_encoder_up_to_a_limit(tmp_path, most, method):
    from plugin.exports import _sentence_encoder

    path = write_briefing(CANAL, tmp_path / "e.docx", BriefingInfo(target=INVENTED_TARGET, title="t"),
                          encode=_sentence_encoder("encoder"), encode_max=most)
    intro = _section(Document(str(path)), "Positions")[0]
    assert f"grouped by meaning ({method})" in intro
