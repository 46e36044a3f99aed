"""Split a drawing of a whole number into its digits, letting the network choose the cuts.

Recognition-driven segmentation, as in the classic ZIP-code and cheque readers (Casey &
Lecolinet, PAMI 1996; LeCun et al. 1998):

1. **Pieces** (`model.pieces`). Deslant the ink, then take its connected parts, each wide one
   cut further along seams; or, for ink from the pad, its strokes in the order drawn (people
   finish one digit before they start the next, so a digit's strokes are consecutive).
2. **Search.** Every run of 1 to 3 consecutive pieces is a candidate digit, and so is the
   whole drawing, framed from all its ink exactly as a single digit is. Each has a prior
   cost (`digit_cost`): a little per digit, more for a digit too wide or too short for the
   line, and for a piece that lies beyond the digit's ink so far. Candidates the prior rules
   out are dropped; the rest are classified in one batched call (`Candidates.images`), and
   dynamic programming picks the digits with the highest sum of log-probabilities less the
   costs, those of neighbours reaching into each other and of cuts through ink included
   (`Candidates.choose`).

Boxes are in the original drawing's pixels.
"""

from dataclasses import dataclass

import numpy as np

from model.pieces import LONGEST, ink_pieces, span, stroke_pieces, work_step
from model.preprocess import find_ink, ink_components, to_emnist

MOST_PIECES = 64  # with more pieces than this, each is read as a digit on its own
# The prior, in units of log-probability (chosen on numbers and single digits drawn with other
# seeds than the test set's; see docs/benchmarks.md):
PER_DIGIT = 0.1  # each digit costs this: of readings that read as well, the fewest digits win
WIDEST, TOO_WIDE = 0.65, 40.0  # a digit wider than WIDEST line heights costs TOO_WIDE x excess^2
LOWEST, TOO_LOW = 0.55, 5.0  # one shorter than LOWEST of the line costs TOO_LOW x shortfall^2
APART = 10.0  # a piece centred d line heights beyond the pen's reach in its digit so far costs
#               APART x d: a digit's later strokes land inside it, the next digit's beyond it
OVERLAP = 20.0  # a digit reaching d line heights past its neighbour's centre costs OVERLAP x d
PER_PEN_CUT = 0.5  # a cut through ink costs this per pen width it goes through
ONE_DIGIT = 0.5  # the whole drawing as one digit costs this less: splitting a digit is the
#                 worse mistake, and one digit the commonest drawing
HOPELESS = 3.0  # a reading whose prior costs more is not considered (none that did was read);
#                where every reading does, one costing this much more than the cheapest


@dataclass(frozen=True)
class Candidates:
    """One drawing's candidate digits. The run (0, pieces) is the whole drawing, framed from all
    its ink as a single digit is; it is left out when it cannot be the reading."""

    images: np.ndarray  # (K, 28, 28) float32 in [0, 1], to be classified
    boxes: tuple  # K boxes (left, top, right, bottom) in the drawing's pixels
    runs: tuple  # K piece ranges (first, stop); the whole drawing is (0, number of pieces)
    costs: np.ndarray  # (K,) each one's prior cost as a digit (`digit_cost`)
    pieces: np.ndarray  # (n, 4) each piece's deslanted ink: left, top, right, bottom, in line
    #                     heights (the line's ink height less a pen width)
    pen: float  # the pen width, in line heights (a digit's size is its ink's, less this)
    sewn: np.ndarray  # (n + 1,) bool: pieces k - 1 and k are one part of the ink, cut by a seam
    cuts: np.ndarray  # (n + 1,) the ink that seam goes through, in pen widths

    def choose(self, probabilities: np.ndarray) -> list[int]:
        """(K, 10) probabilities of `images` -> the indices of the digits read, left to right."""
        score = np.log(np.maximum(probabilities.max(axis=1), 1e-9)) - self.costs
        extents = np.array([span(self.pieces[first:stop]) for first, stop in self.runs])
        index = {run: k for k, run in enumerate(self.runs)}
        # ending[stop]: the best (score, digits) reading pieces [0, stop), for each last digit
        ending = [[] for _ in range(len(self.pieces) + 1)]
        ending[0] = [(0.0, [])]
        held = np.zeros(len(self.pieces), bool)
        for first, stop in self.runs:
            held[first:stop] = True
        for stop in range(1, len(self.pieces) + 1):
            if not held[stop - 1]:  # a piece no candidate holds (a speck no digit can be)
                ending[stop] = ending[stop - 1]
                continue
            for first in range(max(0, stop - LONGEST), stop):
                k = index.get((first, stop))
                if k is None or not ending[first]:
                    continue
                ending[stop].append(max(
                    ((total + score[k] - PER_PEN_CUT * self.cuts[first]
                      - (pair_cost(extents[digits[-1]], extents[k], self.pen) if digits else 0),
                      digits + [k]) for total, digits in ending[first]),
                    key=lambda option: option[0]))
        whole = index.get((0, len(self.pieces)))
        if whole is not None:  # the whole drawing may be more pieces than a digit has
            ending[-1].append((score[whole], [whole]))
        if not ending[-1]:  # no chain of candidates covers the ink: the likeliest one alone
            return [int(score.argmax())]
        chosen = max(ending[-1], key=lambda option: option[0])[1]
        return sorted(chosen, key=lambda k: self.boxes[k][0] + self.boxes[k][2])


