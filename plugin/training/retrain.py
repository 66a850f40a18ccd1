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
  training. Reported, not a veto: the pipeline outputs none of these labels;
- ``pipeline``: what users get, judged on the held-out corrected documents: the
  base and the new model each run as a whole stancedesk pipeline for the story
  (actor repairs, claims, attribution), scored against the corrections: actor
  F1 per label, claims, attribution; with the share of 1,000 bootstrap
  resamples of those documents in which the new pipeline's actor F1 is not
  lower (``confidence``);
- ``verdict``: promoted, or why not (``verdict()``).
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
from plugin.evaluate import PRF, evaluate
from plugin.pipeline.stance_model import STANCE_MODEL_DIR
from plugin.records import ACTOR_LABELS, Actor, AnnotatedArticle, Article, Claim
from plugin.stories import Story, install_stance_model
from plugin.training.stance import retrain_stance

MIN_DEV_DOCUMENTS = 3  # held-out corrected documents below which no verdict is trusted
PROMOTE_CONFIDENCE = 0.8  # share of bootstrap resamples in which the new pipeline must not be worse
ATTRIBUTION_TOLERANCE = 2.0  # points of attribution accuracy a better NER may cost
BOOTSTRAP_SAMPLES = 1000


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


def verdict(pipeline: dict) -> tuple[bool, str]:
    """The promotion rule, on what users get (``pipeline``, from ``measure_pipelines``): enough held-out corrected
    documents to tell; the new pipeline's actor F1 not lower, and not lower in at least ``PROMOTE_CONFIDENCE`` of the
    bootstrap resamples; attribution not down by more than ``ATTRIBUTION_TOLERANCE`` points."""
    n, before, after = pipeline["documents"], pipeline["before"], pipeline["after"]
    if n < MIN_DEV_DOCUMENTS:
        return False, (f"only {n} held-out corrected document(s), too few to tell a better model from luck "
                       f"(need {MIN_DEV_DOCUMENTS}); correct more articles and retrain")
    b, a, conf = before["actors_f1"], after["actors_f1"], pipeline["confidence"]
    if a < b:
        return False, f"actor F1 of the pipeline on {n} held-out documents fell from {b} to {a}"
    if conf < PROMOTE_CONFIDENCE:
        return False, (f"actor F1 {b} -> {a} on {n} held-out documents, but not lower in only {conf:.0%} of "
                       f"bootstrap resamples (need {PROMOTE_CONFIDENCE:.0%}); correct more articles and retrain")
    if after["attribution"] < before["attribution"] - ATTRIBUTION_TOLERANCE:
        return False, f"attribution fell from {before['attribution']} to {after['attribution']} on {n} held-out documents"
    return True, (f"actor F1 {b} -> {a}, attribution {before['attribution']} -> {after['attribution']} on {n} held-out "
                  f"documents (not lower in {conf:.0%} of bootstrap resamples)")


def training_records(path: Path) -> list[AnnotatedArticle]:
    """The corrected documents of a training set's JSONL split (``train.jsonl``, ``dev.jsonl``) as records."""
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        d = json.loads(line)
        actors = tuple(Actor(e["start"], e["end"], e["label"], e["text"], e.get("canonical") or e["text"])
                       for e in d.get("entities", []))
        claims = tuple(Claim(c["start"], c["end"], c["text"], c.get("kind", "indirect"), c.get("speaker"),
                             tuple(c["speaker_span"]) if c.get("speaker_span") else None, c.get("stance", "neutral"))
                       for c in d.get("claims", []))
        out.append(AnnotatedArticle(article=Article(str(d["doc_id"]), d["text"]), actors=actors, claims=claims))
    return out


def _actor_counts(gold, predicted) -> list[tuple[int, int, int]]:
    """(true positives, predicted, gold) actors of each document."""
    out = []
    for g, p in zip(gold, predicted):
        m = evaluate([g], [p])["actors"]
        out.append((m.tp, m.predicted, m.gold))
    return out


def _f1(counts) -> float:
    tp, pred, gold = (sum(c[i] for c in counts) for i in range(3))
    return 2 * tp / (pred + gold) if pred + gold else 0.0


def measure_pipelines(base_model: str | Path, new_model: str | Path, story: Story, gold: list, *, seed: int = 0) -> dict:
    """Both models as whole stancedesk pipelines for the story, on the held-out corrected documents ``gold``
    (records), scored as users get them; plus the bootstrap confidence that the new one's actor F1 is not lower."""
    import random

    from plugin.pipeline import build_pipeline
    from plugin.preannotate import make_tasks

    side = {}
    per_doc = {}
    articles = [g.article for g in gold]
    for key, model in (("before", base_model), ("after", new_model)):
        nlp = build_pipeline(model, story=story, stance_model="rules")
        predicted = list(make_tasks(nlp, articles))
        scores = evaluate(gold, predicted)
        side[key] = {"actors_f1": round(100 * scores["actors"].f1, 2),
                     **{f"{label}_f1": round(100 * m.f1, 2) for label, m in scores["actors_by_label"].items()},
                     "claims_f1": round(100 * scores["claims"].f1, 2),
                     "attribution": round(100 * scores["attribution_accuracy"], 2)}
        per_doc[key] = _actor_counts(gold, predicted)
    rng = random.Random(seed)
    n = len(gold)
    not_lower = 0
    for _ in range(BOOTSTRAP_SAMPLES if n else 0):
        picks = [rng.randrange(n) for _ in range(n)]
        if _f1([per_doc["after"][i] for i in picks]) >= _f1([per_doc["before"][i] for i in picks]):
            not_lower += 1
    return {"documents": n, **side, "confidence": round(not_lower / BOOTSTRAP_SAMPLES, 3) if n else 0.0}


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
        new_nlp.to_disk(Path(tmp) / "candidate")
        dev_gold = training_records(data_dir / "dev.jsonl")
        metrics["pipeline"] = measure_pipelines(base_model, Path(tmp) / "candidate", story, dev_gold)
        promote, reason = verdict(metrics["pipeline"])
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
