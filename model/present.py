"""What the app shows for a reading: label, chart rows, one-line notes, and preview images.

Pure functions of readings (`model.reading`), so `app.py` holds only components and wiring.
"""


import numpy as np
import pandas as pd
from PIL import Image, ImageDraw

from model.preprocess import find_ink
from model.reading import Drawing, NumberReading
from model.spec import CLASSES

PREVIEW_SCALE = 8  # the 28x28 input is shown 224x224, each pixel a visible square
SURE = 0.80  # below this top probability ...
CLOSE = 0.25  # ... or with the runner-up this close behind, the verdict says it is unsure
NUMBER_WIDTH = 640  # a whole number's preview is at most this wide
PHOTO_HEIGHT = 224  # a photo's preview is as tall as the 28x28 input's
ORANGE, GREY, BLUE = (249, 115, 22), (148, 163, 184), (37, 99, 235)


def chart(probabilities) -> pd.DataFrame | None:
    """(10,) probabilities -> the bar chart's rows (digit, probability, which is the guess).

    None (an empty chart) when there is nothing to show: a chart's first data fixes its colour
    scale, so a blank chart of grey bars alone would leave the predicted bar undrawn.
    """
    if probabilities is None:
        return None
    p = np.asarray(probabilities)
    return pd.DataFrame({"digit": list(CLASSES), "probability": p.round(4),
                         "reading": ["prediction" if i == p.argmax() else "other"
                                     for i in range(len(CLASSES))]})


def label(reading) -> dict[str, float] | None:
    """A reading -> the gr.Label value: {digit: probability}, {number: confidence}, or None
    for a blank."""
    if reading.blank:
        return None
    if isinstance(reading, NumberReading):
        return {reading.number: reading.confidence}
    return dict(zip(CLASSES, map(float, reading.probabilities)))


def announcement(reading) -> str:
    """A final reading -> one plain sentence for a screen reader's live region."""
    if reading.blank:
        return "The pad is empty."
    if isinstance(reading, NumberReading):
        return f"Reads the number {reading.number}, {reading.confidence:.0%} sure."
    first, second, unsure = _top_two(reading.probabilities)
    p = reading.probabilities
    if unsure:
        return (f"Not sure: a {CLASSES[first]} ({p[first]:.0%}) or a {CLASSES[second]} "
                f"({p[second]:.0%}).")
    return f"Reads a {CLASSES[first]}, {p[first]:.0%} sure."


def sample_note(index: int, truth: int, reading) -> str:
    """A TEST sample's index, true digit and reading -> one line, right or wrong."""
    mark = "✅ right" if truth == reading.digit else "❌ wrong"
    return (f"TEST sample #{index}: true label **{truth}**, the model read **{reading.digit}** "
            f"({reading.confidence:.0%}) — {mark}.")


def verdict(p: np.ndarray) -> str:
    """(10,) probabilities -> one line saying what the network read, and how sure it is."""
    first, second, unsure = _top_two(p)
    if unsure:
        return (f"🤔 **Not sure**: a {CLASSES[first]} ({p[first]:.0%}) "
                f"or a {CLASSES[second]} ({p[second]:.0%})?")
    return f"✅ Reads a **{CLASSES[first]}** ({p[first]:.0%} sure)."


def _top_two(p: np.ndarray) -> tuple[int, int, bool]:
    """(10,) probabilities -> (the likeliest digit, the next, whether it is too close to say)."""
    first, second = np.argsort(p)[::-1][:2]
    return int(first), int(second), bool(p[first] < SURE or p[first] - p[second] < CLOSE)


def pixels(image: np.ndarray) -> np.ndarray:
    """(28, 28) float32 in [0, 1] -> (224, 224) uint8, each pixel an 8x8 square."""
    square = np.ones((PREVIEW_SCALE, PREVIEW_SCALE), np.uint8)
    return np.kron(np.round(image * 255).astype(np.uint8), square)


