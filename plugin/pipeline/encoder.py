"""The stance model's sentence encoder: MiniLM-L6 as int8 ONNX, run by ONNX Runtime. No torch at run time.

The files under ``encoder/`` are built once by ``benchmarks/build_encoder.py`` from the offline MiniLM package
(all-MiniLM-L6-v2): the graph already holds sentence-transformers' mean pooling and L2 normalisation, so the
output is the sentence embedding. Tokenising uses the package's own ``tokenizer.json``.

Two cuts of repeated work, measured in ``benchmarks/README.md``:

- a text is encoded once per process: reprints and wire copies repeat claims word for word, so embeddings
  are kept in a bounded cache keyed on the exact text;
- inputs are cut at ``MAX_TOKENS`` word pieces (sentence-transformers' default is 256), and each text is
  run alone, so nothing is padded.
"""

from __future__ import annotations

import importlib.util
import json
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Sequence

ENCODER_DIR = Path(__file__).parent / "encoder"
ONNX_FILE = "minilm-l6-int8.onnx"
# "<speaker>: <claim>" on both dev sets (606 gold claims): median 24 word pieces, 99th percentile 95, longest 139;
# 128 keeps all but 2 whole (benchmarks/README.md)
MAX_TOKENS = 128
CACHE_SIZE = 50_000  # embeddings kept per process (384 float32 each: ~80 MB when full)


def available() -> bool:
    """Whether the runtime and the encoder files are here; looked up, not imported."""
    return (all(importlib.util.find_spec(name) is not None for name in ("onnxruntime", "tokenizers"))
            and (ENCODER_DIR / ONNX_FILE).is_file())


class Encoder:
    """Texts to L2-normalised float32 embeddings (n, 384), with a per-process cache; thread-safe."""

    def __init__(self, directory: Path = ENCODER_DIR, *, threads: int = 1, cache_size: int | None = None):
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        # one thread: the stance component runs the encoder in a helper thread beside spaCy's, which takes the
        # other core (2 threads gave fewer claims per CPU second in a run not recorded in benchmarks/README.md);
        # 0 is one per physical core
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # idle threads sleep instead of spinning: between claims the CPU belongs to spaCy
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(str(directory / ONNX_FILE), options,
                                                    providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()  # the file pads everything to 128
        self.dimension = int(json.loads((directory / "encoder.json").read_text(encoding="utf-8"))["dimension"])
        self.cache: OrderedDict[str, object] = OrderedDict()
        self.cache_size = CACHE_SIZE if cache_size is None else cache_size  # read at load: a benchmark may change it
        self.hits = self.misses = 0
        self.lock = threading.Lock()  # the stance component encodes in a helper thread; a server, in several

    def encode(self, texts: Sequence[str]):
        with self.lock:
            return self._encode(texts)

    def _encode(self, texts: Sequence[str]):
        import numpy as np

        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        todo: dict[str, list[int]] = {}
        for row, text in enumerate(texts):
            cached = self.cache.get(text)
            if cached is None:
                todo.setdefault(text, []).append(row)
            else:
                self.cache.move_to_end(text)
                out[row] = cached
                self.hits += 1
        self.misses += len(todo)
        if todo:
            fresh = list(todo)
            for text, vector in zip(fresh, self._run(fresh)):
                out[todo[text]] = vector
                self.cache[text] = vector.copy()
            while len(self.cache) > self.cache_size:
                self.cache.popitem(last=False)
        return out

    def _run(self, texts: list[str]):
        """One text per ONNX run: activations are quantised on the fly with one scale per tensor, so in a
        batch a text's embedding would depend on its neighbours (cosine 0.985-0.995 to itself alone); alone
        it depends on its text only, and costs no padding."""
        import numpy as np

        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for row, encoding in enumerate(self.tokenizer.encode_batch(texts)):
            ids = np.array([encoding.ids], dtype=np.int64)
            out[row] = self.session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids),
                                               "token_type_ids": np.zeros_like(ids)})[0][0]
        return out


_ENCODER: Encoder | None = None
_ENCODER_PID: int | None = None


def encoder() -> Encoder:
    """The process's encoder, loaded on first use; a worker process of ``nlp.pipe(n_process=N)`` loads its own
    (a parent's session and thread pool do not survive a fork)."""
    global _ENCODER, _ENCODER_PID
    if _ENCODER is None or _ENCODER_PID != os.getpid():
        _ENCODER = Encoder()
        _ENCODER_PID = os.getpid()
    return _ENCODER


def encode(texts: Sequence[str]):
    """Embeddings of ``texts`` (see ``Encoder.encode``) with the process's encoder."""
    return encoder().encode(texts)
