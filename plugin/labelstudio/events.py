"""Label Studio webhook payloads (and API objects) to typed records.

Each action's payload is checked for the fields stancedesk needs; a missing or
mistyped field raises ``PayloadError`` naming it (the webhook answers 400).
Unknown actions parse to None (the webhook answers 200 "ignored").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping

from plugin.errors import StancedeskError


class PayloadError(StancedeskError):
    """A webhook payload lacks a field or has it with the wrong type."""


@dataclass(frozen=True)
class TaskRecord:
    id: int
    project_id: int | None
    data: Mapping[str, Any]

    @property
    def text(self) -> str | None:
        text = self.data.get("text")
        return text if isinstance(text, str) else None


@dataclass(frozen=True)
class AnnotationRecord:
    id: int
    task_id: int
    project_id: int | None
    result: list
    was_cancelled: bool
    ground_truth: bool
    created_at: str | None
    updated_at: str
    completed_by: int | None
    lead_time: float | None
    parent_prediction: int | None
    prediction_model_version: str | None
    prediction_result: list | None


@dataclass(frozen=True)
class ParsedEvent:
    action: str
    project_id: int | None
    tasks: tuple[TaskRecord, ...] = ()
    annotations: tuple[AnnotationRecord, ...] = ()
    deleted_annotation_ids: tuple[int, ...] = ()
    deleted_task_ids: tuple[int, ...] = ()


ANNOTATION_ACTIONS = ("ANNOTATION_CREATED", "ANNOTATION_UPDATED")
HANDLED = ANNOTATION_ACTIONS + ("ANNOTATIONS_CREATED", "ANNOTATIONS_DELETED", "TASKS_CREATED", "TASKS_DELETED",
                                "START_TRAINING", "PROJECT_UPDATED")


MAX_ID = 2**63 - 1  # ids are stored as SQLite integers


def _field(obj: Any, path: str, kind: type | tuple[type, ...], *, optional: bool = False):
    """``obj[path]`` checked against ``kind``; ``path`` is dotted for the message only."""
    key = path.rsplit(".", 1)[-1].split("[")[0]
    if not isinstance(obj, Mapping):
        raise PayloadError(f"'{path.rsplit('.', 1)[0]}' must be an object")
    if key not in obj or obj[key] is None:
        if optional:
            return None
        raise PayloadError(f"missing field '{path}'")
    value = obj[key]
    if kind is int and isinstance(value, bool) or not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise PayloadError(f"field '{path}' must be {names}, got {type(value).__name__}")
    if kind is int and not 0 <= value <= MAX_ID:
        raise PayloadError(f"field '{path}' must be an id between 0 and {MAX_ID}, got {value}")
    return value


def _project_id(body: Mapping) -> int | None:
    project = body.get("project")
    if isinstance(project, Mapping):
        project = project.get("id")
    if project is None:
        return None
    if isinstance(project, bool) or not isinstance(project, int) or not 0 <= project <= MAX_ID:
        raise PayloadError(f"field 'project' must be a project id between 0 and {MAX_ID} (or an object with one), "
                           f"got {str(project)[:40]!r}")
    return project


def parse_task(task: Any, path: str = "task", project_id: int | None = None) -> TaskRecord:
    tid = _field(task, f"{path}.id", int)
    data = _field(task, f"{path}.data", dict)
    _field(data, f"{path}.data.text", str)
    project = task.get("project")
    if isinstance(project, Mapping):
        project = project.get("id")
    return TaskRecord(tid, project if isinstance(project, int) else project_id, dict(data))


def timestamp(value: str, path: str) -> str:
    """A Label Studio timestamp in one canonical form (UTC, microseconds, ``Z``), so that stored versions order
    correctly as text ("10:00:00Z" before "10:00:00.500000Z"); a value that is no timestamp is refused."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError(f"field '{path}' must be an ISO 8601 timestamp, got {value[:40]!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)  # Label Studio writes UTC
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _flag(obj: Mapping, key: str, path: str) -> bool:
    """A true/false field: a JSON boolean (or 0/1, or the strings "true"/"false"); anything else is refused."""
    value = obj.get(key, False)
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise PayloadError(f"field '{path}.{key}' must be true or false, got {value!r}")


