"""Phone-like photos of hand-written digits, and how well the app reads them:
python -m bench.photos [--per-kind 100]   (taskset -c 0 for one core's times)

Each photo is a sheet with one digit (or a number) written in pen or pencil, photographed:
perspective, a lighting gradient and a soft shadow, sometimes a hand's shadow, sensor noise,
blur and JPEG. The kinds: plain paper filling the frame; the same but for thin wedges of the
table at one to four edges; a sheet on a table (40-100% of the frame, tilted, sometimes partly
out of it); squared or ruled paper (filling the frame or on a table). Tables are dark or mid
wood, a light desk, grey, black or a green mat. Every photo comes from its own seed, so the set
is the same on every machine.
"""

import io
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from model.config import flag, parse
from training.drawn_digits import STYLES, Pose, number_poses, render_many

FRAME = (1200, 900)  # the photo's (width, height)
KINDS = ("plain", "edges", "table", "squared", "ruled")
SEEDS = {kind: 3800 + 1000 * k for k, kind in enumerate(KINDS)}  # photo i of a kind: seed + i
PEN = ((35, 45, 110), (30, 30, 45), (20, 50, 140))  # blue-black, black and blue ballpoints
PENCIL = ((85, 85, 90), (105, 105, 110))


@dataclass(frozen=True)
class Photo:
    image: np.ndarray  # (900, 1200, 3) uint8 RGB, as decoded from its JPEG
    truth: str  # the digit or number written on it ("" for none)
    kind: str
    pencil: bool
    corners: np.ndarray  # (4, 2) where the sheet's corners (x, y) lie in the frame


# ---------------------------------------------------------------------------- the sheet
def _print(rng, kind: str, size: tuple[int, int]) -> np.ndarray:
    """The sheet's printed lines: (h, w) float32 in [0, 1] coverage, and their RGB colour."""
    w, h = size
    lines = np.zeros((h, w), np.float32)
    if kind in ("squared", "ruled"):
        step = rng.uniform(28, 45) if kind == "squared" else rng.uniform(30, 48)
        width = int(rng.integers(1, 3))
        offset = rng.uniform(0, step)
        for y in np.arange(offset, h, step).astype(int):
            lines[y:y + width] = 1
        if kind == "squared":
            for x in np.arange(rng.uniform(0, step), w, step).astype(int):
                lines[:, x:x + width] = 1
    return lines


def _colour(rng, kind: str) -> np.ndarray:
    if kind == "squared":
        return np.array([rng.uniform(120, 190), rng.uniform(170, 215), rng.uniform(215, 245)])
    return np.array([rng.uniform(110, 170), rng.uniform(160, 200), rng.uniform(200, 235)])


def _sheet(rng, printing, kind: str, size: tuple[int, int], drawings) -> np.ndarray:
    """A flat sheet of `size` (w, h) with its print (drawn with its own generator, so a sheet
    without it is otherwise the same) and the written ink -> (h, w, 3) float32."""
    w, h = size
    paper = np.array([rng.uniform(228, 250), rng.uniform(225, 248), rng.uniform(212, 240)])
    sheet = np.broadcast_to(paper, (h, w, 3)).astype(np.float32).copy()
    lines = _print(printing, kind, size)
    if lines.any():
        strength = printing.uniform(0.5, 0.9)
        sheet += (lines * strength)[..., None] * (_colour(printing, kind) - sheet)
    if kind == "ruled" and printing.random() < 0.7:  # a red margin line
        x = int(w * printing.uniform(0.08, 0.14))
        sheet[:, x:x + 2] += 0.7 * (np.array([225, 110, 120]) - sheet[:, x:x + 2])
    pencil = rng.random() < 0.35
    ink = render_many(drawings, size).astype(np.float32) / 255
    if pencil:  # grey, fainter and grainy
        colour = np.array(PENCIL[rng.integers(len(PENCIL))], np.float32)
        ink *= rng.uniform(0.65, 0.9) * np.clip(rng.normal(1, 0.15, ink.shape), 0.5, 1.2)
    else:
        colour = np.array(PEN[rng.integers(len(PEN))], np.float32)
    sheet += np.clip(ink, 0, 1)[..., None] * (colour - sheet)
    return sheet, pencil


def _written(rng, truth: str, size: tuple[int, int]):
    """Where the digit or number goes on a sheet of `size`: [(strokes, Pose)], ..."""
    w, h = size
    if len(truth) == 1:
        digit = int(truth)
        height = rng.uniform(0.15, 0.45) * FRAME[1]
        aspect, slant = rng.uniform(0.5, 0.75), rng.uniform(-0.2, 0.2)
        brush = height * rng.uniform(0.05, 0.11)
        half_w, half_h = height * (aspect + abs(slant)) / 2 + brush, height / 2 + brush
        x = rng.uniform(0.3, 0.7) * w
        y = rng.uniform(0.3, 0.7) * h
        x, y = np.clip(x, half_w, w - half_w), np.clip(y, half_h, h - half_h)
        style = STYLES[digit][rng.integers(len(STYLES[digit]))]
        return [(style, Pose(height, aspect, x, y, slant, brush))]
    height = rng.uniform(0.12, 0.2) * FRAME[1]
    poses, (nw, nh) = number_poses([int(c) for c in truth], rng, height, gap=rng.uniform(0.2, 0.5),
                                   brush=height * 0.08, margin=0)
    dx, dy = (w - nw) / 2 + rng.uniform(-0.1, 0.1) * w, (h - nh) / 2 + rng.uniform(-0.1, 0.1) * h
    return [(s, Pose(p.height, p.aspect, p.x + dx, p.y + dy, p.slant, p.brush))
            for s, p in poses]


