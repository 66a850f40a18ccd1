"""The rule-based stance layer: cue tables and a story's [stance] table."""

from __future__ import annotations

import pytest

from plugin.errors import ConfigError
from plugin.pipeline.stance import StanceRules
from plugin.stories import read_story


@pytest.fixture(scope="module")
def rules(example_story):
    return StanceRules(example_story.stance_table())


@pytest.mark.parametrize(
    "text, speaker, denial, expected",
    [
        ("some of the demands are unacceptable", "United States", False, "oppose"),
        ("Russia would face severe sanctions if it invades", None, False, "oppose"),
        ("every nation has the right to choose its own alliances", "Jens Stoltenberg", False, "oppose"),
        ("we will take adequate military-technical measures", "Vladimir Putin", False, "support"),
        ("NATO must stop its eastward expansion", "Sergei Lavrov", False, "support"),
        ("the proposed talks should not drag on", "Dmitry Peskov", False, "neutral"),
        ("we are ready to discuss the proposals", "United States", False, "neutral"),
        ("it is preparing an invasion", "Kremlin", True, "neutral"),
        ("the weather was fine", None, False, "neutral"),
    ],
    ids=["unacceptable", "sanctions", "open-door", "retaliation", "no-expansion", "procedure", "dialogue", "denial", "no-cue"],
)
def test_stance_rules(rules, text, speaker, denial, expected):
    stance, confidence = rules.predict(text, speaker, denial=denial)
    assert stance == expected
    assert 0 < confidence <= 1


def test_a_proponent_calling_something_unacceptable_supports_the_target(rules):
    assert rules.predict("further NATO expansion is unacceptable", "Sergei Lavrov")[0] == "support"


@pytest.mark.parametrize("sides_change, expected", [(False, "support"), (True, "oppose")],
                         ids=["polarised-story", "speakers-change-sides"])
def test_whether_a_cue_against_the_speakers_side_counts_for_it(tmp_path, sides_change, expected):
    (tmp_path / "s.toml").write_text(
        '[story]\ntarget = "The merger"\n[stance]\nproponents = ["Jane Doe"]\noppose = ["on hold"]\n'
        f"sides_change = {str(sides_change).lower()}\n", encoding="utf-8")
    rules = StanceRules(read_story(tmp_path / "s.toml").stance_table())
    assert rules.predict("the merger is on hold", "Jane Doe")[0] == expected


def test_side_matches_canonical_names_and_words(rules):
    assert rules.side("Kremlin") == "support"
    assert rules.side("Russian Foreign Ministry") == "support"
    assert rules.side("NATO") == "oppose"
    assert rules.side("Someone Else") is None
    assert rules.side(None) is None


def test_stance_target_comes_from_the_story(tmp_path):
    cfg = tmp_path / "s.toml"
    cfg.write_text('[story]\nname = "climate"\ntarget = "The new climate treaty"\n[stance]\nsupport = ["ratify"]\n',
                   encoding="utf-8")
    rules = StanceRules(read_story(cfg).stance_table())
    assert rules.target == "The new climate treaty"
    assert rules.story == "climate"
    assert rules.predict("we will ratify it", "Anyone")[0] == "support"


def test_an_older_stance_only_file_is_still_a_story(tmp_path):
    cfg = tmp_path / "s.toml"
    cfg.write_text('[stance]\ntarget = "The new climate treaty"\nsupport = ["ratify"]\n', encoding="utf-8")
    rules = StanceRules(read_story(cfg).stance_table())
    assert rules.target == "The new climate treaty"
    assert rules.predict("we will ratify it", "Anyone")[0] == "support"


@pytest.mark.parametrize(
    "content, message",
    [
        ("[stance]\nsupport = ['x']\n", r"has no target: add target = .* under \[story\]"),
        ("[stance]\ntarget = ''\n", r"has no target"),
        ("[stance]\ntarget = 'T'\nsupport = 'x'\n", r"stance\.support must be a list of strings"),
        ("[stance]\ntarget = 'T'\n[stance.weights]\nfixed = 'high'\n", r"stance\.weights\.fixed must be a number"),
        ("[stance\n", r"is not valid TOML"),
    ],
    ids=["no-target", "empty-target", "cues-not-a-list", "weight-not-a-number", "bad-toml"],
)
def test_stance_config_errors(tmp_path, content, message):
    cfg = tmp_path / "s.toml"
    cfg.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        read_story(cfg)


def test_missing_stance_config(tmp_path):
    with pytest.raises(ConfigError, match=r"story file .*nope\.toml does not exist; write one with 'stancedesk story init"):
        read_story(tmp_path / "nope.toml")
