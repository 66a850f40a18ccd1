"""Writing and reading human corrections: tasks, annotation versions, the current view, parsed records.

Every write is idempotent: the same delivery twice, or an update older than
what the store holds, changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Collection, Iterable

from plugin.labelstudio.events import AnnotationRecord, TaskRecord
from plugin.records import AnnotatedArticle
from plugin.store.packing import pack, unpack


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class CurrentAnnotation:
    id: int
    task_id: int
    project_id: int | None
    updated_at: str
    result: list
    was_cancelled: bool
    completed_by: int | None
    prediction_model_version: str | None
    prediction_result: list | None
    deleted: bool
    problems: list


def upsert_task(conn, task: TaskRecord) -> str:
    """Insert or refresh a task; returns 'created', 'updated' or 'unchanged'. Safe against another process
    writing the same task at once: the insert is an upsert, the refresh holds the task's row lock."""
    data = json.dumps(task.data, ensure_ascii=False, sort_keys=True)
    if conn.execute(
        "INSERT INTO tasks (id, project_id, doc_id, text, data, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (id) DO NOTHING",
        (task.id, task.project_id, _doc_id(task), task.text or "", data, now()),
    ).rowcount:
        return "created"
    row = conn.execute("SELECT data, project_id, deleted_at FROM tasks WHERE id = ? FOR UPDATE", (task.id,)).fetchone()
    if row[0] == data and row[1] == (task.project_id if task.project_id is not None else row[1]) and row[2] is None:
        return "unchanged"
    conn.execute(
        "UPDATE tasks SET project_id = COALESCE(?, project_id), doc_id = ?, text = ?, data = ?, deleted_at = NULL, updated_at = ? WHERE id = ?",
        (task.project_id, _doc_id(task), task.text or "", data, now(), task.id),
    )
    return "updated"


def _doc_id(task: TaskRecord) -> str | None:
    doc_id = task.data.get("doc_id")
    return str(doc_id) if doc_id is not None else None


