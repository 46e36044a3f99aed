"""Turn whatever the app or the CLI receives into the 28x28 EMNIST format.

The steps follow the EMNIST paper (Cohen et al. 2017): find the ink, crop to it, light Gaussian
blur, centre in a square frame keeping the aspect ratio, 2-pixel border, downsample to 28x28,
scale to the full range, white ink on black. One step is ours: strokes are re-drawn at one
fixed width, so a digit drawn large with a thin brush and small with a thick one look alike.

Every function here is pure: NumPy arrays in, NumPy arrays out.
"""

import numpy as np
from PIL import Image
from scipy import ndimage

from model.errors import InputError
from model.spec import BORDER, BOX_SIZE, IMAGE_SIZE, MAX_SIDE

WORK_SIZE = 3 * BOX_SIZE  # the ink's long side while its strokes are re-drawn (px)
STROKE_WIDTH = 8.25  # stroke width at WORK_SIZE: 2.75 px at 28x28, as in EMNIST digits
BLUR_SIGMA = 0.75  # the paper's light Gaussian blur, at WORK_SIZE
FIND_SIZE = 128  # long side of the coarse map on which the ink is found
INK_LEVEL = 0.3  # a pixel with more ink than this counts as ink
SPECK = 0.03  # ink smaller than this fraction of the image's long side is a speck
MIN_CONTRAST = 0.15  # a photo whose darkest ink is fainter than this is blank
MIN_SIDE = 8  # smaller images are refused
FRAMED_LEVEL = 0.1  # in a 28x28 picture, a pixel brighter than this is ink ...
FRAME_SLACK = 2  # ... and ink within this of the EMNIST frame (px) is already framed


# ---------------------------------------------------------------------------- entry points
def from_array(image: np.ndarray) -> np.ndarray | None:
    """Any image -> (28, 28) float32 in [0, 1], or None if blank.

    `image` is (H, W) or (H, W, C) with C in 1-4 (L, LA, RGB, RGBA), of any size, dtype bool,
    uint8, uint16 or float (in [0, 1], or [0, 255] if its maximum is above 1). Dark ink on
    light paper and light ink on dark are both read; uneven lighting is flattened.
    """
    return to_emnist(ink_map(image))


# ---------------------------------------------------------------------------- ink
def ink_map(image: np.ndarray) -> np.ndarray:
    """Any image (see `from_array`) -> (H, W) float32 ink in [0, 1], 1 = most ink."""
    gray, alpha = split_channels(to_unit_float(image))
    return alpha if on_transparency(alpha) else paper_ink(composite(gray, alpha))


def paper_ink(gray: np.ndarray) -> np.ndarray:
    """(H, W) float32 gray in [0, 1] -> (H, W) float32 ink in [0, 1], 1 = most ink: darkness
    relative to the paper, or lightness on dark paper. A 28x28 picture already in the EMNIST
    frame (a dataset's own file, either way round) is kept exactly."""
    if gray.shape == (IMAGE_SIZE, IMAGE_SIZE):
        ink = gray if np.median(border(gray)) < 0.5 else 1 - gray
        if framed(ink):
            return ink
    return normalise(flatten_lighting(gray))


def border(a: np.ndarray) -> np.ndarray:
    """(H, W) -> (2H + 2W,) the pixels of its outermost rows and columns."""
    return np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])


def on_transparency(alpha: np.ndarray) -> bool:
    """(H, W) float32 alpha in [0, 1] -> whether the image was drawn on transparency (its
    border is mostly transparent), so that the alpha itself is the ink."""
    return bool(np.median(border(alpha)) < 0.5)


