"""Golden 28x28 arrays: what `model.preprocess` made of a few fixed inputs when they were
written. A change to preprocessing that changes them is a change to what the network sees:
look at the new arrays, then rewrite them with `python -m tests.golden`."""

import numpy as np

from model.ink import strokes_to_json
from model.preprocess import from_array, to_emnist
from model.reading import Drawing
from model.spec import ROOT
from training.drawn_digits import STYLES, Pose, paper, place, render

FILE = ROOT / "tests" / "golden" / "emnist.npz"
PAD = {  # pad ink, as the pad sends it: (digit, style, pose)
    "pad 7, large": (7, 0, Pose(height=560, x=400, y=420)),
    "pad 4, two strokes, small and slanted": (4, 0, Pose(height=220, x=250, y=560, slant=0.2)),
    "pad 8, one stroke": (8, 1, Pose(height=500, x=420, y=380, aspect=0.55)),
}


def pad_ink(name: str) -> str:
    """A PAD case -> its ink JSON (x, y to 0.1 px, t 10 ms apart)."""
    digit, style, pose = PAD[name]
    strokes = place(STYLES[digit][style], pose)
    return strokes_to_json([np.column_stack([s, 10 * np.arange(len(s))]) for s in strokes])


def pictures() -> dict[str, np.ndarray]:
    """Pictures as uploads bring them: black on white paper, a thick brush, a grey photo."""
    two = render(STYLES[2][0], Pose(height=300, x=200, y=220, brush=30), canvas=400)
    lit = paper(two).astype(np.float32) / 255 * np.linspace(0.6, 1.0, 400)[None, :, None]
    return {"paper 2, thick brush": paper(two), "paper 2, uneven light": lit}


def compute() -> dict[str, np.ndarray]:
    """Every case -> its (28, 28) float32 input, as the app makes it now."""
    found = {name: to_emnist(Drawing.from_json(pad_ink(name)).picture) for name in PAD}
    return found | {name: from_array(image) for name, image in pictures().items()}


def main() -> int:
    np.savez_compressed(FILE, **compute())
    print(f"Wrote {FILE}")
    return 0
