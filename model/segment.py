"""Split a drawing of a whole number into its digits, left to right.

1. The ink's connected components are found on a coarse copy (as `preprocess.find_ink` does).
2. Components that overlap horizontally belong to one digit (the bar of a 4 or 7, the cap of
   a 5) and are merged.
3. A group much wider than a digit is tall holds touching digits: it is cut at the columns
   with the least ink (a vertical projection split), into as many digits as its width suggests.
4. Each digit is framed in the EMNIST format on its own.
"""

from dataclasses import dataclass

import numpy as np

from model.preprocess import ink_components, to_emnist

OVERLAP = 0.5  # groups sharing this share of the narrower one's width are one digit
WIDEST = 1.0  # a group wider than this times its height holds touching digits
DIGIT_ASPECT = 0.7  # a typical digit's width / height, to count the digits in such a group


@dataclass(frozen=True)
class Digit:
    box: tuple[int, int, int, int]  # (left, top, right, bottom) in the drawing's pixels
    image: np.ndarray  # (28, 28) float32 in [0, 1], the model's format


def segment(ink: np.ndarray) -> list[Digit]:
    """(H, W) ink (float32 in [0, 1] or uint8) -> its digits, left to right; [] if blank."""
    labels, components, scale = ink_components(ink)
    groups = _merge_overlapping([(b[1].start, b[0].start, b[1].stop, b[0].stop, {label})
                                 for label, b in components.items()])
    parts = [(group, cut) for group in sorted(groups)
             for cut in _split_touching(np.isin(labels[group[1]:group[3], group[0]:group[2]],
                                                list(group[4])))]
    if len(parts) == 1:  # one digit: framed from the whole ink, exactly as a single digit is
        (left, top, right, bottom, _), _ = parts[0]
        box = (left * scale, top * scale, min(right * scale, ink.shape[1]),
               min(bottom * scale, ink.shape[0]))  # the box `find_ink` finds: all the ink
        image = to_emnist(ink, (slice(box[1], box[3]), slice(box[0], box[2])))
        return [] if image is None else [Digit(tuple(int(v) for v in box), image)]
    digits = []
    for left, top, right, bottom, members in sorted(groups):
        mask = np.isin(labels[top:bottom, left:right], list(members))
        for l, r in _split_touching(mask):
            part = mask[:, l:r]
            rows = np.flatnonzero(part.any(axis=1))
            if rows.size == 0:
                continue
            box = ((left + l) * scale, (top + rows[0]) * scale,
                   min((left + r) * scale, ink.shape[1]), min((top + rows[-1] + 1) * scale, ink.shape[0]))
            keep = np.repeat(np.repeat(part[rows[0]:rows[-1] + 1], scale, 0), scale, 1)
            crop = ink[box[1]:box[3], box[0]:box[2]]
            image = to_emnist(np.where(keep[:crop.shape[0], :crop.shape[1]], crop, 0).astype(crop.dtype))
            if image is not None:
                digits.append(Digit(tuple(int(v) for v in box), image))
    return digits


def _merge_overlapping(groups: list) -> list:
    """Merge (left, top, right, bottom, members) groups that overlap horizontally, until none do."""
    merged = True
    while merged:
        merged = False
        groups.sort()
        for i in range(len(groups) - 1):
            a, b = groups[i], groups[i + 1]
            shared = min(a[2], b[2]) - max(a[0], b[0])
            if shared >= OVERLAP * min(a[2] - a[0], b[2] - b[0]):
                groups[i:i + 2] = [(min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]),
                                    max(a[3], b[3]), a[4] | b[4])]
                merged = True
                break
    return groups


def _split_touching(mask: np.ndarray) -> list[tuple[int, int]]:
    """A group's (h, w) ink mask -> column ranges of its digits, cut where the ink is thinnest."""
    height, width = mask.shape
    count = max(1, round(width / (DIGIT_ASPECT * height))) if width > WIDEST * height else 1
    columns = mask.sum(axis=0)
    cuts = [0]
    for k in range(1, count):
        centre = round(k * width / count)
        window = max(1, round(0.25 * width / count))  # look for the thinnest column nearby
        lo, hi = max(cuts[-1] + 1, centre - window), min(width - 1, centre + window)
        cuts.append(lo + int(np.argmin(columns[lo:hi + 1])) if hi >= lo else centre)
    return list(zip(cuts, cuts[1:] + [width]))
