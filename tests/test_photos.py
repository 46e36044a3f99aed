"""Photos as people take them (model/photo.py): a sheet on a table, its edges in the frame,
squared and ruled paper, pen and pencil. The photos come from bench/photos.py, each from its
own seed; `python -m bench.photos` reads 100 of each kind and times them."""

import numpy as np
import pytest
from PIL import Image

from bench.photos import KINDS, photo
from bench.pictures import held_out_digits
from model.classifier import Classifier
from model.photo import polygon_mask, read_photo, taken_by_camera
from model.preprocess import ink_map, to_emnist
from model.present import photo_preview
from model.reading import BLANK, Drawing, read_each_as_digit, read_number
from tests.helpers import FIGURES, FULL
from training.drawn_digits import STYLES, Pose, paper, render

PER_KIND = 100 if FULL else 12


@pytest.fixture(scope="module")
def classifier():
    return Classifier()


@pytest.mark.parametrize("kind", KINDS)
def test_photos_of_every_kind_are_read(classifier, kind):
    photos = [photo(kind, i) for i in range(PER_KIND)]
    readings = read_each_as_digit(classifier, [Drawing.from_image(p.image) for p in photos])
    right = sum(str(r.digit) == p.truth for r, p in zip(readings, photos))
    FIGURES[f"photos, {kind}"] = f"{right}/{PER_KIND} read right"
    assert right >= 0.97 * PER_KIND if FULL else right >= PER_KIND - 1


def test_a_photo_of_plain_paper_is_read_as_before_less_what_is_not_writing():
    for i in range(6):  # the paper fills the frame: no sheet to find, no print
        image = photo("plain", i).image
        sheet = read_photo(image)
        assert sheet.corners is None and not sheet.printed
        before, kept = ink_map(image), sheet.ink > 0
        assert kept.sum() >= 0.9 * (before > 0).sum()  # shadows' and wedges' traces left out
        ratio = sheet.ink[kept] / before[kept]  # the rest is what it was, scaled to full range
        np.testing.assert_allclose(ratio, np.median(ratio), rtol=1e-5)


def test_only_photos_pay_for_the_photo_path():
    drawings = [paper(render(STYLES[d][0], Pose())) for d in range(10)]
    digits, _, _ = held_out_digits(100)
    for picture in [*drawings, *digits, *(255 - digits)]:
        assert not taken_by_camera(np.asarray(picture, np.float32).mean(axis=-1) / 255
                                   if picture.ndim == 3 else picture.astype(np.float32) / 255)
    for kind in KINDS:
        for i in range(4):
            assert taken_by_camera(photo(kind, i).image.mean(axis=2) / 255), (kind, i)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


def test_the_sheet_on_a_table_is_found_where_it_lies():
    for i in range(6):
        p = photo("table", i)
        sheet = read_photo(p.image)
        scale = sheet.gray.shape[1] / p.image.shape[1]  # the photo is read shrunk
        found = polygon_mask(sheet.corners, sheet.gray.shape)
        assert iou(found, polygon_mask(p.corners * scale, sheet.gray.shape)) > 0.95
        assert sheet.ink[~found].max() == 0  # nothing beyond the sheet is ink


def test_print_is_left_out_and_strokes_across_it_stay_whole():
    for kind in ("squared", "ruled"):
        for i in range(3):
            printed = read_photo(photo(kind, i).image)
            plain = read_photo(photo(kind, i, printed=False).image)  # the same, unprinted
            assert printed.printed or kind == "ruled"  # faint rules may pass as paper
            assert similarity(to_emnist(printed.ink), to_emnist(plain.ink)) > 0.9, (kind, i)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


@pytest.mark.parametrize("kind", KINDS)
def test_a_photo_with_no_digit_says_so(classifier, kind):
    p = photo(kind, 0, truth="")
    assert read_each_as_digit(classifier, [Drawing.from_image(p.image)]) == [BLANK]


@pytest.mark.parametrize("kind", ["table", "squared", "ruled"])
def test_a_number_on_a_desk_or_squared_paper_is_read(classifier, kind):
    p = photo(kind, 10_000, truth="2026")
    assert read_number(classifier, Drawing.from_image(p.image)).number == "2026"


def test_light_writing_on_a_dark_board_is_still_read(classifier):
    p = photo("plain", 1)
    board = 255 - np.asarray(Image.fromarray(p.image).convert("L"))
    (reading,) = read_each_as_digit(classifier, [Drawing.from_image(board)])
    assert str(reading.digit) == p.truth


def test_the_preview_marks_the_sheet_and_the_ink_read(classifier):
    p = photo("table", 2)
    drawing = Drawing.from_image(p.image)
    (reading,) = read_each_as_digit(classifier, [drawing])
    preview = photo_preview(drawing, reading.image)
    assert preview.shape[0] == 224 and preview.shape[1] > 2 * 224  # the photo, then the input
    blue = (preview[..., 2] > 200) & (preview[..., 0] < 80)
    orange = (preview[..., 0] > 220) & (preview[..., 2] < 60)
    assert blue.sum() > 200 and orange.sum() > 100  # the sheet's outline, the ink's box
