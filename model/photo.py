"""Read a photo as people take it: find the sheet, and keep only what is written on it.

A phone photo of a digit is rarely only paper: the sheet lies on a table, its edge and shadow
show, and school paper is squared or ruled. Four steps tell the writing from the rest:

1. **The sheet** is the brightest large region that is mostly paper, convex with straight
   sides (the hull of the bright part, which it must nearly fill) and ends in a sharp step
   down to something darker that stays as dark further out: a table, not a shadow. Nothing
   outside it, nor in its outer MARGIN, is read.
2. **The edge**: ink touching the sheet's visible edge is the edge's, its shadow's or the
   table's.
3. **The frame**, where no sheet was found (it fills the frame, or the table is too light to
   tell): ink only along the frame's edge is the table showing in thin wedges, ink round the
   writing is where the sheet meets such a table, and faint ink beside the writing is a
   shadow's edge.
4. **Print**: thin lines in most of the sheet's cells (squared or ruled paper, a margin) are
   print if they fade in each pixel's lightest channel, in which print is nearly paper and pen
   or pencil stay dark (forms call it drop-out colour); the ink is then read from that channel,
   and what is left of the print, fainter than writing, is taken away. A stroke crossing a
   line is dark in every channel all along, and stays whole.

A picture made on a computer (a drawing, a dataset's file, a clean scan) is no photo: its
background is one exact grey level, where a camera's noise and light vary every pixel. It is
read whole, as `model.preprocess.ink_map` reads it, and pays nothing for the steps above.
Every function here is pure: NumPy arrays in, NumPy arrays out.
"""

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage
from scipy.spatial import ConvexHull, QhullError

from model.preprocess import (
    FIND_SIZE,
    INK_LEVEL,
    coarse_ink,
    composite,
    fit_shape,
    flatten_lighting,
    normalise,
    on_transparency,
    paper_ink,
    pool_max,
    resize,
    split_channels,
    to_unit_float,
)

DIGITAL_SHARE = 0.4  # a picture with this share at one exact grey level ...
BESIDE = 0.2  # ... and less than this share of that beside it was made on a computer
LEAST_SHEET = 0.2  # a sheet covers at least this share of the photo ...
MOST_SHEET = 0.99  # ... and one covering more than this is the whole photo
PAPER_FILLS = 0.8  # writing covers less than a fifth of a sheet (a light digit's holes more)
FILLED = 0.9  # the bright part fills at least this share of its hull
EDGE_DEPTH = 0.1  # ink only this close to the photo's edge (a share of its side) is the table's ...
SPAN = 0.55  # ... and so is ink round other ink, spanning more than this share both ways ...
FAINT_PART = 0.6  # ... and a part no darker than this, relative to the darkest writing
MARGIN = 0.03  # the sheet's outer 3% is its edge (shade, blur), not where one writes
STEP = 0.08  # beyond its edge the photo is darker by at least this share of the sheet ...
FADE = 0.1  # ... and a little further out, darker still by less than this share of that step
PAPER_SHARE = 0.55  # the sheet's paper is at least this bright, relative to its median
THIN = 5  # print is thinner than this (px, at the shrunk photo's size) ...
CELL = 48  # ... and found in most cells of this size (px) on the sheet ...
PRINTED = 0.5  # ... at least this share of them, ...
FAINT = 0.5  # ... and in the lightest channel fainter than this, relative to the darkest ink
PRINT_LEVEL = 0.75  # what is left of print after drop-out: this quantile of its cells' peaks


@dataclass(frozen=True)
class Sheet:
    """A photo as read: its ink, and what of it was read."""

    ink: np.ndarray  # (H, W) float32 in [0, 1], 1 = most ink: what is written on the sheet
    gray: np.ndarray | None  # (H, W) float32 in [0, 1]: the photo, shrunk as it was read
    corners: np.ndarray | None  # (K, 2) float (x, y): the sheet's outline; None = the photo
    printed: bool = False  # whether print (squared or ruled lines) was found and left out