# ---------------------------------------------------------------------------- the camera
def _perspective_coefficients(corners: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """PIL's PERSPECTIVE coefficients mapping frame points to the sheet, whose (w, h) corners
    appear at `corners` (4x2: top-left, top-right, bottom-right, bottom-left) in the frame."""
    w, h = size
    source = np.array([(0, 0), (w, 0), (w, h), (0, h)], float)
    rows = []
    for (x, y), (u, v) in zip(corners, source):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    return np.linalg.solve(np.array(rows), source.reshape(-1))


def _corners(rng, framing: str) -> np.ndarray:
    """Where the sheet's corners land in the frame, for how the photo is framed."""
    W, H = FRAME
    frame = np.array([(0, 0), (W, 0), (W, H), (0, H)], float)
    outward = np.array([(-1, -1), (1, -1), (1, 1), (-1, 1)], float)
    if framing == "fills":  # the sheet runs past every edge
        return frame + outward * rng.uniform(0.03, 0.1, (4, 2)) * (W, H) + outward
    if framing == "edges":  # past the frame, but for thin wedges of table at one to four edges
        corners = frame + outward * rng.uniform(0.0, 0.04, (4, 2)) * (W, H)
        for edge in rng.choice(4, size=rng.integers(1, 5), replace=False):
            end = (edge + rng.integers(2)) % 4  # one end of the edge comes into the frame
            axis = 1 - edge % 2  # the top and bottom edges move in y, the sides in x
            corners[end, axis] -= outward[end, axis] * rng.uniform(0.01, 0.08) * (W, H)[axis]
        return corners
    share = np.sqrt(rng.uniform(0.4, 1.0))  # on a table: 40-100 % of the frame's area ...
    cx, cy = rng.uniform(0.4, 0.6) * W, rng.uniform(0.4, 0.6) * H  # ... some of it cut off
    angle = np.radians(rng.uniform(-12, 12))
    half = outward * (share * W / 2, share * H / 2)
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return (half @ turn.T) * rng.uniform(0.95, 1.05, (4, 2)) + (cx, cy)


TABLES = (  # RGB ranges: dark and mid wood, a light desk, grey, black, a green mat
    ((55, 160), (0.6, 0.75), (0.35, 0.5)), ((150, 215), (0.8, 0.9), (0.6, 0.75)),
    ((120, 200), (0.97, 1.0), (0.95, 1.0)), ((15, 50), (0.95, 1.0), (0.95, 1.1)),
    ((40, 80), (1.3, 1.6), (1.0, 1.2)))


def _table(rng) -> np.ndarray:
    """A table of one of TABLES' colours with a little grain -> (H, W, 3) float32."""
    W, H = FRAME
    red, green, blue = TABLES[rng.integers(len(TABLES))]
    r = rng.uniform(*red)
    base = r * np.array([1, rng.uniform(*green), rng.uniform(*blue)])
    grain = np.cumsum(rng.normal(0, 1, W)) * 0.6
    grain = (grain - grain.mean())[None, :] + rng.normal(0, 3, (H, 1))
    return np.clip(base + grain[..., None], 0, 255).astype(np.float32) * np.ones((H, W, 3))


def _light(rng) -> np.ndarray:
    """A lighting gradient times a soft shadow, and sometimes a hand's shadow -> (H, W)
    float32 in about [0.4, 1]."""
    W, H = FRAME
    y, x = np.mgrid[0:H, 0:W] / max(W, H)
    angle = rng.uniform(0, 2 * np.pi)
    light = 1 - rng.uniform(0.05, 0.25) * (np.cos(angle) * x + np.sin(angle) * y) / 1.2
    a = rng.uniform(0, 2 * np.pi)  # the shadow: a blurred half-plane across a corner
    edge = np.cos(a) * x + np.sin(a) * y - rng.uniform(0.5, 1.0)
    shadow = 1 / (1 + np.exp(-edge / rng.uniform(0.03, 0.1)))
    light *= 1 - rng.uniform(0.1, 0.35) * shadow
    if rng.random() < 0.4:  # a hand's shadow: a soft blob coming in from an edge
        side = rng.integers(4)
        cx, cy = [(rng.uniform(0.2, 0.8), 0), (1, rng.uniform(0.2, 0.8)),
                  (rng.uniform(0.2, 0.8), 1), (0, rng.uniform(0.2, 0.8))][side]
        r = rng.uniform(0.15, 0.3)
        d = np.hypot(x - cx * W / max(W, H), y - cy * H / max(W, H)) - r
        light *= 1 - rng.uniform(0.2, 0.45) / (1 + np.exp(d / rng.uniform(0.02, 0.06)))
    return light.astype(np.float32)


def photo(kind: str, index: int, truth: str | None = None, printed: bool = True) -> Photo:
    """Photo `index` of a kind; `truth` fixes what is written ("" for nothing), else a digit;
    `printed` False: the same photo on paper without print."""
    rng = np.random.default_rng(SEEDS[kind] + index)
    printing = np.random.default_rng([SEEDS[kind] + index, 1])
    truth = str(rng.integers(10)) if truth is None else truth
    framing = {"plain": "fills", "edges": "edges", "table": "table"}.get(
        kind, ("fills", "table")[index % 2])
    size = (1500, 1125) if framing == "fills" else (1320, 990)
    paper = kind if printed and kind in ("squared", "ruled") else "plain"
    sheet, pencil = _sheet(rng, printing, paper, size,
                           _written(rng, truth, size) if truth else [])
    corners = _corners(rng, framing)
    warp = dict(method=Image.PERSPECTIVE, data=_perspective_coefficients(corners, size),
                resample=Image.BILINEAR)
    flat = Image.fromarray(np.clip(sheet, 0, 255).astype(np.uint8))
    seen = np.asarray(flat.transform(FRAME, **warp), np.float32)
    mask = np.asarray(Image.new("L", size, 255).transform(FRAME, **warp), np.float32)[..., None]
    table = _table(rng)
    if framing != "fills":  # the sheet's own soft shadow on the table
        shade = Image.fromarray(mask[..., 0].astype(np.uint8)).filter(ImageFilter.GaussianBlur(12))
        table *= 1 - 0.4 * np.roll(np.asarray(shade, np.float32), (8, 8), (0, 1))[..., None] / 255
    image = (seen * mask + table * (255 - mask)) / 255 * _light(rng)[..., None]
    image += rng.normal(0, rng.uniform(2, 6), image.shape)
    blurred = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(rng.uniform(0.4, 1.4)))
    buffer = io.BytesIO()
    blurred.save(buffer, "JPEG", quality=int(rng.integers(55, 86)))
    return Photo(np.asarray(Image.open(buffer).convert("RGB")), truth, kind, pencil, corners)


