"""The Word briefing: reopened with python-docx and checked for structure, merging and sources."""

from __future__ import annotations

import json
from dataclasses import replace
from types import MappingProxyType

import pytest
from docx import Document

from exporters.briefing import BriefingError, BriefingInfo, merge_claims, write_briefing
from plugin.evaluate import read_gold

TARGET = "Russia's security demands on NATO and the U.S."


@pytest.fixture(scope="module")
def seed_items(repo_root):
    meta = {k: v for k, v in json.loads((repo_root / "seeds" / "metadata.json").read_text()).items() if isinstance(v, dict)}
    return [replace(i, article=replace(i.article, meta=MappingProxyType(meta.get(i.article.doc_id, {}))))
            for i in read_gold(repo_root / "tests" / "data" / "seeds_gold.jsonl")]


@pytest.fixture(scope="module")
def brief(seed_items, tmp_path_factory):
    path = tmp_path_factory.mktemp("brief") / "brief.docx"
    write_briefing(seed_items, path, BriefingInfo(target=TARGET, title="Russia-NATO talks", model_versions=("m1",), annotators=2))
    return Document(str(path))


def _texts(doc, style):
    return [p.text for p in doc.paragraphs if p.style.name == style]


def test_structure_uses_word_styles(brief):
    assert _texts(brief, "Title") == ["Russia-NATO talks"]
    assert _texts(brief, "Heading 1") == ["Bottom line up front", "Actors", "Claims by actor", "Sources", "Methods"]
    assert "Vladimir Putin" in _texts(brief, "Heading 2")
    assert _texts(brief, "Heading 2")[-1] == "Unattributed claims"
    assert brief.core_properties.title == "Russia-NATO talks" and brief.core_properties.subject == TARGET
    assert brief.core_properties.author == "stancedesk"


def test_bottom_line_is_derived_from_the_data(brief):
    bluf = _texts(brief, "List Bullet")[:6]
    assert any(s.startswith("Supporting") and "claims)" in s for s in bluf)
    assert any(s.startswith("Opposing") for s in bluf)
    assert any("most quoted speaker" in s for s in bluf)


def test_tables_and_chart(brief, seed_items):
    actors, sources = brief.tables
    assert [c.text for c in actors.rows[0].cells] == ["Actor", "Mentions", "Claims", "Support", "Oppose", "Neutral", "Sources"]
    assert len(sources.rows) == 1 + len(seed_items)
    assert "Bloomberg" in [r.cells[0].text for r in sources.rows]
    assert len(brief.inline_shapes) == 1  # the stance-by-actor chart


def test_quotes_are_marked_and_reprints_merged(brief):
    bullets = _texts(brief, "List Bullet")
    peskov = [b for b in bullets if b.startswith("\u201cWe would like to hope")]
    assert len(peskov) == 1, "the wire paragraph reprinted by two outlets appears once"
    assert "Stars and Stripes" in peskov[0] and "Bloomberg (2021-12-22)" in peskov[0]
    assert any(b.startswith("Reported: ") for b in bullets)


def test_merge_claims_keeps_distinct_speakers_apart(seed_items):
    entries = merge_claims(seed_items)
    assert len(entries) < sum(len(i.claims) for i in seed_items)
    keys = [(e.speaker, " ".join(e.text.lower().split())) for e in entries]
    assert len(keys) == len(set(keys))


def test_an_empty_store_is_a_clear_message_not_an_empty_document(tmp_path):
    with pytest.raises(BriefingError, match=r"no annotated articles to brief on"):
        write_briefing([], tmp_path / "b.docx", BriefingInfo(target=TARGET, title="Russia-NATO talks"))
    assert list(tmp_path.iterdir()) == []


def test_output_that_is_a_directory(seed_items, tmp_path):
    with pytest.raises(BriefingError, match=r"is a directory; give a file name"):
        write_briefing(seed_items, tmp_path, BriefingInfo(target=TARGET, title="Russia-NATO talks"))


