"""The model behind /predict: one spaCy pipeline per process, loaded lazily on first use, and one stance
component per story (its target, cue rules and stance model), so one server answers every story."""

from __future__ import annotations

import threading
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from spacy.language import Language

from plugin.labelstudio.tasks import to_task
from plugin.pipeline import build_pipeline, model_version, story_names, story_stance
from plugin.pipeline.stance import StanceRules
from plugin.preannotate import make_tasks, story_data
from plugin.records import ActorNames, Article
from plugin.stories import Story


class Predictor:
    """Pre-annotates Label Studio task data with the stancedesk pipeline, for the story a task belongs to."""

    def __init__(self, model: str | Path, *, nlp: Language | None = None, registry_home: Path | None = None):
        self.model = model
        self._nlp = nlp
        self._lock = threading.Lock()
        self._stances: dict[str, tuple[tuple, StanceRules]] = {}
        self._names: dict[str, tuple[tuple, ActorNames]] = {}
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
                    self._nlp = build_pipeline(self.model)
        return self._nlp

    @property
    def loaded(self) -> bool:
        return self._nlp is not None

    def stance(self, story: Story) -> StanceRules:
        """The story's stance component, built once and rebuilt when the story's target or stance model changes."""
        model = story.stance_model
        stamp = (model / "meta.json").stat().st_mtime_ns if model is not None and (model / "meta.json").is_file() else 0
        key = (story.target, str(model), stamp, tuple(sorted(map(str, story.stance.items()))))
        with self._lock:
            cached = self._stances.get(story.name)
            if cached is None or cached[0] != key:
                cached = self._stances[story.name] = (key, story_stance(story))
        return cached[1]

    def names(self, story: Story, learnt: ActorNames | None = None) -> ActorNames:
        """The story's actor names with what its annotators taught it, rebuilt when either changes."""
        key = (tuple(story.side_names()), story.actors.fingerprint(), learnt.fingerprint() if learnt is not None else None)
        nlp = self.nlp
        with self._lock:
            cached = self._names.get(story.name)
            if cached is None or cached[0] != key:
                cached = self._names[story.name] = (key, story_names(nlp, story, learnt))
        return cached[1]

    def model_version(self, story: Story) -> str:
        return model_version(self.nlp, self.stance(story))

    def predict(self, tasks: list[Mapping], story: Story, learnt: ActorNames | None = None) -> list[dict]:
        """One prediction (``result``, ``score``, ``model_version``) per task, in order: what ``preannotate`` writes.
        ``learnt``: the actor names the story's annotators taught it so far."""
        articles = [Article(doc_id=str(t["data"].get("doc_id", t.get("id", n))), text=t["data"]["text"],
                            meta=MappingProxyType({})) for n, t in enumerate(tasks)]
        items = make_tasks(self.nlp, articles, stance=self.stance(story), names=self.names(story, learnt))
        return [to_task(item, extra_data=story_data(story))["predictions"][0] for item in items]
