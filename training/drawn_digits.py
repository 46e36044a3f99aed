"""Digits drawn the way visitors draw them, to measure what the dataset cannot.

Each digit has a few hand-written styles: strokes as polylines in a unit box (x right, y down).
`render` draws them with the ink pad's own renderer (`model.ink.draw_strokes`: round-capped strokes
on its 800x800 canvas), with a chosen size, position, slant and brush width.
These drawings are only ever used to evaluate, never to train.
"""

from dataclasses import dataclass, replace

import numpy as np

from model.ink import draw_strokes
from model.spec import BRUSH_WIDTH, CANVAS_SIZE


def _arc(cx, cy, rx, ry, start, stop, n=24):
    """Points on an ellipse from angle `start` to `stop` (degrees, 0 = right, 90 = down)."""
    t = np.radians(np.linspace(start, stop, n))
    return list(zip(cx + rx * np.cos(t), cy + ry * np.sin(t)))


# Each style is a list of strokes; each stroke a list of (x, y) points in [0, 1].
STYLES: dict[int, list[list[list[tuple[float, float]]]]] = {
    0: [[_arc(.5, .5, .4, .5, -90, 270)],
        [_arc(.5, .5, .36, .48, -60, 290)]],
    1: [[[(.5, 0), (.5, 1)]],
        [[(.2, .25), (.55, 0), (.55, 1)]],
        [[(.25, .2), (.55, 0), (.55, 1)], [(.25, 1), (.85, 1)]]],
    2: [[_arc(.5, .3, .38, .3, 200, 380) + [(.1, 1), (.95, 1)]],
        [_arc(.5, .28, .4, .28, 180, 350) + [(.15, .95), (.3, .85), (.6, 1), (.9, .95)]]],
    3: [[_arc(.45, .25, .38, .25, 200, 450) + _arc(.45, .73, .45, .27, 270, 500)],
        [[(.1, 0), (.9, 0), (.4, .4)] + _arc(.45, .7, .45, .3, 280, 510)]],
    4: [[[(.65, 0), (.05, .68), (.95, .68)], [(.72, .3), (.72, 1)]],
        [[(.2, 0), (.15, .55), (.9, .55)], [(.75, 0), (.75, 1)]]],
    5: [[[(.85, 0), (.25, 0), (.2, .45)] + _arc(.45, .68, .45, .32, 225, 500)],
        [[(.25, 0), (.2, .45)] + _arc(.45, .68, .45, .32, 225, 500), [(.25, 0), (.9, 0)]]],
    6: [[[(.75, 0), (.4, .25)] + _arc(.5, .68, .38, .32, 195, 555)],
        [_arc(.75, .6, .65, .6, 250, 180) + _arc(.5, .7, .4, .3, 180, 540)]],
    7: [[[(.05, 0), (.95, 0), (.35, 1)]],
        [[(.05, .05), (.95, 0), (.4, 1)], [(.3, .5), (.85, .5)]]],
    8: [[_arc(.5, .26, .32, .26, 0, 360), _arc(.5, .72, .4, .28, 0, 360)],
        [_arc(.5, .25, .35, .25, 90, 270) + _arc(.5, .75, .4, .25, -90, 270)
         + _arc(.5, .25, .35, .25, 90, -90)]],
    9: [[_arc(.45, .3, .35, .3, 0, 360), [(.8, .3), (.75, 1)]],
        [_arc(.5, .3, .4, .3, 10, 370) + [(.85, .5), (.7, .8), (.4, 1)]]],
}


@dataclass(frozen=True)
class Pose:
    """Where and how a digit is drawn on the canvas (all in canvas pixels)."""

    height: float = 500  # height of the digit
    aspect: float = 0.65  # width / height
    x: float = 400  # centre
    y: float = 400
    slant: float = 0.0  # shear: x moves by slant * (distance above the centre)
    brush: float = 24  # brush width


def place(strokes, pose: Pose) -> list[np.ndarray]:
    """Unit-box strokes -> list of (N, 2) float arrays of canvas coordinates."""
    out = []
    for stroke in strokes:
        p = np.asarray(stroke, dtype=float) - 0.5
        x = p[:, 0] * pose.height * pose.aspect - pose.slant * p[:, 1] * pose.height
        out.append(np.stack([pose.x + x, pose.y + p[:, 1] * pose.height], axis=1))
    return out


def render(strokes, pose: Pose, canvas: int = CANVAS_SIZE) -> np.ndarray:
    """Unit-box strokes -> (canvas, canvas) uint8 ink, 255 = ink, drawn as the pad draws."""
    return render_many([(strokes, pose)], (canvas, canvas))


