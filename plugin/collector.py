"""Applying Label Studio events to the store: used by the webhook, by replay and by sync.

The one place that joins the two sides: ``labelstudio.events`` records and
``labelstudio.tasks`` parsing on one hand, ``store.corrections`` SQL on the other.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from types import MappingProxyType
from typing import Collection

from plugin.labelstudio.events import ParsedEvent, PayloadError, TaskRecord, parse_event
from plugin.labelstudio.tasks import annotated_from_result
from plugin.records import Article
from plugin.stats import Reviewed
from plugin.store import Store
from plugin.store import corrections

log = logging.getLogger(__name__)


def task_article(task_id: int, data: dict) -> Article | None:
    """A task's data as an ``Article`` (doc id, text, the rest as metadata); None when it has no text."""
    if not isinstance(data.get("text"), str):
        return None
    return Article(str(data.get("doc_id") or f"task-{task_id}"), data["text"],
                   MappingProxyType({k: v for k, v in data.items() if k not in ("text", "doc_id")}))


def unreviewed_articles(store: Store, reviewed: set[int], *, project_id: int | Collection[int] | None = None) -> list[Article]:
    """The live tasks without a reviewed annotation, as articles."""
    with store.reading() as conn:
        tasks = corrections.live_tasks(conn, project_id=project_id)
    return [a for tid, d in tasks if tid not in reviewed and (a := task_article(tid, d)) is not None]


def record_pushed_tasks(store: Store, project_id: int, tasks: list[tuple[int, dict]]) -> dict[str, int]:
    """Put tasks just pushed to Label Studio into the store (their ids and data), as a TASKS_CREATED would."""
    parsed = ParsedEvent("PUSH", project_id, tasks=tuple(TaskRecord(tid, project_id, data) for tid, data in tasks))
    return process_event(store, parsed, event_id=None)


def process_event(store: Store, parsed: ParsedEvent, *, event_id: int | None) -> dict[str, int]:
    """Apply one parsed event in one transaction (which also marks its journal entry processed);
    returns counts of what changed."""
    summary: Counter = Counter()
    with store.transaction() as conn:
        if event_id is not None:
            store.mark_event(event_id, "processed")  # same connection and (re-entrant) lock: one transaction
        for task in parsed.tasks:
            summary["tasks_" + corrections.upsert_task(conn, task)] += 1
        for ann in parsed.annotations:
            text = corrections.task_text(conn, ann.task_id)
            problems: list[str] = []
            if text is None:
                problems.append(f"task {ann.task_id} is unknown to the store; result kept unparsed until a sync")
                records = None
            else:
                records = annotated_from_result(text, ann.result, doc_id=f"task {ann.task_id}", problems=problems)
            outcome = corrections.apply_annotation(conn, ann, records, problems, event_id=event_id,
                                                   revive=parsed.action == "SYNC")  # Label Studio's own list
            summary["annotations_" + outcome] += 1
            if problems and outcome in ("created", "updated"):
                summary["annotations_flagged"] += 1
                log.warning("annotation %s: %d region(s) do not fit the text: %s", ann.id, len(problems), problems[0])
        if parsed.deleted_annotation_ids:
            summary["annotations_deleted"] += corrections.delete_annotations(conn, parsed.deleted_annotation_ids, event_id=event_id)
        if parsed.deleted_task_ids:
            summary["tasks_deleted"] += corrections.delete_tasks(conn, parsed.deleted_task_ids, event_id=event_id)
    return dict(summary)


@dataclass(frozen=True)
class ReplaySummary:
    replayed: int
    failed: int
    changes: dict[str, int]
    rejected: int = 0  # payloads no code will ever process (marked 'rejected', not retried)
    errors: tuple[tuple[int, str, str], ...] = ()  # (event id, action, why) of what failed or was rejected


def replay(store: Store, *, statuses: tuple[str, ...] = ("failed", "received")) -> ReplaySummary:
    """Reprocess journaled events that failed (or were never processed: a crash mid-request).

    An event whose payload is malformed (a ``PayloadError``: it can never be processed) is marked 'rejected'
    with the reason, once, and not retried; any other failure stays 'failed' for the next replay. Every
    failure is returned with its reason.
    """
    changes: Counter = Counter()
    replayed = failed = rejected = 0
    errors: list[tuple[int, str, str]] = []
    for event in store.events(statuses=statuses):
        try:
            parsed = parse_event(event.payload)
            if parsed is None:
                store.mark_event(event.id, "ignored")
                continue
            changes.update(process_event(store, parsed, event_id=event.id))
        except PayloadError as e:
            store.mark_event(event.id, "rejected", str(e))
            rejected += 1
            errors.append((event.id, event.action, f"rejected: {e}"))
            continue
        except Exception as e:  # noqa: BLE001  (recorded on the event and counted; replay again after a fix)
            store.mark_event(event.id, "failed", f"{type(e).__name__}: {e}")
            failed += 1
            errors.append((event.id, event.action, f"{type(e).__name__}: {e}"))
            continue
        replayed += 1
    return ReplaySummary(replayed, failed, dict(changes), rejected, tuple(errors))


def reviewed_annotations(store: Store, *, project_id: int | Collection[int] | None = None) -> list[Reviewed]:
    """The current, not cancelled human annotations as records, each with the prediction it started from."""
    out = []
    with store.reading() as conn:
        anns = corrections.current_annotations(conn, project_id=project_id)
        datas = {tid: corrections.task_data(conn, tid) for tid in {a.task_id for a in anns}}  # once per task
    for a in anns:
        data = datas.get(a.task_id)
        article = task_article(a.task_id, data) if data and not a.was_cancelled else None
        if article is None:
            continue
        text, doc_id, meta = article.text, article.doc_id, dict(article.meta)
        human = annotated_from_result(text, a.result, doc_id=doc_id, meta=meta, problems=[])
        predicted = None
        if a.prediction_result is not None:
            predicted = annotated_from_result(text, a.prediction_result, doc_id=doc_id, meta=meta, problems=[],
                                              model_version=a.prediction_model_version)
        out.append(Reviewed(a.id, a.task_id, a.completed_by, a.prediction_model_version, human, predicted))
    return out
