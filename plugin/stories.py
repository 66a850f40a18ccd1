"""Stories: the unit everything is keyed on (target, cue lists, guideline notes, Label Studio project, models).

A story is a TOML file::

    [story]       name, title, target, description (optional)
    [stance]      proponents, opponents, support, oppose, neutral, position, [stance.weights]
    [guideline]   notes (for annotators, with the story's own examples)

A file holding only ``[stance]`` (with its ``target``: the older stance-config
format) is still a story, named after the file. Stories are registered under
``$STANCEDESK_HOME/stories/<name>.toml``; their trained stance models live
beside them in ``$STANCEDESK_HOME/stories/<name>/stance_model/``. The example
story ships in the package (``plugin/examples/``) with its bootstrap stance
model; it is found by name but is never a default.

This module alone reads story files and answers "which story?": by name, by
file, or (through the store's project bindings) by Label Studio project.
"""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from plugin.errors import ConfigError
from plugin.fileio import write_bytes_atomic
from plugin.records import ACTOR_LABELS, ActorNames

EXAMPLES_DIR = Path(__file__).parent / "examples"
STORY_FILE = "story.toml"  # the file name inside an example story's directory
STORIES_DIR = "stories"  # under STANCEDESK_HOME
STANCE_MODEL = "stance_model"  # a story's own stance model directory (and an example's bundled one)
QUALITY_FILE = "quality.json"  # measured quality of a story's stance model, beside its meta.json
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
CUE_LISTS = ("support", "oppose", "neutral", "position")
SIDE_LISTS = ("proponents", "opponents")
DEFAULT_WEIGHTS = (("fixed", 1.0), ("position", 0.6), ("neutral", 0.5), ("default_confidence", 0.55))


@dataclass(frozen=True)
class Story:
    """One story: what annotators judge stance toward, how the rules read it, where its models are."""

    name: str
    title: str
    target: str
    stance: Mapping[str, object]  # the validated [stance] table; its "target" is the story's target
    description: str = ""
    guideline: str = ""
    path: Path | None = None  # the file it was read from
    example: bool = False  # shipped in the package
    stance_model: Path | None = None  # its own stance model (trained from corrections, or the example's bootstrap)
    actors: ActorNames = ActorNames()  # the [actors] table: the story's own names, aliases and non-actors

    @property
    def has_cues(self) -> bool:
        """Whether the cue rules have anything to go on (else stance is neutral with a low score)."""
        return any(self.stance.get(k) for k in CUE_LISTS + SIDE_LISTS)

    def side_names(self) -> list[str]:
        """The capitalised names among the stance sides (proponents, opponents): actors of the story whose
        labels the pipeline infers when [actors] does not give them."""
        return [n for key in SIDE_LISTS for n in self.stance.get(key, ()) if isinstance(n, str) and n[:1].isupper()]

    def stance_table(self) -> dict:
        """A mutable copy of the [stance] table, with the story's name (what the pipeline's stance component reads)."""
        return {**json.loads(json.dumps(dict(self.stance))), "story": self.name}


