"""What a reading is, and the one path from a drawing to it: ink -> digits -> the network.

The app, every API endpoint and the CLI read through these functions and answer with
`to_json()`, so a digit is described the same way everywhere.
"""

from dataclasses import dataclass

import numpy as np

from model.imagefile import read_image
from model.preprocess import ink_map, to_emnist
from model.segment import candidates
from model.spec import CLASSES

DECIMALS = 6  # probabilities in JSON answers


@dataclass(frozen=True)
class DigitReading:
    """One digit as the network read it; `image` and `probabilities` are None for a blank."""

    image: np.ndarray | None  # (28, 28) float32 in [0, 1]: what the network saw
    probabilities: np.ndarray | None  # (10,) float32, summing to 1
    box: tuple[int, int, int, int] | None = None  # (left, top, right, bottom) in a number

    @property
    def digit(self) -> int | None:
        return None if self.probabilities is None else int(self.probabilities.argmax())

    @property
    def confidence(self) -> float:
        return 0.0 if self.probabilities is None else float(self.probabilities.max())

    def to_json(self) -> dict:
        """-> {"label": "7" or None, "digit": 7 or None, "confidence", "probabilities": 10
        floats or None, "confidences": [{"label", "confidence"}, ...] most likely first}."""
        if self.probabilities is None:
            return {"label": None, "digit": None, "confidence": 0.0, "probabilities": None,
                    "confidences": []}
        p = [round(float(v), DECIMALS) for v in self.probabilities]
        order = sorted(range(len(CLASSES)), key=lambda i: -p[i])
        answer = {"label": CLASSES[self.digit], "digit": self.digit, "confidence": p[self.digit],
                  "probabilities": p,
                  "confidences": [{"label": CLASSES[i], "confidence": p[i]} for i in order]}
        return answer | ({"box": list(self.box)} if self.box else {})


BLANK = DigitReading(None, None)


@dataclass(frozen=True)
class NumberReading:
    """Several digits, left to right, and the drawing they were found in."""

    digits: tuple[DigitReading, ...]
    ink: np.ndarray  # (H, W) the drawing's ink, for the preview

    @property
    def number(self) -> str:
        return "".join(CLASSES[d.digit] for d in self.digits)

    @property
    def confidence(self) -> float:
        """How sure the network is of the whole number: the product of its digits'."""
        return float(np.prod([d.confidence for d in self.digits]))

    def to_json(self) -> dict:
        """-> {"number": "1984" ("" if blank), "confidence", "digits": [each digit's to_json(),
        with its "box"]}."""
        return {"number": self.number, "confidence": round(self.confidence, DECIMALS),
                "digits": [d.to_json() for d in self.digits]}


# ---------------------------------------------------------------------------- the path
def file_ink(source) -> np.ndarray:
    """An image file (a path or its bytes) -> (H, W) float32 ink in [0, 1]; InputError if it
    is not a readable image."""
    return ink_map(read_image(source))


def read_digits(classifier, inks: list[np.ndarray]) -> list[DigitReading]:
    """(H, W) inks -> each one's reading as a single digit (all its ink framed together), all
    classified in one batched call; blank inks read as BLANK."""
    images = [to_emnist(ink) for ink in inks]
    found = [image for image in images if image is not None]
    probabilities = iter(classifier.probabilities(np.stack(found)) if found else [])
    return [BLANK if image is None else DigitReading(image, next(probabilities))
            for image in images]


def read_number(classifier, ink: np.ndarray, strokes: list | None = None) -> NumberReading:
    """(H, W) ink -> the number it shows, digit by digit (no digits if blank). `strokes`: the
    ink pad's strokes the ink was drawn from, if it was."""
    return _read(classifier, [ink], [strokes], number=True)[0]


def read_drawings(classifier, inks: list[np.ndarray], strokes: list | None = None) -> list:
    """(H, W) inks (and the strokes each was drawn from, if known) -> a DigitReading for one
    digit (or a blank), a NumberReading for several; every candidate digit of every drawing
    classified in one batched call."""
    return _read(classifier, inks, strokes or [None] * len(inks))


def _read(classifier, inks, strokes, number: bool = False) -> list:
    """Segment each drawing (`model.segment`), classify all candidates in one call, choose."""
    found = [candidates(ink, pieces) for ink, pieces in zip(inks, strokes)]
    images = [c.images for c in found if c is not None]
    probabilities = classifier.probabilities(np.concatenate(images)) if images else None
    readings, start = [], 0
    for ink, drawing in zip(inks, found):
        if drawing is None:
            readings.append(NumberReading((), ink) if number else BLANK)
            continue
        p = probabilities[start:start + len(drawing.images)]
        start += len(drawing.images)
        digits = tuple(DigitReading(drawing.images[k], p[k], drawing.boxes[k])
                       for k in drawing.choose(p))
        if number or len(digits) > 1:
            readings.append(NumberReading(digits, ink))
        else:
            readings.append(DigitReading(digits[0].image, digits[0].probabilities))
    return readings