def composite(gray: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """(H, W) gray and alpha, float32 in [0, 1] -> (H, W) gray on white paper."""
    return gray * alpha + (1 - alpha)


def to_unit_float(image: np.ndarray) -> np.ndarray:
    """(H, W) or (H, W, C) array of any dtype -> (H, W, C) float32 in [0, 1]; checks shape."""
    a = _as_array(image)
    if a.ndim == 2:
        a = a[..., None]
    if a.ndim != 3 or not 1 <= a.shape[2] <= 4:
        raise InputError(f"Expected an image of shape (H, W) or (H, W, 1-4), got {a.shape}.")
    if min(a.shape[:2]) < MIN_SIDE:
        raise InputError(f"The image is {a.shape[1]}x{a.shape[0]} px; it needs at least "
                         f"{MIN_SIDE}x{MIN_SIDE}.")
    step = -(-max(a.shape[:2]) // MAX_SIDE)
    if step > 1 and min(a.shape[:2]) >= step * MIN_SIDE:
        # Shrink before any conversion (6x faster than averaging for a 12 MP photo): at this
        # size a pen's stroke is many times wider than the step, so no ink is lost.
        a = a[::step, ::step]
    if a.dtype == bool:
        return a.astype(np.float32)
    if np.issubdtype(a.dtype, np.integer):  # 8 bits, or 16 if any value needs them
        full = 255 if a.dtype == np.uint8 or a.max() <= 255 else 65535
        return np.clip(a.astype(np.float32) / full, 0, 1)
    if not np.issubdtype(a.dtype, np.floating):
        raise InputError(f"Unsupported pixel type {a.dtype}.")
    if not np.isfinite(a).all():
        raise InputError("The image contains NaN or infinite values.")
    a = a.astype(np.float32)
    return np.clip(a / 255 if a.max() > 1 else a, 0, 1)


def split_channels(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(H, W, C) float32 in [0, 1] -> gray (H, W) and alpha (H, W), both float32 in [0, 1]."""
    channels = a.shape[2]
    color = a[..., :3] if channels >= 3 else a[..., :1]
    # The same sum as color.mean(axis=2), 10x faster (NumPy reduces a 3-long last axis slowly).
    gray = (color[..., 0] + color[..., 1] + color[..., 2]) / 3 if channels >= 3 else color[..., 0]
    alpha = a[..., -1] if channels in (2, 4) else np.ones_like(gray)
    return gray, alpha


def flatten_lighting(gray: np.ndarray, sheet: np.ndarray | None = None) -> np.ndarray:
    """(H, W) float32 gray in [0, 1] -> (H, W) float32 ink in [0, 1]: darkness relative to
    the paper, 1 = black (see `normalise`).

    Estimates the paper's brightness with a large grey closing on a coarse copy (strokes are
    thinner than a quarter of the image), and measures ink as darkness relative to it, so
    shadows and gradients do not become ink. Light ink on dark paper (dark at the border and
    overall) is inverted first.
    `sheet`: an (H, W) bool mask of the paper, when it does not fill the image: only the
    paper inside it is measured (it is not inverted), and there is no ink outside it.
    """
    small = resize(gray, fit_shape(gray.shape, FIND_SIZE // 2))
    if sheet is None:
        if np.median(border(small)) < 0.5 and np.median(small) < 0.5:  # not a table's wedges
            gray, small = 1 - gray, 1 - small
    else:  # what lies beyond the sheet takes the brightness of the sheet's nearest part
        inside = resize(sheet.astype(np.float32), small.shape) > 0.99
        if inside.any():
            nearest = ndimage.distance_transform_edt(~inside, return_distances=False,
                                                     return_indices=True)
            small = small[tuple(nearest)]
    paper = ndimage.grey_closing(small, size=max(3, max(small.shape) // 4))
    paper = resize(ndimage.uniform_filter(paper, 3), gray.shape)
    ink = np.clip(1 - gray / np.maximum(paper, 1e-3), 0, 1)
    return ink if sheet is None else ink * sheet


def normalise(ink: np.ndarray) -> np.ndarray:
    """(H, W) float32 ink in [0, 1] -> the same, its darkest ink 1; all 0 when even that is
    fainter than MIN_CONTRAST (blank paper, its noise not turned into ink)."""
    peak = float(ink.max())
    return ink / peak if peak >= MIN_CONTRAST else np.zeros_like(ink)


# ---------------------------------------------------------------------------- EMNIST frame
def to_emnist(ink: np.ndarray, box: tuple[slice, slice] | None = None) -> np.ndarray | None:
    """(H, W) ink -> (28, 28) float32 in [0, 1], white on black; None if blank.

    `ink` is float32 in [0, 1] or uint8 in [0, 255] (the ink pad's drawing), 1 or 255 = most ink.
    `box` is the ink's bounding box, when the caller has already found it (`find_ink`).
    Ink already in the frame (a dataset's own 28x28 file) goes to the network as it is.
    """
    if ink.shape == (IMAGE_SIZE, IMAGE_SIZE) and box is None and framed(ink):
        return np.clip(ink.astype(np.float32) / ink.max(), 0, 1)
    box = find_ink(ink) if box is None else box
    if box is None:
        return None
    crop = ink[box]
    work = resize(crop, fit_shape(crop.shape, WORK_SIZE))  # uint8 stays uint8: 2x faster
    half = 128 if work.dtype == np.uint8 else 0.5
    redrawn = redraw_strokes(work >= half, STROKE_WIDTH, margin=int(STROKE_WIDTH))
    return frame(ndimage.gaussian_filter(redrawn, BLUR_SIGMA))


def framed(ink: np.ndarray) -> bool:
    """(28, 28) ink (as `to_emnist`) -> whether it is already in the EMNIST frame: its long side
    BOX_SIZE px (give or take the blur), centred on that side, within a blank border."""
    level = FRAMED_LEVEL * (255 if ink.dtype == np.uint8 else 1)
    rows, cols = np.flatnonzero(ink.max(axis=1) > level), np.flatnonzero(ink.max(axis=0) > level)
    if rows.size == 0:
        return False
    margins = [(rows[0], IMAGE_SIZE - 1 - rows[-1]), (cols[0], IMAGE_SIZE - 1 - cols[-1])]
    sides = [IMAGE_SIZE - sum(m) for m in margins]
    long = int(np.argmax(sides))
    return (abs(sides[long] - BOX_SIZE) <= FRAME_SLACK and min(map(min, margins)) >= 1
            and abs(margins[long][0] - margins[long][1]) <= FRAME_SLACK)


def find_ink(ink: np.ndarray, parts: tuple | None = None) -> tuple[slice, slice] | None:
    """(H, W) ink (as `to_emnist`) -> the bounding box of its ink, specks left out; None if blank.

    Works on a max-pooled copy at most FIND_SIZE px long, so it costs little at any size.
    `parts`: what `ink_components(ink)` returns, when the caller already has it.
    """
    _, components, scale = ink_components(ink) if parts is None else parts
    boxes = list(components.values())
    if not boxes:
        return None
    top = min(b[0].start for b in boxes) * scale
    bottom = max(b[0].stop for b in boxes) * scale
    left = min(b[1].start for b in boxes) * scale
    right = max(b[1].stop for b in boxes) * scale
    return slice(top, min(bottom, ink.shape[0])), slice(left, min(right, ink.shape[1]))


def ink_components(ink: np.ndarray) -> tuple[np.ndarray, dict[int, tuple[slice, slice]], int]:
    """(H, W) ink (as `to_emnist`) -> (coarse labels, {label: box} of non-speck components, scale).

    Boxes are in coarse pixels; multiply by the scale for the original image's pixels.
    """
    scale = -(-max(ink.shape) // FIND_SIZE)
    coarse = coarse_ink(ink, scale)
    h, w = coarse.shape
    labels, _ = ndimage.label(coarse, structure=np.ones((3, 3)))
    least = SPECK * max(h, w)
    components = {label: box for label, box in enumerate(ndimage.find_objects(labels), start=1)
                  if max(box[0].stop - box[0].start, box[1].stop - box[1].start) >= least}
    return labels, components, scale


def coarse_ink(ink: np.ndarray, step: int) -> np.ndarray:
    """(H, W) ink (as `to_emnist`) -> (ceil(H / step), ceil(W / step)) bool: True where a
    step x step block holds ink."""
    return pool_max(ink, step) > INK_LEVEL * (255 if ink.dtype == np.uint8 else 1)


def pool_max(a: np.ndarray, step: int) -> np.ndarray:
    """(H, W) -> (ceil(H / step), ceil(W / step)): the maximum of each step x step block."""
    return _max_pool(_max_pool(a, step).T, step).T


def redraw_strokes(mask: np.ndarray, width: float, margin: int) -> np.ndarray:
    """(H, W) bool ink mask -> (H + 2 margin, W + 2 margin) float32 in [0, 1]: the same strokes,
    `width` px wide, on a canvas grown by `margin` px (at least width/2 + 1) on each side.

    The pen's path is the ridge of the distance to the paper (the medial axis: points at least
    as far from the paper as their neighbours, less half a pixel, and at least half as deep as
    the typical ridge point, so jagged edges grow no spurs), plus wherever the pen's centre
    must have been (deeper than the typical ridge point: filled loops and blobs). Strokes are
    re-drawn as everything within width/2 of that path, anti-aliased.
    """
    mask = np.pad(mask, 1)  # paper all round, so ink at the edge has a depth
    depth = ndimage.distance_transform_edt(mask)
    ridge = mask & (depth >= ndimage.maximum_filter(depth, size=3) - 0.5)
    if not ridge.any():
        return np.zeros(np.add(mask.shape, 2 * margin - 2), np.float32)
    typical = np.median(depth[ridge])
    path = (ridge & (depth >= typical / 2)) | (depth >= typical)
    reach = ndimage.distance_transform_edt(~np.pad(path, margin - 1))
    return np.clip(width / 2 + 0.5 - reach, 0, 1).astype(np.float32)


def frame(ink: np.ndarray) -> np.ndarray | None:
    """(H, W) float32 ink -> (28, 28) float32 in [0, 1]: centred, long side 24 px, full range."""
    rows, cols = np.nonzero(ink.max(axis=1) > 0.05)[0], np.nonzero(ink.max(axis=0) > 0.05)[0]
    if rows.size == 0:
        return None
    ink = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    side = max(ink.shape)
    top, left = (side - ink.shape[0]) // 2, (side - ink.shape[1]) // 2
    square = np.zeros((side, side), np.float32)
    square[top:top + ink.shape[0], left:left + ink.shape[1]] = ink
    out = np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)
    out[BORDER:-BORDER, BORDER:-BORDER] = resize(square, (BOX_SIZE, BOX_SIZE), Image.BICUBIC)
    peak = out.max()
    return np.clip(out / peak, 0, 1) if peak > 0 else None


# ---------------------------------------------------------------------------- helpers
def _as_array(image) -> np.ndarray:
    """An ndarray, a PIL image or nested lists -> ndarray (no copy when already one)."""
    try:
        return np.asarray(image)
    except Exception as error:  # e.g. ragged lists
        raise InputError(f"Could not read the image as an array: {error}") from None


def _max_pool(a: np.ndarray, step: int) -> np.ndarray:
    """(H, W) -> (ceil(H / step), W): the maximum of each `step` rows, strided (no copy of `a`)."""
    out = a[::step].copy()
    for i in range(1, step):
        rows = a[i::step]
        np.maximum(out[:len(rows)], rows, out=out[:len(rows)])
    return out


def fit_shape(shape: tuple[int, int], long_side: int) -> tuple[int, int]:
    """(h, w) -> (h', w') with the same aspect ratio and the given long side, each >= 1."""
    scale = long_side / max(shape)
    return max(1, round(shape[0] * scale)), max(1, round(shape[1] * scale))


def resize(a: np.ndarray, shape: tuple[int, int], resample=None) -> np.ndarray:
    """(H, W) uint8 or float32 -> (h, w) of the same dtype; area averaging when shrinking,
    bilinear when growing."""
    if resample is None:
        resample = Image.BOX if shape[0] <= a.shape[0] else Image.BILINEAR
    dtype = np.uint8 if a.dtype == np.uint8 else np.float32
    image = Image.fromarray(np.ascontiguousarray(a, dtype=dtype))
    return np.asarray(image.resize((shape[1], shape[0]), resample), dtype=dtype)
