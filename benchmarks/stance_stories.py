"""Stance across stories: leave-one-story-out, and the learning curve of a new story, end to end.

    python benchmarks/stance_stories.py loso               # train on the other story's gold, score this one
    python benchmarks/stance_stories.py curve [--sizes 3 6 9 13]   # second dev story: first N documents corrected

Two stories with gold: the first (``../shared/devset/``, the example story's file) and the second
(``../shared/devset_twitter/``, ``benchmarks/stories/twitter-takeover.toml``). Every figure is end to end: the
story's whole pipeline pre-annotates the documents, and stance macro-F1 is scored on the predicted claims that
match gold claims. Classifier inputs are built with each story's own cue rules. The dev texts are read where
they are, never copied into the repo.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from plugin.evaluate import evaluate, read_gold  # noqa: E402
from plugin.pipeline import build_pipeline, story_names  # noqa: E402
from plugin.pipeline.stance import StanceRules  # noqa: E402
from plugin.pipeline.stance_model import (bootstrap_path, classifier_input, embeddings_available,  # noqa: E402
                                          load_classifier, new_classifier)
from plugin.preannotate import make_tasks  # noqa: E402
from plugin.stories import find_story, read_story  # noqa: E402

SHARED = REPO.parent / "shared"
STORIES = {
    "first": (SHARED / "devset" / "dev_gold.jsonl", lambda: find_story(REPO / ".no-home", "russia-nato")),
    "second": (SHARED / "devset_twitter" / "dev_gold.jsonl", lambda: read_story(REPO / "benchmarks" / "stories" / "twitter-takeover.toml")),
}


def items(docs, story):
    """(classifier input, gold stance) of every gold claim, the input built with the story's cue rules."""
    rules = StanceRules(story.stance_table())
    return [(classifier_input(c.speaker, c.text, *rules.predict(c.text, c.speaker)), c.stance) for d in docs for c in d.claims]


class EndToEnd:
    """One story's pipeline, loaded once; scores the documents with a stance model directory or the rules."""

    def __init__(self, story):
        self.story = story
        self.nlp = build_pipeline(story=story, stance_model="rules")
        self.names = story_names(self.nlp, story)

    def macro_f1(self, docs, model_dir: Path | None = None) -> float:
        self.nlp.get_pipe("stancedesk_stance").use_model(str(model_dir) if model_dir else "rules")
        scores = evaluate(docs, list(make_tasks(self.nlp, [d.article for d in docs], names=self.names)))
        return scores["stance_macro_f1"]


def loso(kind: str) -> None:
    loaded = {name: (read_gold(path), make()) for name, (path, make) in STORIES.items()}
    print("leave one story out, end to end (stance macro-F1 on predicted claims):")
    with tempfile.TemporaryDirectory() as tmp:
        for name, (docs, story) in loaded.items():
            others = [(d, s) for n, (d, s) in loaded.items() if n != name]
            train = [x for d, s in others for x in items(d, s)]
            model = new_classifier(kind, story.target).fit([x for x, _ in train], [y for _, y in train])
            model.save(Path(tmp) / name)
            e2e = EndToEnd(story)
            print(f"{name:7} rules {e2e.macro_f1(docs):.3f}   {kind} trained on the other story "
                  f"({len(train)} claims) {e2e.macro_f1(docs, Path(tmp) / name):.3f}", flush=True)


def curve(sizes: list[int], kind: str) -> None:
    path, make = STORIES["second"]
    story = make()
    docs = sorted(read_gold(path), key=lambda d: d.article.doc_id)
    half = len(docs) // 2
    pool, test = docs[:half], docs[half:]
    e2e = EndToEnd(story)
    print(f"second story: the first N of {len(pool)} documents corrected, the other {len(test)} "
          f"({sum(len(d.claims) for d in test)} gold claims) scored end to end")
    print(f"{'docs':>4} {'claims':>6} {'rules':>6} {'warm':>6} {'scratch':>7}  fit s  claims/s")
    rules_f1 = e2e.macro_f1(test)
    print(f"{0:4d} {0:6d} {rules_f1:6.3f}", flush=True)
    boot = bootstrap_path(kind)
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            train = items(pool[:size], story)
            inputs, labels = [x for x, _ in train], [y for _, y in train]
            t0 = time.perf_counter()
            warm = load_classifier(boot) if boot is not None else new_classifier(kind, story.target)
            warm.target = story.target
            warm.fit(inputs, labels)
            fit_s = time.perf_counter() - t0
            warm.save(Path(tmp) / f"warm{size}")
            scratch = new_classifier(kind, story.target).fit(inputs, labels)
            scratch.save(Path(tmp) / f"scratch{size}")
            probe = [x for x, _ in items(test, story)] * 3
            t0 = time.perf_counter()
            warm.predict(probe)
            rate = len(probe) / (time.perf_counter() - t0)
            print(f"{size:4d} {len(train):6d} {rules_f1:6.3f} {e2e.macro_f1(test, Path(tmp) / f'warm{size}'):6.3f} "
                  f"{e2e.macro_f1(test, Path(tmp) / f'scratch{size}'):7.3f}  {fit_s:5.1f}  {rate:8,.0f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["loso", "curve"])
    parser.add_argument("--sizes", type=int, nargs="+", default=[3, 6, 9, 13])
    parser.add_argument("--kind", default="embeddings" if embeddings_available() else "bow")
    args = parser.parse_args()
    for name, (path, _) in STORIES.items():
        if not path.is_file():
            sys.exit(f"{name} story's gold not found at {path}")
    if args.what == "loso":
        loso(args.kind)
    else:
        curve(args.sizes, args.kind)


if __name__ == "__main__":
    main()
