"""The reader in the browser, in headless Chromium on this machine:  python -m bench.reader

Writes the static Digitpad (`python -m deploy --static`) to a temporary folder, serves it with
`python -m http.server`, and prints:
- one reading (ink -> probabilities, `reader.read`) of a drawn digit and of a pad number,
  p50 and p90 over many, and the network alone on a 28x28 image;
- readings shown a second while a 2 s stroke is drawn on the static page;
- the static page's first visit: bytes transferred (as Chromium counts them) and requests,
  plain and gzipped (as a host that compresses sends them);
- the main page's first contentful paint with its reader and with the reader blocked
  (`--main`: starts the app, which takes a minute).
Each figure is the median of `--rounds` fresh pages. Nothing here is a pass/fail test.
"""

import gzip
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from playwright.sync_api import sync_playwright

from bench.servers import CHROMIUM, CHROMIUM_ARGS, free_port, serve_folder, start_app, wait_for
from deploy.static import write_site
from model.config import flag, parse
from model.ink import strokes_to_json
from training.drawn_digits import STYLES, place, random_pose, written_numbers

READY = "() => ['ready', 'failed'].includes(document.querySelector('#sketchpad').dataset.reader)"
TIMES = """(inks) => {  // ms per reading of each ink, read once before to warm the JIT up
  const reader = document.querySelector('#sketchpad').reader;
  inks.forEach((ink) => reader.read(JSON.parse(ink)));
  return inks.map((ink) => { const strokes = JSON.parse(ink), t = performance.now();
                             reader.read(strokes); return performance.now() - t; });
}"""
FRAME_MS = 1000 / 60  # a pen's pointer events come at the display's rate, or faster


@dataclass(frozen=True)
class Config:
    digits: int = flag(4, "poses of each style of each digit (21 styles)")
    numbers: int = flag(10, "pad numbers of each kind (4 kinds)")
    rounds: int = flag(3, "fresh pages per figure; the median is printed")
    main: bool = flag(False, "also start the app and time the main page's first paint")


def inks(config: Config) -> tuple[list[str], list[str]]:
    """-> (drawn digits, pad numbers) as the pad's ink JSON."""
    rng = np.random.default_rng(1)
    digits = [strokes_to_json([np.column_stack([s, 10 * np.arange(len(s))])
                               for s in place(style, random_pose(rng))])
              for styles in STYLES.values() for style in styles for _ in range(config.digits)]
    numbers = [strokes_to_json(n.strokes()) for n in written_numbers(config.numbers, 7, pad=True)]
    return digits, numbers


def first_visit(page, url: str) -> tuple[int, int]:
    """Load `url` in a fresh page with the cache off -> (bytes received, requests)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    received = []
    cdp.on("Network.loadingFinished", lambda event: received.append(event["encodedDataLength"]))
    page.goto(url)
    page.wait_for_function(READY)
    page.wait_for_load_state("networkidle")
    return sum(received), len(received)


def stroke_rate(page, seconds: float = 2) -> float:
    """Draw one stroke for `seconds`, a pointer event each frame -> readings shown a second."""
    box = page.locator("#sketchpad canvas").bounding_box()
    (points,) = place(STYLES[8][1], random_pose(np.random.default_rng(3)))
    along = np.r_[0, np.cumsum(np.hypot(*np.diff(points, axis=0).T))]
    at = np.linspace(0, along[-1], int(seconds * 1000 / FRAME_MS))
    points = np.column_stack([np.interp(at, along, points[:, k]) for k in (0, 1)])
    screen = [(box["x"] + x * box["width"] / 800, box["y"] + y * box["height"] / 800)
              for x, y in points]
    page.evaluate("""() => { window.seen = 0; document.querySelector('#sketchpad')
      .addEventListener('reading', () => seen++); }""")
    page.mouse.move(*screen[0])
    page.mouse.down()
    start = page.evaluate("performance.now()")
    for x, y in screen[1:]:
        page.mouse.move(x, y)
        page.wait_for_timeout(FRAME_MS)
    seconds = (page.evaluate("performance.now()") - start) / 1000
    seen = page.evaluate("seen")
    page.mouse.up()
    return seen / seconds


def first_paint(page, url: str, reader: bool) -> float:
    """The main page's first contentful paint (ms), its reader loading or blocked."""
    if not reader:
        page.route("**/reader.js", lambda route: route.abort())
    page.goto(url)
    page.wait_for_selector("#sketchpad canvas")
    return page.evaluate("""() => new Promise((done) => new PerformanceObserver((list) => {
      const paint = list.getEntries().find((e) => e.name === 'first-contentful-paint');
      if (paint) done(paint.startTime); }).observe({type: 'paint', buffered: true}))""")


def main(argv=None) -> int:
    config = parse(Config, argv, __doc__)
    folder = Path(tempfile.mkdtemp(prefix="digitpad-static-"))
    files = write_site(folder / "site")
    port = free_port()
    server = serve_folder(folder / "site", port)
    url = f"http://127.0.0.1:{port}/"
    digits, numbers = inks(config)
    figures = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for _ in range(config.rounds):
                page = browser.new_context().new_page()
                received, requests = first_visit(page, url)
                figures.setdefault("first visit (KB received)", []).append(received / 1000)
                figures.setdefault("first visit (requests)", []).append(requests)
                for name, batch in (("digit", digits), ("number", numbers)):
                    ms = page.evaluate(TIMES, batch)
                    figures.setdefault(f"a {name}: p50 ms", []).append(np.percentile(ms, 50))
                    figures.setdefault(f"a {name}: p90 ms", []).append(np.percentile(ms, 90))
                network = page.evaluate("""() => { const r = document.querySelector('#sketchpad')
                  .reader, x = new Float32Array(784).fill(0.1); r.probabilities(x);
                  const t = performance.now(); for (let i = 0; i < 50; i++) r.probabilities(x);
                  return (performance.now() - t) / 50; }""")
                figures.setdefault("the network alone: ms", []).append(network)
                figures.setdefault("readings a second while drawing", []).append(stroke_rate(page))
                page.context.close()
            if config.main:
                app_port = free_port()
                app = start_app(app_port)
                try:
                    wait_for(f"http://127.0.0.1:{app_port}/")
                    for reader in (True, False) * config.rounds:
                        page = browser.new_context().new_page()
                        paint = first_paint(page, f"http://127.0.0.1:{app_port}/", reader)
                        name = f"main page first paint, reader {'on' if reader else 'blocked'}"
                        figures.setdefault(name + " (ms)", []).append(paint)
                        page.context.close()
                finally:
                    app.terminate()
            browser.close()
    finally:
        server.terminate()
    plain = sum((folder / "site" / f).stat().st_size for f in files)
    zipped = sum(len(gzip.compress((folder / "site" / f).read_bytes())) for f in files)
    print(f"static folder: {plain / 1000:.0f} KB in {len(files)} files, {zipped / 1000:.0f} KB "
          "gzipped (the plain WebAssembly build included, which SIMD browsers never fetch)")
    print(f"{len(digits)} drawn digits, {len(numbers)} pad numbers, {config.rounds} pages")
    for name, values in figures.items():
        print(f"{name:48} {statistics.median(values):10.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
