"""Retrain the stance classifier from the corrected claims of an exported training set.

The current stance model (the one the base pipeline would use: its own, the
bootstrap model, or the cue rules) is the starting point and the bar: a
trained classifier is fitted further on the train split's claims (warm
start); where the rules are in use because the target is another story's,
the bootstrap model's weights are the starting point (its general sense of
support and oppose), else a new classifier; and both are scored on the
dev split's claims (gold spans and speakers). The new one replaces the current
one only if its macro-F1 is not lower; otherwise the current one is kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from plugin.evaluate import PRF, macro_f1
from plugin.pipeline import configure_stance
from plugin.pipeline.stance import StanceRules
from plugin.pipeline.stance_model import (StanceClassifier, bootstrap_path, classifier_input, embeddings_available,
                                          load_classifier, new_classifier)
from plugin.records import STANCES
from plugin.stories import Story


# Fewer held-out corrected claims than this cannot tell a better stance model from luck (measured with
# benchmarks/stance_models.py warm: a few corrected articles can pull a model down by 0.1-0.15 macro-F1)
MIN_DEV_CLAIMS = 20


@dataclass
class StanceOutcome:
    classifier: StanceClassifier | None  # what the new model carries (None: the cue rules)
    metrics: dict


def _claims(path: Path, target: str) -> tuple[list[dict], int]:
    """The corrected claims of a JSONL split whose stance is toward ``target`` (records of other stories are left
    out), and how many of those claims carry a stance that is none of support/oppose/neutral (never learnt)."""
    if not path.is_file():
        return [], 0
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    claims = [c for r in records if (r.get("target") or (r.get("meta") or {}).get("target") or target) == target
              for c in r.get("claims", [])]
    good = [c for c in claims if c.get("stance") in STANCES]
    return good, len(claims) - len(good)


def stance_scores(pairs: list[tuple[str, str]]) -> dict:
    """Per class P/R/F1, macro-F1, accuracy and the confusion matrix (rows gold, columns predicted)."""
    confusion = {g: {p: 0 for p in STANCES} for g in STANCES}
    for p, g in pairs:
        confusion[g][p] += 1
    per_class = {}
    for s in STANCES:
        m = PRF(confusion[s][s], sum(confusion[g][s] for g in STANCES), sum(confusion[s].values()))
        per_class[s] = {"p": round(m.precision, 3), "r": round(m.recall, 3), "f1": round(m.f1, 3),
                        "gold": m.gold, "pred": m.predicted}
    return {"per_class": per_class, "confusion": confusion, "macro_f1": round(macro_f1(pairs), 4),
            "accuracy": round(sum(p == g for p, g in pairs) / len(pairs), 4) if pairs else 0.0, "claims": len(pairs)}


def current_classifier(base_model: str, story: Story) -> tuple[StanceRules, StanceClassifier | None, Path | None]:
    """The story's stance component as pre-annotation would build it, and its classifier and directory
    (None, None: the rules)."""
    rules = configure_stance(StanceRules(story.stance_table()), story, model=base_model)
    if rules.classifier is None:
        return rules, None, None
    return rules, rules.classifier, Path(rules.model_spec)


def retrain_stance(data_dir: Path, base_model: str, *, story: Story,
                   min_dev_claims: int = MIN_DEV_CLAIMS) -> StanceOutcome:
    rules, current, current_path = current_classifier(base_model, story)
    train, bad_train = _claims(Path(data_dir) / "train.jsonl", story.target)
    dev, bad_dev = _claims(Path(data_dir) / "dev.jsonl", story.target)
    current_name = current.kind if current else rules.kind
    metrics = {"story": story.name, "target": rules.target, "current_model": current_name, "train_claims": len(train),
               "dev_claims": len(dev), "ignored_claims": bad_train + bad_dev}
    ignored = (f"; {bad_train + bad_dev} corrected claim(s) with a stance other than {'/'.join(STANCES)} "
               "were not learnt") if bad_train + bad_dev else ""
    if not train or len(dev) < max(1, min_dev_claims):
        metrics.update(verdict="kept current", reason=f"not enough corrected claims to judge a new stance model "
                       f"({len(train)} train, {len(dev)} dev; {min_dev_claims} dev claims needed){ignored}")
        return StanceOutcome(current, metrics)

    def inputs(claims):
        return [classifier_input(c["speaker"], c["text"], *rules.predict(c["text"], c["speaker"])) for c in claims]

    def score(model, claims):
        predicted = [p[0] for p in model.predict(inputs(claims))] if model else \
            [rules.predict(c["text"], c["speaker"])[0] for c in claims]
        return stance_scores(list(zip(predicted, [c["stance"] for c in claims])))

    before = score(current, dev)
    started_from = "scratch"
    if current is not None:  # warm start: a fresh copy of the current model, fitted further
        candidate = load_classifier(current_path)
        started_from = f"current ({current.kind})"
    elif (general := bootstrap_path()) is not None:
        # another target: start from the bootstrap model's general sense of support/oppose, pulled toward it
        candidate = load_classifier(general)
        candidate.target = rules.target
        started_from = f"bootstrap ({candidate.meta.get('target')})"
        candidate.meta = {"started_from": started_from}
    else:
        candidate = new_classifier("embeddings" if embeddings_available() else "bow", rules.target)
    candidate.fit(inputs(train), [c["stance"] for c in train])
    after = score(candidate, dev)
    better = after["macro_f1"] >= before["macro_f1"]
    metrics.update(before=before, after=after, new_model=candidate.kind, started_from=started_from,
                   verdict="replaced" if better else "kept current",
                   reason=(f"stance macro-F1 on dev {before['macro_f1']} ({current_name}) -> {after['macro_f1']} "
                           f"({candidate.kind})" + ("" if better else ": worse, the current stance model is kept")
                           + ignored))
    return StanceOutcome(candidate if better else current, metrics)

