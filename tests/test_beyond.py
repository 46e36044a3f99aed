"""Beyond one digit: whole numbers, saliency maps, and visitors' corrections."""

import json
import subprocess
import sys

import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from model import feedback
from model.classifier import Classifier
from model.explain import overlay, saliency
from model.feedback import FeedbackError, load_corrections, save_correction
from model.samples import load_samples
from model.reading import read_number
from model.segment import segment
from model.spec import ROOT
from training.drawn_digits import STYLES, Pose, number_poses, render, render_many


@pytest.fixture(scope="module")
def classifier():
    return Classifier()


def drawn_number(digits, seed=0, gap=0.2, slant=0.0, height=220.0, brush=18.0) -> dict:
    poses, size = number_poses(digits, np.random.default_rng(seed), height, gap, slant, brush)
    return render_many(poses, size)


# ---------------------------------------------------------------------------- numbers
def test_numbers_of_one_to_ten_digits_are_segmented_and_read(classifier):
    """100 numbers: 1-10 digits, gaps from touching to wide, sizes, slants, brushes and
    multi-stroke styles vary. Measured: 97 counted and read exactly; every digit right."""
    rng = np.random.default_rng(5)
    counted = read = 0
    for _ in range(100):
        digits = rng.integers(0, 10, int(rng.integers(1, 11))).tolist()
        poses, size = number_poses(digits, rng, height=rng.uniform(120, 300),
                                   gap=rng.uniform(-0.03, 0.35), slant=rng.uniform(-0.15, 0.15),
                                   brush=rng.uniform(8, 30))
        number = read_number(classifier, render_many(poses, size)["layers"][0][..., 3]).number
        counted += len(number) == len(digits)
        read += number == "".join(map(str, digits))
    assert counted >= 95 and read >= 93


def test_strokes_of_one_digit_are_merged_and_ordered_left_to_right():
    # a 4, 5 and 7 of two strokes each, written right to left must still read left to right
    poses, size = number_poses([4, 5, 7], np.random.default_rng(1), 250, 0.25, brush=20)
    poses = [(STYLES[d][1], pose) for d, (_, pose) in zip([4, 5, 7], poses)]  # 2-stroke styles
    digits = segment(render_many(poses[::-1], size)["layers"][0][..., 3])
    assert len(digits) == 3
    lefts = [d.box[0] for d in digits]
    assert lefts == sorted(lefts)
    for digit in digits:
        assert digit.image.shape == (28, 28) and digit.image.max() == pytest.approx(1)


def test_touching_digits_are_split_at_the_thinnest_column(classifier):
    sketch = drawn_number([3, 8], gap=-0.02, seed=2)
    assert read_number(classifier, sketch["layers"][0][..., 3]).number == "38"


def test_blank_drawing_reads_no_number(classifier):
    empty = np.zeros((300, 900), np.uint8)
    assert read_number(classifier, empty).to_json() == {"number": "", "confidence": 1.0,
                                                        "digits": []}


def test_read_number_endpoint(app_url, tmp_path):
    path = tmp_path / "number.png"
    Image.fromarray(drawn_number([1, 9, 8, 4])["composite"]).convert("RGB").save(path)
    result = Client(app_url, verbose=False).predict(handle_file(str(path)), api_name="/read_number")
    assert result["number"] == "1984"
    assert [d["digit"] for d in result["digits"]] == [1, 9, 8, 4]
    assert [d["label"] for d in result["digits"]] == list("1984")
    for digit in result["digits"]:
        assert len(digit["box"]) == 4 and len(digit["probabilities"]) == 10


