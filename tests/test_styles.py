"""The styles MNIST lacks: 1s with a flag read as 1, 7s with a long bar stay 7, on the pad."""

import itertools
from dataclasses import replace

import numpy as np
import pytest

from model.classifier import Classifier
from model.ink import strokes_to_json
from model.reading import DigitReading, Drawing, read_drawings
from model.spec import BRUSH_WIDTH
from tests.helpers import FIGURES
from training.drawn_digits import Pose
from training.styles import flagged_one, random_hand, seven

SEED = 35  # training draws its styles with the training seed (2017) + k: never this one
FLAGS = (0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40)  # the flag's length, in heights
FLAG_ANGLES = (25, 30, 35, 40, 50, 60)  # degrees below horizontal
BARS = (0.45, 0.55, 0.65, 0.80)  # a 7's bar, in heights
BAR_ANGLES = (0, 5, 10, 15)


def style_grid() -> tuple[list, list]:
    """-> (flagged 1s, 7s): each a list of (pad strokes, what it shows), every length and
    angle drawn in several poses with the pad's brush; half the 1s with a base, half the 7s
    crossed."""
    rng = np.random.default_rng(SEED)

    def hand():
        return replace(random_hand(rng), brush=BRUSH_WIDTH)

    ones = [(flagged_one(flag, angle, base, hand()), (flag, angle, base))
            for flag, angle in itertools.product(FLAGS, FLAG_ANGLES) for base in (0, 0, 0.5, 0.6)]
    sevens = [(seven(bar, angle, rng.uniform(0.1, 0.35), cross, hand()), (bar, angle, cross))
              for bar, angle in itertools.product(BARS, BAR_ANGLES) for cross in (0, 0, 0.4, 0.35)]
    return ones, sevens


def read_as_on_the_pad(classifier, drawings: list, digit: int) -> np.ndarray:
    """Each drawing's strokes sent as the pad sends them -> (N,) bool: read as one `digit`."""
    sent = [Drawing.from_json(strokes_to_json(strokes)) for strokes, _ in drawings]
    readings = read_drawings(classifier, sent)
    return np.array([isinstance(r, DigitReading) and r.digit == digit for r in readings])


@pytest.fixture(scope="module")
def grid():
    return style_grid()


def test_flagged_ones_read_as_one_and_long_bars_as_seven(grid):
    classifier = Classifier()
    ones, sevens = grid
    right_ones = read_as_on_the_pad(classifier, ones, 1)
    right_sevens = read_as_on_the_pad(classifier, sevens, 7)
    FIGURES["flagged 1s read as 1"] = f"{right_ones.sum()}/{len(ones)}"
    FIGURES["long-barred 7s read as 7"] = f"{right_sevens.sum()}/{len(sevens)}"
    missed = [style for (_, style), right in zip(ones + sevens, [*right_ones, *right_sevens])
              if not right]
    assert right_ones.mean() >= 0.95, missed
    assert right_sevens.mean() >= 0.98, missed


def test_styles_are_drawn_where_their_parameters_say():
    hand = Pose(height=400, aspect=1.0, x=400, y=400)  # aspect 1: styles are in heights
    one = flagged_one(0.3, 45, 0.5, hand)  # a flag of 120 px at 45 degrees, a 200 px base
    np.testing.assert_allclose(one[0][0, :2], [400 - 120 / 2 ** 0.5, 200 + 120 / 2 ** 0.5])
    np.testing.assert_allclose(one[0][[-1], :2], [[400, 600]])
    np.testing.assert_allclose(one[1][[0, -1], :2], [[300, 600], [500, 600]])
    assert np.all(np.diff(one[0][:, 2]) > 0) and one[1][0, 2] > one[0][-1, 2]  # timed in order
    crossed = seven(0.6, 0, 0.2, 0.4, hand)  # a 240 px bar, the foot 80 px left of the corner
    np.testing.assert_allclose(crossed[0][[0, -1], :2], [[280, 200], [440, 600]])
    np.testing.assert_allclose(crossed[1][[0, -1], :2], [[400, 400], [560, 400]])
    leaning = flagged_one(0.3, 45, 0, replace(hand, slant=0.2))  # the top moves right
    np.testing.assert_allclose(leaning[0][[-1], :2], [[400 - 0.2 * 200, 600]])