# -- reading and writing story files ------------------------------------------------
def slug(text: str) -> str:
    """A story name from free text: lower case, words joined by '-'."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:63] or "story"


def check_name(name: str, where: str = "story name") -> str:
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ConfigError(f"{where} {name!r} is not a valid story name: use lower-case letters, digits, '-' and '_' "
                          f"(e.g. {slug(str(name))!r})")
    return name


def validate_stance(table: object, where: str) -> dict:
    """The [stance] table with every list and weight present and typed; raises ConfigError naming the key."""
    if table is None:
        table = {}
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [stance] must be a table")
    table = dict(table)
    for key in SIDE_LISTS + CUE_LISTS:
        value = table.setdefault(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: stance.{key} must be a list of strings, got {value!r}")
    if not isinstance(table.setdefault("sides_change", False), bool):
        raise ConfigError(f"{where}: stance.sides_change must be true or false, got {table['sides_change']!r}")
    weights = table.setdefault("weights", {})
    if not isinstance(weights, dict):
        raise ConfigError(f"{where}: [stance.weights] must be a table")
    weights = table["weights"] = dict(weights)
    for key, default in DEFAULT_WEIGHTS:
        value = weights.setdefault(key, default)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ConfigError(f"{where}: stance.weights.{key} must be a number, got {value!r}")
    return table


def _text(table: dict, key: str, where: str) -> str:
    value = table.get(key, "")
    if not isinstance(value, str):
        raise ConfigError(f"{where}: {key} must be a string, got {value!r}")
    return value.strip()


def read_story(path: str | Path, *, example: bool = False) -> Story:
    """Read and check a story file (or an older stance config holding only [stance])."""
    path = Path(path)
    if path.is_dir() and (path / STORY_FILE).is_file():
        path = path / STORY_FILE
    try:
        with open(path, "rb") as f:
            raw = tomllib.load(f)
    except FileNotFoundError as e:
        raise ConfigError(f"story file {path} does not exist; write one with 'stancedesk story init NAME --target ...'") from e
    except IsADirectoryError as e:
        raise ConfigError(f"story file {path} is a directory; give the story's .toml file") from e
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"story file {path} is not valid TOML: {e}") from e
    head = raw.get("story", {})
    if not isinstance(head, dict):
        raise ConfigError(f"story file {path}: [story] must be a table")
    stance = validate_stance(raw.get("stance"), f"story file {path}")
    target = _text(head, "target", f"story file {path}") or _text(stance, "target", f"story file {path}")
    if not target:
        raise ConfigError(f'story file {path} has no target: add target = "what stance is taken toward" under [story]')
    if _text(stance, "target", str(path)) and _text(stance, "target", str(path)) != target:
        raise ConfigError(f"story file {path} names two targets ([story] {target!r}, [stance] {stance['target']!r}); "
                          "keep one, under [story]")
    stance["target"] = target
    default_name = path.parent.name if path.name == STORY_FILE else path.stem
    name = check_name(head.get("name") or slug(default_name), f"story file {path}: name")
    guideline = raw.get("guideline", {})
    if not isinstance(guideline, dict):
        raise ConfigError(f"story file {path}: [guideline] must be a table with notes = \"...\"")
    return Story(name=name, title=_text(head, "title", str(path)) or name, target=target, stance=MappingProxyType(stance),
                 description=_text(head, "description", str(path)), guideline=_text(guideline, "notes", str(path)),
                 path=path.resolve(), example=example, actors=read_actors(raw.get("actors", {}), f"story file {path}"))


def _names(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f'{where} must be a list of names, e.g. ["Jane Doe", "Acme Corp"]')
    return [" ".join(v.split()) for v in value]


def read_actors(table: object, where: str) -> ActorNames:
    """Check an [actors] table: PERSON/ORG/GPE lists of names, ``aliases`` (canonical = [variants]) and
    ``not_actors`` (capitalised words of the story that are never actors)."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [actors] must be a table with PERSON = [...], ORG = [...], GPE = [...]")
    labels: dict[str, str] = {}
    canonical: dict[str, str] = {}
    for key, value in table.items():
        if key in ACTOR_LABELS:
            for name in _names(value, f"{where}: [actors] {key}"):
                if labels.get(name, key) != key:
                    raise ConfigError(f"{where}: [actors] lists {name!r} as both {labels[name]} and {key}; keep one")
                labels[name] = key
        elif key not in ("aliases", "not_actors"):
            raise ConfigError(f"{where}: [actors] has an unknown key {key!r}; use PERSON, ORG, GPE, aliases or not_actors")
    aliases = table.get("aliases", {})
    if not isinstance(aliases, dict):
        raise ConfigError(f'{where}: [actors.aliases] must map a canonical name to its variants, e.g. "Jane Doe" = ["Doe"]')
    for canon, variants in aliases.items():
        for variant in _names(variants, f"{where}: [actors.aliases] {canon!r}"):
            canonical[variant] = canon
            if canon in labels:
                labels.setdefault(variant, labels[canon])
    not_actors = frozenset(_names(table.get("not_actors", []), f"{where}: [actors] not_actors"))
    return ActorNames(labels=MappingProxyType(labels), canonical=MappingProxyType(canonical), not_actors=not_actors)


