"""The shipped model: a quality gate on held-out data, and clear errors for broken folders."""

import shutil

import numpy as np
import pytest

from model.classifier import Classifier
from model.errors import ModelError
from model.samples import load_samples
from model.spec import METADATA_FILE, MODEL_DIR, SAMPLES_FILE, SAVED_MODEL
from training.data import load_mnist_subset, to_model_format
from training.drawn_digits import STYLES, drawn_images


@pytest.fixture(scope="module")
def classifier():
    return Classifier(MODEL_DIR)


def test_shipped_model_meets_its_test_target(classifier):
    # TEST exactly as training scored it: float32 images, straight from the preprocessing.
    _, (images, labels) = load_mnist_subset()
    probabilities = classifier.probabilities(to_model_format(images))
    accuracy = float((probabilities.argmax(axis=1) == labels).mean())
    assert len(labels) == 1000
    assert accuracy >= 0.994  # a regression gate at the measured 99.4%
    assert accuracy == pytest.approx(classifier.metadata["test_accuracy"], abs=1e-6)


def test_stored_samples_carry_the_served_models_reading(classifier):
    samples = load_samples(classifier)
    probabilities = classifier.probabilities(samples.images)  # read afresh, all 1,000
    np.testing.assert_allclose(samples.probabilities, probabilities, atol=1e-4)
    assert len(samples.labels) == 1000
    # The app's copies are rounded to uint8; that may tip a near-tie (TEST digit 968, a 9 read
    # as 1 at 0.420 against 0.418 in float32) but no more than a digit or two.
    accuracy = float((probabilities.argmax(axis=1) == samples.labels).mean())
    assert accuracy == pytest.approx(classifier.metadata["test_accuracy"], abs=0.0025)


def test_shipped_model_reads_drawn_digits(classifier):
    # Fresh poses (another seed than the report's), drawn like the Sketchpad draws them.
    images, labels = drawn_images(per_style=5, seed=99)
    right = classifier.probabilities(images).argmax(axis=1) == labels
    style = [(digit, k) for digit, styles in STYLES.items() for k in range(len(styles))
             for _ in range(5)]
    european_one = np.array([digit == 1 and k > 0 for digit, k in style])  # flag, flag + base
    assert right[~european_one].mean() >= 0.98  # every other style: measured 100%
    assert right.mean() >= 0.97  # the goal; measured 100% (the 1s with a flag too: 10 of 10)


def test_probabilities_are_a_distribution_and_batch_independent(classifier):
    samples = load_samples(classifier)
    one_by_one = np.concatenate([classifier.probabilities(samples.images[i:i + 1])
                                 for i in range(5)])
    np.testing.assert_allclose(one_by_one, samples.probabilities[:5], atol=1e-5)
    assert classifier.probabilities(np.zeros((0, 28, 28))).shape == (0, 10)


@pytest.mark.parametrize("stored", ["another model's", "none"])
def test_samples_are_read_afresh_when_the_stored_reading_is_not_the_models(classifier, tmp_path,
                                                                          stored):
    with np.load(MODEL_DIR / SAMPLES_FILE) as data:
        files = dict(data)
    truth = files.pop("probabilities")
    if stored != "none":
        files["probabilities"] = np.roll(truth, 1, axis=1)  # every reading one digit off
    np.savez(tmp_path / "samples.npz", **files)
    samples = load_samples(classifier, tmp_path / "samples.npz")
    np.testing.assert_allclose(samples.probabilities, truth, atol=1e-4)


def test_missing_model_folder_names_the_path_and_the_fix(tmp_path):
    with pytest.raises(ModelError, match=f"{tmp_path / 'nothing'}.*python -m training.train"):
        Classifier(tmp_path / "nothing")


@pytest.mark.parametrize("damage", ["truncate", "junk", "no-variables", "bad-metadata"])
def test_damaged_model_folder_gives_a_clear_error(tmp_path, damage):
    folder = tmp_path / "model"
    shutil.copytree(MODEL_DIR, folder)
    graph = folder / SAVED_MODEL / "saved_model.pb"
    if damage == "truncate":
        graph.write_bytes(graph.read_bytes()[:1000])
    elif damage == "junk":
        graph.write_bytes(b"this is not a protobuf" * 50)
    elif damage == "no-variables":
        shutil.rmtree(folder / SAVED_MODEL / "variables")
    else:
        (folder / METADATA_FILE).write_text("{not json")
    with pytest.raises(ModelError, match="unusable.*python -m training.train"):
        Classifier(folder)
