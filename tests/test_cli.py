"""plugin/cli.py: user errors are one line on stderr and exit code 2; success writes the tasks."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from types import MappingProxyType

import pytest

from plugin import __version__
from plugin.cli import main
from plugin.labelstudio.tasks import check_task, to_task
from plugin.records import Actor, AnnotatedArticle, Article, Claim


def run(capsys, argv: list[str]) -> tuple[int, str, str]:
    rc = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def assert_user_error(rc: int, out: str, err: str, message: str) -> None:
    assert rc == 2
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("stancedesk: error: ")
    assert re.search(message, lines[0]), lines[0]
    assert out == ""


@pytest.fixture(autouse=True)
def home(tmp_path_factory, monkeypatch) -> Path:
    """A fresh STANCEDESK_HOME (no registered story): commands name theirs with --story."""
    home = tmp_path_factory.mktemp("stancedesk-home")
    monkeypatch.setenv("STANCEDESK_HOME", str(home))
    return home


STORY = ["--story", "russia-nato"]  # the example story shipped with stancedesk


def assert_nothing_written(out_file: Path) -> None:
    """Neither the output nor a temporary file beside it is left behind."""
    assert not out_file.exists()
    if out_file.parent.exists():
        assert list(out_file.parent.iterdir()) == []


@pytest.fixture
def article(tmp_path) -> Path:
    f = tmp_path / "in" / "story.txt"
    f.parent.mkdir()
    f.write_text("Talks begin\n\nThe envoys met on Monday, officials said.\n", encoding="utf-8")
    return f


@pytest.fixture
def out_file(tmp_path) -> Path:
    (tmp_path / "out").mkdir()
    return tmp_path / "out" / "tasks.json"


# -- preannotate: input errors (found before the model loads) ------------------------------------
def test_missing_input(capsys, tmp_path, out_file):
    rc, out, err = run(capsys, ["preannotate", tmp_path / "nope.txt", "-o", out_file, *STORY])

    assert_user_error(rc, out, err, r"nope\.txt: no such file or directory")
    assert_nothing_written(out_file)


def test_empty_input_file(capsys, tmp_path, out_file):
    f = tmp_path / "empty.txt"
    f.write_bytes(b"")

    rc, out, err = run(capsys, ["preannotate", f, "-o", out_file, *STORY])

    assert_user_error(rc, out, err, r"empty\.txt: file is empty")
    assert_nothing_written(out_file)


def test_empty_input_directory(capsys, tmp_path, out_file):
    d = tmp_path / "inbox"
    d.mkdir()

    rc, out, err = run(capsys, ["preannotate", d, "-o", out_file, *STORY])

    assert_user_error(rc, out, err, r"inbox: directory holds no \.txt or \.jsonl files")
    assert_nothing_written(out_file)


def test_non_utf8_input(capsys, tmp_path, out_file):
    f = tmp_path / "latin1.txt"
    f.write_bytes("Caf\u00e9 talks".encode("latin-1"))

    rc, out, err = run(capsys, ["preannotate", f, "-o", out_file, *STORY])

    assert_user_error(rc, out, err, r"latin1\.txt: not valid UTF-8")
    assert_nothing_written(out_file)


def test_bad_jsonl_input_names_the_line(capsys, tmp_path, out_file):
    f = tmp_path / "batch.jsonl"
    f.write_text('{"id": "a", "text": "Fine."}\n{oops\n', encoding="utf-8")

    rc, out, err = run(capsys, ["preannotate", f, "-o", out_file, *STORY])

    assert_user_error(rc, out, err, r"batch\.jsonl:2: not valid JSON")
    assert_nothing_written(out_file)


@pytest.mark.parametrize("n", ["0", "-1"])
def test_n_process_below_one(capsys, article, out_file, n):
    rc, out, err = run(capsys, ["preannotate", article, "-o", out_file, "--n-process", n])

    assert_user_error(rc, out, err, rf"--n-process must be 1 or more, got {n}")
    assert_nothing_written(out_file)


def test_missing_required_option_is_an_argparse_usage_error(capsys, article):
    with pytest.raises(SystemExit) as exc:
        main(["preannotate", str(article)])

    assert exc.value.code == 2
    assert "-o/--output" in capsys.readouterr().err


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])

    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"stancedesk {__version__}"


# -- preannotate: model and config errors --------------------------------------------------------
@pytest.mark.model
def test_bad_model_name(capsys, article, out_file):
    rc, out, err = run(capsys, ["preannotate", article, "-o", out_file, "--model", "no_such_pipeline_xyz", *STORY])

    assert_user_error(rc, out, err, r"cannot load spaCy pipeline 'no_such_pipeline_xyz'")
    assert_nothing_written(out_file)


@pytest.mark.model
def test_bad_config_path(capsys, reuse_nlp, tmp_path, article, out_file):
    rc, out, err = run(capsys, ["preannotate", article, "-o", out_file, "--config", tmp_path / "nope.toml"])

    assert_user_error(rc, out, err, r"story file .*nope\.toml does not exist")
    assert_nothing_written(out_file)


@pytest.mark.model
def test_config_without_target(capsys, reuse_nlp, tmp_path, article, out_file):
    config = tmp_path / "stance.toml"
    config.write_text('[stance]\nsupport = ["agree"]\n', encoding="utf-8")

    rc, out, err = run(capsys, ["preannotate", article, "-o", out_file, "--config", config])

    assert_user_error(rc, out, err, r"story file .*stance\.toml has no target: add target = .* under \[story\]")
    assert_nothing_written(out_file)


@pytest.mark.model
def test_output_path_that_is_a_directory(capsys, reuse_nlp, tmp_path, article):
    out_dir = tmp_path / "out"
    out_dir.mkdir()

    rc, out, err = run(capsys, ["preannotate", article, "-o", out_dir, *STORY])

    assert_user_error(rc, out, err, r"out")
    assert list(out_dir.iterdir()) == []


# -- preannotate: success --------------------------------------------------------------------
@pytest.mark.model
def test_preannotate_seeds_writes_five_tasks(capsys, reuse_nlp, seeds_dir, out_file):
    rc, out, err = run(capsys, ["preannotate", seeds_dir, "-o", out_file, *STORY])

    assert rc == 0, err
    assert out.startswith(f"wrote 5 tasks of story 'russia-nato' to {out_file}")
    tasks = json.loads(out_file.read_text(encoding="utf-8"))
    assert isinstance(tasks, list) and len(tasks) == 5
    assert {(t["data"]["story"], t["data"]["target"]) for t in tasks} == {
        ("russia-nato", "Russia's security demands on NATO and the U.S.")}
    assert all("/russia-nato/" in t["predictions"][0]["model_version"] for t in tasks)
    assert sorted(t["data"]["doc_id"] for t in tasks) == sorted(p.stem for p in seeds_dir.glob("*.txt"))
    for task in tasks:
        check_task(task)
    assert [p.name for p in out_file.parent.iterdir()] == ["tasks.json"]


# -- evaluate ------------------------------------------------------------------------------------
TEXT = "Lavrov said NATO must stop."


@pytest.fixture
def gold_file(tmp_path) -> Path:
    f = tmp_path / "gold.jsonl"
    record = {
        "id": "d1",
        "text": TEXT,
        "actors": [{"start": 0, "end": 6, "label": "PERSON", "text": "Lavrov"}],
        "claims": [{"start": 12, "end": 26, "text": "NATO must stop", "speaker": "Lavrov", "speaker_span": [0, 6], "stance": "support"}],
    }
    f.write_text(json.dumps(record) + "\n", encoding="utf-8")
    return f


@pytest.fixture
def tasks_file(tmp_path) -> Path:
    lavrov = Actor(0, 6, "PERSON", "Lavrov", "Lavrov")
    item = AnnotatedArticle(
        Article("d1", TEXT, MappingProxyType({})),
        actors=(lavrov,),
        claims=(Claim(12, 26, "NATO must stop", "indirect", "Lavrov", (0, 6), "support", 0.9),),
    )
    f = tmp_path / "tasks.json"
    f.write_text(json.dumps([to_task(item)]), encoding="utf-8")
    return f


def test_evaluate_prints_the_scores(capsys, gold_file, tasks_file):
    rc, out, err = run(capsys, ["evaluate", "--gold", gold_file, tasks_file])

    assert rc == 0, err
    assert err == ""
    assert out.splitlines()[0].split() == ["documents", "1"]
    assert re.search(r"^claims \(IoU>=0\.5\)\s+1\.000\s+1\.000\s+1\.000\s+1\s+1$", out, re.M)
    assert re.search(r"^attribution accuracy 1\.000", out, re.M)


def test_evaluate_missing_gold(capsys, tmp_path, tasks_file):
    rc, out, err = run(capsys, ["evaluate", "--gold", tmp_path / "nope.jsonl", tasks_file])

    assert_user_error(rc, out, err, r"gold file .*nope\.jsonl does not exist")


def test_evaluate_missing_tasks(capsys, tmp_path, gold_file):
    rc, out, err = run(capsys, ["evaluate", "--gold", gold_file, tmp_path / "nope.json"])

    assert_user_error(rc, out, err, r"tasks file .*nope\.json does not exist; write one with 'stancedesk preannotate'")


def test_evaluate_tasks_not_a_list(capsys, tmp_path, gold_file):
    f = tmp_path / "tasks.json"
    f.write_text('{"data": {}}', encoding="utf-8")

    rc, out, err = run(capsys, ["evaluate", "--gold", gold_file, f])

    assert_user_error(rc, out, err, r"must hold a JSON list of task objects")


def test_evaluate_malformed_gold_line(capsys, tmp_path, tasks_file):
    f = tmp_path / "gold.jsonl"
    f.write_text('{"id": "d1"}\n', encoding="utf-8")

    rc, out, err = run(capsys, ["evaluate", "--gold", f, tasks_file])

    assert_user_error(rc, out, err, r"gold\.jsonl:1: not a gold record")


def test_evaluate_non_utf8_gold(capsys, tmp_path, tasks_file):
    f = tmp_path / "gold.jsonl"
    f.write_bytes(b'{"id": "d1", "text": "Caf\xe9", "actors": [], "claims": []}\n')

    rc, out, err = run(capsys, ["evaluate", "--gold", f, tasks_file])

    assert_user_error(rc, out, err, r"gold\.jsonl")


def test_evaluate_tasks_list_of_non_objects(capsys, tmp_path, gold_file):
    f = tmp_path / "tasks.json"
    f.write_text("[1, 2]", encoding="utf-8")

    rc, out, err = run(capsys, ["evaluate", "--gold", gold_file, f])

    assert_user_error(rc, out, err, r"tasks\.json")


def test_push_with_a_missing_tasks_file(capsys, tmp_path):
    rc, out, err = run(capsys, ["push", tmp_path / "nope.json", "--project", "p", "--url", "http://127.0.0.1:1", "--token", "t"])
    assert_user_error(rc, out, err, r"tasks file .*nope\.json does not exist")


def test_push_without_url_says_where_to_set_it(capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("STANCEDESK_LABEL_STUDIO_URL", raising=False)
    f = tmp_path / "t.json"
    f.write_text('[{"data": {"text": "x", "doc_id": "1"}}]', encoding="utf-8")
    rc, out, err = run(capsys, ["push", f, "--project", "p", "--token", "t", *STORY])
    assert_user_error(rc, out, err, r"no Label Studio URL: pass --url or set STANCEDESK_LABEL_STUDIO_URL")


def test_push_of_a_non_list_tasks_file(capsys, tmp_path):
    f = tmp_path / "t.json"
    f.write_text('{"data": {}}', encoding="utf-8")
    rc, out, err = run(capsys, ["push", f, "--project", "p", "--url", "http://127.0.0.1:1", "--token", "t"])
    assert_user_error(rc, out, err, r"must hold a JSON list of tasks")


def test_sync_without_a_token_says_where_to_set_it(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("STANCEDESK_HOME", str(tmp_path))
    monkeypatch.delenv("STANCEDESK_LABEL_STUDIO_TOKEN", raising=False)
    rc, out, err = run(capsys, ["sync", "--project", "p", "--url", "http://127.0.0.1:1", *STORY])
    assert_user_error(rc, out, err, r"no Label Studio token: pass --token or set STANCEDESK_LABEL_STUDIO_TOKEN")


def test_replay_with_nothing_to_replay(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("STANCEDESK_HOME", str(tmp_path))
    rc = main(["replay"])
    out = capsys.readouterr().out
    assert rc == 0
    assert out.strip() == "replayed 0 events, 0 failed again, 0 rejected as malformed (not retried); nothing changed"


@pytest.mark.model
def test_a_text_longer_than_a_piece_is_pre_annotated_in_pieces_with_offsets_into_the_whole(reuse_nlp, example_story,
                                                                                          monkeypatch):
    from plugin import preannotate as pre
    from plugin.records import Article

    monkeypatch.setattr(pre, "PIECE_CHARS", 400)
    paragraph = "Kremlin spokesman Dmitry Peskov said the talks should not drag on.\n\n"
    text = paragraph * 40  # 2,720 characters: seven pieces
    assert len(pre.pieces(text)) > 5
    (item,) = pre.make_tasks(reuse_nlp, [Article("long", text)], names=example_story.actors)
    assert len(item.claims) == 40 and {c.text for c in item.claims} == {"the talks should not drag on"}
    for c in item.claims:
        assert text[c.start:c.end] == c.text and text[c.speaker_span[0]:c.speaker_span[1]] == "Dmitry Peskov"
    assert all(text[a.start:a.end] == a.text for a in item.actors) and len(item.actors) == 80


def test_replay_explains_each_failure_and_rejects_what_can_never_be_processed(capsys, tmp_path, monkeypatch):
    from plugin.store import open_store

    monkeypatch.setenv("STANCEDESK_HOME", str(tmp_path / "home"))
    store = open_store(tmp_path / "home")
    bad = store.record_event(action="ANNOTATION_CREATED", payload={"action": "ANNOTATION_CREATED", "task": {"id": 1}})
    rc, out, _ = run(capsys, ["replay"])
    assert rc == 0 and "replayed 0 events, 0 failed again, 1 rejected as malformed" in out
    assert f"event {bad} (ANNOTATION_CREATED): rejected: missing field 'task.data'" in out
    rc, out, _ = run(capsys, ["replay"])  # rejected once, not retried on every run
    assert rc == 0 and "0 rejected" in out


@pytest.mark.parametrize(
    "argv, setup, message",
    [
        (["stats", *STORY], lambda tmp: (tmp / "f").write_text("x"), r"STANCEDESK_HOME=.*/f is not a directory"),
        (["serve", "--host", "999.1.1.1", "--port", "1"], None, r"cannot listen on 999.1.1.1:1: .*choose another --host"),
    ],
    ids=["home-is-a-file", "bad-host"],
)
def test_environment_and_network_faults_are_one_line_errors(capsys, tmp_path, monkeypatch, argv, setup, message):
    monkeypatch.setenv("STANCEDESK_HOME", str(tmp_path / ("f" if setup else "home")))
    if setup:
        setup(tmp_path)
    rc, out, err = run(capsys, argv)
    assert_user_error(rc, out, err, message)


def test_serve_on_a_port_in_use_says_so(capsys, tmp_path, monkeypatch):
    import socket

    monkeypatch.setenv("STANCEDESK_HOME", str(tmp_path / "home"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        rc, out, err = run(capsys, ["serve", "--port", port])
    assert_user_error(rc, out, err, rf"cannot listen on 127.0.0.1:{port}: .*choose another --host or --port")


def test_a_closed_pipe_ends_the_command_quietly(capsys, tmp_path, monkeypatch):
    import io
    import sys

    class ClosedPipe(io.StringIO):  # "stancedesk story list | head -c 1": the reader has gone
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setenv("STANCEDESK_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["story", "list"]) == 141
    assert "Traceback" not in capsys.readouterr().err


def test_progress_shows_the_rate_and_time_left_on_a_terminal_and_nothing_elsewhere(tmp_path):
    import pty

    from plugin.cli import rate_printer

    master, slave = pty.openpty()
    with os.fdopen(slave, "w") as terminal:
        progress = rate_printer(terminal, every_s=0)
        for done in (1, 2, 4):
            progress(done, 4)
    shown = b""
    while True:  # all that was written, in as many reads as the pty hands it out (EIO once it is drained)
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    shown = shown.decode()
    os.close(master)
    lines = shown.replace("\r\n", "\n").split("\r")
    assert re.search(r"pre-annotated 2/4 articles, [\d.]+ articles/s, (\d+ s left|\?)", lines[-2])
    assert re.search(r"pre-annotated 4/4 articles, [\d.]+ articles/s, done\n$", lines[-1])
    with open(tmp_path / "log.txt", "w") as file:
        assert rate_printer(file) is None  # not a terminal: quiet


@pytest.mark.parametrize("extra,message", [
    (["--engine", "dask"], r"--engine dask needs --address: local\[N\]"),
    (["--address", "local[2]"], r"--address local\[2\] needs --engine dask"),
    (["--engine", "dask", "--address", "local[0]"], r"asks for no workers"),
    (["--engine", "dask", "--address", "tcp://127.0.0.1:1", "--n-process", "0"], r"--n-process must be 1 or more"),
])
def test_engine_options_that_cannot_work_are_one_line_errors(capsys, tmp_path, monkeypatch, extra, message):
    monkeypatch.setenv("STANCEDESK_HOME", str(tmp_path / "home"))
    (tmp_path / "a.txt").write_text("Mara Quint said the pact would fail.", encoding="utf-8")
    rc, out, err = run(capsys, ["preannotate", tmp_path / "a.txt", "-o", tmp_path / "t.json", "--story", "russia-nato",
                                *extra])
    assert_user_error(rc, out, err, message)
    assert not (tmp_path / "t.json").exists()
