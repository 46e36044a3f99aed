"""A real browser (Debian's Chromium, driven by Playwright) draws on the running app.

Gradio draws the canvas with WebGL, which headless Chromium renders in software (slowly), so
the test draws a few digits with a few dozen mouse moves each.
"""

import shutil

import pytest

from tests.bad_uploads import digit_photo
from training.drawn_digits import CANVAS, STYLES, Pose, place

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
TOP = '#prediction [data-testid="label-output-value"]'


@pytest.fixture(scope="module")
def page(app_url):
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(60_000)
        page.goto(app_url)
        page.wait_for_selector("#sketchpad canvas")
        page.wait_for_timeout(1000)
        yield page
        browser.close()


def drawing_area(page) -> tuple[float, float, float]:
    """-> (left, top, side) on screen of the 800x800 canvas, shown zoomed and centred."""
    box = page.locator("#sketchpad canvas").first.bounding_box()
    zoom = int(page.locator("#sketchpad span", has_text="%").first.inner_text().strip("%")) / 100
    side = CANVAS * zoom
    return box["x"] + (box["width"] - side) / 2, box["y"] + (box["height"] - side) / 2, side


def draw(page, digit: int, pose: Pose) -> None:
    """Draw a digit's strokes with the mouse: press, move along the path, release."""
    left, top, side = drawing_area(page)
    for stroke in place(STYLES[digit][0], pose):
        points = stroke[:: max(1, len(stroke) // 20)].tolist() + [stroke[-1].tolist()]
        screen = [(left + x / CANVAS * side, top + y / CANVAS * side) for x, y in points]
        page.mouse.move(*screen[0])
        page.mouse.down()
        for x, y in screen[1:]:
            page.mouse.move(x, y)
        page.mouse.up()


def read_top(page, expected: str) -> str:
    """Wait until the prediction label shows `expected` (or time out), then return what it shows."""
    try:
        page.wait_for_function(
            f"() => document.querySelector('{TOP}')?.textContent.trim() === '{expected}'",
            timeout=30_000)
    except playwright.TimeoutError:
        pass
    top = page.locator(TOP)
    shown = top.inner_text().strip() if top.count() else ""
    if shown != expected:  # keep what the page looked like, for whoever reads the failure
        page.screenshot(path=f"/tmp/digitpad-browser-{expected}-read-{shown or 'nothing'}.png")
    return shown


def clear(page) -> None:
    page.click("#clear")
    page.wait_for_function(f"() => !document.querySelector('{TOP}')", timeout=30_000)


def test_visitor_draws_digits_without_picking_a_tool_and_clears(page):
    poses = {7: Pose(height=520, x=400, y=400, brush=40),
             3: Pose(height=420, x=330, y=450, brush=40, slant=0.1),
             0: Pose(height=560, x=420, y=380, brush=40, aspect=0.6)}
    for digit, pose in poses.items():
        draw(page, digit, pose)
        assert read_top(page, str(digit)) == str(digit)
        assert "sure" in page.locator("#note").inner_text()
        clear(page)  # every output resets, and the brush is ready again
        assert "Draw a digit" in page.locator("#note").inner_text()
        assert page.locator("#preview img").count() == 0


def test_visitor_picks_a_dataset_sample(page):
    page.get_by_role("tab", name="Dataset samples").click()
    page.locator("#samples button.thumbnail-item").nth(3).click()
    page.wait_for_function("() => document.querySelector('#note').textContent.includes('true label')")
    note = page.locator("#note").inner_text()
    assert "TEST sample" in note and ("right" in note or "wrong" in note)
    assert page.locator(TOP).inner_text().strip() in list("0123456789")


def test_visitor_uploads_a_photo(page, tmp_path):
    path = tmp_path / "five.png"
    digit_photo(5).save(path)
    page.get_by_role("tab", name="Upload").click()
    page.locator("#upload input[type=file]").set_input_files(str(path))
    assert read_top(page, "5") == "5"


def preview_colourfulness(page) -> float:
    """How far the preview image is from grey (0 for the plain 28x28 input)."""
    import io

    import numpy as np
    from PIL import Image

    shot = np.asarray(Image.open(io.BytesIO(page.locator("#preview img").screenshot())).convert("RGB"))
    return float(np.abs(shot.astype(int)[..., 0] - shot.astype(int)[..., 2]).mean())


def test_visitor_writes_a_number_then_asks_why(page):
    page.get_by_role("tab", name="Draw").click()
    clear(page)
    draw(page, 4, Pose(height=300, aspect=0.6, x=250, y=400, brush=36))
    draw(page, 2, Pose(height=300, aspect=0.6, x=560, y=400, brush=36))
    assert read_top(page, "42") == "42"
    assert "number **42**" in page.locator("#note").inner_html() or "42" in page.locator("#note").inner_text()
    clear(page)
    draw(page, 7, Pose(height=520, x=400, y=400, brush=40))
    assert read_top(page, "7") == "7"
    grey = preview_colourfulness(page)  # the plain 28x28 input (and the label's badge)
    page.locator("#why input[type=checkbox]").check()
    for _ in range(60):  # the preview becomes the saliency map, in orange and blue
        if preview_colourfulness(page) > 2 * grey:
            break
        page.wait_for_timeout(500)
    page.screenshot(path="/tmp/digitpad-browser-why.png")
    assert preview_colourfulness(page) > 2 * grey


def test_visitor_corrects_a_reading(page):
    import os
    from pathlib import Path

    import numpy as np

    folder = Path(os.environ["DIGITPAD_FEEDBACK_DIR"])
    before = set(folder.glob("*.npz"))
    page.get_by_role("tab", name="Draw").click()
    clear(page)
    draw(page, 1, Pose(height=520, x=400, y=400, brush=40))
    read_top(page, "1")
    page.locator("#meant input").click()
    page.get_by_role("option", name="4").click()  # "Wrong? It was a 4"
    page.click("#save-correction")
    page.wait_for_function("() => document.querySelector('#thanks').textContent.includes('Thank')")
    stored = set(folder.glob("*.npz")) - before
    assert len(stored) == 1
    with np.load(stored.pop()) as data:
        assert int(data["label"]) == 4 and data["image"].shape == (28, 28)
        assert data["drawing"].shape == (800, 800, 4)
