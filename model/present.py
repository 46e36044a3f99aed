"""What the app shows for a reading: chart rows, a one-line verdict, and preview images.

Pure functions of the model's inputs and outputs, so `app.py` holds only layout and wiring.
"""

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw

from model.spec import CLASSES

PREVIEW_SCALE = 8  # the 28x28 input is shown 224x224, each pixel a visible square
SURE = 0.80  # below this top probability ...
CLOSE = 0.25  # ... or with the runner-up this close behind, the verdict says it is unsure
NUMBER_WIDTH = 640  # a whole number's preview is at most this wide
ORANGE, GREY = (249, 115, 22), (148, 163, 184)


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


def verdict(p: np.ndarray) -> str:
    """(10,) probabilities -> one line saying what the network read, and how sure it is."""
    first, second = np.argsort(p)[::-1][:2]
    if p[first] < SURE or p[first] - p[second] < CLOSE:
        return (f"🤔 **Not sure**: a {CLASSES[first]} ({p[first]:.0%}) "
                f"or a {CLASSES[second]} ({p[second]:.0%})?")
    return f"✅ Reads a **{CLASSES[first]}** ({p[first]:.0%} sure)."


def pixels(image: np.ndarray) -> np.ndarray:
    """(28, 28) float32 in [0, 1] -> (224, 224) uint8, each pixel an 8x8 square."""
    square = np.ones((PREVIEW_SCALE, PREVIEW_SCALE), np.uint8)
    return np.kron(np.round(image * 255).astype(np.uint8), square)


def number_preview(ink: np.ndarray, reading: dict) -> np.ndarray:
    """(H, W) ink and a `Classifier.read_number` reading -> RGB uint8 drawing with a box,
    digit and confidence for each digit, at most NUMBER_WIDTH wide."""
    ink = ink.astype(np.float32) / (255 if ink.dtype == np.uint8 else 1)
    scale = min(1.0, NUMBER_WIDTH / ink.shape[1])
    size = (max(1, round(ink.shape[1] * scale)), max(1, round(ink.shape[0] * scale)))
    paper = Image.fromarray(np.round(255 * (1 - ink)).astype(np.uint8)).resize(size, Image.BOX)
    canvas = paper.convert("RGB")
    draw = ImageDraw.Draw(canvas)
    for k, digit in enumerate(reading["digits"]):
        left, top, right, bottom = (round(v * scale) for v in digit["box"])
        colour = ORANGE if digit["confidence"] >= SURE else GREY
        draw.rectangle((left - 3, top - 3, right + 3, bottom + 3), outline=colour, width=3)
        draw.text((left, max(0, top - 16)), f"{k + 1}: {digit['digit']} {digit['confidence']:.0%}",
                  fill=colour)
    return np.asarray(canvas)


def model_card(metadata: dict) -> str:
    """A model's metadata (`metadata.json`) -> a short Markdown model card for the page."""
    def share(key):
        return f"{metadata[key]:.2%}" if isinstance(metadata.get(key), (int, float)) else "not measured"
    return "\n".join([
        "| | |", "|---|---|",
        f"| Network | {metadata.get('network', '?')}, {metadata.get('parameters', 0):,} parameters |",
        f"| Data | {metadata.get('dataset', '?')}: {metadata.get('split', '?')} |",
        f"| Accuracy | validation {share('validation_accuracy')}, held-out TEST "
        f"{share('test_accuracy')}, drawn digits {share('drawn_accuracy')} |",
        f"| Input | {metadata.get('input_format', {}).get('layout', '?')} |",
        f"| Trained | {metadata.get('trained_at', '?')[:10]} with TensorFlow "
        f"{metadata.get('versions', {}).get('tensorflow', '?')} |"])

