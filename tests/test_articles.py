"""plugin/articles.py: reading .txt, directories and .jsonl into Article records."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from plugin.articles import read_articles
from plugin.errors import InputError


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


# -- .txt -------------------------------------------------------------------------
def test_txt_file_gives_one_article_with_stem_as_id(tmp_path):
    f = tmp_path / "story_1.txt"
    f.write_text("Talks begin\n\nThe envoys met on Monday.\n", encoding="utf-8")

    [article] = read_articles([f])

    assert article.doc_id == "story_1"
    assert article.text == "Talks begin\n\nThe envoys met on Monday.\n"
    assert article.meta["source"] == "story_1.txt"
    assert article.meta["title"] == "Talks begin"


def test_txt_title_skips_page_furniture_lines(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("Subscribe\n\nTalks begin in Geneva\nThe envoys met.", encoding="utf-8")

    [article] = read_articles([f])

    assert article.meta["title"] == "Talks begin in Geneva"


def test_txt_line_endings_and_bom_are_normalised(tmp_path):
    f = tmp_path / "a.txt"
    f.write_bytes("\ufeffLine one\r\nLine two\rLine three".encode("utf-8"))

    [article] = read_articles([f])

    assert article.text == "Line one\nLine two\nLine three"


def test_path_given_as_string_is_accepted(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("Some text.", encoding="utf-8")

    assert [a.doc_id for a in read_articles([str(f)])] == ["a"]


def test_article_meta_is_read_only(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("Some text.", encoding="utf-8")

    [article] = read_articles([f])

    with pytest.raises(TypeError):
        article.meta["title"] = "changed"  # type: ignore[index]


# -- directories and the metadata.json sidecar --------------------------------------
def test_directory_reads_txt_and_jsonl_in_name_order_and_ignores_other_files(tmp_path):
    (tmp_path / "b.txt").write_text("Second story.", encoding="utf-8")
    (tmp_path / "a.txt").write_text("First story.", encoding="utf-8")
    write_jsonl(tmp_path / "c.jsonl", [{"id": "c1", "text": "Third story."}])
    (tmp_path / "notes.md").write_text("not an article", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.txt").write_text("Not read: subdirectories are not walked.", encoding="utf-8")

    assert [a.doc_id for a in read_articles([tmp_path])] == ["a", "b", "c1"]


def test_metadata_sidecar_adds_metadata_to_txt_files(tmp_path):
    (tmp_path / "a.txt").write_text("Headline from text\nBody.", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Other headline\nBody.", encoding="utf-8")
    (tmp_path / "metadata.json").write_text(
        json.dumps({"_comment": "ignored: not an object", "a": {"outlet": "Daily Example", "date": "2022-01-27", "title": "Given title"}}),
        encoding="utf-8",
    )

    a, b = read_articles([tmp_path])

    assert dict(a.meta) == {"source": "a.txt", "outlet": "Daily Example", "date": "2022-01-27", "title": "Given title"}
    assert dict(b.meta) == {"source": "b.txt", "title": "Other headline"}


def test_metadata_sidecar_that_is_not_json_is_an_input_error(tmp_path):
    (tmp_path / "a.txt").write_text("Some text.", encoding="utf-8")
    (tmp_path / "metadata.json").write_text("{not json", encoding="utf-8")

    with pytest.raises(InputError, match=r"metadata\.json: not valid JSON"):
        list(read_articles([tmp_path]))


def test_metadata_sidecar_that_is_not_an_object_is_an_input_error(tmp_path):
    (tmp_path / "a.txt").write_text("Some text.", encoding="utf-8")
    (tmp_path / "metadata.json").write_text("[1, 2]", encoding="utf-8")

    with pytest.raises(InputError, match=r"metadata\.json: must be a JSON object"):
        list(read_articles([tmp_path]))


# -- .jsonl ---------------------------------------------------------------------------
def test_jsonl_ids_metadata_and_generated_ids(tmp_path):
    f = write_jsonl(
        tmp_path / "batch.jsonl",
        [
            {"id": "x1", "text": "First text.", "outlet": "Example Post"},
            {"doc_id": "d2", "id": "ignored", "text": "Second text."},
            {"id": 7, "text": "Third text."},
            {"text": "Fourth text has no id.", "title": "Own title"},
            {"id": "", "text": "Empty id means generated."},
        ],
    )

    articles = list(read_articles([f]))

    assert [a.doc_id for a in articles] == [
        "x1",
        "d2",
        "7",
        hashlib.sha1("Fourth text has no id.".encode("utf-8")).hexdigest()[:16],
        hashlib.sha1("Empty id means generated.".encode("utf-8")).hexdigest()[:16],
    ]
    assert dict(articles[0].meta) == {"outlet": "Example Post", "source": "batch.jsonl:1", "title": "First text."}
    assert "id" not in articles[1].meta and "doc_id" not in articles[1].meta
    assert articles[3].meta["title"] == "Own title"
    assert articles[3].meta["source"] == "batch.jsonl:4"


def test_jsonl_generated_id_is_stable_across_reads(tmp_path):
    f = write_jsonl(tmp_path / "batch.jsonl", [{"text": "No id here."}])

    assert [a.doc_id for a in read_articles([f])] == [a.doc_id for a in read_articles([f])]


def test_jsonl_blank_lines_are_skipped_and_text_is_kept_exactly(tmp_path):
    f = tmp_path / "batch.jsonl"
    f.write_text('\n{"id": "a", "text": "  Kept as is.\\r\\n"}\n\n', encoding="utf-8")

    [article] = read_articles([f])

    assert article.text == "  Kept as is.\r\n"


# -- user-facing errors ------------------------------------------------------------------
def test_missing_path(tmp_path):
    with pytest.raises(InputError, match=r"nope\.txt: no such file or directory"):
        list(read_articles([tmp_path / "nope.txt"]))


@pytest.mark.parametrize("content", [b"", b"   \n\t\n"], ids=["zero-bytes", "whitespace-only"])
def test_empty_file(tmp_path, content):
    f = tmp_path / "empty.txt"
    f.write_bytes(content)

    with pytest.raises(InputError, match=r"empty\.txt: file is empty"):
        list(read_articles([f]))


def test_file_with_only_a_bom_is_empty(tmp_path):
    f = tmp_path / "bom.txt"
    f.write_bytes(b"\xef\xbb\xbf\n")

    with pytest.raises(InputError, match=r"file is empty"):
        list(read_articles([f]))


def test_binary_file_with_nul_bytes(tmp_path):
    f = tmp_path / "image.txt"
    f.write_bytes(b"GIF89a\x00\x01\x02 some text")

    with pytest.raises(InputError, match=r"image\.txt: looks like a binary file \(NUL bytes\)"):
        list(read_articles([f]))


def test_non_utf8_file_names_the_byte(tmp_path):
    f = tmp_path / "latin1.txt"
    f.write_bytes("Caf\u00e9 talks".encode("latin-1"))

    with pytest.raises(InputError, match=r"latin1\.txt: not valid UTF-8 \(byte 3\); re-encode it as UTF-8"):
        list(read_articles([f]))


def test_empty_directory(tmp_path):
    (tmp_path / "notes.md").write_text("not an article", encoding="utf-8")

    with pytest.raises(InputError, match=r"directory holds no \.txt or \.jsonl files"):
        list(read_articles([tmp_path]))


def test_bad_json_line_names_the_line_number(tmp_path):
    f = tmp_path / "batch.jsonl"
    f.write_text('{"id": "a", "text": "Fine."}\n\n{"id": "b", "text": \n', encoding="utf-8")

    with pytest.raises(InputError, match=r"batch\.jsonl:3: not valid JSON"):
        list(read_articles([f]))


def test_json_line_that_is_not_an_object(tmp_path):
    f = tmp_path / "batch.jsonl"
    f.write_text('["a", "list"]\n', encoding="utf-8")

    with pytest.raises(InputError, match=r"batch\.jsonl:1: expected a JSON object with a 'text' field, got list"):
        list(read_articles([f]))


@pytest.mark.parametrize(
    "record",
    [{"id": "a"}, {"id": "a", "text": ""}, {"id": "a", "text": "   "}, {"id": "a", "text": 42}],
    ids=["no-text", "empty-text", "blank-text", "text-not-a-string"],
)
def test_record_without_text(tmp_path, record):
    f = write_jsonl(tmp_path / "batch.jsonl", [{"id": "ok", "text": "Fine."}, record])

    with pytest.raises(InputError, match=r"batch\.jsonl:2: record has no non-empty 'text' string"):
        list(read_articles([f]))


def test_duplicate_doc_id_within_a_jsonl_file(tmp_path):
    f = write_jsonl(tmp_path / "batch.jsonl", [{"id": "same", "text": "One."}, {"id": "same", "text": "Two."}])

    with pytest.raises(InputError, match=r"doc_id 'same' appears twice"):
        list(read_articles([f]))


def test_duplicate_doc_id_across_inputs(tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    (tmp_path / "one" / "story.txt").write_text("First copy.", encoding="utf-8")
    (tmp_path / "two" / "story.txt").write_text("Second copy.", encoding="utf-8")

    with pytest.raises(InputError, match=r"doc_id 'story' appears twice; give each article a unique id"):
        list(read_articles([tmp_path / "one", tmp_path / "two"]))
