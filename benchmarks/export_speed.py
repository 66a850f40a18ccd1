"""Export times for growing stores: the Word briefing and the training set.

    python benchmarks/export_speed.py [--claims 100 10000]

Synthesises stores from the seed gold (tests/data/seeds_gold.jsonl): the
articles are repeated with each copy's claims given as many unique words
again as they have, so no two claims merge (the briefing's worst case). Prints seconds per export.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from exporters.briefing import BriefingInfo, write_briefing  # noqa: E402
from exporters.training_set import write_training_set  # noqa: E402
from plugin.evaluate import read_gold  # noqa: E402


def synthetic(n_claims: int):
    gold = read_gold(REPO / "tests" / "data" / "seeds_gold.jsonl")
    items, total, copy = [], 0, 0
    while total < n_claims:
        for g in gold:
            claims = tuple(replace(c, text=c.text + " " + " ".join(f"v{copy}w{i}" for i in range(len(c.text.split()))))
                           for c in g.claims[: n_claims - total])
            meta = MappingProxyType({"outlet": f"Outlet {copy % 40}", "date": f"2022-01-{1 + copy % 28:02d}", "title": f"Story {copy}"})
            items.append(replace(g, article=replace(g.article, doc_id=f"{g.article.doc_id}-{copy}", meta=meta), claims=claims))
            total += len(claims)
            copy += 1
            if total >= n_claims:
                break
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, nargs="+", default=[100, 10000])
    parser.add_argument("--training", action="store_true", help="also time the training-set export (runs the base model)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.claims:
            items = synthetic(n)
            t0 = time.perf_counter()
            write_briefing(items, Path(tmp) / f"brief-{n}.docx", BriefingInfo(target="the target", title="export speed"))
            size = (Path(tmp) / f"brief-{n}.docx").stat().st_size / 1024
            print(f"briefing      {n:6d} claims, {len(items):5d} articles: {time.perf_counter() - t0:6.2f} s  ({size:.0f} KiB)")
            if args.training:
                t0 = time.perf_counter()
                write_training_set(items, Path(tmp) / f"ts-{n}")
                print(f"training set  {n:6d} claims, {len(items):5d} articles: {time.perf_counter() - t0:6.2f} s")


if __name__ == "__main__":
    main()
