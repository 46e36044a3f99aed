"""A Digitpad that needs no server: the ink pad, read in the visitor's browser.

    python -m deploy --static --out DIR      # write it; any static host serves DIR as it is
    python -m deploy OWNER/SPACE --static    # create or update a static Hugging Face Space

The folder holds the page (`assets/static.html`), the pad and the reader (`assets/`, with
TensorFlow.js under `assets/vendor/tfjs/`), the model's browser copy (`model/`, written by
`training.export`) and a strip of its held-out TEST samples; every file is fetched from the
folder itself, so it works offline.
"""

import html
import json
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from model.spec import (
    BROWSER_DIR,
    BRUSH_WIDTH,
    CANVAS_SIZE,
    IMAGE_SIZE,
    MODEL_DIR,
    READER_SCRIPTS,
    ROOT,
    SAMPLES_FILE,
)

ASSETS = ROOT / "assets"
PAGE_ASSETS = ("inkpad.css", "inkpad.js", "reader", "static.css", "static.js", "vendor/tfjs")
PER_DIGIT = 10  # TEST samples of each digit on the page
PROMPT = "✏️ Draw a digit or a whole number on the pad: the network reads it as you draw."
FRONT_MATTER = """---
title: Digitpad
emoji: ✍️
colorFrom: yellow
colorTo: gray
sdk: static
app_file: index.html
pinned: false
short_description: Draw a digit; a neural network reads it in your browser.
---

# Digitpad, static

Draw a digit and watch a convolutional network read it, in your browser: this Space has no
server. Written by `python -m deploy --static` from https://github.com/ (Digitpad's repository).
"""


def write_site(out: Path, folder: Path = MODEL_DIR) -> list[Path]:
    """Write the static Digitpad for the model in `folder` to `out` (emptied first) -> its files,
    relative to `out`, sorted."""
    browser = folder / BROWSER_DIR
    if not (browser / "network.json").is_file():
        raise FileNotFoundError(f"{folder} has no browser copy: `python -m training.export "
                                f"--folder {folder}` writes it.")
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    (out / "assets").mkdir(parents=True)
    for name in PAGE_ASSETS:
        source, target = ASSETS / name, out / "assets" / name
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
    shutil.copytree(browser, out / "model")
    dataset = write_samples(folder / SAMPLES_FILE, out)
    network = json.loads((browser / "network.json").read_text())
    settings = {"brush": BRUSH_WIDTH, "reader": "model", "vendor": "assets/vendor/tfjs",
                "scripts": " ".join(f"assets/{script}" for script in READER_SCRIPTS)}
    page = (ASSETS / "static.html").read_text().format(
        settings=html.escape(json.dumps(settings)), prompt=html.escape(PROMPT),
        pad=(ASSETS / "inkpad.html").read_text().format(canvas=CANVAS_SIZE),
        dataset=html.escape(dataset),
        networks=f"{len(network['members'])} of the {network['of']} networks")
    (out / "index.html").write_text(page)
    (out / "README.md").write_text(FRONT_MATTER)
    return sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())


def write_samples(samples: Path, out: Path) -> str:
    """The first PER_DIGIT TEST samples of each digit -> `samples.png` (a strip, 28 px per
    sample, white on black) and `samples.json` (their indices and labels) -> the dataset's
    name."""
    found = np.load(samples)
    labels = found["labels"]
    indices = np.concatenate([np.flatnonzero(labels == d)[:PER_DIGIT] for d in range(10)])
    strip = found["images"][indices].reshape(-1, IMAGE_SIZE)
    Image.fromarray(strip.astype(np.uint8), "L").save(out / "samples.png", optimize=True)
    dataset = str(found["dataset"])
    about = {"dataset": dataset, "indices": indices.tolist(), "labels": labels[indices].tolist()}
    (out / "samples.json").write_text(json.dumps(about))
    return dataset
