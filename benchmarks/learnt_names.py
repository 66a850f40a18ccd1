"""Names learnt from corrections: actor F1 on held-out excerpts before and after annotators corrected others.

    python benchmarks/learnt_names.py [--gold ../shared/devset_twitter/dev_gold.jsonl]
                                      [--story benchmarks/stories/twitter-takeover.toml] [--teach 13]

Registers the story in a temporary STANCEDESK_HOME and starts ``stancedesk serve`` on loopback. The gold of
the first ``--teach`` excerpts is delivered through the webhook as Label Studio would send it: an
ANNOTATION_CREATED whose result is the gold and whose prediction is what the pre-annotator had offered. The
other excerpts are then pre-annotated twice over, by ``stancedesk preannotate`` (CLI) and by the live
``/predict``, and scored against their gold; the same excerpts pre-annotated before any correction are the
baseline. Nothing is retrained. The dev texts are read where they are, never copied into the repo.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from plugin.evaluate import evaluate, read_gold, read_predictions  # noqa: E402
from plugin.labelstudio.tasks import annotated_from_task, prediction_result  # noqa: E402
from plugin.learnt import learnt_names  # noqa: E402
from plugin.preannotate import preannotate  # noqa: E402
from plugin.records import ACTOR_LABELS  # noqa: E402
from plugin.stories import add_story, find_story  # noqa: E402
from plugin.store import open_store  # noqa: E402
from serving import stancedesk_server  # noqa: E402

SECRET = "learnt-names-benchmark"
PROJECT = 1


def _subset(gold_path: Path, ids: set[str], out: Path) -> Path:
    lines = [ln for ln in gold_path.read_text(encoding="utf-8").splitlines() if ln.strip() and json.loads(ln)["id"] in ids]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def _row(name: str, scores: dict) -> str:
    a = scores["actors"]
    labels = "  ".join(f"{label} {scores['actors_by_label'][label].f1:.3f}" for label in ACTOR_LABELS)
    return f"{name:34} actor F1 {a.f1:.3f} (P {a.precision:.3f} R {a.recall:.3f})  {labels}  attribution {scores['attribution_accuracy']:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gold", type=Path, default=REPO.parent / "shared" / "devset_twitter" / "dev_gold.jsonl")
    parser.add_argument("--story", type=Path, default=REPO / "benchmarks" / "stories" / "twitter-takeover.toml")
    parser.add_argument("--teach", type=int, default=13, help="excerpts delivered as corrections (the first N)")
    args = parser.parse_args()
    if not args.gold.is_file():
        sys.exit(f"dev set not found at {args.gold}; pass --gold PATH")
    gold = read_gold(args.gold)
    teach, test = gold[:args.teach], gold[args.teach:]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        home = tmp / "home"
        story = add_story(home, args.story).story
        store = open_store(home)
        store.bind_project(PROJECT, story.name, story.title)
        store.close()
        test_gold = _subset(args.gold, {g.article.doc_id for g in test}, tmp / "test_gold.jsonl")
        teach_gold = _subset(args.gold, {g.article.doc_id for g in teach}, tmp / "teach_gold.jsonl")

        before = tmp / "before.json"
        preannotate([test_gold], before, story=story)
        baseline = evaluate(read_gold(test_gold), read_predictions(before))
        offered = tmp / "offered.json"
        preannotate([teach_gold], offered, story=story)
        offered_tasks = {t["data"]["doc_id"]: t for t in json.loads(offered.read_text())}

        with stancedesk_server(home, SECRET) as url:
            with httpx.Client(headers={"X-Stancedesk-Secret": SECRET}, timeout=120) as http:
                t0 = time.perf_counter()
                for n, g in enumerate(teach, start=1):
                    task = offered_tasks[g.article.doc_id]
                    stamp = f"2026-01-01T10:00:{n:02d}.000000Z"
                    body = {"action": "ANNOTATION_CREATED",
                            "task": {"id": n, "data": task["data"], "project": PROJECT},
                            "annotation": {"id": n, "task": n, "project": PROJECT, "result": prediction_result(g),
                                           "was_cancelled": False, "ground_truth": False, "created_at": stamp,
                                           "updated_at": stamp, "completed_by": 1, "prediction": task["predictions"][0]},
                            "project": {"id": PROJECT}}
                    r = http.post(f"{url}/webhook", json=body)
                    r.raise_for_status()
                delivered = time.perf_counter() - t0
                test_tasks = [{"id": 1000 + n, "data": {"text": g.article.text, "doc_id": g.article.doc_id}}
                              for n, g in enumerate(test)]
                t0 = time.perf_counter()
                r = http.post(f"{url}/predict", json={"tasks": test_tasks, "project": f"{PROJECT}.{int(time.time())}"})
                r.raise_for_status()
                predict_s = time.perf_counter() - t0
                live = [annotated_from_task({**t, "predictions": [p]}) for t, p in zip(test_tasks, r.json()["results"])]
        after = tmp / "after.json"
        env = {**os.environ, "STANCEDESK_HOME": str(home)}
        cli = subprocess.run([sys.executable, "-m", "plugin.cli", "preannotate", "--story", story.name, str(test_gold),
                              "-o", str(after)], env=env, cwd=REPO, capture_output=True, text=True)
        if cli.returncode != 0:
            sys.exit(f"stancedesk preannotate failed: {cli.stderr.strip()}")
        store = open_store(home)
        learnt = learnt_names(store, find_story(home, story.name))
        store.close()
        test_records = read_gold(test_gold)
        after_cli = evaluate(test_records, read_predictions(after))
        after_live = evaluate(test_records, live)

    print(f"story {story.name}: {len(teach)} excerpts corrected through the webhook ({delivered:.1f} s), "
          f"{len(test)} held-out excerpts scored")
    print(f"learnt {len(learnt.counts)} names and {len(learnt.dropped)} non-actors from {learnt.annotations} annotations")
    print(_row("before any correction", baseline))
    print(_row("after, stancedesk preannotate", after_cli))
    print(_row(f"after, live /predict ({predict_s:.1f} s)", after_live))


if __name__ == "__main__":
    main()
