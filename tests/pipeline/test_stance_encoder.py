"""The stance model's sentence encoder: int8 ONNX close to the original fp32, its cache, its length cap, no torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from plugin.pipeline import encoder
from plugin.pipeline.encoder import ENCODER_DIR, MAX_TOKENS, Encoder

pytestmark = pytest.mark.skipif(not encoder.available(), reason="the embeddings extra is not installed")

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def reference():
    """Invented sentences and their fp32 sentence-transformers embeddings (benchmarks/build_encoder.py)."""
    import numpy as np

    data = np.load(ENCODER_DIR / "reference.npz")
    return [str(t) for t in data["texts"]], data["embeddings"]


@pytest.fixture()
def fresh():
    return Encoder()


def _cosine(a, b):
    return (a * b).sum(axis=-1)


def test_int8_embeddings_stay_close_to_the_fp32_model(fresh, reference):
    import numpy as np

    texts, fp32 = reference
    got = fresh.encode(texts)
    assert got.shape == fp32.shape and got.dtype == np.float32
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-4)
    short = [i for i, t in enumerate(texts) if len(fresh.tokenizer.encode(t).ids) < MAX_TOKENS]
    assert len(short) >= 10
    cos = _cosine(got[short], fp32[short])
    assert cos.min() > 0.98 and cos.mean() > 0.985
    # and they keep the model's sense of similarity: each sentence is nearest to its own fp32 embedding
    assert (np.argmax(got @ fp32.T, axis=1) == np.arange(len(texts))).all()


def test_an_embedding_depends_on_its_text_alone(fresh, reference):
    import numpy as np

    texts, _ = reference
    together = fresh.encode(texts)
    alone = np.vstack([Encoder(cache_size=0).encode([t]) for t in texts[:4]])
    assert np.allclose(together[:4], alone, atol=1e-6)


def test_each_distinct_text_is_encoded_once(fresh):
    import numpy as np

    a, b = "Harbour board: the toll will be lifted.", "unknown: the bridge stays closed."
    first = fresh.encode([a, b, a, a])
    assert (fresh.misses, fresh.hits) == (2, 0)  # the repeats in one call are not run again
    assert np.array_equal(first[0], first[2]) and np.array_equal(first[0], first[3])
    again = fresh.encode([b, a])
    assert (fresh.misses, fresh.hits) == (2, 2)
    assert np.array_equal(again[0], first[1]) and np.array_equal(again[1], first[0])


@pytest.mark.parametrize(
    "size, texts, kept",
    [
        (2, ["one: a", "two: b", "three: c"], ["two: b", "three: c"]),
        (2, ["one: a", "two: b", "one: a", "three: c"], ["one: a", "three: c"]),  # a hit refreshes an entry
        (0, ["one: a", "two: b"], []),
    ],
)
def test_the_cache_is_bounded_and_drops_the_least_recently_used(size, texts, kept):
    small = Encoder(cache_size=size)
    for text in texts:
        small.encode([text])
    assert list(small.cache) == kept


def test_inputs_are_cut_at_the_claim_length_cap(fresh):
    import numpy as np

    head = "Port authority: " + "the levy on grain ships is unfair and must end " * 20
    assert len(fresh.tokenizer.encode(head).ids) == MAX_TOKENS  # [CLS] ... [SEP] included
    one, two = fresh.encode([head + "tomorrow", head + "whatever else is said later"])
    assert np.array_equal(one, two)  # nothing past the cap is read
    short_one, short_two = fresh.encode(["Port authority: the levy ends tomorrow", "Port authority: the levy stays"])
    assert not np.array_equal(short_one, short_two)


def test_pre_annotation_with_the_stance_model_never_imports_torch(tmp_path):
    """A fresh process where torch cannot be imported (as in the default install) pre-annotates with the
    bundled embeddings stance model; nothing but thinc (which tries torch whenever it is installed) even tries
    to import it, so with torch installed nothing of ours would load it either."""
    article = tmp_path / "a.txt"
    article.write_text("Moscow demands talks\n\nThe foreign ministry said on Monday that the alliance must stop "
                       "its expansion. \"We reject these demands,\" a spokesman in Brussels said.\n", encoding="utf-8")
    code = f"""
import importlib.abc, sys
tried = []  # the modules that tried to import torch
class NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            frame = sys._getframe(1)
            while frame is not None and frame.f_globals.get("__name__", "").startswith("importlib"):
                frame = frame.f_back
            tried.append(frame.f_globals.get("__name__", "?") if frame is not None else "?")
            raise ModuleNotFoundError("No module named 'torch' (blocked by the test)", name=name)
sys.meta_path.insert(0, NoTorch())
from plugin.pipeline import build_pipeline
from plugin.preannotate import make_tasks
from plugin.articles import read_articles
from plugin.stories import find_story
story = find_story({str(tmp_path / 'home')!r}, "russia-nato")
nlp = build_pipeline(story=story)
assert nlp.get_pipe("stancedesk_stance").kind == "embeddings", nlp.get_pipe("stancedesk_stance").kind
claims = [c for a in make_tasks(nlp, read_articles([{str(article)!r}])) for c in a.claims]
assert claims and all(c.stance in ("support", "oppose", "neutral") for c in claims), claims
print("torch" in sys.modules or any(not m.startswith("thinc.") for m in tried), len(claims))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    loaded, claims = out.stdout.split()
    assert loaded == "False" and int(claims) >= 1
