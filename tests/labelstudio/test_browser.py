"""In a real browser: the annotator sees the story's stance target on the labeling screen.

Debian's chromium (``/usr/bin/chromium``, installed by ``make install``) driven by
Playwright, headless, against the session's real Label Studio. One invented task
with a claim region and its stance choice is pushed, for an invented story, into
a project made with ``annotation_configs/stancedesk.xml``; the test logs in, opens
the task and checks that the target is shown at the top and again beside the stance choices once the
claim is selected. No request may leave loopback.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from plugin.labelstudio.client import push
from plugin.stories import Story

pytestmark = [pytest.mark.labelstudio, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
STANCES = ("support", "oppose", "neutral")

# Invented for this test (a fictional council); not taken from any real article.
TEXT = (
    "The Brackenford city council met on Tuesday to discuss the river crossing. "
    '"The Riverside bridge toll will pay for the repairs within five years," councillor Amara Quill said, '
    "while residents asked for a public hearing."
) + "".join(f"\n\nItem {n} of the agenda: the council heard residents on parking, lighting and road repairs."
            for n in range(1, 61))  # a long article: the stance choices must not wait below its end
CLAIM = "The Riverside bridge toll will pay for the repairs within five years"
TARGET = "The Riverside bridge toll"
DOC_ID = "browser-target-1"
STORY = Story(name="brackenford-bridge", title="browser: Brackenford bridge toll", target=TARGET,
              stance={"target": TARGET})


def _task() -> dict:
    start = TEXT.index(CLAIM)
    value = {"start": start, "end": start + len(CLAIM), "text": CLAIM}
    return {
        "data": {"text": TEXT, "doc_id": DOC_ID, "target": TARGET},
        "predictions": [{
            "model_version": "stancedesk-test/browser",
            "score": 0.9,
            "result": [
                {"id": "c1", "from_name": "claim", "to_name": "text", "type": "labels",
                 "value": {**value, "labels": ["CLAIM"]}, "meta": {"text": ["kind: direct\n", "speaker: Amara Quill"]}},
                {"id": "c1", "from_name": "stance", "to_name": "text", "type": "choices",
                 "value": {**value, "choices": ["support"]}},
            ],
        }],
    }


def _is_loopback(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme not in ("http", "https", "ws", "wss") or parsed.hostname in LOOPBACK


@pytest.fixture
def browser_page():
    """A headless Debian chromium page, and the list its non-loopback requests go to (they are refused)."""
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make install does: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            context.set_default_timeout(15_000)
            context.set_default_navigation_timeout(30_000)
            context.on("request", lambda r: None if _is_loopback(r.url) else outside.append(r.url))
            context.route(lambda url: not _is_loopback(url), lambda route: route.abort())
            yield context.new_page(), outside
        finally:
            browser.close()


def test_annotator_sees_the_stance_target_beside_the_stance_choices_without_scrolling(label_studio, ls_client, browser_page, tmp_path):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    summary = push([_task()], story=STORY, url=label_studio.url, token=label_studio.credentials.token)
    (task,) = list(ls_client.tasks.list(project=summary.project_id))
    assert task.data["target"] == TARGET

    (page, outside), url = browser_page, label_studio.url
    try:
        page.goto(f"{url}/user/login/")
        page.fill('input[name="email"]', label_studio.credentials.username)
        page.fill('input[name="password"]', label_studio.credentials.password)
        page.click('button[type="submit"]')
        page.wait_for_url(lambda u: "/user/login" not in u)

        # the task list first (opening a task cold sometimes shows it without its predictions)
        page.goto(f"{url}/projects/{summary.project_id}/data")
        expect(page.get_by_text("Brackenford city council").first).to_be_visible()
        page.goto(f"{url}/projects/{summary.project_id}/data?task={task.id}")

        main = page.locator(".lsf-main-view")
        highlight = main.locator(".htx-highlight", has_text=CLAIM)
        try:
            expect(highlight).to_be_visible(timeout=15_000)
        except AssertionError:
            page.reload()
            expect(highlight).to_be_visible(timeout=20_000)

        # the target at the top of the screen, before anything is selected
        targets = main.get_by_text(TARGET, exact=True)
        expect(targets.first).to_be_visible()
        expect(targets.first).to_be_in_viewport()
        expect(main.get_by_text("Stance target of this story", exact=True)).to_be_visible()
        choice = {s: main.locator("label.lsf-choice__checkbox", has_text=s) for s in STANCES}
        expect(choice["support"]).to_be_hidden()  # per-region stance: only for a selected claim
        expect(targets.nth(1)).to_be_hidden()

        # select the claim in the regions list
        page.locator(".lsf-outliner-item", has_text="CLAIM").first.click()
        for stance in STANCES:
            expect(choice[stance]).to_be_visible()
            expect(choice[stance]).to_be_in_viewport()
        expect(main.locator('input[name="support"]')).to_be_checked()  # the predicted stance
        expect(main.get_by_text("Stance of the selected claim toward:", exact=True)).to_be_visible()
        expect(targets).to_have_count(2)
        beside = targets.nth(1)
        expect(beside).to_be_visible()
        expect(beside).to_be_in_viewport()
        header_box, choices_box = beside.bounding_box(), choice["support"].bounding_box()
        gap = choices_box["y"] - (header_box["y"] + header_box["height"])
        assert 0 <= gap < 120, f"the target is not right above the stance choices (gap {gap:.0f} px)"
    except (AssertionError, PlaywrightTimeout):
        shot = tmp_path / "browser_failure.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot of the failure: {shot}")
        raise

    assert outside == [], f"requests left loopback: {outside}"


# -- a whole annotator session on the local stack that `make run` starts -------------------------------------------
# Invented story and article (a fictional town); the lead paragraph is printed twice, the second time with a credit.
SESSION_STORY = """\
[story]
name = "brackenford-toll"
title = "Brackenford bridge toll"
target = "The Riverside bridge toll"