def photo_preview(drawing: Drawing, image: np.ndarray) -> np.ndarray:
    """A photographed Drawing and its (28, 28) input -> RGB uint8: the photo with the sheet
    it found outlined in blue and the ink it read boxed in orange, beside the 28x28 input."""
    sheet = drawing.sheet
    scale = PHOTO_HEIGHT / sheet.gray.shape[0]
    size = (max(1, round(sheet.gray.shape[1] * scale)), PHOTO_HEIGHT)
    photo = Image.fromarray(np.round(255 * sheet.gray).astype(np.uint8)).resize(size, Image.BOX)
    canvas = Image.new("RGB", (size[0] + 8 + PHOTO_HEIGHT, PHOTO_HEIGHT), "white")
    canvas.paste(photo.convert("RGB"))
    canvas.paste(Image.fromarray(pixels(image)).convert("RGB"), (size[0] + 8, 0))
    draw = ImageDraw.Draw(canvas)
    if sheet.corners is not None:
        draw.polygon([tuple(p * scale) for p in sheet.corners], outline=BLUE, width=3)
    box = find_ink(drawing.picture)
    if box is not None:
        rows, cols = box
        draw.rectangle((cols.start * scale - 3, rows.start * scale - 3, cols.stop * scale + 3,
                        rows.stop * scale + 3), outline=ORANGE, width=3)
    return np.asarray(canvas)


def number_note(reading) -> str:
    """A `NumberReading` -> one line: the number, and which digits the network is unsure of."""
    shaky = [str(k + 1) for k, d in enumerate(reading.digits) if d.confidence < SURE]
    return (f"🔢 Reads the number **{reading.number}** ({len(reading.digits)} digits"
            + (f"; not sure of digit {', '.join(shaky)}" if shaky else "") + ").")


def number_preview(reading) -> np.ndarray:
    """A `NumberReading` -> RGB uint8 drawing with a box, digit and confidence for each digit,
    at most NUMBER_WIDTH wide."""
    ink = reading.picture.astype(np.float32) / (255 if reading.picture.dtype == np.uint8 else 1)
    scale = min(1.0, NUMBER_WIDTH / ink.shape[1])
    size = (max(1, round(ink.shape[1] * scale)), max(1, round(ink.shape[0] * scale)))
    paper = Image.fromarray(np.round(255 * (1 - ink)).astype(np.uint8)).resize(size, Image.BOX)
    canvas = paper.convert("RGB")
    draw = ImageDraw.Draw(canvas)
    for k, digit in enumerate(reading.digits):
        left, top, right, bottom = (round(v * scale) for v in digit.box)
        colour = ORANGE if digit.confidence >= SURE else GREY
        draw.rectangle((left - 3, top - 3, right + 3, bottom + 3), outline=colour, width=3)
        draw.text((left, max(0, top - 16)),
                  f"{k + 1}: {CLASSES[digit.digit]} {digit.confidence:.0%}", fill=colour)
    return np.asarray(canvas)


def model_card(metadata: dict) -> str:
    """A model's metadata (`metadata.json`) -> a short Markdown model card for the page."""
    def share(key):
        value = metadata.get(key)
        return f"{value:.2%}" if isinstance(value, (int, float)) else "not measured"
    return "\n".join([
        "| | |", "|---|---|",
        f"| Network | {metadata.get('network', '?')}, "
        f"{metadata.get('parameters', 0):,} parameters |",
        f"| Data | {metadata.get('dataset', '?')}: {metadata.get('split', '?')} |",
        f"| Accuracy | validation {share('validation_accuracy')}, held-out TEST "
        f"{share('test_accuracy')}, drawn digits {share('drawn_accuracy')}, 1s with a flag "
        f"and 7s with long bars {share('style_accuracy')} |",
        f"| Input | {metadata.get('input_format', {}).get('layout', '?')} |",
        f"| Trained | {metadata.get('trained_at', '?')[:10]} with TensorFlow "
        f"{metadata.get('versions', {}).get('tensorflow', '?')} |"])

