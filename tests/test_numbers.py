"""Whole numbers: segmentation and reading, from images (CLI, /read_number) and from the pad."""

import collections
import json

import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from model import predict
from model.classifier import Classifier
from model.ink import strokes_to_json
from model.preprocess import to_emnist
from model.present import announcement, label
from model.reading import BLANK, DigitReading, Drawing, read_drawings, read_number
from tests.helpers import FIGURES, FULL
from training.drawn_digits import (
    NUMBER_KINDS,
    STYLES,
    WrittenNumber,
    drawn_set,
    number_poses,
    paper,
    place,
    random_pose,
    render_many,
    written_number,
    written_numbers,
)


@pytest.fixture(scope="module")
def classifier():
    return Classifier()


def drawn_number(digits, seed=0, gap=0.2, slant=0.0, height=220.0, brush=18.0) -> np.ndarray:
    poses, size = number_poses(digits, np.random.default_rng(seed), height, gap, slant, brush)
    return render_many(poses, size)


def read_by_kind(numbers, read) -> tuple[collections.Counter, collections.Counter]:
    """Read every other number (all with DIGITPAD_FULL=1) -> (how many read right, how many
    read), by kind."""
    right, total = collections.Counter(), collections.Counter()
    for number in numbers[::1 if FULL else 2]:
        right[number.kind] += read(number) == number.text
        total[number.kind] += 1
    return right, total


def figures(right: collections.Counter, total: collections.Counter) -> str:
    by_kind = ", ".join(f"{kind} {right[kind]}/{total[kind]}" for kind in NUMBER_KINDS)
    return f"{sum(right.values())}/{total.total()} exact ({by_kind})"


# ---------------------------------------------------------------------------- the test sets
def test_numbers_written_on_the_pad_are_read(classifier):
    """500 numbers of 2-6 digits in the pad's strokes: spaced, touching, overlapping, slanted
    (figures in docs/benchmarks.md); every other one unless DIGITPAD_FULL=1."""
    numbers = written_numbers(125, seed=2026, pad=True)

    def read(number):
        return read_number(classifier, Drawing.from_strokes(number.strokes())).number

    right, total = read_by_kind(numbers, read)
    FIGURES["numbers on the pad"] = figures(right, total)
    assert right.total() >= 0.97 * total.total()
    assert all(right[kind] >= 0.95 * total[kind] for kind in NUMBER_KINDS)


def test_numbers_in_images_are_read(classifier):
    """The same kinds of numbers as pictures, 2-10 digits, with no strokes to go by: digits
    whose inks cross are beyond a cut through a picture, so the floors are lower."""
    numbers = written_numbers(125, seed=2026)

    def read(number):
        return read_number(classifier, Drawing(number.image())).number

    right, total = read_by_kind(numbers, read)
    FIGURES["numbers in images"] = figures(right, total)
    floors = {"spaced": 0.98, "slanted": 0.95, "touching": 0.84, "overlapping": 0.26}
    assert all(right[kind] >= floors[kind] * total[kind] for kind in NUMBER_KINDS), right


def test_upright_spaced_numbers_of_one_to_ten_digits_are_read(classifier):
    """100 numbers: 1-10 digits, gaps from touching to wide, sizes, slants, brushes and
    multi-stroke styles vary."""
    rng = np.random.default_rng(5)
    read = 0
    for _ in range(100):
        digits = rng.integers(0, 10, int(rng.integers(1, 11))).tolist()
        poses, size = number_poses(digits, rng, height=rng.uniform(120, 300),
                                   gap=rng.uniform(-0.03, 0.35), slant=rng.uniform(-0.15, 0.15),
                                   brush=rng.uniform(8, 30))
        number = read_number(classifier, Drawing(render_many(poses, size))).number
        read += number == "".join(map(str, digits))
    FIGURES["upright numbers (1-10 digits)"] = f"{read}/100 exact"
    assert read >= 97


def test_no_drawn_digit_is_split(classifier):
    """Every style of every digit, 12 poses each (4 unless DIGITPAD_FULL=1), as a picture and as
    the pad's strokes: each reads as one digit, framed from all its ink exactly as a single
    digit is."""
    rng = np.random.default_rng(2017)
    for drawing, digit in drawn_set()[::1 if FULL else 3]:  # every style, in 4 of 12 poses
        reading = read_drawings(classifier, [Drawing(drawing)])[0]
        assert isinstance(reading, DigitReading), digit
        np.testing.assert_array_equal(reading.image, to_emnist(drawing))
    for digit, styles in STYLES.items():
        for style in styles:
            for _ in range(12 if FULL else 4):
                strokes = WrittenNumber((digit,), "spaced", ((style, random_pose(rng)),),
                                        (800, 800)).strokes()
                drawing = Drawing.from_strokes(strokes)
                reading = read_drawings(classifier, [drawing])[0]
                assert isinstance(reading, DigitReading), digit
                np.testing.assert_array_equal(reading.image, to_emnist(drawing.picture))


