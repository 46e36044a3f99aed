"""Pictures people keep digits in, photos aside, and how well the CLI reads them:
python -m bench.pictures [--every 1]

The tutorial's workflow first: the TEST digits written as 28x28 PNG files, white on black as
MNIST and EMNIST store them; then the same black on white, in pure black and white, enlarged
(56, 112 and 280 px) and as small noisy scans; and drawings (black pen on white, 800x800)
shrunk to 64 and 28 px. Every set is written to files and read as `python -m model.predict
--json` reads them.
"""

import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from model.config import flag, parse
from model.spec import MODEL_DIR, SAMPLES_FILE
from training.drawn_digits import drawn_set, paper


def _scaled(size: int) -> Callable[[np.ndarray], np.ndarray]:
    return lambda a: np.asarray(Image.fromarray(a).resize((size, size), Image.BILINEAR))


def _scan(a: np.ndarray) -> np.ndarray:
    """Black on white at 96 px, with a scanner's noise (seeded by the picture itself)."""
    rng = np.random.default_rng(int(a.sum()))
    big = 255 - _scaled(96)(a).astype(np.float32)
    return np.clip(big + rng.normal(0, 4, big.shape), 0, 255).astype(np.uint8)


# name -> how a 28x28 TEST digit (uint8, white on black) is turned into that picture
FROM_TEST: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "28x28": lambda a: a,
    "28x28 black on white": lambda a: 255 - a,
    "28x28 pure black and white": lambda a: np.where(a >= 128, 255, 0).astype(np.uint8),
    "56x56": _scaled(56),
    "112x112 black on white": lambda a: 255 - _scaled(112)(a),
    "280x280 black on white": lambda a: 255 - _scaled(280)(a),
    "96x96 noisy scan": _scan,
}
DRAWN_SIZES = (64, 28)  # drawings shrunk to these sides


@dataclass(frozen=True)
class Pictures:
    paths: list[Path]
    truths: list[int]


def held_out_digits(every: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every `every`-th shipped TEST sample -> (N, 28, 28) uint8 images, (N,) true digits and
    (N,) the digits the served model reads from the arrays themselves."""
    with np.load(MODEL_DIR / SAMPLES_FILE) as data:
        chosen = slice(None, None, every)
        return (data["images"][chosen], data["labels"][chosen],
                data["probabilities"][chosen].argmax(axis=1))


def write_test_set(folder: Path, name: str, every: int = 1) -> Pictures:
    """The TEST digits as the picture set `name` (see FROM_TEST), saved as PNG in `folder`."""
    images, labels, _ = held_out_digits(every)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, image in enumerate(images):
        paths.append(folder / f"{i:04d}.png")
        Image.fromarray(FROM_TEST[name](image)).save(paths[-1])
    return Pictures(paths, labels.tolist())


def write_drawn_set(folder: Path, size: int, per_style: int = 4) -> Pictures:
    """Drawings of every style (black on white, 800x800) shrunk to `size` px, saved as PNG."""
    folder.mkdir(parents=True, exist_ok=True)
    paths, truths = [], []
    for i, (ink, digit) in enumerate(drawn_set(per_style, seed=4848)):
        paths.append(folder / f"{i:04d}.png")
        Image.fromarray(paper(ink)).resize((size, size), Image.BOX).save(paths[-1])
        truths.append(digit)
    return Pictures(paths, truths)


# ---------------------------------------------------------------------------- the benchmark
@dataclass(frozen=True)
class Config:
    every: int = flag(1, "read every n-th TEST digit (1: all 1,000)")
    per_style: int = flag(12, "drawings of each style, for the shrunk drawings")
    repeats: int = flag(3, "reads of each set to time")


def main() -> None:
    config = parse(Config, description=__doc__)
    from model.classifier import Classifier
    from model.predict import predict

    classifier = Classifier()
    folder = Path(tempfile.mkdtemp(prefix="digitpad-pictures-"))
    _, _, arrays = held_out_digits(config.every)
    sets = {name: write_test_set(folder / f"t{k}", name, config.every)
            for k, name in enumerate(FROM_TEST)}
    sets |= {f"drawings shrunk to {s}x{s}": write_drawn_set(folder / f"d{s}", s, config.per_style)
             for s in DRAWN_SIZES}
    print(f"{'pictures':32} {'files':>6} {'right':>7} {'as arrays':>10} {'ms/file':>8}")
    for name, pictures in sets.items():
        seconds = []
        for _ in range(config.repeats):
            start = time.perf_counter()
            digits = [r["digit"] for r in predict(pictures.paths, classifier)]
            seconds.append(time.perf_counter() - start)
        right = np.mean(np.equal(digits, pictures.truths))
        same = f"{np.mean(np.equal(digits, arrays)):10.3f}" if name in FROM_TEST else " " * 10
        per_file = 1000 * statistics.median(seconds) / len(pictures.paths)
        print(f"{name:32} {len(pictures.paths):6} {right:7.3f} {same} {per_file:8.2f}")


if __name__ == "__main__":
    main()
