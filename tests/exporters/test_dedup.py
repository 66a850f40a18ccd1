"""Near-duplicate clustering of syndicated copy and claim grouping."""

from __future__ import annotations

import pytest

from exporters.dedup import cluster_documents, content_words, group_claims, group_paraphrases, same_claim

WIRE = ("Russia welcomed U.S. willingness to start talks next month on its security proposals, a day after "
        "President Vladimir Putin threatened a military response if the Kremlin's demands are not met.")


def test_reprints_of_one_story_cluster_and_others_do_not():
    texts = {
        "a": "Subscribe\n" + WIRE + "\nMore from our newsroom.",
        "b": "(Bloomberg) -- " + WIRE,
        "c": "NATO foreign ministers met in Riga to discuss the alliance's posture on its eastern flank this winter.",
    }
    assert cluster_documents(texts) == [["a", "b"], ["c"]]


def test_an_excerpt_of_a_longer_reprint_still_clusters():
    long = WIRE + " " + " ".join(f"Paragraph {n} of additional reporting on the talks in Geneva." for n in range(30))
    assert cluster_documents({"long": long, "excerpt": WIRE}) == [["excerpt", "long"]]


def test_seed_articles_000_and_001_share_wire_copy(repo_root):
    from plugin.articles import read_articles

    texts = {a.doc_id: a.text for a in read_articles([repo_root / "seeds"])}
    clusters = cluster_documents(texts)
    assert ["000_9dd8b286f4ec285b", "001_4dd811d9c92237fb"] in clusters
    assert len(clusters) == 4


@pytest.mark.parametrize(
    "a, b, same",
    [
        ("the talks should not drag on", "The talks should not drag on.", True),
        ("the talks should not drag on", "the proposed talks should not drag on", True),
        ("the talks should not drag on", "Russia will respond with military-technical measures", False),
        ("", "anything", False),
    ],
    ids=["punctuation-and-case", "one-word-more", "different", "empty"],
)
def test_same_claim(a, b, same):
    assert same_claim(a, b) is same


def test_group_claims_keeps_first_occurrence_order():
    assert group_claims(["A b c d", "x y z", "a b c d."]) == [[0, 2], [1]]


STOP = ("the", "a", "of", "to", "will", "would", "is", "are", "that")
ENDINGS = ("ing", "ed", "es", "s")


@pytest.mark.parametrize(
    "texts, groups",
    [
        (["the canal treaty would double harbour trade", "doubling harbour trade is what the canal treaty does"],
         [[0, 1]]),
        (["the canal treaty would double harbour trade", "the weather on the lakes was fine"], [[0], [1]]),
        (["tolls rose sharply", "tolls rising sharply"], [[0, 1]]),
        (["", "tolls rose"], [[0], [1]]),
    ],
    ids=["paraphrase", "different", "word-endings", "empty"],
)
def test_group_paraphrases_by_content_words(texts, groups):
    assert group_paraphrases(texts, stopwords=STOP, suffixes=ENDINGS, threshold=0.5) == groups


def test_paraphrases_of_different_speakers_stay_apart():
    texts = ["the canal treaty would double harbour trade", "the canal treaty would double harbour trade"]
    assert group_paraphrases(texts, keys=["Tenet", "Poll"], stopwords=STOP) == [[0], [1]]


def test_group_paraphrases_by_sentence_vectors():
    import numpy as np

    vectors = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]])  # cosines to the first: 0.8, 0.0
    assert group_paraphrases(["a", "b", "c"], vectors=vectors, cosine=0.75) == [[0, 1], [2]]
    assert group_paraphrases(["a", "b", "c"], vectors=vectors, cosine=0.85) == [[0], [1], [2]]


@pytest.mark.parametrize("text, words", [("The tolls were rising, sharply.", ["toll", "ris", "sharp"]),
                                         ("It is 2031 and the canals expanded", ["canal", "expand"])],
                         ids=["endings-cut", "numbers-and-stopwords-left-out"])
def test_content_words(text, words):
    assert content_words(text, stopwords=STOP + ("it", "and", "were"), suffixes=ENDINGS + ("ly",)) == words
