"""Exports from the store: gather the human-corrected records, then call the exporters.

Shared by the CLI (`stancedesk export ...`) and the server (`GET /exports/...`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from exporters.briefing import BriefingInfo, write_briefing
from exporters.training_set import ExportError, TrainingSetReport, write_training_set
from plugin.collector import reviewed_annotations, unreviewed_articles
from plugin.fileio import check_output
from plugin.identity import unify_names
from plugin.records import AnnotatedArticle
from plugin.stats import agreement
from plugin.store import Store
from plugin.stories import Story, project_ids


@dataclass(frozen=True)
class BriefingSummary:
    path: Path
    articles: int
    unreviewed: int


def latest_per_task(store: Store, *, project_id: int | None = None) -> dict[int, AnnotatedArticle]:
    """The latest current human annotation of each task, as records."""
    return {r.task_id: r.human for r in reviewed_annotations(store, project_id=project_id)}


def story_projects(store: Store, story: Story, project_id: int | None = None) -> list[int]:
    """The projects to read for a story: its bound projects, or the one asked for if it is one of them."""
    projects = project_ids(store, story)
    if project_id is None:
        return projects
    if project_id not in projects:
        raise ExportError(f"Label Studio project {project_id} is not a project of story {story.name!r} "
                          f"(its projects: {', '.join(map(str, projects)) or 'none yet'}); leave out --project")
    return [project_id]


def export_training(store: Store, out_dir: Path, *, base_model: str, story: Story, project_id: int | None = None,
                    dev_share: float = 0.2) -> TrainingSetReport:
    """The story's training set from the store: its corrected tasks, plus the texts of its other tasks for
    rehearsal and the forgetting check."""
    projects = story_projects(store, story, project_id)
    latest = latest_per_task(store, project_id=projects)
    if not latest:
        raise ExportError(f"story {story.name!r} has no human-corrected annotations in the store "
                          f"(projects: {', '.join(map(str, projects)) or 'none bound yet: push with --story'}); "
                          "annotate some tasks in Label Studio or run 'stancedesk sync --story " + story.name + "'")
    raw = [a.text for a in unreviewed_articles(store, set(latest), project_id=projects)]
    return write_training_set(list(latest.values()), out_dir, base_model=base_model, dev_share=dev_share, raw_texts=raw,
                              story={"name": story.name, "title": story.title, "target": story.target})


def _day(value: str | None, option: str) -> str | None:
    """A date given on the command line, checked: YYYY-MM-DD (an ISO timestamp is cut to its day)."""
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(str(value)[:10]).isoformat()
    except ValueError:
        raise ExportError(f"{option} {value!r} is not a date; give it as YYYY-MM-DD, e.g. 2022-01-10") from None


def export_briefing(store: Store, output: Path, *, model: str, story: Story, project_id: int | None = None,
                    since: str | None = None, until: str | None = None, include_unreviewed: bool = False,
                    title: str | None = None, nlp=None) -> BriefingSummary:
    """Write the story's briefing for its reviewed articles (and, if asked, machine output for the rest).

    ``nlp``: an already-built pipeline for the machine output (its stance component is set to the story's).
    """
    check_output(output)  # a bad -o fails now, not after the work
    since, until = _day(since, "--since"), _day(until, "--until")
    if since and until and until < since:
        raise ExportError(f"--until {until} is before --since {since}; give a period that ends after it starts")
    projects = story_projects(store, story, project_id)
    reviewed = reviewed_annotations(store, project_id=projects)
    items: dict[object, AnnotatedArticle] = {r.task_id: r.human for r in reviewed}
    machine: set[str] = set()
    if include_unreviewed:
        todo = unreviewed_articles(store, set(items), project_id=projects)
        if todo:
            from plugin.pipeline import build_pipeline, story_stance
            from plugin.preannotate import make_tasks

            tasks = (make_tasks(nlp, todo, stance=story_stance(story)) if nlp is not None
                     else make_tasks(build_pipeline(model, story=story), todo))
            for item in tasks:
                items[("machine", item.article.doc_id)] = item
                machine.add(item.article.doc_id)

    def in_period(item: AnnotatedArticle) -> bool:
        day = str(item.article.meta.get("date") or "")
        return (not since or (bool(day) and day >= since)) and (not until or (bool(day) and day <= until))

    chosen = unify_names([i for i in items.values() if in_period(i)])  # "Putin" counts toward "Vladimir Putin"
    agree = agreement(reviewed)
    info = BriefingInfo(
        target=story.target,
        title=title or story.title,
        period=(since, until),
        model_versions=tuple(sorted({r.model_version for r in reviewed if r.model_version})),
        annotators=len({r.annotator for r in reviewed if r.annotator is not None}),
        agreement=(f"on {agree.tasks} doubly annotated tasks: claims F1 {agree.f1['claims']:.2f}, "
                   f"stance kappa {agree.stance_kappa}") if agree.tasks else None,
        reviewed_share=(sum(1 for i in chosen if i.article.doc_id not in machine) / len(chosen)) if chosen else 0.0,
    )
    used_machine = frozenset(machine & {i.article.doc_id for i in chosen})
    path = write_briefing(chosen, output, info, machine_ids=used_machine)
    return BriefingSummary(path, len(chosen), len(used_machine))
