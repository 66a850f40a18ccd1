"""The model behind /predict: loaded once per process, lazily, on first use."""

from __future__ import annotations

import threading
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from spacy.language import Language

from plugin.labelstudio.tasks import prediction_result
from plugin.pipeline import build_pipeline, model_version
from plugin.pipeline.convert import doc_to_annotated
from plugin.records import Article


class Predictor:
    """Pre-annotates Label Studio task data with the stancedesk pipeline."""

    def __init__(self, model: str | Path, *, stance_config: Path | None = None, nlp: Language | None = None,
                 registry_home: Path | None = None):
        self.model = model
        self.stance_config = stance_config
        self._nlp = nlp
        self._lock = threading.Lock()
        self.registry_home = registry_home  # follow the promoted model of this home (None: keep ``model``)

    def refresh(self) -> None:
        """Switch to the promoted model if it changed since it was loaded (a retrain promoted a new one)."""
        if self.registry_home is None:
            return
        from plugin.pipeline import DEFAULT_MODEL
        from plugin.training.registry import promoted_path

        promoted = promoted_path(self.registry_home)
        wanted = str(promoted) if promoted is not None else DEFAULT_MODEL
        if str(self.model) != wanted:
            with self._lock:
                self.model, self._nlp = wanted, None

    @property
    def nlp(self) -> Language:
        if self._nlp is None:
            with self._lock:
                if self._nlp is None:
                    self._nlp = build_pipeline(self.model, stance_config=self.stance_config)
        return self._nlp

    @property
    def loaded(self) -> bool:
        return self._nlp is not None

    @property
    def model_version(self) -> str:
        return model_version(self.nlp)

    def predict(self, tasks: list[Mapping]) -> list[dict]:
        """One prediction (``result``, ``score``, ``model_version``) per task, in order."""
        version = self.model_version
        stream = ((t["data"]["text"], n) for n, t in enumerate(tasks))
        out = []
        for doc, n in self.nlp.pipe(stream, as_tuples=True):
            data = tasks[n]["data"]
            article = Article(doc_id=str(data.get("doc_id", tasks[n].get("id", n))), text=doc.text,
                              meta=MappingProxyType({}))
            item = doc_to_annotated(doc, article, model_version=version)
            scores = [c.confidence for c in item.claims]
            out.append({
                "result": prediction_result(item),
                "score": round(sum(scores) / len(scores), 3) if scores else 1.0,
                "model_version": version,
            })
        return out
