"""What a reading is, and the one path to it: a Drawing -> digits -> the network.

Callers make a Drawing from what they have (the pad's ink JSON or strokes, an image file, an
image array); the app, every API endpoint and the CLI read drawings through these functions
and answer with `to_json()`, so a digit is described the same way everywhere.
"""

from dataclasses import dataclass

import numpy as np

from model.imagefile import read_image
from model.ink import draw_strokes, strokes_from_json
from model.photo import Sheet, read_photo
from model.preprocess import to_emnist
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
    def blank(self) -> bool:
        """Nothing read: the one test for it, whichever reading it is."""
        return self.probabilities is None

    @property
    def digit(self) -> int | None:
        return None if self.blank else int(self.probabilities.argmax())

    @property
    def confidence(self) -> float:
        return 0.0 if self.blank else float(self.probabilities.max())

    def to_json(self) -> dict:
        """-> {"label": "7" or None, "digit": 7 or None, "confidence", "probabilities": 10
        floats or None, "confidences": [{"label", "confidence"}, ...] most likely first}."""
        if self.blank:
            return {"label": None, "digit": None, "confidence": 0.0, "probabilities": None,
                    "confidences": []}
        p = [round(float(v), DECIMALS) for v in self.probabilities]
        order = sorted(range(len(CLASSES)), key=lambda i: -p[i])
        answer = {"label": CLASSES[self.digit], "digit": self.digit, "confidence": p[self.digit],
                  "probabilities": p,
                  "confidences": [{"label": CLASSES[i], "confidence": p[i]} for i in order]}
        return answer | ({"box": list(self.box)} if self.box else {})


BLANK = DigitReading(None, None)  # nothing read; a number with no digits is blank too


@dataclass(frozen=True)
class NumberReading:
    """Several digits, left to right, and the drawing they were found in."""

    digits: tuple[DigitReading, ...]
    picture: np.ndarray  # (H, W) the drawing's ink (as `Drawing.picture`), for the preview

    @property
    def blank(self) -> bool:
        return not self.digits

    @property
    def number(self) -> str:
        return "".join(CLASSES[d.digit] for d in self.digits)

    @property
    def confidence(self) -> float:
        """How sure the network is of the whole number: the product of its digits' (0 for
        none: a blank drawing is no number at all)."""
        return float(np.prod([d.confidence for d in self.digits])) if self.digits else 0.0

    def to_json(self) -> dict:
        """-> {"number": "1984" ("" if blank), "confidence", "digits": [each digit's to_json(),
        with its "box"]}."""
        return {"number": self.number, "confidence": round(self.confidence, DECIMALS),
                "digits": [d.to_json() for d in self.digits]}


# ---------------------------------------------------------------------------- drawings
@dataclass(frozen=True)
class Drawing:
    """What the reader reads: a picture of ink, and the pad's strokes if it was drawn there
    or the photo's sheet if it was photographed."""

    picture: np.ndarray  # (H, W) ink: uint8 in [0, 255] or float32 in [0, 1], most ink = max
    strokes: tuple | None = None  # (N, 3) float64 (x, y, t ms) per stroke, in drawing order
    sheet: Sheet | None = None  # how a photo was read: the region read, for the preview

    @classmethod
    def from_strokes(cls, strokes: list[np.ndarray]) -> "Drawing":
        """The pad's strokes (as `model.ink.strokes_from_json` gives) -> drawn as the pad draws."""
        return cls(draw_strokes(strokes), tuple(strokes))

    @classmethod
    def from_json(cls, text: str) -> "Drawing":
        """Ink JSON as the pad sends it -> its Drawing; InputError if it is not ink."""
        return cls.from_strokes(strokes_from_json(text))

    @classmethod
    def from_image(cls, image: np.ndarray) -> "Drawing":
        """Any image array (see `model.preprocess.from_array`) -> the ink written on it, the
        sheet it lies on found and its print left out (`model.photo`), as a Drawing."""
        sheet = read_photo(image)
        return cls(sheet.ink, sheet=sheet)

    @classmethod
    def from_file(cls, source) -> "Drawing":
        """An image file (a path or its bytes) -> its ink as a Drawing; InputError if it is
        not a readable image."""
        return cls.from_image(read_image(source))


# ---------------------------------------------------------------------------- the path
def read_each_as_digit(classifier, drawings: list[Drawing]) -> list[DigitReading]:
    """Drawings -> each one read as a single digit (all its ink framed together), all
    classified in one batched call; blank drawings read as BLANK."""
    images = [to_emnist(drawing.picture) for drawing in drawings]
    found = [image for image in images if image is not None]
    probabilities = iter(classifier.probabilities(np.stack(found)) if found else [])
    return [BLANK if image is None else DigitReading(image, next(probabilities))
            for image in images]


def read_number(classifier, drawing: Drawing) -> NumberReading:
    """A drawing -> the number it shows, digit by digit (no digits if blank)."""
    return _read(classifier, [drawing], number=True)[0]


def read_drawings(classifier, drawings: list[Drawing]) -> list:
    """Drawings -> a DigitReading for one digit (or a blank), a NumberReading for several;
    every candidate digit of every drawing classified in one batched call."""
    return _read(classifier, drawings)


def _read(classifier, drawings: list[Drawing], number: bool = False) -> list:
    """Segment each drawing (`model.segment`), classify all candidates in one call, choose."""
    found = [candidates(d.picture, list(d.strokes) if d.strokes else None) for d in drawings]
    images = [c.images for c in found if c is not None]
    probabilities = classifier.probabilities(np.concatenate(images)) if images else None
    readings, start = [], 0
    for drawing, cut in zip(drawings, found):
        if cut is None:
            readings.append(NumberReading((), drawing.picture) if number else BLANK)
            continue
        p = probabilities[start:start + len(cut.images)]
        start += len(cut.images)
        digits = tuple(DigitReading(cut.images[k], p[k], cut.boxes[k]) for k in cut.choose(p))
        if number or len(digits) > 1:
            readings.append(NumberReading(digits, drawing.picture))
        else:
            readings.append(DigitReading(digits[0].image, digits[0].probabilities))
    return readings
