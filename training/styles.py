"""Digits in styles MNIST lacks, drawn on the pad and converted as the app converts the pad.

MNIST's writers were American: its 1s are bare strokes, so a 1 with a flag, as much of the
world writes it, looks to the network like a short 7. These drawings teach both sides of that
line: 1s with flags of every length and angle, and 7s whose bars are longer and flatter. Each
is a list of pad strokes ((N, 3) float64 x, y, t on the 800x800 canvas), drawn by
`model.ink.draw_strokes` and framed by `model.preprocess.to_emnist`, exactly as a visitor's ink.
"""

import numpy as np
from PIL import Image, ImageDraw

from model.ink import draw_strokes
from model.preprocess import to_emnist
from model.spec import CANVAS_SIZE, IMAGE_SIZE
from training.drawn_digits import Pose, place

STEP = 8  # px between the points of a drawn stroke, about what the pad sends
SPEED = 1.5  # px per ms: the pad's points get times as a hand would make them


def random_hand(rng: np.random.Generator) -> Pose:
    """A size, place, lean and brush a visitor might draw with: `drawn_digits.random_pose`'s,
    drawn in an order of its own (the shipped model's training styles depend on it)."""
    height = rng.uniform(0.3, 0.85) * CANVAS_SIZE
    brush = rng.uniform(0.02, 0.075) * CANVAS_SIZE
    half = height / 2 + brush
    x, y = rng.uniform(half, CANVAS_SIZE - half, 2)
    return Pose(height, aspect=1.0, x=x, y=y, slant=rng.uniform(-0.25, 0.25), brush=brush)


# ---------------------------------------------------------------------------- strokes
def _drop(length: float, degrees: float) -> np.ndarray:
    """A segment going left and `degrees` below horizontal -> its (dx, dy) in units of height."""
    a = np.radians(degrees)
    return length * np.array([-np.cos(a), np.sin(a)])


