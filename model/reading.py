"""What a reading is, and the one path from a drawing to it: ink -> digits -> the network.

The app, every API endpoint and the CLI read through these functions and answer with
`to_json()`, so a digit is described the same way everywhere.
"""

from dataclasses import dataclass

import numpy as np

from model.imagefile import read_image
from model.preprocess import ink_map, to_emnist
from model.segment import segment
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
    return _classify(classifier, [[(None, to_emnist(ink))] for ink in inks], inks)


def read_number(classifier, ink: np.ndarray) -> NumberReading:
    """(H, W) ink -> the number it shows, digit by digit (no digits if blank)."""
    return _classify(classifier, [_pieces(ink)], [ink], number=True)[0]


def read_drawings(classifier, inks: list[np.ndarray]) -> list:
    """(H, W) inks -> a DigitReading for one digit (or a blank), a NumberReading for several;
    every digit of every drawing classified in one batched call."""
    return _classify(classifier, [_pieces(ink) for ink in inks], inks)


def _pieces(ink: np.ndarray) -> list[tuple]:
    """(H, W) ink -> [(box, (28, 28) image), ...] of its digits, left to right."""
    return [(digit.box, digit.image) for digit in segment(ink)]


def _classify(classifier, drawings: list[list[tuple]], inks, number: bool = False) -> list:
    """Per drawing [(box, image or None), ...] -> its reading, one model call for them all."""
    images = [image for pieces in drawings for _, image in pieces if image is not None]
    found = iter(classifier.probabilities(np.stack(images)) if images else [])
    readings = []
    for pieces, ink in zip(drawings, inks):
        digits = tuple(DigitReading(image, next(found), box) for box, image in pieces
                       if image is not None)
        if number or len(digits) > 1:
            readings.append(NumberReading(digits, ink))
        else:
            readings.append(DigitReading(digits[0].image, digits[0].probabilities)
                            if digits else BLANK)
    return readings
