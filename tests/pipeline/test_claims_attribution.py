"""Claims and speakers on hand-built parses: each case states its dependency tree, so these
tests check stancedesk's rules, never the statistical model."""

from __future__ import annotations

import pytest

from plugin.pipeline import extensions

# Each case: id, text, token rows "word head dep POS lemma", entities, sentence starts,
# expected claims as (text, kind, speaker or None).
CASES = [
    pytest.param(
        "Peskov said the talks should not drag on.",
        ["Peskov 1 nsubj PROPN", "said 1 ROOT VERB say", "the 3 det DET", "talks 6 nsubj NOUN talk",
         "should 6 aux AUX", "not 6 neg PART", "drag 1 ccomp VERB", "on 6 prt ADP", ". 1 punct PUNCT"],
        [(0, 1, "PERSON")], (0,),
        [("the talks should not drag on", "indirect", "Peskov")],
        id="reported-speech",
    ),
    pytest.param(
        "Lavrov said that Moscow is ready.",
        ["Lavrov 1 nsubj PROPN", "said 1 ROOT VERB say", "that 4 mark SCONJ", "Moscow 4 nsubj PROPN",
         "is 1 ccomp AUX be", "ready 4 acomp ADJ", ". 1 punct PUNCT"],
        [(0, 1, "PERSON"), (3, 4, "GPE")], (0,),
        [("Moscow is ready", "indirect", "Lavrov")],
        id="that-clause-without-that",
    ),
    pytest.param(
        "Lavrov spoke. \u201cWe are ready,\u201d he said, \u201cto talk now.\u201d",
        ["Lavrov 1 nsubj PROPN", "spoke 1 ROOT VERB speak", ". 1 punct PUNCT",
         "\u201c 10 punct PUNCT", "We 5 nsubj PRON we", "are 10 ccomp AUX be", "ready 5 acomp ADJ",
         ", 10 punct PUNCT", "\u201d 10 punct PUNCT", "he 10 nsubj PRON he", "said 10 ROOT VERB say",
         ", 10 punct PUNCT", "\u201c 10 punct PUNCT", "to 14 aux PART", "talk 10 xcomp VERB",
         "now 14 advmod ADV", ". 10 punct PUNCT", "\u201d 10 punct PUNCT"],
        [(0, 1, "PERSON")], (0, 3),
        [("We are ready", "direct", "Lavrov"), ("to talk now.", "direct", "Lavrov")],
        id="split-quote-pronoun-speaker",
    ),
    pytest.param(
        "A senior official said the talks failed.",
        ["A 2 det DET", "senior 2 amod ADJ", "official 3 nsubj NOUN official", "said 3 ROOT VERB say",
         "the 5 det DET", "talks 6 nsubj NOUN talk", "failed 3 ccomp VERB fail", ". 3 punct PUNCT"],
        [], (0,),
        [("the talks failed", "indirect", None)],
        id="unnamed-source",
    ),
    pytest.param(
        "According to Peskov, the talks failed.",
        ["According 6 prep VERB accord", "to 0 prep ADP", "Peskov 1 pobj PROPN", ", 6 punct PUNCT",
         "the 5 det DET", "talks 6 nsubj NOUN talk", "failed 6 ROOT VERB fail", ". 6 punct PUNCT"],
        [(2, 3, "PERSON")], (0,),
        [("the talks failed", "indirect", "Peskov")],
        id="according-to",
    ),
    pytest.param(
        "Peskov said Putin said the talks failed.",
        ["Peskov 1 nsubj PROPN", "said 1 ROOT VERB say", "Putin 3 nsubj PROPN", "said 1 ccomp VERB say",
         "the 5 det DET", "talks 6 nsubj NOUN talk", "failed 3 ccomp VERB fail", ". 1 punct PUNCT"],
        [(0, 1, "PERSON"), (2, 3, "PERSON")], (0,),
        [("Putin said the talks failed", "indirect", "Peskov")],
        id="nested-report-credited-to-outer-speaker",
    ),
    pytest.param(
        "A ministry spokesman, Alexei Zaitsev, said the talks failed.",
        ["A 2 det DET", "ministry 2 compound NOUN", "spokesman 7 nsubj NOUN spokesman", ", 2 punct PUNCT",
         "Alexei 5 compound PROPN", "Zaitsev 2 appos PROPN", ", 2 punct PUNCT", "said 7 ROOT VERB say",
         "the 9 det DET", "talks 10 nsubj NOUN talk", "failed 7 ccomp VERB fail", ". 7 punct PUNCT"],
        [(4, 6, "PERSON")], (0,),
        [("the talks failed", "indirect", "Alexei Zaitsev")],
        id="name-in-apposition",
    ),
    pytest.param(
        "Putin: \u201cWest ignores Russian interests\u201d",
        ["Putin 0 ROOT PROPN", ": 0 punct PUNCT", "\u201c 4 punct PUNCT", "West 4 nsubj PROPN",
         "ignores 0 appos VERB ignore", "Russian 6 amod ADJ", "interests 4 dobj NOUN interest", "\u201d 4 punct PUNCT"],
        [(0, 1, "PERSON")], (0,),
        [("West ignores Russian interests", "direct", "Putin")],
        id="name-colon-quote",
    ),
    pytest.param(
        "NATO called on Russia to withdraw forces.",
        ["NATO 1 nsubj PROPN", "called 1 ROOT VERB call", "on 1 prep ADP", "Russia 2 pobj PROPN",
         "to 5 aux PART", "withdraw 1 xcomp VERB", "forces 5 dobj NOUN force", ". 1 punct PUNCT"],
        [(0, 1, "ORG"), (3, 4, "GPE")], (0,),
        [("Russia to withdraw forces", "indirect", "NATO")],
        id="demand-keeps-addressee",
    ),
    pytest.param(
        "The U.S. described the talks as \u201cuseful.\u201d",
        ["The 1 det DET", "U.S. 2 nsubj PROPN", "described 2 ROOT VERB describe", "the 4 det DET",
         "talks 2 dobj NOUN talk", "as 2 prep ADP", "\u201c 7 punct PUNCT", "useful 5 pobj ADJ", ". 2 punct PUNCT",
         "\u201d 2 punct PUNCT"],
        [(1, 2, "GPE")], (0,),
        [("useful.", "direct", "United States")],
        id="speech-act-with-quoted-fragment",
    ),
    pytest.param(
        "Russia said the talks failed, amid rising tensions.",
        ["Russia 1 nsubj PROPN", "said 1 ROOT VERB say", "the 3 det DET", "talks 4 nsubj NOUN talk",
         "failed 1 ccomp VERB fail", ", 4 punct PUNCT", "amid 4 prep ADP", "rising 8 amod VERB rise",
         "tensions 6 pobj NOUN tension", ". 1 punct PUNCT"],
        [(0, 1, "GPE")], (0,),
        [("the talks failed", "indirect", "Russia")],
        id="reporter-aside-left-out",
    ),
    pytest.param(
        "He said \u201cwe will respond\n\nPutin said the talks failed.",
        ["He 1 nsubj PRON he", "said 1 ROOT VERB say", "\u201c 1 punct PUNCT", "we 5 nsubj PRON",
         "will 5 aux AUX", "respond 1 ccomp VERB", "\\n\\n 5 dep SPACE", "Putin 8 nsubj PROPN", "said 8 ROOT VERB say",
         "the 10 det DET", "talks 11 nsubj NOUN talk", "failed 8 ccomp VERB fail", ". 8 punct PUNCT"],
        [(7, 8, "PERSON")], (0, 7),
        [("we will respond", "indirect", None), ("the talks failed", "indirect", "Putin")],
        id="unbalanced-quote-refused-not-crashing",
    ),
    pytest.param(
        "Kremlin spokesman Dmitry Peskov told reporters \u201cthere will be no talks.\u201d",
        ["Kremlin 1 compound PROPN", "spokesman 3 compound NOUN", "Dmitry 3 compound PROPN", "Peskov 4 nsubj PROPN",
         "told 4 ROOT VERB tell", "reporters 4 dobj NOUN reporter", "\u201c 8 punct PUNCT", "there 8 expl PRON",
         "will 8 aux AUX", "be 4 ccomp AUX", "no 10 det DET", "talks 8 attr NOUN talk", ". 4 punct PUNCT",
         "\u201d 4 punct PUNCT"],
        [(0, 1, "ORG"), (2, 4, "PERSON")], (0,),
        [("there will be no talks.", "direct", "Dmitry Peskov")],
        id="clause-that-is-only-a-quote-is-direct",
    ),
    pytest.param(
        "Acme's lawyers said the deal was void.",
        ["Acme 2 poss PROPN", "'s 0 case PART", "lawyers 3 nsubj NOUN lawyer", "said 3 ROOT VERB say", "the 5 det DET",
         "deal 6 nsubj NOUN deal", "was 3 ccomp AUX be", "void 6 acomp ADJ", ". 3 punct PUNCT"],
        [(0, 1, "ORG")], (0,),
        [("the deal was void", "indirect", "Acme")],
        id="lawyers-speak-for-their-client",
    ),
    pytest.param(
        "Lawyers for Jon Bax said the claim was false.",
        ["Lawyers 4 nsubj NOUN lawyer", "for 0 prep ADP", "Jon 3 compound PROPN", "Bax 1 pobj PROPN", "said 4 ROOT VERB say",
         "the 6 det DET", "claim 7 nsubj NOUN claim", "was 4 ccomp AUX be", "false 7 acomp ADJ", ". 4 punct PUNCT"],
        [(2, 4, "PERSON")], (0,),
        [("the claim was false", "indirect", "Jon Bax")],
        id="lawyers-for-a-named-client",
    ),
    pytest.param(
        "Vantor filed a suit. The suit says the merger broke the rules.",
        ["Vantor 1 nsubj PROPN", "filed 1 ROOT VERB file", "a 3 det DET", "suit 1 dobj NOUN suit", ". 1 punct PUNCT",
         "The 6 det DET", "suit 7 nsubj NOUN suit", "says 7 ROOT VERB say", "the 9 det DET", "merger 10 nsubj NOUN merger",
         "broke 7 ccomp VERB break", "the 12 det DET", "rules 10 dobj NOUN rule", ". 7 punct PUNCT"],
        [(0, 1, "ORG")], (0, 5),
        [("the merger broke the rules", "indirect", "Vantor")],
        id="a-document-speaks-for-who-filed-it",
    ),
    pytest.param(
        "The data came from Quorra, which said sales rose.",
        ["The 1 det DET", "data 2 nsubj NOUN datum", "came 2 ROOT VERB come", "from 2 prep ADP", "Quorra 3 pobj PROPN",
         ", 4 punct PUNCT", "which 7 nsubj PRON which", "said 4 relcl VERB say", "sales 9 nsubj NOUN sale",
         "rose 7 ccomp VERB rise", ". 2 punct PUNCT"],
        [(4, 5, "ORG")], (0,),
        [("sales rose", "indirect", "Quorra")],
        id="relative-pronoun-speaker",
    ),
    pytest.param(
        "Harlow Mining met lenders. The company said the loan was safe.",
        ["Harlow 1 compound PROPN", "Mining 2 nsubj PROPN", "met 2 ROOT VERB meet", "lenders 2 dobj NOUN lender",
         ". 2 punct PUNCT", "The 6 det DET", "company 7 nsubj NOUN company", "said 7 ROOT VERB say", "the 9 det DET",
         "loan 10 nsubj NOUN loan", "was 7 ccomp AUX be", "safe 10 acomp ADJ", ". 7 punct PUNCT"],
        [(0, 2, "ORG")], (0, 5),
        [("the loan was safe", "indirect", "Harlow Mining")],
        id="the-company-is-the-organisation-named-before",
    ),
    pytest.param(
        "Vantor's board said the offer was low.",
        ["Vantor 2 poss PROPN", "'s 0 case PART", "board 3 nsubj NOUN board", "said 3 ROOT VERB say", "the 5 det DET",
         "offer 6 nsubj NOUN offer", "was 3 ccomp AUX be", "low 6 acomp ADJ", ". 3 punct PUNCT"],
        [(0, 1, "ORG")], (0,),
        [("the offer was low", "indirect", "Vantor")],
        id="an-organisation-speaks-through-its-board",
    ),
    pytest.param(
        "Mira Tell runs Acme. Jon Bax met Tell. The billionaire said prices will fall.",
        ["Mira 1 compound PROPN", "Tell 2 nsubj PROPN", "runs 2 ROOT VERB run", "Acme 2 dobj PROPN", ". 2 punct PUNCT",
         "Jon 6 compound PROPN", "Bax 7 nsubj PROPN", "met 7 ROOT VERB meet", "Tell 7 dobj PROPN", ". 7 punct PUNCT",
         "The 11 det DET", "billionaire 12 nsubj NOUN billionaire", "said 12 ROOT VERB say", "prices 15 nsubj NOUN price",
         "will 15 aux AUX", "fall 12 ccomp VERB", ". 12 punct PUNCT"],
        [(0, 2, "PERSON"), (3, 4, "ORG"), (5, 7, "PERSON"), (8, 9, "PERSON")], (0, 5, 10),
        [("prices will fall", "indirect", "Mira Tell")],
        id="a-description-names-the-most-mentioned-person",
    ),
    pytest.param(
        "Ana Ruiz chairs the panel. The official said talks were over.",
        ["Ana 1 compound PROPN", "Ruiz 2 nsubj PROPN", "chairs 2 ROOT VERB chair", "the 4 det DET", "panel 2 dobj NOUN",
         ". 2 punct PUNCT", "The 7 det DET", "official 8 nsubj NOUN official", "said 8 ROOT VERB say",
         "talks 10 nsubj NOUN talk", "were 8 ccomp AUX be", "over 10 acomp ADV", ". 8 punct PUNCT"],
        [(0, 2, "PERSON")], (0, 6),
        [("talks were over", "indirect", "Ana Ruiz")],
        id="the-official-is-the-person-named-before",
    ),
    pytest.param(
        "Ana Ruiz said Jon Bax must act. \u201cThere are limits to this,\u201d she continued. \u201cAnd soon.\u201d",
        ["Ana 1 compound PROPN", "Ruiz 2 nsubj PROPN", "said 2 ROOT VERB say", "Jon 4 compound PROPN", "Bax 6 nsubj PROPN",
         "must 6 aux AUX", "act 2 ccomp VERB", ". 2 punct PUNCT", "\u201c 10 punct PUNCT", "There 10 expl PRON",
         "are 17 ccomp AUX be", "limits 10 attr NOUN limit", "to 11 prep ADP", "this 12 pobj PRON", ", 17 punct PUNCT",
         "\u201d 17 punct PUNCT", "she 17 nsubj PRON she", "continued 17 ROOT VERB continue", ". 17 punct PUNCT",
         "\u201c 21 punct PUNCT", "And 21 cc CCONJ", "soon 21 ROOT ADV", ". 21 punct PUNCT", "\u201d 21 punct PUNCT"],
        [(0, 2, "PERSON"), (3, 5, "PERSON")], (0, 8, 19),
        [("Jon Bax must act", "indirect", "Ana Ruiz"), ("There are limits to this", "direct", "Ana Ruiz"),
         ("And soon.", "direct", "Ana Ruiz")],
        id="a-person-inside-reported-speech-does-not-break-the-chain",
    ),
    pytest.param(
        "In two posts, Jon Bax, who founded Acme, said prices will fall.",
        ["In 11 prep ADP", "two 2 nummod NUM", "posts 0 pobj NOUN post", ", 11 punct PUNCT", "Jon 5 compound PROPN",
         "Bax 11 npadvmod PROPN", ", 5 punct PUNCT", "who 8 nsubj PRON", "founded 5 relcl VERB found",
         "Acme 8 dobj PROPN", ", 5 punct PUNCT", "said 11 ROOT VERB say", "prices 14 nsubj NOUN price",
         "will 14 aux AUX", "fall 11 ccomp VERB", ". 11 punct PUNCT"],
        [(4, 6, "PERSON"), (9, 10, "ORG")], (0,),
        [("prices will fall", "indirect", "Jon Bax")],
        id="a-verb-left-without-a-subject-takes-the-nearest-name-before-it",
    ),
    pytest.param(
        "Acme posted a statement saying the sale was over.",
        ["Acme 1 nsubj PROPN", "posted 1 ROOT VERB post", "a 3 det DET", "statement 1 dobj NOUN statement",
         "saying 3 acl VERB say", "the 6 det DET", "sale 7 nsubj NOUN sale", "was 4 ccomp AUX be", "over 7 acomp ADV",
         ". 1 punct PUNCT"],
        [(0, 1, "ORG")], (0,),
        [("the sale was over", "indirect", "Acme")],
        id="a-statement-saying-speaks-for-who-issued-it",
    ),
    pytest.param(
        "An official met Ana Ruiz. The official said talks were over.",
        ["An 1 det DET", "official 2 nsubj NOUN official", "met 2 ROOT VERB meet", "Ana 4 compound PROPN",
         "Ruiz 2 dobj PROPN", ". 2 punct PUNCT", "The 7 det DET", "official 8 nsubj NOUN official", "said 8 ROOT VERB say",
         "talks 10 nsubj NOUN talk", "were 8 ccomp AUX be", "over 10 acomp ADV", ". 8 punct PUNCT"],
        [(3, 5, "PERSON")], (0, 6),
        [("talks were over", "indirect", None)],
        id="the-official-met-before-as-an-unnamed-source-stays-unnamed",
    ),
    pytest.param(
        "Doe's \u201call is well\u201d tweet drew replies.",
        ["Doe 7 poss PROPN", "'s 0 case PART", "\u201c 7 punct PUNCT", "all 4 nsubj PRON", "is 7 amod AUX be",
         "well 4 acomp ADV", "\u201d 7 punct PUNCT", "tweet 8 nsubj NOUN tweet", "drew 8 ROOT VERB draw",
         "replies 8 dobj NOUN reply", ". 8 punct PUNCT"],
        [(0, 1, "PERSON")], (0,),
        [("all is well", "direct", "Doe")],
        id="quoted-words-of-someones-post",
    ),
    pytest.param(
        "Acme said in a report that sales fell.",
        ["Acme 1 nsubj PROPN", "said 1 ROOT VERB say", "in 1 prep ADP", "a 4 det DET", "report 2 pobj NOUN report",
         "that 7 mark SCONJ", "sales 7 nsubj NOUN sale", "fell 4 acl VERB fall", ". 1 punct PUNCT"],
        [(0, 1, "ORG")], (0,),
        [("sales fell", "indirect", "Acme")],
        id="said-in-a-report-that",
    ),
    pytest.param(
        "Roe said prices rose, in a message to staff.",
        ["Roe 1 nsubj PROPN", "said 1 ROOT VERB say", "prices 3 nsubj NOUN price", "rose 1 ccomp VERB rise",
         ", 3 punct PUNCT", "in 3 prep ADP", "a 7 det DET", "message 5 pobj NOUN message", "to 7 prep ADP",
         "staff 8 pobj NOUN staff", ". 1 punct PUNCT"],
        [(0, 1, "PERSON")], (0,),
        [("prices rose", "indirect", "Roe")],
        id="occasion-of-speech-after-a-pause-left-out",
    ),
    pytest.param(
        "An officer of the \u2018big four\u2019 firm said costs rose.",
        ["An 1 det DET", "officer 9 nsubj NOUN officer", "of 1 prep ADP", "the 8 det DET", "\u2018 6 punct PUNCT",
         "big 6 amod ADJ", "four 8 nummod NUM", "\u2019 6 punct PUNCT", "firm 2 pobj NOUN firm", "said 9 ROOT VERB say",
         "costs 11 nsubj NOUN cost", "rose 9 ccomp VERB rise", ". 9 punct PUNCT"],
        [], (0,),
        [("costs rose", "indirect", None)],
        id="a-quote-inside-the-subject-is-not-what-was-said",
    ),
    pytest.param(
        "Citing people close to the talks, Roe said the deal was off.",
        ["Citing 8 advcl VERB cite", "people 0 dobj NOUN people", "close 1 amod ADJ", "to 2 prep ADP", "the 5 det DET",
         "talks 3 pobj NOUN talk", ", 8 punct PUNCT", "Roe 8 nsubj PROPN", "said 8 ROOT VERB say", "the 10 det DET",
         "deal 11 nsubj NOUN deal", "was 8 ccomp AUX be", "off 11 acomp ADV", ". 8 punct PUNCT"],
        [(7, 8, "PERSON")], (0,),
        [("the deal was off", "indirect", "Roe")],
        id="citing-sources-is-no-claim",
    ),
    pytest.param(
        "Big day for the team. \u2014 Jane Doe (@janedoe) May 2, 2024",
        ["Big 1 amod ADJ", "day 1 ROOT NOUN", "for 1 prep ADP", "the 4 det DET", "team 2 pobj NOUN", ". 1 punct PUNCT",
         "\u2014 1 punct PUNCT", "Jane 8 compound PROPN", "Doe 1 appos PROPN", "( 8 punct PUNCT", "@janedoe 8 appos NOUN",
         ") 8 punct PUNCT", "May 1 npadvmod PROPN", "2 12 nummod NUM", ", 12 punct PUNCT", "2024 12 nummod NUM"],
        [], (0,),
        [("Big day for the team.", "direct", "Jane Doe")],
        id="embedded-post-is-a-direct-claim-of-its-signer",
    ),
]


