"""Cut a drawing of a number into pieces, for `model.segment` to group into digits.

A picture's pieces are its connected parts once deslanted (sheared by the slant that makes
them narrowest in all), each wide part cut further along the least-ink path (a seam) down
from each minimum of its column profile. Ink from the pad is cut into its strokes instead, in
the order they were drawn.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from model.ink import draw_strokes
from model.preprocess import coarse_ink, to_emnist
from model.spec import BRUSH_WIDTH

WORK_HEIGHT = 40  # px: the line's height while it is deslanted and cut
SLANTS = np.linspace(-0.6, 0.6, 49)  # shears tried (x moves by slant * height above the centre)
LONGEST = 3  # pieces in one digit at most
SPECK = 0.1  # a part smaller than this share of the line's height is no piece of its own
CUT_FROM = 0.2  # parts wider than this (in line heights; two touching 1s are) are cut at minima
MARGIN = 0.08  # ... no closer than this to their sides
BAND = 0.15  # a seam strays at most this far from its minimum


@dataclass(frozen=True)
class Pieces:
    """A drawing cut into pieces, left to right (a picture) or in drawing order (the pad)."""

    extents: np.ndarray  # (n, 4) each piece's deslanted ink: left, top, right, bottom, in px
    line: float  # the line's height, in the same px
    pen: float  # the pen's width (of a stroke, across), in the same px
    cuts: np.ndarray  # (n + 1,) the ink a digit boundary before each piece cuts, in pen widths
    sewn: np.ndarray  # (n + 1,) bool: a seam made that boundary
    crop: Callable  # crop(first, stop) -> ((28, 28) image of pieces first..stop-1 or None,
    #                 their box (left, top, right, bottom) in the drawing's pixels)


def span(extents: np.ndarray) -> tuple[float, float, float, float]:
    """(n, 4) extents (left, top, right, bottom) -> the one box around them all."""
    return (extents[:, 0].min(), extents[:, 1].min(), extents[:, 2].max(), extents[:, 3].max())


def ink_pieces(ink: np.ndarray, step: int) -> Pieces:
    """(H, W) ink, shrunk by `step` (`work_step`) while it is cut -> its Pieces, left to
    right, cut along its parts and seams."""
    mask = coarse_ink(ink, step)
    shifts = _shifts(mask.shape[0], estimate_slant(mask))
    sheared = _shear(mask, shifts)
    parts, _ = ndimage.label(sheared, structure=np.ones((3, 3)))
    boxes = ndimage.find_objects(parts)
    line = max(b[0].stop - b[0].start for b in boxes)
    pen = _pen_width(sheared)
    pieces, seams = _cut(parts, boxes, line, pen)
    found = ndimage.find_objects(pieces)
    order = np.argsort([(b[1].start + b[1].stop) / 2 for b in found])
    rank = np.zeros(len(found) + 1, np.int32)
    rank[order + 1] = np.arange(1, len(found) + 1)
    pieces = rank[pieces]
    found = [found[k] for k in order]
    extents = np.array([(b[1].start, b[0].start, b[1].stop, b[0].stop) for b in found], float)
    cuts, sewn = np.zeros(len(found) + 1), np.zeros(len(found) + 1, bool)
    for left, right, cost in seams:
        a, b = sorted((rank[left], rank[right]))  # the boundaries a..b-1 part them
        cuts[a:b] += cost / pen
        sewn[a:b] = True
    # Every pixel of the drawing belongs to the nearest piece, in the drawing's own geometry.
    upright = np.zeros(mask.shape, np.int32)
    y, x = np.nonzero(mask)
    upright[y, x] = pieces[y, x + shifts[y]]
    nearest = ndimage.distance_transform_edt(upright == 0, return_indices=True)[1]
    owner = np.kron(upright[nearest[0], nearest[1]], np.ones((step, step), np.int32))
    owner = owner[:ink.shape[0], :ink.shape[1]]
    where = ndimage.find_objects(upright, max_label=len(found))

    def crop(first, stop):
        inside = [b for b in where[first:stop] if b is not None]
        if not inside:
            return None, None
        top = min(b[0].start for b in inside) * step
        left = min(b[1].start for b in inside) * step
        bottom = min(max(b[0].stop for b in inside) * step, ink.shape[0])
        right = min(max(b[1].stop for b in inside) * step, ink.shape[1])
        own = owner[top:bottom, left:right]
        part = np.where((own > first) & (own <= stop), ink[top:bottom, left:right], 0)
        return to_emnist(part.astype(ink.dtype)), (left, top, right, bottom)

    return Pieces(extents, line, pen, cuts, sewn, crop)


def stroke_pieces(ink: np.ndarray, strokes: list[np.ndarray], step: int) -> Pieces:
    """Ink, the strokes it was drawn from and `step` -> its Pieces, one per stroke, in the
    order drawn."""
    slant = estimate_slant(coarse_ink(ink, step))
    centre = ink.shape[0] / 2
    half = BRUSH_WIDTH / 2
    sheared = [np.column_stack([s[:, 0] + slant * (s[:, 1] - centre), s[:, 1]]) for s in strokes]
    extents = np.array([(p[:, 0].min() - half, p[:, 1].min() - half, p[:, 0].max() + half,
                         p[:, 1].max() + half) for p in sheared])
    runs = [span(extents[k:k + LONGEST]) for k in range(len(strokes))]
    line = max(max(bottom - top for _, top, _, bottom in runs), 1)  # the tallest digit's

    def crop(first, stop):
        points = np.concatenate([s[:, :2] for s in strokes[first:stop]])
        left, top = np.floor(points.min(axis=0) - half).astype(int).clip(0)
        right, bottom = np.ceil(points.max(axis=0) + half).astype(int)
        right, bottom = min(right, ink.shape[1]), min(bottom, ink.shape[0])
        moved = [np.column_stack([s[:, :2] - (left, top), s[:, 2:]]) for s in strokes[first:stop]]
        image = to_emnist(draw_strokes(moved, (bottom - top, right - left)))
        return image, (left, top, right, bottom)

    return Pieces(extents, line, BRUSH_WIDTH, np.zeros(len(strokes) + 1),
                  np.zeros(len(strokes) + 1, bool), crop)


def work_step(components: dict, scale: int) -> int:
    """The ink's parts, as `model.preprocess.ink_components` gives them -> the shrink factor
    that makes the line about WORK_HEIGHT px tall."""
    line = max(b[0].stop - b[0].start for b in components.values()) * scale
    return max(1, int(line // WORK_HEIGHT))


# ---------------------------------------------------------------------------- deslant
def estimate_slant(mask: np.ndarray) -> float:
    """(H, W) bool ink -> the shear (x per unit of height above the centre, italic > 0) that
    makes its connected parts narrowest in all: the width a slant adds to every digit."""
    parts, _ = ndimage.label(mask, structure=np.ones((3, 3)))
    y, x = np.nonzero(parts)
    if y.size == 0:
        return 0.0
    rows = parts[y, x].astype(np.int64) * mask.shape[0] + y  # one group per row of each part
    order = np.argsort(rows, kind="stable")
    rows, y, x = rows[order], y[order], x[order]
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    height, part = y[starts] - mask.shape[0] / 2, rows[starts] // mask.shape[0]
    # A shear moves each row's ends along; a part's width is then its rightmost end less its
    # leftmost.
    left = np.minimum.reduceat(x, starts) + SLANTS[:, None] * height  # (slants, part rows)
    right = np.maximum.reduceat(x, starts) + SLANTS[:, None] * height
    firsts = np.flatnonzero(np.r_[True, part[1:] != part[:-1]])
    widths = np.maximum.reduceat(right, firsts, axis=1) - np.minimum.reduceat(left, firsts, axis=1)
    return float(SLANTS[np.argmin(widths.sum(axis=1))])


def _shifts(height: int, slant: float) -> np.ndarray:
    """-> (height,) int column shift of each row that deslants, all >= 0."""
    shifts = np.round(slant * (np.arange(height) - height / 2)).astype(np.int64)
    return shifts - shifts.min()


def _shear(mask: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    """(H, W) bool -> (H, W + max shift) bool, each row moved right by its shift."""
    out = np.zeros((mask.shape[0], mask.shape[1] + int(shifts.max())), bool)
    y, x = np.nonzero(mask)
    out[y, x + shifts[y]] = True
    return out


def _pen_width(mask: np.ndarray) -> float:
    """(H, W) bool ink -> its typical pen width in px: twice the depth along the ridge."""
    depth = ndimage.distance_transform_edt(np.pad(mask, 1))
    ridge = (depth > 0) & (depth >= ndimage.maximum_filter(depth, size=3))
    return max(1.0, 2 * float(np.median(depth[ridge])))


# ---------------------------------------------------------------------------- cuts
def _cut(parts: np.ndarray, boxes: list, line: int, pen: float):
    """Label each part's pieces: -> ((H, W) int32 piece labels, 0 = paper or speck,
    [(left label, right label, ink the seam crosses in px), ...])."""
    pieces = np.zeros_like(parts)
    seams, label = [], 0
    for k, box in enumerate(boxes, start=1):
        part = parts[box] == k
        h, w = part.shape
        if max(h, w) < SPECK * line:
            continue
        paths = _seams(part, line, pen) if w - pen > CUT_FROM * line else []
        column = np.arange(w)
        index = np.zeros(part.shape, np.int32)
        for path, _ in paths:
            index += column[None, :] >= path[:, None]
        labels = label + 1 + index
        pieces[box][part] = labels[part]
        for j, (_, cost) in enumerate(paths):
            seams.append((label + 1 + j, label + 2 + j, cost))
        label += len(paths) + 1
    # Seams can leave a label empty: renumber what is left 1, 2, ...
    used = np.unique(pieces[pieces > 0])
    renumber = np.zeros(label + 2, np.int32)
    renumber[used] = np.arange(1, len(used) + 1)
    seams = [(renumber[a], renumber[b], cost) for a, b, cost in seams
             if renumber[a] and renumber[b]]
    return renumber[pieces], seams


def _seams(part: np.ndarray, line: int, pen: float) -> list[tuple[np.ndarray, float]]:
    """(h, w) bool ink of one part -> [(the (h,) column of each row's cut, ink it crosses
    in px), ...] left to right, one seam down from each minimum of its column profile."""
    h, w = part.shape
    profile = ndimage.uniform_filter1d(part.sum(axis=0).astype(float), max(1, round(pen)))
    reach = max(1, round(BAND * line))
    margin = max(1, round(MARGIN * line + pen / 2))
    lowest = profile <= ndimage.minimum_filter1d(profile, 2 * reach + 1, mode="nearest")
    lowest[:margin] = lowest[w - margin:] = False
    centres = []
    for c in np.flatnonzero(lowest)[np.argsort(profile[lowest], kind="stable")]:
        if all(abs(c - other) > reach for other in centres):  # the lowest of close minima
            centres.append(c)
    if not centres:
        return []
    centres = np.sort(centres)
    # All seams at once: a least-cost path down each band, moving at most 1 px per row.
    offsets = np.arange(-reach, reach + 1)
    columns = np.clip(centres[:, None] + offsets[None, :], 0, w - 1)  # (seams, band)
    cost = part[:, columns].astype(float) + 0.01 * np.abs(offsets)  # (h, seams, band)
    total = cost[0].copy()
    moves = np.zeros(cost.shape, np.int8)
    options = np.full((3,) + total.shape, np.inf)  # from the left, from above, from the right
    for y in range(1, h):
        options[0, :, 1:], options[1], options[2, :, :-1] = total[:, :-1], total, total[:, 1:]
        moves[y] = options.argmin(axis=0) - 1
        total = options.min(axis=0) + cost[y]
    end = total.argmin(axis=1)
    seams, previous = [], None
    for s, position in enumerate(end):
        path = np.empty(h, np.int64)
        for y in range(h - 1, -1, -1):
            path[y] = columns[s, position]
            position += moves[y, s, position]
        if previous is not None:
            path = np.maximum(path, previous)  # seams never cross
        crossed = float(part[np.arange(h), np.clip(path, 0, w - 1)].sum())
        seams.append((path, crossed))
        previous = path
    return seams
