"""Language data (reporting verbs, roles, actor names, cues) loaded from data files.

Nothing here is logic: each loader returns plain data, read once per process.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"


def _load_json(name: str) -> dict:
    with open(DATA_DIR / name, encoding="utf-8") as f:
        return json.load(f)


@dataclass(frozen=True)
class SpeechData:
    reporting_verbs: frozenset[str]
    complement_only: frozenset[str]
    object_claim_verbs: dict[str, frozenset[str]]
    min_words_free_quote: int
    aside_markers: frozenset[str]
    aside_heads: frozenset[str]
    headline_dashes: frozenset[str]
    clause_nouns: frozenset[str]
    clause_noun_verbs: frozenset[str]
    according_sources: frozenset[str]
    demand_verbs: frozenset[str]
    speech_events: frozenset[str]
    max_words_naming_object: int


@lru_cache(maxsize=1)
def speech() -> SpeechData:
    raw = _load_json("speech.json")
    obj = {k: frozenset(v) for k, v in raw["object_claim_verbs"].items() if not k.startswith("_")}
    return SpeechData(
        reporting_verbs=frozenset(raw["reporting_verbs"]),
        complement_only=frozenset(raw["complement_only_verbs"]),
        object_claim_verbs=obj,
        min_words_free_quote=int(raw["min_words_free_quote"]),
        aside_markers=frozenset(raw["aside_markers"]),
        aside_heads=frozenset(raw["aside_heads"]),
        headline_dashes=frozenset(raw["headline_dashes"]),
        clause_nouns=frozenset(raw["clause_nouns"]),
        clause_noun_verbs=frozenset(raw["clause_noun_verbs"]),
        according_sources=frozenset(raw["according_sources"]),
        demand_verbs=frozenset(raw["demand_verbs"]),
        speech_events=frozenset(raw["speech_events"]),
        max_words_naming_object=int(raw["max_words_naming_object"]),
    )


@dataclass(frozen=True)
class RoleData:
    title_words: frozenset[str]
    person_roles: frozenset[str]
    anonymous_roles: frozenset[str]
    person_pronouns: frozenset[str]
    group_nouns: dict[str, str]  # noun -> the label of the actor it refers back to
    org_heads: frozenset[str]
    representatives: frozenset[str]
    document_nouns: frozenset[str]


@lru_cache(maxsize=1)
def roles() -> RoleData:
    raw = _load_json("roles.json")
    words = {w for title in raw["titles"] for w in title.split()}
    return RoleData(
        title_words=frozenset(words),
        person_roles=frozenset(raw["person_roles"]),
        anonymous_roles=frozenset(raw["anonymous_roles"]),
        person_pronouns=frozenset(raw["pronouns"]["person"]),
        org_heads=frozenset(raw["org_heads"]),
        representatives=frozenset(raw["representatives"]),
        document_nouns=frozenset(raw["document_nouns"]),
        group_nouns={n: label for label, nouns in raw["group_nouns"].items() if not label.startswith("_") for n in nouns},
    )


@dataclass(frozen=True)
class NameData:
    alias_to_canonical: dict[str, str]
    metonym_to_canonical: dict[str, str]
    keep_article: frozenset[str]
    not_actors: frozenset[str]
    trailing_generic: frozenset[str]
    known_labels: dict[str, str]
    document_nouns: frozenset[str]
    demonym_endings: tuple[str, ...]
    org_suffixes: frozenset[str]


@lru_cache(maxsize=1)
def names() -> NameData:
    raw = _load_json("actor_names.json")
    aliases = {}
    for canonical, variants in raw["aliases"].items():
        aliases[canonical] = canonical
        for v in variants:
            aliases[v] = canonical
    metonyms = {v: canonical for canonical, variants in raw["metonyms"].items() for v in variants}
    known = {}
    for pattern in actor_patterns():
        if isinstance(pattern["pattern"], str):
            known[pattern["pattern"]] = pattern["label"]
    return NameData(
        alias_to_canonical=aliases,
        metonym_to_canonical=metonyms,
        keep_article=frozenset(raw["keep_article"]),
        not_actors=frozenset(raw["not_actors"]),
        trailing_generic=frozenset(raw["trailing_generic"]),
        known_labels=known,
        document_nouns=frozenset(raw["document_nouns"]),
        demonym_endings=tuple(raw["demonym_endings"]),
        org_suffixes=frozenset(raw["org_suffixes"]),
    )


@lru_cache(maxsize=1)
def actor_patterns() -> tuple[dict, ...]:
    with open(DATA_DIR / "actor_patterns.jsonl", encoding="utf-8") as f:
        return tuple(json.loads(line) for line in f if line.strip())


@dataclass(frozen=True)
class BoilerplateData:
    line_re: re.Pattern
    bio_re: re.Pattern
    byline_name_max_words: int


@lru_cache(maxsize=1)
def boilerplate() -> BoilerplateData:
    raw = _load_json("boilerplate.json")
    line_re = re.compile("^(?:" + "|".join(f"(?:{p})" for p in raw["lines"]) + ")$", re.IGNORECASE)
    return BoilerplateData(
        line_re=line_re,
        bio_re=re.compile(raw["author_bio"]),
        byline_name_max_words=int(raw["byline_name_max_words"]),
    )
