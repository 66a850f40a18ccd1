"""Fine-tune the NER on the corrections, measure before/after and forgetting, decide promotion.

Training is spaCy's own (``spacy.cli.train.train``) on the exported training
set, whose config sources every component of the base pipeline and trains only
the NER; the export already carries the base model's predictions for the
labels annotators do not correct (pseudo-rehearsal).

``metrics.json`` holds:
- ``before`` / ``after``: precision, recall and F1 per actor label on the dev
  split, against the human annotations;
- ``forgetting``: the new model's labels that annotators do not correct (DATE,
  NORP, ...) scored against the base model's predictions on texts it was not
  trained on: the dev split, where the regions annotators marked as actors are
  left out (a base NORP turned into the annotators' GPE is a correction, not
  forgetting), and ``heldout.spacy``, unannotated store texts kept out of
  training; a drop of more than 2 F1 points means the model forgot;
- ``verdict``: promoted, or why not.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import spacy
from spacy.tokens import DocBin

import plugin.pipeline  # noqa: F401  (registers the stancedesk components a retrained pipeline holds)
from plugin.errors import StancedeskError
from plugin.evaluate import PRF
from plugin.pipeline.stance_model import STANCE_MODEL_DIR
from plugin.records import ACTOR_LABELS
from plugin.stories import Story, install_stance_model
from plugin.training.stance import retrain_stance

FORGETTING_LIMIT = 2.0  # F1 points


class RetrainError(StancedeskError):
    """Retraining cannot run (no data, bad base model, ...)."""


@dataclass(frozen=True)
class RetrainResult:
    model_dir: Path
    metrics: dict
    promote: bool
    reason: str


def _prf(tp: int, pred: int, gold: int) -> dict:
    m = PRF(tp, pred, gold)
    return {"p": round(100 * m.precision, 2), "r": round(100 * m.recall, 2), "f1": round(100 * m.f1, 2),
            "gold": gold, "pred": pred}


def _score(pred: list[set], gold: list[set], labels) -> dict:
    out, tot = {}, [0, 0, 0]
    for label in labels:
        tp = sum(len({x for x in p & g if x[2] == label}) for p, g in zip(pred, gold))
        np_ = sum(sum(1 for x in p if x[2] == label) for p in pred)
        ng = sum(sum(1 for x in g if x[2] == label) for g in gold)
        out[label] = _prf(tp, np_, ng)
        tot = [tot[0] + tp, tot[1] + np_, tot[2] + ng]
    out["micro"] = _prf(*tot)
    return out


def _ents(docs, labels) -> list[set]:
    return [{(e.start_char, e.end_char, e.label_) for e in doc.ents if e.label_ in labels} for doc in docs]


def _outside(spans: set, regions: set) -> set:
    return {s for s in spans if not any(s[0] < r[1] and r[0] < s[1] for r in regions)}


def measure(base_nlp, new_nlp, dev_docs, heldout_docs=(), other_labels=None) -> dict:
    """Before/after actor scores against the human dev annotations, and the forgetting check.

    ``other_labels`` are the labels annotators do not correct (default: the base NER's labels but actors).
    """
    texts = [d.text for d in dev_docs]
    gold = []
    for d in dev_docs:
        rehearsed = {(s.start_char, s.end_char) for s in d.spans.get("base_model", [])}
        gold.append({(e.start_char, e.end_char, e.label_) for e in d.ents
                     if e.label_ in ACTOR_LABELS and (e.start_char, e.end_char) not in rehearsed})
    texts += [d.text for d in heldout_docs]
    base_docs, new_docs = list(base_nlp.pipe(texts)), list(new_nlp.pipe(texts))  # each model runs once
    dev = len(dev_docs)
    before = _score(_ents(base_docs[:dev], ACTOR_LABELS), gold, ACTOR_LABELS)
    after = _score(_ents(new_docs[:dev], ACTOR_LABELS), gold, ACTOR_LABELS)
    other = sorted(other_labels or set(base_nlp.get_pipe("ner").labels) - set(ACTOR_LABELS))
    marked = gold + [set()] * len(heldout_docs)  # human actor regions: no forgetting counted there
    reference = [_outside(r, m) for r, m in zip(_ents(base_docs, other), marked)]
    predicted = [_outside(p, m) for p, m in zip(_ents(new_docs, other), marked)]
    forgetting = _score(predicted, reference, other)
    forgetting["drop"] = round(100.0 - forgetting["micro"]["f1"], 2) if forgetting["micro"]["gold"] else 0.0
    forgetting["texts"] = len(texts)
    return {"before": before, "after": after, "forgetting": forgetting}


def verdict(before_f1: float, after_f1: float, forgetting_drop: float) -> tuple[bool, str]:
    """The promotion rule: never worse than the base on dev, and no more than 2 F1 points forgotten."""
    if after_f1 < before_f1:
        return False, f"actor F1 on dev fell from {before_f1} to {after_f1}"
    if forgetting_drop > FORGETTING_LIMIT:
        return False, (f"it forgets: the labels annotators do not correct lost {forgetting_drop} F1 points "
                       f"(limit {FORGETTING_LIMIT})")
    return True, f"actor F1 on dev {before_f1} -> {after_f1}, forgetting {forgetting_drop} F1 points"


def _human_documents(path: Path, vocab) -> int:
    return sum(1 for d in DocBin().from_disk(path).get_docs(vocab) if not d.user_data.get("stancedesk", {}).get("rehearsal"))


def _data_hash(data_dir: Path) -> str:
    h = hashlib.sha256()
    for name in ("train.spacy", "dev.spacy"):
        h.update((data_dir / name).read_bytes())
    return h.hexdigest()[:16]


def retrain(data_dir: Path, output: Path, *, base_model: str, story: Story, max_epochs: int = 15) -> RetrainResult:
    """Train on ``data_dir`` (an exported training set), write the model and metrics.json to ``output``.

    The NER and the story's stance classifier both learn from the corrections; the stance model the output
    carries is the retrained one if it is not worse than the story's current one, else the current one
    (``metrics["stance"]["verdict"]`` says which). Only claims whose stance is toward the story's target train it.
    """
    data_dir, output = Path(data_dir), Path(output)
    for name in ("train.spacy", "dev.spacy", "config.cfg"):
        if not (data_dir / name).is_file():
            raise RetrainError(f"{data_dir} has no {name}; export one with 'stancedesk export training -o {data_dir}'")
    try:
        base_nlp = spacy.load(base_model)
    except OSError as e:
        raise RetrainError(f"cannot load base model {base_model!r}; install it or pass --base NAME_OR_PATH") from e
    dev_docs = list(DocBin().from_disk(data_dir / "dev.spacy").get_docs(base_nlp.vocab))
    if not dev_docs:
        raise RetrainError("the dev split is empty: correct more articles (at least two stories) before retraining")
    from spacy.cli.train import train

    output.parent.mkdir(parents=True, exist_ok=True)
    data_hash = _data_hash(data_dir)
    with tempfile.TemporaryDirectory(dir=output.parent) as tmp:
        train(data_dir / "config.cfg", Path(tmp) / "train", use_gpu=-1, overrides={
            "paths.train": str(data_dir / "train.spacy"), "paths.dev": str(data_dir / "dev.spacy"),
            "training.max_epochs": max_epochs,
        })
        new_nlp = spacy.load(Path(tmp) / "train" / "model-best")
        heldout = data_dir / "heldout.spacy"
        heldout_docs = list(DocBin().from_disk(heldout).get_docs(base_nlp.vocab)) if heldout.is_file() else []
        metrics = measure(base_nlp, new_nlp, dev_docs, heldout_docs)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
        new_nlp.meta["version"] = f"{base_nlp.meta.get('version', '0')}+ft{stamp}"
        new_nlp.meta["description"] = f"stancedesk: {base_model} NER fine-tuned on corrections (data {data_hash})"
        promote, reason = verdict(metrics["before"]["micro"]["f1"], metrics["after"]["micro"]["f1"], metrics["forgetting"]["drop"])
        metrics.update(story=story.name, target=story.target, base_model=str(base_model), model_version=new_nlp.meta["version"], data_hash=data_hash,
                       trained_at=stamp, verdict="promoted" if promote else "not promoted", reason=reason,
                       train_documents=_human_documents(data_dir / "train.spacy", base_nlp.vocab), dev_documents=len(dev_docs),
                       heldout_documents=len(heldout_docs))
        stance = retrain_stance(data_dir, base_model, story=story)
        metrics["stance"] = stance.metrics
        # the whole model directory is built aside, then moved into place: never a half-written model
        staged = Path(tmp) / "model"
        new_nlp.to_disk(staged)
        if stance.classifier is not None:
            stance.classifier.save(staged / STANCE_MODEL_DIR)
        (staged / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
        if output.exists():
            shutil.rmtree(output)
        os.replace(staged, output)
    return RetrainResult(output, metrics, promote, reason)


def install_stance(home: Path, story: Story, result: RetrainResult) -> Path | None:
    """Make the retrained stance model the story's own when it replaced the current one (judged on the story's
    held-out corrected claims); returns where it went, or None when the current one stays."""
    stance = result.metrics.get("stance") or {}
    model = result.model_dir / STANCE_MODEL_DIR
    if stance.get("verdict") != "replaced" or not (model / "meta.json").is_file():
        return None
    after = stance.get("after") or {}
    quality = {"macro_f1": after.get("macro_f1"), "accuracy": after.get("accuracy"),
               "measured_on": f"on {after.get('claims')} held-out corrected claims of the story",
               "before": (stance.get("before") or {}).get("macro_f1"), "trained_claims": stance.get("train_claims"),
               "model_dir": str(result.model_dir)}
    return install_stance_model(home, story, model, quality)