[stance]
proponents = ["Amara Quill", "Brackenford council"]
opponents = ["Tom Reyes"]
support = ["pay for the repairs"]
oppose = ["fight this toll"]
neutral = ["hearing"]
"""
SESSION_LEAD = ("Councillor Amara Quill said on Tuesday that the Riverside bridge toll would pay for the repairs "
                "within five years.")
SESSION_ARTICLE = "\n\n".join([
    "Brackenford council offers talks on bridge toll",
    SESSION_LEAD,
    SESSION_LEAD + " (Jo Pike/Brackenford Courier)",
    '"We will fight this toll in every court," said Tom Reyes, who chairs the residents\' association.',
    "The council will hold a public hearing in March, a spokeswoman said.",
]) + "\n"
SESSION_CLAIM = "the Riverside bridge toll would pay for the repairs within five years"
SESSION_TARGET = "The Riverside bridge toll"
BANNER_END = "Ctrl-C stops everything started here."


def _start_up(tmp_path: Path, *, ignore_sigint: bool = False):
    """`stancedesk up` as a user runs it (what `make run` runs), on free ports with a temp home; its output in a
    file. ``ignore_sigint``: started the way a shell starts a background job (SIGINT ignored)."""
    from plugin.labelstudio.local import free_port

    (tmp_path / "story.toml").write_text(SESSION_STORY, encoding="utf-8")
    (tmp_path / "toll.txt").write_text(SESSION_ARTICLE, encoding="utf-8")
    ls_port, port = free_port(), free_port()
    env = {**os.environ, "STANCEDESK_HOME": str(tmp_path / "home")}
    for name in ("STANCEDESK_LABEL_STUDIO_URL", "STANCEDESK_LABEL_STUDIO_TOKEN", "STANCEDESK_WEBHOOK_SECRET",
                 "STANCEDESK_DATABASE_URL"):
        env.pop(name, None)
    cmd = [str(Path(sys.executable).parent / "stancedesk"), "up", "--story", str(tmp_path / "story.toml"),
           str(tmp_path / "toll.txt"), "--label-studio-port", str(ls_port), "--port", str(port)]
    with open(tmp_path / "up.log", "wb") as log:  # the child keeps its own descriptor
        process = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if ignore_sigint
                                   else None)
    return process, tmp_path / "up.log", ls_port


def _wait_for(path: Path, text: str, process, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = path.read_text(encoding="utf-8", errors="replace")
        if text in out:
            return out
        if process.poll() is not None:
            pytest.fail(f"stancedesk up exited ({process.returncode}) before printing {text!r}:\n{out}")
        time.sleep(0.3)
    pytest.fail(f"stancedesk up did not print {text!r} within {timeout:.0f} s:\n{path.read_text()}")


def _label_studio_processes(port: int) -> list[int]:
    """PIDs of Label Studio processes listening on ``port`` (found by their command line)."""
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmd = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if any(b"label-studio" in part for part in cmd) and str(port).encode() in cmd:
                pids.append(int(proc.name))
    return pids


def _stop_up(process, timeout: float = 60) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def test_an_annotator_session_from_make_run_to_the_store(browser_page, tmp_path):
    """`stancedesk up`, as `make run` starts it; log in with the banner's login; open the pushed task; the target
    and the stance choices are on screen without scrolling; select the claim, change its stance by hotkey,
    submit; the change is in the store, for both copies of the repeated paragraph; nothing left loopback; Ctrl-C
    stops the stack cleanly."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    from plugin.exports import latest_per_task
    from plugin.store import open_store

    process, log, ls_port = _start_up(tmp_path)
    page, outside = browser_page
    try:
        banner = _wait_for(log, BANNER_END, process, timeout=300)
        data_url = re.search(r"Label Studio\s+(http://127\.0\.0\.1:\d+/projects/\d+/data)", banner).group(1)
        user, password = re.search(r"login\s+(\S+) / (\S+)", banner).groups()
        try:
            page.goto(data_url)  # the login page first, then back here
            page.fill('input[name="email"]', user)
            page.fill('input[name="password"]', password)
            page.click('button[type="submit"]')
            page.wait_for_url(lambda u: "/user/login" not in u)
            page.goto(data_url)
            page.get_by_text("Brackenford council offers talks").first.click()  # the task's row

            main = page.locator(".lsf-main-view")
            claim_region = page.locator(".lsf-outliner-item", has_text=SESSION_CLAIM[:30])
            try:
                expect(claim_region).to_have_count(1, timeout=15_000)  # one claim: the copy is left to the first
            except AssertionError:
                page.reload()  # Label Studio 1.23 sometimes opens a task cold without its predictions
                expect(claim_region).to_have_count(1, timeout=20_000)
            target = main.get_by_text(SESSION_TARGET, exact=True).first
            expect(target).to_be_in_viewport()

            claim_region.click()
            choice = {s: main.locator("label.lsf-choice__checkbox", has_text=s) for s in STANCES}
            for stance in STANCES:
                expect(choice[stance]).to_be_in_viewport()
            expect(main.locator('input[name="support"]')).to_be_checked()  # the predicted stance
            expect(page.get_by_text("1 later copy of this paragraph takes this correction")).to_be_visible()
            page.keyboard.press("2")  # the hotkey of "oppose"
            expect(main.locator('input[name="oppose"]')).to_be_checked()
            expect(main.locator('input[name="support"]')).not_to_be_checked()
            page.get_by_role("button", name="Submit").click()
            expect(page.get_by_text("Annotation saved successfully", exact=True)).to_be_visible()
        except (AssertionError, PlaywrightTimeout):
            shot = tmp_path / "session_failure.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot of the failure: {shot}")
            raise

        # the webhook delivered the annotation inside Label Studio's save request: it is in the store now
        store = open_store(tmp_path / "home")
        (human,) = latest_per_task(store).values()
        stances = {(c.start, c.text): c.stance for c in human.claims}
        copies = [(start, text) for (start, text) in stances if text == SESSION_CLAIM]
        assert len(copies) == 2, f"both copies of the lead should carry the correction: {stances}"
        assert {stances[k] for k in copies} == {"oppose"}
        assert outside == [], f"requests left loopback: {outside}"
    finally:
        code = _stop_up(process)
    out = log.read_text(encoding="utf-8", errors="replace")
    assert code == 0, out
    assert "Traceback" not in out, out
    assert "stopping ..." in out
    assert _label_studio_processes(ls_port) == []


def test_ctrl_c_while_the_stack_starts_stops_it_even_from_a_background_job(tmp_path):
    """A shell's background job inherits an ignored SIGINT; `up` still stops on it while Label Studio starts,
    stops the Label Studio it started, and prints one line instead of a traceback."""
    process, log, ls_port = _start_up(tmp_path, ignore_sigint=True)
    try:
        _wait_for(log, "starting Label Studio", process, timeout=60)
        deadline = time.monotonic() + 60
        while not _label_studio_processes(ls_port) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _label_studio_processes(ls_port), "Label Studio never started"
    finally:
        code = _stop_up(process)
    out = log.read_text(encoding="utf-8", errors="replace")
    assert code == 130, out
    assert "stancedesk: interrupted" in out
    assert "Traceback" not in out, out
    assert _label_studio_processes(ls_port) == []
