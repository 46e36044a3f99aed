"""Fuzz the input side: any array, and any JSON sent as ink, gives a 28x28 image (or a
drawing), None, or the one documented InputError. Nothing else."""

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from model.errors import InputError
from model.ink import draw_strokes, strokes_from_json
from model.preprocess import from_array, to_emnist

DTYPES = st.sampled_from([np.bool_, np.uint8, np.uint16, np.int32, np.float32, np.float64])
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


def check(result) -> None:
    if result is not None:
        assert result.shape == (28, 28) and result.dtype == np.float32
        assert np.isfinite(result).all() and result.min() >= 0 and result.max() <= 1


def call(fn, value) -> None:
    try:
        check(fn(value))
    except InputError as error:
        assert str(error)  # a message for the user


@st.composite
def images(draw, max_side=64):
    shape = draw(st.one_of(
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=0, max_side=max_side),
        st.tuples(st.integers(0, max_side), st.integers(0, max_side), st.integers(0, 6)),
        hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=6)))
    dtype = draw(DTYPES)
    elements = None
    if np.issubdtype(dtype, np.floating):
        elements = st.floats(allow_nan=True, allow_infinity=True, width=32)
    return draw(hnp.arrays(dtype, shape, elements=elements))


@SETTINGS
@given(images())
def test_any_array(image):
    call(from_array, image)


@SETTINGS
@given(st.integers(8, 300), st.integers(8, 300), st.integers(0, 12), st.integers(0, 10_000))
def test_random_ink_of_any_size(height, width, blobs, seed):
    rng = np.random.default_rng(seed)
    image = np.full((height, width), 255, np.uint8)
    for _ in range(blobs):
        y, x = rng.integers(0, height), rng.integers(0, width)
        image[y:y + rng.integers(1, 40), x:x + rng.integers(1, 40)] = rng.integers(0, 255)
    call(from_array, image)


NUMBERS = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
                    st.booleans(), st.none(), st.text(max_size=3))
JSON = st.recursive(NUMBERS, lambda inner: st.lists(inner, max_size=6), max_leaves=60)


def read_ink(text: str):
    return to_emnist(draw_strokes(strokes_from_json(text)))


@SETTINGS
@given(JSON)
def test_any_json_as_ink(value):
    call(read_ink, json.dumps(value))


@SETTINGS
@given(st.lists(st.lists(st.tuples(st.floats(-1e9, 1e9), st.floats(-1e9, 1e9),
                                   st.integers(0, 10**6)), max_size=30), max_size=8))
def test_any_strokes_as_ink(strokes):
    call(read_ink, json.dumps(strokes))


@SETTINGS
@given(st.text(max_size=200))
def test_any_text_as_ink(text):
    call(read_ink, text)


@pytest.mark.parametrize("shape", [(0, 0), (1, 1), (1, 10_000), (10_000, 1), (4000, 4000),
                                   (3000, 4000, 3), (2, 2, 4)])
def test_extreme_shapes(shape):
    image = np.zeros(shape, np.uint8)
    if image.size:
        image[tuple(s // 3 for s in shape[:2])] = 255
    call(from_array, image)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_values_are_refused(value):
    image = np.zeros((50, 50), np.float32)
    image[10, 10] = value
    with pytest.raises(InputError, match="NaN or infinite"):
        from_array(image)
