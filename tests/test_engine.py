"""Bulk pre-annotation on a real local Dask cluster (2 worker processes): the single-process output byte for
byte, a worker killed mid-run, a failing chunk retried then reported, and the address checks."""

from __future__ import annotations

import json
import os
import signal

import pytest

from plugin.engine import check_address
from plugin.errors import ConfigError, EngineError
from plugin.labelstudio.local import free_port
from plugin.preannotate import preannotate

pytestmark = pytest.mark.model

SPEAKERS = ["Mara Quint", "Tobias Ferrell", "the Velland ministry", "Ida Rusk"]


@pytest.fixture(scope="module")
def articles(tmp_path_factory):
    """70 short invented articles (5 chunks of 16): enough to interleave chunks across two workers."""
    path = tmp_path_factory.mktemp("engine") / "articles.jsonl"
    rows = []
    for n in range(70):
        who = SPEAKERS[n % len(SPEAKERS)]
        rows.append({"doc_id": f"e{n:03d}", "text": f"{who} said on Monday that the Velland pact {n} would fail. "
                     f"\"We will not sign it,\" {who.split()[-1]} told reporters in Orsk."})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def single_process(articles, example_story, tmp_path_factory):
    out = tmp_path_factory.mktemp("single") / "tasks.json"
    preannotate([articles], out, story=example_story, stance_model="rules")
    return out.read_bytes()


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      host="127.0.0.1") as cluster, Client(cluster) as client:
        yield cluster, client


def test_local_2_writes_the_single_process_output_byte_for_byte(articles, example_story, single_process, tmp_path):
    out = tmp_path / "tasks.json"
    seen = []
    summary = preannotate([articles], out, story=example_story, stance_model="rules", engine="dask",
                          address="local[2]", progress=lambda done, total: seen.append((done, total)))
    assert out.read_bytes() == single_process
    assert [t["data"]["doc_id"] for t in json.loads(out.read_bytes())] == [f"e{n:03d}" for n in range(70)]
    assert summary.articles == 70 and summary.model_version.startswith("stancedesk-")
    assert len(seen) == 5 and seen[-1] == (70, 70) and all(a[0] < b[0] for a, b in zip(seen, seen[1:]))


def test_a_worker_killed_mid_run_is_replaced_and_its_chunks_run_again(articles, example_story, single_process,
                                                                      cluster, tmp_path):
    _, client = cluster
    pids = sorted(client.run(os.getpid).values())
    killed = []

    def kill_one(done, total):
        if not killed:  # the first chunk is back: the other worker holds chunks in flight
            os.kill(pids[0], signal.SIGKILL)
            killed.append(done)

    out = tmp_path / "tasks.json"
    preannotate([articles], out, story=example_story, stance_model="rules", engine="dask",
                address=cluster[0].scheduler_address, progress=kill_one)
    assert killed and killed[0] < 70
    assert out.read_bytes() == single_process
    client.wait_for_workers(2, timeout=60)  # the nanny started a new worker process in its place
    assert pids[0] not in client.run(os.getpid).values()


def test_a_chunk_that_keeps_failing_is_retried_then_named(articles, example_story, cluster, tmp_path):
    out = tmp_path / "tasks.json"
    with pytest.raises(EngineError, match=r"chunk \d+ of 5 \(from article 'e\d{3}'\) failed on the Dask cluster after "
                                          r"2 retries: ModelError: .*no-such-model"):
        preannotate([articles], out, story=example_story, model="no-such-model", engine="dask",
                    address=cluster[0].scheduler_address)
    assert not out.exists()


def test_an_unreachable_scheduler_is_named_with_the_fix(articles, example_story, tmp_path, monkeypatch):
    monkeypatch.setattr("plugin.engine.CONNECT_TIMEOUT_S", 2)
    address = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(EngineError, match=rf"cannot reach the Dask scheduler at {address}: .*'dask scheduler'"
                                          r".*--address local\[N\]"):
        preannotate([articles], tmp_path / "tasks.json", story=example_story, engine="dask", address=address)


@pytest.mark.parametrize("engine,address,message", [
    ("local", "local[2]", r"--address local\[2\] needs --engine dask"),
    ("dask", None, r"--engine dask needs --address: local\[N\] .* tcp://HOST:8786"),
    ("dask", "local[0]", r"--address local\[0\] asks for no workers; give local\[N\] with N >= 1"),
    ("dask", "my cluster", r"--address 'my cluster' is neither local\[N\] nor a scheduler address"),
    ("ray", None, r"unknown engine 'ray'; choose one of local, dask"),
])
def test_engine_and_address_are_checked_before_anything_runs(engine, address, message):
    with pytest.raises(ConfigError, match=message):
        check_address(engine, address)
