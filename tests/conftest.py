"""Shared fixtures.

The spaCy model is loaded at most once per session (``nlp``); tests that run
the pre-annotator or the CLI end to end reuse it through ``reuse_nlp`` instead
of loading it again. Tests that need the model are marked ``model``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import spacy

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root, found from this file rather than from the working directory."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def seeds_dir(repo_root: Path) -> Path:
    return repo_root / "seeds"


@pytest.fixture(scope="session")
def annotation_config(repo_root: Path) -> str:
    return (repo_root / "annotation_configs" / "stancedesk.xml").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def nlp():
    """The full stancedesk pipeline on the default model, built once per session."""
    from plugin.pipeline import build_pipeline

    return build_pipeline()


def _loader_reusing(nlp):
    """A stand-in for ``spacy.load`` that hands back the session pipeline for the default model.

    ``build_pipeline`` returns an already-built stancedesk pipeline as it is (or
    reconfigures its stance rules when a stance config is given), so every other
    step of pre-annotation runs for real. Other names go to the real loader.
    """
    from plugin.pipeline import DEFAULT_MODEL

    real_load = spacy.load

    def load(name, *args, **kwargs):
        if str(name) == DEFAULT_MODEL:
            return nlp
        return real_load(name, *args, **kwargs)

    return load


@pytest.fixture
def reuse_nlp(nlp, monkeypatch):
    """Make ``build_pipeline()`` (and so ``preannotate`` and the CLI) reuse the session pipeline."""
    monkeypatch.setattr(spacy, "load", _loader_reusing(nlp))
    return nlp


@pytest.fixture(scope="session")
def seed_tasks(nlp, seeds_dir: Path, tmp_path_factory) -> list[dict]:
    """The tasks that ``preannotate`` writes for the seed articles (the model runs once)."""
    from plugin.preannotate import preannotate

    out = tmp_path_factory.mktemp("seed_tasks") / "t.json"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(spacy, "load", _loader_reusing(nlp))
        preannotate([seeds_dir], out)
    return json.loads(out.read_text(encoding="utf-8"))
