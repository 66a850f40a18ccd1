"""plugin/pipeline/boilerplate.py: which lines of a captured page are furniture."""

from __future__ import annotations

import pytest

from plugin.pipeline.boilerplate import boilerplate_ranges


def marked_lines(text: str) -> list[str]:
    return [text[start:end] for start, end in boilerplate_ranges(text)]


FURNITURE = [
    pytest.param("Subscribe", id="subscribe"),
    pytest.param("Subscribe now!", id="subscribe-now"),
    pytest.param("Sign Up Now", id="sign-up-now"),
    pytest.param("Sign Up for Daily Headlines", id="sign-up-for"),
    pytest.param("Story continues below advertisement", id="story-continues"),
    pytest.param("Advertisement", id="advertisement"),
    pytest.param("Leave a Reply", id="leave-a-reply"),
    pytest.param("Leave a comment", id="leave-a-comment"),
    pytest.param("Your email address will not be published. Required fields are marked *", id="comment-form-notice"),
    pytest.param("Save my name, email, and website in this browser for the next time I comment.", id="comment-form-save"),
    pytest.param("Post Comment", id="comment-form-submit"),
    pytest.param("Cancel reply", id="comment-form-cancel"),
    pytest.param("Website", id="comment-form-website"),
    pytest.param("Comment*", id="comment-form-comment-star"),
    pytest.param(
        "Name *",
        id="comment-form-name-space-star",
    ),
    pytest.param("Back to top button", id="back-to-top"),
    pytest.param("Related Articles", id="related"),
    pytest.param("Want to discuss? Please read our Commenting Policy first.", id="commenting-policy"),
]


@pytest.mark.parametrize("line", FURNITURE)
def test_furniture_line_is_marked(line):
    text = f"The envoys met on Monday.\n\n  {line}  \n\nTalks resume in January."

    assert [s.strip() for s in marked_lines(text)] == [line]


NEWS = [
    pytest.param("Russia said on Tuesday it was ready to talk.", id="reported-speech"),
    pytest.param("The Kremlin said talks would begin in January.", id="kremlin"),
    pytest.param("Moscow", id="bare-place-name"),
    pytest.param("Subscribers in Moscow said the talks had failed.", id="starts-with-subscribe"),
    pytest.param("Advertisers pulled out of the region after the sanctions.", id="starts-with-advert"),
    pytest.param("The story continues to unfold in Geneva.", id="story-continues-news"),
    pytest.param("\u201cWe will not sign up to this,\u201d the minister said.", id="sign-up-inside-quote"),
    pytest.param("Comments by the deputy minister drew a sharp reply.", id="comments-news"),
]


@pytest.mark.parametrize("line", NEWS)
def test_news_line_is_not_marked(line):
    assert boilerplate_ranges(f"Talks begin\n\n{line}\n") == []


def test_author_bio_and_its_byline_name_line_are_marked():
    text = (
        "The envoys met on Monday.\n\n"
        "Jane Example\n\n"
        "Jane Example is a staff writer covering diplomacy and security.\n"
    )

    assert marked_lines(text) == ["Jane Example", "Jane Example is a staff writer covering diplomacy and security."]


def test_quoted_byline_name_in_bio_is_marked():
    text = "Jane Example\n\u201cJane Example\" is a Online Editor specialist with a decade of experience.\n"

    assert len(marked_lines(text)) == 2


def test_bio_without_a_name_line_before_it_leaves_the_previous_news_line_alone():
    text = "The talks ended without a deal.\nJane Example is a reporter based in Geneva.\n"

    assert marked_lines(text) == ["Jane Example is a reporter based in Geneva."]


def test_ranges_are_offsets_into_the_unchanged_text():
    text = "Subscribe\nThe envoys met.\r\nSign Up Now\n"

    ranges = boilerplate_ranges(text)

    assert ranges == sorted(ranges)
    assert [text[s:e] for s, e in ranges] == ["Subscribe", "Sign Up Now"]


def test_text_without_furniture_gives_no_ranges():
    assert boilerplate_ranges("") == []
    assert boilerplate_ranges("The envoys met on Monday.\nTalks resume in January.") == []
