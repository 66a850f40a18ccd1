"""Bulk pre-annotation: one process against the Dask engine (`preannotate --engine dask --address local[N]`).

    python benchmarks/bulk_preannotate.py [--articles 2000] [--workers 2] [--stance-model rules] [INPUT ...]

The articles are made at run time by repeating the input articles (default: the repository's seeds/) under new doc ids, into a temporary .jsonl. Both runs go through `preannotate`, as
the CLI does (reading, the pipeline, names unified across articles, tasks checked and written). Prints the wall
time of each, the speed-up, the engine's fixed overhead (a run of 2 articles: cluster start, the model loaded
in each worker, shutdown) and whether the two outputs are identical byte for byte.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from plugin.articles import read_articles  # noqa: E402
from plugin.preannotate import preannotate  # noqa: E402
from plugin.stories import find_story  # noqa: E402


def timed(inputs, output: Path, **kwargs) -> float:
    t0 = time.perf_counter()
    preannotate(inputs, output, **kwargs)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", nargs="*", default=[str(REPO / "seeds")])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--stance-model", default="rules", help="rules (default), or a stance model directory")
    args = parser.parse_args()
    story = find_story(REPO / ".no-home", "russia-nato")
    common = {"story": story, "stance_model": args.stance_model}
    engine = {"engine": "dask", "address": f"local[{args.workers}]"}
    base = list(read_articles(args.inputs))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rows = [{"doc_id": f"{a.doc_id}-{n}", "text": a.text} for n, a in zip(range(args.articles), itertools.cycle(base))]
        words = sum(len(r["text"].split()) for r in rows)
        (tmp / "articles.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        (tmp / "two.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[:2]), encoding="utf-8")
        print(f"{len(rows)} articles, {words:,} words, stance {args.stance_model}; engine: Dask local[{args.workers}]")
        small_single = timed([tmp / "two.jsonl"], tmp / "s2.json", **common)
        small_engine = timed([tmp / "two.jsonl"], tmp / "e2.json", **common, **engine)
        single = timed([tmp / "articles.jsonl"], tmp / "single.json", **common)
        dask = timed([tmp / "articles.jsonl"], tmp / "engine.json", **common, **engine)
        one, two = (tmp / "single.json").read_bytes(), (tmp / "engine.json").read_bytes()
    print(f"single process   {single:7.1f} s   {words / single:7.0f} words/s   (2 articles: {small_single:.1f} s, "
          "model load)")
    print(f"Dask local[{args.workers}]    {dask:7.1f} s   {words / dask:7.0f} words/s   (2 articles: {small_engine:.1f} s, "
          "cluster start + a model per worker + shutdown)")
    print(f"speed-up         {single / dask:7.2f} x   (ideal {args.workers}); engine overhead on 2 articles "
          f"{small_engine - small_single:+.1f} s against one process")
    print(f"output identical {one == two}   ({len(one):,} bytes, sha256 {hashlib.sha256(one).hexdigest()[:16]} / "
          f"{hashlib.sha256(two).hexdigest()[:16]})")


if __name__ == "__main__":
    main()
