"""Stance models on the shared dev set: cross-validated quality, cost, learning curve, end to end.

    python benchmarks/stance_models.py cv            [--folds 5]          # macro-F1 per representation, and cost
    python benchmarks/stance_models.py curve         [--sizes 5 10 20 30] # fixed held-out d31-d40
    python benchmarks/stance_models.py end-to-end    [--kind embeddings]  # predicted claims, predicted stance
    python benchmarks/stance_models.py warm                                # corrections on top of a bootstrap
    python benchmarks/stance_models.py bootstrap                           # train on all dev claims, write weights
    python benchmarks/stance_models.py encoders      [--model2vec DIR]    # the encoder routes compared

``--encoder onnx-int8|torch-fp32|model2vec`` runs any of them with another
sentence encoder than the shipped int8 ONNX one (the others need the
``embeddings-build`` extra; ``model2vec`` also ``pip install 'model2vec[distill]'``:
it is distilled from the packaged MiniLM into ``--model2vec DIR`` on first use, ~3 minutes).

Input of every model: "<speaker>: <claim text>" with gold claim spans and
speakers (except end-to-end). Folds are whole near-duplicate story clusters,
so a wire story never sits on both sides. ``bootstrap`` writes the packaged
models under plugin/examples/russia-nato/stance_model/ (weights and meta only; the
dev texts stay in ../shared). The dev texts are read in place, never copied.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from exporters.dedup import cluster_documents  # noqa: E402
from plugin.evaluate import evaluate, macro_f1, read_gold  # noqa: E402
from plugin.pipeline.stance import StanceRules  # noqa: E402
from plugin.pipeline.stance_model import (bootstrap_path, classifier_input, embeddings_available,  # noqa: E402
                                          new_classifier)

from plugin.stories import find_story  # noqa: E402

GOLD = REPO.parent / "shared" / "devset" / "dev_gold.jsonl"
EXAMPLE = find_story(REPO / ".no-home", "russia-nato")  # the first story: its cue rules and bootstrap


@functools.cache
def rules() -> StanceRules:
    return StanceRules(EXAMPLE.stance_table())


def claims_of(docs):
    """(classifier input, gold stance, speaker, text) of every gold claim."""
    return [(classifier_input(c.speaker, c.text, *rules().predict(c.text, c.speaker)), c.stance, c.speaker, c.text)
            for d in docs for c in d.claims]


def folds(docs, k):
    clusters = cluster_documents({d.article.doc_id: d.article.text for d in docs})
    ordered = sorted(clusters, key=lambda c: hashlib.sha1("\0".join(c).encode()).hexdigest())
    out = [set() for _ in range(k)]
    for cluster in sorted(ordered, key=len, reverse=True):  # balance the folds by size
        min(out, key=len).update(cluster)
    return out


def kinds():
    return ["bow", "embeddings"] if embeddings_available() else ["bow"]


def rules_predict(items):
    return [i[0].rule for i in items]  # the rules' verdict is already part of every classifier input


def report(name, pairs):
    acc = sum(p == g for p, g in pairs) / len(pairs)
    print(f"{name:<12} macro-F1 {macro_f1(pairs):.3f}  accuracy {acc:.3f}  ({len(pairs)} claims)", flush=True)


def cv_pairs(docs, k, kind):
    """(predicted, gold) of every gold claim, each fold predicted by a model trained on the others."""
    target = rules().target
    pairs = []
    for part in folds(docs, k):
        train = claims_of([d for d in docs if d.article.doc_id not in part])
        test = claims_of([d for d in docs if d.article.doc_id in part])
        model = new_classifier(kind, target).fit([t[0] for t in train], [t[1] for t in train])
        pairs += list(zip([p[0] for p in model.predict([t[0] for t in test])], [t[1] for t in test]))
    return pairs


def cv(docs, k):
    rules_pairs = [(t[0].rule, t[1]) for t in claims_of(docs)]  # the rules' verdict is part of every input
    print(f"{k}-fold cross-validation by story cluster, gold claims and speakers:")
    majority = statistics.mode(g for _, g in rules_pairs)
    report("majority", [(majority, g) for _, g in rules_pairs])
    report("rules", rules_pairs)
    for kind in kinds():
        report(kind, cv_pairs(docs, k, kind))


def cost(docs):
    import subprocess

    target = rules().target
    items = claims_of(docs)
    texts = [t[0]._replace(text=f"{n} {t[0].text}") for n in range(5) for t in items]  # all distinct: no cache hit
    print("cost (2 cores, CPU):")
    for kind in kinds():
        if bootstrap_path(kind) is None:
            print(f"{kind:<12} (no bundled model to time loading)")
            continue
        code = ("import time; t=time.perf_counter(); from plugin.pipeline.stance_model import load_classifier, "
                f"bootstrap_path; m=load_classifier(bootstrap_path('{kind}')); from plugin.pipeline.stance_model import classifier_input; m.predict([classifier_input('Russia', 'the talks failed')]); "
                "print(round(time.perf_counter()-t, 2))")
        load = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True).stdout.strip()
        model = new_classifier(kind, target).fit([t[0] for t in items], [t[1] for t in items])
        t0 = time.perf_counter()
        model.predict(texts)
        rate = len(texts) / (time.perf_counter() - t0)
        print(f"{kind:<12} load + first prediction {load} s (fresh process)   {rate:,.0f} claims/s")


def curve(docs, sizes, held_out):
    target = rules().target
    docs = sorted(docs, key=lambda d: d.article.doc_id)
    held, pool = docs[-held_out:], docs[:-held_out]
    test = claims_of(held)
    gold = [t[1] for t in test]
    print(f"held out {held[0].article.doc_id}..{held[-1].article.doc_id}: {len(test)} claims")
    print(f"{'documents':>9}  {'claims':>6}  " + "  ".join(f"{k:>10}" for k in kinds()))
    print(f"{0:9d}  {0:6d}  rules {macro_f1(list(zip(rules_predict(test), gold))):.3f}")
    for size in sizes:
        train = claims_of(pool[:size])
        row = []
        for kind in kinds():
            model = new_classifier(kind, target).fit([t[0] for t in train], [t[1] for t in train])
            row.append(macro_f1(list(zip([p[0] for p in model.predict([t[0] for t in test])], gold))))
        print(f"{size:9d}  {len(train):6d}  " + "  ".join(f"{f:10.3f}" for f in row), flush=True)


def end_to_end(docs, k, kind):
    import tempfile

    from plugin.pipeline import build_pipeline
    from plugin.preannotate import make_tasks

    target = rules().target
    gold_all, predicted_all = [], []
    nlp = build_pipeline(story=EXAMPLE, stance_model="rules")  # loaded once; each fold swaps in its own stance model
    with tempfile.TemporaryDirectory() as tmp:
        for n, part in enumerate(folds(docs, k)):
            train = claims_of([d for d in docs if d.article.doc_id not in part])
            path = Path(tmp) / f"fold{n}"
            new_classifier(kind, target).fit([t[0] for t in train], [t[1] for t in train]).save(path)
            held = [d for d in docs if d.article.doc_id in part]
            nlp.get_pipe("stancedesk_stance").use_model(str(path))
            predicted_all += list(make_tasks(nlp, [d.article for d in held]))
            gold_all += held
    scores = evaluate(gold_all, predicted_all)
    print(f"end to end, {k}-fold ({kind} stance model trained on the other folds; predicted claims and speakers):")
    print(f"claims F1 {scores['claims'].f1:.3f}  attribution {scores['attribution_accuracy']:.3f}  "
          f"stance accuracy {scores['stance_accuracy']:.3f}  stance macro-F1 {scores['stance_macro_f1']:.3f}")


def warm(docs, held_out, kind):
    """Does a model get better as corrections arrive? A stand-in bootstrap trained on the first documents,
    corrections from the next ones in growing numbers, the fixed held-out documents scored."""
    import tempfile

    target = rules().target
    docs = sorted(docs, key=lambda d: d.article.doc_id)
    held, pool = docs[-held_out:], docs[:-held_out]
    base_docs, corrections = pool[: len(pool) // 2 + 5], pool[len(pool) // 2 + 5:]
    test = claims_of(held)
    gold = [t[1] for t in test]
    base_items = claims_of(base_docs)

    def score(model):
        return macro_f1(list(zip([p[0] for p in model.predict([t[0] for t in test])], gold)))

    print(f"stand-in bootstrap: {len(base_docs)} documents ({len(base_items)} claims); corrections from "
          f"{corrections[0].article.doc_id}..{corrections[-1].article.doc_id}; held out {len(test)} claims")
    print(f"{'corrected':>9}  {'warm start':>10}  {'scratch':>8}  {'all data':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        boot = new_classifier(kind, target).fit([t[0] for t in base_items], [t[1] for t in base_items])
        boot.save(Path(tmp) / "boot")
        print(f"{0:9d}  {score(boot):10.3f}")
        from plugin.pipeline.stance_model import load_classifier

        for size in (3, 5, 10):
            items = claims_of(corrections[:size])
            warm_model = load_classifier(Path(tmp) / "boot").fit([t[0] for t in items], [t[1] for t in items])
            scratch = new_classifier(kind, target).fit([t[0] for t in items], [t[1] for t in items])
            both = new_classifier(kind, target).fit([t[0] for t in base_items + items], [t[1] for t in base_items + items])
            print(f"{size:9d}  {score(warm_model):10.3f}  {score(scratch):8.3f}  {score(both):8.3f}", flush=True)


ENCODERS = ("onnx-int8", "torch-fp32", "model2vec")
MODEL2VEC_DIR = Path(tempfile.gettempdir()) / "stancedesk-model2vec"  # distilled there once, outside the repo


def encode_function(name: str, model2vec_dir: Path = MODEL2VEC_DIR):
    """texts -> L2-normalised embeddings for an encoder route (None: the shipped one)."""
    if name == "onnx-int8":
        return None
    from benchmarks.build_encoder import minilm_dir

    minilm = str(minilm_dir())
    if name == "torch-fp32":  # what stancedesk ran before: sentence-transformers over torch
        from sentence_transformers import SentenceTransformer

        st = SentenceTransformer(minilm, device="cpu")
        return lambda texts: st.encode(list(texts), batch_size=64, show_progress_bar=False, convert_to_numpy=True,
                                       normalize_embeddings=True)
    from model2vec import StaticModel

    if not (model2vec_dir / "model.safetensors").is_file():
        from model2vec.distill import distill  # torch and transformers, once

        distill(model_name=minilm, pca_dims=256).save_pretrained(str(model2vec_dir))
    static = StaticModel.from_pretrained(str(model2vec_dir))
    return lambda texts: static.encode(list(texts), show_progress_bar=False)


def encoders(docs, k, model2vec_dir):
    """Per route: load time in a fresh process, claims/s (wall, and per CPU second: all threads, steadier on a
    shared machine) without a cache, cosine to fp32, cross-validated macro-F1 (classifier retrained on it)."""
    import subprocess

    import numpy as np

    from plugin.pipeline import encoder as shipped
    from plugin.pipeline.stance_model import EmbeddingStance

    texts = [t[0].text for t in claims_of(docs)]
    distinct = [f"{n} {t}" for n in range(5) for t in texts]  # 5x, every text new (no cache hit)
    reference = encode_function("torch-fp32")(texts)
    print(f"{len(texts)} gold claims ('<speaker>: <text>'), rates over {len(distinct)} distinct texts, 2 cores")
    print(f"{'encoder':<11} {'load+first s':>12} {'claims/s':>9} {'per CPU-s':>9} {'cos min':>8} {'cos mean':>8} "
          f"{'cv macro-F1':>11}")
    for name in ENCODERS:
        code = (f"import sys, time; sys.path.insert(0, {str(REPO)!r}); t = time.perf_counter(); "
                "from benchmarks.stance_models import encode_function; "
                f"f = encode_function({name!r}, __import__('pathlib').Path({str(model2vec_dir)!r})) "
                "or __import__('plugin.pipeline.encoder', fromlist=['encode']).encode; f(['Russia: the talks failed']); "
                "print(round(time.perf_counter() - t, 2))")
        load = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True).stdout.strip()
        route = encode_function(name, model2vec_dir)  # loaded once: timed here, then the classifier's
        fn = route or shipped.Encoder(cache_size=0).encode
        fn(texts[:8])
        t0, c0 = time.perf_counter(), time.process_time()
        fn(distinct)
        rate, cpu_rate = (len(distinct) / (time.perf_counter() - t0), len(distinct) / (time.process_time() - c0))
        got = fn(texts)
        cos = (got * reference).sum(axis=1) if got.shape == reference.shape else np.array([np.nan])
        EmbeddingStance.encode = staticmethod(route) if route is not None else None
        pairs = cv_pairs(docs, k, "embeddings")
        EmbeddingStance.encode = None
        print(f"{name:<11} {load or '?':>12} {rate:9,.0f} {cpu_rate:9,.0f} {cos.min():8.4f} {cos.mean():8.4f} "
              f"{macro_f1(pairs):11.3f}", flush=True)


def bootstrap(docs):
    """Only the embeddings model ships: in cross-validation the bag of words (0.56) is below the cue rules
    (0.63), so without torch the rules are the better start; a bag of words is trained once corrections exist."""
    target = rules().target
    items = claims_of(docs)
    if not embeddings_available():
        sys.exit("the bootstrap model is the embeddings one: pip install -e '.[embeddings]' first")
    for kind in ["embeddings"]:
        out = EXAMPLE.path.parent / "stance_model"
        model = new_classifier(kind, target).fit([t[0] for t in items], [t[1] for t in items])
        model.meta.update(source="stancedesk bootstrap: the shared dev set's gold claims (weights only)")
        model.save(out)
        print(f"wrote {out.relative_to(REPO)} ({kind}, {len(items)} claims, target {target!r})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["cv", "curve", "end-to-end", "warm", "bootstrap", "encoders"])
    parser.add_argument("--encoder", choices=ENCODERS, default="onnx-int8",
                        help="the embeddings model's sentence encoder (default: the shipped int8 ONNX)")
    parser.add_argument("--model2vec", type=Path, default=MODEL2VEC_DIR, help="distilled Model2Vec directory")
    parser.add_argument("--gold", type=Path, default=GOLD)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 10, 20, 30])
    parser.add_argument("--held-out", type=int, default=10)
    parser.add_argument("--kind", default="embeddings" if embeddings_available() else "bow")
    args = parser.parse_args()
    docs = read_gold(args.gold)
    if args.encoder != "onnx-int8":
        from plugin.pipeline.stance_model import EmbeddingStance

        EmbeddingStance.encode = staticmethod(encode_function(args.encoder, args.model2vec))
    if args.what == "encoders":
        encoders(docs, args.folds, args.model2vec)
    elif args.what == "cv":
        cv(docs, args.folds)
        cost(docs)
    elif args.what == "curve":
        curve(docs, args.sizes, args.held_out)
    elif args.what == "end-to-end":
        end_to_end(docs, args.folds, args.kind)
    elif args.what == "warm":
        warm(docs, args.held_out, args.kind)
    else:
        bootstrap(docs)


if __name__ == "__main__":
    main()