def read_photo(image: np.ndarray) -> Sheet:
    """Any image (see `model.preprocess.from_array`) -> its Sheet."""
    colour = to_unit_float(image)
    gray, alpha = split_channels(colour)
    if on_transparency(alpha):
        return Sheet(alpha, None, None)
    gray = composite(gray, alpha)
    if not taken_by_camera(gray):
        return Sheet(paper_ink(gray), None, None)
    corners = find_sheet(gray)
    mask = None if corners is None else polygon_mask(within(corners, MARGIN), gray.shape)
    ink = normalise(sheet_ink(gray, mask))
    lined = lined_cells(ink, mask)
    if lined is None:
        return Sheet(ink, gray, corners)
    # Print is coloured (light blue or red lines): in each pixel's lightest channel it is
    # nearly as light as the paper, while pen and pencil stay dark in every channel (drop-out
    # colour). Lines that stay dark there are writing (a small picture's strokes fill most of
    # its cells). What is left of the print is fainter than any writing: its level is taken away.
    dropped = sheet_ink(composite(lightest(colour), alpha), mask)
    if not fades(normalise(dropped), lined, mask):
        return Sheet(ink, gray, corners)
    clean = np.clip(dropped - print_level(dropped, mask), 0, 1)
    return Sheet(normalise(clean), gray, corners, True)


