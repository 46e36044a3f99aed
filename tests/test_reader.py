"""The reader in the browser (assets/reader/) and the static Digitpad: held to the server's
answers on the TEST samples and on drawn digits, in a real Chromium, from the folder that
`python -m deploy --static --out DIR` writes, served by `python -m http.server`."""

import base64
import json

import numpy as np
import pytest

from model import pieces, segment
from model.classifier import Classifier
from model.errors import InputError
from model.ink import strokes_from_json, strokes_to_json
from model.preprocess import (
    BLUR_SIGMA,
    FIND_SIZE,
    INK_LEVEL,
    SPECK,
    STROKE_WIDTH,
    WORK_SIZE,
    to_emnist,
)
from model.reading import Drawing, read_drawings
from model.spec import (
    BORDER,
    BRUSH_WIDTH,
    CANVAS_SIZE,
    IMAGE_SIZE,
    MAX_POINTS,
    MAX_STROKES,
    MODEL_DIR,
    SAMPLES_FILE,
)
from tests.golden import FILE, PAD, pad_ink
from tests.helpers import FIGURES, FULL, READER, TOP, draw, open_page, strokes_of
from training.drawn_digits import STYLES, Pose, place, random_pose, written_numbers


@pytest.fixture(scope="module")
def reader_page(browser, site):
    """The static page, its reader loaded: where the reader is called directly."""
    requests = []
    page = open_page(browser, site[1], requests)
    assert page.evaluate("document.querySelector('#sketchpad').dataset.reader") == "ready"
    yield page
    page.context.close()


def browser_read(page, inks: list[str]) -> list[dict]:
    """Ink JSON -> the reader's readings ({image, probabilities, digit} as lists, or error)."""
    return page.evaluate("""(inks) => inks.map((ink) => {
      try {
        const r = document.querySelector('#sketchpad').reader.read(JSON.parse(ink));
        return {digit: r.digit, image: r.image && Array.from(r.image), number: r.number,
                probabilities: r.probabilities && Array.from(r.probabilities)};
      } catch (error) { return {error: error.message}; }
    })""", inks)


def said(reading) -> str:
    """The server's reading (`model.reading`) -> what it read: "7", "1984", or "" if blank."""
    return reading.number if hasattr(reading, "number") else str(reading.digit or "")


def read(answer: dict) -> str:
    """The browser's reading (`browser_read`) -> what it read, as `said` writes it."""
    return answer.get("number") or str(answer["digit"] or "")


def test_the_reader_uses_the_servers_settings(reader_page):
    settings = reader_page.evaluate("DigitReader.SETTINGS")
    assert settings == {
        "canvas": CANVAS_SIZE, "brush": BRUSH_WIDTH, "maxStrokes": MAX_STROKES,
        "maxPoints": MAX_POINTS, "image": IMAGE_SIZE, "border": BORDER, "findSize": FIND_SIZE,
        "inkLevel": INK_LEVEL, "speck": SPECK, "workSize": WORK_SIZE,
        "strokeWidth": STROKE_WIDTH, "blurSigma": BLUR_SIGMA}
    numbers = reader_page.evaluate("DigitReader.NUMBERS")
    assert numbers == {
        "workHeight": pieces.WORK_HEIGHT, "longest": pieces.LONGEST,
        "mostPieces": segment.MOST_PIECES, "perDigit": segment.PER_DIGIT,
        "widest": segment.WIDEST, "tooWide": segment.TOO_WIDE, "lowest": segment.LOWEST,
        "tooLow": segment.TOO_LOW, "apart": segment.APART, "overlap": segment.OVERLAP,
        "perPenCut": segment.PER_PEN_CUT, "oneDigit": segment.ONE_DIGIT,
        "hopeless": segment.HOPELESS,
        "slants": [pieces.SLANTS[0], pieces.SLANTS[-1], len(pieces.SLANTS)]}


def test_the_browser_copy_reads_the_test_samples_as_the_saved_model(reader_page):
    samples = np.load(MODEL_DIR / SAMPLES_FILE)
    images = samples["images"].astype(np.float32) / 255
    served = Classifier().probabilities(images)
    encoded = base64.b64encode(samples["images"].tobytes()).decode()
    browser = np.array(reader_page.evaluate("""(encoded) => {
      const bytes = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0)), out = [];
      const reader = document.querySelector('#sketchpad').reader;
      for (let k = 0; k < bytes.length / 784; k++) {
        const image = Float32Array.from(bytes.subarray(784 * k, 784 * (k + 1)), (v) => v / 255);
        out.push(Array.from(reader.probabilities(image)));
      }
      return out;
    }""", encoded))
    same = (browser.argmax(1) == served.argmax(1)).mean()
    difference = np.abs(browser - served).mean()
    FIGURES["browser copy on TEST: same label, mean |dp|"] = f"{same:.2%}, {difference:.4f}"
    assert browser.shape == served.shape and np.allclose(browser.sum(1), 1, atol=1e-4)
    assert same >= 0.995 and difference <= 0.01


def drawn_inks(per_style: int, seed: int) -> list[tuple[str, int]]:
    """Every style of every digit in `per_style` random poses, as the pad's ink JSON."""
    rng = np.random.default_rng(seed)
    return [(strokes_to_json([np.column_stack([s, 10 * np.arange(len(s))])
                              for s in place(strokes, random_pose(rng))]), digit)
            for digit, styles in STYLES.items() for strokes in styles for _ in range(per_style)]


