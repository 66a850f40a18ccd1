"""stancedesk_stance: support / oppose / neutral toward the configured target, with a confidence.

Transparent rules over cue lists from the stance config (``data/stance.toml``
or the user's ``--config``): fixed cues count for their side whoever speaks;
position cues count for the speaker's side (a proponent's warning supports the
target, an opponent's warning opposes it); dialogue, procedure and denials are
neutral. A cue that contradicts the speaker's known side counts for the
speaker's side at position weight: in a polarised story speakers rarely argue
the other side's case.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

from plugin.pipeline import extensions
from plugin.pipeline import language
from plugin.records import STANCES

_DENIAL_LEMMAS = {"deny"}


@Language.factory("stancedesk_stance", default_config={"config_path": None})
def make_stance(nlp: Language, name: str, config_path: str | None) -> "StanceRules":
    return StanceRules(language.read_stance_config(Path(config_path) if config_path else None))


def _cue_regex(cues: list[str]) -> re.Pattern | None:
    if not cues:
        return None
    parts = []
    for cue in sorted(cues, key=len, reverse=True):
        words = [re.escape(w).replace(r"\*", r"[\w'-]*") for w in cue.lower().split()]
        parts.append(r"\s+".join(words))
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])")


class StanceRules:
    def __init__(self, config: dict):
        self.configure(config)

    def configure(self, config: dict) -> None:
        self.config = config
        self.target = config["target"]
        self.weights = config["weights"]
        self.proponents = {p.lower() for p in config["proponents"]}
        self.opponents = {p.lower() for p in config["opponents"]}
        self.cues = {key: _cue_regex(config[key]) for key in ("support", "oppose", "neutral", "position")}

    def __call__(self, doc: Doc) -> Doc:
        doc._.stance_target = self.target
        for claim in extensions.claims(doc):
            cue = doc[claim._.cue] if claim._.cue is not None else None
            denial = cue is not None and cue.lemma_.lower() in _DENIAL_LEMMAS
            stance, score = self.predict(claim.text, claim._.speaker, denial=denial)
            claim._.stance = stance
            claim._.stance_score = score
        return doc

    def side(self, speaker: str | None) -> str | None:
        """'support' for a proponent, 'oppose' for an opponent, None when unknown."""
        if not speaker:
            return None
        name = speaker.lower()
        words = set(re.findall(r"[\w'-]+", name))
        if name in self.proponents or words & self.proponents:
            return "support"
        if name in self.opponents or words & self.opponents:
            return "oppose"
        return None

    def predict(self, text: str, speaker: str | None, *, denial: bool = False) -> tuple[str, float]:
        """The stance of one claim and its confidence."""
        w = self.weights
        lowered = text.lower()
        counts = {key: len(rx.findall(lowered)) if rx is not None else 0 for key, rx in self.cues.items()}
        side = self.side(speaker)
        scores = dict.fromkeys(STANCES, 0.0)
        for polarity in ("support", "oppose"):
            n = counts[polarity]
            if side is None or side == polarity:
                scores[polarity] += w["fixed"] * n
            else:
                scores[side] += w["position"] * n
        if side is not None:
            scores[side] += w["position"] * counts["position"]
        scores["neutral"] += w["neutral"] * counts["neutral"]
        if denial:
            scores["neutral"] += w["fixed"] * 2
        total = sum(scores.values())
        if total == 0:
            return "neutral", float(w["default_confidence"])
        best = max(STANCES, key=lambda s: (scores[s], s == "neutral"))
        # smoothed share of the evidence
        confidence = (scores[best] + 0.5) / (total + 1.5)
        return best, round(min(max(confidence, 1 / 3), 0.99), 3)

    # -- serialisation: the rules travel with a saved pipeline ----------------
    def to_disk(self, path, *, exclude=tuple()):
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / "stance.json").write_text(json.dumps(self.config, indent=2, ensure_ascii=False), encoding="utf-8")

    def from_disk(self, path, *, exclude=tuple()):
        self.configure(json.loads((Path(path) / "stance.json").read_text(encoding="utf-8")))
        return self
