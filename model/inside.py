"""Inside the network: what the first of the served networks computes for one image, layer by
layer, drawn as pictures a person can read.

The numbers come from the SavedModel's own `inside` function (written by `training.export`),
so they are the very numbers behind the answer, not a copy of the network.
"""

import html
from dataclasses import dataclass

import numpy as np

from model.imagefile import png_base64

GAP = 1  # px of page between two maps
SHOWN_WIDTH = 480  # px: the widest a layer's picture is shown (its pixels stay square)
# 15 shades, from 0 (dark slate) through orange to the layer's largest value (pale yellow),
# and the page between maps: a 4-bit PNG, small enough to follow every reading.
LEVELS = 15
_STOPS = np.array([[15, 23, 42], [154, 52, 18], [234, 88, 12], [254, 243, 199]], np.float32)
PALETTE = np.concatenate([
    np.stack([np.interp(np.linspace(0, 1, LEVELS), np.linspace(0, 1, len(_STOPS)), _STOPS[:, c])
              for c in range(3)], axis=-1).round(),
    [[255, 255, 255]]]).astype(np.uint8)  # the last colour is transparent
PALE, ORANGE = (255, 247, 237), (251, 146, 60)  # the outputs' cells, for 0 and 1


@dataclass(frozen=True)
class Layer:
    title: str  # "Convolution 1: 32 maps of 28×28"
    says: str  # one line on what the layer does
    values: np.ndarray  # (H, W, maps) or (units,) float32, >= 0


@dataclass(frozen=True)
class Inside:
    layers: tuple[Layer, ...]  # the first network's, input to output (its outputs excluded)
    networks: np.ndarray  # (networks, 10) float32: each network's probabilities


def look_inside(classifier, image: np.ndarray) -> Inside:
    """(28, 28) float32 image in [0, 1] -> the first network's layers and every network's
    probabilities, from one call of the classifier's SavedModel."""
    shown, networks = classifier.inside(image)
    *hidden, _ = shown  # its own outputs are the first row of `networks`
    maps = [values for values in hidden if values.ndim == 3]  # the convolutions come first
    layers = [Layer(f"Convolution {n + 1}: {values.shape[2]} maps of "
                    f"{values.shape[0]}×{values.shape[1]}", _conv_says(n, maps), values)
              for n, values in enumerate(maps)]
    layers += [Layer(f"Dense layer: {values.size} units", "Each unit weighs every map of the "
                     "layer before: together they are the network's summary of the drawing, "
                     "which the output layer reads.", values)
               for values in hidden if values.ndim == 1]
    return Inside(tuple(layers), networks)


def _conv_says(n: int, maps: list) -> str:
    """One line on the n-th convolution, from where it sits among the others."""
    if n == 0:
        return ("Each map is one small filter slid over the drawing: it lights up where its "
                "pattern is found, a stroke, one side of it, or the paper around it.")
    if n == len(maps) - 1:
        return ("Each map says where in the digit one part is, a loop, a bar or a corner: "
                "the picture is coarse now, the meaning is not.")
    if maps[n].shape[0] < maps[n - 1].shape[0]:
        return ("After pooling to half the size, each filter sees a wider patch: curves, "
                "stroke ends and where strokes meet.")
    return "Filters over the maps before: they combine edges into curves, corners and ends."


# ---------------------------------------------------------------------------- pictures
def tile(values: np.ndarray, columns: int) -> np.ndarray:
    """(H, W, maps) >= 0 -> one (rows*(H+1)-1, columns*(W+1)-1) float32 grid of the maps, each
    scaled by the layer's largest value into [0, 1], NaN between maps."""
    h, w, n = values.shape
    rows = -(-n // columns)
    grid = np.full((rows * columns, h + GAP, w + GAP), np.nan, np.float32)
    grid[:n, :h, :w] = np.moveaxis(values, -1, 0) / max(float(values.max()), 1e-9)
    grid = grid.reshape(rows, columns, h + GAP, w + GAP).transpose(0, 2, 1, 3)
    return grid.reshape(rows * (h + GAP), columns * (w + GAP))[:-GAP, :-GAP]


def shades(grid: np.ndarray) -> np.ndarray:
    """(H, W) float32 in [0, 1] or NaN -> (H, W) uint8 indices into PALETTE (NaN: the last,
    transparent)."""
    levels = np.round(np.nan_to_num(grid) * (LEVELS - 1)).astype(np.uint8)
    return np.where(np.isnan(grid), len(PALETTE) - 1, levels).astype(np.uint8)


def picture(layer: Layer) -> np.ndarray:
    """A layer -> its (H, W) uint8 picture in PALETTE's indices: maps in a grid, or units as a
    grid of cells."""
    values = layer.values if layer.values.ndim == 3 else layer.values.reshape(1, 1, -1)
    return shades(tile(values, 8 if values.shape[2] <= 32 else 16))


def to_html(inside: Inside, what: str = "the drawing") -> str:
    """The inside view as HTML: each layer's picture with its title and line, then a table of
    the ten outputs of every network and their average (the answer)."""
    parts = [f'<p class="inside-note">Network 1 of {len(inside.networks)}, layer by layer, for '
             f'{html.escape(what)}. Brighter means a stronger response.</p>']
    for layer in inside.layers:
        indices = picture(layer)
        width = min(SHOWN_WIDTH, indices.shape[1] * 8)
        parts.append(f'<figure><figcaption><b>{html.escape(layer.title)}.</b> '
                     f'{html.escape(layer.says)}</figcaption><img width="{width}" '
                     f'src="data:image/png;base64,{png_base64(indices, PALETTE)}" '
                     f'alt="{html.escape(layer.title)}"></figure>')
    parts.append(outputs_table(inside.networks))
    return '<div class="inside">' + "".join(parts) + "</div>"


def _cell(q: float) -> tuple[int, int, int]:
    """A probability -> its cell's colour, from pale to orange: dark text reads on both, in
    either theme."""
    return tuple(round(a + q * (b - a)) for a, b in zip(PALE, ORANGE))


def outputs_table(networks: np.ndarray) -> str:
    """(networks, 10) probabilities -> a table: one row per network, then their average."""
    rows = [(f"Network {k + 1}", p) for k, p in enumerate(networks)]
    rows.append(("Average: the answer", networks.mean(axis=0)))
    head = "".join(f'<th scope="col">{d}</th>' for d in range(networks.shape[1]))
    body = "".join(
        f'<tr><th scope="row">{name}</th>' + "".join(
            f'<td style="background: rgb{_cell(q)}; color: #111827">{round(100 * q)}</td>'
            for q in p) + "</tr>" for name, p in rows)
    return (f'<table class="inside-outputs"><caption><b>The ten outputs</b>, in %: each network'
            f' gives a probability per digit, and the app answers with their average.</caption>'
            f'<tr><th scope="col">digit</th>{head}</tr>{body}</table>')
