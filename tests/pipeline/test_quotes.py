"""plugin/pipeline/quotes.py: quotation contents found in raw text (no spaCy)."""

from __future__ import annotations

import pytest

from plugin.pipeline.quotes import find_quotes, find_signatures


def contents(text: str) -> list[str]:
    return [text[q.start:q.end] for q in find_quotes(text)]


CASES = [
    # straight and curly marks
    pytest.param('He said "we will go." Then he left.', ["we will go."], id="straight"),
    pytest.param("He said \u201cwe will go.\u201d Then he left.", ["we will go."], id="curly"),
    pytest.param("\u201eGerman style\u201c and \u00abFrench style\u00bb", ["German style", "French style"], id="low-and-guillemets"),
    pytest.param("The so-called \u201cpeace plan\u201d was rejected.", ["peace plan"], id="scare-quote"),
    pytest.param("\u201cYes,\u201d \u201cno,\u201d and \u201cmaybe.\u201d", ["Yes", "no", "maybe."], id="several-in-a-row"),
    # split quote: two claims
    pytest.param("\u201cWe will talk,\u201d he said, \u201cbut not now.\u201d", ["We will talk", "but not now."], id="split"),
    pytest.param('"We will talk," he said, "but not now."', ["We will talk", "but not now."], id="split-straight"),
    # multi-paragraph quote: opening mark on each paragraph, closing only at the end
    pytest.param(
        "\u201cFirst paragraph here.\n\n\u201cSecond paragraph here.\n\n\u201cThird one ends,\u201d he said.",
        ["First paragraph here.", "Second paragraph here.", "Third one ends"],
        id="multi-paragraph",
    ),
    pytest.param('"First part,\n\n"second part," he said.', ["First part", "second part"], id="multi-paragraph-straight"),
    # what the content keeps and leaves out
    pytest.param("\u201cUnacceptable,\u201d the deputy minister said.", ["Unacceptable"], id="trailing-comma-excluded"),
    pytest.param("\u201cYes\u201d, he said.", ["Yes"], id="comma-outside-mark"),
    pytest.param("He called it \u201cunacceptable.\u201d", ["unacceptable."], id="sentence-final-period-kept"),
    pytest.param("\u201cAre we ready?\u201d he asked.", ["Are we ready?"], id="question-mark-kept"),
    pytest.param("\u201c  spaced out  \u201d", ["spaced out"], id="inner-space-trimmed"),
    pytest.param("She said,\u201cNo.\u201d", ["No."], id="no-space-before-mark"),
    # unbalanced marks: no crash; kept when it ends like a sentence or the text ends, refused otherwise
    pytest.param("\u201cQuote left open\n\nA plain next paragraph.", [], id="unclosed-refused"),
    pytest.param("\u201cUnclosed one \u201cAnother closed.\u201d", ["Another closed."], id="unclosed-before-new-quote-refused"),
    pytest.param("\u201cUnclosed one. \u201cAnother closed.\u201d", ["Unclosed one.", "Another closed."], id="unclosed-sentence-kept"),
    pytest.param("\u201cEnds like a sentence.\n\nA plain next paragraph.", ["Ends like a sentence."], id="unclosed-paragraph-sentence-kept"),
    pytest.param("She said \u201cthe capture was cut off", ["the capture was cut off"], id="unclosed-at-end-of-text-kept"),
    pytest.param('"', [], id="lone-mark"),
    pytest.param("\u201c\u201d", [], id="empty-pair"),
    pytest.param("\u201c,\u201d", [], id="punctuation-only"),
    pytest.param("", [], id="empty-text"),
    # doubled marks
    pytest.param("\u201c\u201cDoubled marks here,\u201d he said.", ["Doubled marks here"], id="doubled-opening"),
    pytest.param("\u201cDoubled at the end.\u201d\u201d he said.", ["Doubled at the end."], id="doubled-closing"),
    # British single quotes vs apostrophes
    pytest.param("It\u2019s a \u2018British quote\u2019 he said, and it\u2019s fine.", ["British quote"], id="single-quotes-among-apostrophes"),
    pytest.param("He said \u2018it\u2019s not over\u2019 today.", ["it\u2019s not over"], id="apostrophe-inside-single-quote"),
    pytest.param("He said \u2018no\u2019.", ["no"], id="single-quote-before-period"),
    pytest.param("The dog\u2019s bone and the cats\u2019 toys.", [], id="apostrophes-only"),
    pytest.param("Rock \u2019n\u2019 roll in the \u201880s.", [], id="elisions-only"),
    pytest.param("It's Putin's plan, he said.", [], id="straight-apostrophes-only"),
    pytest.param("\u201cHe told me \u2018never\u2019 again,\u201d she said.", ["He told me \u2018never\u2019 again"], id="single-inside-double"),
    pytest.param(
        "He said \u2018the allies\u2019 plans are fine\u2019 today.",
        ["the allies\u2019 plans are fine"],
        id="plural-possessive-inside-single-quote",
        marks=pytest.mark.xfail(reason="known: a plural possessive apostrophe followed by a space closes a British quote early", strict=True),
    ),
    # mis-typed marks
    pytest.param("\u201dMistyped opening,\u201d he said.", ["Mistyped opening"], id="closing-glyph-used-to-open"),
    pytest.param("He said \u201cwrong close\u201c and left.", ["wrong close"], id="opening-glyph-used-to-close"),
    pytest.param("\u201cStop\u201dsaid the minister.", ["Stop"], id="no-space-after-closing"),
]


