"""Beyond reading one digit: saliency maps and visitors' corrections (numbers: test_numbers.py)."""


import numpy as np
import pytest

from model import feedback
from model.classifier import Classifier
from model.errors import FeedbackError
from model.explain import overlay, saliency
from model.feedback import load_corrections, save_correction
from model.samples import load_samples
from training.drawn_digits import STYLES, Pose, render


@pytest.fixture(scope="module")
def classifier():
    return Classifier()


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
    drawing = render(STYLES[4][0], Pose())  # the pad's ink, as the app stores it
    path = save_correction(drawing, image, 4, folder=tmp_path, ink="[[[1,2,0]]]")
    assert path.parent == tmp_path and path.name.endswith("-4.npz")
    assert not list(tmp_path.glob(".*"))  # no temporary file left
    images, labels = load_corrections(tmp_path)
    np.testing.assert_array_equal(images[0], image)
    assert labels.tolist() == [4]
    with np.load(path) as data:
        assert data["drawing"].shape == (800, 800) and str(data["ink"]) == "[[[1,2,0]]]"


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


def test_finetuning_needs_enough_corrections(tmp_path):
    from training import train

    save_correction(np.zeros((50, 50), np.uint8), np.zeros((28, 28)), 3, folder=tmp_path)
    code = train.main(["--feedback", str(tmp_path), "--out", str(tmp_path / "model")])
    assert code == 2