def candidates(ink: np.ndarray, strokes: list[np.ndarray] | None = None) -> Candidates | None:
    """(H, W) ink (float32 in [0, 1] or uint8) -> its candidate digits; None if blank.

    `strokes`, when the ink was drawn from them (`model.ink.draw_strokes`), are its pieces, in
    the order they were drawn.
    """
    parts = ink_components(ink)
    found = find_ink(ink, parts)
    if found is None:
        return None
    step = work_step(*parts[1:])
    cut = stroke_pieces(ink, strokes, step) if strokes else ink_pieces(ink, step)
    unit = max(cut.line - cut.pen, 1.0)  # the line's height, its ink less a pen width
    extents, pen, sewn, cuts = cut.extents / unit, cut.pen / unit, cut.sewn, cut.cuts
    pieces = len(extents)
    longest = LONGEST if pieces <= MOST_PIECES else 1  # a page of text is not a number
    priced = {(first, stop): digit_cost(extents, pen, sewn, first, stop)
              for first in range(pieces)
              for stop in range(first + 1, min(first + longest, pieces) + 1)}
    priced[0, pieces] = digit_cost(extents, pen, sewn, 0, pieces) - ONE_DIGIT
    # Frame and classify only candidates in a reading whose prior alone is not hopeless.
    useful = _useful(priced, extents, pen, cuts, pieces)
    images, boxes, runs, costs = [], [], [], []
    for first, stop in sorted(useful):
        if (first, stop) == (0, pieces):
            rows, cols = found
            image, box = to_emnist(ink, found), (cols.start, rows.start, cols.stop, rows.stop)
        else:
            image, box = cut.crop(first, stop)
        if image is not None:
            images.append(image)
            boxes.append(box)
            runs.append((first, stop))
            costs.append(priced[first, stop])
    if not images:
        return None
    return Candidates(np.stack(images), tuple(boxes), tuple(runs), np.array(costs), extents,
                      pen, sewn, cuts)


def digit_cost(pieces: np.ndarray, pen: float, sewn: np.ndarray, first: int, stop: int) -> float:
    """The prior cost of pieces first..stop-1 (see `Candidates`) as one digit."""
    left, top, right, bottom = span(pieces[first:stop])
    width, height = right - left - pen, bottom - top - pen
    cost = (PER_DIGIT + TOO_WIDE * max(0, width - WIDEST) ** 2
            + TOO_LOW * max(0, LOWEST - height) ** 2)
    for k in range(first + 1, stop):
        if not sewn[k]:  # a seam's two sides were one part: no evidence either way
            reach = pieces[first:k, 2].max() - pen / 2
            cost += APART * max(0, (pieces[k, 0] + pieces[k, 2]) / 2 - reach)
    return float(cost)


def pair_cost(a, b, pen: float) -> float:
    """Neighbouring digits' extents a, b (a first) -> the cost of reaching past each other's
    centres."""
    return OVERLAP * (max(0, a[2] - pen / 2 - (b[0] + b[2]) / 2)
                      + max(0, (a[0] + a[2]) / 2 - b[0] - pen / 2))


def _useful(priced: dict, pieces: np.ndarray, pen: float, cuts: np.ndarray, n: int) -> list:
    """Runs {(first, stop): cost} -> those in some reading whose prior is not hopeless."""
    spans = {run: span(pieces[run[0]:run[1]]) for run in priced}
    ahead, behind = {}, {}  # the least prior of readings of [0, first] and of [stop, n]
    for run in sorted(priced):
        if run[0] == 0:
            ahead[run] = priced[run]
        else:
            before = [ahead[other] + pair_cost(spans[other], spans[run], pen)
                      for other in ahead if other[1] == run[0]]
            if before:
                ahead[run] = min(before) + priced[run] + PER_PEN_CUT * cuts[run[0]]
    for run in sorted(priced, key=lambda run: -run[0]):
        if run[1] == n:
            behind[run] = priced[run]
        else:
            after = [behind[other] + pair_cost(spans[run], spans[other], pen)
                     for other in behind if other[0] == run[1]]
            if after:
                behind[run] = min(after) + priced[run] + PER_PEN_CUT * cuts[run[1]]
    total = {run: ahead[run] + behind[run] - priced[run] for run in priced
             if run in ahead and run in behind}
    least = min(total.values(), default=0.0)
    limit = HOPELESS if least <= HOPELESS else least + HOPELESS
    return [run for run, cost in total.items() if cost <= limit]