def parse_annotation(ann: Any, path: str = "annotation", project_id: int | None = None,
                     task_id: int | None = None) -> AnnotationRecord:
    aid = _field(ann, f"{path}.id", int)
    result = _field(ann, f"{path}.result", list)
    task = ann.get("task")
    if isinstance(task, Mapping):
        task = task.get("id")
    if not isinstance(task, int) or isinstance(task, bool):
        if task_id is None:
            raise PayloadError(f"missing field '{path}.task'")
        task = task_id
    updated_at = _field(ann, f"{path}.updated_at", str, optional=True) or _field(ann, f"{path}.created_at", str)
    updated_at = timestamp(updated_at, f"{path}.updated_at")
    completed_by = ann.get("completed_by")
    if isinstance(completed_by, Mapping):
        completed_by = completed_by.get("id")
    prediction = ann.get("prediction") if isinstance(ann.get("prediction"), Mapping) else {}
    project = ann.get("project")
    lead_time = ann.get("lead_time")
    return AnnotationRecord(
        id=aid,
        task_id=task,
        project_id=project if isinstance(project, int) else project_id,
        result=list(result),
        was_cancelled=_flag(ann, "was_cancelled", path),
        ground_truth=_flag(ann, "ground_truth", path),
        created_at=ann.get("created_at") if isinstance(ann.get("created_at"), str) else None,
        updated_at=updated_at,
        completed_by=completed_by if isinstance(completed_by, int) else None,
        lead_time=float(lead_time) if isinstance(lead_time, (int, float)) else None,
        parent_prediction=ann.get("parent_prediction") if isinstance(ann.get("parent_prediction"), int) else None,
        prediction_model_version=prediction.get("model_version") if isinstance(prediction.get("model_version"), str) else None,
        prediction_result=prediction.get("result") if isinstance(prediction.get("result"), list) else None,
    )


def parse_event(body: Mapping) -> ParsedEvent | None:
    """The records of one webhook delivery, or None for an action stancedesk does not handle."""
    action = _field(body, "action", str)
    if action not in HANDLED:
        return None
    project_id = _project_id(body)
    if action in ANNOTATION_ACTIONS:
        task = parse_task(body.get("task"), "task", project_id)
        ann = parse_annotation(_field(body, "annotation", dict), "annotation", project_id, task.id)
        return ParsedEvent(action, project_id, tasks=(task,), annotations=(ann,))
    if action == "ANNOTATIONS_CREATED":
        anns = _field(body, "annotation", list)
        tasks = _field(body, "task", list)
        parsed_tasks = tuple(parse_task(t, f"task[{n}]", project_id) for n, t in enumerate(tasks))
        parsed = tuple(parse_annotation(a, f"annotation[{n}]", project_id) for n, a in enumerate(anns))
        return ParsedEvent(action, project_id, tasks=parsed_tasks, annotations=parsed)
    if action == "ANNOTATIONS_DELETED":
        items = _field(body, "annotations", list)
        ids = tuple(_field(a, f"annotations[{n}].id", int) for n, a in enumerate(items))
        return ParsedEvent(action, project_id, deleted_annotation_ids=ids)
    if action == "TASKS_CREATED":
        items = _field(body, "tasks", list)
        return ParsedEvent(action, project_id, tasks=tuple(parse_task(t, f"tasks[{n}]", project_id) for n, t in enumerate(items)))
    if action == "TASKS_DELETED":
        items = _field(body, "tasks", list)
        ids = tuple(_field(t, f"tasks[{n}].id", int) for n, t in enumerate(items))
        return ParsedEvent(action, project_id, deleted_task_ids=ids)
    return ParsedEvent(action, project_id)  # START_TRAINING, PROJECT_UPDATED: journaled only
