"""The held-out TEST samples the app lets visitors pick: images, true labels, the model's reading.

`training` writes them when it exports a model, so a retrained model brings its own, with its
reading of every sample: the app checks that reading on a few samples instead of classifying
all of them at start-up.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.reading import DigitReading
from model.spec import CLASSES, SAMPLES_FILE, TRAIN_COMMAND

CHECKED = 8  # samples the served model re-reads to confirm the stored reading is its own


@dataclass(frozen=True)
class Samples:
    images: np.ndarray  # (N, 28, 28) float32 in [0, 1], the model's format
    labels: np.ndarray  # (N,) int true digits
    probabilities: np.ndarray  # (N, 10) float32, the served model's reading
    dataset: str  # where they come from

    @property
    def predicted(self) -> np.ndarray:
        return self.probabilities.argmax(axis=1)

    def pick(self, digit: int | None = None, mistakes: bool = False) -> np.ndarray:
        """Indices of the samples of one digit (None: all), only the misread ones if asked."""
        keep = np.ones(len(self.labels), bool) if digit is None else self.labels == digit
        if mistakes:
            keep &= self.predicted != self.labels
        return np.flatnonzero(keep)

    def spread(self, digit: int | None, mistakes: bool, count: int) -> np.ndarray:
        """At most `count` of `pick`'s indices, evenly spread over them."""
        pool = self.pick(digit, mistakes)
        return pool[np.linspace(0, len(pool) - 1, min(count, len(pool))).astype(int)]

    def reading(self, index: int) -> tuple[int, DigitReading]:
        """A sample's index (clipped to the samples) -> (index, the model's reading of it)."""
        i = int(np.clip(index, 0, len(self.labels) - 1))
        return i, DigitReading(self.images[i], self.probabilities[i])

    def to_json(self, index: int) -> dict:
        """-> {"index", "true_label", "correct", **the reading's to_json()} for one sample."""
        i, reading = self.reading(index)
        return {"index": i, "true_label": CLASSES[self.labels[i]],
                "correct": bool(self.labels[i] == reading.digit), **reading.to_json()}


def write_samples(path: Path, images: np.ndarray, labels: np.ndarray, dataset: str,
                  classify) -> None:
    """Store (N, 28, 28) float32 images in [0, 1] (as uint8), their labels and `classify`'s
    reading of the stored images ((N, 28, 28) float32 -> (N, 10) probabilities); the file
    is written under a temporary name and moved into place when complete."""
    stored = np.round(np.asarray(images) * 255).astype(np.uint8)
    probabilities = np.asarray(classify(stored.astype(np.float32) / 255), np.float32)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part.npz")
    np.savez_compressed(partial, images=stored, labels=np.asarray(labels), dataset=dataset,
                        probabilities=probabilities)
    partial.replace(path)


def load_samples(classifier, path: Path | None = None) -> Samples:
    """Read the samples file (by default the one in `classifier`'s model folder) with
    `classifier`'s reading of every sample: the stored one when `classifier` reproduces it on
    the first samples, else its own, in batched calls."""
    path = Path(classifier.folder) / SAMPLES_FILE if path is None else path
    if not Path(path).is_file():
        raise FileNotFoundError(f"No TEST samples at {path}. `{TRAIN_COMMAND}` writes them.")
    with np.load(path) as data:
        images = data["images"].astype(np.float32) / 255
        labels, dataset = data["labels"].astype(np.int64), str(data["dataset"])
        stored = data["probabilities"] if "probabilities" in data else None
    if stored is None or stored.shape != (len(labels), len(CLASSES)) or not np.allclose(
            classifier.probabilities(images[:CHECKED]), stored[:CHECKED], atol=1e-4):
        stored = classifier.probabilities(images)  # another model's reading, or none stored
    return Samples(images, labels, stored.astype(np.float32), dataset)
