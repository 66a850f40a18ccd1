"""Several processes writing one store at once, on both backends: every version stored once, every annotation
created once and current at its newest version, whatever order each process applies them in."""

from __future__ import annotations

import multiprocessing
import random
import threading
import time
from collections import Counter

from plugin.labelstudio.events import AnnotationRecord, TaskRecord
from plugin.store import corrections, open_store

PROCESSES = 4
ANNOTATIONS = 3  # few annotations, many versions: the processes collide on the same rows all the time
STAMPS = [f"2026-05-01T09:00:{s:02d}.000000Z" for s in range(40)]


def _record(aid: int, stamp: str) -> AnnotationRecord:
    return AnnotationRecord(id=aid, task_id=aid, project_id=3, result=[{"v": stamp}], was_cancelled=False,
                            ground_truth=False, created_at=STAMPS[0], updated_at=stamp, completed_by=1,
                            lead_time=1.0, parent_prediction=None, prediction_model_version=None,
                            prediction_result=None)


def _writer(url: str, home: str, seed: int, start, results) -> None:
    """One process: its own connection, every version of every annotation in its own random order."""
    store = open_store(home, url)
    work = [(aid, stamp) for aid in range(1, ANNOTATIONS + 1) for stamp in STAMPS]
    random.Random(seed).shuffle(work)
    outcomes: Counter = Counter()
    start.wait()
    for aid, stamp in work:
        with store.transaction() as conn:
            outcomes["task " + corrections.upsert_task(conn, TaskRecord(aid, 3, {"text": f"Text {aid}."}))] += 1
            outcomes[corrections.apply_annotation(conn, _record(aid, stamp), None, [], event_id=None)] += 1
    store.close()
    results.put(dict(outcomes))


def test_concurrent_writers_from_several_processes_keep_each_version_once_and_the_newest_current(database_url,
                                                                                                  tmp_path):
    open_store(tmp_path, database_url).close()  # migrated once, before the race
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Barrier(PROCESSES), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(database_url, str(tmp_path), seed, start, results))
             for seed in range(PROCESSES)]
    for p in procs:
        p.start()
    totals: Counter = Counter()
    for _ in procs:
        totals.update(results.get(timeout=120))
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    store = open_store(tmp_path, database_url)
    with store.reading() as conn:
        versions = conn.execute("SELECT annotation_id, version_at FROM annotation_versions").fetchall()
        current = dict(conn.execute("SELECT id, updated_at FROM annotations").fetchall())
        tasks = conn.execute("SELECT COUNT(*) FROM tasks").fetchone()[0]
    assert sorted(map(tuple, versions)) == sorted((a, s) for a in range(1, ANNOTATIONS + 1) for s in STAMPS)
    assert current == {aid: STAMPS[-1] for aid in range(1, ANNOTATIONS + 1)}
    assert tasks == ANNOTATIONS and totals["task created"] == ANNOTATIONS
    assert totals["created"] == ANNOTATIONS  # one process created each annotation; the others updated it or lost
    assert sum(totals[k] for k in ("created", "updated", "duplicate", "stale")) == PROCESSES * ANNOTATIONS * len(STAMPS)


def test_an_older_version_waits_for_a_newer_one_being_written_and_then_is_stale(database_url, tmp_path):
    """The race the row lock (PostgreSQL) or the write lock (SQLite) closes, made to happen: a writer applies
    version 3 and has not committed; a second connection applies version 2 meanwhile. It must wait, then find
    version 3 and change nothing (without the lock it would read version 1 and overwrite version 3)."""
    first, second = open_store(tmp_path, database_url), open_store(tmp_path, database_url)
    with first.transaction() as conn:
        corrections.apply_annotation(conn, _record(1, STAMPS[1]), None, [], event_id=None)
    outcome = {}

    def apply_older():
        with second.transaction() as conn:
            outcome["older"] = corrections.apply_annotation(conn, _record(1, STAMPS[2]), None, [], event_id=None)

    writing = first.transaction()
    conn = writing.__enter__()
    assert corrections.apply_annotation(conn, _record(1, STAMPS[3]), None, [], event_id=None) == "updated"
    racer = threading.Thread(target=apply_older)
    racer.start()
    time.sleep(0.5)
    assert racer.is_alive(), "the older version did not wait for the newer one's transaction"
    writing.__exit__(None, None, None)  # commit version 3
    racer.join(15)
    assert outcome == {"older": "stale"}
    with second.reading() as conn:
        assert conn.execute("SELECT updated_at FROM annotations WHERE id = 1").fetchone()[0] == STAMPS[3]
        assert len(corrections.annotation_history(conn, 1)) == 3  # every version kept, the older one too
