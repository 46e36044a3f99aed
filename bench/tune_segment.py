"""Choose the number reader's prior:  python -m bench.tune_segment [--trials 300] [--ceiling]

Builds the candidates of numbers and single digits drawn with the tuning seeds (never the test
set's 2026, 2017 and 5), as pictures and as the pad's strokes, classifies them once, then
prints how many numbers some candidate path spells at all, the shipped prior's figures, and
the best settings of a random search over the prior's weights (`model/segment.py`). With
--ceiling it first prints how many of the pictures the network reads when they are cut
between digits by a cut that knows each digit's own ink. Not a test.
"""

import collections
import dataclasses
from dataclasses import dataclass

import numpy as np

from model import segment
from model.classifier import Classifier
from model.config import flag, parse
from model.ink import draw_strokes
from model.preprocess import to_emnist
from training.drawn_digits import (
    STYLES,
    WrittenNumber,
    random_pose,
    render,
    render_many,
    written_numbers,
)

WEIGHTS = {  # name -> a random draw of it
    "PER_DIGIT": lambda rng: rng.uniform(0, 2), "WIDEST": lambda rng: rng.uniform(0.6, 1.0),
    "TOO_WIDE": lambda rng: 10 ** rng.uniform(0, 2), "LOWEST": lambda rng: rng.uniform(0.3, 0.7),
    "TOO_LOW": lambda rng: 10 ** rng.uniform(0, 2), "APART": lambda rng: 10 ** rng.uniform(0, 1.5),
    "OVERLAP": lambda rng: 10 ** rng.uniform(0, 2), "PER_PEN_CUT": lambda rng: rng.uniform(0, 3),
}


@dataclass(frozen=True)
class Config:
    trials: int = flag(300, "random settings of the weights to try")
    seed: int = flag(0, "seed of the search")
    ceiling: bool = flag(False, "also read the pictures cut where each digit's own ink says")


def lattices(classifier) -> tuple[list, list]:
    """-> ([(kind, text, Candidates, probabilities)], [(Candidates, probabilities)] of single
    digits), pictures and pad strokes both, with every candidate the prior could drop kept."""
    segment.HOPELESS = np.inf  # the weights change which candidates are hopeless

    def read(drawing, strokes=None):
        found = segment.candidates(drawing, strokes)
        return found, classifier.probabilities(found.images)

    numbers = []
    for pad in (False, True):
        for number in written_numbers(60, seed=7, pad=pad) + written_numbers(60, seed=8, pad=pad):
            strokes = number.strokes() if pad else None
            drawing = draw_strokes(strokes) if pad else number.image()
            numbers.append((number.kind + (" pad" if pad else ""), number.text,
                            *read(drawing, strokes)))
    singles, rng = [], np.random.default_rng(99)
    for digit, styles in STYLES.items():
        for style in styles:
            for _ in range(6):
                pose = random_pose(rng)
                strokes = WrittenNumber((digit,), "spaced", ((style, pose),), (800, 800)).strokes()
                singles.append(read(draw_strokes(strokes), strokes))
                singles.append(read(render(style, pose)))
    return numbers, singles


def cut_ceiling(classifier) -> collections.Counter:
    """-> the tuning seeds' pictures read exactly, by kind, when each row of ink is split
    between neighbours where the fewest of either's own pixels (each digit drawn alone) fall
    on the wrong side: about the most that cutting a picture into digits can give the network."""
    right = collections.Counter()
    for number in written_numbers(60, seed=7) + written_numbers(60, seed=8):
        drawing = number.image()
        own = [render_many([one], number.size) > 0 for one in number.drawings]
        edges = [np.zeros(len(drawing), int)]
        for a, b in zip(own, own[1:]):  # in each row, a's pixels at or after x + b's before x
            wrong = np.cumsum(a[:, ::-1], axis=1)[:, ::-1] + np.cumsum(b, axis=1) - b
            edges.append(np.maximum(edges[-1], wrong.argmin(axis=1)))  # never left of the last
        edges.append(np.full(len(drawing), drawing.shape[1]))
        x = np.arange(drawing.shape[1])
        crops = [to_emnist(np.where((x >= start[:, None]) & (x < stop[:, None]), drawing, 0))
                 for start, stop in zip(edges, edges[1:])]
        if all(crop is not None for crop in crops):
            read = classifier.probabilities(np.stack(crops)).argmax(axis=1)
            right[number.kind] += read.tolist() == list(number.digits)
    return right


def spelled(text: str, found, probabilities) -> bool:
    """Whether some path of candidates reads `text`: the most the prior could get right."""
    labels, ends = probabilities.argmax(axis=1), {(0, 0)}
    for k in sorted(range(len(found.runs)), key=lambda k: found.runs[k]):
        first, stop = found.runs[k]
        ends |= {(stop, at + 1) for end, at in ends
                 if end == first and at < len(text) and str(labels[k]) == text[at]}
    return (len(found.pieces), len(text)) in ends


def evaluate(numbers, singles, weights: dict) -> tuple[collections.Counter, int]:
    """-> (exact readings by kind, single digits split), with the prior's weights set."""
    for name, value in weights.items():
        setattr(segment, name, value)
    right, split = collections.Counter(), 0
    for kind, text, found, p in numbers:
        chosen = dataclasses.replace(found, costs=repriced(found)).choose(p)
        right[kind] += "".join(str(p[k].argmax()) for k in chosen) == text
    for found, p in singles:
        split += len(dataclasses.replace(found, costs=repriced(found)).choose(p)) != 1
    return right, split


def repriced(found) -> np.ndarray:
    """The candidates' prior costs under the weights set now."""
    whole = (0, len(found.pieces))
    return np.array([segment.digit_cost(found.pieces, found.pen, found.sewn, *run)
                     - (segment.ONE_DIGIT if run == whole else 0) for run in found.runs])


def main(argv=None) -> int:
    config = parse(Config, argv, __doc__)
    shipped = {name: getattr(segment, name) for name in WEIGHTS}
    classifier = Classifier()
    if config.ceiling:
        print("pictures cut where each digit's own ink says:", dict(cut_ceiling(classifier)))
    numbers, singles = lattices(classifier)
    reachable = collections.Counter(kind for kind, text, found, p in numbers
                                    if spelled(text, found, p))
    print("spelled by some path:", dict(reachable))
    right, split = evaluate(numbers, singles, shipped)
    print(f"shipped prior: {sum(right.values())} of {len(numbers)} {dict(right)}, {split} split")
    rng, best = np.random.default_rng(config.seed), None
    for _ in range(config.trials):
        weights = {name: draw(rng) for name, draw in WEIGHTS.items()}
        right, split = evaluate(numbers, singles, weights)
        score = sum(right.values()) - 5 * split  # a split digit is the worse mistake
        if best is None or score > best[0]:
            best = (score, weights)
            print(f"{sum(right.values())} right, {split} split {dict(right)}: "
                  + ", ".join(f"{k}={v:.3g}" for k, v in weights.items()), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
