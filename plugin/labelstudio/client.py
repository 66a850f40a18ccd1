"""Talking to a Label Studio server: projects, push, webhook and ML-backend registration.

Uses the official SDK (``label_studio_sdk.LabelStudio``). Every SDK or
network failure is turned into a ``LabelStudioError`` that says what to do.
"""

from __future__ import annotations

import html
import logging
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Mapping, Sequence

import httpx
from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError
from label_studio_sdk.label_interface import LabelInterface

from plugin.errors import LabelStudioError, TaskError
from plugin.labelstudio.tasks import check_task
from plugin.settings import SECRET_HEADER  # noqa: F401  (also what callers import from here)
from plugin.stories import Story

log = logging.getLogger(__name__)

CONFIG_DIR = Path(__file__).resolve().parents[2] / "annotation_configs"
DEFAULT_CONFIG = CONFIG_DIR / "stancedesk.xml"
ML_BACKEND_TITLE = "stancedesk"
_RESERVED_HINT = (
    "start Label Studio with LABEL_STUDIO_USE_DEFAULT_BANNED_SUBNETS=false and "
    "LABEL_STUDIO_USER_ADDITIONAL_BANNED_SUBNETS set to every network but loopback "
    "('stancedesk up' does this) to allow 127.0.0.1"
)


UNCERTAINTY_SAMPLING = "Uncertainty sampling"  # Label Studio's project.sampling value for active learning


def labeling_config(path: Path | None = None) -> str:
    return (path or DEFAULT_CONFIG).read_text(encoding="utf-8")


@contextmanager
def _translated(url: str, doing: str) -> Iterator[None]:
    """Turn SDK and network failures into one-line LabelStudioErrors naming the fix."""
    try:
        yield
    except (httpx.ConnectError, httpx.ConnectTimeout) as e:
        raise LabelStudioError(
            f"Label Studio at {url} is unreachable ({doing}); start it ('stancedesk up') or set STANCEDESK_LABEL_STUDIO_URL / --url"
        ) from e
    except httpx.HTTPError as e:
        raise LabelStudioError(f"Label Studio at {url} failed while {doing}: {e}") from e
    except ApiError as e:
        body = e.body if isinstance(e.body, (str, dict, list)) else str(e.body)
        text = str(body)
        if e.status_code == 401:
            raise LabelStudioError(
                f"Label Studio at {url} rejected the token ({doing}): give a legacy API token (Account & Settings -> "
                f"Legacy Token, enabled with LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true) or a personal access token, "
                f"with --token or STANCEDESK_LABEL_STUDIO_TOKEN"
            ) from e
        if "reserved network address" in text or "reserved" in text and e.status_code == 403:
            raise LabelStudioError(f"Label Studio refused a URL as a reserved address ({doing}): {_RESERVED_HINT}") from e
        raise LabelStudioError(f"Label Studio at {url} answered {e.status_code} while {doing}: {_message(body)}") from e


def _message(body) -> str:
    """Label Studio's own words from an error body ({"label_config": ["..."]}, {"detail": "..."}, ...)."""
    if isinstance(body, dict):
        inner = body.get("validation_errors", body)
        if isinstance(inner, dict):
            parts = []
            for key, value in inner.items():
                if key in ("id", "status_code", "version", "exc_info", "type"):
                    continue
                text = "; ".join(map(str, value)) if isinstance(value, list) else str(value)
                parts.append(text if key in ("detail", "message", "error") else f"{key}: {text}")
            if parts:
                return " | ".join(parts)[:500]
    return str(body)[:500]


def connect(url: str, token: str) -> LabelStudio:
    """A client for ``url`` whose token has been checked against the server."""
    if not url:
        raise LabelStudioError("no Label Studio URL: pass --url or set STANCEDESK_LABEL_STUDIO_URL")
    if not token:
        raise LabelStudioError("no Label Studio token: pass --token or set STANCEDESK_LABEL_STUDIO_TOKEN")
    ls = LabelStudio(base_url=url.rstrip("/"), api_key=token, timeout=120)
    with _translated(url, "checking the token"):
        ls.users.whoami()
    return ls


@dataclass(frozen=True)
class PushSummary:
    project_id: int
    project_title: str
    project_created: bool
    tasks_created: int
    predictions_added: int
    unchanged: int
    webhook: str | None  # "created" | "updated" | "unchanged" | None
    ml_backend: str | None  # "created" | "unchanged" | None


