"""plugin/evaluate.py: scoring predicted tasks against gold records."""

from __future__ import annotations

import json
from types import MappingProxyType

import pytest

from plugin.errors import GoldError, TaskError
from plugin.evaluate import PRF, evaluate, macro_f1, match_claims, read_gold, read_predictions, same_speaker
from plugin.labelstudio.tasks import to_task
from plugin.records import Actor, AnnotatedArticle, Article, Claim


def c(start: int, end: int, *, speaker: str | None = None, speaker_span: tuple[int, int] | None = None,
      stance: str = "neutral", kind: str = "indirect") -> Claim:
    return Claim(start, end, "x" * (end - start), kind, speaker, speaker_span, stance)


# -- PRF -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "tp, predicted, gold, p, r, f1",
    [
        (2, 4, 5, 0.5, 0.4, 4 / 9),
        (3, 3, 3, 1.0, 1.0, 1.0),
        (0, 2, 3, 0.0, 0.0, 0.0),
        (0, 0, 3, 0.0, 0.0, 0.0),
        (0, 2, 0, 0.0, 0.0, 0.0),
        (0, 0, 0, 0.0, 0.0, 0.0),
    ],
    ids=["partial", "perfect", "all-wrong", "nothing-predicted", "nothing-gold", "nothing-at-all"],
)
def test_prf(tp, predicted, gold, p, r, f1):
    prf = PRF(tp, predicted, gold)

    assert (prf.precision, prf.recall, prf.f1) == pytest.approx((p, r, f1))


# -- match_claims ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "pred, gold, expected",
    [
        ([c(0, 10)], [c(0, 10)], [(0, 0)]),
        ([c(0, 10)], [c(0, 20)], [(0, 0)]),  # IoU exactly 0.5
        ([c(0, 9)], [c(0, 20)], []),  # IoU 0.45
        ([c(0, 10)], [c(20, 30)], []),
        ([c(0, 10), c(1, 10)], [c(0, 10)], [(0, 0)]),  # one gold claim matches one prediction only
        ([c(1, 10), c(0, 10)], [c(0, 10)], [(1, 0)]),  # the higher IoU wins
        ([c(0, 10)], [c(0, 10), c(0, 11)], [(0, 0)]),
        ([c(0, 10), c(20, 30)], [c(21, 30), c(0, 12)], [(0, 1), (1, 0)]),
        ([], [c(0, 10)], []),
        ([c(0, 10)], [], []),
    ],
    ids=["exact", "iou-0.5", "iou-below-0.5", "disjoint", "two-preds-one-gold", "best-iou-wins",
         "two-golds-one-pred", "two-pairs", "no-preds", "no-gold"],
)
def test_match_claims(pred, gold, expected):
    pairs = match_claims(tuple(pred), tuple(gold))

    assert sorted((pred.index(p), gold.index(g)) for p, g in pairs) == expected


# -- same_speaker ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "pred, gold, expected",
    [
        (c(0, 5), c(0, 5), True),
        (c(0, 5, speaker="Lavrov", speaker_span=(10, 16)), c(0, 5), False),
        (c(0, 5), c(0, 5, speaker="Lavrov", speaker_span=(10, 16)), False),
        (c(0, 5, speaker="Lavrov", speaker_span=(10, 16)), c(0, 5, speaker="Sergei Lavrov", speaker_span=(3, 16)), True),
        (c(0, 5, speaker="Sergei Lavrov", speaker_span=(40, 53)), c(0, 5, speaker="sergei lavrov", speaker_span=(3, 16)), True),
        (c(0, 5, speaker="Peskov", speaker_span=(40, 46)), c(0, 5, speaker="Sergei Lavrov", speaker_span=(3, 16)), False),
        (c(0, 5, speaker="Peskov", speaker_span=(16, 22)), c(0, 5, speaker="Lavrov", speaker_span=(10, 16)), False),
    ],
    ids=["both-unattributed", "pred-attributes-unattributed-gold", "pred-misses-speaker", "overlapping-mention",
         "same-name-elsewhere", "different-speaker", "touching-but-not-overlapping"],
)
def test_same_speaker(pred, gold, expected):
    assert same_speaker(pred, gold) is expected