@pytest.mark.parametrize("text, expected", CASES)
def test_find_quotes(text, expected):
    assert contents(text) == expected


def test_multi_paragraph_quote_is_open_until_its_last_paragraph():
    text = "\u201cFirst paragraph.\n\n\u201cSecond paragraph.\n\n\u201cLast one,\u201d he said."

    assert [q.closed for q in find_quotes(text)] == [False, False, True]


def test_quotes_are_sorted_and_do_not_overlap_across_marks():
    text = "\u201cA first quote,\u201d he said. Then \u2018a second one\u2019 and \u201ca third.\u201d"

    quotes = find_quotes(text)

    assert [q.start for q in quotes] == sorted(q.start for q in quotes)
    assert all(a.end <= b.start for a, b in zip(quotes, quotes[1:]))
    assert all(0 <= q.start < q.end <= len(text) for q in quotes)


SIGNATURES = [
    pytest.param("Great news for the club today. \u2014 Jane Doe (@janedoe) May 2, 2024",
                 [("Great news for the club today.", "Jane Doe")], id="post-and-signature-on-one-line"),
    pytest.param("We are proud of this team pic.twitter.com/AbC123 \u2014 Acme Rovers (@acmerovers) March 9, 2023",
                 [("We are proud of this team", "Acme Rovers")], id="picture-link-left-out"),
    pytest.param("Words of the post, all of them \u2014 jo\u26a1\ufe0f (@jo) April 25, 2022",
                 [("Words of the post, all of them", "jo")], id="emoji-after-the-display-name"),
    pytest.param('"Nice," she wrote. The fund will grow. \u2014 Ana Ruiz (@ana) June 1, 2021',
                 [("The fund will grow.", "Ana Ruiz")], id="reporter-quote-before-the-post-left-out"),
    pytest.param('"Hi," Ruiz wrote. Ruiz, who runs Acme, posted again. Fund up. Big week! \u2014 Ana Ruiz (@ana) June 1, 2021',
                 [("Fund up. Big week!", "Ana Ruiz")], id="narration-naming-the-author-left-out"),
    pytest.param("Prices rose - analysts (not all) agree", [], id="a-dash-and-brackets-are-no-signature"),
    pytest.param("Hi \u2014 Jo (@jo)", [], id="too-short-to-be-a-post"),
]


@pytest.mark.parametrize("text, expected", SIGNATURES)
def test_embedded_post_signatures(text, expected):
    got = [(text[s.start:s.end], text[s.name_start:s.name_end]) for s in find_signatures(text)]
    assert got == expected


@pytest.mark.parametrize("text, expected", [
    pytest.param("Peiter \u201cMudge\u201d Zatko testified.", [], id="nickname-between-the-parts-of-a-name"),
    pytest.param("He called it \u201cMudge\u201d all day.", ["Mudge"], id="a-quoted-word-elsewhere-is-kept"),
])
def test_nicknames_are_no_quotes(text, expected):
    assert [text[q.start:q.end] for q in find_quotes(text)] == expected
