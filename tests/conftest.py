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
def seed_gold_with_meta(repo_root: Path) -> list:
    """The seed articles' gold records (tests/data/seeds_gold.jsonl) with the seeds' metadata: outlet, date, title."""
    from dataclasses import replace
    from types import MappingProxyType

    from plugin.evaluate import read_gold

    meta = json.loads((repo_root / "seeds" / "metadata.json").read_text(encoding="utf-8"))
    return [replace(i, article=replace(i.article, meta=MappingProxyType(meta.get(i.article.doc_id) or {})))
            for i in read_gold(repo_root / "tests" / "data" / "seeds_gold.jsonl")]


EXAMPLE_STORY = "russia-nato"


@pytest.fixture(scope="session")
def example_story():
    """The example story shipped with stancedesk (target, cue rules, bootstrap stance model)."""
    from plugin.stories import find_story

    return find_story(Path("/nonexistent-stancedesk-home"), EXAMPLE_STORY)


@pytest.fixture(scope="session")
def nlp(example_story):
    """The full stancedesk pipeline on the default model for the example story, built once per session."""
    from plugin.pipeline import build_pipeline

    return build_pipeline(story=example_story)


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
    actors = nlp.get_pipe("stancedesk_actors")
    names = actors.story_names
    yield nlp
    actors.configure(names)  # a command run with another story configured the shared pipeline for it


@pytest.fixture(scope="session")
def seed_tasks(nlp, example_story, seeds_dir: Path, tmp_path_factory) -> list[dict]:
    """The tasks that ``preannotate`` writes for the seed articles of the example story (the model runs once)."""
    from plugin.preannotate import preannotate

    out = tmp_path_factory.mktemp("seed_tasks") / "t.json"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(spacy, "load", _loader_reusing(nlp))
        preannotate([seeds_dir], out, story=example_story)
    return json.loads(out.read_text(encoding="utf-8"))


# -- hand-built docs: parses written out by hand, so rule tests never depend on the model --
def _spaces(text: str, words: list[str]) -> list[bool]:
    spaces, pos = [], 0
    for w in words:
        start = text.index(w, pos)
        assert text[pos:start].strip() == "", f"unexpected text {text[pos:start]!r} before {w!r}"
        pos = start + len(w)
        spaces.append(text[pos:pos + 1] == " ")
    return spaces


def build_doc(vocab, text: str, rows: list[str], ents: list[tuple[int, int, str]] = (), sent_starts: tuple[int, ...] = (0,)):
    """A Doc from ``text`` and one row per token: ``"word head dep POS lemma"`` (head: absolute index).

    ``ents`` are (start_token, end_token, label); ``sent_starts`` the tokens that begin a sentence.
    """
    from spacy.tokens import Doc, Span

    parts = [r.split(" ") for r in rows]
    words = [p[0].replace("_", " ") if p[0] != "_" else " " for p in parts]
    words = [w.replace("\\n", "\n") for w in words]
    doc = Doc(
        vocab,
        words=words,
        spaces=_spaces(text, words),
        heads=[int(p[1]) for p in parts],
        deps=[p[2] for p in parts],
        pos=[p[3] for p in parts],
        lemmas=[p[4] if len(p) > 4 else p[0].lower() for p in parts],
        sent_starts=[i in sent_starts for i in range(len(parts))],
    )
    assert doc.text == text, (doc.text, text)
    doc.ents = [Span(doc, s, e, label=label) for s, e, label in ents]
    return doc


@pytest.fixture(scope="session")
def rules_nlp(example_story):
    """A blank English pipeline holding only the stancedesk rule components (no model), actor names and stance
    by the example story's [actors] and cue rules."""
    import plugin.pipeline  # noqa: F401  (registers the factories)

    nlp = spacy.blank("en")
    for name in ("stancedesk_boilerplate", "stancedesk_actors", "stancedesk_claims", "stancedesk_attribution", "stancedesk_stance"):
        nlp.add_pipe(name)
    nlp.get_pipe("stancedesk_stance").configure(example_story.stance_table())
    nlp.get_pipe("stancedesk_actors").configure(example_story.actors)
    return nlp