# -- macro_f1 ----------------------------------------------------------------------------
def test_macro_f1_averages_the_three_stances():
    pairs = [("support", "support"), ("oppose", "oppose"), ("neutral", "support")]

    # support 2/3, oppose 1, neutral 0
    assert macro_f1(pairs) == pytest.approx((2 / 3 + 1 + 0) / 3)


def test_macro_f1_of_perfect_predictions_on_all_stances_is_one():
    assert macro_f1([("support", "support"), ("oppose", "oppose"), ("neutral", "neutral")]) == 1.0


def test_macro_f1_of_nothing_is_zero():
    assert macro_f1([]) == 0.0


def test_macro_f1_of_perfect_predictions_without_neutral_is_one():
    assert macro_f1([("support", "support"), ("oppose", "oppose")]) == 1.0


# -- evaluate ----------------------------------------------------------------------------
TEXT = "Lavrov said NATO must stop. Moscow rejected it, officials said."


def art(doc_id: str, text: str = TEXT) -> Article:
    return Article(doc_id, text, MappingProxyType({}))


def a(part: str, label: str) -> Actor:
    s = TEXT.index(part)
    return Actor(s, s + len(part), label, part, part)


def claim_on(part: str, *, speaker: Actor | None = None, stance: str = "neutral", kind: str = "indirect") -> Claim:
    s = TEXT.index(part)
    return Claim(s, s + len(part), part, kind, speaker.text if speaker else None,
                 (speaker.start, speaker.end) if speaker else None, stance)


@pytest.fixture
def gold() -> list[AnnotatedArticle]:
    lavrov = a("Lavrov", "PERSON")
    return [
        AnnotatedArticle(
            art("d1"),
            actors=(lavrov, a("NATO", "ORG"), a("Moscow", "GPE")),
            claims=(claim_on("NATO must stop", speaker=lavrov, stance="support"),
                    claim_on("Moscow rejected it", stance="oppose")),
        ),
        AnnotatedArticle(art("d2", "No claims in this one."), actors=(), claims=()),
    ]


def test_evaluate_scores_a_partly_right_prediction(gold):
    lavrov = a("Lavrov", "PERSON")
    pred = [
        AnnotatedArticle(
            art("d1"),
            actors=(lavrov, a("NATO", "GPE"), a("Moscow", "GPE")),
            claims=(claim_on("NATO must stop.", speaker=lavrov, stance="support"),
                    claim_on("officials said", stance="neutral")),
        )
    ]

    scores = evaluate(gold, pred)

    assert scores["documents"] == 2
    assert scores["missing_documents"] == ["d2"]
    assert scores["actors"] == PRF(2, 3, 3)
    assert scores["actors_by_label"] == {"PERSON": PRF(1, 1, 1), "ORG": PRF(0, 0, 1), "GPE": PRF(1, 2, 1)}
    assert scores["claims"] == PRF(1, 2, 2)
    assert scores["matched_claims"] == 1
    assert scores["attribution_accuracy"] == 1.0
    assert scores["kind_accuracy"] == 1.0
    assert scores["stance_accuracy"] == 1.0


def test_evaluate_pairs_documents_by_text_when_ids_differ(gold):
    pred = [AnnotatedArticle(art("other-id"), actors=gold[0].actors, claims=gold[0].claims)]

    scores = evaluate(gold[:1], pred)

    assert scores["missing_documents"] == []
    assert scores["actors"] == PRF(3, 3, 3)
    assert scores["claims"] == PRF(2, 2, 2)


def test_evaluate_with_no_predictions_scores_zero(gold):
    scores = evaluate(gold, [])

    assert scores["missing_documents"] == ["d1", "d2"]
    assert scores["claims"] == PRF(0, 0, 2)
    assert scores["attribution_accuracy"] == scores["stance_accuracy"] == 0.0


def test_evaluate_refuses_a_prediction_whose_text_differs(gold):
    pred = [AnnotatedArticle(art("d1", TEXT + " More."), actors=(), claims=())]

    with pytest.raises(GoldError, match=r"document d1: predicted text differs from the gold text"):
        evaluate(gold, pred)