@pytest.mark.parametrize("text, rows, ents, sent_starts, expected", CASES)
def test_claims_and_speakers(annotate, text, rows, ents, sent_starts, expected):
    doc = annotate(text, rows, ents, sent_starts)
    got = [(c.text, c._.claim_kind, c._.speaker) for c in extensions.claims(doc)]
    assert got == expected


def test_claim_speaker_span_points_at_the_linked_mention(annotate):
    doc = annotate(*CASES[6].values[:4])  # name-in-apposition
    claim = extensions.claims(doc)[0]
    start, end = claim._.speaker_span
    assert doc.text[start:end] == "Alexei Zaitsev"


def test_every_claim_gets_a_stance_and_a_confidence(annotate):
    for case in CASES:
        doc = annotate(*case.values[:4])
        for claim in extensions.claims(doc):
            assert claim._.stance in ("support", "oppose", "neutral")
            assert 0 < claim._.stance_score <= 1


def test_boilerplate_lines_give_no_actor_and_no_claim(annotate):
    text = "Subscribe to Reuters\nReuters said the talks failed."
    rows = ["Subscribe 0 ROOT VERB subscribe", "to 0 prep ADP", "Reuters 1 pobj PROPN", "\\n 2 dep SPACE",
            "Reuters 5 nsubj PROPN", "said 5 ROOT VERB say", "the 7 det DET", "talks 8 nsubj NOUN talk",
            "failed 5 ccomp VERB fail", ". 5 punct PUNCT"]
    doc = annotate(text, rows, [(2, 3, "ORG"), (4, 5, "ORG")], (0, 4))
    assert [(e.start_char, e.text) for e in doc.ents] == [(21, "Reuters")]
    assert [(c.text, c._.speaker) for c in extensions.claims(doc)] == [("the talks failed", "Reuters")]
