"""Re-sync: reconcile the store with what Label Studio holds for a project.

A collector that was down missed deliveries; ``sync`` pulls every task and
annotation through the API and applies the differences (missed creates,
updates and deletes) with the same idempotent writes the webhook uses.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Callable

from plugin.collector import process_event
from plugin.labelstudio.client import connect, project_tasks, resolve_project
from plugin.labelstudio.events import ParsedEvent, parse_annotation, parse_task
from plugin.store import Store
from plugin.store import corrections


@dataclass(frozen=True)
class SyncSummary:
    project_id: int
    project_title: str
    tasks: int
    annotations: int
    changes: dict[str, int]


def sync(store: Store, *, url: str, token: str, project: str,
         bind: Callable[[int, str], object] | None = None) -> SyncSummary:
    """Pull every task and annotation of ``project`` and reconcile the store; returns what changed.

    ``bind(project_id, title)`` is called before anything is stored (the CLI binds the project to its story).
    """
    ls = connect(url, token)
    project_id, title = resolve_project(ls, url, project)
    if bind is not None:
        bind(project_id, title)
    tasks, annotations = [], []
    for task in project_tasks(ls, url, project_id):
        tasks.append(parse_task(task, f"task {task.get('id')}", project_id))
        for ann in task.get("annotations") or []:
            ann = ann if isinstance(ann, dict) else dict(ann)
            annotations.append(parse_annotation(ann, f"annotation of task {task.get('id')}", project_id, task["id"]))
    changes: Counter = Counter()
    changes.update(process_event(store, ParsedEvent("SYNC", project_id, tasks=tuple(tasks), annotations=tuple(annotations)),
                                 event_id=None))
    with store.reading() as conn:
        live_tasks, live_annotations = corrections.live_ids(conn, project_id)
    gone_tasks = tuple(sorted(live_tasks - {t.id for t in tasks}))
    gone_annotations = tuple(sorted(live_annotations - {a.id for a in annotations}))
    if gone_tasks or gone_annotations:
        changes.update(process_event(store, ParsedEvent("SYNC", project_id, deleted_annotation_ids=gone_annotations,
                                                        deleted_task_ids=gone_tasks), event_id=None))
    return SyncSummary(project_id, title, len(tasks), len(annotations), {k: v for k, v in changes.items() if v})
