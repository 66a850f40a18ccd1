"""Label Studio tasks from records, and records from Label Studio results.

The names used here (``actor``, ``claim``, ``stance``, ``text``, relation
``said``) are those of ``annotation_configs/stancedesk.xml``; a test proves
they agree.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Iterable, Mapping

from plugin.copies import copies_of, find_copies, with_copies, without_copies
from plugin.errors import TaskError
from plugin.records import ACTOR_LABELS, STANCES, Actor, AnnotatedArticle, Article, Claim

TO_NAME = "text"
ACTOR_FROM = "actor"
CLAIM_FROM = "claim"
STANCE_FROM = "stance"
CLAIM_LABEL = "CLAIM"
RELATION_LABEL = "said"
_META_CANONICAL = "canonical: "
_META_KIND = "kind: "
_META_SPEAKER = "speaker: "
_META_STANCE_P = "stance p: "
_META_REPEATED = "repeated: "
_QUOTE_MARKS = "\"\u201c\u201d\u201e\u00ab\u00bb\u2018\u2019"


# -- records -> task ------------------------------------------------------------
def entity_region(actor: Actor, region_id: str) -> dict:
    return {
        "id": region_id,
        "from_name": ACTOR_FROM,
        "to_name": TO_NAME,
        "type": "labels",
        "value": {"start": actor.start, "end": actor.end, "text": actor.text, "labels": [actor.label]},
        "meta": {"text": [_META_CANONICAL + actor.canonical]},
    }


def claim_region(claim: Claim, region_id: str, *, copies: int = 0) -> dict:
    """A claim region; ``copies``: how many later identical paragraphs repeat it (they take this region's
    correction, so the annotator is told to correct it here once)."""
    notes = [_META_KIND + claim.kind, _META_SPEAKER + (claim.speaker or "(unattributed)")]
    if claim.stance_probs:  # the annotator sees how sure the stance model was of each class
        notes.append(_META_STANCE_P + ", ".join(f"{k} {v:.2f}" for k, v in claim.stance_probs))
    if copies:
        notes.append(_META_REPEATED + ("1 later copy of this paragraph takes" if copies == 1 else
                                       f"{copies} later copies of this paragraph take") + " this correction")
    return {
        "id": region_id,
        "from_name": CLAIM_FROM,
        "to_name": TO_NAME,
        "type": "labels",
        "value": {"start": claim.start, "end": claim.end, "text": claim.text, "labels": [CLAIM_LABEL]},
        # Label Studio shows the notes run together in the region's Info panel: each but the last ends a line
        "meta": {"text": [n + "\n" for n in notes[:-1]] + notes[-1:]},
        "score": claim.confidence,
    }


def stance_result(claim: Claim, region_id: str) -> dict:
    """The per-region stance choice: same id as its claim region, so Label Studio attaches it there."""
    return {
        "id": region_id,
        "from_name": STANCE_FROM,
        "to_name": TO_NAME,
        "type": "choices",
        "value": {"start": claim.start, "end": claim.end, "text": claim.text, "choices": [claim.stance]},
        "score": claim.confidence,
    }


def relation_result(actor_id: str, claim_id: str) -> dict:
    return {"type": "relation", "from_id": actor_id, "to_id": claim_id, "direction": "right", "labels": [RELATION_LABEL]}


def prediction_result(item: AnnotatedArticle) -> list[dict]:
    """The ``result`` list of one prediction: actors, claims, stances, then ``said`` relations.

    Later copies of a repeated paragraph are left empty: the annotator corrects the first copy once, and
    whoever reads the result back gives the copies its annotations (see ``plugin.copies``)."""
    copies = find_copies(item.article.text)
    item = without_copies(item, copies)
    result: list[dict] = []
    actor_ids: dict[tuple[int, int], str] = {}
    for n, actor in enumerate(item.actors, start=1):
        rid = f"a{n}"
        actor_ids[(actor.start, actor.end)] = rid
        result.append(entity_region(actor, rid))
    relations = []
    for n, claim in enumerate(item.claims, start=1):
        rid = f"c{n}"
        result.append(claim_region(claim, rid, copies=copies_of(claim.start, claim.end, copies)))
        result.append(stance_result(claim, rid))
        if claim.speaker_span is not None and tuple(claim.speaker_span) in actor_ids:
            relations.append(relation_result(actor_ids[tuple(claim.speaker_span)], rid))
    return result + relations


def to_task(item: AnnotatedArticle, *, extra_data: Mapping | None = None) -> dict:
    """A Label Studio task with one prediction for an annotated article (``extra_data``: the story's fields)."""
    data = {"text": item.article.text, "doc_id": item.article.doc_id, **(extra_data or {})}
    for key, value in item.article.meta.items():
        data.setdefault(key, value)
    scores = [c.confidence for c in item.claims]
    return {
        "data": data,
        "predictions": [
            {
                "model_version": item.model_version or "stancedesk",
                "score": round(sum(scores) / len(scores), 3) if scores else 1.0,
                "result": prediction_result(item),
            }
        ],
    }


def check_task(task: Mapping) -> None:
    """Raise ``TaskError`` if any region of the task's predictions does not fit its text."""
    text = task.get("data", {}).get("text")
    if not isinstance(text, str):
        raise TaskError("task has no data.text string")
    for pred in task.get("predictions", []):
        for r in pred.get("result", []):
            if r.get("type") == "relation":
                continue
            v = r.get("value", {})
            start, end = v.get("start"), v.get("end")
            if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
                raise TaskError(f"task {task['data'].get('doc_id')}: region {r.get('id')} has offsets {start}..{end} outside the text")
            if text[start:end] != v.get("text"):
                raise TaskError(
                    f"task {task['data'].get('doc_id')}: region {r.get('id')} text {v.get('text')!r} != text[{start}:{end}] {text[start:end]!r}"
                )


# -- result -> records ------------------------------------------------------------
INVALID_STANCE = ""  # a stance choice that is none of STANCES: no stance, never learnt


def _offset(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def annotated_from_result(text: str, result: Iterable[Mapping], *, doc_id: str = "", meta: Mapping | None = None,
                          model_version: str | None = None, problems: list[str] | None = None) -> AnnotatedArticle:
    """Turn a Label Studio result list (prediction or annotation) back into records.

    A region that does not fit the text raises ``TaskError`` naming it; when a
    ``problems`` list is given, the region is left out of the records and the
    problem appended there instead (the caller keeps the raw result).

    A later copy of a repeated paragraph with nothing marked in it takes the
    marks of its first copy (``plugin.copies``): one correction counts for all.
    """

    def bad(message: str) -> None:
        if problems is None:
            raise TaskError(message)
        problems.append(message)

    result = list(result)
    actors: dict[str, Actor] = {}
    claim_regions: dict[str, Mapping] = {}
    stances: dict[str, str] = {}
    stance_scores: dict[str, float] = {}
    speakers: dict[str, str] = {}
    for n, r in enumerate(result):
        if not isinstance(r, Mapping):
            bad(f"{doc_id}: result item {n} is not a region object: {str(r)[:60]!r}")
            continue
        kind = r.get("type")
        if kind == "relation":
            if RELATION_LABEL in (r.get("labels") or [RELATION_LABEL]):
                # "left" means the arrow runs from to_id to from_id
                source, target = r.get("from_id"), r.get("to_id")
                if r.get("direction") == "left":
                    source, target = target, source
                speakers[target] = source
            continue
        v = r.get("value")
        rid = r.get("id")
        if not isinstance(v, Mapping):
            bad(f"{doc_id}: region {rid} has no value object (got {str(v)[:40]!r})")
            continue
        if kind == "labels":
            start, end = v.get("start"), v.get("end")
            if not (_offset(start) and _offset(end) and 0 <= start < end <= len(text)):
                bad(f"{doc_id}: region {rid} has offsets {start}..{end} outside the text ({len(text)} chars)")
                continue
            if "text" in v and v["text"] != text[start:end]:
                bad(f"{doc_id}: region {rid} text {v['text']!r} != text[{start}:{end}] {text[start:end]!r}")
                continue
            labels = v.get("labels") or []
            if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
                bad(f"{doc_id}: region {rid} labels {str(labels)[:40]!r} are not a list of label names")
                continue
            if r.get("from_name") == ACTOR_FROM and labels and labels[0] not in ACTOR_LABELS:
                bad(f"{doc_id}: region {rid} has the unknown actor label {labels[0]!r}; expected one of {list(ACTOR_LABELS)}")
                continue
            if r.get("from_name") == ACTOR_FROM and labels and labels[0] in ACTOR_LABELS:
                canonical = _meta_value(r, _META_CANONICAL) or text[start:end]
                actors[rid] = Actor(start, end, labels[0], text[start:end], canonical)
            elif r.get("from_name") == CLAIM_FROM:
                claim_regions[rid] = r
        elif kind == "choices" and r.get("from_name") == STANCE_FROM:
            choices = v.get("choices") or []
            if not isinstance(choices, list) or not all(isinstance(x, str) for x in choices):
                bad(f"{doc_id}: region {rid} stance choices {str(choices)[:40]!r} are not a list of choice names")
                stances[rid] = INVALID_STANCE
            elif choices and choices[0] not in STANCES:
                bad(f"{doc_id}: region {rid} has the unknown stance {choices[0]!r}; expected one of {list(STANCES)}")
                stances[rid] = INVALID_STANCE  # kept out of what stance models learn, counted where they train
            elif choices:
                stances[rid] = choices[0]
                if isinstance(r.get("score"), (int, float)):
                    stance_scores[rid] = float(r["score"])
    claims = []
    for rid, r in claim_regions.items():
        v = r["value"]
        start, end = v["start"], v["end"]
        speaker_actor = actors.get(speakers.get(rid))
        speaker_name = _meta_value(r, _META_SPEAKER)
        if speaker_actor is None:
            speaker_name = None
        elif not speaker_name or speaker_name == "(unattributed)":
            speaker_name = speaker_actor.canonical
        claims.append(
            Claim(
                start=start,
                end=end,
                text=text[start:end],
                kind=_meta_value(r, _META_KIND) or _infer_kind(text, start, end),
                speaker=speaker_name,
                speaker_span=(speaker_actor.start, speaker_actor.end) if speaker_actor else None,
                stance=stances.get(rid, "neutral"),
                confidence=stance_scores.get(rid, 1.0),
                stance_probs=_stance_probs(_meta_value(r, _META_STANCE_P)),
            )
        )
    article = Article(doc_id=doc_id, text=text, meta=MappingProxyType(dict(meta or {})))
    return with_copies(AnnotatedArticle(
        article=article,
        actors=tuple(sorted(actors.values(), key=lambda a: (a.start, a.end))),
        claims=tuple(sorted(claims, key=lambda c: (c.start, c.end))),
        model_version=model_version,
    ))


def annotated_from_task(task: Mapping) -> AnnotatedArticle:
    """Records of a task's first prediction (as written by ``to_task``)."""
    data = task.get("data")
    if not isinstance(data, Mapping) or not isinstance(data.get("text"), str):
        raise TaskError("task has no data.text string; expected Label Studio tasks as written by 'stancedesk preannotate'")
    preds = task.get("predictions") or []
    result = preds[0].get("result", []) if preds else []
    meta = {k: v for k, v in data.items() if k not in ("text", "doc_id")}
    return annotated_from_result(
        data["text"], result, doc_id=str(data.get("doc_id", "")), meta=meta,
        model_version=preds[0].get("model_version") if preds else None,
    )


def _meta_value(region: Mapping, prefix: str) -> str | None:
    meta = region.get("meta")
    notes = meta.get("text") if isinstance(meta, Mapping) else None
    for note in notes if isinstance(notes, list) else []:
        if isinstance(note, str) and note.startswith(prefix):
            return note[len(prefix):].rstrip("\n")
    return None


def _stance_probs(note: str | None) -> tuple[tuple[str, float], ...] | None:
    """"support 0.12, oppose 0.71, neutral 0.17" back to pairs; None when absent or edited beyond reading."""
    if not note:
        return None
    try:
        pairs = tuple((k, float(v)) for k, v in (part.split() for part in note.split(",")))
    except ValueError:
        return None
    return pairs if all(k in STANCES for k, _ in pairs) else None


def _infer_kind(text: str, start: int, end: int) -> str:
    before = text[max(0, start - 1):start]
    return "direct" if before and before in _QUOTE_MARKS else "indirect"
