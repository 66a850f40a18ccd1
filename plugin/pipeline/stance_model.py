"""Trained stance classifiers over "<speaker>: <claim text>" plus the cue rules' verdict, and where they live.

Two representations, chosen by measurement (``benchmarks/stance_models.py``):

- ``embeddings``: MiniLM sentence embeddings (``plugin/pipeline/encoder.py``:
  int8 ONNX run by ONNX Runtime, no torch; the ``embeddings`` extra) and a
  multinomial logistic regression in numpy. The better one.
- ``bow``: spaCy's own ``textcat`` (``TextCatBOW.v3``, unigrams and bigrams).
  Needs nothing beyond spaCy; the fallback without the embeddings extra.

The cue rules' verdict is an input of both (measured: +0.05 macro-F1 for the
embeddings): a one-hot feature scaled by the rules' confidence, or a marker
word for the bag of words.

Both learn from corrections starting from what they know: the logistic
regression is pulled toward its current weights (an L2 prior), the textcat
resumes from its current weights. A model directory holds ``meta.json``
(kind, target, labels, counts) and the weights only: never the texts it was
trained on.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Callable, NamedTuple, Sequence

from plugin.errors import ModelError
from plugin.fileio import write_bytes_atomic
from plugin.pipeline import encoder
from plugin.records import STANCES

STANCE_MODEL_DIR = "stancedesk_stance_model"  # inside a retrained model directory
# the example stories' bundled stance models (the bootstrap, trained on the first story's dev set): the warm start
# of a new story's classifier, never its predictions
EXAMPLES_DIR = Path(__file__).parents[1] / "examples"
KINDS = ("embeddings", "bow")


class StanceModelUnavailable(ModelError):
    """A stance model cannot be used here (its backend is not installed, or the directory is damaged)."""


class StanceInput(NamedTuple):
    """What a classifier reads about one claim."""

    text: str  # "<speaker>: <claim text>": the speaker matters (a warning from Moscow is not one from Brussels)
    rule: str  # the cue rules' stance
    rule_score: float  # and their confidence


def classifier_input(speaker: str | None, text: str, rule: str = "neutral", rule_score: float = 0.0) -> StanceInput:
    return StanceInput(f"{speaker or 'unknown'}: {text}", rule, float(rule_score))


def embeddings_available() -> bool:
    """Whether the embeddings extra (ONNX Runtime, tokenizers) is installed; looked up, not imported."""
    return encoder.available()


def own_model_dir(model: str | Path) -> Path | None:
    """The stance model a retrained model directory carries, or None."""
    path = Path(str(model)) / STANCE_MODEL_DIR
    return path if (path / "meta.json").is_file() else None


class StanceClassifier:
    """Common part: labels in ``STANCES`` order, meta, save/load."""

    kind = ""

    def __init__(self, target: str, meta: dict | None = None):
        self.target = target
        self.meta = dict(meta or {})

    def predict_proba(self, inputs: Sequence[StanceInput]) -> list[dict[str, float]]:
        raise NotImplementedError

    def fit(self, inputs: Sequence[StanceInput], labels: Sequence[str]) -> "StanceClassifier":
        raise NotImplementedError

    def predict(self, inputs: Sequence[StanceInput]) -> list[tuple[str, float, dict[str, float]]]:
        out = []
        for probs in self.predict_proba(inputs):
            best = max(STANCES, key=lambda s: probs[s])
            out.append((best, round(probs[best], 3), probs))
        return out

    def save(self, path: Path) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self._save_weights(path)
        meta = {**self.meta, "kind": self.kind, "target": self.target, "labels": list(STANCES)}
        write_bytes_atomic(path / "meta.json", json.dumps(meta, indent=2, ensure_ascii=False).encode())

    def _save_weights(self, path: Path) -> None:
        raise NotImplementedError


def _check_labels(labels: Sequence[str]) -> None:
    bad = sorted({label for label in labels if label not in STANCES})
    if bad:
        raise ValueError(f"unknown stance label(s) {bad}; expected one of {list(STANCES)}")


# -- embeddings + logistic regression ----------------------------------------


def features(inputs: Sequence[StanceInput], encode: Callable | None = None):
    """Sentence embedding of the text, then the rules' verdict one-hot, scaled by their confidence.

    ``encode``: texts to normalised embeddings; the shipped int8 MiniLM (``encoder.encode``) unless a benchmark
    compares another."""
    import numpy as np

    emb = (encode or encoder.encode)([i.text for i in inputs])
    rules = np.zeros((len(inputs), len(STANCES)), dtype=emb.dtype)
    for row, i in enumerate(inputs):
        rules[row, STANCES.index(i.rule)] = i.rule_score
    return np.hstack([emb, rules])


class EmbeddingStance(StanceClassifier):
    kind = "embeddings"
    encode: Callable | None = None  # the shipped encoder; benchmarks/stance_models.py sets another to compare

    def __init__(self, target: str, meta: dict | None = None, weights=None, bias=None):
        super().__init__(target, meta)
        self.weights, self.bias = weights, bias

    def predict_proba(self, inputs):
        import numpy as np

        if not inputs:
            return []
        x = features(inputs, self.encode)
        logits = x @ self.weights + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        return [{s: float(row[i]) for i, s in enumerate(STANCES)} for row in p]

    def fit(self, inputs, labels, *, c: float = 10.0):
        """Class-balanced multinomial logistic regression (L-BFGS). With current weights, the L2 penalty
        pulls toward them rather than toward zero: corrections move a model, they do not restart it."""
        import numpy as np
        from scipy.optimize import minimize

        _check_labels(labels)
        x = features(inputs, self.encode).astype(np.float64)
        y = np.array([STANCES.index(label) for label in labels])
        n, d = x.shape
        k = len(STANCES)
        counts = np.bincount(y, minlength=k).astype(float)
        sample_w = (n / (k * np.maximum(counts, 1)))[y]
        onehot = np.eye(k)[y]
        prior = np.zeros((d + 1) * k)
        penalised = np.ones((d + 1) * k)
        penalised[d * k:] = 0.0  # from scratch, the intercept is free (as in scikit-learn)
        if self.weights is not None and self.weights.shape == (d, k):
            prior = np.concatenate([self.weights.ravel(), self.bias]).astype(np.float64)
            penalised[d * k:] = 1.0  # warm: a few corrections must not swing the class priors either

        def loss(theta):
            w, b = theta[: d * k].reshape(d, k), theta[d * k:]
            logits = x @ w + b
            logits -= logits.max(axis=1, keepdims=True)
            log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
            diff = (theta - prior) * penalised
            value = -(sample_w * (onehot * log_p).sum(axis=1)).sum() + 0.5 / c * diff @ diff
            g = (np.exp(log_p) - onehot) * sample_w[:, None]
            grad = np.concatenate([(x.T @ g).ravel(), g.sum(axis=0)]) + diff / c
            return value, grad

        theta = minimize(loss, prior.copy(), jac=True, method="L-BFGS-B", options={"maxiter": 500}).x
        self.weights, self.bias = theta[: d * k].reshape(d, k).astype(np.float32), theta[d * k:].astype(np.float32)
        self.meta["trained_claims"] = int(self.meta.get("trained_claims", 0)) + n
        return self

    def _save_weights(self, path):
        import numpy as np

        buf = path / "weights.npz"
        tmp = path / "weights.tmp.npz"
        np.savez(tmp, weights=self.weights, bias=self.bias)
        os.replace(tmp, buf)

    @classmethod
    def load(cls, path: Path, meta: dict) -> "EmbeddingStance":
        import numpy as np

        if not embeddings_available():
            raise StanceModelUnavailable(
                f"{path} is an embeddings stance model, which needs ONNX Runtime and tokenizers: "
                "pip install 'stancedesk[embeddings]'")
        data = np.load(path / "weights.npz")
        return cls(meta["target"], meta, data["weights"], data["bias"])


# -- spaCy textcat, bag of n-grams --------------------------------------------

_BOW_CONFIG = {"model": {"@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": True, "ngram_size": 2,
                         "no_output_layer": False, "length": 65536}}


def _bow_nlp():
    import spacy

    nlp = spacy.blank("en")
    textcat = nlp.add_pipe("textcat", config=_BOW_CONFIG)
    for s in STANCES:
        textcat.add_label(s)
    return nlp


class BowStance(StanceClassifier):
    kind = "bow"

    def __init__(self, target: str, meta: dict | None = None, nlp=None):
        super().__init__(target, meta)
        self.nlp = nlp
        self.initialized = nlp is not None

    @staticmethod
    def _text(i: StanceInput) -> str:
        return f"rule_{i.rule} {i.text}" if i.rule_score else i.text

    def predict_proba(self, inputs):
        return [{s: float(doc.cats[s]) for s in STANCES} for doc in self.nlp.pipe(self._text(i) for i in inputs)]

    def fit(self, inputs, labels, *, epochs: int = 20, seed: int = 0):
        from spacy.training import Example
        from spacy.util import minibatch

        _check_labels(labels)
        if self.nlp is None:
            self.nlp = _bow_nlp()
        examples = [Example.from_dict(self.nlp.make_doc(self._text(t)), {"cats": {s: float(s == label) for s in STANCES}})
                    for t, label in zip(inputs, labels)]
        optimizer = self.nlp.resume_training() if self.initialized else self.nlp.initialize(lambda: examples)
        self.initialized = True
        rng = random.Random(seed)
        for _ in range(epochs):
            rng.shuffle(examples)
            for batch in minibatch(examples, size=16):
                self.nlp.update(batch, sgd=optimizer, drop=0.0)
        self.meta["trained_claims"] = int(self.meta.get("trained_claims", 0)) + len(examples)
        return self

    def _save_weights(self, path):
        # the component only: the vocab would carry the training texts' words
        self.nlp.get_pipe("textcat").to_disk(path / "textcat", exclude=["vocab"])

    @classmethod
    def load(cls, path: Path, meta: dict) -> "BowStance":
        nlp = _bow_nlp()
        nlp.get_pipe("textcat").from_disk(path / "textcat", exclude=["vocab"])
        return cls(meta["target"], meta, nlp)


_CLASSES = {"embeddings": EmbeddingStance, "bow": BowStance}


def new_classifier(kind: str, target: str) -> StanceClassifier:
    if kind not in _CLASSES:
        raise ValueError(f"unknown stance model kind {kind!r}; choose one of {list(KINDS)}")
    return _CLASSES[kind](target)


def load_classifier(path: Path) -> StanceClassifier:
    """A stance model directory (written by ``StanceClassifier.save``)."""
    path = Path(path)
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        kind = meta["kind"]
    except (OSError, json.JSONDecodeError, KeyError) as e:
        raise StanceModelUnavailable(f"{path} is not a stance model directory ({e}); give one written by "
                                     "'stancedesk retrain' or use the rules (--stance-model rules)") from e
    if kind not in _CLASSES:
        raise StanceModelUnavailable(f"{path}: unknown stance model kind {kind!r}")
    return _CLASSES[kind].load(path, meta)


def bootstrap_path(kind: str | None = None) -> Path | None:
    """A bundled example model that can run here (to warm-start a new story's classifier), else None.

    Only an embeddings bootstrap ships: a bag of words trained on the dev set scores below the rules.
    """
    for path in sorted(EXAMPLES_DIR.glob("*/stance_model")):
        try:
            k = json.loads((path / "meta.json").read_text(encoding="utf-8"))["kind"]
        except (OSError, json.JSONDecodeError, KeyError):
            continue
        if (kind is None or k == kind) and (k != "embeddings" or embeddings_available()):
            return path
    return None
