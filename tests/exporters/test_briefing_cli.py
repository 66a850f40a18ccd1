"""`stancedesk export briefing` and GET /exports/briefing.*: from a store filled through the webhook."""

from __future__ import annotations

import io
import re

import pytest
from docx import Document


TARGET = "Russia's security demands on NATO and the U.S."


@pytest.fixture(scope="module")
def seed_items(seed_gold_with_meta):
    return seed_gold_with_meta


def _texts(doc, style):
    return [p.text for p in doc.paragraphs if p.style.name == style]


def _bind(app, project_id: int = 1) -> None:
    """Bind the Label Studio project to the example story, as 'stancedesk push --story russia-nato' does."""
    app.extensions["stancedesk"].store.bind_project(project_id, "russia-nato", "Russia-NATO talks")


def _result(gold, stances):
    result = []
    for k, (c, stance) in enumerate(zip(gold.claims, stances)):
        for name, extra in (("claim", {"labels": ["CLAIM"]}), ("stance", {"choices": [stance]})):
            region = {"id": f"c{k}", "from_name": name, "to_name": "text", "type": "labels" if name == "claim" else "choices",
                      "value": {"start": c.start, "end": c.end, "text": c.text, **extra}}
            if name == "stance":
                region["score"] = 0.8
            result.append(region)
    return result


def _deliver(client, webhook_secret, seed_items, tasks=(1, 2, 3)):
    """Annotations of the first seed articles: the machine's stances, the annotator changed the first claim's."""
    for n in tasks:
        gold = seed_items[n - 1]
        flipped = {"support": "oppose", "oppose": "neutral", "neutral": "support"}
        machine = [flipped[gold.claims[0].stance]] + [c.stance for c in gold.claims[1:]]
        data = {"text": gold.article.text, "doc_id": gold.article.doc_id, **dict(gold.article.meta)}
        body = {"action": "ANNOTATION_CREATED", "project": {"id": 1}, "task": {"id": n, "data": data},
                "annotation": {"id": n, "task": n, "result": _result(gold, [c.stance for c in gold.claims]),
                               "prediction": {"model_version": "m1", "result": _result(gold, machine)},
                               "updated_at": "2026-01-01T10:00:00Z"}}
        assert client.post("/webhook", json=body, headers={"X-Stancedesk-Secret": webhook_secret}).status_code == 200
    last = seed_items[3]
    body = {"action": "TASKS_CREATED", "project": {"id": 1},
            "tasks": [{"id": 4, "data": {"text": last.article.text, "doc_id": last.article.doc_id, **dict(last.article.meta)}}]}
    assert client.post("/webhook", json=body, headers={"X-Stancedesk-Secret": webhook_secret}).status_code == 200


@pytest.mark.model
def test_export_briefing_cli_from_the_store(client, app, seed_items, tmp_path, monkeypatch, capsys, webhook_secret, reuse_nlp):
    from plugin.cli import main

    _bind(app)
    _deliver(client, webhook_secret, seed_items, tasks=(1, 2))
    monkeypatch.setenv("STANCEDESK_HOME", str(app.extensions["stancedesk"].settings.home))
    argv = ["export", "briefing", "--story", "russia-nato", "--paraphrase", "lexical"]
    assert main(argv + ["-o", str(tmp_path / "b.docx")]) == 0
    out = capsys.readouterr().out
    assert "2 articles (0 unreviewed" in out and "what changed: first briefing of this story" in out
    doc = Document(str(tmp_path / "b.docx"))
    assert _texts(doc, "Title") == ["Russia-NATO security talks, Dec 2021 - Feb 2022"]  # the story's title
    assert doc.core_properties.subject == TARGET
    method = " ".join(p.text for p in doc.paragraphs)
    claims = len(seed_items[0].claims) + len(seed_items[1].claims)
    assert (f"Where the {claims} stances came from: {claims - 2} machine labels an annotator confirmed unchanged; "
            "2 changed by an annotator; 0 added by an annotator; 0 machine-only") in method
    assert ("Confidence of the machine's stance labels: confirmed unchanged: mean 0.80, range 0.80\u20130.80 "
            f"({claims - 2} claims); later changed by an annotator: mean 0.80") in method

    _deliver(client, webhook_secret, seed_items, tasks=(3,))
    assert main(argv + ["-o", str(tmp_path / "m.docx"), "--include-unreviewed"]) == 0
    out = capsys.readouterr().out
    assert "4 articles (1 unreviewed" in out and re.search(r"what changed: since the briefing of \d{4}-\d\d-\d\d", out)
    doc = Document(str(tmp_path / "m.docx"))
    assert any("[machine" in p.text for p in doc.paragraphs)
    changed = next(p.text for p in doc.paragraphs if p.text.startswith("2 new articles."))
    assert "New speakers: " in changed

    # --since: the period starts there, and what changed compares with the articles dated before it
    assert main(argv + ["-o", str(tmp_path / "s.docx"), "--include-unreviewed", "--since", "2022-01-01"]) == 0
    out = capsys.readouterr().out
    assert "1 articles (1 unreviewed" in out and "what changed: since 2022-01-01" in out
    doc = Document(str(tmp_path / "s.docx"))
    assert "What changed since 2022-01-01" in _texts(doc, "Heading 1")
    assert next(p.text for p in doc.paragraphs if p.text.startswith("Period:")).startswith("Period: 27 Jan 2022 to 27 Jan 2022.")
    assert any(p.text.startswith("1 new article. ") for p in doc.paragraphs)
    assert main(argv + ["-o", str(tmp_path / "none.docx"), "--since", "2030-01-01"]) == 2
    assert re.search(r"none of the story's 3 articles is dated from 2030-01-01 to the latest \(2 undated\); widen "
                     r"--since/--until", capsys.readouterr().err)
    assert not (tmp_path / "none.docx").exists()


