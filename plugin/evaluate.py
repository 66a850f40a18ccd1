"""Scoring predicted tasks against a gold file in the dev-set format.

Actors: exact span and label. Claims: one-to-one matching at character
IoU >= 0.5. Attribution and stance are scored on matched claims.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from plugin.errors import GoldError, TaskError
from plugin.labelstudio.tasks import annotated_from_task
from plugin.records import ACTOR_LABELS, STANCES, Actor, AnnotatedArticle, Article, Claim

CLAIM_IOU = 0.5


@dataclass(frozen=True)
class PRF:
    tp: int
    predicted: int
    gold: int

    @property
    def precision(self) -> float:
        return self.tp / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.tp / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def read_gold(path: str | Path) -> list[AnnotatedArticle]:
    """Read a gold JSONL file (the format of the shared dev set)."""
    path = Path(path)
    if not path.is_file():
        raise GoldError(f"gold file {path} does not exist")
    out = []
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except UnicodeDecodeError as e:
        raise GoldError(f"gold file {path} is not valid UTF-8 (byte {e.start}); re-encode it as UTF-8") from e
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            text = d["text"]
            actors = tuple(Actor(a["start"], a["end"], a["label"], a["text"], a["text"]) for a in d.get("actors", []))
            claims = tuple(
                Claim(c["start"], c["end"], c["text"], c.get("kind", "indirect"), c.get("speaker"),
                      tuple(c["speaker_span"]) if c.get("speaker_span") else None, c.get("stance", "neutral"))
                for c in d.get("claims", [])
            )
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise GoldError(f"{path}:{n}: not a gold record ({e!r}); expected id, text, actors, claims as in the dev set") from e
        article = Article(doc_id=str(d.get("id", n)), text=text, meta=MappingProxyType({"url": d.get("url")}))
        out.append(AnnotatedArticle(article=article, actors=actors, claims=claims))
    if not out:
        raise GoldError(f"gold file {path} holds no records")
    return out


def read_predictions(path: str | Path) -> list[AnnotatedArticle]:
    path = Path(path)
    if not path.is_file():
        raise TaskError(f"tasks file {path} does not exist; write one with 'stancedesk preannotate'")
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise TaskError(f"tasks file {path} is not valid JSON ({e})") from e
    if not isinstance(tasks, list) or not all(isinstance(t, dict) for t in tasks):
        raise TaskError(f"tasks file {path} must hold a JSON list of task objects, as written by 'stancedesk preannotate'")
    return [annotated_from_task(t) for t in tasks]


def _iou(a: Claim, b: Claim) -> float:
    inter = max(0, min(a.end, b.end) - max(a.start, b.start))
    union = max(a.end, b.end) - min(a.start, b.start)
    return inter / union if union else 0.0


def match_claims(pred: tuple[Claim, ...], gold: tuple[Claim, ...]) -> list[tuple[Claim, Claim]]:
    """Greedy one-to-one matching by descending IoU, pairs with IoU >= 0.5 only."""
    pairs = sorted(((_iou(p, g), i, j) for i, p in enumerate(pred) for j, g in enumerate(gold)), reverse=True)
    used_p, used_g, out = set(), set(), []
    for iou, i, j in pairs:
        if iou < CLAIM_IOU:
            break
        if i in used_p or j in used_g:
            continue
        used_p.add(i)
        used_g.add(j)
        out.append((pred[i], gold[j]))
    return out


def same_speaker(pred: Claim, gold: Claim) -> bool:
    if gold.speaker is None and gold.speaker_span is None:
        return pred.speaker_span is None
    if pred.speaker_span is None:
        return False
    if gold.speaker_span is not None:
        gs, ge = gold.speaker_span
        ps, pe = pred.speaker_span
        if ps < ge and gs < pe:
            return True
    return bool(pred.speaker and gold.speaker and pred.speaker.lower() == gold.speaker.lower())


def macro_f1(pairs: list[tuple[str, str]]) -> float:
    """Mean F1 over the stances that occur in the gold or the predictions (as scikit-learn's macro average)."""
    present = [s for s in STANCES if any(s in pair for pair in pairs)]
    f1s = []
    for s in present:
        tp = sum(1 for p, g in pairs if p == s and g == s)
        predicted = sum(1 for p, _ in pairs if p == s)
        gold = sum(1 for _, g in pairs if g == s)
        f1s.append(PRF(tp, predicted, gold).f1)
    return sum(f1s) / len(f1s) if f1s else 0.0


def evaluate(gold: list[AnnotatedArticle], predicted: list[AnnotatedArticle]) -> dict:
    """Score predictions against gold; documents are paired by doc_id, else by identical text.

    Returns a dict of figures (see the keys); documents missing from the
    predictions count as predicting nothing.
    """
    by_id = {p.article.doc_id: p for p in predicted}
    by_text = {p.article.text: p for p in predicted}
    actor_counts = {label: [0, 0, 0] for label in ACTOR_LABELS}
    claim_tp = claim_pred = claim_gold = 0
    attributed = attributed_ok = 0
    stance_pairs: list[tuple[str, str]] = []
    kind_ok = 0
    missing = []
    for g in gold:
        p = by_id.get(g.article.doc_id) or by_text.get(g.article.text)
        if p is None:
            missing.append(g.article.doc_id)
            p = AnnotatedArticle(article=g.article, actors=(), claims=())
        elif p.article.text != g.article.text:
            raise GoldError(f"document {g.article.doc_id}: predicted text differs from the gold text; offsets cannot be compared")
        pa = {(a.start, a.end, a.label) for a in p.actors}
        ga = {(a.start, a.end, a.label) for a in g.actors}
        for label in ACTOR_LABELS:
            c = actor_counts[label]
            c[0] += len({x for x in pa & ga if x[2] == label})
            c[1] += sum(1 for x in pa if x[2] == label)
            c[2] += sum(1 for x in ga if x[2] == label)
        pairs = match_claims(p.claims, g.claims)
        claim_tp += len(pairs)
        claim_pred += len(p.claims)
        claim_gold += len(g.claims)
        for pc, gc in pairs:
            attributed += 1
            attributed_ok += same_speaker(pc, gc)
            stance_pairs.append((pc.stance, gc.stance))
            kind_ok += pc.kind == gc.kind
    actors_all = PRF(*(sum(c[i] for c in actor_counts.values()) for i in range(3)))
    claims = PRF(claim_tp, claim_pred, claim_gold)
    return {
        "documents": len(gold),
        "missing_documents": missing,
        "actors": actors_all,
        "actors_by_label": {label: PRF(*c) for label, c in actor_counts.items()},
        "claims": claims,
        "matched_claims": len(stance_pairs),
        "attribution_accuracy": attributed_ok / attributed if attributed else 0.0,
        "kind_accuracy": kind_ok / attributed if attributed else 0.0,
        "stance_accuracy": sum(p == g for p, g in stance_pairs) / len(stance_pairs) if stance_pairs else 0.0,
        "stance_macro_f1": macro_f1(stance_pairs),
    }
