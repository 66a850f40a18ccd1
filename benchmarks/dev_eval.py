"""Quality on the shared dev set: pre-annotate it and score it, as ``stancedesk evaluate`` does.

    python benchmarks/dev_eval.py [--gold ../shared/devset/dev_gold.jsonl] [--story russia-nato] [--model NAME_OR_PATH]
                                  [--stance-model rules|auto|DIR]

    # the second dev story, with the story file a user would write for it:
    python benchmarks/dev_eval.py --gold ../shared/devset_twitter/dev_gold.jsonl --story benchmarks/stories/twitter-takeover.toml

Stance defaults to the cue rules here: the packaged bootstrap stance model was
trained on this very dev set, so its score here would flatter it. For the
trained stance model end to end, use ``benchmarks/stance_models.py end-to-end``
(cross-validated: each fold scored by a model trained on the others).

The dev texts are read where they are, never copied into the repo.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from plugin.cli import main as cli_main  # noqa: E402
from plugin.preannotate import preannotate  # noqa: E402
from plugin.stories import resolve_story  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gold", type=Path, default=REPO.parent / "shared" / "devset" / "dev_gold.jsonl")
    parser.add_argument("--model", default=None)
    parser.add_argument("--story", "--config", dest="story", default="russia-nato",
                        help="story name or file (default: the example story, russia-nato)")
    parser.add_argument("--stance-model", default="rules", help="rules (default), auto, or a stance model directory")
    args = parser.parse_args()
    if not args.gold.is_file():
        sys.exit(f"dev set not found at {args.gold}; pass --gold PATH")
    with tempfile.TemporaryDirectory() as tmp:
        tasks = Path(tmp) / "dev_tasks.json"
        t0 = time.perf_counter()
        story = resolve_story(Path(tmp) / "home", args.story)
        summary = preannotate([args.gold], tasks, story=story, model=args.model,
                              stance_model=None if args.stance_model == "auto" else args.stance_model)
        print(f"pre-annotated {summary.articles} documents in {time.perf_counter() - t0:.1f} s ({summary.model_version})")
        cli_main(["evaluate", "--gold", str(args.gold), str(tasks)])


if __name__ == "__main__":
    main()