def project_instructions(story: Story) -> str:
    """The project's instructions (HTML, shown before and beside every task): the target, then the story's notes."""
    parts = [f"<h3>Stance target: {html.escape(story.target)}</h3>"]
    if story.description:
        parts.append(f"<p>{html.escape(story.description)}</p>")
    if story.guideline:
        paragraphs = [p.strip() for p in story.guideline.split("\n") if p.strip()]
        parts.append("<h4>How this story draws the lines</h4>")
        parts.extend(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    parts.append("<p>Actors, claims and speakers: see the guideline panel on the labeling screen.</p>")
    return "\n".join(parts)


def find_or_create_project(ls: LabelStudio, url: str, title: str, config: str, story: Story) -> tuple[int, bool]:
    """The project titled ``title`` (its instructions brought up to date with the story), or a new one."""
    instructions = project_instructions(story)
    description = f"stancedesk story {story.name}: stance toward {story.target}"
    with _translated(url, f"looking up project {title!r}"):
        for project in ls.projects.list(title=title):
            if project.title == title:
                if project.expert_instruction != instructions or not project.show_instruction:
                    ls.projects.update(id=project.id, expert_instruction=instructions, show_instruction=True,
                                       description=description)
                return int(project.id), False
    with _translated(url, f"creating project {title!r} with the labeling config"):
        project = ls.projects.create(title=title, label_config=config, description=description,
                                     expert_instruction=instructions, show_instruction=True)
    return int(project.id), True


def story_tasks(tasks: Sequence[Mapping], story: Story) -> list[dict]:
    """The tasks with the story's name and target in their data; a task pre-annotated for another story is refused."""
    out = []
    for n, task in enumerate(tasks):
        data = task.get("data") if isinstance(task, Mapping) else None
        if not isinstance(data, Mapping):
            raise TaskError(f"task {n} is not a Label Studio task object with 'data'")
        for key, mine in (("story", story.name), ("target", story.target)):
            theirs = data.get(key)
            if theirs not in (None, "", mine):
                raise TaskError(f"task {data.get('doc_id', n)} was pre-annotated for {key} {theirs!r}, not story "
                                f"{story.name!r} ({key} {mine!r}); pre-annotate it with --story {story.name}")
        out.append({**task, "data": {**data, "story": story.name, "target": story.target}})
    return out


def existing_tasks(ls: LabelStudio, url: str, project_id: int) -> dict[str, tuple[int, set[str]]]:
    """doc_id -> (task id, model versions of its predictions), for the tasks already in the project."""
    out: dict[str, tuple[int, set[str]]] = {}
    with _translated(url, "listing the project's tasks"):
        for task in ls.tasks.list(project=project_id, fields="all"):
            data = task.data or {}
            doc_id = data.get("doc_id")
            if doc_id is None:
                continue
            versions = {p.get("model_version") if isinstance(p, dict) else getattr(p, "model_version", None)
                        for p in (task.predictions or [])}
            out[str(doc_id)] = (int(task.id), {v for v in versions if v})
    return out


def validate_tasks(tasks: Sequence[Mapping], config: str) -> None:
    """Check every prediction against the labeling config and the task text (Label Studio itself does not)."""
    interface = LabelInterface(config)
    for n, task in enumerate(tasks):
        if not isinstance(task, Mapping) or not isinstance(task.get("data"), Mapping):
            raise TaskError(f"task {n} is not a Label Studio task object with 'data'")
        doc_id = task["data"].get("doc_id")
        if doc_id in (None, ""):
            raise TaskError(f"task {n} has no data.doc_id; stancedesk keys re-pushes on it")
        check_task(task)
        for pred in task.get("predictions", []):
            errors = interface.validate_prediction(pred, return_errors=True)
            if errors:
                raise TaskError(f"task {doc_id}: prediction does not fit the labeling config: {errors[0]}")


def push(tasks: Sequence[Mapping], *, story: Story, url: str, token: str, project: str | None = None,
         webhook_url: str | None = None, webhook_secret: str | None = None, ml_backend_url: str | None = None,
         config_path: Path | None = None, batch_size: int = 100, progress: Callable[[int, int], None] | None = None,
         on_project: Callable[[int, str], None] | None = None,
         on_tasks: Callable[[int, list[tuple[int, dict]]], None] | None = None) -> PushSummary:
    """Push a story's tasks with predictions into its project, creating it if needed; idempotent.

    The project is titled from the story (``project`` overrides the title) and its instructions hold the
    target and the story's guideline notes; every task carries the story's target. ``on_project(id, title)``
    is called once the project is known and before an ML backend is connected (which asks the server for the
    project's story); ``on_tasks(project_id, [(task id, data), ...])`` once every pushed task has its Label Studio
    id (so the store knows them at once, whether or not Label Studio's TASKS_CREATED webhook arrives). A task whose ``doc_id`` is already in the project is not imported again; if its
    prediction has a model version the task lacks, the prediction is added.
    """
    title = project or story.title
    config = labeling_config(config_path)
    tasks = story_tasks(tasks, story)
    validate_tasks(tasks, config)
    ls = connect(url, token)
    project_id, created = find_or_create_project(ls, url, title, config, story)
    if on_project is not None:
        on_project(project_id, title)
    known = existing_tasks(ls, url, project_id)
    new, added, unchanged = [], 0, 0
    for task in tasks:
        doc_id = str(task["data"]["doc_id"])
        if doc_id not in known:
            new.append(task)
            continue
        task_id, versions = known[doc_id]
        fresh = [p for p in task.get("predictions", []) if p.get("model_version") not in versions]
        for pred in fresh:
            with _translated(url, f"adding a prediction to task {task_id}"):
                ls.predictions.create(task=task_id, result=pred["result"], score=pred.get("score"),
                                      model_version=pred.get("model_version"))
            added += 1
        unchanged += not fresh
    done = 0
    for start in range(0, len(new), batch_size):
        batch = new[start:start + batch_size]
        with _translated(url, f"importing tasks {start + 1}-{start + len(batch)}"):
            ls.projects.import_tasks(id=project_id, request=batch, return_task_ids=True)
        done += len(batch)
        if progress is not None:
            progress(done, len(new))
    if on_tasks is not None:
        ids = {doc_id: task_id for doc_id, (task_id, _) in existing_tasks(ls, url, project_id).items()}
        on_tasks(project_id, [(ids[str(t["data"]["doc_id"])], dict(t["data"])) for t in tasks
                              if str(t["data"]["doc_id"]) in ids])
    versions = Counter(p.get("model_version") for t in tasks for p in t.get("predictions", []) if p.get("model_version"))
    if versions:
        uncertainty_first(ls, url, project_id, versions.most_common(1)[0][0])
    backend = connect_ml_backend(ls, url, project_id, ml_backend_url, webhook_secret) if ml_backend_url else None
    webhook = register_webhook(ls, url, project_id, webhook_url, webhook_secret) if webhook_url else None
    if created and webhook == "updated":
        webhook = "created"  # Label Studio made a bare one a moment ago when the backend was connected
    return PushSummary(project_id, title, created, len(new), added, unchanged, webhook, backend)


def uncertainty_first(ls: LabelStudio, url: str, project_id: int, model_version: str) -> None:
    """Annotators get the least certain pre-annotations first: Label Studio's uncertainty sampling serves the
    tasks whose prediction of ``model_version`` has the lowest score (the mean confidence of its claims' stances)."""
    with _translated(url, "setting the project to serve the least certain pre-annotations first"):
        ls.projects.update(id=project_id, sampling=UNCERTAINTY_SAMPLING, model_version=model_version)


def register_webhook(ls: LabelStudio, url: str, project_id: int, webhook_url: str, secret: str | None) -> str:
    """Make sure exactly one webhook to ``webhook_url`` exists on the project, sending the secret header."""
    headers = {SECRET_HEADER: secret} if secret else {}
    with _translated(url, f"registering the webhook {webhook_url}"):
        hooks = [h for h in ls.webhooks.list(project=project_id) if h.url == webhook_url]
        if not hooks:
            ls.webhooks.create(url=webhook_url, project=project_id, send_payload=True, send_for_all_actions=True,
                               headers=headers, is_active=True)
            return "created"
        # Label Studio adds its own webhook to <backend>/webhook when an ML backend is connected:
        # every hook to our URL must carry the secret, or its deliveries are refused
        status = "unchanged"
        for hook in hooks:
            if (hook.headers or {}) != headers or not hook.is_active or not hook.send_payload:
                ls.webhooks.update(id=hook.id, url=webhook_url, headers=headers, is_active=True, send_payload=True,
                                   send_for_all_actions=True)
                status = "updated"
    return status


def connect_ml_backend(ls: LabelStudio, url: str, project_id: int, backend_url: str, secret: str | None) -> str:
    """Connect the stancedesk ML backend to the project once, with the shared secret as its basic-auth
    password (Label Studio calls /health and /setup before saving it)."""
    backend_url = backend_url.rstrip("/")
    auth = dict(auth_method="BASIC_AUTH", basic_auth_user=ML_BACKEND_TITLE, basic_auth_pass=secret) if secret else {}
    with _translated(url, f"connecting the ML backend {backend_url}"):
        for backend in ls.ml.list(project=project_id):
            if (backend.url or "").rstrip("/") == backend_url:
                if secret and getattr(backend, "auth_method", None) != "BASIC_AUTH":
                    ls.ml.update(id=backend.id, url=backend_url, project=project_id, **auth)
                    return "updated"
                return "unchanged"
        ls.ml.create(url=backend_url, project=project_id, title=ML_BACKEND_TITLE, is_interactive=True, **auth)
    return "created"


def _as_dict(obj) -> dict:
    if isinstance(obj, dict):
        return obj
    for method in ("model_dump", "dict"):
        if hasattr(obj, method):
            return getattr(obj, method)()
    raise LabelStudioError(f"unexpected object from Label Studio: {type(obj).__name__}")


def resolve_project(ls: LabelStudio, url: str, project: str) -> tuple[int, str]:
    """A project by id (digits) or by exact title: (id, title)."""
    with _translated(url, f"looking up project {project!r}"):
        if project.isdigit():
            p = ls.projects.get(id=int(project))
            return int(p.id), p.title
        for p in ls.projects.list(title=project):
            if p.title == project:
                return int(p.id), p.title
    raise LabelStudioError(f"no project titled {project!r} in Label Studio at {url}; give its exact title or its id")


def project_tasks(ls: LabelStudio, url: str, project_id: int) -> list[dict]:
    """Every task of a project as plain dicts, annotations included."""
    with _translated(url, f"reading the tasks of project {project_id}"):
        return [_as_dict(t) for t in ls.tasks.list(project=project_id, fields="all")]
