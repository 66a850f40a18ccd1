"""Repeated paragraphs: marked once, counted for every copy."""

from __future__ import annotations

from dataclasses import replace

import pytest

from plugin.copies import MIN_COPY_CHARS, find_copies, with_copies, without_copies
from plugin.labelstudio.tasks import annotated_from_result, prediction_result, to_task
from plugin.records import Actor, AnnotatedArticle, Article, Claim

# invented text: a lead printed three times, the second time with a photo credit
LEAD = "The Brackenford council said Tuesday it is ready to discuss the bridge toll with residents."
TEXT = f"Subscribe\n{LEAD}\n\n{LEAD} (Jo Pike/AP)\n\nResidents welcomed the offer.\n\n{LEAD}\n"


@pytest.mark.parametrize(
    "text, copied",
    [
        (TEXT, [LEAD, LEAD]),  # the second copy with a credit after it, the third alone
        ("Advertisement\n\nAdvertisement\n", []),  # short lines repeat without being reprinted paragraphs
        (f"{LEAD}\n\nBRACKENFORD (AP) \u2014 {LEAD}\n", [LEAD]),  # a dateline added before the copy
        (f"{LEAD}\n\n{LEAD[:-1]} on Friday.\n", []),  # a changed paragraph is no copy
        ("", []),
    ],
)
def test_find_copies(text, copied):
    copies = find_copies(text)
    assert [text[c.start:c.end] for c in copies] == copied
    for c in copies:  # each points back at the first copy
        assert c.source == text.index(text[c.start:c.end]) < c.start


def test_min_copy_chars_is_what_counts():
    line = "x" * MIN_COPY_CHARS
    assert len(find_copies(f"{line}\n{line}\n")) == 1
    assert find_copies(f"{line[1:]}\n{line[1:]}\n") == ()


def _article() -> AnnotatedArticle:
    starts = [i for i in range(len(TEXT)) if TEXT.startswith(LEAD, i)]
    actors, claims = [], []
    for s in starts:
        council = TEXT.index("Brackenford council", s)
        actors.append(Actor(council, council + 19, "ORG", "Brackenford council", "Brackenford council"))
        c = TEXT.index("it is ready", s)
        claims.append(Claim(c, s + len(LEAD) - 1, TEXT[c:s + len(LEAD) - 1], "indirect", "Brackenford council",
                            (council, council + 19), "support", 0.7))
    return AnnotatedArticle(Article("d1", TEXT), tuple(actors), tuple(claims), "m1")


def test_the_annotator_is_shown_the_first_copy_only_and_told_so():
    item = _article()
    assert len(without_copies(item).claims) == 1
    result = prediction_result(item)
    claims = [r for r in result if r.get("from_name") == "claim"]
    assert len(claims) == 1 and claims[0]["value"]["end"] <= TEXT.index(LEAD) + len(LEAD)
    assert claims[0]["meta"]["text"][-1] == "repeated: 2 later copies of this paragraph take this correction"
    assert all(n.endswith("\n") for n in claims[0]["meta"]["text"][:-1])
    assert sum(1 for r in result if r.get("type") == "relation") == 1


def test_a_correction_of_the_first_copy_counts_for_every_copy():
    item = _article()
    result = to_task(item)["predictions"][0]["result"]
    for r in result:  # the annotator changes the stance of the one claim shown
        if r.get("from_name") == "stance":
            r["value"]["choices"] = ["oppose"]
    back = annotated_from_result(TEXT, result, doc_id="d1")
    assert [c.stance for c in back.claims] == ["oppose"] * 3
    assert [c.text for c in back.claims] == [item.claims[0].text] * 3
    assert [c.speaker_span for c in back.claims] == [c.speaker_span for c in item.claims]
    assert [(a.start, a.end) for a in back.actors] == [(a.start, a.end) for a in item.actors]


def test_a_copy_the_annotator_marked_keeps_its_own_marks():
    item = _article()
    # the first copy as predicted; the third copy marked by the annotator with another stance; the second empty
    marked = replace(item, actors=item.actors[:1] + item.actors[2:],
                     claims=(item.claims[0], replace(item.claims[2], stance="neutral")))
    filled = with_copies(marked)
    assert [c.stance for c in filled.claims] == ["support", "support", "neutral"]
    assert len(filled.actors) == 3