def taken_by_camera(gray: np.ndarray) -> bool:
    """(H, W) float32 gray in [0, 1] -> whether it looks like a photo. A picture made on a
    computer has its background at one exact grey level, holding DIGITAL_SHARE of it or more,
    with few pixels a level or four beside it; a camera's noise and light spread every level,
    and its clipped highlights (all one level) still spill into the levels next to them."""
    step = max(1, max(gray.shape) // 256)  # some 65,000 pixels tell as well as all of them
    levels = np.bincount((gray[::step, ::step] * 255 + 0.5).astype(np.uint8).ravel(),
                         minlength=256)
    mode = int(levels.argmax())
    beside = levels[max(0, mode - 4):mode + 5].sum() - levels[mode]
    return bool(levels[mode] < DIGITAL_SHARE * levels.sum() or beside > BESIDE * levels[mode])


def sheet_ink(gray: np.ndarray, sheet: np.ndarray | None) -> np.ndarray:
    """(H, W) float32 gray in [0, 1] and the sheet's (H, W) bool mask (None: the whole photo)
    -> (H, W) float32 ink in [0, 1], darkness relative to the paper (not yet normalised): what
    is written on the sheet, its edge's ink left out."""
    if sheet is None:
        return clear_frame(flatten_lighting(gray))
    return clear_edge(flatten_lighting(gray, sheet), sheet, gray.shape)


def lightest(colour: np.ndarray) -> np.ndarray:
    """(H, W, C) float32 in [0, 1] -> (H, W) float32: each pixel's lightest colour channel."""
    return colour[..., :3].max(axis=2) if colour.shape[2] >= 3 else colour[..., 0]


# ---------------------------------------------------------------------------- the sheet
def find_sheet(gray: np.ndarray) -> np.ndarray | None:
    """(H, W) float32 gray in [0, 1] -> (K, 2) the outline (x, y) of the sheet in it; None when
    the photo is all paper or shows no sheet."""
    small = resize(gray, fit_shape(gray.shape, FIND_SIZE))
    bright = small > otsu_level(small)
    labels, count = ndimage.label(bright)
    if count == 0:
        return None
    core = labels == np.bincount(labels.ravel())[1:].argmax() + 1
    # The sheet's paper is all that is nearly as bright as its brightest part, shadows included;
    # where a light table passes for paper too, the brightest part alone is the sheet.
    labels, _ = ndimage.label(small > PAPER_SHARE * np.median(small[core]))
    held = np.bincount(labels[core], minlength=2)
    held[0] = 0
    for part in (labels == held.argmax(), core):
        hull = _outline(part, small)
        if hull is not None:
            return hull * (gray.shape[0] / small.shape[0])
    return None


def _outline(part: np.ndarray, small: np.ndarray) -> np.ndarray | None:
    """(h, w) bool part of the coarse photo `small` -> its hull's corners (x, y) if it is a
    sheet: large, mostly paper (what is written on it is its holes), filling its hull, not the
    whole photo, and ending in a step down."""
    paper = part
    part = ndimage.binary_fill_holes(part)
    if part.mean() < LEAST_SHEET or paper.sum() < PAPER_FILLS * part.sum():
        return None
    hull = _hull(part)
    if hull is None:
        return None
    inside = polygon_mask(hull, small.shape)
    if inside.mean() > MOST_SHEET or part.sum() < FILLED * inside.sum():
        return None
    # A sheet ends in a sharp step down to the table, which is no darker further out (its own
    # shadow on the table even fades); a shadow's edge goes on darkening.
    grown = [ndimage.binary_dilation(inside, iterations=n) for n in (1, 2, 6, 8)]
    near, far = grown[1] & ~grown[0], grown[3] & ~grown[2]
    within = inside & ~ndimage.binary_erosion(inside, iterations=2)
    if near.sum() < 3 or far.sum() < 3:
        return None
    step = np.median(small[within]) - np.median(small[near])
    fade = np.median(small[near]) - np.median(small[far])
    return hull if step >= STEP * np.median(small[within]) and fade < FADE * step else None


def otsu_level(a: np.ndarray, bins: int = 64) -> float:
    """(H, W) float in [0, 1] -> the level that best splits it into a dark and a bright class
    (Otsu 1979)."""
    counts, edges = np.histogram(a, bins=bins, range=(0, 1))
    p = counts / counts.sum()
    centres = (edges[:-1] + edges[1:]) / 2
    w = np.cumsum(p)
    mean = np.cumsum(p * centres)
    between = (mean[-1] * w - mean) ** 2 / np.maximum(w * (1 - w), 1e-12)
    return float(edges[1:][between[:-1].argmax()])


def _hull(mask: np.ndarray) -> np.ndarray | None:
    """(h, w) bool -> (K, 2) float (x, y) corners of the convex hull of its pixels' squares."""
    edge = mask & ~ndimage.binary_erosion(mask)
    y, x = np.nonzero(edge)
    points = np.concatenate([np.column_stack([x + dx, y + dy]) for dx in (0, 1) for dy in (0, 1)])
    try:
        return points[ConvexHull(points).vertices].astype(float)
    except (QhullError, ValueError):  # too few or collinear points: no sheet
        return None


def within(corners: np.ndarray, share: float) -> np.ndarray:
    """(K, 2) polygon corners (x, y) -> the polygon shrunk towards its centre by `share`."""
    centre = corners.mean(axis=0)
    return centre + (corners - centre) * (1 - share)


def polygon_mask(corners: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(K, 2) polygon corners (x, y) -> (H, W) bool: True inside."""
    canvas = Image.new("1", (shape[1], shape[0]), 0)
    ImageDraw.Draw(canvas).polygon([tuple(p) for p in corners], fill=1)
    return np.asarray(canvas, bool)


def clear_edge(ink: np.ndarray, sheet: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(H, W) ink and the sheet's (H, W) mask -> the ink less every part that touches the
    sheet's edge where it lies inside the photo (beyond the frame's edge it is not seen)."""
    step = -(-max(shape) // FIND_SIZE)
    coarse = coarse_ink(normalise(ink), step)
    inside = sheet[::step, ::step][:coarse.shape[0], :coarse.shape[1]]
    # The sheet's visible edge: its own pixels next to pixels of the photo beyond it.
    edge = inside & ndimage.binary_dilation(~inside, iterations=2, border_value=0)
    labels, _ = ndimage.label(coarse, structure=np.ones((3, 3)))
    touching = np.unique(labels[edge & coarse])
    drop = np.isin(labels, touching[touching > 0])
    if not drop.any():
        return ink
    full = np.repeat(np.repeat(drop, step, axis=0), step, axis=1)[:shape[0], :shape[1]]
    return np.where(full, 0, ink).astype(np.float32)


def clear_frame(ink: np.ndarray) -> np.ndarray:
    """(H, W) ink of a photo read whole -> the ink less what is not writing: parts lying along
    the frame's edge (the table in thin wedges, where the sheet does not quite fill the frame),
    parts spanning most of the frame round other ink (where a sheet meets a table too light to
    tell from it) and faint parts (a shadow's edge, what is left of a wedge). What counts as ink is
    relative to the darkest part, so this is done again while a stray part was the darkest."""
    for _ in range(3):
        drop = _strays(ink)
        if drop is None:
            break
        ink = np.where(drop, 0, ink).astype(np.float32)
    return ink


def _strays(ink: np.ndarray) -> np.ndarray | None:
    """(H, W) ink -> (H, W) bool: the stray parts `clear_frame` leaves out; None if none."""
    step = -(-max(ink.shape) // FIND_SIZE)
    pooled = pool_max(normalise(ink), step)
    labels, count = ndimage.label(pooled > INK_LEVEL, structure=np.ones((3, 3)))
    h, w = pooled.shape
    band = np.zeros((h, w), bool)  # within EDGE_DEPTH of the frame's edge
    dy, dx = max(1, round(EDGE_DEPTH * h)), max(1, round(EDGE_DEPTH * w))
    band[:dy], band[-dy:], band[:, :dx], band[:, -dx:] = True, True, True, True
    beyond_band = np.bincount(labels[~band], minlength=count + 1)
    stray = beyond_band == 0
    stray[0] = True  # the paper
    boxes = ndimage.find_objects(labels)
    for k, (rows, cols) in enumerate(boxes, start=1):  # a ring round the writing
        if rows.stop - rows.start >= SPAN * h and cols.stop - cols.start >= SPAN * w:
            stray[k] |= any(j != k and _within(box, (rows, cols)) for j, box in
                            enumerate(boxes, start=1))
    peaks = ndimage.maximum(pooled, labels, np.arange(count + 1))
    if not stray.all():  # faint beside the darkest writing left
        stray |= peaks < FAINT_PART * peaks[~stray].max()
    stray[0] = False
    if not stray.any():
        return None
    drop = stray[labels]
    return np.repeat(np.repeat(drop, step, axis=0), step, axis=1)[:ink.shape[0], :ink.shape[1]]


def _within(inner: tuple[slice, slice], outer: tuple[slice, slice]) -> bool:
    return all(o.start <= i.start and i.stop <= o.stop for i, o in zip(inner, outer))


# ---------------------------------------------------------------------------- print
def lined_cells(ink: np.ndarray, sheet: np.ndarray | None) -> np.ndarray | None:
    """(H, W) float32 ink in [0, 1] -> (rows, columns) bool: the cells (see `_cells`) that thin
    lines cross, when they are most of the sheet's (the `sheet` mask, or the whole photo), as
    with squared or ruled paper's print; else None."""
    thin = ink - ndimage.grey_opening(ink, size=(THIN, THIN))
    lines = thin > _noise_free(thin)
    if sheet is not None:
        lines &= sheet
    cells, where = _cells(lines, sheet)
    lined = cells.max(axis=(1, 3)) & where
    return lined if where.any() and lined[where].mean() >= PRINTED else None


def fades(dropped: np.ndarray, lined: np.ndarray, sheet: np.ndarray | None) -> bool:
    """(H, W) float32 ink in [0, 1] read from the lightest channel, and the lined cells ->
    whether the lines are print: in most lined cells they fade below FAINT of the darkest
    writing there."""
    cells, _ = _cells(dropped, sheet)
    return bool((cells.max(axis=(1, 3))[lined] < FAINT).mean() >= PRINTED)


def print_level(ink: np.ndarray, sheet: np.ndarray | None) -> float:
    """(H, W) float32 ink in [0, 1] -> the level of the print on the sheet: the ink in most of
    its cells rises no higher (writing covers only a few of them)."""
    cells, where = _cells(ink, sheet)
    return float(np.quantile(cells.max(axis=(1, 3))[where], PRINT_LEVEL)) if where.any() else 0.0


def _cells(a: np.ndarray, sheet: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(H, W) -> (rows, h, columns, w) its whole cells of CELL x CELL (or less, in a smaller
    image), and (rows, columns) bool: the cells whose centre lies on the sheet."""
    h, w = min(CELL, a.shape[0]), min(CELL, a.shape[1])
    rows, columns = a.shape[0] // h, a.shape[1] // w
    cells = a[:rows * h, :columns * w].reshape(rows, h, columns, w)
    where = (np.ones((rows, columns), bool) if sheet is None else
             sheet[h // 2::h, w // 2::w][:rows, :columns])
    return cells, where


def _noise_free(thin: np.ndarray) -> float:
    """(H, W) thin detail -> a level above the photo's noise (robust: 6 x its MAD)."""
    sample = thin[::4, ::4]  # a sixteenth of the pixels gives the same statistic, faster
    mad = float(np.median(np.abs(sample - np.median(sample))))
    return max(0.1, 6 * 1.4826 * mad)
