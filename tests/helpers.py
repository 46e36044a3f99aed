"""What the tests share besides fixtures: the figures they print, the ink of drawn digits, and
how a test draws on a page and reads its answer in Chromium."""

import os
from pathlib import Path

import numpy as np
import playwright.sync_api as playwright

from model.ink import strokes_to_json
from model.spec import CANVAS_SIZE
from training.drawn_digits import STYLES, Pose, place

FIGURES = {}  # measured by tests (latency, sizes), printed at the end of the run
FULL = os.environ.get("DIGITPAD_FULL") == "1"  # the full sets where CI samples them
SPEAKER_KEY = "test-speaker-key"  # the tests' app runs audience mode with this key ...
SENDS_PER_ADDRESS = 20  # ... and lets one address send this many drawings a minute


# ---------------------------------------------------------------------------- ink
def strokes_of(digit: int, pose: Pose, style: int = 0) -> list[np.ndarray]:
    """A drawn-digit style's strokes on the pad, with a time on each point (10 ms apart)."""
    placed = place(STYLES[digit][style], pose)
    return [np.column_stack([s, 10 * np.arange(len(s))]) for s in placed]


def seven() -> str:
    """The ink JSON of a 7 drawn large in the pad's middle."""
    return strokes_to_json(strokes_of(7, Pose(height=560, x=400, y=420)))


# ---------------------------------------------------------------------------- the browser
PHONE = dict(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True,
             device_scale_factor=3)  # a browser context as a phone's
TOP = '#prediction [data-testid="label-output-value"]'
SETTLE = 500  # ms without a change of the label: the reading is final
WATCH = """() => {  // when each stroke ended, and when the label changed (page clock, ms)
  window.ups = []; window.changes = [];
  document.addEventListener('pointerup', () => ups.push(performance.now()), true);
  new MutationObserver(() => changes.push(performance.now())).observe(
    document.querySelector('#prediction'), {subtree: true, childList: true, characterData: true,
                                            attributes: true});
}"""


READER = """() => ['ready', 'failed', 'none'].includes(document.querySelector(
  '#sketchpad [data-reader], #sketchpad[data-reader]')?.dataset.reader)"""  # loaded, or not


def open_page(browser, url, requests_seen, reader: bool = True, **context):
    """A page of the app (or of the static Digitpad), its pad drawn; its reader in the browser
    loaded (or failed to) where the page has one. `reader=False`: a browser where it cannot
    load (its script blocked), so the server reads everything."""
    page = browser.new_context(**context).new_page()
    page.set_default_timeout(60_000)
    if not reader:
        page.route("**/reader.js", lambda route: route.abort())
    page.on("request", lambda r: requests_seen.append((r.method, r.url, r.post_data or "")))
    page.goto(url)
    page.wait_for_selector("#sketchpad canvas")
    page.wait_for_selector("#prediction", state="attached")
    page.wait_for_function(READER)
    page.evaluate(WATCH)
    return page


def screenshot(page, name: str, full_page: bool = False, of: str | None = None) -> None:
    """Save the page (or the element `of` selects) as DIGITPAD_SCREENSHOTS/name.png."""
    folder = Path(os.environ.get("DIGITPAD_SCREENSHOTS", "/tmp/digitpad-screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    if of:
        page.locator(of).screenshot(path=folder / f"{name}.png")
    else:
        page.screenshot(path=folder / f"{name}.png", full_page=full_page)


def to_screen(page, points):
    box = page.locator("#sketchpad canvas").bounding_box()
    return [(box["x"] + x / CANVAS_SIZE * box["width"], box["y"] + y / CANVAS_SIZE * box["height"])
            for x, y in points]


def draw(page, strokes) -> None:
    """Draw strokes (canvas coordinates) with the mouse: press, move along, release."""
    for stroke in strokes:
        points = stroke[:: max(1, len(stroke) // 20)].tolist() + [stroke[-1].tolist()]
        screen = to_screen(page, points)
        page.mouse.move(*screen[0])
        page.mouse.down()
        for x, y in screen[1:]:
            page.mouse.move(x, y)
        page.mouse.up()


def settle(page) -> str:
    """Wait until the label has not changed for SETTLE ms -> what it shows ('' for nothing)."""
    page.wait_for_function(f"() => performance.now() - Math.max(0, ...changes, ...ups) > {SETTLE}",
                           polling=100)
    top = page.locator(TOP)
    return top.inner_text().strip() if top.count() else ""


def read_top(page, expected: str) -> str:
    """Wait until the label shows `expected` (or time out) -> what it shows."""
    try:
        page.wait_for_function(
            f"() => document.querySelector('{TOP}')?.textContent.trim() === '{expected}'",
            timeout=30_000)
    except playwright.TimeoutError:
        page.screenshot(path=f"/tmp/digitpad-browser-wanted-{expected}.png")
    top = page.locator(TOP)
    return top.inner_text().strip() if top.count() else ""


def touch(page, strokes) -> None:
    """Draw strokes with one finger, through Chromium's own touch input (CDP)."""
    cdp = page.context.new_cdp_session(page)
    for stroke in strokes:
        points = stroke[:: max(1, len(stroke) // 15)].tolist() + [stroke[-1].tolist()]
        screen = to_screen(page, points)
        for kind, (x, y) in [("touchStart", screen[0]), *(("touchMove", p) for p in screen[1:])]:
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def on_screen(box: dict, width: int, height: int) -> bool:
    """A bounding box (Playwright's) -> whether it lies wholly within a width x height screen."""
    return (box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= width
            and box["y"] + box["height"] <= height)