def test_drawn_digits_read_in_the_browser_as_the_server_reads_their_ink(reader_page):
    inks = drawn_inks(per_style=40 if FULL else 8, seed=49)
    served = read_drawings(Classifier(), [Drawing.from_json(ink) for ink, _ in inks])
    browser = browser_read(reader_page, [ink for ink, _ in inks])
    same = np.mean([said(s) == read(b) for s, b in zip(served, browser)])
    FIGURES[f"browser reader on {len(inks)} drawn digits: same label as /read_ink"] = f"{same:.2%}"
    assert same >= 0.995
    # The 28x28 input itself: the pad's strokes drawn, framed and re-drawn as the server does.
    ink, _ = inks[0]
    expected = to_emnist(Drawing.from_json(ink).picture)
    got = np.array(browser[0]["image"], np.float32).reshape(IMAGE_SIZE, IMAGE_SIZE)
    assert np.abs(got - expected).mean() < 0.02


def test_the_browsers_28x28_is_the_golden_one(reader_page):
    golden = np.load(FILE)
    for name in PAD:
        ink = pad_ink(name)
        raster = base64.b64encode(Drawing.from_json(ink).picture.tobytes()).decode()
        same_raster, own = reader_page.evaluate("""([raster, ink]) => {
          const bytes = Uint8Array.from(atob(raster), (c) => c.charCodeAt(0));
          const own = DigitReader.toEmnist(DigitReader.drawStrokes(JSON.parse(ink)), 800, 800);
          return [Array.from(DigitReader.toEmnist(bytes, 800, 800)), Array.from(own)];
        }""", [raster, ink])
        expected = golden[name].ravel()
        np.testing.assert_allclose(same_raster, expected, atol=1e-5, err_msg=name)  # its steps
        assert np.abs(np.array(own) - expected).mean() < 0.03, name  # its own pen: nearly


def test_numbers_on_the_pad_read_in_the_browser_as_the_server_reads_them(reader_page):
    numbers = written_numbers(per_kind=50 if FULL else 10, seed=4949, pad=True)
    inks = [strokes_to_json(number.strokes()) for number in numbers]
    served = read_drawings(Classifier(), [Drawing.from_json(ink) for ink in inks])
    browser = browser_read(reader_page, inks)
    pairs = [(said(s), read(b)) for s, b in zip(served, browser)]
    same = np.mean([a == b for a, b in pairs])
    FIGURES[f"browser reader on {len(inks)} pad numbers: same as /read_ink"] = f"{same:.2%}"
    assert same >= 0.99, [pair for pair in pairs if pair[0] != pair[1]]


def test_the_reader_refuses_ink_as_the_server_does(reader_page):
    point = [400, 400, 0]
    bad = ['[[[400, NaN, 0]]]'.replace("NaN", "1e999"), json.dumps([[point]] * (MAX_STROKES + 1)),
           json.dumps([[point] * (MAX_POINTS + 1)]), json.dumps([[]]), json.dumps([[[1, "a"]]])]
    for ink, answer in zip(bad, browser_read(reader_page, bad)):
        with pytest.raises(InputError) as refused:
            strokes_from_json(ink)
        assert answer == {"error": str(refused.value)}
    blank, = browser_read(reader_page, ["[]"])
    assert blank["digit"] is None and blank["probabilities"] is None and blank["image"] is None


def test_the_static_page_reads_as_you_draw_offline(browser, site):
    folder, url = site
    requests = []
    page = open_page(browser, url, requests)
    page.evaluate("""() => { window.readings = 0; const pad = document.querySelector('#sketchpad');
      new MutationObserver(() => { if (pad.reading && pad.reading.moving) readings++; })
        .observe(document.querySelector('#prediction'), {childList: true, subtree: true}); }""")
    strokes = strokes_of(7, Pose(height=560, x=400, y=420))
    draw(page, [s[:, :2] for s in strokes])
    page.wait_for_function(f"() => document.querySelector('{TOP}')?.textContent === '7'")
    assert page.evaluate("readings") > 0  # the label followed the pen before it lifted
    assert "7" in page.locator("#note").inner_text()
    assert all(u.startswith(url) for _, u, _ in requests), "an outbound request"
    page.locator("#samples button").first.click()
    page.wait_for_function("() => document.querySelector('#note').textContent.includes('TEST')")
    assert page.locator(TOP).inner_text() == "0"
    assert "right" in page.locator("#note").inner_text()
    page.context.close()


def test_a_browser_without_webassembly_is_told_in_plain_words(browser, site):
    page = browser.new_context().new_page()
    page.add_init_script("delete window.WebAssembly")
    page.goto(site[1])
    page.wait_for_function(READER)
    status = page.locator("#reader-status").inner_text()
    assert "cannot run" in status and "WebAssembly" in status
    page.context.close()


def test_the_static_folder_is_complete_and_light(site):
    folder, _ = site
    files = {p.relative_to(folder).as_posix(): p.stat().st_size
             for p in folder.rglob("*") if p.is_file()}
    for needed in ("index.html", "README.md", "model/network.json", "model/weights.bin",
                   "samples.png", "samples.json", "assets/reader/reader.js", "assets/inkpad.js",
                   "assets/vendor/tfjs/LICENSE"):
        assert needed in files, needed
    # A browser with WebAssembly SIMD never fetches the plain WebAssembly build.
    first_visit = sum(size for name, size in files.items()
                      if name not in ("README.md", "assets/vendor/tfjs/tfjs-backend-wasm.wasm"))
    FIGURES["static page, first visit (bytes, uncompressed)"] = f"{first_visit:,}"
    assert first_visit <= 1_500_000
    readme = (folder / "README.md").read_text()
    assert "sdk: static" in readme and "app_file: index.html" in readme