def test_export_briefing_cli_on_an_empty_store(tmp_path, monkeypatch, capsys):
    from plugin.cli import main

    monkeypatch.setenv("STANCEDESK_HOME", str(tmp_path / "home"))
    assert main(["export", "briefing", "-o", str(tmp_path / "b.docx"), "--story", "russia-nato"]) == 2
    assert capsys.readouterr().err.startswith("stancedesk: error: no annotated articles to brief on")
    assert not (tmp_path / "b.docx").exists()


@pytest.mark.parametrize(
    "extra, message",
    [
        (["-o", "{tmp}/exists.txt/b.docx"], r"exists.txt is not a directory; choose another output path"),
        (["-o", "/proc/version/b.docx"], r"/proc/version is not a directory"),
        (["-o", "{tmp}/no/such/dir/b.docx"], r"directory .*/no/such/dir does not exist; create it first"),
        (["-o", "{tmp}"], r"is a directory; give a file name inside it"),
        (["-o", "{tmp}/b.docx", "--since", "notadate"], r"--since 'notadate' is not a date; give it as YYYY-MM-DD"),
        (["-o", "{tmp}/b.docx", "--since", "2022-13-45"], r"--since '2022-13-45' is not a date"),
        (["-o", "{tmp}/b.docx", "--since", "2022-02-01", "--until", "2022-01-01"],
         r"--until 2022-01-01 is before --since 2022-02-01; give a period that ends after it starts"),
    ],
    ids=["parent-is-a-file", "parent-in-proc", "missing-directories", "directory", "not-a-date", "impossible-date",
         "period-backwards"],
)
def test_export_briefing_cli_names_a_bad_output_or_period(tmp_path, monkeypatch, capsys, extra, message):
    from plugin.cli import main

    (tmp_path / "exists.txt").write_text("x")
    monkeypatch.setenv("STANCEDESK_HOME", str(tmp_path / "home"))
    argv = ["export", "briefing", *[a.format(tmp=tmp_path) for a in extra], "--story", "russia-nato"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("stancedesk: error: ") and err.count("\n") == 1 and re.search(message, err), err
    assert not (tmp_path / "no").exists() and not (tmp_path / "b.docx").exists()


@pytest.mark.model
def test_pdf_without_libreoffice_says_how_to_get_it(client, app, seed_items, tmp_path, monkeypatch, capsys, webhook_secret):
    from plugin.cli import main

    _bind(app)
    _deliver(client, webhook_secret, seed_items, tasks=(1,))
    monkeypatch.setenv("STANCEDESK_HOME", str(app.extensions["stancedesk"].settings.home))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))  # no soffice on it
    (tmp_path / "out").mkdir()
    assert main(["export", "briefing", "-o", str(tmp_path / "out" / "b.pdf"), "--story", "russia-nato"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and re.search(r"a PDF briefing needs LibreOffice, .* apt-get install libreoffice-writer", err), err
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.model
def test_export_endpoints(app, client, seed_items, webhook_secret):
    import zipfile

    auth = {"X-Stancedesk-Secret": webhook_secret}
    assert client.get("/exports/briefing.docx?story=russia-nato").status_code == 401
    r = client.get("/exports/briefing.docx?story=russia-nato", headers=auth)
    assert r.status_code == 404 and "no annotated articles" in r.get_json()["message"]
    r = client.get("/exports/training.zip?story=russia-nato", headers=auth)
    assert r.status_code == 404 and "no human-corrected annotations" in r.get_json()["message"]
    _bind(app)
    _deliver(client, webhook_secret, seed_items)
    r = client.get("/exports/briefing.docx?story=russia-nato", headers=auth)
    assert r.status_code == 200
    assert _texts(Document(io.BytesIO(r.data)), "Heading 1")[0] == "Bottom line"
    r = client.get("/exports/briefing.docx?project=1", headers=auth)  # the project's story: the same briefing
    assert r.status_code == 200
    doc = Document(io.BytesIO(r.data))
    assert any(h.startswith("What changed since the briefing of ") for h in _texts(doc, "Heading 1"))
    r = client.get("/exports/briefing.pdf?story=russia-nato", headers=auth)  # rendered by LibreOffice
    assert r.status_code == 200 and r.mimetype == "application/pdf" and r.data.startswith(b"%PDF-")
    r = client.get("/exports/training.zip?story=russia-nato", headers=auth)
    assert r.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(r.data)).namelist()
    assert {"train.spacy", "dev.spacy", "config.cfg", "report.json"} <= set(names)
