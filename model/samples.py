"""The held-out TEST samples the app lets visitors pick: images, true labels, the model's reading.

`training` writes them when it exports a model, so a retrained model brings its own.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.spec import SAMPLES_FILE, TRAIN_COMMAND


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


def load_samples(classifier, path: Path = SAMPLES_FILE) -> Samples:
    """Read the samples file and let `classifier` read every sample once, in one batch."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"No TEST samples at {path}. `{TRAIN_COMMAND}` writes them.")
    with np.load(path) as data:
        images = data["images"].astype(np.float32) / 255
        labels, dataset = data["labels"].astype(np.int64), str(data["dataset"])
    return Samples(images, labels, classifier.probabilities(images), dataset)