def _on_pad(polylines: list[list], hand: Pose) -> list[np.ndarray]:
    """Polylines in units of height around the digit's centre (x right, y down) -> pad strokes:
    placed by `hand` (`drawn_digits.place`), a point every STEP px, timed at SPEED."""
    strokes, t = [], 0.0
    for p in place([np.asarray(line, np.float64) + 0.5 for line in polylines], hand):
        lengths = np.concatenate([[0], np.cumsum(np.linalg.norm(np.diff(p, axis=0), axis=1))])
        at = np.linspace(0, lengths[-1], max(2, int(lengths[-1] // STEP) + 1))
        xy = np.column_stack([np.interp(at, lengths, p[:, 0]), np.interp(at, lengths, p[:, 1])])
        strokes.append(np.column_stack([np.clip(xy, 0, CANVAS_SIZE), t + at / SPEED]))
        t += lengths[-1] / SPEED + 150  # the pen lifts between strokes
    return strokes


def flagged_one(flag: float, degrees: float, base: float, hand: Pose) -> list[np.ndarray]:
    """A 1 drawn in one stroke from the flag's tip up to the top and down, and a base of
    `base` heights (0: none) -> pad strokes. `flag`: its length in heights; `degrees`: below
    horizontal."""
    top, bottom = np.array([0, -0.5]), np.array([0, 0.5])
    strokes = [[top + _drop(flag, degrees), top, bottom]]
    if base:
        strokes.append([bottom + (-base / 2, 0), bottom + (base / 2, 0)])
    return _on_pad(strokes, hand)


def seven(bar: float, degrees: float, lean: float, cross: float, hand: Pose) -> list[np.ndarray]:
    """A 7: a bar of `bar` heights whose left end lies `degrees` below its right end, then the
    stem down to `lean` heights left of the corner, and a crossbar of `cross` heights across
    the stem's middle (0: none) -> pad strokes."""
    corner = np.array([bar * np.cos(np.radians(degrees)) / 2, -0.5])
    left = corner + _drop(bar, degrees)
    foot = corner + (-lean, 1 - max(0, left[1] - corner[1]) / 2)
    strokes = [[left, corner, foot]]
    if cross:
        middle = (corner + foot) / 2
        strokes.append([middle - (cross / 2, 0), middle + (cross / 2, 0)])
    return _on_pad(strokes, hand)


# ---------------------------------------------------------------------------- the style set
def random_one(rng: np.random.Generator) -> np.ndarray | None:
    """A flagged 1 of 5-45% of the height at 20-70 degrees, a base on two in five, drawn
    somewhere on the pad -> (28, 28) float32 in [0, 1]."""
    base = rng.uniform(0.3, 0.7) if rng.random() < 0.4 else 0
    hand = random_hand(rng)
    return _framed(flagged_one(rng.uniform(0.05, 0.45), rng.uniform(20, 70), base, hand), hand)


def random_seven(rng: np.random.Generator) -> np.ndarray | None:
    """A 7 with a bar of 40-90% of the height at -10 to 20 degrees, crossed on two in five,
    drawn somewhere on the pad -> (28, 28) float32 in [0, 1]."""
    cross = rng.uniform(0.25, 0.5) if rng.random() < 0.4 else 0
    hand = random_hand(rng)
    return _framed(seven(rng.uniform(0.4, 0.9), rng.uniform(-10, 20), rng.uniform(0.05, 0.4),
                         cross, hand), hand)


def _framed(strokes: list[np.ndarray], hand: Pose) -> np.ndarray | None:
    """Pad strokes -> (28, 28) float32 in [0, 1], as the app frames a visitor's ink."""
    return to_emnist(draw_strokes(strokes, width=hand.brush))


def flag_mnist_one(image: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """A real 1 in the model's format ((28, 28) float32 in [0, 1]) -> the same 1 with a flag
    drawn from the top of its stem, re-framed; None where it would not look right (a 1 that
    is not a bare stroke)."""
    rows = np.nonzero(image.max(axis=1) > 0.5)[0]
    cols = np.nonzero(image.max(axis=0) > 0.5)[0]
    if rows.size == 0 or cols.size == 0 or np.ptp(cols) + 1 > 0.4 * (np.ptp(rows) + 1):
        return None
    scale = CANVAS_SIZE // IMAGE_SIZE
    big = Image.fromarray(np.uint8(image * 255)).resize((IMAGE_SIZE * scale,) * 2,
                                                       Image.BILINEAR)
    top_x = np.nonzero(image[rows[0]] > 0.5)[0].mean()
    height = np.ptp(rows) + 1
    tip = np.array([top_x, rows[0]]) + _drop(rng.uniform(0.08, 0.4), rng.uniform(20, 70)) * height
    draw = ImageDraw.Draw(big)
    draw.line([tuple((tip + 0.5) * scale), ((top_x + 0.5) * scale, (rows[0] + 0.5) * scale)],
              fill=255, width=round(2.75 * scale), joint="curve")
    return to_emnist(np.asarray(big))


def style_set(count: int, seed: int, mnist_ones: np.ndarray | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
    """`count` style digits in the model's format -> ((count, 28, 28) float32 in [0, 1],
    (count,) int labels): three in five flagged 1s (a third of them real MNIST 1s given a
    flag, when `mnist_ones` (M, 28, 28) are given), two in five 7s."""
    rng = np.random.default_rng(seed)
    images, labels = [], []
    while len(labels) < count:
        kind = rng.random()
        if kind < 0.4:
            image, label = random_seven(rng), 7
        elif kind < 0.8 or mnist_ones is None or not len(mnist_ones):
            image, label = random_one(rng), 1
        else:
            image, label = flag_mnist_one(mnist_ones[rng.integers(len(mnist_ones))], rng), 1
        if image is not None:
            images.append(image)
            labels.append(label)
    return np.stack(images).astype(np.float32), np.array(labels)
