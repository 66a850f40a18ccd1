"""Regression floor on the hand-annotated seed gold (tests/data/seeds_gold.jsonl).

Not an exact-output test: each figure only has to stay above a floor well
below what the pipeline reaches, so a rule change that breaks a layer shows.
"""

from __future__ import annotations

import pytest

from plugin.evaluate import evaluate, read_gold, read_predictions

pytestmark = pytest.mark.model


def test_seed_scores_stay_above_the_floor(repo_root, reuse_nlp, example_story, tmp_path):
    from plugin.preannotate import preannotate

    preannotate([repo_root / "seeds"], tmp_path / "t.json", story=example_story)
    scores = evaluate(read_gold(repo_root / "tests" / "data" / "seeds_gold.jsonl"), read_predictions(tmp_path / "t.json"))
    assert scores["missing_documents"] == []
    assert scores["actors"].f1 >= 0.90
    assert scores["claims"].f1 >= 0.70
    assert scores["attribution_accuracy"] >= 0.75
    assert scores["stance_macro_f1"] >= 0.50
