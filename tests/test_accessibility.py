"""Accessibility, checked as a new user's browser sees each page: axe-core (from npm, installed
by tests/run.sh) run inside Chromium on every page, one level-one heading each, and the live
region that tells a screen reader what the network read."""

import pytest

from model.spec import ROOT
from tests.helpers import SPEAKER_KEY

AXE = ROOT / "tests" / "node_modules" / "axe-core" / "axe.min.js"
PAGES = ("", "audience", "phone", "stage", "speaker")
RUN_AXE = """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
  .filter(v => ['critical', 'serious'].includes(v.impact))
  .map(v => ({rule: v.id, impact: v.impact, elements: v.nodes.map(n => {
    const element = document.querySelector(n.target.join(' '));
    return {target: n.target.join(' '), html: n.html.slice(0, 300),
            within: element?.closest('[id]')?.id, classes: [...(element?.classList || [])]};
  })}))"""


# What each page shows once it has loaded (the phone's prompt and the stage's wall come from its
# first events; the speaker's wall, hidden until unlocked, only has to have answered; /phone is
# plain HTML, without Gradio's front end).
LOADED = {"": "#sketchpad canvas", "audience": "#prompt h1", "phone": "#sketchpad canvas",
          "stage": "#wall .stage", "speaker": "#speaker-unlock"}
SETTLED = "() => !document.querySelector('.progress-text, .eta-bar')"  # no event pending


def open_page(browser, url: str, path: str = ""):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url + path)
    page.wait_for_selector(LOADED[path], state="attached", timeout=60_000)
    page.wait_for_function(SETTLED, timeout=60_000)
    return page


def serious_violations(page) -> list[dict]:
    """axe-core's critical and serious violations on the page as it is now."""
    assert AXE.is_file(), "axe-core is missing: bash tests/run.sh installs it with npm"
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE)


@pytest.mark.parametrize("path", PAGES)
def test_no_critical_or_serious_violation_and_one_heading(app_url, browser, path):
    page = open_page(browser, app_url, path)
    try:
        if path == "speaker":  # and the controls, once unlocked
            page.fill("#speaker-key input", SPEAKER_KEY)
            page.click("#speaker-unlock")
            page.wait_for_selector("#speaker-controls", state="visible")
        assert serious_violations(page) == []
        assert page.locator("h1").count() == 1
        for placeholder in page.locator(".empty[aria-label]").all():  # read as what it is
            assert placeholder.get_attribute("role") == "img"
    finally:
        page.close()


def test_the_static_page_passes_before_and_after_a_reading(browser, site):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(site[1])
        page.wait_for_function("() => document.querySelector('#sketchpad').dataset.reader"
                               " === 'ready'")
        assert serious_violations(page) == [] and page.locator("h1").count() == 1
        page.locator("#samples button").first.click()
        page.wait_for_function("() => document.querySelector('#announce').textContent"
                               ".includes('TEST sample')")
        assert serious_violations(page) == []
    finally:
        page.close()


def test_a_reading_is_announced_and_the_page_passes_with_it(app_url, browser):
    page = open_page(browser, app_url)
    try:
        region = page.locator('#announce [role="status"][aria-live="polite"]')
        assert region.count() == 1 and region.text_content() == ""
        pad = page.locator("#sketchpad canvas")
        box = pad.bounding_box()
        points = [(200, 150), (600, 150), (330, 650)]  # a 7 on the 800 px canvas
        page.mouse.move(box["x"] + points[0][0] * box["width"] / 800,
                        box["y"] + points[0][1] * box["height"] / 800)
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(box["x"] + x * box["width"] / 800, box["y"] + y * box["height"] / 800,
                            steps=12)
        page.mouse.up()
        page.wait_for_function("() => document.querySelector('#announce [role=status]')"
                               ".textContent.startsWith('Reads a 7, ')", timeout=30_000)
        assert region.text_content().endswith("% sure.")
        page.get_by_role("button", name="Inside the network").click()
        page.wait_for_selector("#inside-view table")
        assert serious_violations(page) == []  # with a reading and the layers shown too
        undo = page.locator("#undo")
        assert undo.get_attribute("aria-label") == "Undo the last stroke"
        assert page.locator("#clear").get_attribute("aria-label") == "Clear the pad"
        undo.focus()  # from the keyboard
        page.keyboard.press("Enter")
        page.wait_for_function("() => document.querySelector('#announce [role=status]')"
                               ".textContent === 'The pad is empty.'", timeout=30_000)
    finally:
        page.close()