def render_many(drawings, size: tuple[int, int]) -> np.ndarray:
    """[(unit-box strokes, Pose), ...] on one (width, height) canvas -> (height, width) uint8
    ink, each drawing with its own brush, by the pad's renderer (`model.ink.draw_strokes`)."""
    ink = np.zeros((size[1], size[0]), np.uint8)
    for strokes, pose in drawings:
        np.maximum(ink, draw_strokes(place(strokes, pose), ink.shape, pose.brush), out=ink)
    return ink


def paper(ink: np.ndarray) -> np.ndarray:
    """(H, W) uint8 ink -> (H, W, 3) uint8 RGB: the same strokes, black on white paper."""
    return np.repeat(255 - ink[..., None], 3, axis=2)


def number_poses(digits, rng: np.random.Generator, height: float, gap: float, slant: float = 0.0,
                 brush: float = 20, margin: float = 40) -> tuple[list, tuple[int, int]]:
    """A number written left to right: -> ([(strokes, Pose), ...], canvas size).

    `gap` is the space between digits as a share of the height (negative: they touch); sizes
    and heights wander a little from digit to digit, as in handwriting.
    """
    poses, x = [], margin + brush
    for digit in digits:
        h = height * rng.uniform(0.85, 1.1)
        aspect = 0.2 if digit == 1 else rng.uniform(0.55, 0.7)
        w = h * (aspect + abs(slant))
        style = STYLES[digit][rng.integers(len(STYLES[digit]))]  # drawn before the height
        y = margin + brush + height * 0.6 + rng.uniform(-0.05, 0.05) * height
        poses.append((style, Pose(h, aspect, x + w / 2, y, slant, brush)))
        x += w + gap * height
    size = (int(x - gap * height + margin + brush), int(2 * margin + 2 * brush + height * 1.2))
    return poses, size


def random_pose(rng: np.random.Generator, canvas: int = CANVAS_SIZE) -> Pose:
    """A pose a visitor might draw: any size from small to filling the canvas, any brush."""
    height = rng.uniform(0.25, 0.85) * canvas
    aspect = rng.uniform(0.5, 0.8)
    brush = rng.uniform(0.02, 0.075) * canvas
    slant = rng.uniform(-0.25, 0.25)
    half_w = height * (aspect + abs(slant)) / 2 + brush
    half_h = height / 2 + brush
    x = rng.uniform(half_w, max(half_w, canvas - half_w) + 1e-9)
    y = rng.uniform(half_h, max(half_h, canvas - half_h) + 1e-9)
    return Pose(height, aspect, x, y, slant, brush)


def drawn_set(per_style: int = 12, seed: int = 2017) -> list[tuple[np.ndarray, int]]:
    """Every style of every digit drawn in `per_style` random poses: ((800, 800) uint8 ink,
    digit)."""
    rng = np.random.default_rng(seed)
    return [(render(strokes, random_pose(rng)), digit)
            for digit, styles in STYLES.items() for strokes in styles for _ in range(per_style)]


def drawn_images(per_style: int = 12, seed: int = 2017) -> tuple[np.ndarray, np.ndarray]:
    """`drawn_set` in the model's format -> ((N, 28, 28) float32 in [0, 1], (N,) int digits)."""
    from model.preprocess import to_emnist

    drawings = drawn_set(per_style, seed)
    return (np.stack([to_emnist(ink) for ink, _ in drawings]),
            np.array([digit for _, digit in drawings]))


# ---------------------------------------------------------------------------- whole numbers
NUMBER_KINDS = ("spaced", "touching", "overlapping", "slanted")


@dataclass(frozen=True)
class WrittenNumber:
    """A number written left to right, one digit after another, as a visitor writes it."""

    digits: tuple[int, ...]
    kind: str  # one of NUMBER_KINDS
    drawings: tuple  # ((unit-box strokes, Pose), ...), left to right
    size: tuple[int, int]  # (width, height) of its canvas

    @property
    def text(self) -> str:
        return "".join(map(str, self.digits))

    def image(self) -> np.ndarray:
        """-> (height, width) uint8 ink, drawn with each digit's own brush."""
        return render_many(self.drawings, self.size)

    def strokes(self) -> list[np.ndarray]:
        """-> its strokes as the ink pad gets them: (N, 3) float arrays of (x, y, t ms), in
        the order they were drawn (for a number written with `pad=True`)."""
        strokes, t = [], 0.0
        for unit, pose in self.drawings:
            for points in place(unit, pose):
                steps = np.linalg.norm(np.diff(points, axis=0), axis=1)
                times = t + np.concatenate([[0], np.cumsum(steps)]) / 1.5  # 1.5 px per ms
                strokes.append(np.column_stack([points, times]))
                t = times[-1] + 150  # the pen lifts between strokes
            t += 250  # and a little longer between digits
        return strokes