# ---------------------------------------------------------------------------- the reader
def test_digits_are_ordered_left_to_right_and_boxed_in_the_drawing(classifier):
    # a 4, 5 and 7 of two strokes each, written right to left
    poses, size = number_poses([4, 5, 7], np.random.default_rng(1), 250, 0.25, brush=20)
    poses = [(STYLES[d][1], pose) for d, (_, pose) in zip([4, 5, 7], poses)]
    drawing = render_many(poses[::-1], size)
    reading = read_number(classifier, Drawing(drawing))
    assert reading.number == "457"
    boxes = [digit.box for digit in reading.digits]
    assert [box[0] for box in boxes] == sorted(box[0] for box in boxes)
    for (left, top, right, bottom), (_, pose) in zip(boxes, poses):
        assert left <= pose.x <= right and top <= pose.y <= bottom
    for digit in reading.digits:
        assert digit.image.shape == (28, 28) and digit.image.max() == pytest.approx(1)


def test_a_slanted_number_reports_boxes_in_the_original_drawing(classifier):
    number = written_number([3, 1, 7], "slanted", np.random.default_rng(4))
    reading = read_number(classifier, Drawing(number.image()))
    assert reading.number == "317"
    for (left, top, right, bottom), (_, pose) in zip((d.box for d in reading.digits),
                                                     number.drawings):
        assert left <= pose.x <= right and top <= pose.y <= bottom


def test_touching_digits_are_cut_apart(classifier):
    assert read_number(classifier, Drawing(drawn_number([3, 8], gap=-0.02, seed=2))).number == "38"


def test_a_pair_too_crossed_to_cut_leaves_the_other_digits_read(classifier):
    # 42538174 with its 3 and 8 one part no seam cuts: every reading's prior is high, and
    # the reader used to fall back on reading the whole drawing as one digit ("2")
    number = [n for n in written_numbers(60, seed=7) if n.kind == "overlapping"][1]
    assert number.text == "42538174"
    read = read_number(classifier, Drawing(number.image())).number
    assert len(read) >= 6 and read.endswith("174")  # several digits, the uncrossed tail right


def test_blank_drawing_reads_no_number(classifier):
    empty = np.zeros((300, 900), np.uint8)
    reading = read_number(classifier, Drawing(empty))
    # an empty reading is no number: sure of nothing, not the empty product's 1.0
    assert reading.to_json() == {"number": "", "confidence": 0.0, "digits": []}
    # and nothing read, as a blank digit is: shown and announced alike
    seven = Drawing.from_strokes(place(STYLES[7][0], random_pose(np.random.default_rng(7))))
    assert reading.blank and BLANK.blank and not read_drawings(classifier, [seven])[0].blank
    assert label(reading) is None is label(BLANK)
    assert announcement(reading) == "The pad is empty." == announcement(BLANK)


# ---------------------------------------------------------------------------- app, API, CLI
def slanted_touching(pad: bool = False) -> WrittenNumber:
    """9127 leaning 15 degrees, its digits touching: the old reader read "927"."""
    return written_number([9, 1, 2, 7], "touching", np.random.default_rng(11), pad, degrees=15)


def test_read_number_endpoint(app_url, tmp_path):
    path = tmp_path / "number.png"
    Image.fromarray(paper(drawn_number([1, 9, 8, 4]))).save(path)
    result = Client(app_url, verbose=False).predict(handle_file(str(path)), api_name="/read_number")
    assert result["number"] == "1984"
    assert [d["digit"] for d in result["digits"]] == [1, 9, 8, 4]
    assert [d["label"] for d in result["digits"]] == list("1984")
    for digit in result["digits"]:
        assert len(digit["box"]) == 4 and len(digit["probabilities"]) == 10


def test_api_and_cli_read_a_slanted_touching_number(app_url, tmp_path, capsys):
    path = tmp_path / "slanted.png"
    Image.fromarray(255 - slanted_touching().image()).save(path)
    client = Client(app_url, verbose=False)
    assert client.predict(handle_file(str(path)), api_name="/read_number")["number"] == "9127"
    assert predict.main(["--number", "--json", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["number"] == "9127"


def test_the_pad_reads_a_slanted_touching_number(app_url):
    pad = slanted_touching(pad=True)
    client = Client(app_url, verbose=False)
    assert client.predict(strokes_to_json(pad.strokes()), api_name="/read_ink")["number"] == "9127"
    ink = strokes_to_json(pad.strokes())
    label, *_ = client.predict(ink, False, "its answer", api_name="/draw")
    assert label["label"] == "9127"


def test_cli_reads_numbers(tmp_path, capsys):
    path = tmp_path / "year.png"
    Image.fromarray(paper(drawn_number([2, 0, 2, 6], seed=3))).save(path)
    assert predict.main(["--number", "--json", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    line = json.loads(lines[0])
    assert line["number"] == "2026" and len(line["digits"]) == 4