def test_machine_output_is_visibly_marked(seed_items, tmp_path):
    path = write_briefing(seed_items, tmp_path / "b.docx", BriefingInfo(target=TARGET, title="Russia-NATO talks"),
                          machine_ids=frozenset({seed_items[2].article.doc_id}))
    doc = Document(str(path))
    assert any("[machine]" in b for b in _texts(doc, "List Bullet"))
    assert _texts(doc, "Intense Quote")


def _bind(app, project_id: int = 1) -> None:
    """Bind the Label Studio project to the example story, as 'stancedesk push --story russia-nato' does."""
    app.extensions["stancedesk"].store.bind_project(project_id, "russia-nato", "Russia-NATO talks")


def _deliver(client, webhook_secret, seed_items):
    for n, gold in enumerate(seed_items[:3], start=1):
        result = []
        for k, c in enumerate(gold.claims):
            for name, extra in (("claim", {"labels": ["CLAIM"]}), ("stance", {"choices": [c.stance]})):
                result.append({"id": f"c{k}", "from_name": name, "to_name": "text",
                               "type": "labels" if name == "claim" else "choices",
                               "value": {"start": c.start, "end": c.end, "text": c.text, **extra}})
        data = {"text": gold.article.text, "doc_id": gold.article.doc_id, **dict(gold.article.meta)}
        body = {"action": "ANNOTATION_CREATED", "project": {"id": 1}, "task": {"id": n, "data": data},
                "annotation": {"id": n, "task": n, "result": result, "updated_at": "2026-01-01T10:00:00Z"}}
        assert client.post("/webhook", json=body, headers={"X-Stancedesk-Secret": webhook_secret}).status_code == 200
    last = seed_items[3]
    body = {"action": "TASKS_CREATED", "project": {"id": 1},
            "tasks": [{"id": 4, "data": {"text": last.article.text, "doc_id": last.article.doc_id}}]}
    assert client.post("/webhook", json=body, headers={"X-Stancedesk-Secret": webhook_secret}).status_code == 200


@pytest.mark.model
def test_export_briefing_cli_from_the_store(client, app, seed_items, tmp_path, monkeypatch, capsys, webhook_secret, reuse_nlp):
    from plugin.cli import main

    _bind(app)
    _deliver(client, webhook_secret, seed_items)
    monkeypatch.setenv("STANCEDESK_HOME", str(app.extensions["stancedesk"].settings.home))
    assert main(["export", "briefing", "-o", str(tmp_path / "b.docx"), "--story", "russia-nato"]) == 0
    assert "3 articles (0 unreviewed" in capsys.readouterr().out
    doc = Document(str(tmp_path / "b.docx"))
    assert _texts(doc, "Title") == ["Russia-NATO security talks, Dec 2021 - Feb 2022"]  # the story's title
    assert doc.core_properties.subject == TARGET
    assert main(["export", "briefing", "-o", str(tmp_path / "m.docx"), "--include-unreviewed", "--story", "russia-nato"]) == 0
    assert "4 articles (1 unreviewed" in capsys.readouterr().out
    doc = Document(str(tmp_path / "m.docx"))
    assert any("[machine]" in p.text for p in doc.paragraphs)


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
    import re

    from plugin.cli import main

    (tmp_path / "exists.txt").write_text("x")
    monkeypatch.setenv("STANCEDESK_HOME", str(tmp_path / "home"))
    argv = ["export", "briefing", *[a.format(tmp=tmp_path) for a in extra], "--story", "russia-nato"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("stancedesk: error: ") and err.count("\n") == 1 and re.search(message, err), err
    assert not (tmp_path / "no").exists() and not (tmp_path / "b.docx").exists()


@pytest.mark.model
def test_export_endpoints(app, client, seed_items, webhook_secret):
    import io
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
    assert _texts(Document(io.BytesIO(r.data)), "Heading 1")[0] == "Bottom line up front"
    r = client.get("/exports/briefing.docx?project=1", headers=auth)  # the project's story: the same briefing
    assert r.status_code == 200
    assert _texts(Document(io.BytesIO(r.data)), "Heading 1")[0] == "Bottom line up front"
    r = client.get("/exports/training.zip?story=russia-nato", headers=auth)
    assert r.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(r.data)).namelist()
    assert {"train.spacy", "dev.spacy", "config.cfg", "report.json"} <= set(names)
