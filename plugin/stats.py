"""What annotators changed, and whether they agree: pure functions over records.

``correction_stats`` compares each human annotation with the prediction it
started from (per model version); ``agreement`` compares annotators who
annotated the same task. Claims are matched one-to-one at character IoU >= 0.5
(as ``stancedesk evaluate`` does); actors by exact span.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from typing import Sequence

from plugin.evaluate import PRF, match_claims
from plugin.records import STANCES
from plugin.records import AnnotatedArticle

@dataclass(frozen=True)
class Reviewed:
    """One current human annotation, with the prediction it started from (None when there was none)."""

    annotation_id: int
    task_id: int
    annotator: int | None
    model_version: str | None
    human: AnnotatedArticle
    predicted: AnnotatedArticle | None


@dataclass
class VersionStats:
    annotations: int = 0
    actors: Counter = field(default_factory=Counter)  # kept, relabelled, added, removed
    claims: Counter = field(default_factory=Counter)  # kept, added, removed
    stance_changed: int = 0
    speaker_changed: int = 0

    def actor_prf(self) -> PRF:
        kept = self.actors["kept"]
        return PRF(kept, kept + self.actors["relabelled"] + self.actors["removed"], kept + self.actors["relabelled"] + self.actors["added"])

    def claim_prf(self) -> PRF:
        kept = self.claims["kept"]
        return PRF(kept, kept + self.claims["removed"], kept + self.claims["added"])

    @property
    def stance_correction_rate(self) -> float:
        """Share of kept claims whose stance the annotators changed: the figure a better stance model lowers."""
        return self.stance_changed / self.claims["kept"] if self.claims["kept"] else 0.0

    def as_dict(self) -> dict:
        a, c = self.actor_prf(), self.claim_prf()
        return {
            "annotations": self.annotations,
            "actors": dict(+self.actors), "actor_precision": round(a.precision, 3), "actor_recall": round(a.recall, 3),
            "claims": dict(+self.claims), "claim_precision": round(c.precision, 3), "claim_recall": round(c.recall, 3),
            "stance_changed": self.stance_changed, "stance_correction_rate": round(self.stance_correction_rate, 3),
            "speaker_changed": self.speaker_changed,
        }


def correction_stats(reviewed: Sequence[Reviewed]) -> dict[str, VersionStats]:
    """Per model version: how human results differ from the predictions they started from."""
    out: dict[str, VersionStats] = defaultdict(VersionStats)
    for r in reviewed:
        if r.predicted is None:
            continue
        s = out[r.model_version or "(unknown)"]
        s.annotations += 1
        pred_spans = {(a.start, a.end): a.label for a in r.predicted.actors}
        human_spans = {(a.start, a.end): a.label for a in r.human.actors}
        for span, label in human_spans.items():
            if span not in pred_spans:
                s.actors["added"] += 1
            elif pred_spans[span] == label:
                s.actors["kept"] += 1
            else:
                s.actors["relabelled"] += 1
        s.actors["removed"] += sum(1 for span in pred_spans if span not in human_spans)
        pairs = match_claims(r.predicted.claims, r.human.claims)
        s.claims["kept"] += len(pairs)
        s.claims["added"] += len(r.human.claims) - len(pairs)
        s.claims["removed"] += len(r.predicted.claims) - len(pairs)
        s.stance_changed += sum(1 for p, h in pairs if p.stance != h.stance)
        s.speaker_changed += sum(1 for p, h in pairs if p.speaker_span != h.speaker_span)
    return dict(out)


def cohen_kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Cohen's kappa of two annotators' labels on the same items (None when undefined)."""
    if not pairs:
        return None
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(first[k] * second[k] for k in STANCES) / (n * n)
    if expected == 1:
        return 1.0 if observed == 1 else None
    return (observed - expected) / (1 - expected)


@dataclass(frozen=True)
class Disagreement:
    task_id: int
    layer: str
    annotators: tuple[int | None, int | None]
    detail: str


@dataclass(frozen=True)
class Agreement:
    tasks: int
    pairs: int
    f1: dict[str, float]  # per layer: actors, claims, attribution (share of matched claims), stance (accuracy)
    stance_kappa: float | None
    disagreements: tuple[Disagreement, ...]


def agreement(reviewed: Sequence[Reviewed]) -> Agreement:
    """Pairwise agreement between annotators of the same task, with the disagreements to adjudicate."""
    by_task: dict[int, list[Reviewed]] = defaultdict(list)
    for r in reviewed:
        by_task[r.task_id].append(r)
    actor_tp = actor_a = actor_b = claim_tp = claim_a = claim_b = 0
    speaker_same = matched = 0
    stance_pairs: list[tuple[str, str]] = []
    disagreements: list[Disagreement] = []
    n_pairs = 0
    shared = {t: rs for t, rs in by_task.items() if len(rs) >= 2}
    for task_id, rs in sorted(shared.items()):
        for x, y in combinations(rs, 2):
            n_pairs += 1
            who = (x.annotator, y.annotator)
            text = x.human.article.text
            ax = {(a.start, a.end, a.label) for a in x.human.actors}
            ay = {(a.start, a.end, a.label) for a in y.human.actors}
            actor_tp += len(ax & ay)
            actor_a += len(ax)
            actor_b += len(ay)
            for s, e, label in sorted(ax ^ ay):
                side = "only first" if (s, e, label) in ax else "only second"
                disagreements.append(Disagreement(task_id, "actors", who, f"{text[s:e]!r} {label} ({side})"))
            pairs = match_claims(x.human.claims, y.human.claims)
            claim_tp += len(pairs)
            claim_a += len(x.human.claims)
            claim_b += len(y.human.claims)
            matched_x = {id(p) for p, _ in pairs}
            matched_y = {id(q) for _, q in pairs}
            for c in x.human.claims:
                if id(c) not in matched_x:
                    disagreements.append(Disagreement(task_id, "claims", who, f"{c.text[:80]!r} (only first)"))
            for c in y.human.claims:
                if id(c) not in matched_y:
                    disagreements.append(Disagreement(task_id, "claims", who, f"{c.text[:80]!r} (only second)"))
            for p, q in pairs:
                matched += 1
                if p.speaker_span == q.speaker_span:
                    speaker_same += 1
                else:
                    disagreements.append(Disagreement(task_id, "attribution", who,
                                                      f"{p.text[:60]!r}: {p.speaker or 'unattributed'} vs {q.speaker or 'unattributed'}"))
                stance_pairs.append((p.stance, q.stance))
                if p.stance != q.stance:
                    disagreements.append(Disagreement(task_id, "stance", who, f"{p.text[:60]!r}: {p.stance} vs {q.stance}"))
    f1 = {
        "actors": PRF(actor_tp, actor_a, actor_b).f1,
        "claims": PRF(claim_tp, claim_a, claim_b).f1,
        "attribution": speaker_same / matched if matched else 0.0,
        "stance": sum(a == b for a, b in stance_pairs) / len(stance_pairs) if stance_pairs else 0.0,
    }
    kappa = cohen_kappa(stance_pairs)
    return Agreement(len(shared), n_pairs, {k: round(v, 3) for k, v in f1.items()},
                     None if kappa is None else round(kappa, 3), tuple(disagreements))