# ---------------------------------------------------------------------------- the benchmark
@dataclass(frozen=True)
class Config:
    per_kind: int = flag(100, "photos of each kind")
    kinds: tuple[str, ...] = flag(KINDS, "the kinds of photo to read", choices=KINDS)
    numbers: int = flag(20, "photos of 4-digit numbers of each kind")
    repeats: int = flag(7, "reads of a 12-megapixel photo to time")


def main() -> None:
    config = parse(Config, description=__doc__)
    from model.classifier import Classifier
    from model.reading import Drawing, read_each_as_digit, read_number

    classifier = Classifier()
    print(f"{'kind':10} {'digits':>12} {'pencil':>10} {'numbers':>10} {'ms/photo':>9}")
    for kind in config.kinds:
        right, pencils, seconds = [], [], []
        for i in range(config.per_kind):
            p = photo(kind, i)
            start = time.perf_counter()
            reading = read_each_as_digit(classifier, [Drawing.from_image(p.image)])[0]
            seconds.append(time.perf_counter() - start)
            right.append(reading.digit is not None and str(reading.digit) == p.truth)
            pencils.append(p.pencil)
        numbers = 0
        for i in range(config.numbers):
            truth = "".join(map(str, np.random.default_rng(i).integers(10, size=4)))
            p = photo(kind, 10_000 + i, truth)
            numbers += read_number(classifier, Drawing.from_image(p.image)).number == truth
        on_pencil = [r for r, pencil in zip(right, pencils) if pencil]
        print(f"{kind:10} {sum(right):>4}/{len(right):<3} {sum(right) / len(right):4.0%} "
              f"{sum(on_pencil):>4}/{len(on_pencil):<3}  {numbers:>4}/{config.numbers:<3}  "
              f"{1000 * statistics.median(seconds):8.1f}")
    for kind in ("table", "squared"):  # a 12-megapixel photo, from decoding to the answer
        path = Path(tempfile.mkdtemp()) / "photo.jpg"
        Image.fromarray(photo(kind, 0).image).resize((4000, 3000)).save(path, quality=90)
        seconds = []
        for _ in range(config.repeats):
            start = time.perf_counter()
            read_each_as_digit(classifier, [Drawing.from_file(path)])
            seconds.append(time.perf_counter() - start)
        print(f"a 4000x3000 JPEG ({kind}): {1000 * statistics.median(seconds):.0f} ms "
              f"(median of {config.repeats})")


if __name__ == "__main__":
    main()
