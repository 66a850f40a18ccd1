"""The model behind /predict: loaded once per process, lazily, on first use."""

from __future__ import annotations

import threading
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from spacy.language import Language

from plugin.labelstudio.tasks import to_task
from plugin.pipeline import build_pipeline, model_version
from plugin.preannotate import make_tasks
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
        from plugin.training.registry import model_in_use

        wanted = model_in_use(self.registry_home)
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
        """One prediction (``result``, ``score``, ``model_version``) per task, in order: what ``preannotate`` writes."""
        articles = [Article(doc_id=str(t["data"].get("doc_id", t.get("id", n))), text=t["data"]["text"],
                            meta=MappingProxyType({})) for n, t in enumerate(tasks)]
        return [to_task(item)["predictions"][0] for item in make_tasks(self.nlp, articles)]
