"""In a real browser: the annotator sees the story's stance target on the labeling screen.

Debian's chromium (``/usr/bin/chromium``, installed by ``make install``) driven by
Playwright, headless, against the session's real Label Studio. One invented task
with a claim region and its stance choice is pushed, for an invented story, into
a project made with ``annotation_configs/stancedesk.xml``; the test logs in, opens
the task and checks that the target is shown at the top and again beside the stance choices once the
claim is selected. No request may leave loopback.
"""

from __future__ import annotations

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