@pytest.fixture(scope="session")
def annotate(rules_nlp):
    """Run the stancedesk rule components over a hand-built doc; returns the doc."""

    def run(text, rows, ents=(), sent_starts=(0,)):
        doc = build_doc(rules_nlp.vocab, text, rows, ents, sent_starts)
        for _, proc in rules_nlp.pipeline:
            doc = proc(doc)
        return doc

    return run


# -- two invented stories (other targets than the example's) ---------------------------
TOLL = """[story]
name = "bridge-toll"
title = "The Riverside bridge toll"
target = "The Riverside bridge toll"

[stance]
proponents = ["Harbour Council"]
opponents = ["Drivers Union"]
support = ["fair price"]
oppose = ["daylight robbery"]

[guideline]
notes = "support: the toll pays for repairs"
"""
PARK = """[story]
name = "park-plan"
title = "The Northside park plan"
target = "The Northside park plan"

[stance]
support = ["green space"]
oppose = ["waste of money"]
"""


# -- a real Label Studio and a real stancedesk server, once per session ---------------
WEBHOOK_SECRET = "test-secret-0123456789"


@pytest.fixture(scope="session")
def webhook_secret() -> str:
    """The shared secret of the ``app`` and ``stancedesk_server`` fixtures."""
    return WEBHOOK_SECRET


@pytest.fixture(scope="session")
def outbound_calls():
    """A listener on loopback standing in for the outside world: Label Studio's proxy in these tests. Yields the
    first line of every request that reached it ("CONNECT host:443 HTTP/1.1" for a call out over HTTPS)."""
    import socket
    import threading

    lines: list[str] = []
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.5)
    stopping = threading.Event()

    def serve() -> None:
        while not stopping.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(5)
                try:
                    lines.append(conn.makefile("rb").readline().decode("latin-1").strip())
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}", lines
    stopping.set()
    thread.join(5)
    listener.close()


@pytest.fixture(scope="session")
def label_studio(tmp_path_factory, outbound_calls):
    """A real Label Studio on a free loopback port with a temporary data dir; stopped at the end. Its calls out
    go to the ``outbound_calls`` listener."""
    from plugin.labelstudio.local import start_label_studio

    server = start_label_studio(tmp_path_factory.mktemp("label-studio"), outbound_proxy=outbound_calls[0])
    yield server
    server.stop()


@pytest.fixture(scope="session")
def ls_client(label_studio):
    from plugin.labelstudio.client import connect

    return connect(label_studio.url, label_studio.credentials.token)


@pytest.fixture(scope="session")
def stancedesk_server(nlp, tmp_path_factory):
    """The stancedesk app served by waitress on a free loopback port (so Label Studio can call it)."""
    from plugin.labelstudio.local import free_port
    from plugin.server import create_app
    from plugin.settings import Settings
    from plugin.stack import serve_in_thread

    home = tmp_path_factory.mktemp("stancedesk-home")
    settings = Settings(home=home, webhook_secret=WEBHOOK_SECRET)
    app = create_app({"settings": settings, "nlp": nlp})
    port = free_port()
    server = serve_in_thread(app, "127.0.0.1", port)
    yield {"url": f"http://127.0.0.1:{port}", "app": app, "state": app.extensions["stancedesk"]}
    server.close()


@pytest.fixture
def app(nlp, tmp_path):
    """A stancedesk app for the Flask test client (no network), with a temp home and a known secret."""
    from plugin.server import create_app
    from plugin.settings import Settings

    return create_app({"settings": Settings(home=tmp_path, webhook_secret=WEBHOOK_SECRET), "nlp": nlp, "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server for the session (Debian's binaries, a temp data dir, a free loopback port; as
    the ``postgres`` user when run as root), stopped by its PID at the end."""
    from plugin.store.local_postgres import start_local_postgres

    server = start_local_postgres(durable=False)
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A new, empty store database on each backend: a SQLite file URL, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    return request.getfixturevalue("postgres").create_database()
