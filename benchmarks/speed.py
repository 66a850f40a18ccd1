"""Pre-annotation speed: stancedesk against bare ``nlp.pipe`` with the same model, in the same run.

    python benchmarks/speed.py [--articles 2000] [--model NAME_OR_PATH] [--stance-model rules|auto|DIR] [--n-process 1] [INPUT ...]

Prints words/second for both and their ratio (target >= 0.80). The input
articles (default: seeds/) are repeated until --articles is reached. The
stancedesk figure includes everything ``stancedesk preannotate`` does per
article after reading: the pipeline, records, batch identity and task JSON.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from dataclasses import replace
from pathlib import Path

import spacy

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from plugin.stories import find_story  # noqa: E402
from plugin.articles import read_articles  # noqa: E402
from plugin.identity import unify_names  # noqa: E402
from plugin.labelstudio.tasks import to_task  # noqa: E402
from plugin.pipeline import DEFAULT_MODEL, build_pipeline  # noqa: E402
from plugin.preannotate import make_tasks  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", nargs="*", default=[str(REPO / "seeds")])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--n-process", type=int, default=1)
    parser.add_argument("--stance-model", default=None, help="auto, rules or a directory (default: as preannotate)")
    parser.add_argument("--story", default="russia-nato", help="the story (default: the example story)")
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()

    base = list(read_articles(args.inputs))
    articles = [replace(a, doc_id=f"{a.doc_id}-{n}") for n, a in zip(range(args.articles), itertools.cycle(base))]
    words = sum(len(a.text.split()) for a in articles)
    print(f"{len(articles)} articles, {words:,} words (whitespace-separated), model {args.model}, n_process {args.n_process}")

    bare = spacy.load(args.model)
    t0 = time.perf_counter()
    for _ in bare.pipe((a.text for a in articles), batch_size=args.batch_size, n_process=args.n_process):
        pass
    bare_s = time.perf_counter() - t0

    story = find_story(REPO / ".no-home", args.story)
    nlp = build_pipeline(args.model, story=story, stance_model=None if args.stance_model == "auto" else args.stance_model)
    t0 = time.perf_counter()
    annotated = list(make_tasks(nlp, articles, batch_size=args.batch_size, n_process=args.n_process))
    tasks = [to_task(item) for item in unify_names(annotated)]
    ours_s = time.perf_counter() - t0

    bare_wps, ours_wps = words / bare_s, words / ours_s
    print(f"bare nlp.pipe   {bare_s:8.1f} s  {bare_wps:9,.0f} words/s")
    print(f"stancedesk      {ours_s:8.1f} s  {ours_wps:9,.0f} words/s  ({len(tasks)} tasks, "
          f"{sum(len(a.claims) for a in annotated)} claims)")
    print(f"ratio stancedesk/bare  {ours_wps / bare_wps:.2f}  (target >= 0.80)")


if __name__ == "__main__":
    main()
