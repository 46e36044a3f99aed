"""Digital ink: strict checks with clear messages, a JSON round trip, and drawn on the server
with the pad's brush."""

import json

import numpy as np
import pytest

from model.errors import InputError
from model.ink import draw_strokes, pad_value, strokes_from_json, strokes_to_json
from model.preprocess import to_emnist
from model.spec import BRUSH_WIDTH, CANVAS_SIZE
from tests.helpers import strokes_of
from training.drawn_digits import STYLES, Pose


def test_ink_json_round_trips():
    strokes = strokes_of(4, Pose(height=420, x=380, y=410))
    back = strokes_from_json(strokes_to_json(strokes))
    assert len(back) == len(strokes)
    for a, b in zip(back, strokes):
        np.testing.assert_allclose(a, b, atol=0.051)


def test_points_without_times_and_an_empty_pad():
    assert strokes_from_json("[]") == [] and strokes_from_json("") == []
    (stroke,) = strokes_from_json("[[[10, 20], [30, 40.5]]]")
    np.testing.assert_array_equal(stroke, [[10, 20, 0], [30, 40.5, 0]])
    assert to_emnist(draw_strokes([])) is None


def test_draw_ink_is_a_canvas_of_uint8_ink():
    image = draw_strokes(strokes_from_json("[[[100, 100, 0], [700, 700, 50]]]"))
    assert image.shape == (CANVAS_SIZE, CANVAS_SIZE) and image.dtype == np.uint8
    assert image[400, 400] == 255 and image[100, 700] == 0
    assert image[:, 400].sum() / 255 == pytest.approx(BRUSH_WIDTH * np.sqrt(2), rel=0.1)


@pytest.mark.parametrize("digit", range(10))
def test_ink_sent_to_a_tenth_of_a_pixel_looks_as_drawn(digit):
    for style in range(len(STYLES[digit])):
        for pose in (Pose(height=520, x=400, y=400, brush=BRUSH_WIDTH),
                     Pose(height=260, x=250, y=560, slant=0.2, brush=BRUSH_WIDTH)):
            strokes = strokes_of(digit, pose, style)
            drawn = to_emnist(draw_strokes(strokes))
            sent = to_emnist(draw_strokes(strokes_from_json(strokes_to_json(strokes))))
            assert np.abs(sent - drawn).mean() < 0.005, (digit, style)


@pytest.mark.parametrize("text, message", [
    ('{"strokes": []}', "list of strokes"),
    ("[1, 2, 3]", "list of strokes"),
    ("[[]]", "Stroke 1 has no points"),
    ("[[[1, 2]], []]", "Stroke 2 has no points"),
    ('[[[1, "a"]]]', "numbers"),
    ("[[[1, 2, 3, 4]]]", "[x, y] or [x, y, t]"),
    ("[[[true, 2]]]", "[x, y] or [x, y, t]"),
    ("[[[NaN, 2]]]", "NaN or infinite"),
    ("[[[1e400, 2]]]", "NaN or infinite"),
    ("[[[1, -Infinity]]]", "NaN or infinite"),
    ("[[[1, 2]", "not valid JSON"),
    ("[" * 100_000, "not valid JSON"),
    (json.dumps([[[1, 2]]] * 201), "201 strokes"),
    (json.dumps([[[1, 2, 3]] * 10_000]), "points"),
    ("[" + " " * (10 * 1024 * 1024) + "]", "limit is 256 KB"),
])
def test_bad_ink_gets_a_clear_message(text, message):
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        strokes_from_json(text)


def test_huge_coordinates_are_clipped_to_the_canvas():
    (stroke,) = strokes_from_json("[[[-1e300, 5e300, 0], [400, 400, 10]]]")
    np.testing.assert_array_equal(stroke[:, :2], [[0, CANVAS_SIZE], [400, 400]])
    assert draw_strokes([stroke]).max() == 255


def test_the_pads_value_says_whether_the_pen_is_still_moving():
    ink = strokes_to_json(strokes_of(4, Pose(height=420, x=380, y=410)))
    assert pad_value(ink) == (ink, False)
    assert pad_value(json.dumps({"drawing": json.loads(ink)}, separators=(",", ":"))) == (
        json.dumps(json.loads(ink), separators=(",", ":")), True)  # as the pad's JS writes it
    assert pad_value('{"a": 1}') == ('{"a": 1}', False)  # not ink: refused as ink later
