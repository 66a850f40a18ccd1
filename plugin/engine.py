"""Bulk pre-annotation on a Dask cluster: the articles cut into chunks, each chunk pre-annotated by a worker
process with its own pipeline (loaded once per worker and run), the results put back in input order.

Why Dask (``distributed``) rather than Ray: it is Python packages installed with pip, with no runtime of their
own, that run the same code on one machine (``local[N]``: a ``LocalCluster`` of N single-threaded worker
processes) and on many hosts (``dask scheduler`` plus ``dask worker tcp://SCHEDULER:8786`` on each host); its
nannies restart a worker that dies, its scheduler runs a dead worker's chunks again elsewhere (up to
``distributed.scheduler.allowed-failures`` times), ``retries`` re-runs a chunk that raised, and ``as_completed``
gives progress. Ray would bring its own C++ runtime (a raylet and an object store per node) to install, start
and keep, for the same map over chunks.

The output is the single-process run's, byte for byte and in the same order: workers return each article's
actors and claims; names are unified across all articles, tasks built and written by the caller, as without
an engine.
"""

from __future__ import annotations

import copyreg
import logging
import re
import uuid
from dataclasses import dataclass
from types import MappingProxyType
from typing import Callable, Sequence

from plugin.errors import ConfigError, EngineError
from plugin.records import ActorNames, AnnotatedArticle, Article
from plugin.stories import Story

log = logging.getLogger(__name__)

ENGINES = ("local", "dask")
CHUNK_ARTICLES = 16  # articles per task: small enough to balance and show progress, large enough to pipe in batches
RETRIES = 2  # a chunk that raises is run again this many times before the run fails
CONNECT_TIMEOUT_S = 20  # how long to try reaching a scheduler
_LOCAL = re.compile(r"local\[(\d+)\]")

# records hold read-only mappings (MappingProxyType), which pickle cannot copy: send them as plain dicts, made
# read-only again on arrival. Registered wherever this module is imported: the caller and every worker.
copyreg.pickle(MappingProxyType, lambda m: (MappingProxyType, (dict(m),)))


@dataclass(frozen=True)
class Job:
    """What every chunk of one run needs to build the same pipeline as the single-process run."""

    token: str  # one per run: a worker builds its pipeline once per run, not once per chunk
    model: str
    story: Story | None
    stance_model: str | None
    learnt: ActorNames | None


_pipelines: dict[str, tuple] = {}  # in a worker: the pipeline (and story names) of the current run


def _pipeline(job: Job):
    if job.token not in _pipelines:
        from plugin.pipeline import build_pipeline, story_names

        _pipelines.clear()  # one run at a time per worker: the previous run's model is freed
        nlp = build_pipeline(job.model, story=job.story, stance_model=job.stance_model)
        names = story_names(nlp, job.story, job.learnt) if job.story is not None else None
        _pipelines[job.token] = (nlp, names)
    return _pipelines[job.token]


def annotate_chunk(job: Job, articles: list[Article]) -> list[AnnotatedArticle]:
    """Pre-annotate one chunk in a worker (what ``preannotate`` does for all articles in one process)."""
    from plugin.preannotate import make_tasks

    nlp, names = _pipeline(job)
    return list(make_tasks(nlp, articles, names=names))


def check_address(engine: str, address: str | None) -> None:
    """Refuse an engine/address pair that cannot work, before any input is read or model loaded."""
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if engine == "local":
        if address is not None:
            raise ConfigError(f"--address {address} needs --engine dask (the local engine runs in this process)")
        return
    if address is None:
        raise ConfigError("--engine dask needs --address: local[N] for N worker processes here, or a scheduler "
                          "such as tcp://HOST:8786")
    local = _LOCAL.fullmatch(address)
    if local is not None and int(local.group(1)) < 1:
        raise ConfigError(f"--address {address} asks for no workers; give local[N] with N >= 1")
    if local is None and not re.fullmatch(r"(tcp|tls)://[^\s/]+:\d+|[^\s/:]+:\d+", address):
        raise ConfigError(f"--address {address!r} is neither local[N] nor a scheduler address such as tcp://HOST:8786")


def annotate_on_dask(articles: Sequence[Article], *, address: str, model: str, story: Story | None,
                     stance_model: str | None, learnt: ActorNames | None,
                     progress: Callable[[int, int], None] | None = None, chunk_size: int = CHUNK_ARTICLES,
                     retries: int = RETRIES) -> list[AnnotatedArticle]:
    """Pre-annotate ``articles`` on a Dask cluster; returns them annotated, in input order.

    Args:
        address: ``local[N]`` (a cluster of N worker processes here, stopped at the end) or a scheduler address.
        progress: called as ``progress(done, total)`` as chunks finish, from this thread.
        chunk_size: articles per task.
        retries: times a chunk that raised is run again (a chunk lost with its worker is rescheduled anyway).
    """
    from distributed import Client, LocalCluster, as_completed

    check_address("dask", address)
    local = _LOCAL.fullmatch(address)
    cluster = None
    try:
        if local is not None:
            cluster = LocalCluster(n_workers=int(local.group(1)), threads_per_worker=1, processes=True,
                                   dashboard_address=None, host="127.0.0.1")
            client = Client(cluster)
        else:
            client = Client(address, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as e:
        if cluster is not None:
            cluster.close()
        raise EngineError(f"cannot reach the Dask scheduler at {address}: {e}; start one ('dask scheduler', then "
                          "'dask worker ADDRESS' on each host) or use --address local[N]") from None
    job = Job(uuid.uuid4().hex, model, story, stance_model, learnt)
    chunks = [list(articles[i:i + chunk_size]) for i in range(0, len(articles), chunk_size)]
    try:
        futures = [client.submit(annotate_chunk, job, chunk, key=f"stancedesk-{job.token}-{n}", retries=retries,
                                 pure=False) for n, chunk in enumerate(chunks)]
        order = {f.key: n for n, f in enumerate(futures)}
        results: list[list[AnnotatedArticle] | None] = [None] * len(chunks)
        done = 0
        for future in as_completed(futures):
            n = order[future.key]
            try:
                results[n] = future.result()
            except Exception as e:  # noqa: BLE001  (the worker's error, re-raised here with the chunk named)
                first = chunks[n][0].doc_id
                raise EngineError(f"chunk {n + 1} of {len(chunks)} (from article {first!r}) failed on the Dask "
                                  f"cluster after {retries} retries: {type(e).__name__}: {e}") from e
            done += len(chunks[n])
            if progress is not None:
                progress(done, len(articles))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return [item for chunk in results for item in chunk]