def written_number(digits, kind: str, rng: np.random.Generator, pad: bool = False,
                   degrees: float | None = None, margin: float = 40) -> WrittenNumber:
    """Digits written in one of NUMBER_KINDS, with heights, styles, brushes and slants that
    wander as handwriting does. With `pad`, written on the ink pad: its canvas and brush, the
    number made smaller where it would not fit.

    The gap between neighbours is measured between their ink along the line of writing, so a
    slanted number's boxes overlap while its digits stay apart: spaced 12-50% of the height,
    touching -6 to 0%, overlapping -20 to -6% (at most a third of the narrower digit);
    slanted numbers lean 9-20 degrees either way with gaps from -4 to 35%, the others at most
    6 degrees (`degrees` sets the lean).
    """
    n = len(digits)
    height = rng.uniform(120, 300)
    brush = BRUSH_WIDTH if pad else height * rng.uniform(0.04, 0.12)
    lean = rng.choice([-1, 1]) * rng.uniform(9, 20) if kind == "slanted" else rng.uniform(-6, 6)
    degrees = lean if degrees is None else degrees
    low, high = {"spaced": (0.12, 0.5), "touching": (-0.06, 0.0),
                 "overlapping": (-0.2, -0.06), "slanted": (-0.04, 0.35)}[kind]
    sizes = rng.uniform(0.75, 1.15, n)
    aspects = np.where(np.asarray(digits) == 1, rng.uniform(0.12, 0.25, n),
                       rng.uniform(0.5, 0.75, n))
    leans = np.tan(np.radians(degrees)) + rng.uniform(-0.04, 0.04, n)
    wobbles, gaps = rng.uniform(-0.06, 0.06, n), rng.uniform(low, high, n)
    styles = [STYLES[d][rng.integers(len(STYLES[d]))] for d in digits]

    def layout(height: float) -> tuple[tuple, np.ndarray]:
        heights, widths = height * sizes, height * sizes * aspects
        poses, x = [], 0.0
        for k in range(n):
            centre = x + brush / 2 + widths[k] / 2
            poses.append((styles[k], Pose(heights[k], aspects[k], centre, wobbles[k] * height,
                                          leans[k], brush)))
            # Neighbours overlap by at most a third of the narrower: nobody writes a 1 inside an 8.
            narrower = min(widths[k], widths[min(k + 1, n - 1)]) + brush
            x = centre + widths[k] / 2 + brush / 2 + max(gaps[k] * height, -narrower / 3)
        points = np.concatenate([p for strokes, pose in poses for p in place(strokes, pose)])
        return tuple(poses), np.array([points.min(axis=0), points.max(axis=0)])

    poses, (low_xy, high_xy) = layout(height)
    if pad:
        room = CANVAS_SIZE - 2 * margin - brush
        for _ in range(3):  # the brush keeps its width while the digits shrink, so refine
            if max(high_xy - low_xy) <= room:
                break
            height *= room / max(high_xy - low_xy)
            poses, (low_xy, high_xy) = layout(height)
        size = np.array([CANVAS_SIZE, CANVAS_SIZE])
        shift = (size - low_xy - high_xy) / 2  # centred on the pad
    else:
        size = np.ceil(high_xy - low_xy + 2 * margin + brush).astype(int)
        shift = margin + brush / 2 - low_xy
    drawings = tuple((strokes, replace(pose, x=pose.x + shift[0], y=pose.y + shift[1]))
                     for strokes, pose in poses)
    return WrittenNumber(tuple(int(d) for d in digits), kind, drawings,
                         (int(size[0]), int(size[1])))


def written_numbers(per_kind: int = 125, seed: int = 2026,
                    pad: bool = False) -> list[WrittenNumber]:
    """`per_kind` numbers of each of NUMBER_KINDS: 2 to 10 digits (2 to 6 on the pad), a
    quarter of them 1s (a 1 next to anything is the hardest neighbour)."""
    rng = np.random.default_rng(seed)
    numbers = []
    for kind in NUMBER_KINDS:
        for _ in range(per_kind):
            count = int(rng.integers(2, 7 if pad else 11))  # more would be a blur on the pad
            digits = np.where(rng.random(count) < 0.25, 1, rng.integers(0, 10, count))
            numbers.append(written_number(digits, kind, rng, pad))
    return numbers