# -- read_gold / read_predictions ------------------------------------------------------------
def gold_line(**overrides) -> str:
    record = {
        "id": "d1",
        "url": "https://example.org/a",
        "text": TEXT,
        "actors": [{"start": 0, "end": 6, "label": "PERSON", "text": "Lavrov"}],
        "claims": [{"start": 12, "end": 26, "text": "NATO must stop", "kind": "indirect", "speaker": "Lavrov",
                    "speaker_span": [0, 6], "stance": "support"}],
    }
    record.update(overrides)
    return json.dumps(record)


def test_read_gold(tmp_path):
    f = tmp_path / "gold.jsonl"
    f.write_text(gold_line() + "\n\n" + gold_line(id="d2", claims=[]) + "\n", encoding="utf-8")

    first, second = read_gold(f)

    assert first.article.doc_id == "d1"
    assert first.article.meta["url"] == "https://example.org/a"
    assert first.actors == (Actor(0, 6, "PERSON", "Lavrov", "Lavrov"),)
    assert first.claims == (Claim(12, 26, "NATO must stop", "indirect", "Lavrov", (0, 6), "support"),)
    assert second.claims == ()


def test_read_gold_missing_file(tmp_path):
    with pytest.raises(GoldError, match=r"gold file .*gold\.jsonl does not exist"):
        read_gold(tmp_path / "gold.jsonl")


def test_read_gold_empty_file(tmp_path):
    f = tmp_path / "gold.jsonl"
    f.write_text("\n\n", encoding="utf-8")

    with pytest.raises(GoldError, match=r"gold file .* holds no records"):
        read_gold(f)


@pytest.mark.parametrize(
    "line",
    ["{not json", json.dumps({"id": "d2", "actors": []}), json.dumps(["a", "list"]),
     gold_line(actors=[{"start": 0, "label": "PERSON", "text": "Lavrov"}])],
    ids=["bad-json", "no-text", "not-an-object", "actor-without-end"],
)
def test_read_gold_malformed_line_names_the_line(tmp_path, line):
    f = tmp_path / "gold.jsonl"
    f.write_text(gold_line() + "\n" + line + "\n", encoding="utf-8")

    with pytest.raises(GoldError, match=r"gold\.jsonl:2: not a gold record"):
        read_gold(f)


def test_read_gold_non_utf8_file(tmp_path):
    f = tmp_path / "gold.jsonl"
    f.write_bytes(b'{"id": "d1", "text": "Caf\xe9 talks", "actors": [], "claims": []}\n')

    with pytest.raises(GoldError, match=r"gold\.jsonl"):
        read_gold(f)


def test_read_predictions_round_trips_written_tasks(tmp_path, gold):
    f = tmp_path / "tasks.json"
    f.write_text(json.dumps([to_task(g) for g in gold]), encoding="utf-8")

    back = read_predictions(f)

    assert [p.article.doc_id for p in back] == ["d1", "d2"]
    assert evaluate(gold, back)["claims"] == PRF(2, 2, 2)


def test_read_predictions_missing_file(tmp_path):
    with pytest.raises(TaskError, match=r"tasks file .*tasks\.json does not exist; write one with 'stancedesk preannotate'"):
        read_predictions(tmp_path / "tasks.json")


@pytest.mark.parametrize(
    "content, message",
    [
        (b"[{", r"is not valid JSON"),
        (b"\xff\xfe[]", r"is not valid JSON"),
        (b'{"data": {}}', r"must hold a JSON list of task objects"),
        (b'[{"data": {"body": "x"}}]', r"task has no data.text string"),
    ],
    ids=["bad-json", "not-utf8", "not-a-list", "task-without-text"],
)
def test_read_predictions_malformed_file(tmp_path, content, message):
    f = tmp_path / "tasks.json"
    f.write_bytes(content)

    with pytest.raises(TaskError, match=message):
        read_predictions(f)


def test_read_predictions_list_of_non_objects(tmp_path):
    f = tmp_path / "tasks.json"
    f.write_text("[1, 2]", encoding="utf-8")

    with pytest.raises(TaskError):
        read_predictions(f)
