"""Pre-annotation: articles in, Label Studio tasks with predictions out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import minibatch

from plugin.articles import read_articles
from plugin.errors import InputError
from plugin.fileio import check_output, write_bytes_atomic
from plugin.identity import unify_names
from plugin.labelstudio.tasks import check_task, to_task
from plugin.pipeline import DEFAULT_MODEL, build_pipeline, model_version, story_names
from plugin.pipeline.convert import doc_to_annotated
from plugin.pipeline.stance import StanceRules
from plugin.records import ActorNames, AnnotatedArticle, Article
from plugin.stories import Story


def make_tasks(nlp: Language, articles: Iterable[Article], *, batch_size: int = 16,
               n_process: int = 1, stance: StanceRules | None = None,
               names: ActorNames | None = None) -> Iterator[AnnotatedArticle]:
    """Yield one ``AnnotatedArticle`` per article, streaming through ``nlp.pipe``.

    ``stance``: a story's stance component to use instead of the pipeline's own, and ``names``: a story's actor
    names instead of those the pipeline was built with (one pipeline serving several stories). The input
    articles are never mutated.
    """
    version = model_version(nlp, stance)
    pending: dict[int, tuple[Article, int]] = {}  # article, number of pieces

    def stream():
        # only indexes travel with the text, so worker processes never pickle records
        for n, article in enumerate(articles):
            parts = pieces(article.text)
            pending[n] = (article, len(parts))
            for k, (offset, text) in enumerate(parts):
                yield text, (n, k, offset)

    disable = ["stancedesk_stance"] if stance is not None else []
    component_cfg = {"stancedesk_actors": {"names": names}} if names is not None else None
    tuples = nlp.pipe(stream(), as_tuples=True, batch_size=batch_size, n_process=n_process, disable=disable,
                      component_cfg=component_cfg)
    if stance is not None:
        tuples = _with_stance(tuples, stance, batch_size)
    done: list[AnnotatedArticle] = []
    for doc, (n, k, offset) in tuples:
        article, count = pending[n]
        done.append(doc_to_annotated(doc, article, model_version=version, offset=offset))
        if k == count - 1:  # nlp.pipe keeps the order: the article's last piece
            del pending[n]
            yield done[0] if count == 1 else AnnotatedArticle(
                article=article, actors=tuple(a for d in done for a in d.actors),
                claims=tuple(c for d in done for c in d.claims), model_version=version)
            done = []


PIECE_CHARS = 100_000  # longer texts are pre-annotated in pieces (spaCy refuses over nlp.max_length, 1,000,000)


def pieces(text: str, limit: int | None = None) -> list[tuple[int, str]]:
    """(offset, piece) of a text cut into pieces of at most ``limit`` characters, at a paragraph break where
    there is one in the piece's second half, else a line break, a sentence end or a space."""
    limit = limit or PIECE_CHARS
    if len(text) <= limit:
        return [(0, text)]
    out, start = [], 0
    while start < len(text):
        end = min(start + limit, len(text))
        if end < len(text):
            for sep in ("\n\n", "\n", ". ", " "):
                cut = text.rfind(sep, start + limit // 2, end)
                if cut != -1:
                    end = cut + len(sep)
                    break
        out.append((start, text[start:end]))
        start = end
    return out


def _with_stance(tuples: Iterator[tuple[Doc, int]], stance: StanceRules, batch_size: int) -> Iterator[tuple[Doc, int]]:
    for batch in minibatch(tuples, size=batch_size):
        docs = stance.pipe([doc for doc, _ in batch], batch_size=batch_size)
        yield from zip(docs, (n for _, n in batch))


def story_data(story: Story | None) -> dict:
    """What every task of a story carries besides its text: the story's name and target (shown to annotators)."""
    return {"story": story.name, "target": story.target} if story is not None else {}


@dataclass(frozen=True)
class PreannotateSummary:
    output: Path
    articles: int
    actors: int
    claims: int
    attributed: int
    model_version: str


def preannotate(inputs: Sequence[str | Path], output: str | Path, *, story: Story | None,
                model: str | Path | None = None, stance_model: str | None = None, n_process: int = 1,
                progress: Callable[[int, int], None] | None = None, nlp: Language | None = None,
                learnt: ActorNames | None = None, engine: str = "local",
                address: str | None = None) -> PreannotateSummary:
    """Pre-annotate input files and write a JSON list of Label Studio tasks to ``output``.

    Inputs are all read (and checked) before the model loads; the output is
    written to a temporary file and renamed, so it is never half-written.

    Args:
        inputs: .txt/.jsonl files or directories.
        output: the tasks JSON file to write.
        model: spaCy pipeline name or path (default: the packaged small English model).
        story: the story the articles belong to: its target and stance model (see ``build_pipeline``); the
            tasks carry its name and target. None: no stance knowledge, every claim neutral.
        stance_model: "rules" or a stance model directory (default: the story's own).
        n_process: worker processes for ``nlp.pipe``.
        progress: called as ``progress(done, total)`` after each article.
        nlp: an already-built stancedesk pipeline to use instead of loading ``model``.
        learnt: the actor names the story's annotators taught it (``plugin.learnt.learnt_names``), put on top
            of the story file's own names.
        engine: "local" (this process, ``n_process`` spaCy processes) or "dask": chunks of articles on a Dask
            cluster at ``address`` (``local[N]`` or a scheduler address); the output is the same, byte for byte.
    """
    from plugin.engine import annotate_on_dask, check_address

    check_address(engine, address)
    output = Path(output)
    if output.is_dir():
        raise InputError(f"output {output} is a directory; give a file name such as {output / 'tasks.json'}")
    articles = list(read_articles(inputs))
    check_output(output)  # before the model loads: a bad -o fails in a second, not after the whole run
    if engine == "dask":
        annotated = annotate_on_dask(articles, address=address, model=str(model or DEFAULT_MODEL), story=story,
                                     stance_model=stance_model, learnt=learnt, progress=progress)
        version = annotated[0].model_version if annotated else ""
    else:
        if nlp is None:
            nlp = build_pipeline(model or DEFAULT_MODEL, story=story, stance_model=stance_model)
        annotated = []
        names = story_names(nlp, story, learnt) if story is not None else None
        for n, item in enumerate(make_tasks(nlp, articles, n_process=n_process, names=names), start=1):
            annotated.append(item)
            if progress is not None:
                progress(n, len(articles))
        version = model_version(nlp)
    annotated = unify_names(annotated)
    tasks = [to_task(item, extra_data=story_data(story)) for item in annotated]
    for task in tasks:
        check_task(task)
    write_json_atomic(Path(output), tasks, create_parents=False)
    return PreannotateSummary(
        output=Path(output),
        articles=len(annotated),
        actors=sum(len(a.actors) for a in annotated),
        claims=sum(len(a.claims) for a in annotated),
        attributed=sum(1 for a in annotated for c in a.claims if c.speaker_span),
        model_version=version,
    )


def write_json_atomic(path: Path, tasks: list, *, create_parents: bool = True) -> None:
    """Write a JSON list of tasks whole or not at all (temp file beside it, then rename): one task per line,
    so the file stays readable and diffable, each line by the C encoder (an indented dump goes through the pure
    Python one, 6x slower: about 1 % of a whole pre-annotation run)."""
    body = "[\n" + ",\n".join(json.dumps(task, ensure_ascii=False) for task in tasks) + "\n]\n" if tasks else "[]\n"
    write_bytes_atomic(path, body.encode("utf-8"), create_parents=create_parents)
