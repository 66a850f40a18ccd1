"""Push cost against a real local Label Studio: first push, re-push, and the servers' memory.

    python benchmarks/push.py [--articles 1000]

Starts its own Label Studio (temporary data dir, free port) and stancedesk
server, pre-annotates seeds/, replicates the tasks to --articles (new doc_ids),
pushes them with webhook and ML backend, pushes again (idempotent: nothing
imported), and prints times and resident memory. Stops what it started.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from plugin.stories import find_story  # noqa: E402
from plugin.labelstudio.client import push  # noqa: E402
from plugin.labelstudio.local import free_port, start_label_studio  # noqa: E402
from plugin.pipeline import build_pipeline  # noqa: E402
from plugin.preannotate import preannotate  # noqa: E402
from plugin.server import create_app  # noqa: E402
from plugin.settings import Settings  # noqa: E402
from plugin.stack import serve_in_thread  # noqa: E402

EXAMPLE = find_story(REPO / ".no-home", "russia-nato")


def rss_mib(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        ls = start_label_studio(tmp / "label-studio")
        print(f"Label Studio first start   {time.perf_counter() - t0:6.1f} s")
        try:
            nlp = build_pipeline(story=EXAMPLE)
            import json

            preannotate([REPO / "seeds"], tmp / "seeds.json", story=EXAMPLE, nlp=nlp)
            seeds = json.loads((tmp / "seeds.json").read_text())
            tasks = []
            for n, task in zip(range(args.articles), itertools.cycle(seeds)):
                t = copy.deepcopy(task)
                t["data"]["doc_id"] = f"{t['data']['doc_id']}-{n}"
                tasks.append(t)
            port = free_port()
            app = create_app({"settings": Settings(home=tmp / "home", webhook_secret="bench"), "nlp": nlp})
            server = serve_in_thread(app, "127.0.0.1", port)
            kw = dict(story=EXAMPLE, project="bench", url=ls.url, token=ls.credentials.token, webhook_url=f"http://127.0.0.1:{port}/webhook",
                      webhook_secret="bench", ml_backend_url=f"http://127.0.0.1:{port}")
            t0 = time.perf_counter()
            push(seeds, **{**kw, "project": "bench-seeds"})
            print(f"push of the 5 seeds          {time.perf_counter() - t0:6.1f} s")
            t0 = time.perf_counter()
            first = push(tasks, **kw)
            print(f"push of {len(tasks)} articles       {time.perf_counter() - t0:6.1f} s  ({first.tasks_created} imported)")
            t0 = time.perf_counter()
            again = push(tasks, **kw)
            print(f"re-push of {len(tasks)} articles    {time.perf_counter() - t0:6.1f} s  ({again.tasks_created} imported, {again.unchanged} unchanged)")
            print(f"RSS: stancedesk process {rss_mib():.0f} MiB (model loaded), Label Studio {rss_mib(ls.process.pid):.0f} MiB")
            server.close()
        finally:
            ls.stop()


if __name__ == "__main__":
    main()