def _instant(value: str | None) -> datetime | None:
    """A stored timestamp as a moment (older rows may lack microseconds); None when it is not one."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def later(a: str | None, b: str | None) -> bool:
    """Whether timestamp ``a`` is after ``b``, as moments, not as text."""
    ma, mb = _instant(a), _instant(b)
    return ma is not None and (mb is None or ma > mb)


def same_instant(a: str | None, b: str | None) -> bool:
    ma = _instant(a)
    return ma is not None and ma == _instant(b)


def apply_annotation(conn, ann: AnnotationRecord, records: AnnotatedArticle | None, problems: list[str],
                     *, event_id: int | None, revive: bool = False) -> str:
    """Record one annotation version (every version is kept) and, if it is the newest, make it current.

    Returns 'created', 'updated', 'duplicate' (this version is already stored) or 'stale' (the store holds a
    newer version, or the annotation was deleted: deletion is final, except for a sync, ``revive``, which
    follows what Label Studio lists).

    Several processes may apply versions of one annotation at once: the current row is read under its row lock
    (``FOR UPDATE``) and a new annotation is inserted with ``ON CONFLICT DO NOTHING``; losing that race means
    another writer has just created it, and the version is applied again, now against its locked row.
    """
    current = conn.execute("SELECT updated_at, deleted_at FROM annotations WHERE id = ? FOR UPDATE", (ann.id,)).fetchone()
    deleted = conn.execute("SELECT 1 FROM annotation_versions WHERE annotation_id = ? AND kind = 'deleted' LIMIT 1",
                           (ann.id,)).fetchone() is not None
    kind = "created" if current is None else "updated"
    result = pack(ann.result)
    prediction = pack(ann.prediction_result) if ann.prediction_result is not None else None
    # every version is kept, in or out of order, once; only the newest becomes current
    seen = conn.execute("SELECT 1 FROM annotation_versions WHERE annotation_id = ? AND version_at = ? AND kind != 'deleted'",
                        (ann.id, ann.updated_at)).fetchone() is not None
    stored = 0 if seen else conn.execute(
        "INSERT INTO annotation_versions (annotation_id, task_id, project_id, kind, version_at, result, was_cancelled,"
        " ground_truth, completed_by, lead_time, prediction_model_version, prediction_result, event_id, recorded_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (ann.id, ann.task_id, ann.project_id, kind, ann.updated_at, result, ann.was_cancelled, ann.ground_truth,
         ann.completed_by, ann.lead_time, ann.prediction_model_version, prediction, event_id, now()),
    ).rowcount
    if deleted and not revive:
        return "stale"  # Label Studio never brings a deleted annotation back; only a sync (its own list) may
    if current is None:
        if not stored:
            return "duplicate"
        if not conn.execute(
            "INSERT INTO annotations (id, task_id, project_id, updated_at, result, was_cancelled, ground_truth,"
            " completed_by, prediction_model_version, prediction_result, deleted_at, problems)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?) ON CONFLICT (id) DO NOTHING",
            (ann.id, ann.task_id, ann.project_id, ann.updated_at, result, ann.was_cancelled, ann.ground_truth,
             ann.completed_by, ann.prediction_model_version, prediction, json.dumps(problems, ensure_ascii=False)),
        ).rowcount:  # another process created it since our read: apply this version against its row
            return apply_annotation(conn, ann, records, problems, event_id=event_id, revive=revive)
    else:
        updated_at, deleted_at = current
        if same_instant(ann.updated_at, updated_at) and deleted_at is None:
            return "duplicate"
        if later(updated_at, ann.updated_at):
            return "stale"
        conn.execute(
            "UPDATE annotations SET task_id = ?, project_id = COALESCE(?, project_id), updated_at = ?, result = ?,"
            " was_cancelled = ?, ground_truth = ?, completed_by = ?,"
            " prediction_model_version = COALESCE(?, prediction_model_version),"
            " prediction_result = COALESCE(?, prediction_result), deleted_at = NULL, problems = ? WHERE id = ?",
            (ann.task_id, ann.project_id, ann.updated_at, result, ann.was_cancelled, ann.ground_truth,
             ann.completed_by, ann.prediction_model_version, prediction, json.dumps(problems, ensure_ascii=False),
             ann.id),
        )
    _replace_records(conn, ann.id, records)
    return kind


def _replace_records(conn, annotation_id: int, records: AnnotatedArticle | None) -> None:
    conn.execute("DELETE FROM actors WHERE annotation_id = ?", (annotation_id,))
    conn.execute("DELETE FROM claims WHERE annotation_id = ?", (annotation_id,))
    if records is None:
        return
    conn.executemany(
        "INSERT INTO actors (annotation_id, start, \"end\", label, text, canonical) VALUES (?, ?, ?, ?, ?, ?)",
        [(annotation_id, a.start, a.end, a.label, a.text, a.canonical) for a in records.actors],
    )
    conn.executemany(
        "INSERT INTO claims (annotation_id, start, \"end\", text, kind, speaker, speaker_start, speaker_end, stance)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(annotation_id, c.start, c.end, c.text, c.kind, c.speaker,
          c.speaker_span[0] if c.speaker_span else None, c.speaker_span[1] if c.speaker_span else None, c.stance)
         for c in records.claims],
    )


def _tombstone_annotations(conn, column: str, value: int, *, event_id: int | None, at: str) -> int:
    """Tombstone the live annotations whose ``column`` ("id" or "task_id") is ``value``; returns how many."""
    live = f"{column} = ? AND deleted_at IS NULL"
    conn.execute(
        "INSERT INTO annotation_versions (annotation_id, task_id, project_id, kind, version_at, event_id, recorded_at)"
        f" SELECT id, task_id, project_id, 'deleted', ?, ?, ? FROM annotations WHERE {live} ON CONFLICT DO NOTHING",
        (at, event_id, now(), value))
    return conn.execute(f"UPDATE annotations SET deleted_at = ? WHERE {live}", (at, value)).rowcount


def delete_annotations(conn, ids: Iterable[int], *, event_id: int | None, at: str | None = None) -> int:
    """Tombstone annotations (their versions stay); returns how many were live. The deletion of an id the store
    does not know yet is remembered too, so that its create arriving late is not stored live."""
    at = at or now()
    live = 0
    for aid in ids:
        known = conn.execute("SELECT 1 FROM annotations WHERE id = ?", (aid,)).fetchone() is not None
        if known:
            live += _tombstone_annotations(conn, "id", aid, event_id=event_id, at=at)
        else:
            conn.execute(
                "INSERT INTO annotation_versions (annotation_id, task_id, project_id, kind, version_at, event_id,"
                " recorded_at) VALUES (?, 0, NULL, 'deleted', ?, ?, ?) ON CONFLICT DO NOTHING", (aid, at, event_id, now()))
    return live


def delete_tasks(conn, ids: Iterable[int], *, event_id: int | None, at: str | None = None) -> int:
    """Tombstone tasks and their annotations; returns how many tasks were live."""
    at = at or now()
    n = 0
    for tid in ids:
        if conn.execute("UPDATE tasks SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL", (at, tid)).rowcount:
            _tombstone_annotations(conn, "task_id", tid, event_id=event_id, at=at)
            n += 1
    return n


def project_filter(project_id: int | Collection[int] | None) -> tuple[str | None, list[int]]:
    """A WHERE condition for one project id or several (a story's projects; none matches nothing), or (None, [])."""
    if project_id is None:
        return None, []
    ids = [project_id] if isinstance(project_id, int) else list(project_id)
    return f"project_id IN ({', '.join('?' * len(ids))})" if ids else "1 = 0", ids


def current_annotations(conn, *, project_id: int | Collection[int] | None = None,
                        include_deleted: bool = False) -> list[CurrentAnnotation]:
    sql = ("SELECT id, task_id, project_id, updated_at, result, was_cancelled, completed_by, prediction_model_version,"
           " prediction_result, deleted_at, problems FROM annotations")
    where, args = [], []
    condition, ids = project_filter(project_id)
    if condition:
        where.append(condition)
        args.extend(ids)
    if not include_deleted:
        where.append("deleted_at IS NULL")
    if where:
        sql += " WHERE " + " AND ".join(where)
    rows = conn.execute(sql + " ORDER BY id", args).fetchall()
    return [
        CurrentAnnotation(r[0], r[1], r[2], r[3], unpack(r[4]), bool(r[5]), r[6], r[7],
                          unpack(r[8]) if r[8] else None, r[9] is not None, json.loads(r[10]))
        for r in rows
    ]


def annotation_history(conn, annotation_id: int) -> list[tuple[str, str]]:
    """(kind, version_at) of every stored version of an annotation, oldest first."""
    return conn.execute(
        "SELECT kind, version_at FROM annotation_versions WHERE annotation_id = ? ORDER BY version_at, kind",
        (annotation_id,)).fetchall()


def task_data(conn, task_id: int) -> dict | None:
    """The task's data (text and metadata) as imported, or None for an unknown task."""
    row = conn.execute("SELECT data FROM tasks WHERE id = ?", (task_id,)).fetchone()
    return json.loads(row[0]) if row else None


def task_text(conn, task_id: int) -> str | None:
    row = conn.execute("SELECT text FROM tasks WHERE id = ?", (task_id,)).fetchone()
    return row[0] if row else None


def live_ids(conn, project_id: int) -> tuple[set[int], set[int]]:
    """(task ids, annotation ids) that are live in the store for a project."""
    tasks = {r[0] for r in conn.execute("SELECT id FROM tasks WHERE project_id = ? AND deleted_at IS NULL", (project_id,))}
    anns = {r[0] for r in conn.execute("SELECT id FROM annotations WHERE project_id = ? AND deleted_at IS NULL", (project_id,))}
    return tasks, anns


def live_tasks(conn, *, project_id: int | Collection[int] | None = None) -> list[tuple[int, dict]]:
    """(task id, data) of every task not deleted, optionally of one project or several."""
    sql, args = "SELECT id, data FROM tasks WHERE deleted_at IS NULL", []
    condition, ids = project_filter(project_id)
    if condition:
        sql += " AND " + condition
        args.extend(ids)
    return [(r[0], json.loads(r[1])) for r in conn.execute(sql + " ORDER BY id", args)]