STARTER = '''# A stancedesk story. Register it with: stancedesk story add {file}
# Then pass --story {name} to preannotate, push, up, serve, sync, stats, export and retrain.

[story]
name = "{name}"
title = "{title}"
# What annotators and the model judge each claim's stance toward: a short phrase.
target = "{target}"
description = ""

[stance]
# Who usually argues FOR the target, and who AGAINST it: canonical actor names
# ("Jane Doe", "Acme Corp", "Ruritania") or lower-case words of a speaker's name.
# A warning from one side counts for that side (see "position" below).
proponents = []
opponents = []

# Cues (case-insensitive, whole words; a trailing * matches any ending) whose
# direction does not depend on who speaks. Start generic, then add the words of
# your story ("approve* the merger", "block* the deal", ...).
support = ["welcome*", "back*", "support*", "endorse*", "in favour", "in favor", "good for",
           "benefit*", "necessary", "the right decision", "applaud*", "defend*"]
oppose = ["oppose*", "reject*", "condemn*", "criticis*", "criticiz*", "unacceptable", "block*",
          "halt", "scrap*", "withdraw from", "dangerous", "harm*", "threat to", "illegal", "unlawful"]
# Procedure, timing, numbers, readiness to talk: neutral unless a position cue is stronger.
neutral = ["talks", "negotiat*", "discuss*", "meeting", "review*", "process", "next week",
           "timetable", "schedule*", "filing", "no comment", "declined to comment"]
# Cues whose direction depends on the speaker's side: a proponent who "warns"
# pushes for the target, an opponent who "warns" pushes against it.
position = ["warn*", "must", "demand*", "insist*", "will not", "won't", "cannot", "never", "refus*"]
# true when speakers change sides during the story: a support or oppose cue then counts as
# itself whoever speaks; false (a polarised story) counts it for the speaker's own side.
sides_change = false

[stance.weights]
fixed = 1.0
position = 0.6
neutral = 0.5
default_confidence = 0.55  # a claim with no cue at all: neutral with this confidence

[actors]
# The story's own people, organisations and places, as the articles write them. Every
# mention of these is labelled so, whatever the statistical model guesses; names in
# proponents/opponents above are found too. Names annotators add or relabel in Label
# Studio are learnt on top, at once (see: stancedesk story show {name}).
PERSON = []
ORG = []
GPE = []
not_actors = []   # capitalised words of this story that are never actors ("Board")

[actors.aliases]
# "Canonical Name" = ["variant", "short form"]: mentions take the canonical name

[guideline]
notes = """
How this story draws the lines (annotators see these notes in the project's instructions):
support: ... (an example claim)
oppose: ... (an example claim)
neutral: ... (an example claim)
"""
'''


def story_template(name: str, target: str, *, title: str | None = None, file: str = "STORY.toml") -> str:
    """The text of a starter story file (generic cues; comments say how to fill in the sides)."""
    check_name(name)
    if not target.strip():
        raise ConfigError('a story needs a target: pass --target "what stance is taken toward"')

    def esc(s: str) -> str:
        return json.dumps(s.strip(), ensure_ascii=False)[1:-1]

    return STARTER.format(name=name, title=esc(title or target), target=esc(target), file=file)


def init_story(name: str, target: str, output: Path, *, title: str | None = None, force: bool = False) -> Path:
    """Write a starter story file; an existing file is kept unless ``force``."""
    output = Path(output)
    if output.exists() and not force:
        raise ConfigError(f"{output} already exists; choose another file with -o or overwrite it with --force")
    write_bytes_atomic(output, story_template(name, target, title=title, file=str(output)).encode("utf-8"),
                       create_parents=False)
    read_story(output)  # what init writes must read back
    return output


# -- the registry under STANCEDESK_HOME ------------------------------------------
def stories_dir(home: Path) -> Path:
    return Path(home) / STORIES_DIR


def story_home(home: Path, name: str) -> Path:
    """Where a registered story keeps its models (beside its file)."""
    return stories_dir(home) / check_name(name)


def example_stories() -> list[Story]:
    return [read_story(d / STORY_FILE, example=True) for d in sorted(EXAMPLES_DIR.iterdir()) if (d / STORY_FILE).is_file()]


