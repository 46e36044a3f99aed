"""Digital ink from the ink pad: strokes of points, checked strictly, and drawn as an image.

Ink is JSON: a list of strokes, each a list of points [x, y, t], with x and y in the pixels of
the pad's 800x800 canvas and t in milliseconds since the first point (t may be left out).
While a stroke is drawn, the pad may send the ink so far as `{"drawing": ink}` (`pad_value`).
"""

import json

import numpy as np
from PIL import Image, ImageDraw

from model.errors import InputError
from model.spec import BRUSH_WIDTH, CANVAS_SIZE, MAX_INK_BYTES, MAX_POINTS, MAX_STROKES

IN_STROKE = '{"drawing":'  # the pad's value while the pen moves: {"drawing": the ink so far}


def pad_value(text: str) -> tuple[str, bool]:
    """The ink pad's value -> (its ink JSON, whether the pen is still moving). The pad sends
    `{"drawing": ink}` while a stroke is drawn, and the plain ink as each stroke ends."""
    if isinstance(text, str) and text.startswith(IN_STROKE) and text.endswith("}"):
        return text[len(IN_STROKE):-1], True
    return text, False


def strokes_from_json(text: str) -> list[np.ndarray]:
    """Ink JSON -> one (N, 3) float64 array (x, y, t) per stroke, x and y clipped to the canvas.

    Anything that is not ink, or more of it than a drawing needs, raises InputError.
    """
    if not isinstance(text, str):
        raise InputError("Ink must be JSON text: a list of strokes.")
    if len(text) > MAX_INK_BYTES:
        raise InputError(f"The ink is {len(text) / 1024:,.0f} KB; the limit is "
                         f"{MAX_INK_BYTES // 1024} KB.")
    try:
        strokes = json.loads(text) if text.strip() else []
    except (ValueError, RecursionError):
        raise InputError("The ink is not valid JSON.") from None
    if not isinstance(strokes, list) or not all(isinstance(s, list) for s in strokes):
        raise InputError("Ink must be a list of strokes, each a list of [x, y, t] points.")
    if len(strokes) > MAX_STROKES:
        raise InputError(f"The ink has {len(strokes)} strokes; the limit is {MAX_STROKES}.")
    if sum(map(len, strokes)) > MAX_POINTS:
        raise InputError(f"The ink has {sum(map(len, strokes)):,} points; the limit is "
                         f"{MAX_POINTS:,}.")
    return [_stroke(k, stroke) for k, stroke in enumerate(strokes)]


def _stroke(k: int, stroke: list) -> np.ndarray:
    """One stroke's points -> (N, 3) float64 (x, y, t), or InputError naming the stroke."""
    if not stroke:
        raise InputError(f"Stroke {k + 1} has no points.")
    if not all(isinstance(p, list) and len(p) in (2, 3) and not any(isinstance(v, bool) for v in p)
               for p in stroke):
        raise InputError(f"Stroke {k + 1}: each point must be [x, y] or [x, y, t].")
    try:
        points = np.array([p if len(p) == 3 else [*p, 0] for p in stroke], np.float64)
    except (TypeError, ValueError):
        raise InputError(f"Stroke {k + 1}: coordinates must be numbers.") from None
    if not np.isfinite(points).all():
        raise InputError(f"Stroke {k + 1} has a coordinate that is NaN or infinite.")
    points[:, :2] = np.clip(points[:, :2], 0, CANVAS_SIZE)
    return points


def draw_strokes(strokes: list[np.ndarray], shape: tuple[int, int] = (CANVAS_SIZE, CANVAS_SIZE),
             width: float = BRUSH_WIDTH) -> np.ndarray:
    """Strokes (as `strokes_from_json` gives) -> (height, width) uint8 ink, 255 = ink, 0 = paper.

    Drawn as the pad draws them: lines `width` px wide with round caps and joins.
    """
    image = Image.new("L", (shape[1], shape[0]), 0)
    draw = ImageDraw.Draw(image)
    r = width / 2
    for stroke in strokes:
        xy = [tuple(p) for p in stroke[:, :2].tolist()]
        if len(xy) > 1:
            draw.line(xy, fill=255, width=round(width), joint="curve")
        for x, y in (xy[0], xy[-1]):  # round caps, and a dot for a single point
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    return np.asarray(image)


def strokes_to_json(strokes: list[np.ndarray]) -> str:
    """Strokes -> compact ink JSON (x, y to 0.1 px, t to 1 ms), as the pad sends it."""
    return json.dumps([[[round(x, 1), round(y, 1), round(t)] for x, y, t in s.tolist()]
                       for s in strokes], separators=(",", ":"))
