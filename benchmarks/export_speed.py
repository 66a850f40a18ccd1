"""Export times for growing stores: the briefing and the training set.

    python benchmarks/export_speed.py [--claims 100 10000] [--encoder] [--pdf] [--training]

Synthesises stores from the seed gold (tests/data/seeds_gold.jsonl): the
articles are repeated with each copy's claims given as many unique words
again as they have, so no two claims merge (the briefing's worst case). Prints seconds per export.

The default briefing is what a user gets: paraphrases grouped with the sentence encoder when it is installed
and the claims are few (exporters/data/briefing.json: encoder_max_statements), else by content words.
--encoder also times the encoder forced on every claim (--paraphrase encoder), --pdf the LibreOffice rendering.
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


def synthetic(n_claims: int, salt: str = ""):
    """About ``n_claims`` claims; a different ``salt`` gives other unique words (nothing an encoder has seen)."""
    gold = read_gold(REPO / "tests" / "data" / "seeds_gold.jsonl")
    items, total, copy = [], 0, 0
    while total < n_claims:
        for g in gold:
            claims = tuple(replace(c, text=c.text + " " + " ".join(f"v{copy}w{i}{salt}" for i in range(len(c.text.split()))))
                           for c in g.claims[: n_claims - total])
            meta = MappingProxyType({"outlet": f"Outlet {copy % 40}", "date": f"2022-01-{1 + copy % 28:02d}", "title": f"Story {copy}"})
            items.append(replace(g, article=replace(g.article, doc_id=f"{g.article.doc_id}-{copy}", meta=meta), claims=claims))
            total += len(claims)
            copy += 1
            if total >= n_claims:
                break
    return items


def _time(label: str, n: int, items, path: Path, **kwargs) -> float:
    t0 = time.perf_counter()
    write_briefing(items, path, BriefingInfo(target="the target", title="export speed"), **kwargs)
    took = time.perf_counter() - t0
    print(f"{label:28s} {n:6d} claims, {len(items):5d} articles: {took:6.2f} s  ({path.stat().st_size / 1024:.0f} KiB)")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, nargs="+", default=[100, 10000])
    parser.add_argument("--encoder", action="store_true", help="also time paraphrases grouped by the sentence encoder")
    parser.add_argument("--pdf", action="store_true", help="also time the PDF (LibreOffice)")
    parser.add_argument("--training", action="store_true", help="also time the training-set export (runs the base model)")
    args = parser.parse_args()
    from plugin.exports import _sentence_encoder

    auto = _sentence_encoder("auto")  # what a user gets by default: None without the embeddings extra
    print(f"sentence encoder installed: {'yes' if auto else 'no'}")
    if auto is not None:
        t0 = time.perf_counter()
        auto(["warm up"])
        print(f"encoder load (once per process, not in the times below): {time.perf_counter() - t0:.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.claims:
            items = synthetic(n)
            _time("briefing (default)", n, items, Path(tmp) / f"brief-{n}.docx", encode=auto)
            lexical = _time("briefing (content words)", n, items, Path(tmp) / f"lex-{n}.docx")
            if args.encoder and auto is not None:
                forced = _time("briefing (encoder, forced)", n, synthetic(n, "x"), Path(tmp) / f"enc-{n}.docx",
                               encode=auto, encode_max=None)
                print(f"{'':28s} encoder / content words: {forced / lexical:.2f}")
            if args.pdf:
                _time("briefing PDF (default)", n, synthetic(n, "p"), Path(tmp) / f"brief-{n}.pdf", encode=auto, fmt="pdf")
            if args.training:
                t0 = time.perf_counter()
                write_training_set(items, Path(tmp) / f"ts-{n}")
                print(f"{'training set':28s} {n:6d} claims, {len(items):5d} articles: {time.perf_counter() - t0:6.2f} s")


if __name__ == "__main__":
    main()
