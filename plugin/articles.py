"""Reading inputs into ``Article`` records: .txt files, directories of them, and .jsonl.

The text of an article is kept exactly as read (boilerplate lines are marked
by the pipeline, not removed), so every offset refers to the input.
A ``metadata.json`` beside .txt files (``{"<file stem>": {"outlet": ..., ...}}``)
adds metadata to them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from types import MappingProxyType
from typing import Iterable, Iterator

from plugin.errors import InputError
from plugin.pipeline import language
from plugin.records import Article

METADATA_FILE = "metadata.json"
_ID_KEYS = ("doc_id", "id")


def read_articles(paths: Iterable[str | Path]) -> Iterator[Article]:
    """Yield the articles of every input path, in order.

    Args:
        paths: .txt files, .jsonl files, or directories holding them.

    Raises:
        InputError: a path is missing, empty, binary, not UTF-8, or a JSONL line is malformed.
    """
    seen: set[str] = set()
    for path in map(Path, paths):
        for article in _read_path(path):
            if article.doc_id in seen:
                raise InputError(f"{path}: doc_id {article.doc_id!r} appears twice; give each article a unique id")
            seen.add(article.doc_id)
            yield article


def _read_path(path: Path) -> Iterator[Article]:
    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (".txt", ".jsonl") and p.is_file())
        if not files:
            raise InputError(f"{path}: directory holds no .txt or .jsonl files")
        for f in files:
            yield from _read_path(f)
        return
    if path.suffix == ".jsonl":
        yield from _read_jsonl(path)
    else:
        yield _read_txt(path)


def _read_text(path: Path) -> str:
    data = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
    if not data.strip():
        raise InputError(f"{path}: file is empty; an article needs some text")
    if b"\x00" in data:
        raise InputError(f"{path}: looks like a binary file (NUL bytes); give a UTF-8 text file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not valid UTF-8 (byte {e.start}); re-encode it as UTF-8") from e
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _read_txt(path: Path) -> Article:
    text = _read_text(path)
    meta = {"source": path.name, **_sidecar_metadata(path.parent).get(path.stem, {})}
    meta.setdefault("title", _first_line(text))
    return Article(doc_id=path.stem, text=text, meta=MappingProxyType(meta))


def _read_jsonl(path: Path) -> Iterator[Article]:
    text = _read_text(path)
    for n, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(f"{path}:{n}: not valid JSON ({e.msg}); each line must be one JSON object") from e
        if not isinstance(record, dict):
            raise InputError(f"{path}:{n}: expected a JSON object with a 'text' field, got {type(record).__name__}")
        body = record.get("text")
        if not isinstance(body, str) or not body.strip():
            raise InputError(f"{path}:{n}: record has no non-empty 'text' string")
        doc_id = next((str(record[k]) for k in _ID_KEYS if record.get(k) not in (None, "")), None)
        if doc_id is None:
            doc_id = hashlib.sha1(body.encode("utf-8")).hexdigest()[:16]
        meta = {k: v for k, v in record.items() if k not in ("text", *_ID_KEYS)}
        meta.setdefault("source", f"{path.name}:{n}")
        meta.setdefault("title", _first_line(body))
        yield Article(doc_id=doc_id, text=body, meta=MappingProxyType(meta))


def _sidecar_metadata(directory: Path) -> dict:
    f = directory / METADATA_FILE
    if not f.is_file():
        return {}
    try:
        data = json.loads(f.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"{f}: not valid JSON ({e}); it must map file stems to metadata objects") from e
    if not isinstance(data, dict):
        raise InputError(f"{f}: must be a JSON object mapping file stems to metadata objects")
    return {k: v for k, v in data.items() if isinstance(v, dict)}


def _first_line(text: str) -> str:
    """The first line that is not page furniture: the headline of most captured pages."""
    furniture = language.boilerplate().line_re
    for line in text.split("\n"):
        line = line.strip()
        if line and not furniture.match(line):
            return line[:200]
    return ""