def test_cli_reads_numbers(tmp_path):
    path = tmp_path / "year.png"
    Image.fromarray(drawn_number([2, 0, 2, 6], seed=3)["composite"]).convert("RGB").save(path)
    result = subprocess.run([sys.executable, "-m", "model.predict", "--number", "--json", str(path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0
    line = json.loads(result.stdout)
    assert line["number"] == "2026" and len(line["digits"]) == 4


# ---------------------------------------------------------------------------- why
def test_saliency_points_at_the_ink_that_makes_the_digit(classifier):
    samples = load_samples(classifier)
    for i in (0, 250, 730):  # a 0, a 2 and a 7 from TEST
        image = samples.images[i]
        probabilities, answer = saliency(classifier, image)
        np.testing.assert_allclose(probabilities, samples.probabilities[i], atol=1e-5)
        assert answer.shape == (28, 28)
        on_ink = answer[image > 0.5].sum()
        assert on_ink > 0  # on balance the ink pushed toward the answer
        np.testing.assert_allclose(saliency(classifier, image, int(probabilities.argmax()))[1],
                                   answer, atol=1e-6)  # None means the answer
    picture = overlay(image, answer)
    assert picture.shape == (224, 224, 3) and picture.dtype == np.uint8


def test_saliency_for_another_digit_shows_what_speaks_against_it(classifier):
    image = load_samples(classifier).images[730]  # a 7
    probabilities, _ = saliency(classifier, image)
    other = int(np.argsort(probabilities)[-2])  # the runner-up
    _, heat = saliency(classifier, image, other)
    assert heat.min() < 0  # some ink pushed away from it


# ---------------------------------------------------------------------------- feedback
def test_corrections_are_stored_atomically_and_read_back(tmp_path):
    image = np.random.default_rng(0).random((28, 28)).astype(np.float32)
    drawing = render(STYLES[4][0], Pose())["composite"]
    path = save_correction(drawing, image, 4, folder=tmp_path, ink="[[[1,2,0]]]")
    assert path.parent == tmp_path and path.name.endswith("-4.npz")
    assert not list(tmp_path.glob(".*"))  # no temporary file left
    images, labels = load_corrections(tmp_path)
    np.testing.assert_array_equal(images[0], image)
    assert labels.tolist() == [4]
    with np.load(path) as data:
        assert data["drawing"].shape == (800, 800, 4) and str(data["ink"]) == "[[[1,2,0]]]"


@pytest.mark.parametrize("label", [-1, 10, "../../etc/passwd", "4; rm -rf /", None])
def test_bad_labels_are_refused(tmp_path, label):
    with pytest.raises(FeedbackError):
        save_correction(np.zeros((50, 50), np.uint8), np.zeros((28, 28)), label, folder=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_feedback_folder_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(feedback, "MAX_FILES", 3)
    for k in range(3):
        save_correction(np.zeros((50, 50), np.uint8), np.zeros((28, 28)), k, folder=tmp_path)
    with pytest.raises(FeedbackError, match="full"):
        save_correction(np.zeros((50, 50), np.uint8), np.zeros((28, 28)), 5, folder=tmp_path)
    assert len(list(tmp_path.glob("*.npz"))) == 3


def test_damaged_correction_files_are_skipped(tmp_path):
    save_correction(np.zeros((50, 50), np.uint8), np.zeros((28, 28)), 1, folder=tmp_path)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    images, labels = load_corrections(tmp_path)
    assert labels.tolist() == [1]


def test_finetuning_on_corrections_reports_before_and_after(tmp_path, classifier):
    import shutil

    from model.spec import MODEL_DIR
    from training import train
    from training.finetune import finetune

    model = tmp_path / "model"
    shutil.copytree(MODEL_DIR, model)
    original = (model / "metadata.json").read_text()
    folder = tmp_path / "feedback"
    samples = load_samples(classifier)
    for i in range(0, 1000, 100):  # ten corrections, one per digit (TEST images stand in)
        save_correction(np.zeros((50, 50), np.uint8), samples.images[i], int(samples.labels[i]),
                        folder=folder)
    config = train.parse_args(["--feedback", str(folder), "--out", str(model), "--epochs", "1",
                               "--limit", "600", "--samples", str(tmp_path / "samples.npz")])
    summary = finetune(config, train.load, train.pipeline, train.export)
    assert summary["corrections"] == 10 and summary["held_out"] == 2
    for when in ("before", "after"):
        assert set(summary[when]) == {"test_accuracy", "feedback_accuracy"}
        assert 0.9 < summary[when]["test_accuracy"] <= 1
    assert summary["before"]["test_accuracy"] == pytest.approx(
        classifier.metadata["test_accuracy"], abs=0.001)
    metadata = json.loads((model / "metadata.json").read_text())
    if summary["exported"]:
        assert metadata["network"] == "fine-tuned on feedback"
        assert metadata["after"] == summary["after"]
        Classifier(model)  # the new model serves
    else:
        assert (model / "metadata.json").read_text() == original  # the old model stays


def test_finetuning_needs_enough_corrections(tmp_path):
    from training import train

    save_correction(np.zeros((50, 50), np.uint8), np.zeros((28, 28)), 3, folder=tmp_path)
    code = train.main(["--feedback", str(tmp_path), "--out", str(tmp_path / "model")])
    assert code == 2