def registered_stories(home: Path) -> list[Story]:
    """The stories registered under ``home``; two files with one name are an error naming both."""
    root = stories_dir(home)
    found: dict[str, Story] = {}
    for f in sorted(root.glob("*.toml")) if root.is_dir() else []:
        story = read_story(f)
        if story.name in found:
            raise ConfigError(f"two stories are named {story.name!r}: {found[story.name].path} and {f}; "
                              "rename one ([story] name) or remove it")
        found[story.name] = story
    return [_with_stance_model(home, s) for s in found.values()]


def _with_stance_model(home: Path | None, story: Story) -> Story:
    """The story with its own stance model attached: one trained for its target under ``home``, else its bundled one."""
    if home is not None:
        own = story_home(home, story.name) / STANCE_MODEL
        if (own / "meta.json").is_file() and _model_target(own) == story.target:
            return replace(story, stance_model=own)
    if story.example:
        bundled = story.path.parent / STANCE_MODEL
        if (bundled / "meta.json").is_file() and _model_target(bundled) == story.target and _runnable(bundled):
            return replace(story, stance_model=bundled)
    return story


def _model_meta(model_dir: Path) -> dict:
    try:
        return json.loads((model_dir / "meta.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def _model_target(model_dir: Path) -> str | None:
    return _model_meta(model_dir).get("target")


def _runnable(model_dir: Path) -> bool:
    from plugin.pipeline.stance_model import embeddings_available

    return _model_meta(model_dir).get("kind") != "embeddings" or embeddings_available()


@dataclass(frozen=True)
class AddResult:
    story: Story
    path: Path  # the registered copy
    status: str  # "added" | "updated" | "unchanged"
    set_aside: Path | None = None  # a stance model trained for the story's old target, moved out of use


def add_story(home: Path, source: Path, *, replace_existing: bool = False) -> AddResult:
    """Register a story file under ``home`` (a copy, so later edits to the source need another ``add``).

    Re-adding the same story from the same file updates it. Another file with a
    registered name is an error unless ``replace_existing``. When the target
    changed and a stance model exists for the old one, that model is set aside.
    """
    story = read_story(source)
    dest = stories_dir(home) / f"{story.name}.toml"
    data = story.path.read_bytes()
    status, set_aside = "added", None
    existing = {s.name: s for s in registered_stories(home)}
    if story.name in existing:
        old = existing[story.name]
        meta = _registration(home, story.name)
        same_source = meta.get("source") == str(story.path)
        if dest.read_bytes() == data:
            return AddResult(_with_stance_model(home, story), dest, "unchanged")
        if not (same_source or replace_existing):
            raise ConfigError(f"a story named {story.name!r} is already registered (from {meta.get('source', dest)}); "
                              f"give {source} another [story] name, or replace the registered one with --replace")
        status = "updated"
        if old.target != story.target:
            set_aside = _set_aside_stance_model(home, story.name, old.target)
    write_bytes_atomic(dest, data)
    _write_registration(home, story.name, {"source": str(story.path),
                                           "added_at": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    return AddResult(_with_stance_model(home, story), dest, status, set_aside)


def _registration(home: Path, name: str) -> dict:
    f = story_home(home, name) / "registration.json"
    try:
        return json.loads(f.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def _write_registration(home: Path, name: str, record: dict) -> None:
    write_bytes_atomic(story_home(home, name) / "registration.json", json.dumps(record, indent=2).encode("utf-8"))


def _set_aside_stance_model(home: Path, name: str, old_target: str) -> Path | None:
    """Move the story's stance model for ``old_target`` out of use (kept, never deleted)."""
    model = story_home(home, name) / STANCE_MODEL
    if not (model / "meta.json").is_file():
        return None
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    aside = story_home(home, name) / f"{STANCE_MODEL}.old-target-{slug(old_target)[:40]}-{stamp}"
    model.rename(aside)
    return aside


def install_stance_model(home: Path, story: Story, model_dir: Path, quality: Mapping | None = None) -> Path:
    """Make ``model_dir`` (a stance model trained for the story's target) the story's own; the old one is replaced."""
    if _model_target(model_dir) != story.target:
        raise ConfigError(f"stance model {model_dir} was trained for target {_model_target(model_dir)!r}, "
                          f"not story {story.name!r}'s {story.target!r}; retrain it on this story's corrections")
    dest = story_home(home, story.name) / STANCE_MODEL
    tmp = dest.with_name(dest.name + ".new")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(model_dir, tmp)
    if quality is not None:
        (tmp / QUALITY_FILE).write_text(json.dumps(dict(quality), indent=2), encoding="utf-8")
    old = dest.with_name(dest.name + ".replaced")
    shutil.rmtree(old, ignore_errors=True)
    if dest.exists():
        dest.rename(old)
    tmp.rename(dest)
    shutil.rmtree(old, ignore_errors=True)
    return dest


def stance_quality(story: Story) -> dict | None:
    """The measured quality recorded with the story's stance model (macro-F1 and on what), or None."""
    if story.stance_model is None:
        return None
    try:
        return json.loads((story.stance_model / QUALITY_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def stance_report(story: Story) -> dict:
    """How this story's stance is predicted, as data (for /stats): the kind, how many corrected claims a trained
    model has learnt from, and its held-out macro-F1 with what it was measured on."""
    if story.stance_model is None:
        return {"kind": "rules" if story.has_cues else "none", "trained_claims": 0, "macro_f1": None,
                "summary": stance_summary(story)}
    meta, q = _model_meta(story.stance_model), stance_quality(story) or {}
    return {"kind": meta.get("kind"), "trained_claims": meta.get("trained_claims"), "macro_f1": q.get("macro_f1"),
            "measured_on": q.get("measured_on"), "summary": stance_summary(story)}


def stance_summary(story: Story) -> str:
    """How this story's stance is predicted, in words (for `story show`, `stats`, `models`)."""
    if story.stance_model is not None:
        meta = _model_meta(story.stance_model)
        q = stance_quality(story)
        quality = (f"macro-F1 {q['macro_f1']:.3f} {q.get('measured_on', '')}".rstrip() if q and "macro_f1" in q
                   else "quality not measured")
        return (f"trained {meta.get('kind', '?')} model ({story.stance_model}), learnt from "
                f"{meta.get('trained_claims', '?')} claims; {quality}")
    if story.has_cues:
        return "cue rules of the story file (no trained model yet: 'stancedesk retrain' trains one from corrections)"
    return ("none: the story has no cues and no trained model, so every claim is neutral with a low score; "
            "add sides and cue lists to the story file")


# -- which story? ----------------------------------------------------------------
def _listing(home: Path) -> str:
    names = [s.name for s in registered_stories(home)]
    examples = [s.name for s in example_stories()]
    return (f"registered: {', '.join(names) or 'none'}; example: {', '.join(examples)}")


def find_story(home: Path, name: str) -> Story:
    """A story by name: registered under ``home`` first, then the examples."""
    for story in registered_stories(home):
        if story.name == name:
            return story
    for story in example_stories():
        if story.name == name:
            return _with_stance_model(home, story)
    raise ConfigError(f"unknown story {name!r} ({_listing(home)}); register it with 'stancedesk story add FILE' "
                      "or pass the story file's path")


def resolve_story(home: Path, name_or_file: str | Path | None, *, required: bool = True) -> Story | None:
    """The story a command works on: a file path, a name, or (when none is given) the only registered one."""
    if name_or_file is not None and str(name_or_file).strip():
        given = str(name_or_file)
        path = Path(given)
        if path.suffix == ".toml" or path.is_file() or "/" in given:
            example = path.resolve().is_relative_to(EXAMPLES_DIR.resolve())
            return _with_stance_model(home, read_story(path, example=example))
        return find_story(home, given)
    stories = registered_stories(home)
    if len(stories) == 1:
        return stories[0]
    if not required:
        return None
    if stories:
        raise ConfigError(f"{len(stories)} stories are registered ({', '.join(s.name for s in stories)}): "
                          "say which with --story NAME")
    raise ConfigError(f"no story given and none registered: pass --story NAME_OR_FILE (the example: --story "
                      f"{', '.join(s.name for s in example_stories())}) or write one with "
                      "'stancedesk story init NAME --target ...' and 'stancedesk story add FILE'")


def story_of_project(home: Path, store, project_id: int) -> Story | None:
    """The story a Label Studio project was bound to (by push, up or sync), or None."""
    name = store.project_story(project_id)
    return find_story(home, name) if name else None


def project_ids(store, story: Story) -> list[int]:
    """The Label Studio projects of a story (usually one)."""
    return store.story_projects(story.name)
